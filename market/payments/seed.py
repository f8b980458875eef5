"""The demo shops' payment settings: bank accounts for VietQR, cash on delivery off for the durian farm."""

from __future__ import annotations

import sqlalchemy as sa

from market.accounts.models import User
from market.accounts.service import normalize_phone
from market.extensions import db
from market.payments.service import settings_to_edit

# seller phone → (cash on delivery on, confirmed at once, bank BIN, account, holder)
PAYMENT_SETTINGS = {
    "0903000001": (False, True, "970405", "5201205123456", "H HA NIE"),  # durian spoils: no cash on delivery
    "0903000002": (True, True, "970436", "1023456789", "TRAN VAN PHU"),
    "0903000003": (True, False, "970418", "31410001234567", "H LAN EBAN"),
}


def seed() -> list[tuple[str, str, str]]:
    for phone, (cod, auto, bank_bin, account, holder) in PAYMENT_SETTINGS.items():
        seller = db.session.scalar(sa.select(User).where(User.phone == normalize_phone(phone)))
        if seller is None or seller.seller_profile is None:
            continue
        row = settings_to_edit(seller.seller_profile.id)
        if row.id is None:  # only fill in what nobody has set yet
            row.cod_enabled, row.cod_auto_confirm = cod, auto
            row.bank_bin, row.account_number, row.account_holder = bank_bin, account, holder
    db.session.flush()
    return []
