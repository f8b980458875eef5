"""The Stripe API client, built once per app from its configuration, and whether card payment is offered at all
(both keys set). Every network call of the Stripe modules goes through ``client()``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import stripe
from flask import current_app

if TYPE_CHECKING:
    from stripe._base_address import BaseAddresses


def configured() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY") and current_app.config.get("STRIPE_WEBHOOK_SECRET"))


def client() -> stripe.StripeClient:
    config = current_app.config
    key = (config["STRIPE_SECRET_KEY"], config.get("STRIPE_API_BASE"))
    cached = current_app.extensions.get("stripe_client")
    if cached is None or cached[0] != key:
        base: BaseAddresses | None = {"api": config["STRIPE_API_BASE"]} if config.get("STRIPE_API_BASE") else None
        cached = (
            key,
            stripe.StripeClient(
                config["STRIPE_SECRET_KEY"],
                base_addresses=base,
                max_network_retries=config.get("STRIPE_MAX_NETWORK_RETRIES", 2),
                http_client=stripe.RequestsClient(timeout=config.get("STRIPE_TIMEOUT", 20)),
            ),
        )
        current_app.extensions["stripe_client"] = cached
    return cached[1]
