from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from market.accounts.forms import ChoiceField, PhoneField
from market.accounts.service import NAME_MAX, SHOP_NAME_MAX, STORY_MAX
from market.catalog.forms import ListingForm
from market.moderation.audit import REASON_MAX
from market.moderation.reports.service import TEXT_MAX
from market.orders.forms import AddressForm


def _reason_field(label, required: bool):
    validators = [Length(max=REASON_MAX, message=_l("A reason can have at most %(max)d characters."))]
    if required:
        validators.insert(0, DataRequired(_l("Give a reason; the seller will see it.")))
    return TextAreaField(label, validators=validators, render_kw={"maxlength": REASON_MAX, "rows": 3})


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class SuspendForm(FlaskForm):
    reason = _reason_field(_l("Reason (the seller will read it)"), required=True)


class OptionalReasonForm(FlaskForm):
    reason = _reason_field(_l("Note (optional)"), required=False)


class BanForm(FlaskForm):
    reason = TextAreaField(_l("Reason (the person will read it)"),
                           validators=[DataRequired(_l("Give a reason; the person will see it.")),
                                       Length(max=REASON_MAX,
                                              message=_l("A reason can have at most %(max)d characters."))],
                           render_kw={"maxlength": REASON_MAX, "rows": 3})


class OutcomeField(RadioField):
    """WTForms' own "Not a valid choice" is English; say it in the user's language."""

    def pre_validate(self, form):
        if self.data not in {choice.value for choice in self.choices}:
            raise ValidationError(_l("Choose resolved or dismissed."))


class CloseReportForm(FlaskForm):
    outcome = OutcomeField(_l("Outcome"), choices=[SelectChoice("resolved", _l("Resolved: we acted on it")),
                                                   SelectChoice("dismissed", _l("Dismissed: nothing wrong found"))],
                         validators=[InputRequired(_l("Choose resolved or dismissed."))])
    note = TextAreaField(_l("Note to the person who reported it"),
                         validators=[DataRequired(_l("Write a note; the person who reported it will read it.")),
                                     Length(max=REASON_MAX,
                                            message=_l("A reason can have at most %(max)d characters."))],
                         render_kw={"maxlength": REASON_MAX, "rows": 3})


class ReportForm(FlaskForm):
    category = ChoiceField(_l("What is wrong?"), placeholder=_l("— Choose one —"),
                           validators=[InputRequired(_l("Choose what is wrong from the list."))])
    text = TextAreaField(_l("Tell us more (optional)"),
                         validators=[Length(max=TEXT_MAX, message=_l("Write at most %(max)d characters."))],
                         render_kw={"maxlength": TEXT_MAX, "rows": 4})

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = list(categories)


