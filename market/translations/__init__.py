"""Vietnamese catalogues: one in this folder for the shared pages, and one per area in
``market/<area>/translations/vi/LC_MESSAGES/messages.po`` so areas never edit each other's catalogue.
Flask-Babel merges them. ``python -m market.translations.missing`` prints every string that still lacks
Vietnamese as PO entries, ready to translate and append to the area's catalogue.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent


def catalogue_dirs() -> list[Path]:
    dirs = [PACKAGE / "translations"]
    dirs += sorted(p for p in PACKAGE.glob("*/translations") if p.is_dir() and p != PACKAGE / "translations")
    return dirs


def compile_stale() -> list[Path]:
    """Compile each catalogue whose ``.mo`` is missing or older than its ``.po`` (as ``make install`` does with
    pybabel); returns the ``.mo`` files written. Each is written beside and renamed into place, so a process
    reading it (another test worker) never sees half a file. A catalogue marked fuzzy as a whole is skipped,
    and fuzzy entries are left out, as pybabel does."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for folder in catalogue_dirs():
        for po in sorted(folder.glob("*/LC_MESSAGES/messages.po")):
            mo = po.with_suffix(".mo")
            if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            with po.open("rb") as f:
                catalog = read_po(f, locale=po.parent.parent.name)
            if catalog.fuzzy:
                continue
            partial = mo.with_name(f".{mo.name}.{os.getpid()}")
            with partial.open("wb") as f:
                write_mo(f, catalog, use_fuzzy=False)
            os.replace(partial, mo)
            written.append(mo)
    return written
