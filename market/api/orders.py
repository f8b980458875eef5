"""JSON API: ``GET /api/v1/orders`` (the caller's own orders) and ``GET /api/v1/orders/<id>``.

An order is visible to its buyer, its seller and staff of the seller's commune; to anyone else it does not
exist (404): the orders area decides (``service.orders_of``, ``get_order_for``, ``roles_for``), this module shapes
the answer. Authenticated by ``Authorization: Bearer <token>`` (see docs/api.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import g, jsonify, request
from flask.typing import ResponseReturnValue

from market.accounts.models import User
from market.accounts.tokens import token_required
from market.api import bp
from market.domain import DomainError
from market.errors import api_error
from market.orders import actions
from market.orders.models import Order
from market.orders.payment import gateway
from market.orders.service import ORDERS_PAGE, get_order_for, order_events, orders_of, roles_for, status_label
from market.orders.states import Actor


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def order_json(order: Order, viewer: User, full: bool = False) -> dict[str, Any]:
    roles = roles_for(order, viewer)
    data: dict[str, Any] = {
        "id": order.id,
        "code": order.code,
        "status": order.status,
        "status_label": status_label(order.status),
        "origin": order.origin,
        "live_session_id": order.live_session_id,
        "created_at": _iso(order.created_at),
        "hold_expires_at": _iso(order.hold_expires_at) if order.status == "pending" else None,
        "subtotal_vnd": order.subtotal_vnd,
        "shipping_vnd": order.shipping_vnd,
        "total_vnd": order.total_vnd,
        "delivery_option": order.delivery_option,
        "seller": {"shop_name": order.seller.shop_name, "slug": order.seller.slug},
        "items": [
            {
                "product_id": i.product_id,
                "title": i.title,
                "unit": i.unit,
                "unit_price_vnd": i.unit_price_vnd,
                "qty": i.qty,
                "line_total_vnd": i.line_total_vnd,
                **(
                    {
                        "by_weight": {
                            "est_weight_g": i.estimated_weight_g,
                            "tolerance_pct": i.weight_tolerance_pct,
                            "packed_weight_g": i.packed_weight_g,
                        }
                    }
                    if i.by_weight
                    else {}
                ),
            }
            for i in order.items
        ],
        "weight_status": order.weight_status,
        "roles": sorted(str(r) for r in roles),
    }
    if not full:
        data["paid"] = order.paid_at is not None
        data["payment_method"] = order.payment_method
        return data
    data["payment"] = gateway().describe(order)
    data["delivery"] = {
        "name": order.ship_name,
        "phone": order.ship_phone,
        "street": order.ship_street,
        "commune": order.ship_commune,
        "province": order.ship_province,
        "carrier": order.carrier,
        "tracking_code": order.tracking_code,
    }
    data["buyer"] = {"display_name": order.buyer.display_name}
    if roles & {Actor.SELLER, Actor.STAFF}:
        data["buyer"]["phone"] = order.buyer.phone
    data["cancel_reason"] = order.cancel_reason
    data["timeline"] = [
        {
            "from": e.from_status,
            "to": e.to_status,
            "at": _iso(e.created_at),
            "by": e.actor_role,
            "reason": e.reason,
            **({"event": e.kind} if e.kind else {}),
        }
        for e in order_events(order)
    ]
    data["actions"] = {
        "buyer": actions.buyer_actions(order) if Actor.BUYER in roles else [],
        "seller": actions.seller_actions(order, Actor.SELLER if Actor.SELLER in roles else Actor.STAFF)
        if roles & {Actor.SELLER, Actor.STAFF}
        else [],
    }
    return data


@bp.get("/orders")
@token_required
def list_orders() -> ResponseReturnValue:
    user = g.api_user
    try:
        orders = orders_of(
            user,
            request.args.get("role", "buyer"),
            status=request.args.get("status"),
            before=request.args.get("before"),
        )
    except DomainError as err:
        return api_error(err.status, err.code, err.message)
    return jsonify(
        {
            "ok": True,
            "orders": [order_json(o, user) for o in orders],
            "next_before": orders[-1].id if len(orders) == ORDERS_PAGE else None,
        }
    )


@bp.get("/orders/<int:order_id>")
@token_required
def get_order(order_id: int) -> ResponseReturnValue:
    order = get_order_for(order_id, g.api_user)
    return jsonify({"ok": True, "order": order_json(order, g.api_user, full=True)})
