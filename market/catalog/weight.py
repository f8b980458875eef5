"""Kilograms as people type and read them, kept as whole grams (no floats, like money in đồng).

Vietnamese writes a decimal comma and groups thousands with dots: "3,2" is three point two kilograms and
"1.200" is one thousand two hundred. A dot followed by anything other than groups of three digits is read as a
decimal point too ("3.25"), because phones often offer only the dot. Whatever was read is shown back to the
person in the refusal, so a misreading is caught before anything is written.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import gettext as _

from market.domain import DomainError, ErrorCode
from market.i18n import format_kg  # how kilograms are shown lives beside money and numbers
from market.text import clean_line, fold

__all__ = ["GRAMS_PER_KG", "format_kg", "kg_input", "parse_kg", "round_div"]

GRAMS_PER_KG = 1000
_NUMBER = re.compile(r"^(\d[\d.,]*)(kg|kgs|ki lo|kilo|ky|ki|kilogram)?$")
_GROUPED = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")  # 1.200, 12.500.000 or 1.200,5: thousands (and a decimal)


def parse_kg(raw: object, field: str, *, minimum_g: int, maximum_g: int) -> int:
    """Grams from what was typed ("3", "3,2", "3.25 kg", "1.200"); refuses words, negatives, zero, absurd sizes
    and more than gram precision."""
    if isinstance(raw, bool):
        raw = None
    if isinstance(raw, int):
        text = str(raw)
    else:
        text = fold(clean_line(raw if isinstance(raw, str) else "")).replace(" ", "")
    if not text:
        raise DomainError(ErrorCode.INVALID, _("Enter the weight in kilograms, such as 3,2."), field=field)
    if text[0] in "-−–":
        raise DomainError(ErrorCode.INVALID, _("A weight cannot be negative."), field=field)
    match = _NUMBER.match(text)
    if not match:
        raise DomainError(ErrorCode.INVALID, _("Enter the weight in kilograms, such as 3,2."), field=field)
    number = match.group(1)
    if _GROUPED.match(number):
        value = Decimal(number.replace(".", "").replace(",", "."))
    elif number.count(",") + number.count(".") > 1:
        raise DomainError(ErrorCode.INVALID, _("Enter the weight in kilograms, such as 3,2."), field=field)
    else:
        value = Decimal(number.replace(",", "."))
    exact = value * GRAMS_PER_KG
    if exact != exact.to_integral_value():
        raise DomainError(ErrorCode.INVALID, _("Give the weight to the gram at most (3 decimals)."), field=field)
    grams = int(exact)
    if grams <= 0:
        raise DomainError(ErrorCode.INVALID, _("A weight must be more than 0 kg."), field=field)
    if grams < minimum_g:
        raise DomainError(ErrorCode.INVALID, _("This must be at least %(kg)s.", kg=format_kg(minimum_g)), field=field)
    if grams > maximum_g:
        raise DomainError(
            ErrorCode.INVALID,
            _("%(kg)s is too much: at most %(max)s. Check the zeros.", kg=format_kg(grams), max=format_kg(maximum_g)),
            field=field,
        )
    return grams


def kg_input(grams: int | None) -> str:
    """Grams as a form shows them back for editing ("3,2", "1200"): the reader's decimal mark, no grouping."""
    if not grams:
        return ""
    value = (Decimal(int(grams)) / GRAMS_PER_KG).normalize()
    return format_decimal(value, format="0.###", locale=str(get_locale()))


def round_div(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, in whole numbers (money never goes through floats)."""
    return int((Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
