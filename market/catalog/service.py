"""The names the moderation area still reads here, while it is being reorganised: the catalog's code lives in
``labels``, ``listing_input``, ``lifecycle``, ``ocop``, ``search``, ``stock_managers`` and ``signals``.

Only ``market/moderation/`` and ``tests/moderation/`` import this module (tests/test_imports.py checks it);
once they import from those homes, delete it.
"""

from market.catalog.labels import action_label, category_label, status_label
from market.catalog.lifecycle import REASON_MAX, approve, create_listing, reject
from market.catalog.listing_input import clean_listing
from market.catalog.ocop import (
    CERTIFICATE_MAX,
    OCOP_LEVELS,
    OCOP_STARS,
    local_today,
    ocop_state,
    ocop_unverified_clause,
    record_ocop_verification,
    remove_ocop_claim,
)

__all__ = ["CERTIFICATE_MAX", "OCOP_LEVELS", "OCOP_STARS", "REASON_MAX", "action_label", "approve", "category_label",
           "clean_listing", "create_listing", "local_today", "ocop_state", "ocop_unverified_clause", "reject",
           "record_ocop_verification", "remove_ocop_claim", "status_label"]
