"""The KOL's lot pages over HTTP: making a lot, households, bad input beside the field, the payout report."""

import csv
import io
import re

import pytest
import sqlalchemy as sa
from markupsafe import escape

from market.catalog.models import Product, ProductStatus
from market.coop.models import CoopContribution, CoopHousehold, CoopLot
from market.extensions import db
from market.payments.vietqr import parse_payload
from tests.catalog.conftest import jpeg_bytes
from tests.conftest import csrf_token, post_form
from tests.coop.conftest import LOT, add_household


@pytest.fixture
def as_kol(client, kol, login):
    login(kol)
    return kol


def stock_of(lot) -> int:
    return db.session.scalar(sa.select(Product.stock).where(Product.id == lot.product_id))


def lot_page(client, lot):
    return client.get(f"/sell/lots/{lot.id}")


def test_a_kol_makes_a_lot_with_a_photo_and_it_goes_to_review(client, as_kol):
    token = csrf_token(client, "/sell/lots/new")
    data = {**LOT, "csrf_token": token, "photos": [(io.BytesIO(jpeg_bytes((900, 700))), "ri6.jpg")]}
    resp = client.post("/sell/lots/new", data=data, content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    lot = db.session.scalar(sa.select(CoopLot))
    assert resp.headers["Location"] == f"/sell/lots/{lot.id}"
    product = lot.product
    assert product.status == ProductStatus.PENDING_REVIEW and len(product.photos) == 1
    assert (product.unit, product.piece_weight_g, product.price_vnd, product.stock) == ("piece", 3000, 255_000, 0)
    html = lot_page(client, lot).get_data(as_text=True)
    assert "Sầu riêng Ri6 — vụ 2026" in html and "data-add-household" in html


def test_lot_form_refuses_bad_fields_beside_them_and_keeps_what_was_typed(client, as_kol):
    resp = post_form(
        client,
        "/sell/lots/new",
        {
            **LOT,
            "title": "",
            "piece_weight": "0",
            "price_per_kg": "-3",
            "weight_tolerance": "90",
            "shipping_vnd_per_kg": "abc",
            "origin": "Buôn Kram",
        },
        page="/sell/lots/new",
    )
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    for field in ("title", "piece_weight", "price_per_kg", "weight_tolerance", "shipping_vnd_per_kg"):
        assert f'id="{field}-error"' in html, field
    assert 'value="Buôn Kram"' in html
    assert db.session.scalar(sa.select(sa.func.count(Product.id))) == 0


def test_adding_a_household_through_the_page(client, as_kol, lot):
    resp = post_form(
        client,
        f"/sell/lots/{lot.id}/households",
        {
            "name": "Y Bhin Niê",
            "village": "Buôn Ea Knuếc",
            "phone": "0912 000 101",
            "kg": "30",
            "contributed_on": "",
            "bank_bin": "970405",
            "account_number": "5201 2050 00101",
            "account_holder": "Y Bhin Niê",
        },
        page=f"/sell/lots/{lot.id}",
    )
    assert resp.status_code == 302
    hh = db.session.scalar(sa.select(CoopHousehold))
    assert resp.headers["Location"].endswith(f"#hh-{hh.id}")
    assert (hh.phone, hh.account_number, hh.account_holder) == ("+84912000101", "5201205000101", "Y BHIN NIE")
    assert stock_of(lot) == 10
    html = lot_page(client, lot).get_data(as_text=True)
    assert 'data-household="Y Bhin Niê"' in html and 'data-figure="stock">10' in html


@pytest.mark.parametrize("kg", ["0", "-1", "1000000000"])
def test_absurd_kilograms_are_refused_beside_the_field(client, as_kol, lot, kg):
    resp = post_form(
        client,
        f"/sell/lots/{lot.id}/households",
        {"name": "Y Bhin Niê", "village": "Buôn Kram", "kg": kg},
        page=f"/sell/lots/{lot.id}",
    )
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert 'id="kg-error"' in html and 'value="Y Bhin Niê"' in html
    assert db.session.scalar(sa.select(sa.func.count(CoopHousehold.id))) == 0
    assert stock_of(lot) == 0


def test_removing_a_household_that_sold_is_refused_with_a_message(client, as_kol, lot, sell, buyer):
    hh = add_household(lot, kg="30")
    sell(lot, buyer, 2, kg="6,1")
    resp = post_form(client, f"/sell/lots/{lot.id}/households/{hh.id}/remove", {}, page=f"/sell/lots/{lot.id}")
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    assert "Y Bhin Niê" in html and "6,1 kg" in html and "flash-error" in html
    assert db.session.scalar(sa.select(sa.func.count(CoopHousehold.id))) == 1


def test_changing_a_contribution_below_what_is_sold_is_refused_beside_the_field(client, as_kol, lot, sell, buyer):
    hh = add_household(lot, kg="30")
    sell(lot, buyer, 2, kg="6,1")
    c = hh.contributions[0]
    resp = post_form(
        client, f"/sell/lots/{lot.id}/contributions/{c.id}", {f"c{c.id}-kg": "5"}, page=f"/sell/lots/{lot.id}"
    )
    assert resp.status_code == 409
    assert f'id="c{c.id}-kg-error"' in resp.get_data(as_text=True)
    db.session.refresh(c)
    assert c.grams == 30_000
    resp = post_form(
        client, f"/sell/lots/{lot.id}/contributions/{c.id}", {f"c{c.id}-kg": "20"}, page=f"/sell/lots/{lot.id}"
    )
    assert resp.status_code == 302
    db.session.refresh(c)
    assert c.grams == 20_000


def test_more_kilograms_and_a_removed_contribution(client, as_kol, lot):
    hh = add_household(lot, kg="30")
    resp = post_form(
        client,
        f"/sell/lots/{lot.id}/households/{hh.id}/contributions",
        {f"more{hh.id}-kg": "15", f"more{hh.id}-contributed_on": ""},
        page=f"/sell/lots/{lot.id}",
    )
    assert resp.status_code == 302
    db.session.refresh(hh)
    assert [c.grams for c in hh.contributions] == [30_000, 15_000]
    assert stock_of(lot) == 15
    extra = hh.contributions[1]
    assert (
        post_form(
            client, f"/sell/lots/{lot.id}/contributions/{extra.id}/remove", {}, page=f"/sell/lots/{lot.id}"
        ).status_code
        == 302
    )
    assert stock_of(lot) == 10


def test_another_sellers_lot_is_a_404_everywhere_and_nothing_is_written(client, lot, make_kol, login):
    hh = add_household(lot, kg="30")
    c = hh.contributions[0]
    login(make_kol())
    for url in (f"/sell/lots/{lot.id}", f"/sell/lots/{lot.id}/payout", f"/sell/lots/{lot.id}/payout.csv"):
        assert client.get(url).status_code == 404, url
    page = "/sell/lots"
    for url, data in (
        (f"/sell/lots/{lot.id}/households", {"name": "X", "village": "Y", "kg": "5"}),
        (f"/sell/lots/{lot.id}/households/{hh.id}", {f"hh{hh.id}-name": "X"}),
        (f"/sell/lots/{lot.id}/households/{hh.id}/remove", {}),
        (f"/sell/lots/{lot.id}/households/{hh.id}/contributions", {f"more{hh.id}-kg": "5"}),
        (f"/sell/lots/{lot.id}/contributions/{c.id}", {f"c{c.id}-kg": "1"}),
        (f"/sell/lots/{lot.id}/contributions/{c.id}/remove", {}),
        (f"/sell/lots/{lot.id}/shipping", {"shipping_vnd_per_kg": "1"}),
    ):
        assert post_form(client, url, data, page=page).status_code == 404, url
    assert db.session.scalar(sa.select(sa.func.count(CoopContribution.id))) == 1
    assert stock_of(lot) == 10
    assert client.get("/sell/lots/99999999999").status_code == 404


def test_a_household_of_another_lot_is_a_404(client, as_kol, lot, make_lot):
    other = make_lot(title="Sầu riêng Monthong — vụ 2026")
    hh = add_household(other, kg="30")
    resp = post_form(client, f"/sell/lots/{lot.id}/households/{hh.id}/remove", {}, page="/sell/lots")
    assert resp.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(CoopHousehold.id))) == 1


