"""Forms of the co-op lot pages. WTForms renders the fields and checks the CSRF token; the rules live in
``service`` (every refusal collected at once, beside its field)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, SelectChoice, StringField, TextAreaField

from market.catalog.forms import LooseSelectField
from market.catalog.labels import CATEGORY_LABELS, UNIT_LABELS
from market.catalog.listing_input import WEIGHED_UNITS
from market.catalog.models import Category, Unit


class LotForm(FlaskForm):
    title = StringField(
        _l("Name of the lot (the listing's title)"),
        render_kw={"placeholder": _l("e.g. Sầu riêng Ri6 — vụ 2026"), "maxlength": 120, "autocomplete": "off"},
    )
    category = LooseSelectField(
        _l("Category"), choices=[SelectChoice(c.value, CATEGORY_LABELS[c]) for c in Category], default=Category.DURIAN
    )
    sold_by_weight = LooseSelectField(
        _l("Buyers order"),
        choices=[
            SelectChoice("1", _l("By the piece, at an estimated weight (weighed when packed)")),
            SelectChoice("", _l("By the kilogram")),
        ],
        default="1",
    )
    unit = LooseSelectField(
        _l("Counted by"), choices=[SelectChoice(u.value, UNIT_LABELS[u]) for u in WEIGHED_UNITS], default=Unit.PIECE
    )
    piece_weight = StringField(
        _l("Estimated weight of one piece (kg)"),
        render_kw={"inputmode": "decimal", "autocomplete": "off", "placeholder": "3"},
    )
    price_per_kg = StringField(_l("Price per kg (đồng)"), render_kw={"placeholder": "150.000", "autocomplete": "off"})
    weight_tolerance = StringField(
        _l("Tolerance without asking the buyer (± %)"),
        default="10",
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    min_order_qty = StringField(_l("Smallest order"), default="1", render_kw={"inputmode": "numeric"})
    shipping_vnd_per_kg = StringField(
        _l("Shipping cost per kg sold (đồng), taken from the payouts"),
        default="0",
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    description = TextAreaField(
        _l("Description"),
        render_kw={"rows": 4, "placeholder": _l("The gardens, the variety, how you pick, pack and ship.")},
    )
    origin = StringField(_l("Origin (village, farm)"), render_kw={"autocomplete": "off"})
    harvest_date = StringField(_l("Harvest date"), render_kw={"type": "date"})
    photos = MultipleFileField(
        _l("Photos"), render_kw={"accept": "image/jpeg,image/png,image/webp,image/*", "multiple": True}
    )


class HouseholdForm(FlaskForm):
    name = StringField(_l("Household (head of the family)"), render_kw={"maxlength": 80, "autocomplete": "off"})
    village = StringField(
        _l("Village"), render_kw={"maxlength": 80, "autocomplete": "off", "placeholder": _l("e.g. Buôn Ea Knuếc")}
    )
    phone = StringField(_l("Phone (optional)"), render_kw={"inputmode": "tel", "autocomplete": "off"})
    bank_bin = LooseSelectField(_l("Bank (optional: paid by transfer)"))
    account_number = StringField(_l("Account number"), render_kw={"inputmode": "numeric", "autocomplete": "off"})
    account_holder = StringField(_l("Account holder (as the bank shows it)"), render_kw={"autocomplete": "off"})
    kg = StringField(
        _l("Kilograms brought"), render_kw={"inputmode": "decimal", "autocomplete": "off", "placeholder": "350"}
    )
    contributed_on = StringField(_l("Date brought"), render_kw={"type": "date"})

    def __init__(self, *args, banks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.bank_bin.choices = [SelectChoice("", _l("— no account: paid in cash —"))] + [
            SelectChoice(b.bin, f"{b.short_name} — {b.name_vi}") for b in banks
        ]


class ContributionForm(FlaskForm):
    kg = StringField(_l("Kilograms"), render_kw={"inputmode": "decimal", "autocomplete": "off"})
    contributed_on = StringField(_l("Date brought"), render_kw={"type": "date"})


class ShippingForm(FlaskForm):
    shipping_vnd_per_kg = StringField(
        _l("Shipping cost per kg sold (đồng)"), render_kw={"inputmode": "numeric", "autocomplete": "off"}
    )


class ActionForm(FlaskForm):
    """A button that changes something: the CSRF token is its only field."""
