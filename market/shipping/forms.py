from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, StringField

from market.catalog.forms import LooseSelectField

_MONEY = {"inputmode": "numeric", "autocomplete": "off"}
_KG = {"inputmode": "decimal", "autocomplete": "off"}


class ShippingSettingsForm(FlaskForm):
    """Amounts are typed the Vietnamese way ("25.000", "25k") and checked by ``service.clean_settings``."""

    fee_commune_vnd = StringField(_l("Same commune as the shop"), render_kw=_MONEY)
    extra_commune_vnd = StringField(_l("Each extra kg, same commune"), render_kw=_MONEY)
    fee_province_vnd = StringField(_l("Same province"), render_kw=_MONEY)
    extra_province_vnd = StringField(_l("Each extra kg, same province"), render_kw=_MONEY)
    fee_elsewhere_vnd = StringField(_l("Other provinces"), render_kw=_MONEY)
    extra_elsewhere_vnd = StringField(_l("Each extra kg, other provinces"), render_kw=_MONEY)
    base_weight_kg = StringField(_l("The fee covers up to (kg)"), render_kw=_KG)
    item_weight_kg = StringField(_l("Weight of one item that states none (kg)"), render_kw=_KG)
    free_above_vnd = StringField(_l("Free shipping for orders from (đồng)"), render_kw=_MONEY)
    pickup_enabled = BooleanField(_l("Buyers may pick up at the shop"))
    pickup_note = StringField(_l("Where and when to pick up"), render_kw={"maxlength": 200})
    transfer_after_refusals = StringField(
        _l("Ask for a transfer instead of cash from buyers who refused this many cash-on-delivery parcels"),
        render_kw={"inputmode": "numeric"},
    )
    # choices: "" (the table) and the shop's connected carriers, set by the view; checked by clean_settings
    quote_carrier = LooseSelectField(_l("Shipping fee buyers pay"), choices=[SelectChoice("", "")])


class CarrierAccountForm(FlaskForm):
    token = StringField(_l("API token"), render_kw={"autocomplete": "off", "spellcheck": "false"})
    account = StringField(_l("Shop ID"), render_kw={"autocomplete": "off", "spellcheck": "false"})
    pickup_street = StringField(_l("Pick-up address (house number, street, village)"), render_kw={"maxlength": 200})


class CarrierChoiceForm(FlaskForm):
    """Only the CSRF token: the carrier comes from the form's radio buttons or the address."""
