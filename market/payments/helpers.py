"""Template helpers of payments: a payment's, a method's and a refund's name for people, never their codes."""

from __future__ import annotations

from flask_babel import gettext as _

from market.payments import bp


@bp.app_template_global("payment_status_label")
def payment_status_label(status: str) -> str:
    from market.payments.models import PaymentStatus

    labels: dict[str, str] = {
        PaymentStatus.PENDING: _("waiting"),
        PaymentStatus.SUCCEEDED: _("received"),
        PaymentStatus.FAILED: _("failed"),
        PaymentStatus.EXPIRED: _("closed"),
        PaymentStatus.MISMATCH: _("wrong amount"),
        PaymentStatus.REFUNDED: _("refunded"),
        PaymentStatus.AUTHORIZED: _("card held"),
        PaymentStatus.RELEASED: _("hold released"),
    }
    return labels.get(status, status)


@bp.app_template_global("payment_method_label")
def payment_method_label(name: str | None) -> str:
    """A payment method's name for people ("Bank transfer (VietQR)"), never its code ("vietqr")."""
    from market.payments import METHODS

    cls = METHODS.get(name or "")
    return cls().label() if cls is not None else (name or "")


@bp.app_template_global("refund_status_label")
def refund_status_label(status: str | None) -> str:
    from market.payments.models import RefundStatus

    labels: dict[str, str] = {
        RefundStatus.REQUESTED: _("refund requested"),
        RefundStatus.MANUAL: _("money to send back"),
        RefundStatus.DONE: _("money returned"),
    }
    return labels.get(status or "", status or "")
