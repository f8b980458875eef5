"""Language choice and how money, numbers and dates are shown."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from babel.numbers import format_currency, format_decimal
from flask import current_app, g, has_request_context, request, session
from flask_babel import format_datetime, get_locale
from flask_login import current_user


def select_locale() -> str:
    """The signed-in user's choice, else this visitor's, else Vietnamese."""
    languages: list[str] = current_app.config["LANGUAGES"]
    default: str = current_app.config["BABEL_DEFAULT_LOCALE"]
    forced: str | None = getattr(g, "force_locale", None)
    if forced in languages:
        return forced
    if not has_request_context():  # CLI, background tasks: Vietnamese unless told otherwise
        return default
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        user_locale: str = current_user.locale
        return user_locale
    chosen: str | None = session.get("lang")
    if chosen in languages:
        return chosen
    asked = request.args.get("lang")
    if asked in languages:
        return asked
    return default


def vnd(amount: int | None) -> str:
    """125000 → "125.000 ₫" in Vietnamese, "₫125,000" in English: đồng have no minor unit."""
    if amount is None:
        return ""
    return format_currency(int(amount), "VND", locale=str(get_locale()), currency_digits=True)


def number(value: int | float | None) -> str:
    if value is None:
        return ""
    return format_decimal(value, locale=str(get_locale()))


def format_kg(grams: int | None, unit: bool = True) -> str:
    """3200 (grams) → "3,2 kg" in Vietnamese, "3.2 kg" in English."""
    if grams is None:
        return ""
    value = (Decimal(int(grams)) / 1000).normalize()
    text = format_decimal(value, format="#,##0.###", locale=str(get_locale()))
    return f"{text} kg" if unit else text


def when(value: datetime | None, fmt: str = "short") -> str:
    if value is None:
        return ""
    return format_datetime(value, fmt)
