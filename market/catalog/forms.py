"""Forms of the seller and staff pages.

WTForms renders the fields and checks the CSRF token; the rules (price formats, limits, HTML, OCOP) live in
``listing_input.clean_listing`` so the API and the seed obey them too and every refusal is collected at once.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, MultipleFileField, SelectChoice, SelectField, StringField, TextAreaField

from market.catalog.images import MAX_PHOTOS
from market.catalog.labels import CATEGORY_LABELS, UNIT_LABELS
from market.catalog.models import Category, Unit


class LooseSelectField(SelectField):
    """A select the service checks (its message is clearer than WTForms' own, which is English)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)


class ListingForm(FlaskForm):
    title = StringField(
        _l("Title"), render_kw={"placeholder": _l("e.g. Sầu riêng Ri6 loại 1"), "autocomplete": "off", "maxlength": 120}
    )
    category = LooseSelectField(_l("Category"), choices=[SelectChoice(c.value, CATEGORY_LABELS[c]) for c in Category])
    unit = LooseSelectField(_l("Sold by"), choices=[SelectChoice(u.value, UNIT_LABELS[u]) for u in Unit])
    price = StringField(
        _l("Price per unit (đồng)"),
        render_kw={"placeholder": "85.000", "autocomplete": "off", "inputmode": "text", "enterkeyhint": "next"},
    )
    stock = StringField(
        _l("How many can you sell now"), render_kw={"inputmode": "numeric", "autocomplete": "off", "placeholder": "50"}
    )
    min_order_qty = StringField(
        _l("Smallest order"), default="1", render_kw={"inputmode": "numeric", "autocomplete": "off"}
    )
    sold_by_weight = BooleanField(_l("Sold by the piece, priced by weight (weighed when packed)"))
    piece_weight = StringField(
        _l("Estimated weight of one unit (kg)"),
        render_kw={"inputmode": "decimal", "autocomplete": "off", "placeholder": "3"},
    )
    price_per_kg = StringField(_l("Price per kg (đồng)"), render_kw={"placeholder": "150.000", "autocomplete": "off"})
    weight_tolerance = StringField(
        _l("Tolerance without asking the buyer (± %)"),
        default="10",
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    description = TextAreaField(
        _l("Description"),
        render_kw={"placeholder": _l("How it is grown or made, taste, size, how you pack and ship it."), "rows": 5},
    )
    origin = StringField(_l("Origin (village, farm)"), render_kw={"autocomplete": "off"})
    harvest_date = StringField(_l("Harvest date"), render_kw={"type": "date"})
    ocop_stars = LooseSelectField(
        _l("OCOP stars"),
        choices=[
            SelectChoice("", _l("None")),
            SelectChoice("3", "3 ★"),
            SelectChoice("4", "4 ★"),
            SelectChoice("5", "5 ★"),
        ],
    )
    ocop_certificate_no = StringField(_l("OCOP certificate number"), render_kw={"autocomplete": "off"})
    photos = MultipleFileField(
        _l("Photos"),
        render_kw={
            "accept": "image/jpeg,image/png,image/webp,image/*",
            "capture": "environment",
            "multiple": True,
            "data-max-photos": MAX_PHOTOS,
        },
    )


class ActionForm(FlaskForm):
    """A button that changes a state (submit, archive, approve): the CSRF token is its only field."""
