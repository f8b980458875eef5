"""Product units as people say them (the catalog's labels, so both areas say the same)."""

from market.catalog.service import unit_label

__all__ = ["unit_label"]
