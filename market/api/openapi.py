"""The OpenAPI 3 description of the JSON API v1, served at ``GET /api/v1/openapi.json``.

Written by hand next to the code it describes (docs/api.md is the prose). A test checks that every
``/api/v1`` rule of the app is described here, and schemathesis calls every operation with generated input
and checks each answer against these schemas: a route added without its description, or a response that
drifts from it, fails the suite.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify

from market.api import bp

MAX_ID = 2**31 - 1
CATEGORIES = ["durian", "coffee", "pepper", "honey", "avocado", "macadamia", "brocade", "handicraft", "other"]
STATUSES = ["pending", "confirmed", "packed", "shipped", "delivered", "cancelled", "expired", "refunded", "returned"]


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:  # OpenAPI 3.0 ignores siblings of $ref
        return {"allOf": [schema], "nullable": True}
    return {**schema, "nullable": True}


def _obj(properties: dict[str, Any], required: list[str] | None = None, extra: bool = False) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": extra,
    }


STR, INT, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
MONEY = {"type": "integer", "minimum": 0, "description": "đồng (VND has no minor unit)"}
TIME = {"type": "string", "format": "date-time"}
OK = {"type": "boolean", "enum": [True]}


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


ERRORS = {
    "400": _error_response("Bad input (`invalid`)"),
    "401": _error_response("No valid token (`not_logged_in`)"),
    "403": _error_response("Not allowed (`forbidden`)"),
    "404": _error_response("Does not exist, or not for the caller (`not_found`)"),
    "429": _error_response("Too many attempts (`rate_limited`)"),
    "503": _error_response("The database is unavailable for a moment (`unavailable`)"),
}


def _ok(description: str, schema_ref: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}},
    }


def _errors(*codes: str) -> dict[str, Any]:
    return {code: ERRORS[code] for code in (*codes, "503")}


BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]

PRODUCT = {
    "id": INT,
    "title": STR,
    "slug": STR,
    "url": STR,
    "category": {"type": "string", "enum": CATEGORIES},
    "unit": STR,
    "price_vnd": MONEY,
    "stock": {"type": "integer"},
    "min_order_qty": INT,
    "shop": _obj({"name": STR, "slug": STR, "url": STR}),
    "commune": _obj({"slug": STR, "name": STR, "province": STR}),
    "photo": _nullable({"$ref": "#/components/schemas/Photo"}),
    "approved_at": _nullable(TIME),
    "by_weight": {
        **_nullable(
            _obj(
                {
                    "piece_weight_g": {**INT, "description": "estimated grams of one unit ('1 trái ~3 kg')"},
                    "price_per_kg_vnd": MONEY,
                    "tolerance_pct": {**INT, "description": "± percent the weighed amount may stray"},
                }
            )
        ),
        "description": "sold by the piece, priced by weight: price_vnd is the estimate for one unit",
    },
}
WEIGHT_STATUS = _nullable(
    {
        "type": "string",
        "enum": ["estimate", "to_accept", "final"],
        "description": "orders sold by weight: estimate until weighed; to_accept when the "
        "weighed amount left the tolerance and awaits the buyer",
    }
)
WEIGHT_EVENTS = ["weighed", "weight_accepted", "weight_declined"]
# What an order costs and how it reaches the buyer (docs/shipping.md): the fee is the one it was sold with.
AMOUNTS = {
    "subtotal_vnd": {**MONEY, "description": "the goods (weighed goods once an order sold by weight is weighed)"},
    "shipping_vnd": {
        **MONEY,
        "description": "the shipping fee the order was sold with; 0 when it ships free, is "
        "picked up, or the shop's prices include delivery",
    },
    "total_vnd": {**MONEY, "description": "the grand total the buyer pays: subtotal_vnd + shipping_vnd"},
    "delivery_option": _nullable(
        {
            "type": "string",
            "enum": ["ship", "pickup"],
            "description": "ship: sent to the delivery address for shipping_vnd; pickup: "
            "collected at the shop (no fee); null: placed before the shop "
            "priced shipping, or a live order still without an address",
        }
    ),
}

SCHEMAS = {
    "Error": _obj(
        {
            "ok": {"type": "boolean", "enum": [False]},
            "error": {**STR, "description": "a stable word"},
            "message": {**STR, "description": "for people, in the caller's language"},
        }
    ),
    "User": _obj(
        {
            "id": INT,
            "display_name": STR,
            "phone": {**STR, "description": "E.164"},
            "locale": {"type": "string", "enum": ["vi", "en"]},
            "roles": {"type": "array", "items": STR},
            "seller": _nullable(_obj({"shop_name": STR, "slug": STR, "status": STR, "commune": STR, "is_kol": BOOL})),
        }
    ),
    "Token": _obj(
        {
            "ok": OK,
            "token": STR,
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "expires_in": {"type": "integer", "description": "seconds"},
            "user": {"$ref": "#/components/schemas/User"},
        }
    ),
    "Me": _obj({"ok": OK, "user": {"$ref": "#/components/schemas/User"}}),
    "CodeToken": _obj(
        {
            "ok": OK,
            "token": STR,
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "expires_in": {"type": "integer", "description": "seconds"},
            "user": {"$ref": "#/components/schemas/User"},
            "created": {**BOOL, "description": "a new account was opened for this number"},
        }
    ),
    "CodeSent": _obj({"ok": OK, "expires_in": {"type": "integer", "description": "seconds the code works (300)"}}),
    "PhotoVariant": _obj({"width": INT, "height": INT, "webp": STR, "jpeg": STR}),
    "Photo": _obj(
        {
            "width": INT,
            "height": INT,
            "variants": {
                "type": "object",
                "additionalProperties": {"$ref": "#/components/schemas/PhotoVariant"},
                "description": "by longest side in pixels: 320, 800, 1600",
            },
        }
    ),
    "Product": _obj(PRODUCT),
    "ProductDetail": _obj(
        {
            **PRODUCT,
            "description": {**STR, "description": "plain text with line breaks, never HTML"},
            "origin": STR,
            "harvest_date": _nullable({"type": "string", "format": "date"}),
            "ocop": _nullable(
                _obj(
                    {
                        "stars": INT,
                        "certificate_no": _nullable(STR),
                        "state": {
                            "type": "string",
                            "enum": ["claimed", "verified", "expired"],
                            "description": "verified only while commune staff's check matches the claim and is valid",
                        },
                        "verified": BOOL,
                        "expires_on": _nullable({"type": "string", "format": "date"}),
                    }
                )
            ),
            "photos": {"type": "array", "items": {"$ref": "#/components/schemas/Photo"}},
        }
    ),
    "ProductList": _obj(
        {
            "ok": OK,
            "products": {"type": "array", "items": {"$ref": "#/components/schemas/Product"}},
            "page": INT,
            "per_page": INT,
            "total": INT,
            "pages": INT,
        }
    ),
    "ProductOne": _obj({"ok": OK, "product": {"$ref": "#/components/schemas/ProductDetail"}}),
    "OrderItem": _obj(
        {
            "product_id": INT,
            "title": STR,
            "unit": STR,
            "unit_price_vnd": MONEY,
            "qty": INT,
            "line_total_vnd": MONEY,
            "by_weight": _obj({"est_weight_g": INT, "tolerance_pct": INT, "packed_weight_g": _nullable(INT)}),
        },
        required=["product_id", "title", "unit", "unit_price_vnd", "qty", "line_total_vnd"],
    ),
    "OrderSummary": _obj(
        {
            "id": INT,
            "code": STR,
            "status": {"type": "string", "enum": STATUSES},
            "status_label": STR,
            "origin": STR,
            "live_session_id": _nullable(INT),
            "created_at": TIME,
            "hold_expires_at": _nullable(TIME),
            **AMOUNTS,
            "seller": _obj({"shop_name": STR, "slug": STR}),
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/OrderItem"}},
            "roles": {"type": "array", "items": {"type": "string", "enum": ["buyer", "seller", "staff"]}},
            "weight_status": WEIGHT_STATUS,
            "paid": BOOL,
            "payment_method": _nullable(STR),
        }
    ),
    "Payment": {
        "type": "object",
        "required": ["method", "paid", "paid_at", "attempts"],
        "properties": {
            "method": _nullable(STR),
            "paid": BOOL,
            "paid_at": _nullable(TIME),
            "attempts": {
                "type": "array",
                "items": _obj({"attempt": INT, "method": STR, "status": STR, "amount_vnd": MONEY}),
            },
            "flag": _obj({"code": STR, "message": STR}),
            "authorized_vnd": {**MONEY, "description": "a card hold (sold by weight): the most that may be charged"},
            "awaiting_weight": {
                "type": "boolean",
                "enum": [True],
                "description": "no transfer is asked for before the shop has weighed the order",
            },
            "vietqr": _obj(
                {
                    "payload": STR,
                    "bank_bin": STR,
                    "bank": _nullable(STR),
                    "account_number": STR,
                    "account_holder": STR,
                    "memo": STR,
                    "amount_vnd": MONEY,
                }
            ),
        },
    },
    "OrderDetail": {
        "type": "object",
        "description": "the summary's fields (without paid/payment_method), plus these",
        "required": ["id", "code", "status", "payment", "delivery", "buyer", "timeline", "actions", "cancel_reason"],
        "properties": {
            "id": INT,
            "code": STR,
            "status": {"type": "string", "enum": STATUSES},
            "status_label": STR,
            "origin": STR,
            "live_session_id": _nullable(INT),
            "created_at": TIME,
            "hold_expires_at": _nullable(TIME),
            **AMOUNTS,
            "seller": _obj({"shop_name": STR, "slug": STR}),
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/OrderItem"}},
            "roles": {"type": "array", "items": STR},
            "weight_status": WEIGHT_STATUS,
            "payment": {"$ref": "#/components/schemas/Payment"},
            "delivery": _obj(
                {
                    k: _nullable(STR)
                    for k in ("name", "phone", "street", "commune", "province", "carrier", "tracking_code")
                }
            ),
            "buyer": _obj({"display_name": STR, "phone": STR}, required=["display_name"]),
            "cancel_reason": _nullable(STR),
            "timeline": {
                "type": "array",
                "items": _obj(
                    {
                        "from": _nullable(STR),
                        "to": STR,
                        "at": TIME,
                        "by": STR,
                        "reason": _nullable(STR),
                        "event": {"type": "string", "enum": WEIGHT_EVENTS},
                    },
                    required=["from", "to", "at", "by", "reason"],
                ),
            },
            "actions": _obj({"buyer": {"type": "array", "items": STR}, "seller": {"type": "array", "items": STR}}),
        },
        "additionalProperties": False,
    },
    "OrderList": _obj(
        {
            "ok": OK,
            "orders": {"type": "array", "items": {"$ref": "#/components/schemas/OrderSummary"}},
            "next_before": _nullable(INT),
        }
    ),
    "OrderOne": _obj({"ok": OK, "order": {"$ref": "#/components/schemas/OrderDetail"}}),
}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


PATHS = {
    "/api/v1/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This description",
            "tags": ["meta"],
            "responses": {
                "200": {
                    "description": "OpenAPI 3 document",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    },
    "/api/v1/auth/token": {
        "post": {
            "operationId": "createToken",
            "summary": "A bearer token for a phone number and password",
            "tags": ["auth"],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": _obj(
                            {"phone": {**STR, "example": "0904000001"}, "password": {**STR, "example": "chophien123"}},
                            extra=True,
                        )
                    }
                },
            },
            "responses": {"200": _ok("A token and who it is for", "Token"), **_errors("400", "401", "429")},
        }
    },
    "/api/v1/auth/code": {
        "post": {
            "operationId": "requestCode",
            "tags": ["auth"],
            "summary": "Send a 6-digit code by SMS: to sign in (a new number signs up; an account staff or a phone "
            "order opened is claimed) or to reset the password",
            "description": "The same answer whether the number has an account. A mobile number only. At most 3 codes "
            "per number per 15 minutes and 10 a day, 10 requests per IP per 15 minutes (429).",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": _obj(
                            {
                                "phone": {**STR, "example": "0904000001"},
                                "purpose": {"type": "string", "enum": ["login", "reset"], "default": "login"},
                            },
                            required=["phone"],
                            extra=True,
                        )
                    }
                },
            },
            "responses": {"200": _ok("A code was sent", "CodeSent"), **_errors("400", "429")},
        }
    },
    "/api/v1/auth/code/token": {
        "post": {
            "operationId": "tokenByCode",
            "tags": ["auth"],
            "summary": "A bearer token for a sign-in code",
            "description": "A code works 5 minutes, once, 5 tries. A number without an account answers `name_required` "
            "(only once the code was right): send the same code again with `display_name`. A banned "
            "account is 403.",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": _obj(
                            {
                                "phone": {**STR, "example": "0904000001"},
                                "code": {**STR, "example": "123456"},
                                "display_name": {**STR, "description": "for a new account"},
                            },
                            required=["phone", "code"],
                            extra=True,
                        )
                    }
                },
            },
            "responses": {
                "200": _ok("A token; created tells whether the account is new", "CodeToken"),
                **_errors("400", "403", "429"),
            },
        }
    },
    "/api/v1/auth/password/reset": {
        "post": {
            "operationId": "resetPassword",
            "tags": ["auth"],
            "summary": "A new password after a reset code (every older token stops working)",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": _obj(
                            {"phone": STR, "code": STR, "password": {**STR, "minLength": 8, "maxLength": 128}},
                            extra=True,
                        )
                    }
                },
            },
            "responses": {"200": _ok("A new token", "Token"), **_errors("400", "403", "429")},
        }
    },
    "/api/v1/me/code": {
        "post": {
            "operationId": "requestPasswordCode",
            "tags": ["auth"],
            "security": BEARER,
            "summary": "A code to the caller's own number, to set a password without the current one",
            "responses": {"200": _ok("A code was sent", "CodeSent"), **_errors("400", "401", "429")},
        }
    },
    "/api/v1/me/password": {
        "post": {
            "operationId": "changePassword",
            "tags": ["auth"],
            "security": BEARER,
            "summary": "A new password, proved by the current one or by a code from POST /me/code",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": _obj(
                            {
                                "password": {**STR, "minLength": 8, "maxLength": 128},
                                "current_password": STR,
                                "code": STR,
                            },
                            required=["password"],
                            extra=True,
                        )
                    }
                },
            },
            "responses": {
                "200": _ok("A new token (every older one stops working)", "Token"),
                **_errors("400", "401", "429"),
            },
        }
    },
    "/api/v1/me/phone": {
        "post": {
            "operationId": "requestPhoneCode",
            "tags": ["auth"],
            "security": BEARER,
            "summary": "A code to a new number the caller moves her account to",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": _obj({"phone": {**STR, "example": "0987654321"}}, extra=True)}
                },
            },
            "responses": {"200": _ok("A code was sent to the new number", "CodeSent"), **_errors("400", "401", "429")},
        }
    },
    "/api/v1/me/phone/verify": {
        "post": {
            "operationId": "changePhone",
            "tags": ["auth"],
            "security": BEARER,
            "summary": "The code sent to the new number: the account moves to it",
            "description": "A number that has its own account is refused (told only to whoever typed its code).",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _obj({"phone": STR, "code": STR}, extra=True)}},
            },
            "responses": {
                "200": _ok("A new token (every older one stops working)", "Token"),
                **_errors("400", "401", "429"),
            },
        }
    },
    "/api/v1/me": {
        "get": {
            "operationId": "me",
            "summary": "The caller's own account",
            "tags": ["auth"],
            "security": BEARER,
            "responses": {"200": _ok("The account", "Me"), **_errors("401")},
        }
    },
    "/api/v1/products": {
        "get": {
            "operationId": "listProducts",
            "summary": "Listings on sale: approved, of an open shop",
            "tags": ["products"],
            "parameters": [
                _query("q", STR, "search words; diacritics and case do not matter"),
                _query("commune", STR, "a commune slug, e.g. ea-knuec"),
                _query("category", {"type": "string", "enum": CATEGORIES}, "a category"),
                _query("page", {"type": "integer", "minimum": 1, "maximum": 10000}, "1, 2, … (default 1)"),
                _query("per_page", {"type": "integer", "minimum": 1, "maximum": 100}, "1 to 100 (default 20)"),
            ],
            "responses": {"200": _ok("A page of listings", "ProductList"), **_errors("400")},
        }
    },
    "/api/v1/products/{product_id}": {
        "get": {
            "operationId": "getProduct",
            "summary": "One listing on sale",
            "tags": ["products"],
            "parameters": [
                {
                    "name": "product_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
                }
            ],
            "responses": {"200": _ok("The listing", "ProductOne"), **_errors("404")},
        }
    },
    "/api/v1/orders": {
        "get": {
            "operationId": "listOrders",
            "summary": "The caller's orders (as buyer, or as seller)",
            "tags": ["orders"],
            "security": BEARER,
            "parameters": [
                _query("role", {"type": "string", "enum": ["buyer", "seller"]}, "buyer (default) or seller"),
                _query("status", {"type": "string", "enum": STATUSES}, "only orders in this status"),
                _query(
                    "before",
                    {"type": "integer", "minimum": 1, "maximum": 999_999_999},
                    "an order id: the page of older orders (the answer's next_before)",
                ),
            ],
            "responses": {"200": _ok("Newest first, 100 a page", "OrderList"), **_errors("400", "401", "403")},
        }
    },
    "/api/v1/orders/{order_id}": {
        "get": {
            "operationId": "getOrder",
            "summary": "One order, for its buyer, its seller or the seller's commune staff",
            "tags": ["orders"],
            "security": BEARER,
            "parameters": [
                {
                    "name": "order_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
                }
            ],
            "responses": {"200": _ok("The order", "OrderOne"), **_errors("401", "404")},
        }
    },
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Chợ Phiên JSON API",
            "version": "1",
            "description": "Every answer is JSON with `ok`; errors are `{ok: false, error, message}` with a "
            "4xx/503 status. Amounts are integer đồng. See docs/api.md.",
        },
        "servers": [{"url": current_app.config["SITE_URL"]}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "a token from POST /api/v1/auth/token",
                }
            },
        },
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    response = jsonify(document())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
