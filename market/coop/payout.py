"""The payout report of a lot for a period: per household, kilograms sold, gross, costs, net, and how to pay.

- **Kilograms and gross** come from the allocation (allocation.py): the slices of sales delivered in the period
  (whole days in Asia/Ho_Chi_Minh), each with its share of the line's money.
- **Platform fee**: ``PLATFORM_FEE_BPS`` (basis points; 300 = 3 %) of each household's gross, rounded half up to
  the đồng. **Shipping**: the lot's shipping cost per kg × the household's kilograms sold, rounded half up.
  Both are apportioned by what each household sold, so a household that sold nothing pays nothing.
- **Net** = gross − platform fee − shipping (shown even when negative, never hidden).
- **How to pay**: a household with a bank account gets a VietQR payload and QR for its net amount (memo
  ``CP L<lot> H<household>``: the lot and the household, within the 19 characters every banking app keeps);
  one without gets a printable slip to sign when the cash is handed over.
Grams that no contribution covers (``unallocated``) are reported on their own line and paid to nobody.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from market.accounts.service import format_phone
from market.catalog.weight import format_kg, round_div
from market.coop.models import CoopHousehold, CoopLot
from market.coop.service import lot_state
from market.domain import DomainError, ErrorCode
from market.payments.banks import bank_by_bin
from market.payments.vietqr import build_payload, qr_svg
from market.text import csv_cell

MAX_DAYS = 731


@dataclass
class HouseholdPayout:
    household: CoopHousehold
    grams: int = 0
    gross_vnd: int = 0
    platform_vnd: int = 0
    shipping_vnd: int = 0
    payload: str | None = None
    memo: str = ""  # the transfer memo (and the slip's reference)

    @property
    def net_vnd(self) -> int:
        return self.gross_vnd - self.platform_vnd - self.shipping_vnd

    @property
    def bank(self):
        return bank_by_bin(self.household.bank_bin) if self.household.has_bank else None

    def svg(self):
        if not self.payload:
            return None
        return qr_svg(self.payload, _("VietQR code to pay %(name)s", name=self.household.name))


@dataclass
class Payout:
    lot: CoopLot
    start: date
    end: date
    fee_bps: int
    rows: list[HouseholdPayout] = field(default_factory=list)
    unallocated_g: int = 0
    unallocated_vnd: int = 0

    @property
    def grams(self) -> int:
        return sum(r.grams for r in self.rows)

    @property
    def gross_vnd(self) -> int:
        return sum(r.gross_vnd for r in self.rows)

    @property
    def platform_vnd(self) -> int:
        return sum(r.platform_vnd for r in self.rows)

    @property
    def shipping_vnd(self) -> int:
        return sum(r.shipping_vnd for r in self.rows)

    @property
    def net_vnd(self) -> int:
        return sum(r.net_vnd for r in self.rows)

    @property
    def fee_percent(self) -> str:
        from market.i18n import number

        return number(self.fee_bps / 100)

    @property
    def slips(self) -> list[HouseholdPayout]:
        """Households paid in cash (no bank account) that sold something: one slip each."""
        return [r for r in self.rows if not r.household.has_bank and r.grams]


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Ho_Chi_Minh"))


def today() -> date:
    return datetime.now(_zone()).date()


def parse_period(lot: CoopLot, raw_from, raw_to) -> tuple[date, date]:
    """From and to (inclusive days); the default is the whole season so far. Refuses nonsense clearly."""
    start = _date(raw_from, "from") or lot.created_at.astimezone(_zone()).date()
    end = _date(raw_to, "to") or today()
    if end < start:
        raise DomainError(ErrorCode.INVALID, _("The end of the period comes before its start."), field="to")
    if (end - start).days > MAX_DAYS:
        raise DomainError(ErrorCode.INVALID, _("A report covers at most %(n)d days.", n=MAX_DAYS), field="to")
    return start, end


def _date(raw, field_name: str) -> date | None:
    if raw in (None, ""):
        return None
    try:
        value = date.fromisoformat(str(raw)[:10]) if len(str(raw)) == 10 else None
    except ValueError:
        value = None
    if value is None or value.year < 2000 or value.year > 2100:
        raise DomainError(ErrorCode.INVALID, _("Enter a date such as 2026-06-25."), field=field_name)
    return value


def memo(lot: CoopLot, household: CoopHousehold) -> str:
    """The transfer memo: letters, digits and spaces only, at most 19 characters (vietqr.MEMO_MAX)."""
    return f"CP L{lot.id} H{household.id}"[:19]


def payout(lot: CoopLot, start: date, end: date, fee_bps: int | None = None) -> Payout:
    fee_bps = current_app.config["PLATFORM_FEE_BPS"] if fee_bps is None else fee_bps
    zone = _zone()
    since = datetime.combine(start, time.min, zone).astimezone(UTC)
    until = datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(UTC)
    state = lot_state(lot)
    household_of = {c.id: hh for hh in lot.households for c in hh.contributions}
    rows = {hh.id: HouseholdPayout(hh) for hh in lot.households}
    report = Payout(lot, start, end, fee_bps)
    for s in state.slices:
        if not since <= s.at < until:
            continue
        if s.share_id is None:
            report.unallocated_g += s.grams
            report.unallocated_vnd += s.amount_vnd
            continue
        row = rows[household_of[s.share_id].id]
        row.grams += s.grams
        row.gross_vnd += s.amount_vnd
    for row in rows.values():
        row.platform_vnd = round_div(row.gross_vnd * fee_bps, 10_000)
        row.shipping_vnd = round_div(row.grams * lot.shipping_vnd_per_kg, 1000)
        hh = row.household
        row.memo = memo(lot, hh)
        if hh.has_bank and row.net_vnd > 0:
            row.payload = build_payload(hh.bank_bin, hh.account_number, row.net_vnd, memo(lot, hh))
    report.rows = list(rows.values())
    return report


def payout_csv(report: Payout) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Household"),
            _("Village"),
            _("Phone"),
            _("Bank"),
            _("Account number"),
            _("Account holder"),
            _("Kilograms sold"),
            _("Gross (đồng)"),
            _("Platform fee (đồng)"),
            _("Shipping (đồng)"),
            _("Net (đồng)"),
            _("Transfer memo"),
            _("VietQR payload"),
        ]
    )
    for r in report.rows:
        hh = r.household
        bank = r.bank
        writer.writerow(
            [
                csv_cell(v)
                for v in (
                    hh.name,
                    hh.village,
                    format_phone(hh.phone) if hh.phone else "",
                    bank.short_name if bank else "",
                    hh.account_number or "",
                    hh.account_holder or "",
                    format_kg(r.grams, unit=False) or "0",
                    r.gross_vnd,
                    r.platform_vnd,
                    r.shipping_vnd,
                    r.net_vnd,
                    r.memo if r.payload else "",
                    r.payload or "",
                )
            ]
        )
    if report.unallocated_g:
        writer.writerow(
            [
                csv_cell(v)
                for v in (
                    _("Not covered by any contribution"),
                    "",
                    "",
                    "",
                    "",
                    "",
                    format_kg(report.unallocated_g, unit=False),
                    report.unallocated_vnd,
                    "",
                    "",
                    "",
                    "",
                    "",
                )
            ]
        )
    writer.writerow(
        [
            csv_cell(v)
            for v in (
                _("Total"),
                "",
                "",
                "",
                "",
                "",
                format_kg(report.grams, unit=False) or "0",
                report.gross_vnd,
                report.platform_vnd,
                report.shipping_vnd,
                report.net_vnd,
                "",
                "",
            )
        ]
    )
    return "\ufeff" + out.getvalue()  # BOM: spreadsheets then read the Vietnamese letters as UTF-8
