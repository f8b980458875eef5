"""Vietnamese catalogues: one in this folder for the shared pages, and one per area in
``market/<area>/translations/vi/LC_MESSAGES/messages.po`` so areas never edit each other's catalogue.
Flask-Babel merges them. ``python -m market.translations.missing`` prints every string that still lacks
Vietnamese as PO entries, ready to translate and append to the area's catalogue.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent


def catalogue_dirs() -> list[Path]:
    dirs = [PACKAGE / "translations"]
    dirs += sorted(p for p in PACKAGE.glob("*/translations") if p.is_dir() and p != PACKAGE / "translations")
    return dirs
