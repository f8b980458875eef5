"""Print the strings of the code and templates that no Vietnamese catalogue translates yet (PO format).

Usage: python -m market.translations.missing [--count]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po

from market.translations import PACKAGE, catalogue_dirs

ROOT = PACKAGE.parent


def _id(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def wanted_messages():
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        subprocess.run(
            [
                Path(sys.executable).parent / "pybabel",
                "extract",
                "-F",
                "market/translations/babel.cfg",
                "-k",
                "_l",
                "-k",
                "lazy_gettext",
                "-o",
                str(pot),
                "market",
                "templates",
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        with open(pot, "rb") as fh:
            return [m for m in read_po(fh) if m.id]


def translated_ids() -> set[str]:
    done: set[str] = set()
    for directory in catalogue_dirs():
        po = directory / "vi" / "LC_MESSAGES" / "messages.po"
        if po.exists():
            with open(po, "rb") as fh:
                done |= {_id(m) for m in read_po(fh, locale="vi") if m.id and m.string and not m.fuzzy}
    return done


def missing_messages():
    done = translated_ids()
    return [m for m in wanted_messages() if _id(m) not in done]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def main() -> None:
    missing = missing_messages()
    if "--count" in sys.argv:
        print(len(missing))
        return
    for m in missing:
        where = ", ".join(f"{f}:{n}" for f, n in m.locations[:2])
        print(f"#: {where}")
        if isinstance(m.id, tuple):
            print(f'msgid {_quote(m.id[0])}\nmsgid_plural {_quote(m.id[1])}\nmsgstr[0] ""\n')
        else:
            print(f'msgid {_quote(m.id)}\nmsgstr ""\n')


if __name__ == "__main__":
    main()
