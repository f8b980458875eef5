import re

import pytest

from market.extensions import db
from tests.conftest import post_form


def test_home_in_vietnamese_lists_communes(client, make_commune):
    make_commune("Ea Knuếc")
    make_commune("Tủa Sín Chải", province="Lai Châu")
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert "Ea Knuếc" in html and "Tủa Sín Chải" in html
    assert html.index("Ea Knuếc") < html.index("Tủa Sín Chải")  # Đắk Lắk sorts before Lai Châu
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert "<script>" not in html and " onclick=" not in html  # no inline scripts (strict CSP later)


def test_switching_language_is_kept_for_the_visitor(client):
    resp = post_form(client, "/lang/en?next=/c/nowhere", {})
    assert resp.status_code == 302 and resp.headers["Location"] == "/c/nowhere"
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html and "Communes" in html


def test_language_is_kept_per_user(client, login, make_user):
    user = make_user()
    login(user)
    post_form(client, "/lang/en", {})
    db.session.refresh(user)
    assert user.locale == "en"


def test_unknown_language_is_refused(client):
    assert post_form(client, "/lang/fr", {}).status_code == 400


@pytest.mark.parametrize(("path", "status"), [("/c/no-such-commune", 404), ("/nowhere", 404)])
def test_error_pages_in_vietnamese(client, path, status):
    resp = client.get(path)
    assert resp.status_code == status
    assert "Không tìm thấy trang" in resp.get_data(as_text=True)


def test_a_refused_form_offers_the_way_back_to_its_page(client, login, make_user):
    """A form refused with an error page (not beside its fields) links back to the page it came from, not only to
    the home page: a seller whose action failed gets back to what they were doing."""
    login(make_user())
    back = ">Quay lại trang vừa rồi</a>"
    resp = post_form(
        client,
        "/cart/add",
        {"product_id": "999999", "qty": "1"},
        headers={"Referer": "http://localhost/p/7-khan-tho-cam?x=1"},
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 404 and 'href="/p/7-khan-tho-cam?x=1"' in html and back in html
    assert "Về chợ" in html
    for referer in ("https://evil.example/p/7", "http://localhost//evil.example", "javascript:alert(1)", ""):
        resp = post_form(client, "/cart/add", {"product_id": "999999"}, headers={"Referer": referer})
        assert resp.status_code == 404 and back not in resp.get_data(as_text=True)
    resp = client.get("/nowhere", headers={"Referer": "http://localhost/p/7-khan-tho-cam"})
    assert back not in resp.get_data(as_text=True)  # a missing page reached by a link: no form to correct


def test_api_errors_are_json(client):
    resp = client.get("/api/v1/nowhere")
    assert resp.status_code == 404 and resp.json["error"] == "not_found"
    assert resp.json["message"] == "Trang này không tồn tại hoặc đã bị gỡ."


def test_405_and_413(app, client):
    assert client.get("/logout").status_code == 405
    saved = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        resp = client.post("/register", data={"display_name": "x" * 5000})
        assert resp.status_code == 413
        assert "Tệp quá lớn" in resp.get_data(as_text=True)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = saved


def test_500_never_leaks_a_trace(app, client, monkeypatch):
    def boom():
        raise RuntimeError("secret internals")

    monkeypatch.setitem(app.view_functions, "catalog.home", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        resp = client.get("/")
        html = resp.get_data(as_text=True)
        assert resp.status_code == 500
        assert "secret internals" not in html and "Traceback" not in html
        assert "Đã có lỗi xảy ra" in html
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None


def test_healthz(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.json["checks"] == {"database": True}


def test_healthz_reports_redis_down(app, client):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    try:
        resp = client.get("/healthz")
        # still serving (the database answers): reported, not failed, so a proxy keeps the process in
        assert resp.status_code == 200 and resp.json["checks"]["redis"] is False
        assert resp.json["degraded"] == ["redis"]
    finally:
        app.config["REDIS_URL"] = None


def test_money_is_shown_as_vnd(app):
    from flask_babel import force_locale

    from market.i18n import vnd

    with app.test_request_context("/"):
        with force_locale("vi"):
            assert vnd(125000) == "125.000\xa0₫"
        with force_locale("en"):
            assert vnd(125000) == "₫125,000"


def test_every_message_has_a_vietnamese_translation():
    """Vietnamese comes first: every string in the code and templates is translated in some vi catalogue."""
    from market.translations.missing import missing_messages

    missing = [m.id for m in missing_messages()]
    assert not missing, (
        f"{len(missing)} strings lack Vietnamese (python -m market.translations.missing): {missing[:20]}"
    )


def test_catalogues_agree_on_shared_messages():
    """Areas keep their own catalogues; a message id translated twice must read the same everywhere."""
    from babel.messages.pofile import read_po

    from market.translations import catalogue_dirs

    seen: dict[str, set[str]] = {}
    for directory in catalogue_dirs():
        po = directory / "vi" / "LC_MESSAGES" / "messages.po"
        if po.exists():
            with open(po, "rb") as fh:
                for m in read_po(fh, locale="vi"):
                    if m.id and isinstance(m.id, str):
                        seen.setdefault(m.id, set()).add(str(m.string))
    clashes = {k: v for k, v in seen.items() if len(v) > 1}
    assert not clashes, f"the same message is translated differently: {clashes}"


def all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from all_subclasses(sub)


def test_every_form_validator_has_its_own_message(app):
    """WTForms has no Vietnamese: a validator left with its default message shows English on a Vietnamese page
    ("Field cannot be longer than 40 characters."). Every validator of every form must carry our message."""
    from flask_wtf import FlaskForm
    from wtforms.fields.core import UnboundField

    forms = [f for f in all_subclasses(FlaskForm) if f.__module__.startswith("market.")]
    assert len(forms) > 10  # every area's forms are imported by create_app
    bare = []
    for form in forms:
        for name in dir(form):
            field = getattr(form, name, None)
            if not isinstance(field, UnboundField):
                continue
            for validator in field.kwargs.get("validators") or ():
                if hasattr(validator, "message") and validator.message is None:
                    bare.append(f"{form.__module__}.{form.__name__}.{name}: {type(validator).__name__}")
    assert not bare, bare


def test_payment_settings_too_long_are_refused_in_vietnamese(client, make_seller, login):
    login(make_seller())
    resp = post_form(
        client,
        "/sell/payments",
        {"bank_bin": "970422", "account_number": "1" * 41, "account_holder": "A" * 81},
        page="/sell/payments",
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Số tài khoản dài tối đa 40 ký tự." in html and "Tên chủ tài khoản dài tối đa 80 ký tự." in html
    assert "Field cannot" not in html


def test_form_fields_carry_aria_attributes_only_when_they_apply(client):
    html = client.get("/register").get_data(as_text=True)
    assert '="None"' not in html
    assert 'aria-describedby="password-help"' in html and "aria-invalid" not in html
    refused = post_form(
        client, "/register", {"phone": "12", "display_name": "Lan", "password": "password123"}, page="/register"
    ).get_data(as_text=True)
    assert '="None"' not in refused
    phone = re.search(r'<input[^>]*id="phone"[^>]*>', refused).group(0)
    assert 'aria-invalid="true"' in phone and 'aria-describedby="phone-error"' in phone
