from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from market.accounts.forms import PhoneField

NAME_MAX, STREET_MAX, PLACE_MAX = 80, 200, 120
REASON_MAX, COMMENT_MAX = 500, 1000


class WholeNumberField(IntegerField):
    """An integer field whose "not a number" error speaks the user's language."""

    def process_formdata(self, valuelist):
        if valuelist:
            raw = (valuelist[0] or "").strip()
            try:
                self.data = int(raw)
            except ValueError:
                self.data = None
                raise ValueError(_l("Enter a whole number.")) from None


class LocalRadioField(RadioField):
    def pre_validate(self, form):
        if self.data not in {value for value, _label in self.choices}:
            raise ValidationError(_l("Choose one of the options."))


class AddressForm(FlaskForm):
    ship_name = StringField(
        _l("Receiver's name"),
        validators=[
            DataRequired(_l("Enter the receiver's name.")),
            Length(max=NAME_MAX, message=_l("At most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "name"},
    )
    ship_phone = PhoneField(
        _l("Receiver's phone"),
        validators=[
            DataRequired(_l("Enter a phone number for the delivery.")),
            Length(max=32, message=_l("This is not a valid phone number.")),
        ],
    )
    ship_street = StringField(
        _l("House number, street, village"),
        validators=[
            DataRequired(_l("Enter the street address.")),
            Length(max=STREET_MAX, message=_l("At most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "street-address"},
    )
    ship_commune = StringField(
        _l("Commune or ward"),
        validators=[Optional(), Length(max=PLACE_MAX, message=_l("At most %(max)d characters."))],
        render_kw={"autocomplete": "address-level3"},
    )
    ship_province = StringField(
        _l("Province or city"),
        validators=[
            DataRequired(_l("Enter the province or city.")),
            Length(max=PLACE_MAX, message=_l("At most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "address-level1"},
    )


class CheckoutForm(AddressForm):
    attempt = HiddenField()


class CompleteOrderForm(AddressForm):
    method = LocalRadioField(_l("How will you pay?"), validators=[InputRequired(_l("Choose how you will pay."))])


class ChangeMethodForm(FlaskForm):
    method = LocalRadioField(_l("How will you pay?"), validators=[InputRequired(_l("Choose how you will pay."))])


class AddToCartForm(FlaskForm):
    product_id = HiddenField()
    qty = WholeNumberField(
        _l("Quantity"),
        default=1,
        validators=[
            InputRequired(_l("Enter a quantity.")),
            NumberRange(min=1, max=100_000, message=_l("Enter 1 to 100,000.")),
        ],
        render_kw={"inputmode": "numeric", "min": 1},
    )


class CartQtyForm(FlaskForm):
    qty = WholeNumberField(
        _l("Quantity"),
        validators=[
            InputRequired(_l("Enter a quantity.")),
            NumberRange(min=0, max=100_000, message=_l("Enter 0 to 100,000.")),
        ],
        render_kw={"inputmode": "numeric", "min": 0},
    )


class ReasonForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (the other side will read it)"),
        validators=[Length(max=REASON_MAX, message=_l("At most %(max)d characters."))],
    )


class ShipForm(FlaskForm):
    carrier = StringField(
        _l("Carrier"),
        validators=[
            DataRequired(_l("Enter the carrier (e.g. Viettel Post, GHN, or the seller's own motorbike).")),
            Length(max=60, message=_l("At most %(max)d characters.")),
        ],
    )
    tracking_code = StringField(
        _l("Tracking code"), validators=[Optional(), Length(max=60, message=_l("At most %(max)d characters."))]
    )


class ReviewForm(FlaskForm):
    rating = LocalRadioField(_l("Your rating"), validators=[InputRequired(_l("Choose 1 to 5 stars."))])
    comment = TextAreaField(
        _l("Comment (optional)"), validators=[Length(max=COMMENT_MAX, message=_l("At most %(max)d characters."))]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rating.choices = [(str(i), str(i)) for i in range(5, 0, -1)]
