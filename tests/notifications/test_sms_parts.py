"""Every SMS the app sends costs one part with ordinary names and amounts (two at most with long ones), without
diacritics unless the setting keeps them."""

import pytest
from flask_babel import force_locale

from market.accounts import codes
from market.notifications import service
from market.notifications.sms import LogSms, fit, is_gsm, parts, send, to_gsm

NUMBERS = {
    "total": 12_450_000,
    "items": 12,
    "num": 12,
    "rating": 5,
    "grams": 12_300,
    "before": 12_000_000,
    "session_id": 12345,
    "qty": 12,
    "amount": 12_450_000,
}
# Typical values, on the long side of ordinary: a shop or a product name of about 25 characters.
WORDS = {
    "code": "CPK7QM2X9A",
    "shop": "Vườn sầu riêng Ea Knuếc",
    "title": "Sầu riêng Ri6 loại 1 (3 kg)",
    "buyer": "Hoàng Thị Hoa",
    "carrier": "Giao Hàng Tiết Kiệm",
    "tracking": "GHTK123456789",
    "reason": "Ảnh chưa rõ, hãy chụp lại",
    "note": "Đã gỡ sản phẩm vi phạm",
    "commune": "Ea Knuếc",
    "via": "Ami kao Durian",
    "kol": "H'Hà Niê",
    "brand": "Ami kao Durian",
    "until": "2026-12-06T22:30:00+00:00",
    "lines": [[2, "kg", "Sầu riêng Ri6 loại 1"]],
    "method": "cod",
    "address": "Thôn 3, buôn Ea Knuếc, Ea Knuếc, Đắk Lắk",
}
LINK = "/sell/products/12345/edit"  # the longest link the staff decisions use
LINKS = {"order.": "/orders/12345", "follow.": "/live/12345", "brand.": "/sell/brands"}
# Messages that explain a payment held or a weight to accept need more words: two parts.
TWO_PARTS = {
    "order.phone_placed",
    "order.weight_to_accept",
    "order.authorised",
    "order.authorised_buyer",
    "order.transfer_claimed",
    "brand.shop_added",
}
SITE = "https://chophien.vn"


class Params(dict):
    """Whatever a kind asks for: a number for the keys that are amounts or counts, else a 25-character name."""

    def __missing__(self, key):
        return NUMBERS.get(key, WORDS.get(key, "Tên dài vừa phải hai lăm"))

    def get(self, key, default=None):
        return self[key]


def _kinds():
    from market.notifications.service import _kinds  # every area has registered its kinds (the app is made)

    return sorted(_kinds)


@pytest.fixture
def site(app):
    app.config["SITE_URL"] = SITE
    yield
    app.config["SITE_URL"] = "http://127.0.0.1:5000"


def test_every_kind_fits_one_part_in_both_languages_a_few_two(app, site):
    kinds = _kinds()
    too_long, unrendered = {}, []
    for kind in kinds:
        for locale in ("vi", "en"):
            with force_locale(locale):
                try:
                    text = service._kinds[kind](Params())
                except (KeyError, TypeError, ValueError):  # a kind added later whose params these cannot mimic
                    unrendered.append(kind)
                    continue
                sms = service.sms_body(text, next((v for k, v in LINKS.items() if kind.startswith(k)), LINK))
            assert is_gsm(sms), (kind, sms)
            if parts(sms) > (2 if kind in TWO_PARTS else 1):
                too_long[f"{kind} {locale}"] = f"{len(sms)}: {sms}"
    assert not too_long, too_long
    assert len(set(kinds) - set(unrendered)) >= 30, unrendered  # the kinds checked, from every area


def test_a_long_text_is_cut_to_two_parts_and_the_link_kept(app, site):
    sms = service.sms_body("Lý do: " + "ảnh không rõ, " * 60, LINK)
    assert parts(sms) == 2 and sms.endswith(SITE + LINK) and "..." in sms
    assert len(sms) <= 306


@pytest.mark.parametrize("locale", ["vi", "en"])
@pytest.mark.parametrize("purpose", list(codes.Purpose))
def test_code_messages_fit_one_part(app, purpose, locale):
    with force_locale(locale):
        assert parts(to_gsm(codes.sms_text("123456", purpose))) == 1


def test_every_sms_leaves_unaccented_unless_the_setting_keeps_diacritics(app):
    LogSms.sent.clear()
    send("+84912000111", "Chợ Phiên: “Sầu riêng” đã được duyệt… 85.000 ₫")
    assert LogSms.sent[-1][1] == 'Cho Phien: "Sau rieng" da duoc duyet... 85.000 d'
    app.config["SMS_KEEP_DIACRITICS"] = True
    try:
        send("+84912000111", "Chợ Phiên: Sầu riêng đã được duyệt")
        assert LogSms.sent[-1][1] == "Chợ Phiên: Sầu riêng đã được duyệt"
        assert parts("ạ" * 70) == 1 and parts("ạ" * 71) == 2
        assert parts(fit("ạ" * 500)) == 2
    finally:
        app.config["SMS_KEEP_DIACRITICS"] = False
        LogSms.sent.clear()


def test_gsm_parts_count_the_extended_characters_twice():
    assert parts("a" * 160) == 1 and parts("a" * 161) == 2 and parts("a" * 306) == 2 and parts("a" * 307) == 3
    assert parts("€" * 80) == 1 and parts("€" * 81) == 2
