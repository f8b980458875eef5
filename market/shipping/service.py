"""Shipping fees for checkout (the rate service registered with orders) and the shop's settings.

A shop that has never saved its shipping settings ships as before this area existed: delivery included in
its prices (fee 0, "included"), so no order total changes behind anyone's back. Once saved, its fee table
(or pick-up) decides every quote: the cart, checkout, the order a live buyer completes and the live sheet.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from market.catalog.listing_input import parse_price
from market.catalog.weight import format_kg, kg_input, parse_kg
from market.domain import DomainError
from market.extensions import db
from market.i18n import vnd
from market.orders.delivery import PICKUP, SHIP, DeliveryChoice, Destination, Fee, Parcel
from market.shipping.fees import MAX_FEE_VND, MAX_WEIGHT_G, FeeTable, parcel_grams, table_fee
from market.shipping.models import ShopShipping
from market.shipping.zones import Zone, place_key, zone_of

log = logging.getLogger(__name__)

# What the settings page proposes to a shop that has saved nothing yet (typical village-to-town rates).
SUGGESTED = {
    "fee_commune_vnd": 15_000,
    "fee_province_vnd": 25_000,
    "fee_elsewhere_vnd": 35_000,
    "extra_commune_vnd": 2_000,
    "extra_province_vnd": 4_000,
    "extra_elsewhere_vnd": 6_000,
    "base_weight_g": 2000,
    "item_weight_g": 1000,
    "free_above_vnd": None,
    "pickup_enabled": False,
    "pickup_note": "",
    "transfer_after_refusals": None,
    "quote_carrier": None,
}
ZONES = (Zone.COMMUNE, Zone.PROVINCE, Zone.ELSEWHERE)


def settings_for(seller_id: int) -> ShopShipping | None:
    return db.session.scalar(sa.select(ShopShipping).where(ShopShipping.seller_id == seller_id))


def table_of(s: ShopShipping) -> FeeTable:
    return FeeTable(
        fees={Zone.COMMUNE: s.fee_commune_vnd, Zone.PROVINCE: s.fee_province_vnd, Zone.ELSEWHERE: s.fee_elsewhere_vnd},
        extras={
            Zone.COMMUNE: s.extra_commune_vnd or 0,
            Zone.PROVINCE: s.extra_province_vnd or 0,
            Zone.ELSEWHERE: s.extra_elsewhere_vnd or 0,
        },
        base_weight_g=s.base_weight_g,
        item_weight_g=s.item_weight_g,
        free_above_vnd=s.free_above_vnd,
    )


def zone_label(zone: Zone) -> str:
    return {Zone.COMMUNE: _("same commune"), Zone.PROVINCE: _("same province"), Zone.ELSEWHERE: _("other provinces")}[
        zone
    ]


# ---- the carrier's quote at checkout -------------------------------------------------------------------------
# Answers kept per process: a cart page rendered again, checkout, "update shipping" do not each call the carrier.
# A failure is kept a shorter while, so a carrier that is down costs one wait a minute per parcel, not one a page.
QUOTE_TTL = 600.0
FAILURE_TTL = 60.0
CACHE_MAX = 2000


@dataclass(frozen=True)
class CarrierAnswer:
    carrier: str
    fee_vnd: int | None  # None: no quote (``failure`` says why, for the log and the label)
    failure: str = ""  # "timeout" or "error"


_answers: dict[tuple, tuple[float, CarrierAnswer]] = {}
_answers_lock = threading.Lock()


def _quote_key(seller_id: int, carrier: str, destination: Destination, parcel: Parcel) -> tuple:
    return (
        seller_id,
        carrier,
        place_key(destination.commune),
        place_key(destination.province),
        parcel.grams,
        parcel.value_vnd,
    )


def remembered(key: tuple) -> CarrierAnswer | None:
    with _answers_lock:
        kept = _answers.get(key)
        if kept is None or kept[0] <= time.monotonic():
            return None
        return kept[1]


def _remember(key: tuple, answer: CarrierAnswer) -> None:
    ttl = QUOTE_TTL if answer.fee_vnd is not None else FAILURE_TTL
    with _answers_lock:
        if len(_answers) >= CACHE_MAX:
            now = time.monotonic()
            for k in [k for k, (until, _a) in _answers.items() if until <= now] or list(_answers)[: CACHE_MAX // 4]:
                _answers.pop(k, None)
        _answers[key] = (time.monotonic() + ttl, answer)


def forget_quotes() -> None:
    """Tests: start with no remembered quote."""
    with _answers_lock:
        _answers.clear()


def quoting_account(s: ShopShipping | None):
    """The carrier account whose quote this shop's buyers pay, or None (no choice, carrier off, disconnected)."""
    from market.shipping import shipments

    if s is None or not s.quote_carrier or s.quote_carrier not in shipments.enabled_carriers():
        return None
    return shipments.account_for(s.seller_id, s.quote_carrier)


