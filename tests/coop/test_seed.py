"""The demo co-op lot: made once, findable by ``demo_lot()``, with delivered orders the payout report splits."""

import sqlalchemy as sa

from market.coop.models import CoopContribution, CoopHousehold, CoopLot
from market.coop.payout import payout, today
from market.coop.seed import demo_lot
from market.coop.service import lot_of_product
from market.extensions import db
from market.orders.models import Order


def counts():
    return [
        db.session.scalar(sa.select(sa.func.count()).select_from(m))
        for m in (CoopLot, CoopHousehold, CoopContribution, Order)
    ]


def test_demo_lot_is_seeded_once_with_real_figures(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    before = counts()
    assert before[:3] == [1, 6, 7]
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert counts() == before
    product_id = demo_lot()
    lot = lot_of_product(product_id)
    product = lot.product
    assert product.title == "Sầu riêng Ri6 — vụ 2026" and product.status == "approved" and product.by_weight
    assert product.seller.user.phone == "+84903000001"
    assert "mười hai hộ" not in product.description  # the page says 6 households: the story must not say 12
    banked = [hh for hh in lot.households if hh.has_bank]
    assert 0 < len(banked) < len(lot.households)
    report = payout(lot, lot.created_at.date(), today())
    assert report.grams == 36_200 and report.gross_vnd == 3_077_000
    rows = {r.household.name: r for r in report.rows}
    assert rows["Y Bhin Niê"].grams == 30_000 and rows["Y Bhin Niê"].payload  # first come: sold out first
    assert rows["H'Lim Mlô"].grams == 6_200 and rows["H'Lim Mlô"] in report.slips  # no bank: a cash slip
    statuses = set(db.session.scalars(sa.select(Order.weight_status).where(Order.idempotency_key.like("seed-coop-%"))))
    assert statuses == {"final", "estimate"}
