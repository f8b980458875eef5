from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from market.accounts.forms import ChoiceField, PhoneField
from market.accounts.service import NAME_MAX, SHOP_NAME_MAX, STORY_MAX
from market.catalog.forms import ListingForm
from market.moderation.forms import commune_choices, commune_field
from market.orders.forms import AddressForm


class AssistedSellerForm(FlaskForm):
    phone = PhoneField(
        _l("The villager's phone number"),
        validators=[
            DataRequired(_l("Enter the villager's phone number.")),
            Length(max=32, message=_l("This is not a valid phone number.")),
        ],
    )
    display_name = StringField(
        _l("The villager's name"),
        validators=[
            DataRequired(_l("Enter the villager's name.")),
            Length(max=NAME_MAX, message=_l("A name can have at most %(max)d characters.")),
        ],
    )
    shop_name = StringField(
        _l("Shop name"),
        validators=[
            DataRequired(_l("Enter a shop name.")),
            Length(max=SHOP_NAME_MAX, message=_l("A shop name can have at most %(max)d characters.")),
        ],
    )
    commune_id = commune_field()
    story = TextAreaField(
        _l("Their story (what they grow or make, and how)"),
        validators=[Length(max=STORY_MAX, message=_l("The story can have at most %(max)d characters."))],
    )
    consent = BooleanField(_l("The villager agreed that I create this shop and act for them"))

    def __init__(self, *args, communes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.commune_id.choices = commune_choices(communes)


class AssistedListingForm(ListingForm):
    consent = BooleanField(_l("The villager agreed that I list this product for them"))


class LocalRadio(RadioField):
    """A radio group whose "not a valid choice" error speaks the user's language."""

    def pre_validate(self, form):
        if self.data not in {getattr(choice, "value", None) or choice[0] for choice in self.choices}:
            raise ValidationError(_l("Choose one of the options."))


class PhoneOrderForm(AddressForm):
    """The caller's phone and name are also the receiver's (``orders.phone``): no separate receiver fields."""

    ship_name = None
    ship_phone = None
    product_id = ChoiceField(_l("Product"), coerce=int, validators=[InputRequired(_l("Choose a product."))])
    qty = StringField(_l("Quantity"), default="1", render_kw={"inputmode": "numeric", "autocomplete": "off"})
    buyer_phone = PhoneField(
        _l("Caller's mobile number"),
        validators=[
            DataRequired(_l("Enter the buyer's phone number.")),
            Length(max=32, message=_l("This is not a valid phone number.")),
        ],
    )
    buyer_name = StringField(
        _l("Caller's name"),
        render_kw={"autocomplete": "off"},
        validators=[
            DataRequired(_l("Enter the caller's name.")),
            Length(max=NAME_MAX, message=_l("A name can have at most %(max)d characters.")),
        ],
    )
    method = LocalRadio(_l("How will the buyer pay?"), validators=[InputRequired(_l("Choose how the buyer will pay."))])
    acting_for = LocalRadio(
        _l("Who asked you?"),
        choices=[
            SelectChoice("buyer", _l("The buyer phoned me")),
            SelectChoice("seller", _l("The seller (a villager) asked me")),
        ],
        default="buyer",
        validators=[InputRequired(_l("Choose who asked you to place this order."))],
    )
    consent = BooleanField(_l("The person I am acting for agreed to this order"))
    confirm_duplicate = BooleanField(_l("Yes, this is a second order, not the same one twice"))
    key = HiddenField()

    def __init__(self, *args, products=(), methods=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.product_id.choices = [(p.id, f"{p.title} — {p.seller.shop_name}") for p in products]
        self.method.choices = [(m.name, m.label) for m in methods]
