"""Template helpers of orders: an order's quantity and status in words, who did what, the cart's problems."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user

from market.orders import bp, cart
from market.orders.service import status_label
from market.orders.states import Actor, OrderStatus


@bp.app_template_global("order_quantity")
def _order_quantity(order) -> str:
    """How much an order holds, in the words its notifications use ("2 túi")."""
    from market.orders.units import quantity_text

    return quantity_text((item.qty, item.unit) for item in order.items)


@bp.app_template_global("live_session_title")
def live_session_title(session_id: int | None) -> str:
    from market.orders.sessions import session_title

    return session_title(session_id)


@bp.app_template_global("order_status_label")
def _status_label(status: str) -> str:
    return status_label(status)


@bp.app_template_global("order_status_text")
def order_status_text(order) -> str:
    """The status as a person needs it: a pending order says what it waits for."""
    if order.status == OrderStatus.PENDING:
        if not order.is_complete:
            if current_user.is_authenticated and current_user.id == order.buyer_id:
                return _("Waiting for your address and way to pay")
            return _("Waiting for the buyer's address")
        if order.payment_method == "cod":
            return _("Waiting for the shop to accept")
    return status_label(order.status).capitalize()


@bp.app_template_global("weight_event_label")
def _weight_event_label(kind: str) -> str:
    from market.orders.weights import weight_event_label

    return weight_event_label(kind)


@bp.app_template_global("order_weights")
def _order_weights():
    """The weights module for templates (bands, proposed amounts)."""
    from market.orders import weights

    return weights


@bp.app_template_global("order_actor_label")
def actor_label(role: str) -> str:
    return {
        Actor.BUYER: _("by the buyer"),
        Actor.SELLER: _("by the shop"),
        Actor.STAFF: _("by commune staff"),
        Actor.SYSTEM: _("automatically"),
    }.get(role, role)


@bp.app_template_global("cart_item_problem")
def _item_problem(item) -> str | None:
    return cart.item_problem(item)


@bp.app_template_filter("mask_name")
def _mask_name(name: str) -> str:
    from market.accounts.service import mask_name

    return mask_name(name)