def test_only_sellers_reach_the_lot_pages(client, make_user, login):
    assert client.get("/sell/lots").status_code == 302  # anonymous: to the login page
    login(make_user())
    assert client.get("/sell/lots").status_code == 302  # not a seller: to "apply to sell"
    assert post_form(client, "/sell/lots/new", {}, page="/").status_code == 403


def test_payout_report_per_household(client, as_kol, lot, sell, buyer, make_user):
    first = add_household(lot, name="Y Bhin Niê", kg="10", days_ago=9, bank=True)
    second = add_household(lot, name="H'Lim Mlô", kg="30", days_ago=8)
    sell(lot, buyer, 2, kg="6,2")  # 527.000 ₫: all from the first household
    sell(lot, make_user(), 2, kg="5,8")  # 493.000 ₫: 3,8 kg from the first, 2 kg from the second
    resp = client.get(f"/sell/lots/{lot.id}/payout")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    # shares of the second sale by grams: 3800/5800 of 493.000 = 323.000, 2000/5800 = 170.000
    gross_first, gross_second = 527_000 + 323_000, 170_000
    fee = lambda g: (g * 300 + 5000) // 10000  # noqa: E731 - 3 %, rounded half up
    net_first = gross_first - fee(gross_first) - 50_000  # 10 kg × 5.000 ₫ shipping
    net_second = gross_second - fee(gross_second) - 10_000  # 2 kg
    assert _row(html, "Y Bhin Niê")["kg"] == "10 kg" and _row(html, "H'Lim Mlô")["kg"] == "2 kg"
    assert _money(_row(html, "Y Bhin Niê")["net"]) == net_first
    assert _money(_row(html, "H'Lim Mlô")["net"]) == net_second
    # the household with a bank account gets a VietQR code for its net, memo naming the lot and household
    payload = re.search(r'id="payload-%d"[^>]*value="([^"]+)"' % first.id, html).group(1)
    parsed = parse_payload(payload)
    assert (parsed.bank_bin, parsed.account, parsed.amount_vnd, parsed.memo) == (
        "970418",
        "31410000010300",
        net_first,
        f"CP L{lot.id} H{first.id}",
    )
    assert "<svg" in html
    # the one without gets a printable slip
    assert f'data-slip="{escape(second.name)}"' in html and 'data-slip="Y Bhin Niê"' not in html
    assert "data-print" in html and "orders.js" in html


