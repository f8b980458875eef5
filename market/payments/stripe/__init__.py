"""Card payment through Stripe Checkout (the official library), offered only when the keys are configured.

- A Checkout Session per attempt, in VND (zero-decimal: 79.000 ₫ is ``unit_amount=79000``), created with the
  deterministic idempotency key ``chophien-checkout-<order id>-<attempt>``; it expires with the order's hold
  (Stripe wants 30 minutes to 24 hours, so a shorter hold is stretched to 31 minutes when the session starts).
- The webhook (``payments/webhooks.py``) verifies each event with ``stripe.Webhook.construct_event`` (default
  tolerance) and hands it here once (the processed-event log); handlers lock the order row, check amount and
  currency, and are written for any order of arrival: a refund may come before the completion it refunds.
- A paid order that is cancelled, or returned (its parcel refused and back at the shop), is refunded through the
  API after that move commits (``execute_refund``, retried by ``flask retry-refunds``) and ends refunded;
  ``charge.refunded`` then finds the work done.
No call to Stripe is made inside a database transaction: the caller commits first (SQLite holds its write lock
for a whole transaction).

One module per part: ``client`` (the API client, whether keys are set), ``method`` (the payment method),
``checkout`` (starting a payment, and finding our payment again from a Stripe object), ``events`` (the webhook's
handlers), ``holds`` (card holds of orders sold by weight: capture or release), ``refunds``.
"""
