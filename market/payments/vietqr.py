"""VietQR bank transfer: the EMVCo merchant-presented QR payload for NAPAS 247, and the payment method.

Payload (EMVCo QRCPS-MPM as profiled by NAPAS), each field ``tag + 2-digit length + value``:
``00`` format "01" · ``01`` initiation "12" (dynamic: has an amount) or "11" · ``38`` merchant account:
``00`` GUID ``A000000727`` (NAPAS), ``01`` beneficiary (``00`` bank BIN, ``01`` account or card number),
``02`` service ``QRIBFTTA`` (to an account) or ``QRIBFTTC`` (to a card) · ``53`` currency "704" (VND) ·
``54`` amount · ``58`` country "VN" · ``62`` additional data (``01`` bill number, ``08`` purpose: the memo)
· ``63`` CRC-16/CCITT-FALSE over everything before it, ``6304`` included, as 4 upper-case hex digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from markupsafe import Markup

from market.domain import DomainError, ErrorCode
from market.payments.base import PaymentMethod

if TYPE_CHECKING:
    from market.accounts.models import User
    from market.orders.models import Order
    from market.orders.states import Actor
    from market.payments.models import Payment, ShopPaymentSettings

NAPAS_GUID = "A000000727"
TO_ACCOUNT = "QRIBFTTA"
TO_CARD = "QRIBFTTC"
MEMO_MAX = 19  # what every banking app keeps intact; the order code is 10
_ACCOUNT = re.compile(r"^[A-Z0-9]{1,19}$")
_ACCOUNT_DIGITS = re.compile(r"^[0-9]{6,19}$")
_BIN = re.compile(r"^\d{6}$")
_MEMO = re.compile(r"^[A-Za-z0-9 ]{1,19}$")


def crc16_ccitt_false(data: str) -> str:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor) as 4 upper-case hex digits."""
    crc = 0xFFFF
    for byte in data.encode("utf-8"):
        crc ^= byte << 8
        for _bit in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return f"{crc:04X}"


def tlv(tag: str, value: str) -> str:
    length = len(value)
    if length > 99:
        raise ValueError(f"field {tag} is longer than 99 characters")
    return f"{tag}{length:02d}{value}"


def build_payload(
    bank_bin: str,
    account: str,
    amount_vnd: int | None = None,
    memo: str | None = None,
    *,
    service: str = TO_ACCOUNT,
    bill_number: str | None = None,
) -> str:
    """The VietQR string for a transfer of ``amount_vnd`` đồng to ``account`` at the bank ``bank_bin``."""
    if not _BIN.match(bank_bin or ""):
        raise ValueError("a bank BIN is 6 digits")
    if not _ACCOUNT.match(account or ""):
        raise ValueError("an account number is 1 to 19 letters or digits")
    if amount_vnd is not None and (
        isinstance(amount_vnd, bool)
        or not isinstance(amount_vnd, int)
        or amount_vnd <= 0
        or amount_vnd > 9_999_999_999_999
    ):
        raise ValueError("the amount is a positive whole number of đồng")
    if memo is not None and not _MEMO.match(memo):
        raise ValueError(f"the memo is 1 to {MEMO_MAX} plain letters, digits or spaces")
    beneficiary = tlv("00", bank_bin) + tlv("01", account)
    merchant = tlv("00", NAPAS_GUID) + tlv("01", beneficiary) + tlv("02", service)
    parts = [tlv("00", "01"), tlv("01", "12" if amount_vnd else "11"), tlv("38", merchant), tlv("53", "704")]
    if amount_vnd:
        parts.append(tlv("54", str(amount_vnd)))
    parts.append(tlv("58", "VN"))
    extra = (tlv("01", bill_number) if bill_number else "") + (tlv("08", memo) if memo else "")
    if extra:
        parts.append(tlv("62", extra))
    body = "".join(parts) + "6304"
    return body + crc16_ccitt_false(body)


def parse_tlv(data: str) -> dict[str, str]:
    fields, i = {}, 0
    while i < len(data):
        if i + 4 > len(data) or not data[i + 2 : i + 4].isdigit():
            raise ValueError(f"broken field at {i}")
        tag, length = data[i : i + 2], int(data[i + 2 : i + 4])
        value = data[i + 4 : i + 4 + length]
        if len(value) != length:
            raise ValueError(f"field {tag} is cut short")
        fields[tag] = value
        i += 4 + length
    return fields


@dataclass(frozen=True)
class ParsedPayload:
    bank_bin: str
    account: str
    service: str
    amount_vnd: int | None
    memo: str | None
    bill_number: str | None
    dynamic: bool


