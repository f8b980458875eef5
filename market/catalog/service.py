"""Transitional: the catalog's listing code moved to ``listing_input.py``; the next commit splits it."""

from market.catalog.listing_input import *  # noqa: F403
