"""Vietnamese-aware text helpers: folding diacritics for search and slugs, and cleaning user text."""

from __future__ import annotations

import re
import unicodedata

_EXTRA = str.maketrans({"đ": "d", "Đ": "D"})  # đ has no combining form, so NFD leaves it alone
_NON_SLUG = re.compile(r"[^a-z0-9]+")
# Control and bidi-override characters, and lone UTF-16 surrogates (JSON's "\ud800" decodes to one; it can
# be neither stored nor shown: the database driver's UTF-8 encoding refuses it).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SPACES = re.compile(r"[ \t\u00a0]+")


def fold(text: str) -> str:
    """Lower-case ``text`` and strip Vietnamese diacritics: "Sầu Riêng Đắk Lắk" → "sau rieng dak lak"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", stripped).casefold()


def unaccent(text: str) -> str:
    """``text`` without Vietnamese diacritics, case kept: "Sầu riêng Đắk Lắk" → "Sau rieng Dak Lak"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA))
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn"))


def slugify(text: str, max_length: int = 80) -> str:
    slug = _NON_SLUG.sub("-", fold(text)).strip("-")
    return slug[:max_length].rstrip("-") or "x"


def clean_line(text: str | None) -> str:
    """One line of user text: NFC, no control or bidi-override characters, single spaces, trimmed."""
    if text is None:
        return ""
    text = unicodedata.normalize("NFC", str(text))
    text = _CONTROL.sub("", text).replace("\r", " ").replace("\n", " ")
    return _SPACES.sub(" ", text).strip()


def clean_text(text: str | None) -> str:
    """Multi-line user text: like ``clean_line`` but keeps line breaks (at most two in a row)."""
    if text is None:
        return ""
    text = unicodedata.normalize("NFC", str(text)).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", _CONTROL.sub("", line)).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A spreadsheet-safe CSV cell: text a spreadsheet would run as a formula (=, +, -, @ and control characters
    at the start) gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
