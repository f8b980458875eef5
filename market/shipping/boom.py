"""Refused cash-on-delivery parcels ("bom hàng"): counted per buyer, shown to the shops she orders from as a
number only, and a shop may ask a buyer with refusals to pay by transfer instead of cash.

A refusal is an order paid by cash on delivery that came back (``returned``), however the shop learnt it (a
carrier's webhook or the seller's own "the parcel came back"), plus a carrier shipment with cash to collect
that is on its way back now.
"""

from __future__ import annotations

import sqlalchemy as sa

from market.extensions import db
from market.orders.models import Order
from market.orders.states import OrderStatus


def refusals_of(buyer_id: int) -> int:
    from market.shipping.models import Shipment

    returned = sa.select(Order.id).where(
        Order.buyer_id == buyer_id, Order.payment_method == "cod", Order.status == OrderStatus.RETURNED
    )
    returning = (
        sa.select(Order.id)
        .join(Shipment, Shipment.order_id == Order.id)
        .where(Order.buyer_id == buyer_id, Shipment.cod_vnd > 0, Shipment.stage == "returning")
    )
    return db.session.scalar(sa.select(sa.func.count()).select_from(sa.union(returned, returning).subquery())) or 0
