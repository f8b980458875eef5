"""market.domain: the one id reading, the one multi-field refusal, and refusals that keep their parameters."""

import pytest

from market.domain import MAX_ID, DomainError, FieldErrors, parse_id


@pytest.mark.parametrize("raw, expected", [
    (12, 12), ("12", 12), (MAX_ID, MAX_ID), (str(MAX_ID), MAX_ID),
    (True, None), (False, None), (0, None), ("0", None), (-1, None), ("-1", None), (MAX_ID + 1, None),
    (str(MAX_ID + 1), None), ("9" * 5000, None), ("1.0", None), (1.0, None), (" 12", None), ("12 ", None),
    ("²", None), ("١٢", None), ("", None), (None, None), ([12], None), ({"id": 12}, None),
])
def test_parse_id(raw, expected):
    assert parse_id(raw) == expected


def test_field_errors_join_the_messages_and_point_at_the_first_field():
    err = FieldErrors([DomainError("invalid", "Title?", field="title"),
                       DomainError("invalid", "Price?", field="price")])
    assert (err.code, err.message, err.field, err.status) == ("invalid", "Title? Price?", "title", 400)
    assert [e.field for e in err.errors] == ["title", "price"]


def test_field_errors_with_a_summary_point_at_no_field():
    err = FieldErrors([DomainError("taken", "Taken.", field="slug")], "Please correct the marked fields.")
    assert (err.message, err.field, err.errors[0].field) == ("Please correct the marked fields.", None, "slug")


def test_params_are_given_not_attached(app):
    from market.live.messages import live_error

    assert DomainError("invalid", "No.").params is None  # a final message
    with app.test_request_context():
        err = live_error("sold_out", remaining=2, unit="fruit")
        assert err.params == {"remaining": 2, "unit": "fruit"}  # the code, not the label: worded again per reader
        assert live_error("invalid", "Bad.", reason="x").params == {"reason": "x", "message": "Bad."}
