"""Forms of the brand pages. WTForms renders the fields and checks the CSRF token; the rules live in the
service (``clean_brand``, ``add_shop`` …) so every refusal reads the same however the request came."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, StringField, TextAreaField

from market.brands.service import MAX_PHOTOS, NAME_MAX, SLUG_MAX, STORY_MAX


class BrandForm(FlaskForm):
    name = StringField(
        _l("Brand name"), render_kw={"placeholder": "Ami kao Durian", "autocomplete": "off", "maxlength": NAME_MAX}
    )
    slug = StringField(
        _l("Address of the page"),
        render_kw={
            "placeholder": "ami-kao-durian",
            "autocomplete": "off",
            "autocapitalize": "none",
            "spellcheck": "false",
            "maxlength": SLUG_MAX,
        },
    )
    story = TextAreaField(
        _l("Story"),
        render_kw={
            "placeholder": _l("Where the name comes from, the gardens and families behind it, how you grow and pack."),
            "rows": 6,
            "maxlength": STORY_MAX,
        },
    )
    photos = MultipleFileField(
        _l("Photos"),
        render_kw={
            "accept": "image/jpeg,image/png,image/webp,image/*",
            "multiple": True,
            "data-max-photos": MAX_PHOTOS,
        },
    )


class ActionForm(FlaskForm):
    """A button that changes something (follow, add a shop, leave): the CSRF token is its only field; the
    service checks the values the form carries."""
