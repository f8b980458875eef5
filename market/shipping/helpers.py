"""Template helpers of shipping: a parcel's stage in words."""

from __future__ import annotations

from flask_babel import gettext as _

from market.shipping import sell_bp


@sell_bp.app_template_global("shipment_stage_label")
def shipment_stage_label(stage: str) -> str:
    return {
        "created": _("waiting for pickup"),
        "picked_up": _("with the carrier"),
        "delivered": _("delivered"),
        "returning": _("refused, coming back"),
        "returned": _("back at the shop"),
        "cancelled": _("cancelled"),
        "problem": _("a problem: call the carrier"),
    }.get(stage, stage)