def parse_payload(payload: str) -> ParsedPayload:
    """Read a VietQR string back, checking its CRC; ValueError when it is not a valid NAPAS payload."""
    if len(payload) < 8 or payload[-8:-4] != "6304":
        raise ValueError("no CRC field at the end")
    if crc16_ccitt_false(payload[:-4]) != payload[-4:].upper():
        raise ValueError("wrong CRC")
    top = parse_tlv(payload)
    if top.get("00") != "01" or top.get("53") != "704" or top.get("58") != "VN":
        raise ValueError("not a VND payload for Vietnam")
    merchant = parse_tlv(top.get("38", ""))
    if merchant.get("00") != NAPAS_GUID:
        raise ValueError("not a NAPAS payload")
    beneficiary = parse_tlv(merchant.get("01", ""))
    extra = parse_tlv(top["62"]) if "62" in top else {}
    return ParsedPayload(
        bank_bin=beneficiary.get("00", ""),
        account=beneficiary.get("01", ""),
        service=merchant.get("02", ""),
        amount_vnd=int(top["54"]) if "54" in top else None,
        memo=extra.get("08"),
        bill_number=extra.get("01"),
        dynamic=top.get("01") == "12",
    )


def qr_svg(payload: str, title: str = "VietQR") -> Markup:
    """The payload as an inline SVG QR code (no style attributes: safe under the strict CSP)."""
    import segno

    code = segno.make(payload, error="m", micro=False)
    svg = code.svg_inline(
        scale=4, border=4, svgclass="qr", lineclass=None, title=title, dark="#000", light="#fff", omitsize=True
    )
    return Markup(svg)  # noqa: S704 - generated from our own payload (letters, digits, spaces) and title


def sample_qr(bank_bin: str, account: str) -> Markup:
    """A 1 000 ₫ transfer to the account just typed, for the seller to scan with her own banking app before
    saving: her app shows the holder's name as the bank knows it."""
    return qr_svg(build_payload(bank_bin, account, 1000, "CP THU TAI KHOAN"), title="VietQR 1000")


def memo_for(order: Order) -> str:
    """The transfer memo: the order's public code — random (40 bits), so a memo cannot be guessed."""
    return order.code


def order_payload(order: Order, settings: ShopPaymentSettings) -> str:
    """Only for a shop that ``has_bank`` (both callers check)."""
    if not settings.bank_bin or not settings.account_number:
        raise ValueError(f"shop {settings.seller_id} has no bank account for transfers")
    return build_payload(settings.bank_bin, settings.account_number, order.total_vnd, memo_for(order))


def clean_account_number(raw: str | None) -> str:
    """A bank account number as people type it: spaces and dots dropped, then 6 to 19 digits (Vietnamese banks'
    numbers are digits; "52012O5123456" with the letter O is refused rather than put into every buyer's QR)."""
    value = re.sub(r"[\s.]", "", raw) if isinstance(raw, str) else ""
    if not _ACCOUNT_DIGITS.match(value):
        raise DomainError(
            ErrorCode.INVALID,
            _("An account number has 6 to 19 digits (spaces and dots are fine)."),
            field="account_number",
        )
    return value


def clean_holder(raw: str | None) -> str:
    """Account holder as banks print it: upper case, no diacritics ("Trần Văn Phú" → "TRAN VAN PHU")."""
    from market.text import clean_line, fold

    value = re.sub(r"[^A-Z ]", "", fold(clean_line(raw)).upper()).strip()
    value = re.sub(r" +", " ", value)
    if len(value) < 2 or len(value) > 50:
        raise DomainError(
            ErrorCode.INVALID, _("Enter the account holder's name as the bank shows it."), field="account_holder"
        )
    return value


class VietQRTransfer(PaymentMethod):
    name = "vietqr"
    refund_mode = "manual"
    seller_records_payment = True

    def label(self) -> str:
        return _("Bank transfer (VietQR)")

    def hint(self) -> str:
        return _("Scan the QR code with any banking app; the amount and memo are filled in.")

    def available(self, settings: ShopPaymentSettings | None) -> bool:
        return settings is not None and settings.has_bank

    def on_chosen(self, order: Order, settings: ShopPaymentSettings | None, actor: User | None) -> None:
        from market.payments.service import open_attempt, wait_for_weighing

        open_attempt(order, self.name)
        if order.awaits_weighing:  # no transfer is asked for before the shop has weighed it
            wait_for_weighing(order)

    def panel(
        self, order: Order, settings: ShopPaymentSettings | None, payment: Payment | None, roles: set[Actor]
    ) -> dict[str, Any]:
        from market.payments.banks import bank_by_bin

        if settings is None or not settings.has_bank:
            return {"unavailable": True}
        if order.awaits_weighing:
            return {"awaiting_weight": True}
        payload = order_payload(order, settings)
        return {
            "payload": payload,
            "svg": qr_svg(payload, _("VietQR code for order %(code)s", code=order.code)),
            "bank": bank_by_bin(settings.bank_bin),
            "account_number": settings.account_number,
            "account_holder": settings.account_holder,
            "memo": memo_for(order),
            "amount": order.total_vnd,
        }
