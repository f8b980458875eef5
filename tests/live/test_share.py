"""A live page shared in Zalo or Facebook shows its title, host, commune, picture and when it is on; the home
page has a picture too. Addresses are absolute, from SITE_URL (never the request's Host)."""

import html as htmllib
import re
from datetime import UTC, datetime

from market.catalog.models import ProductPhoto
from market.extensions import db
from market.live import offers, snapshot

SITE = "http://127.0.0.1:5000"  # the test configuration's SITE_URL


def meta(page: str) -> dict[str, str]:
    tags = re.findall(r'<meta (?:property|name)="((?:og|twitter|video):[a-z_:]+)" content="([^"]*)"', page)
    return {k: htmllib.unescape(v) for k, v in tags}


def photo(product, digest="ab"):
    db.session.add(ProductPhoto(product=product, position=0, image_hash=digest * 32, width=1200, height=900))
    db.session.flush()
    db.session.expire(product, ["photos"])


def test_a_live_session_is_shared_with_its_pinned_products_photo(client, make_offer):
    offer = make_offer()
    photo(offer.product)
    session = offer.session
    page = client.get(f"/live/{session.id}", headers={"Host": "evil.example"}).get_data(as_text=True)
    tags = meta(page)
    assert tags["og:title"] == f"ĐANG LIVE: {session.title} — {session.seller.shop_name}"
    assert session.commune.name in tags["og:description"] and "đang live" in tags["og:description"]
    assert tags["og:url"] == f"{SITE}/live/{session.id}"
    assert tags["og:image"] == f"{SITE}/media/p/ab/ab/{'ab' * 32}-1600.jpg"
    assert tags["twitter:card"] == "summary_large_image" and tags["twitter:image"] == tags["og:image"]
    assert "evil.example" not in page
    # the share buttons: the phone's share sheet, Facebook, the link to copy; no inline script
    assert "data-share-only" in page and "data-copy-link" in page
    assert f"facebook.com/sharer/sharer.php?u={SITE.replace(':', '%3A')}/live/{session.id}" in page
    assert "<script>" not in page and "js/catalog.js" in page


def test_a_scheduled_session_says_when_and_falls_back_to_the_site_picture(client, make_session):
    session = make_session(status="scheduled", scheduled_at=datetime(2027, 1, 15, 13, 0, tzinfo=UTC))
    tags = meta(client.get(f"/live/{session.id}").get_data(as_text=True))
    assert tags["og:title"] == f"{session.title} — {session.seller.shop_name}"
    assert "sẽ live" in tags["og:description"] and "20:00" in tags["og:description"]  # Vietnam time
    assert tags["og:image"].startswith(f"{SITE}/static/img/og.jpg")
    assert tags["video:release_date"].startswith("2027-01-15T13:00")


def test_the_chosen_cover_wins_and_an_ended_session_is_a_replay(client, make_session, make_product):
    session = make_session(status="ended", replay_url="https://youtu.be/dQw4w9WgXcQ")
    cover = make_product(seller=session.seller.user)
    photo(cover, "cd")
    session.cover_product_id = cover.id
    db.session.flush()
    tags = meta(client.get(f"/live/{session.id}").get_data(as_text=True))
    assert tags["og:image"] == f"{SITE}/media/p/cd/cd/{'cd' * 32}-1600.jpg"
    assert tags["og:description"].startswith("Xem lại phiên live")


def test_cover_photo_prefers_the_open_offer(make_offer, make_product):
    first = make_offer()
    photo(first.product, "11")
    session = first.session
    offers.close_offer(session, session.seller.user, first.id)
    assert snapshot.cover_photo(session).image_hash == "11" * 32  # only a closed one: still its photo
    second = make_product(seller=session.seller.user, stock=5)
    photo(second, "22")
    offers.pin_offer(session, session.seller.user, second.id, 10_000, 5)
    assert snapshot.cover_photo(session).image_hash == "22" * 32


def test_the_home_page_has_a_picture(client):
    tags = meta(client.get("/").get_data(as_text=True))
    assert tags["og:image"].startswith(f"{SITE}/static/img/og.jpg")
    image = client.get(tags["og:image"][len(SITE) :])
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