def carrier_name(carrier: str) -> str:
    return carrier.upper()  # "GHN", "GHTK": what sellers and buyers call them


class TableRates:
    """The orders area's ``ShippingRates``: the shop's fee table, or its carrier's quote when the shop chose it
    ("Báo phí theo hãng vận chuyển") — with the table as the fallback when the carrier does not answer."""

    def choices(self, seller_id: int) -> list[DeliveryChoice]:
        s = settings_for(seller_id)
        out = []
        if s is None or s.delivers:
            out.append(DeliveryChoice(SHIP, _("Delivery to my address"), ""))
        if s is not None and s.pickup_enabled:
            out.append(DeliveryChoice(PICKUP, _("Pick up at the shop"), s.pickup_note))
        return out

    def grams(self, seller_id: int, lines) -> int:
        s = settings_for(seller_id)
        return parcel_grams(lines, s.item_weight_g if s else SUGGESTED["item_weight_g"])

    def cod_refusal(self, seller_id: int, buyer_id: int) -> str | None:
        from market.shipping.boom import refusals_of

        s = settings_for(seller_id)
        if s is None or not s.transfer_after_refusals or refusals_of(buyer_id) < s.transfer_after_refusals:
            return None
        return _("This shop asks buyers who have refused cash-on-delivery parcels to pay by transfer.")

    def carrier_call(
        self, seller, destination: Destination | None, parcel: Parcel, fresh: bool
    ) -> Callable[[], None] | None:
        if destination is None or not destination.province:
            return None
        account = quoting_account(settings_for(seller.id))
        if account is None:
            return None
        key = _quote_key(seller.id, account.carrier, destination, parcel)
        if not fresh and remembered(key) is not None:
            return None
        from market.shipping import shipments
        from market.shipping.carriers import get_carrier
        from market.shipping.carriers.base import CarrierError, ParcelRequest, Place

        carrier, seller_id = account.carrier, seller.id
        try:
            creds = shipments.credentials(account)
        except DomainError:  # sealed with another SECRET_KEY: the shop must connect again (logged there)
            _remember(key, CarrierAnswer(carrier, None, "error"))
            return None
        request = ParcelRequest(
            client_code="",
            sender=Place(seller.shop_name, "", account.pickup_street, seller.commune.name, seller.commune.province),
            receiver=Place("", "", "", destination.commune, destination.province),
            grams=max(parcel.grams, 1),
            cod_vnd=0,
            value_vnd=parcel.value_vnd,
        )
        adapter = get_carrier(carrier)
        timeout = current_app.config["CARRIER_QUOTE_TIMEOUT"]

        def call() -> None:  # HTTP only: the view runs it with no transaction open
            try:
                fee = adapter.quote(creds, request, timeout=timeout)
            except CarrierError as err:
                failure = "timeout" if err.timeout else "error"
                log.warning(
                    "shipping: %s quote for seller %s to %s failed (%s: %s); the shop's table is used",
                    carrier,
                    seller_id,
                    destination.province,
                    err.code,
                    err.message,
                )
                _remember(key, CarrierAnswer(carrier, None, failure))
            else:
                _remember(key, CarrierAnswer(carrier, fee))

        return call

    def fee(self, seller, destination: Destination | None, parcel: Parcel, option: str) -> Fee:
        s = settings_for(seller.id)
        if option == PICKUP:
            if s is None or not s.pickup_enabled:
                return Fee(
                    PICKUP, None, _("Pick up at the shop"), _("%(shop)s does not offer pick-up.", shop=seller.shop_name)
                )
            return Fee(PICKUP, 0, _("Pick up at the shop"))
        if s is None:
            return Fee(SHIP, 0, _("Included in the price"))
        if not s.delivers:
            return Fee(
                SHIP,
                None,
                _("Delivery"),
                _("%(shop)s does not deliver: choose pick-up at the shop.", shop=seller.shop_name),
            )
        account = quoting_account(s)
        if account is None:
            if not s.has_table:  # it quoted by a carrier now disconnected or switched off
                return Fee(
                    SHIP,
                    None,
                    _("Delivery"),
                    _("%(shop)s does not deliver: choose pick-up at the shop.", shop=seller.shop_name),
                )
            return self._table(seller, s, destination, parcel)
        table = table_of(s)
        if destination is None or not destination.province:
            return Fee(SHIP, None, _("by %(carrier)s, depending on the address", carrier=carrier_name(account.carrier)))
        answer = remembered(_quote_key(seller.id, account.carrier, destination, parcel))
        if answer is not None and answer.fee_vnd is not None:
            if table.free_above_vnd is not None and parcel.value_vnd >= table.free_above_vnd:
                return Fee(SHIP, 0, _("Free for orders from %(amount)s", amount=vnd(table.free_above_vnd)))
            return Fee(
                SHIP,
                answer.fee_vnd,
                _(
                    "%(carrier)s's fee, about %(kg)s",
                    carrier=carrier_name(account.carrier),
                    kg=format_kg(max(parcel.grams, 1)),
                ),
            )
        if answer is None:  # nobody asked before this quote (a page that does not ask carriers): the table
            log.info(
                "shipping: no %s quote for seller %s to %s; the shop's table is used",
                account.carrier,
                seller.id,
                destination.province,
            )
        fallback = self._table(seller, s, destination, parcel) if s.has_table else None
        if fallback is not None and fallback.ok:
            return Fee(
                SHIP,
                fallback.fee_vnd,
                _(
                    "%(label)s — the shop's table (%(carrier)s gave no fee just now)",
                    label=fallback.label,
                    carrier=carrier_name(account.carrier),
                ),
            )
        problem = _(
            "%(carrier)s could not give a shipping fee to this address just now, and %(shop)s has no fee "
            "of its own for it. Try again in a few minutes.",
            carrier=carrier_name(account.carrier),
            shop=seller.shop_name,
        )
        if s.pickup_enabled:
            problem += " " + _("You can pick up at the shop.")
        return Fee(SHIP, None, _("Delivery"), problem)

    def _table(self, seller, s: ShopShipping, destination: Destination | None, parcel: Parcel) -> Fee:
        """The shop's own fee table."""
        table = table_of(s)
        if destination is None or not destination.province:
            known = [f for f in table.fees.values() if f is not None]
            return Fee(SHIP, None, _("from %(fee)s, depending on the address", fee=vnd(min(known))))
        zone = zone_of(seller.commune.name, seller.commune.province, destination.commune, destination.province)
        fee = table_fee(table, zone, parcel.grams, parcel.value_vnd)
        if fee is None:
            problem = _("%(shop)s does not deliver to %(place)s.", shop=seller.shop_name, place=destination.province)
            if s.pickup_enabled:
                problem += " " + _("You can pick up at the shop.")
            log.info("shipping: seller %s does not deliver to zone %s", seller.id, zone)
            return Fee(SHIP, None, _("Delivery"), problem)
        if fee == 0 and table.free_above_vnd is not None and parcel.value_vnd >= table.free_above_vnd:
            return Fee(SHIP, 0, _("Free for orders from %(amount)s", amount=vnd(table.free_above_vnd)))
        return Fee(
            SHIP,
            fee,
            _("%(zone)s, about %(kg)s", zone=zone_label(zone).capitalize(), kg=format_kg(max(parcel.grams, 1))),
        )