class AssistedSellerForm(FlaskForm):
    phone = PhoneField(_l("The villager's phone number"),
                       validators=[DataRequired(_l("Enter the villager's phone number.")),
                                   Length(max=32, message=_l("This is not a valid phone number."))])
    display_name = StringField(_l("The villager's name"),
                               validators=[DataRequired(_l("Enter the villager's name.")),
                                           Length(max=NAME_MAX,
                                                  message=_l("A name can have at most %(max)d characters."))])
    shop_name = StringField(_l("Shop name"),
                            validators=[DataRequired(_l("Enter a shop name.")),
                                        Length(max=SHOP_NAME_MAX,
                                               message=_l("A shop name can have at most %(max)d characters."))])
    commune_id = ChoiceField(_l("Commune"), coerce=int,
                             validators=[InputRequired(_l("Choose a commune from the list."))])
    story = TextAreaField(_l("Their story (what they grow or make, and how)"),
                          validators=[Length(max=STORY_MAX,
                                             message=_l("The story can have at most %(max)d characters."))])
    consent = BooleanField(_l("The villager agreed that I create this shop and act for them"))

    def __init__(self, *args, communes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.commune_id.choices = [(c.id, f"{c.name} — {c.province}") for c in communes]


class AssignStaffForm(FlaskForm):
    phone = PhoneField(_l("Phone number of the staff member"),
                       validators=[DataRequired(_l("Enter the phone number of the staff member.")),
                                   Length(max=32, message=_l("This is not a valid phone number."))])
    commune_id = ChoiceField(_l("Commune"), coerce=int,
                             validators=[InputRequired(_l("Choose a commune from the list."))])

    def __init__(self, *args, communes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.commune_id.choices = [(c.id, f"{c.name} — {c.province}") for c in communes]


# ---- listings, OCOP, live chat, helpers acting for villagers -------------------------------------------

class LocalRadio(RadioField):
    """A radio group whose "not a valid choice" error speaks the user's language."""

    def pre_validate(self, form):
        if self.data not in {getattr(choice, "value", None) or choice[0] for choice in self.choices}:
            raise ValidationError(_l("Choose one of the options."))


class RejectListingForm(FlaskForm):
    """A common reason from the short list, or typed, or both (the service requires at least one)."""

    reason_code = RadioField(_l("Reason"), validate_choice=False)
    reason = TextAreaField(_l("In your own words (the seller will read it)"),
                           render_kw={"maxlength": REASON_MAX, "rows": 3})

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.reason_code.choices = list(choices)


class OcopVerifyForm(FlaskForm):
    certificate_no = StringField(_l("Certificate number"), render_kw={"autocomplete": "off", "maxlength": 60})
    stars = ChoiceField(_l("Level on the certificate"), coerce=str, validate_choice=False)
    issued_on = StringField(_l("Issue date"), render_kw={"type": "date"})

    def __init__(self, *args, levels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.stars.choices = [("", _l("Choose…"))] + [(str(n), label) for n, label in levels]


class RequiredReasonForm(FlaskForm):
    """A reason people will read, required (the service says so beside the field)."""

    reason = TextAreaField(_l("Reason"), render_kw={"maxlength": REASON_MAX, "rows": 3})


class FilterWordForm(FlaskForm):
    word = StringField(_l("Word or phrase to block"), render_kw={"autocomplete": "off", "maxlength": 60})
    commune_id = ChoiceField(_l("Commune"), coerce=int,
                             validators=[InputRequired(_l("Choose a commune from the list."))])

    def __init__(self, *args, communes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.commune_id.choices = [(c.id, f"{c.name} — {c.province}") for c in communes]


class AssistedListingForm(ListingForm):
    consent = BooleanField(_l("The villager agreed that I list this product for them"))


class PhoneOrderForm(AddressForm):
    """The caller's phone and name are also the receiver's (``orders.phone``): no separate receiver fields."""

    ship_name = None
    ship_phone = None
    product_id = ChoiceField(_l("Product"), coerce=int, validators=[InputRequired(_l("Choose a product."))])
    qty = StringField(_l("Quantity"), default="1", render_kw={"inputmode": "numeric", "autocomplete": "off"})
    buyer_phone = PhoneField(_l("Caller's mobile number"),
                             validators=[DataRequired(_l("Enter the buyer's phone number.")),
                                         Length(max=32, message=_l("This is not a valid phone number."))])
    buyer_name = StringField(_l("Caller's name"), render_kw={"autocomplete": "off"}, validators=[
        DataRequired(_l("Enter the caller's name.")),
        Length(max=NAME_MAX, message=_l("A name can have at most %(max)d characters."))])
    method = LocalRadio(_l("How will the buyer pay?"),
                        validators=[InputRequired(_l("Choose how the buyer will pay."))])
    acting_for = LocalRadio(_l("Who asked you?"), choices=[
        SelectChoice("buyer", _l("The buyer phoned me")),
        SelectChoice("seller", _l("The seller (a villager) asked me"))],
                            default="buyer",
                            validators=[InputRequired(_l("Choose who asked you to place this order."))])
    consent = BooleanField(_l("The person I am acting for agreed to this order"))
    confirm_duplicate = BooleanField(_l("Yes, this is a second order, not the same one twice"))
    key = HiddenField()

    def __init__(self, *args, products=(), methods=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.product_id.choices = [(p.id, f"{p.title} — {p.seller.shop_name}") for p in products]
        self.method.choices = [(m.name, m.label) for m in methods]
