"""JSON API: ``GET /api/v1/orders`` (the caller's own orders) and ``GET /api/v1/orders/<id>``.

An order is visible to its buyer, its seller and staff of the seller's commune; to anyone else it does not
exist (404). Authenticated by ``Authorization: Bearer <token>`` (see docs/api.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import g, jsonify, request
from flask_babel import gettext as _

from market.accounts.tokens import token_required
from market.api import bp
from market.errors import api_error
from market.extensions import db
from market.orders import actions
from market.orders.models import Order, OrderEvent
from market.orders.payment import gateway
from market.orders.service import get_order_for, roles_for, status_label
from market.orders.states import Actor

LIST_MAX = 100


def _iso(value):
    return value.isoformat() if value is not None else None


def order_json(order: Order, viewer, full: bool = False) -> dict:
    roles = roles_for(order, viewer)
    data = {
        "id": order.id, "code": order.code, "status": order.status, "status_label": status_label(order.status),
        "origin": order.origin, "live_session_id": order.live_session_id, "created_at": _iso(order.created_at),
        "hold_expires_at": _iso(order.hold_expires_at) if order.status == "pending" else None,
        "subtotal_vnd": order.subtotal_vnd, "shipping_vnd": order.shipping_vnd, "total_vnd": order.total_vnd,
        "delivery_option": order.delivery_option,
        "seller": {"shop_name": order.seller.shop_name, "slug": order.seller.slug},
        "items": [{"product_id": i.product_id, "title": i.title, "unit": i.unit, "unit_price_vnd": i.unit_price_vnd,
                   "qty": i.qty, "line_total_vnd": i.line_total_vnd,
                   **({"by_weight": {"est_weight_g": i.estimated_weight_g, "tolerance_pct": i.weight_tolerance_pct,
                                     "packed_weight_g": i.packed_weight_g}} if i.by_weight else {})}
                  for i in order.items],
        "weight_status": order.weight_status,
        "roles": sorted(str(r) for r in roles),
    }
    if not full:
        data["paid"] = order.paid_at is not None
        data["payment_method"] = order.payment_method
        return data
    data["payment"] = gateway().describe(order)
    data["delivery"] = {"name": order.ship_name, "phone": order.ship_phone, "street": order.ship_street,
                        "commune": order.ship_commune, "province": order.ship_province, "carrier": order.carrier,
                        "tracking_code": order.tracking_code}
    data["buyer"] = {"display_name": order.buyer.display_name}
    if roles & {Actor.SELLER, Actor.STAFF}:
        data["buyer"]["phone"] = order.buyer.phone
    data["cancel_reason"] = order.cancel_reason
    data["timeline"] = [{"from": e.from_status, "to": e.to_status, "at": _iso(e.created_at), "by": e.actor_role,
                         "reason": e.reason, **({"event": e.kind} if e.kind else {})} for e in db.session.scalars(
        sa.select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id))]
    data["actions"] = {"buyer": actions.buyer_actions(order) if Actor.BUYER in roles else [],
                       "seller": actions.seller_actions(order, Actor.SELLER if Actor.SELLER in roles else Actor.STAFF)
                       if roles & {Actor.SELLER, Actor.STAFF} else []}
    return data


@bp.get("/orders")
@token_required
def list_orders():
    user = g.api_user
    role = request.args.get("role", "buyer")
    query = sa.select(Order)
    if role == "seller":
        if user.seller_profile is None:
            return api_error(403, "forbidden", _("Only a shop has orders to fulfil."))
        query = query.where(Order.seller_id == user.seller_profile.id)
    elif role == "buyer":
        query = query.where(Order.buyer_id == user.id)
    else:
        return api_error(400, "invalid", _("role is buyer or seller."))
    status = request.args.get("status")
    if status:
        query = query.where(Order.status == status[:16])
    before = request.args.get("before", "")
    if before:
        if not before.isdigit() or len(before) > 9:
            return api_error(400, "invalid", _("before is an order id."))
        query = query.where(Order.id < int(before))
    orders = list(db.session.scalars(query.order_by(Order.id.desc()).limit(LIST_MAX)))
    return jsonify({"ok": True, "orders": [order_json(o, user) for o in orders],
                    "next_before": orders[-1].id if len(orders) == LIST_MAX else None})


@bp.get("/orders/<int:order_id>")
@token_required
def get_order(order_id: int):
    order = get_order_for(order_id, g.api_user)
    return jsonify({"ok": True, "order": order_json(order, g.api_user, full=True)})