def _row(html: str, name: str) -> dict:
    block = html.split(f'data-household="{escape(name)}"', 1)[1].split("</li>", 1)[0]
    return {
        k: re.sub(r"<[^>]+>", "", re.search(rf"data-{k}>(.*?)</dd>", block, re.S).group(1)).strip()
        for k in ("kg", "gross", "net")
    }


def _money(text: str) -> int:
    return int(re.sub(r"[^\d-]", "", text))


def test_payout_csv_has_a_bom_and_is_safe_from_formulas(client, as_kol, lot, sell, buyer):
    add_household(lot, name='=HYPERLINK("http://x")', kg="10", bank=True)
    add_household(lot, name="+Trần", kg="10")
    sell(lot, buyer, 1)
    resp = client.get(f"/sell/lots/{lot.id}/payout.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    body = resp.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    names = [r[0] for r in rows[1:-1]]
    assert names == ['\'=HYPERLINK("http://x")', "'+Trần"]
    assert rows[1][6] == "3" and rows[1][7] == "255000"
    assert parse_payload(rows[1][12]).amount_vnd == int(rows[1][10])
    assert rows[-1][7] == "255000"


@pytest.mark.parametrize(
    "query",
    ["from=2026-13-01", "from=yesterday", "from=2026-06-10&to=2026-06-01", "from=2000-01-01&to=2026-01-01", "to=%00"],
)
def test_a_bad_period_is_a_400(client, as_kol, lot, query):
    assert client.get(f"/sell/lots/{lot.id}/payout?{query}").status_code == 400
    assert client.get(f"/sell/lots/{lot.id}/payout.csv?{query}").status_code == 400


def test_a_period_without_sales_reports_zero(client, as_kol, lot, sell, buyer):
    add_household(lot, kg="10")
    sell(lot, buyer, 1)
    html = client.get(f"/sell/lots/{lot.id}/payout?from=2025-01-01&to=2025-01-31").get_data(as_text=True)
    assert _money(_row(html, "Y Bhin Niê")["gross"]) == 0 and "data-slip" not in html


def test_the_product_page_says_it_is_a_co_op_lot(client, lot):
    add_household(lot, kg="10")
    add_household(lot, name="H'Ra Êban", kg="10", village="Buôn Kram")
    html = client.get(f"/p/{lot.product_id}-{lot.product.slug}").get_data(as_text=True)
    assert "coop-note" in html and "Buôn Ea Knuếc, Buôn Kram" in html
    assert "weight-terms" in html


def test_the_pages_in_english(client, as_kol, lot, sell, buyer):
    add_household(lot, kg="10", bank=True)
    sell(lot, buyer, 1)
    post_form(client, "/lang/en", {})
    html = lot_page(client, lot).get_data(as_text=True)
    assert '<html lang="en">' in html and "Add a household" in html and "First come, first served" in html
    report = client.get(f"/sell/lots/{lot.id}/payout").get_data(as_text=True)
    assert "Net to pay" in report and "3 kg" in report
    index = client.get("/sell/lots").get_data(as_text=True)
    assert "1 household" in index
