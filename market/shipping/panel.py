"""What the order page shows about shipping (the ``order.shipping`` slot): the shipment, its label and cancel
buttons, "Tạo vận đơn" with the shop's connected carriers, and — to the shop only — how many cash-on-delivery
parcels this buyer has refused (a count, never where or from whom)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from market.orders.states import Actor, OrderStatus

if TYPE_CHECKING:
    from market.orders.models import Order


def order_panel(order: Order, roles: Iterable[str]) -> dict[str, Any] | None:
    from market.shipping import shipments
    from market.shipping.boom import refusals_of
    from market.shipping.carriers import get_carrier

    shop_side = bool({str(Actor.SELLER), str(Actor.STAFF)} & set(roles))
    if not shop_side:
        return None
    shipment = shipments.latest_shipment(order.id)
    connected = [a.carrier for a in shipments.accounts_of(order.seller_id) if a.carrier in shipments.enabled_carriers()]
    can_create = (
        (shipment is None or shipment.stage == "cancelled")
        and bool(connected)
        and (
            order.status in (OrderStatus.CONFIRMED, OrderStatus.PACKED)
            and order.delivery_option != "pickup"
            and order.has_address
            and not order.awaits_weighing
        )
    )
    return {
        "order": order,
        "shipment": shipment,
        "carrier": get_carrier(shipment.carrier) if shipment else None,
        "can_create": can_create,
        "carriers": [get_carrier(c) for c in connected],
        "cod_vnd": shipments.cod_amount(order),
        "refusals": refusals_of(order.buyer_id),
    }
