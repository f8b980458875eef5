"""Pages on 3G (market/assets.py, templates/catalog/_macros.html): compressed text, static files cached for a
year at their content hash, card photos at the size of their slot."""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

import brotli
import pytest
from flask import Response, url_for

from market.assets import IMMUTABLE, StaticManifest

STATIC_URL = re.compile(r'(?:href|src)="(/static/[^"]+)"')
TAG_ATTRS = re.compile(r'([a-z-]+)="([^"]*)"')
DECODERS = {"br": brotli.decompress, "gzip": gzip.decompress}


def static_url(app, name: str) -> str:
    with app.test_request_context():
        return url_for("static", filename=name)


def static_bytes(app, name: str) -> bytes:
    return (Path(app.static_folder) / name).read_bytes()


def tags(html: str, name: str) -> list[dict]:
    return [dict(TAG_ATTRS.findall(attrs)) for attrs in re.findall(rf"<{name}\b([^>]*)>", html)]


@pytest.fixture
def with_photos(app, make_product):
    """``with_photos(n=1, size=(1200, 900), **product_fields)`` → an approved product with n photo rows (no files
    needed)."""
    from market.catalog.models import ProductPhoto
    from market.extensions import db

    counter = iter(range(10, 99))

    def factory(n: int = 1, size: tuple[int, int] = (1200, 900), **fields):
        product = make_product(**fields)
        for position in range(n):
            db.session.add(
                ProductPhoto(
                    product=product,
                    position=position,
                    image_hash=f"{next(counter):02x}" * 32,
                    width=size[0],
                    height=size[1],
                )
            )
        db.session.flush()
        db.session.expire(product, ["photos"])
        return product

    return factory


# ---- compression --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_pages_styles_and_scripts_leave_compressed(app, client, encoding):
    decode = DECODERS[encoding]
    page = client.get("/", headers={"Accept-Encoding": encoding})
    assert page.status_code == 200 and page.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in page.headers["Vary"]
    assert int(page.headers["Content-Length"]) == len(page.data)
    assert decode(page.data).decode().lstrip().startswith("<!doctype html>")
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
    for name, types in [("css/app.css", {"text/css"}), ("js/live.js", {"text/javascript", "application/javascript"})]:
        resp = client.get(static_url(app, name), headers={"Accept-Encoding": encoding})
        assert resp.headers["Content-Encoding"] == encoding and resp.mimetype in types
        assert "Accept-Encoding" in resp.headers["Vary"]
        assert decode(resp.data) == static_bytes(app, name)


def test_a_browser_gets_brotli_and_a_client_that_asks_nothing_gets_plain_text(client):
    assert client.get("/", headers={"Accept-Encoding": "gzip, deflate, br, zstd"}).headers["Content-Encoding"] == "br"
    plain = client.get("/")
    assert "Content-Encoding" not in plain.headers and plain.data.lstrip().startswith(b"<!doctype html>")


def test_photos_streams_and_the_socket_transport_are_left_alone(app, client):
    name = "p/ab/cd/" + "ab" * 32 + "-320.webp"
    photo = Path(app.config["MEDIA_DIR"]) / name
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(b"RIFF\x00\x00\x00\x00WEBPVP8 " + os.urandom(4000))
    resp = client.get("/media/" + name, headers={"Accept-Encoding": "br, gzip"})
    assert resp.status_code == 200 and "Content-Encoding" not in resp.headers
    assert resp.data == photo.read_bytes()

    def chunks():
        yield "<p>first</p>" * 100
        yield "<p>second</p>" * 100

    with app.test_request_context("/", headers={"Accept-Encoding": "br, gzip"}):
        streamed = app.process_response(Response(chunks(), mimetype="text/html"))
    assert "Content-Encoding" not in streamed.headers and streamed.is_streamed

    polling = client.get("/socket.io/?EIO=4&transport=polling", headers={"Accept-Encoding": "br"})
    assert polling.status_code == 200 and polling.headers.get("Content-Encoding") != "br"
    assert polling.data.startswith(b"0{")  # the Engine.IO open packet, as the client expects it


