"""Vietnamese banks and their NAPAS BIN codes (data/vn_banks.csv, compiled from public VietQR lists)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "vn_banks.csv"


@dataclass(frozen=True)
class Bank:
    short_name: str
    bin: str
    name_vi: str


@cache
def banks() -> tuple[Bank, ...]:
    with open(DATA, newline="", encoding="utf-8") as fh:
        rows = [Bank(r["short_name"].strip(), r["bin"].strip(), r["name_vi"].strip()) for r in csv.DictReader(fh)]
    return tuple(sorted(rows, key=lambda b: b.short_name.casefold()))


def bank_by_bin(bin_code: str | None) -> Bank | None:
    return next((b for b in banks() if b.bin == bin_code), None)
