"""OCOP verification: staff check a claim against the certificate (number, level, issue date, 3-year expiry);
buyers see "verified" only while the check matches the claim and the certificate is valid."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from market.catalog import ocop as catalog_ocop
from market.extensions import db
from market.moderation.models import AuditEntry
from market.moderation.ocop import service as ocop
from tests.conftest import login_as, post_form

TODAY = date(2026, 6, 15)


def entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture
def claim(world, make_product):
    return make_product(
        seller=world.seller, title="Sầu riêng Monthong", ocop_stars=4, ocop_certificate_no="OCOP-DL-2025-0412"
    )


def verify(product, by, **kw):
    args = {"certificate_no": "OCOP-DL-2025-0412", "stars": "4", "issued_on": "2025-03-15", "today": TODAY}
    args.update(kw)
    return ocop.verify(product, by, **args)


def test_states(app, claim, world):
    assert catalog_ocop.ocop_state(claim, TODAY) == "claimed"
    verify(claim, world.staff)
    assert (claim.ocop_issued_on, claim.ocop_expires_on) == (date(2025, 3, 15), date(2028, 3, 15))
    assert catalog_ocop.ocop_state(claim, TODAY) == "verified"
    assert catalog_ocop.ocop_state(claim, date(2028, 3, 15)) == "verified"  # valid through its expiry day
    assert catalog_ocop.ocop_state(claim, date(2028, 3, 16)) == "expired"
    claim.ocop_stars = 5  # the seller raises the claim after the check: back to "claimed"
    assert catalog_ocop.ocop_state(claim, TODAY) == "claimed"
    claim.ocop_stars, claim.ocop_certificate_no = 4, "OCOP-DL-2025-9999"
    assert catalog_ocop.ocop_state(claim, TODAY) == "claimed"
    claim.ocop_stars = None
    assert catalog_ocop.ocop_state(claim, TODAY) == "none"


def test_expiry_is_three_years(app):
    assert ocop.expiry_of(date(2024, 2, 29)) == date(2027, 2, 28)
    assert ocop.expiry_of(date(2025, 1, 31)) == date(2028, 1, 31)


def test_staff_verify_over_http_and_buyers_see_it(client, claim, world):
    issued = date.today() - timedelta(days=200)
    login_as(client, world.staff)
    resp = post_form(
        client,
        f"/staff/listings/{claim.id}/ocop/verify",
        {"ocop-certificate_no": " ocop-dl 2025-0412 ", "ocop-stars": "4", "ocop-issued_on": issued.isoformat()},
    )
    assert resp.status_code == 302
    db.session.refresh(claim)
    expires = ocop.expiry_of(issued)
    assert claim.ocop_verified_stars == 4 and claim.ocop_expires_on == expires
    [entry] = entries("ocop.verify")
    assert entry.actor_id == world.staff.id and entry.object_id == claim.id and entry.commune_id == world.a.id
    assert entry.details == {
        "stars": 4,
        "certificate_no": "OCOP-DL-2025-0412",
        "issued_on": issued.isoformat(),
        "expires_on": expires.isoformat(),
    }
    html = client.get(f"/p/{claim.id}-{claim.slug}").get_data(as_text=True)
    assert 'data-ocop="verified"' in html and expires.strftime("%d/%m/%Y") in html
    assert "4 sao: cấp tỉnh" in html and "đã xác minh" in html
    api = client.get(f"/api/v1/products/{claim.id}").json["product"]["ocop"]
    assert api["verified"] is True and api["expires_on"] == expires.isoformat()


def test_an_unverified_or_expired_claim_is_never_shown_as_verified(client, claim, world, make_product):
    html = client.get(f"/p/{claim.id}-{claim.slug}").get_data(as_text=True)
    assert 'data-ocop="claimed"' in html and 'data-ocop="verified"' not in html
    verify(claim, world.staff, issued_on=(date.today() - timedelta(days=500)).isoformat(), today=date.today())
    claim.ocop_expires_on = date.today() - timedelta(days=1)  # time passes
    db.session.flush()
    html = client.get(f"/p/{claim.id}-{claim.slug}").get_data(as_text=True)
    assert 'data-ocop="expired"' in html and 'data-ocop="verified"' not in html and "đã hết hạn" in html
    assert client.get(f"/api/v1/products/{claim.id}").json["product"]["ocop"]["verified"] is False
    home = client.get("/").get_data(as_text=True)  # the cards say "claimed", never "verified"
    assert "badge-ocop-verified" not in home


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"ocop-certificate_no": ""}, "ocop-certificate_no", "Hãy nhập số giấy chứng nhận"),
        ({"ocop-certificate_no": "OCOP-DL-2025-0413"}, "ocop-certificate_no", "hãy từ chối"),
        ({"ocop-certificate_no": "x" * 10240}, "ocop-certificate_no", "tối đa 60 ký tự"),
        ({"ocop-stars": "5"}, "ocop-stars", "giấy chứng nhận ghi 5"),
        ({"ocop-stars": ""}, "ocop-stars", "Hãy chọn hạng"),
        ({"ocop-stars": "9"}, "ocop-stars", "Hãy chọn một giá trị"),
        ({"ocop-issued_on": "2019-01-01"}, "ocop-issued_on", "đã hết hạn"),
        ({"ocop-issued_on": "2017-06-01"}, "ocop-issued_on", "từ năm 2018"),
        ({"ocop-issued_on": "tomorrow"}, "ocop-issued_on", "Hãy nhập ngày cấp"),
        ({"ocop-issued_on": "2999-01-01"}, "ocop-issued_on", "không thể ở tương lai"),
        ({"ocop-issued_on": ""}, "ocop-issued_on", "Hãy nhập ngày cấp"),
    ],
)
def test_bad_verifications_are_refused_beside_the_field(client, claim, world, data, field, message):
    form = {
        "ocop-certificate_no": "OCOP-DL-2025-0412",
        "ocop-stars": "4",
        "ocop-issued_on": (date.today() - timedelta(days=30)).isoformat(),
        **data,
    }
    login_as(client, world.staff)
    resp = post_form(client, f"/staff/listings/{claim.id}/ocop/verify", form)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and message in html and f'id="{field}-error"' in html, html[-3000:]
    db.session.refresh(claim)
    assert claim.ocop_verified_at is None and not entries("ocop.verify")


def test_refusing_a_claim_removes_the_stars(client, claim, world):
    verify(claim, world.staff, issued_on=(date.today() - timedelta(days=30)).isoformat(), today=date.today())
    login_as(client, world.staff)
    assert post_form(client, f"/staff/listings/{claim.id}/ocop/reject", {"ocopno-reason": ""}).status_code == 400
    resp = post_form(
        client, f"/staff/listings/{claim.id}/ocop/reject", {"ocopno-reason": "Tỉnh đã thu hồi giấy chứng nhận này"}
    )
    assert resp.status_code == 302
    db.session.refresh(claim)
    assert claim.ocop_stars is None and claim.ocop_verified_at is None and claim.ocop_expires_on is None
    [entry] = entries("ocop.reject")
    assert entry.reason == "Tỉnh đã thu hồi giấy chứng nhận này" and entry.details["was_verified"] is True
    again = post_form(client, f"/staff/listings/{claim.id}/ocop/reject", {"ocopno-reason": "lần nữa"})
    assert again.status_code == 409 and len(entries("ocop.reject")) == 1


def test_another_commune_cannot_verify(client, claim, world):
    login_as(client, world.other_staff)
    resp = post_form(
        client,
        f"/staff/listings/{claim.id}/ocop/verify",
        {"ocop-certificate_no": "OCOP-DL-2025-0412", "ocop-stars": "4", "ocop-issued_on": date.today().isoformat()},
    )
    assert resp.status_code == 404
    assert post_form(client, f"/staff/listings/{claim.id}/ocop/reject", {"ocopno-reason": "x"}).status_code == 404
    db.session.refresh(claim)
    assert claim.ocop_verified_at is None and claim.ocop_stars == 4
    assert not entries("ocop.verify") and not entries("ocop.reject")


def test_the_claims_queue(client, claim, world, make_product):
    other = make_product(seller=world.seller, title="Cà phê OCOP", ocop_stars=3, ocop_certificate_no="CP-3")
    verify(
        other,
        world.staff,
        certificate_no="CP-3",
        stars=3,
        issued_on=(date.today() - timedelta(days=10)).isoformat(),
        today=date.today(),
    )
    login_as(client, world.staff)
    html = client.get("/staff/ocop").get_data(as_text=True)
    to_check, verified = html.split('id="verified-h"')
    assert "Sầu riêng Monthong" in to_check and "Cà phê OCOP" in verified
    assert 'data-counter="ocop_to_check">1<' in client.get("/staff/").get_data(as_text=True)
    login_as(client, world.other_staff)
    assert "Sầu riêng Monthong" not in client.get("/staff/ocop").get_data(as_text=True)