# ---- static files: content-hashed addresses, a year's cache -----------------------------------------------


def test_static_addresses_carry_the_content_hash_and_are_kept_for_a_year(app, client):
    import hashlib

    url = static_url(app, "css/app.css")
    digest = hashlib.sha256(static_bytes(app, "css/app.css")).hexdigest()[:12]
    assert url == f"/static/css/app.css?v={digest}"
    resp = client.get(url)
    assert resp.status_code == 200 and resp.data == static_bytes(app, "css/app.css")
    assert resp.headers["Cache-Control"] == IMMUTABLE == "public, max-age=31536000, immutable"
    assert "Expires" not in resp.headers
    assert resp.headers["Vary"] == "Accept-Encoding"  # not Cookie: logging in does not refetch every file


def test_a_plain_or_stale_address_is_revalidated_and_an_unknown_file_is_404(app, client):
    plain = client.get("/static/css/app.css")
    assert plain.status_code == 200 and plain.headers["Cache-Control"] == "no-cache"
    again = client.get("/static/css/app.css", headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304
    stale = client.get("/static/css/app.css?v=000000000000")  # a page rendered before the file changed
    assert stale.status_code == 200 and stale.headers["Cache-Control"] == "no-cache"
    assert stale.data == static_bytes(app, "css/app.css")
    part = client.get(static_url(app, "css/app.css"), headers={"Range": "bytes=0-999", "Accept-Encoding": "br"})
    assert part.status_code == 206 and "Content-Encoding" not in part.headers
    assert part.data == static_bytes(app, "css/app.css")[:1000]
    for url in [
        "/static/css/nope.css",
        "/static/css/nope.css?v=000000000000",
        "/static/css",
        "/static/..%2fwsgi.py",
        "/static/%2e%2e/wsgi.py?v=000000000000",
    ]:
        assert client.get(url).status_code == 404, url


def test_every_static_file_a_page_links_to_is_hashed(app, client, make_seller, make_live_session, with_photos):
    product = with_photos(n=2)
    live = make_live_session(make_seller())
    vendor = Path(app.static_folder) / "vendor" / "socket.io.min.js"
    for path in ["/", f"/p/{product.id}-{product.slug}", f"/live/{live.id}", "/login"]:
        html = client.get(path).get_data(as_text=True)
        urls = STATIC_URL.findall(html)
        assert urls, path
        for url in urls:
            name, _, query = url.replace("&amp;", "&").removeprefix("/static/").partition("?")
            if name.startswith("vendor/") and not vendor.exists():
                continue  # `make install` copies it; a bare checkout has none
            assert query == f"v={app.extensions['static_manifest'].digest(name)}", (path, url)
            assert client.get(url.replace("&amp;", "&")).headers["Cache-Control"] == IMMUTABLE


def test_a_changed_file_gets_a_new_address(tmp_path):
    manifest = StaticManifest(tmp_path)
    css = tmp_path / "site.css"
    css.write_text("body { color: green }")
    first = manifest.digest("site.css")
    assert first and manifest.digest("site.css") == first
    css.write_text("body { color: red }!")
    os.utime(css, ns=(css.stat().st_atime_ns, css.stat().st_mtime_ns + 1_000_000))
    assert manifest.digest("site.css") not in (None, first)
    assert manifest.digest("../etc/passwd") is None and manifest.digest("nothing.css") is None


def test_pages_keep_their_policy_and_have_no_inline_script(app, client, with_photos, make_seller, make_live_session):
    product = with_photos()
    live = make_live_session(make_seller())
    for path in ["/", f"/p/{product.id}-{product.slug}", f"/live/{live.id}", "/search?q=s"]:
        resp = client.get(path, headers={"Accept-Encoding": "br"})
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self' 'nonce-" in csp and "'unsafe-inline'" not in csp, path
        html = brotli.decompress(resp.data).decode()
        for script in tags(html, "script"):
            if script.get("type", "text/javascript") in ("text/javascript", "module"):  # not a JSON data block
                assert script.get("src", "").startswith("/static/"), (path, script)


# ---- product cards: the photo the slot needs ----------------------------------------------------------------


def chosen_width(sizes: str, srcset: str, viewport: int = 360, dpr: float = 2.0) -> int:
    """The candidate a browser takes (Chromium: the smallest whose density reaches the screen's), for a
    ``sizes`` made of ``(min-width: Npx) LENGTH`` entries and a default, LENGTH being ``Npx``, ``Nvw`` or
    ``calc(Avw - Bpx)``."""
    slot = None
    for entry in (e.strip() for e in sizes.split(", ")):
        media = re.match(r"\(min-width: (\d+)px\) (.+)", entry)
        if media and viewport < int(media[1]):
            continue
        length = media[2] if media else entry
        calc = re.fullmatch(r"calc\((\d+)vw - (\d+)px\)", length) or re.fullmatch(r"(\d+)vw()", length)
        slot = viewport * int(calc[1]) / 100 - int(calc[2] or 0) if calc else float(length.removesuffix("px"))
        break
    widths = sorted(int(part.split()[1][:-1]) for part in srcset.split(", "))
    return next((w for w in widths if w / slot >= dpr), widths[-1])


def test_cards_ask_for_the_320_px_photo_on_a_phone_and_load_it_lazily(client, with_photos):
    with_photos(title="Sầu riêng Ri6")
    html = client.get("/").get_data(as_text=True)
    card = html[html.index('class="pgrid"') :]
    img, source = tags(card, "img")[0], tags(card, "source")[0]
    assert source["type"] == "image/webp"
    assert "-320.webp 320w" in source["srcset"] and "-800.webp 800w" in source["srcset"]
    assert img["src"].endswith("-320.jpg") and "-320.jpg 320w" in img["srcset"]
    assert img["sizes"] == source["sizes"]
    assert (img["width"], img["height"]) == ("1200", "900")  # the box is reserved before the photo comes
    assert img["loading"] == "lazy"  # below the first screen on the home page
    assert chosen_width(source["sizes"], source["srcset"], 360, 2) == 320  # the phone the issue measures
    assert chosen_width(source["sizes"], source["srcset"], 360, 3) == 800  # a sharper screen gets more
    assert chosen_width(source["sizes"], source["srcset"], 1280, 1) == 320  # desktop: 4 columns of 220 px


def test_an_upright_photo_gets_the_same_file_as_a_landscape_one_in_a_card(client, with_photos):
    product = with_photos(size=(900, 1200))  # taken upright, as phones mostly are
    card = client.get("/").get_data(as_text=True)
    source = tags(card[card.index('class="pgrid"') :], "source")[0]
    assert "-320.webp 320w" in source["srcset"]  # by its long side: a square card shows 240 × 240 of it either way
    assert chosen_width(source["sizes"], source["srcset"], 360, 2) == 320
    gallery = client.get(f"/p/{product.id}-{product.slug}").get_data(as_text=True)
    assert "-320.webp 240w" in tags(gallery, "source")[0]["srcset"]  # the gallery shows all of it: its real width


def test_the_first_cards_of_a_results_page_and_a_products_first_photo_come_first(client, with_photos):
    for n in range(3):
        product = with_photos(title=f"Sầu riêng {n}", n=2)
    cards = tags(client.get("/search").get_data(as_text=True), "img")
    cards = [c for c in cards if "/media/" in c.get("src", "")]
    assert [c.get("loading") for c in cards] == [None, None, "lazy"]
    photos = [
        c
        for c in tags(client.get(f"/p/{product.id}-{product.slug}").get_data(as_text=True), "img")
        if "/media/" in c.get("src", "")
    ]
    assert "loading" not in photos[0]
    assert photos[1]["loading"] == "lazy"
    assert chosen_width(photos[0]["sizes"], photos[0]["srcset"], 360, 2) == 800  # a full-width photo
