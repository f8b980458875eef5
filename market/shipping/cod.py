"""Cash on delivery, shop by shop: what carriers collected from buyers and what they have paid out, per order.

Collected = the cash a carrier reported collecting when it delivered (``Shipment.cod_collected_vnd``);
remitted = the carrier says it paid that cash to the shop (GHN's ``cod_transfer_date``, GHTK's status 6
"reconciled"), or the seller marked it received. Outstanding = collected and not yet remitted.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from market.database import utcnow
from market.domain import DomainError, ErrorCode, parse_id
from market.extensions import db
from market.orders.models import Order
from market.shipping.models import Shipment


@dataclass
class CodReport:
    rows: list[tuple[Shipment, Order]]

    @property
    def collected_vnd(self) -> int:
        return sum(s.cod_collected_vnd or 0 for s, _o in self.rows)

    @property
    def remitted_vnd(self) -> int:
        return sum(s.cod_collected_vnd or 0 for s, _o in self.rows if s.cod_remitted_at)

    @property
    def outstanding_vnd(self) -> int:
        return self.collected_vnd - self.remitted_vnd

    @property
    def to_collect_vnd(self) -> int:
        """Cash still out with the carriers: parcels on their way."""
        return sum(s.cod_vnd for s, _o in self.rows if s.stage in ("created", "picked_up"))


def report(seller_id: int, limit: int = 500) -> CodReport:
    rows = db.session.execute(
        sa.select(Shipment, Order)
        .join(Order, Order.id == Shipment.order_id)
        .where(Shipment.seller_id == seller_id, Shipment.cod_vnd > 0, Shipment.stage != "cancelled")
        .order_by(Shipment.id.desc())
        .limit(limit)
    ).all()
    return CodReport([(s, o) for s, o in rows])


def mark_remitted(seller_id: int, shipment_id: object) -> Shipment:
    """The seller has the carrier's money for this parcel in her account."""
    shipment = db.session.get(Shipment, parse_id(shipment_id)) if parse_id(shipment_id) else None
    if shipment is None or shipment.seller_id != seller_id:
        raise DomainError(ErrorCode.NOT_FOUND, _("This shipment does not exist."), status=404)
    if not shipment.cod_collected_vnd:
        raise DomainError(ErrorCode.INVALID, _("The carrier has not collected this parcel's cash yet."), status=409)
    if shipment.cod_remitted_at is None:
        shipment.cod_remitted_at = utcnow()
        db.session.flush()
    return shipment
