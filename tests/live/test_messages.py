"""Refusals in the reader's language (market/live/messages.py), worded once per language and parameters."""

from flask import g
from flask_babel import force_locale

from market.live import messages
from market.live.ordering import _fail, outcome_ack


def test_a_storm_of_refusals_is_worded_once_per_language_and_each_reader_gets_their_own(app, monkeypatch):
    worded = []
    real = messages.message_for
    monkeypatch.setattr(messages, "message_for", lambda code, **p: worded.append(code) or real(code, **p))
    monkeypatch.setattr(messages, "_messages", {})
    acks = {}
    for locale in ("vi", "en") * 3:  # buyers of both languages, refused one after another (own app context each)
        with app.app_context():
            g.force_locale = locale
            acks.setdefault(locale, []).append(outcome_ack(_fail("sold_out", remaining=0, unit="kg")))
    assert worded == ["sold_out", "sold_out"]
    assert acks["vi"][0]["message"] == "Hết hàng rồi. Đón chờ sản phẩm tiếp theo nhé!"
    assert acks["en"][0]["message"] == "Sold out. Watch for the next offer!"
    assert all(a == acks[loc][0] for loc in acks for a in acks[loc])
    with app.app_context():
        g.force_locale = "vi"
        with force_locale("en"):  # Babel's own override decides too (a notice to an English reader)
            assert outcome_ack(_fail("sold_out", remaining=0, unit="kg"))["message"].startswith("Sold out")
        few = outcome_ack(_fail("sold_out", remaining=2, unit="kg"))  # other parameters, other words
        assert few["message"] != acks["vi"][0]["message"] and few["remaining"] == 2
        assert outcome_ack(_fail("unavailable", message="Đã có lỗi."))["message"] == "Đã có lỗi."  # given words
