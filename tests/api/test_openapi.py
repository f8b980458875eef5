"""The OpenAPI description of the JSON API: complete (every /api/v1 rule of the app is in it), and true
(schemathesis calls every operation with generated input, as a buyer with a token, and checks every answer:
never a server error, status codes and bodies as described)."""

from __future__ import annotations

import logging
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from market.accounts.tokens import issue_token
from market.extensions import db
from tests.conftest import isolated

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 12


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", r"{\1}", rule)


def test_served_and_describes_every_api_rule(app, client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200 and resp.json["openapi"].startswith("3.")
    paths = resp.json["paths"]
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        described = paths.get(_openapi_path(rule.rule), {})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method.lower() not in described:
                missing.append(f"{method} {rule.rule}")
    assert not missing, f"/api/v1 routes missing from market/api/openapi.py: {missing}"
    rules = {_openapi_path(r.rule) for r in app.url_map.iter_rules()}
    assert not set(paths) - rules, "described paths that the app does not have"


@pytest.fixture
def api_world(app, make_user, make_seller, make_product):
    """A buyer with an order (so detail pages answer 200 too), a seller, listings on sale."""
    from market.orders.service import Line, place_order

    buyer = make_user(name="Hoàng Thị Hoa")
    seller = make_seller(shop_name="Vườn sầu riêng Ea Knuếc")
    product = make_product(seller=seller, stock=500)
    make_product(seller=seller, title="Cà phê Robusta", category="coffee")
    order = place_order(buyer, [Line("product", product.id, 2)], "openapi-order-1").order
    db.session.commit()
    return {
        "buyer": buyer,
        "seller": seller,
        "product": product,
        "order": order,
        "tokens": {"buyer": issue_token(buyer), "seller": issue_token(seller)},
    }


@pytest.fixture
def no_errors_logged(caplog):
    caplog.set_level(logging.WARNING)
    yield
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [r.getMessage() for r in bad]


def _operations(schema):
    return [result.ok() for result in schema.get_all_operations()]


def test_schemathesis_every_operation(app, api_world, no_errors_logged):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = _operations(schema)
    labels = {op.label for op in operations}
    assert {
        "POST /api/v1/auth/token",
        "GET /api/v1/me",
        "GET /api/v1/orders",
        "GET /api/v1/orders/{order_id}",
        "GET /api/v1/products",
        "GET /api/v1/products/{product_id}",
    } <= labels, labels
    for operation in operations:
        headers = {}
        if operation.definition.raw.get("security"):
            headers["Authorization"] = "Bearer " + api_world["tokens"]["buyer"]

        @settings(
            max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(case=operation.as_strategy(), role=st.sampled_from(["buyer", "seller"]))
        def check(case, role):
            if headers:
                headers["Authorization"] = "Bearer " + api_world["tokens"][role]
            isolated(case.call_and_validate, headers=headers, checks=CHECKS)

        check()


@pytest.mark.parametrize("who", ["buyer", "seller"])
def test_detail_answers_conform(app, api_world, who, no_errors_logged):
    """The 200 answers of the detail endpoints, whatever the generator happened to hit."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    auth = {"Authorization": "Bearer " + api_world["tokens"][who]}
    calls = [
        (schema["/api/v1/orders/{order_id}"]["GET"].Case(path_parameters={"order_id": api_world["order"].id}), 200),
        (schema["/api/v1/orders"]["GET"].Case(query={"role": who}), 200),
        (
            schema["/api/v1/products/{product_id}"]["GET"].Case(
                path_parameters={"product_id": api_world["product"].id}
            ),
            200,
        ),
        (schema["/api/v1/products"]["GET"].Case(query={"q": "sau rieng"}), 200),
        (schema["/api/v1/me"]["GET"].Case(), 200),
    ]
    for case, status in calls:
        resp = isolated(case.call_and_validate, headers=auth, checks=CHECKS)
        assert resp.status_code == status, (case.path, resp.text[:300])
    orders = isolated(calls[1][0].call, headers=auth).json()["orders"]
    assert [o["id"] for o in orders] == [api_world["order"].id]
