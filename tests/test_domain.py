"""market.domain: the one id reading, the one multi-field refusal, and refusals that keep their parameters."""

import pytest

from market.domain import MAX_ID, DomainError, FieldErrors, parse_id


@pytest.mark.parametrize(
    "raw, expected",
    [
        (12, 12),
        ("12", 12),
        (MAX_ID, MAX_ID),
        (str(MAX_ID), MAX_ID),
        (True, None),
        (False, None),
        (0, None),
        ("0", None),
        (-1, None),
        ("-1", None),
        (MAX_ID + 1, None),
        (str(MAX_ID + 1), None),
        ("9" * 5000, None),
        ("1.0", None),
        (1.0, None),
        (" 12", None),
        ("12 ", None),
        ("²", None),
        ("١٢", None),
        ("", None),
        (None, None),
        ([12], None),
        ({"id": 12}, None),
    ],
)
def test_parse_id(raw, expected):
    assert parse_id(raw) == expected
    assert parse_id(raw, text=False) == (expected if not isinstance(raw, str) else None)  # numbers only


def test_field_errors_join_the_messages_and_point_at_the_first_field():
    err = FieldErrors(
        [DomainError("invalid", "Title?", field="title"), DomainError("invalid", "Price?", field="price")]
    )
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


def test_every_refusal_code_written_in_market_is_an_error_code():
    """A code written as a string at a refusal (DomainError, live_error, api_error, error_response …) that is
    not in ErrorCode would be a word clients do not know: add it there (or use one that is)."""
    import ast
    import pathlib

    from market.domain import ErrorCode

    makers = {"DomainError": 0, "live_error": 0, "_fail": 0, "error_ack": 0, "api_error": 1, "error_response": 2}
    unknown = []
    for path in pathlib.Path(__file__).resolve().parent.parent.joinpath("market").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in makers:
                continue
            code = next((k.value for k in node.keywords if k.arg == "code"), None)
            if code is None and len(node.args) > makers[name]:
                code = node.args[makers[name]]
            if isinstance(code, ast.Constant) and isinstance(code.value, str) and code.value not in set(ErrorCode):
                unknown.append(f"{path.name}:{node.lineno} {code.value!r}")
    assert not unknown, unknown
