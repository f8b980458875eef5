"""What the orders area needs from payments, without importing it (payments depends on orders, not back).

``market.payments`` registers the one gateway in its ``init_app``, the way the live area registers its stock
source.
Checkout and the order page ask it which methods a shop takes, hand it the method a buyer chose, and let
it record money a seller received by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from flask_babel import gettext as _

from market.domain import DomainError, ErrorCode

if TYPE_CHECKING:
    from market.accounts.models import User
    from market.orders.models import Order
    from market.orders.states import Actor


@dataclass(frozen=True)
class MethodChoice:
    name: str
    label: str
    hint: str


class PaymentGateway(Protocol):
    def choices(self, seller_id: int) -> list[MethodChoice]:
        """The methods this shop accepts now, in the order to offer them."""

    def choose(self, order: Order, method: str, actor: User | None) -> None:
        """The buyer picked ``method`` for a pending order: record the attempt (cash on delivery may confirm)."""

    def method_locked(self, order: Order) -> str | None:
        """Why the buyer may not switch this order to another way to pay now (None: they may)."""

    def can_confirm_unpaid(self, order: Order) -> bool:
        """May the seller confirm this pending order before any money arrived (cash on delivery)?"""

    def can_mark_paid(self, order: Order) -> bool:
        """May the seller record the money by hand (cash at the door, a transfer seen in the bank app)?"""

    def mark_paid(self, order: Order, actor: User | None, role: Actor) -> None:
        """Record that the money arrived; a pending order becomes confirmed."""

    def can_mark_refunded(self, order: Order) -> bool:
        """A cancelled paid order whose money the seller returns by hand (transfer back)."""

    def describe(self, order: Order) -> dict[str, Any]:
        """The order's payment as JSON-ready data (method, paid, attempts, flag, VietQR payload …)."""

    # ---- orders sold by weight (orders/weights.py) ----
    def weigh_before_paying(self, order: Order) -> bool:
        """May a pending order be weighed before any money is asked for (a transfer, cash the shop accepts)?
        False when the payment must come first (a card authorisation)."""

    def max_chargeable(self, order: Order) -> int | None:
        """The most the order's payment can cover (a card authorised for the estimate plus the tolerance), or
        None when any amount can be asked for (cash, a transfer asked for after weighing)."""

    def amount_locked(self, order: Order) -> bool:
        """The money for the current amount was received or asked for (paid, or a card capture started): the
        weighed amount can no longer change."""


_gateway: PaymentGateway | None = None


def register_gateway(gateway: PaymentGateway) -> None:
    global _gateway
    _gateway = gateway


def gateway() -> PaymentGateway:
    if _gateway is None:  # pragma: no cover - market.payments is always loaded by create_app
        raise DomainError(ErrorCode.INVALID, _("Payments are not available right now."))
    return _gateway
