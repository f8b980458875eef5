"""`flask seed-demo` (the live part) and `flask bench-buyers`."""

import sqlalchemy as sa

from market.accounts.models import User
from market.accounts.tokens import user_from_token
from market.catalog.models import Product
from market.extensions import db
from market.live.models import LiveOffer, LiveSession


def test_seed_makes_a_live_session_with_a_pinned_durian_offer_and_upcoming_ones(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "0905000001" in first.output
    live = db.session.scalar(sa.select(LiveSession).where(LiveSession.status == "live"))
    assert live.title == "Phiên sầu riêng Ea Knuếc" and live.commune.name == "Ea Knuếc"
    assert live.seller.user.phone == "+84903000001"
    [offer] = db.session.scalars(sa.select(LiveOffer).where(LiveOffer.session_id == live.id)).all()
    assert (offer.product.title, offer.price_vnd, offer.quantity, offer.per_buyer_limit) == (
        "Sầu riêng Ri6",
        79_000,
        500,
        20,
    )
    upcoming = db.session.scalars(sa.select(LiveSession).where(LiveSession.status == "scheduled")).all()
    assert {s.commune.name for s in upcoming} == {"Tủa Sín Chải", "Nam Ka"}
    counts = [db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (LiveSession, LiveOffer, Product)]
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    assert counts == [
        db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (LiveSession, LiveOffer, Product)
    ]


def test_seed_reuses_products_the_catalog_seed_made(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    titles = db.session.scalars(
        sa.select(Product.title).join(Product.seller).where(Product.title.in_(["Sầu riêng Ri6", "Sầu riêng Monthong"]))
    ).all()
    assert sorted(titles) == ["Sầu riêng Monthong", "Sầu riêng Ri6"]


def test_every_demo_product_on_sale_has_photos_and_is_found_by_its_commune(runner):
    """The live seed's products (tea in Tủa Sín Chải, honey in Nam Ka) were bare rows: no photo on the home page
    and search words without their commune or category."""
    from market.catalog.search import search

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    on_sale = db.session.scalars(sa.select(Product).where(Product.status == "approved")).all()
    assert {"Chè Shan tuyết cổ thụ", "Mật ong hoa cà phê"} <= {p.title for p in on_sale}
    assert [p.title for p in on_sale if not p.photos] == []
    found = db.session.scalars(search("che shan tua sin chai")).all()
    assert [p.title for p in found] == ["Chè Shan tuyết cổ thụ"]


def test_bench_buyers_writes_working_tokens_and_reuses_accounts(runner, tmp_path):
    path = tmp_path / "tokens.txt"
    result = runner.invoke(args=["bench-buyers", "25", "--tokens-file", str(path)])
    assert result.exit_code == 0, result.output
    tokens = path.read_text().split()
    assert len(tokens) == 25
    users = [user_from_token(t) for t in tokens]
    assert all(users) and len({u.id for u in users}) == 25
    assert all(u.phone.startswith("+8499") for u in users)
    again = runner.invoke(args=["bench-buyers", "30", "--tokens-file", str(path)])
    assert again.exit_code == 0 and "5 buyer(s) created, 25 reused" in again.output
    assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.phone.like("+8499%"))) == 30


def test_bench_buyers_bad_input(runner, tmp_path):
    assert runner.invoke(args=["bench-buyers", "0", "--tokens-file", str(tmp_path / "t")]).exit_code != 0
    assert (
        runner.invoke(args=["bench-buyers", "5", "--tokens-file", str(tmp_path / "t"), "--prefix", "84abc"]).exit_code
        != 0
    )
    assert runner.invoke(args=["bench-buyers", "5"]).exit_code != 0
