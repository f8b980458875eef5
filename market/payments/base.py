"""The one interface every payment method implements."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from market.accounts.models import User
    from market.orders.models import Order
    from market.orders.states import Actor
    from market.payments.models import Payment, ShopPaymentSettings


class PaymentMethod:
    """A way to pay an order. Subclasses are stateless; they read the shop's settings and the app config."""

    name: ClassVar[str] = ""
    # "api": the provider gives the money back when a paid order is cancelled (Stripe);
    # "manual": the seller returns it by bank transfer and marks the order refunded.
    refund_mode: ClassVar[str] = "manual"
    # The seller may record the money by hand (cash at the door, a transfer seen in the bank app).
    seller_records_payment: ClassVar[bool] = False

    def label(self) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    def hint(self) -> str:
        return ""

    def available(self, settings: ShopPaymentSettings | None) -> bool:
        """Whether a shop with these ``ShopPaymentSettings`` takes this method now."""
        return True

    def on_chosen(self, order: Order, settings: ShopPaymentSettings | None, actor: User | None) -> None:
        """The buyer chose this method for a pending order: open the payment attempt (and maybe confirm)."""

    def can_confirm_unpaid(self, order: Order) -> bool:
        return False

    def panel(
        self, order: Order, settings: ShopPaymentSettings | None, payment: Payment | None, roles: set[Actor]
    ) -> dict[str, Any]:
        """What the order page shows about paying (template context for payments/_order_panel.html)."""
        return {}