# ---- the shop's settings page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingsInput:
    values: dict


def parse_money(raw, field: str, *, allow_blank: bool, maximum: int = MAX_FEE_VND) -> int | None:
    """A fee as people type it ("25.000", "25k", "0"); blank is None where that means "not offered"."""
    text = (raw or "").strip() if isinstance(raw, str) else ("" if raw is None else str(raw))
    if not text:
        if allow_blank:
            return None
        raise DomainError("invalid", _("Enter an amount in đồng, or 0."), field=field)
    if text.replace(".", "").replace(" ", "") in ("0", "0đ", "0d"):
        return 0
    try:
        value = parse_price(text)
    except DomainError as err:
        raise DomainError("invalid", err.message, field=field) from None
    if value > maximum:
        raise DomainError("invalid", _("At most %(max)s. Check the zeros.", max=vnd(maximum)), field=field)
    return value


def clean_settings(raw: Mapping, connected: tuple[str, ...] = ()) -> dict:
    """The settings form's values, checked; a refusal names its field. Nothing is written here.

    ``connected``: the carriers the shop has connected (and the site has on), whose quote it may choose."""
    values: dict = {}
    for zone in ZONES:
        values[f"fee_{zone}_vnd"] = parse_money(raw.get(f"fee_{zone}_vnd"), f"fee_{zone}_vnd", allow_blank=True)
        values[f"extra_{zone}_vnd"] = (
            parse_money(raw.get(f"extra_{zone}_vnd"), f"extra_{zone}_vnd", allow_blank=True) or 0
        )
    values["base_weight_g"] = parse_kg(
        raw.get("base_weight_kg"), "base_weight_kg", minimum_g=100, maximum_g=MAX_WEIGHT_G
    )
    values["item_weight_g"] = parse_kg(raw.get("item_weight_kg"), "item_weight_kg", minimum_g=1, maximum_g=MAX_WEIGHT_G)
    values["free_above_vnd"] = parse_money(
        raw.get("free_above_vnd"), "free_above_vnd", allow_blank=True, maximum=1_000_000_000
    )
    if values["free_above_vnd"] == 0:
        values["free_above_vnd"] = None
    values["pickup_enabled"] = bool(raw.get("pickup_enabled"))
    note = " ".join(str(raw.get("pickup_note") or "").split())
    if len(note) > 200:
        raise DomainError("invalid", _("At most %(max)d characters.", max=200), field="pickup_note")
    values["pickup_note"] = note
    refusals = str(raw.get("transfer_after_refusals") or "").strip()
    if refusals and (not refusals.isdecimal() or len(refusals) > 2 or not 1 <= int(refusals) <= 20):
        raise DomainError(
            "invalid", _("Choose a number from 1 to 20, or leave it empty."), field="transfer_after_refusals"
        )
    values["transfer_after_refusals"] = int(refusals) if refusals else None
    quote_carrier = str(raw.get("quote_carrier") or "").strip()
    if quote_carrier and quote_carrier not in connected:
        raise DomainError("invalid", _("Connect this carrier first."), field="quote_carrier")
    values["quote_carrier"] = quote_carrier or None
    if values["pickup_enabled"] and not note:
        raise DomainError("invalid", _("Say where and when buyers can collect their goods."), field="pickup_note")
    if all(values[f"fee_{z}_vnd"] is None for z in ZONES) and not values["pickup_enabled"] and not quote_carrier:
        raise DomainError(
            "invalid", _("Enter a fee for at least one zone, or offer pick-up at the shop."), field="fee_commune_vnd"
        )
    return values


def save_settings(seller_id: int, values: dict) -> ShopShipping:
    row = settings_for(seller_id) or ShopShipping(seller_id=seller_id)
    for key, value in values.items():
        setattr(row, key, value)
    db.session.add(row)
    db.session.flush()
    return row


def form_values(seller_id: int) -> dict:
    """What the settings form shows: the saved settings, or the suggestion."""
    s = settings_for(seller_id)
    source = {k: getattr(s, k) for k in SUGGESTED} if s is not None else dict(SUGGESTED)
    out = {}
    for key, value in source.items():
        if key.endswith("_weight_g"):
            out[key.replace("_weight_g", "_weight_kg")] = kg_input(value)
        elif key in ("transfer_after_refusals", "quote_carrier"):
            out[key] = "" if value is None else str(value)
        elif key.endswith("_vnd"):
            out[key] = "" if value is None else f"{value:,}".replace(",", ".")
        else:
            out[key] = value
    return out
