""" "Report a problem" on product, shop, order and live pages; forms that pre-select nothing."""

import re

import sqlalchemy as sa

from market.accounts.models import SellerProfile
from market.extensions import db
from market.moderation.models import Report
from tests.conftest import login_as, post_form


def _report_href(html: str) -> str | None:
    match = re.search(r'class="report-link" href="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def test_product_shop_order_and_live_pages_link_to_the_report_form(client, world_b, make_user):
    from market.orders.service import Line, place_order

    w = world_b
    buyer = make_user(name="Người mua mới")
    order = place_order(buyer, [Line("product", w.product.id, 1)], "report-link-order").order
    db.session.commit()
    login_as(client, buyer)
    pages = {
        "product": f"/p/{w.product.id}-{w.product.slug}",
        "shop": f"/s/{w.seller.seller_profile.slug}",
        "order": f"/orders/{order.id}",
        "live": f"/live/{w.session.id}",
    }
    ids = {"product": w.product.id, "shop": w.seller.seller_profile.id, "order": order.id, "live": w.session.id}
    for kind, path in pages.items():
        html = client.get(path).get_data(as_text=True)
        href = _report_href(html)
        assert href == f"/report?type={kind}&id={ids[kind]}", (kind, href)
        form = client.get(href)
        assert form.status_code == 200, kind
        assert post_form(client, href, {"category": "other", "text": "Có vấn đề"}, page=href).status_code == 302
    kinds = set(db.session.scalars(sa.select(Report.target_type).where(Report.reporter_id == buyer.id)))
    assert {"product", "shop", "order", "live"} <= kinds
    live_report = db.session.scalar(sa.select(Report).where(Report.target_type == "live"))
    assert live_report.commune_id == w.session.commune_id


def test_nobody_is_offered_to_report_their_own_shop(client, world):
    login_as(client, world.seller)
    html = client.get(f"/s/{world.seller.seller_profile.slug}").get_data(as_text=True)
    assert _report_href(html) is None
    html = client.get(f"/p/{world.product.id}-{world.product.slug}").get_data(as_text=True)
    assert _report_href(html) is None


def test_the_report_form_preselects_no_reason(client, world):
    login_as(client, world.buyer)
    url = f"/report?type=shop&id={world.seller.seller_profile.id}"
    html = client.get(url).get_data(as_text=True)
    assert '<option selected value="">' in html or '<option value="" selected>' in html
    assert not re.search(r'<option selected value="[a-z]', html)
    resp = post_form(client, url, {"text": "Không chọn lý do"}, page=url)
    assert resp.status_code == 400 and 'id="category-error"' in resp.get_data(as_text=True)
    resp = post_form(client, url, {"category": "", "text": "x"}, page=url)
    assert resp.status_code == 400 and "Hãy chọn vấn đề trong danh sách." in resp.get_data(as_text=True)


def test_apply_to_sell_preselects_no_commune(client, make_user, make_commune):
    make_commune("Buôn Ma Thuột")
    make_commune("Ea Knuếc")
    user = make_user()
    login_as(client, user)
    html = client.get("/sell/apply").get_data(as_text=True)
    assert re.search(r'<option (selected )?value=""( selected)?>— Chọn xã của bạn —</option>', html)
    assert not re.search(r'<option selected value="\d', html)
    resp = post_form(client, "/sell/apply", {"shop_name": "Mật ong", "story": ""}, page="/sell/apply")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and 'id="commune_id-error"' in html and "Hãy chọn xã trong danh sách." in html
    assert db.session.scalar(sa.select(sa.func.count(SellerProfile.id))) == 0


def test_a_commune_link_still_preselects_its_commune(client, make_user, make_commune):
    commune = make_commune("Ea Knuếc")
    login_as(client, make_user())
    html = client.get(f"/sell/apply?commune={commune.id}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{commune.id}">', html)
