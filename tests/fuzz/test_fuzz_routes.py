"""Hypothesis fuzzes every route of ``app.url_map`` — pages, forms, uploads, JSON endpoints — with hostile input,
as every role: never a 500, never a traceback in a page, never an ERROR or a logged exception.

Routes are enumerated from the app, form field names from every FlaskForm subclass, so routes and forms that
other areas add later are fuzzed without a change here. Path arguments are real ids of the test world, absurd
numbers or hostile strings; query strings and form bodies carry wrong types, huge and deeply nested values,
NUL bytes, lone surrogates, right-to-left marks, HTML and SQL injection strings, path traversal in uploaded file
names. The examples of one test share the test's transaction (rolled back at the end).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter

from tests.conftest import login_as
from tests.fuzz.conftest import (
    GET_EXAMPLES,
    HOSTILE,
    POST_EXAMPLES,
    deep,
    fresh_limits,
    fuzz_settings,
    hostile_json,
    hostile_text,
)
from tests.world import ROLES

_ARG = re.compile(r"<(?:([a-zA-Z_]\w*)(?:\([^)]*\))?:)?([a-zA-Z_]\w*)>")
ABSURD_INTS = [0, 1, 2**31 - 1, 2**31, 2**63, 10**30]
# Real values for path arguments, by argument name (world ids), so examples reach real objects too.
REAL = {
    "product_id": ["product_a", "product_b", "draft_a", "listing_a"],
    "order_id": ["order_a", "order_b", "weighed_a"],
    "session_id": ["live_a", "live_b", "scheduled_a"],
    "notification_id": ["note_a"],
    "report_id": ["report_a"],
    "profile_id": ["seller_a_profile"],
    "user_id": ["buyer_a_id"],
    "slug": ["shop_a", "commune_a", "product_a_slug", "brand_a_slug"],
    "brand_id": ["brand_a"],
    "item_id": ["seller_a_profile", "product_a"],  # a brand's shop or product
    "target_id": ["brand_a", "seller_a_profile", "commune_a_id"],
    "token": ["stop_a"],
    "lot_id": ["lot_a"],
    "household_id": ["household_a"],
    "contribution_id": ["contribution_a"],
}
REAL_STRINGS = {
    "code": ["vi", "en"],
    "provider": ["sepay"],
    "name": ["durian", "coffee"],
    "kind": ["brand", "shop", "commune"],
    "answer": ["accept", "decline"],
    "filename": ["css/app.css", "js/live.js", "p/00/00/" + "0" * 64 + "-320.webp"],
}
FILENAMES = [
    "../../etc/passwd",
    "..\\..\\boot.ini",
    "/etc/shadow",
    "a/../../b.jpg",
    "ảnh sầu riêng.jpg",
    "x" * 300 + ".png",
    ".htaccess",
    "photo.jpg\x00.php",
    "CON",
    "",
    "photo.JPG",
    "<script>.png",
]


def _tiny_jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 150, 40)).save(out, "JPEG")
    return out.getvalue()


TINY_JPEG = _tiny_jpeg()
FILE_CONTENTS = [
    TINY_JPEG,
    b"",
    b"GIF89a" + b"\x00" * 20,
    b"\xff\xd8\xff" + b"\x00" * 50,
    b"<?php echo 1; ?>",
    b"\x89PNG\r\n\x1a\n" + b"\xff" * 40,
]


def routes(app) -> list[tuple]:
    out = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule, method))
    return out


def form_field_names() -> list[str]:
    """Every field of every FlaskForm the app defines (with the prefixes the staff forms use)."""
    from flask_wtf import FlaskForm
    from wtforms.fields.core import UnboundField

    names, seen, stack = set(), set(), list(FlaskForm.__subclasses__())
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        stack.extend(cls.__subclasses__())
        for klass in cls.__mro__:
            names.update(k for k, v in vars(klass).items() if isinstance(v, UnboundField))
    prefixed = {
        f"{p}-{n}"
        for p in ("suspend", "restore", "revoke", "ban", "unban", "close")
        for n in ("reason", "outcome", "note")
    }
    return sorted(names | prefixed | {"ids", "order_ids", "status", "action", "method-1", "method-2", "next"})


def _q(value: str) -> str:
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def _path(rule, draw, ids) -> str:
    converters = getattr(rule, "_converters", {})

    def value(match):
        name = match.group(2)
        if isinstance(converters.get(name), IntegerConverter):  # the app's ``int`` is a subclass (web.IdConverter)
            choices = [ids[k] for k in REAL.get(name, []) if k in ids] + ABSURD_INTS
            return str(draw(st.sampled_from(choices))) if draw(st.integers(0, 9)) else _q(draw(hostile_text()))
        real = [ids[k] for k in REAL.get(name, []) if k in ids] + REAL_STRINGS.get(name, [])
        if real and draw(st.booleans()):
            return _q(str(draw(st.sampled_from(real))))
        return _q(draw(st.one_of(hostile_text(), st.sampled_from(FILENAMES))))

    return _ARG.sub(value, rule.rule)


def _urlencoded(pairs: list[tuple[str, str]]) -> bytes:
    return "&".join(f"{_q(k)}={_q(v)}" for k, v in pairs).encode("ascii")


def _encodable(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8")


def _value(draw) -> str:
    raw = draw(st.one_of(hostile_text(), st.integers().map(str), st.sampled_from(HOSTILE)))
    return raw if draw(st.integers(0, 19)) else (raw or "x") * (100_000 // max(1, len(raw)))  # now and then huge


class Clients:
    """One logged-in test client per role (and its CSRF token), reused across examples."""

    def __init__(self, app, world):
        self.app, self.world, self._clients = app, world, {}

    def get(self, role: str):
        from market.accounts.models import User
        from market.extensions import db

        if role not in self._clients:
            from tests.conftest import csrf_token

            self._clients[role] = client = self.app.test_client()
            client.token = csrf_token(client, "/")
        client = self._clients[role]
        if role != "anonymous":  # logged in again each time: an earlier example may have logged out or banned
            user = db.session.get(User, self.world.user(role).id, populate_existing=True)
            user.banned_at = None
            db.session.flush()
            login_as(client, user)
        return client, client.token


def _check(resp, what: str, watch) -> None:
    assert resp.status_code < 500, f"{what} → {resp.status_code}: {resp.get_data(as_text=True)[:800]}"
    body = resp.get_data()
    assert b"Traceback (most recent call last)" not in body, what
    assert not watch.bad, f"{what}: logged {watch.bad[:3]}"


def test_every_route_with_hostile_input(app, world, log_watch):
    clients = Clients(app, world)
    fields = form_field_names()
    table = routes(app)
    assert len(table) > 80  # the whole app, not a part
    for rule, method in table:
        is_json = rule.rule.startswith(("/api/", "/webhooks/"))

        @fuzz_settings(GET_EXAMPLES if method == "GET" else POST_EXAMPLES)
        @given(data=st.data())
        def example(data):
            draw = data.draw
            role = draw(st.sampled_from(ROLES))
            client, token = clients.get(role)
            path = _path(rule, draw, world.ids)
            query = _urlencoded(
                [
                    (
                        draw(
                            st.sampled_from(
                                fields
                                + ["q", "page", "per_page", "role", "before", "commune", "category", "status", "lang"]
                            )
                        ),
                        _value(draw),
                    )
                    for _ in range(draw(st.integers(0, 3)))
                ]
            )
            url = path + ("?" + query.decode() if query else "")
            headers = {}
            if is_json and role != "anonymous" and draw(st.booleans()):
                headers["Authorization"] = "Bearer " + world.tokens[role]
            elif draw(st.integers(0, 9)) == 0:
                headers["Authorization"] = "Bearer " + re.sub(r"[\r\n]", "", _encodable(draw(hostile_text())))
            with fresh_limits():
                if method == "GET":
                    resp = client.get(url, headers=headers)
                elif is_json or draw(st.integers(0, 5)) == 0:
                    body = draw(
                        st.one_of(
                            hostile_json().map(lambda v: json.dumps(v, allow_nan=True).encode()),
                            st.sampled_from(
                                [
                                    b"",
                                    b"{",
                                    b"\xff\xfe",
                                    b"[" * 5000 + b"]" * 5000,
                                    b'{"a": ' * 3000 + b"1" + b"}" * 3000,
                                    json.dumps(deep(200)).encode(),
                                    b'{"phone": "\\ud800"}',
                                    b'{"a": "' + b"x" * 2_000_000 + b'"}',
                                ]
                            ),
                        )
                    )
                    resp = client.open(
                        url,
                        method=method,
                        data=body,
                        headers=headers,
                        content_type=draw(st.sampled_from(["application/json", "text/plain"])),
                    )
                else:
                    pairs = [(draw(st.sampled_from(fields)), _value(draw)) for _ in range(draw(st.integers(0, 6)))]
                    if draw(st.integers(0, 9)):
                        pairs.append(("csrf_token", token))
                    if draw(st.integers(0, 3)) == 0:  # an upload (multipart), hostile file names
                        form = {k: _encodable(v) for k, v in pairs}
                        form["photos"] = [
                            (
                                io.BytesIO(draw(st.sampled_from(FILE_CONTENTS))),
                                draw(st.sampled_from(FILENAMES)).replace("\x00", ""),
                            )
                            for _ in range(draw(st.integers(1, 3)))
                        ]
                        resp = client.open(
                            url, method=method, data=form, headers=headers, content_type="multipart/form-data"
                        )
                    else:
                        resp = client.open(
                            url,
                            method=method,
                            data=_urlencoded(pairs),
                            headers=headers,
                            content_type="application/x-www-form-urlencoded",
                        )
            _check(resp, f"{role} {method} {url[:200]}", log_watch)

        example()
    _media_stays_in_media_dir(app)


def _media_stays_in_media_dir(app) -> None:
    """Whatever the upload's name, only content-addressed files under MEDIA_DIR were written."""
    media = Path(app.config["MEDIA_DIR"])
    stored = re.compile(r"^p/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}-\d+\.(webp|jpg)$")
    if media.exists():
        odd = [
            str(p.relative_to(media))
            for p in media.rglob("*")
            if p.is_file() and not stored.match(str(p.relative_to(media)))
        ]
        assert not odd, odd
    around = media.parent
    assert not [p for p in around.rglob("*") if p.name in ("passwd", "shadow", "boot.ini", "win.ini", ".htaccess")]
