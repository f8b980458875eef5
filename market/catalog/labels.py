"""What people read for the catalog's codes: a category, a unit, a listing's state, an event of its history.

One label each, in the reader's language (the codes stay English in the database): every page, message, SMS and
script says a unit through ``unit_label`` ("thùng", "túi", "trái"), so they never disagree.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from market.catalog.models import Category, ProductStatus, Unit

CATEGORY_LABELS = {
    Category.DURIAN: _l("Durian"),
    Category.COFFEE: _l("Coffee"),
    Category.PEPPER: _l("Pepper"),
    Category.HONEY: _l("Honey"),
    Category.AVOCADO: _l("Avocado"),
    Category.MACADAMIA: _l("Macadamia"),
    Category.BROCADE: _l("Brocade and textiles"),
    Category.HANDICRAFT: _l("Handicraft"),
    Category.OTHER: _l("Other produce"),
}
UNIT_LABELS = {
    Unit.KG: _l("kg"),
    Unit.BOX: _l("box"),
    Unit.BAG: _l("bag"),
    Unit.PIECE: _l("piece"),
    Unit.FRUIT: _l("fruit"),
    Unit.METRE: _l("metre"),
}
STATUS_LABELS = {
    ProductStatus.DRAFT: _l("Draft"),
    ProductStatus.PENDING_REVIEW: _l("Awaiting review"),
    ProductStatus.APPROVED: _l("On sale"),
    ProductStatus.REJECTED: _l("Rejected"),
    ProductStatus.ARCHIVED: _l("Archived"),
}
ACTION_LABELS = {
    "created": _l("Created"),
    "submitted": _l("Sent for review"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "edited": _l("Edited"),
    "archived": _l("Taken off sale"),
}


def category_label(value: str) -> str:
    try:
        return str(CATEGORY_LABELS[Category(value)])
    except ValueError:
        return str(value)


def unit_label(value: str) -> str:
    try:
        return str(UNIT_LABELS[Unit(value)])
    except ValueError:
        return str(value)


def action_label(value: str) -> str:
    return str(ACTION_LABELS.get(value, value))


def status_label(value: str) -> str:
    try:
        return str(STATUS_LABELS[ProductStatus(value)])
    except ValueError:
        return str(value)
