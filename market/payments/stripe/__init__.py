"""Transitional: the Stripe method moved to ``stripe/checkout.py``; the next commit splits it."""

from market.payments.stripe.checkout import *  # noqa: F403
