"""The audit log: written with every action, append-only, filterable, exported as CSV within one's communes."""

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.database import utcnow
from market.extensions import db
from market.moderation import audit
from market.moderation.models import AuditEntry
from tests.conftest import login_as


@pytest.fixture
def entries(world):
    """Three entries: commune A (by staff), commune B (by other staff), platform-wide (by admin)."""
    a = audit.record("seller.approve", world.pending.seller_profile, actor=world.staff)
    b = audit.record(
        "seller.suspend", world.seller_b.seller_profile, actor=world.other_staff, reason='=HYPERLINK("http://evil")'
    )
    g = audit.record("user.ban", world.villain, actor=world.admin, reason="Lừa đảo", commune_id=None)
    db.session.flush()
    return a, b, g


def test_record_fills_object_commune_and_labels(app, world, entries):
    a, b, g = entries
    assert (a.object_type, a.object_id, a.commune_id) == ("seller", world.pending.seller_profile.id, world.a.id)
    assert a.object_label == "Hồ tiêu Y Điêng" and a.actor_label.startswith("Cán bộ Ea Knuếc (+84")
    assert (g.object_type, g.commune_id) == ("user", None)


def test_unknown_actions_are_a_programming_error(app):
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record("seller.approv")


def test_the_application_cannot_change_an_entry(app, entries):
    entries[0].reason = "rewritten"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()


def test_the_application_cannot_delete_an_entry(app, entries):
    db.session.delete(entries[1])
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()


def test_the_database_refuses_updates(app, entries):
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with db.session.begin_nested():
            db.session.execute(sa.text("UPDATE audit_entries SET reason = 'rewritten'"))
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.reason == "rewritten")) == 0


def test_postgresql_refuses_deletes_too(app, entries):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite (embedded mode) refuses UPDATE in the database; DELETE only in the application")
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with db.session.begin_nested():
            db.session.execute(sa.text("DELETE FROM audit_entries"))
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 3


def _labels(html: str) -> set[str]:
    return {name for name in ("Hồ tiêu Y Điêng", "Thổ cẩm B", "Kẻ lừa đảo") if name in html}


@pytest.mark.parametrize(
    ("role", "seen"),
    [
        ("staff", {"Hồ tiêu Y Điêng"}),
        ("other_staff", {"Thổ cẩm B"}),
        ("admin", {"Hồ tiêu Y Điêng", "Thổ cẩm B", "Kẻ lừa đảo"}),  # platform-wide entries: admins only
    ],
)
def test_each_sees_their_communes(client, world, entries, role, seen):
    login_as(client, getattr(world, role))
    assert _labels(client.get("/staff/audit").get_data(as_text=True)) == seen


def test_filters(client, world, entries):
    login_as(client, world.admin)
    by_action = client.get("/staff/audit?action=user.ban").get_data(as_text=True)
    assert _labels(by_action) == {"Kẻ lừa đảo"}
    by_actor = client.get(f"/staff/audit?actor={world.other_staff.id}").get_data(as_text=True)
    assert _labels(by_actor) == {"Thổ cẩm B"}
    by_commune = client.get(f"/staff/audit?commune={world.a.id}").get_data(as_text=True)
    assert _labels(by_commune) == {"Hồ tiêu Y Điêng"}
    today = utcnow().date()
    in_range = client.get(f"/staff/audit?start={today - timedelta(days=1)}&end={today + timedelta(days=1)}")
    assert _labels(in_range.get_data(as_text=True)) == {"Hồ tiêu Y Điêng", "Thổ cẩm B", "Kẻ lừa đảo"}
    before = client.get(f"/staff/audit?end={today - timedelta(days=2)}").get_data(as_text=True)
    assert _labels(before) == set()
    by_object = client.get(f"/staff/audit?type=user&object={world.villain.id}").get_data(as_text=True)
    assert _labels(by_object) == {"Kẻ lừa đảo"}


@pytest.mark.parametrize(
    "query", ["start=yesterday", "start=2026-13-45", "start=2026-02-01&end=2026-01-01", "action=drop.tables"]
)
def test_bad_filters_are_refused_clearly(client, world, entries, query):
    login_as(client, world.admin)
    resp = client.get(f"/staff/audit?{query}")
    assert resp.status_code == 400
    assert 'class="error"' in resp.get_data(as_text=True)
    assert client.get(f"/staff/audit.csv?{query}").status_code == 400


def test_staff_cannot_filter_another_commune(client, world, entries):
    login_as(client, world.staff)
    assert client.get(f"/staff/audit?commune={world.b.id}").status_code == 404
    assert client.get(f"/staff/audit.csv?commune={world.b.id}").status_code == 404


def test_csv_export_is_scoped_safe_and_audited(client, world, entries):
    login_as(client, world.other_staff)
    resp = client.get("/staff/audit.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    text = resp.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["Thời gian", "Người thực hiện", "Thao tác"]
    assert len(rows) == 2 and rows[1][4] == "Thổ cẩm B" and rows[1][3] == "seller.suspend"
    assert rows[1][8] == '\'=HYPERLINK("http://evil")'  # a spreadsheet will not run it
    assert rows[1][2] == "Đã tạm ngừng gian hàng"
    exported = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "audit.export")).all()
    assert [e.actor_id for e in exported] == [world.other_staff.id]


def test_the_log_names_what_an_entry_is_about_in_vietnamese(client, world, entries):
    login_as(client, world.admin)
    html = client.get("/staff/audit").get_data(as_text=True)
    # the kind of object in words ("gian hàng", "tài khoản"), not its code ("seller", "user") on a Vietnamese page
    assert "(gian hàng #" in html and "(tài khoản #" in html
    assert "(seller #" not in html and "(user #" not in html


def test_every_kind_of_object_is_translated(app):
    from flask_babel import force_locale

    from market.moderation.scope import _kinds_by_model

    names = [kind.name for kind in _kinds_by_model.values()]
    assert {"product", "order", "live_session", "chat"} <= set(names), names
    with app.test_request_context("/"), force_locale("vi"):
        for name in names:
            assert audit.kind_label(name) not in (name, ""), name


def test_every_registered_action_is_translated(app):
    from flask_babel import force_locale

    with app.test_request_context("/"), force_locale("vi"):
        for name, label in audit.actions():
            assert label != name, name
