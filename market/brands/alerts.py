"""Followers hear when a live session starts: one in-app notification and one message per person — a Zalo ZNS
template message (kind ``follow.live_started``) when a Zalo OA is configured with a template for it, else or
when ZNS does not take it the SMS, as every transactional message (``notifications.zns.deliver``).

Who: everyone following the host's shop, the session's commune, or a (visible) brand the host's shop is under —
a person reached by several of these paths is told once, and the message names the path (the shop itself
first, then a brand, then the commune), whose follow the SMS's unsubscribe link stops. Not the host, not
banned people.

When: the live area sends ``live_started`` after the commit that put the session on air; the fan-out is
deferred (``market.tasks.defer``: a background greenlet when serving) so starting a session costs the host
nothing however many people follow. It walks the followers in batches of ``BATCH_SIZE`` by user id, one
transaction per batch.

How often: at most one alert per follower and host per ``ALERT_INTERVAL`` (an hour). The claim is one upsert
on ``follow_live_alerts`` that only succeeds for people not told about this host within the hour, in the
batch's transaction: a host ending and restarting sessions, a retried task or two processes fanning out the
same start cannot tell anyone twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite

from market.accounts.models import User
from market.brands.follows import stop_token
from market.brands.models import Brand, BrandShop, Follow, FollowKind, LiveAlert
from market.database import on_commit, utcnow
from market.extensions import db
from market.live.signals import live_started
from market.notifications.service import message_kind, notify, sms_body
from market.notifications.zns import deliver
from market.tasks import defer

log = logging.getLogger(__name__)

KIND = "follow.live_started"
BATCH_SIZE = 500
ALERT_INTERVAL = timedelta(hours=1)
STOP_PATH = "/stop/"  # + token: the public address of the unsubscribe page (routes.py)
_RANK = {FollowKind.SHOP.value: 0, FollowKind.BRAND.value: 1, FollowKind.COMMUNE.value: 2}


def register() -> None:
    """The alert's text, and the alerts when a session goes live (the brands area's ``init_app`` calls it)."""
    message_kind(KIND)(_live_started_text)
    live_started.connect(_on_live_started)


def _live_started_text(p: dict) -> str:
    if p.get("via"):
        return _("%(shop)s is live now (you follow %(via)s): %(title)s", shop=p["shop"], via=p["via"], title=p["title"])
    return _("%(shop)s is live now: %(title)s", shop=p["shop"], title=p["title"])


def _on_live_started(session_id, **_kw):
    defer(announce, session_id)


def announce(session_id: int, batch_size: int | None = None) -> dict:
    """Tell the followers of a session that went live; returns what was done (for logs and tests)."""
    from market.brands.service import visible_brands
    from market.live.models import LiveSession, SessionStatus

    session = db.session.get(LiveSession, session_id)
    stats = {"followers": 0, "notified": 0, "skipped": 0, "batches": 0}
    if session is None or session.status != SessionStatus.LIVE:
        return stats
    host = session.seller
    brands = {
        b.id: b.name
        for b in db.session.scalars(
            visible_brands().join(BrandShop, BrandShop.brand_id == Brand.id).where(BrandShop.seller_id == host.id)
        )
    }
    paths = [
        sa.and_(Follow.target_type == FollowKind.SHOP.value, Follow.target_id == host.id),
        sa.and_(Follow.target_type == FollowKind.COMMUNE.value, Follow.target_id == session.commune_id),
    ]
    if brands:
        paths.append(sa.and_(Follow.target_type == FollowKind.BRAND.value, Follow.target_id.in_(list(brands))))
    reached = sa.or_(*paths)
    context = {
        "session_id": session.id,
        "title": session.title,
        "shop": host.shop_name,
        "seller_id": host.id,
        "host_user_id": host.user_id,
        "brands": brands,
        "commune": session.commune.name,
    }
    size = batch_size or BATCH_SIZE
    after = 0
    while True:
        user_ids = list(
            db.session.scalars(
                sa.select(Follow.user_id)
                .join(User, User.id == Follow.user_id)
                .where(reached, Follow.user_id > after, Follow.user_id != host.user_id, User.banned_at.is_(None))
                .group_by(Follow.user_id)
                .order_by(Follow.user_id)
                .limit(size)
            )
        )
        if not user_ids:
            break
        stats["followers"] += len(user_ids)
        told = _tell_batch(user_ids, reached, context)
        db.session.commit()  # the batch's notifications and claims; its pushes and SMS go out now
        stats["notified"] += told
        stats["skipped"] += len(user_ids) - told
        stats["batches"] += 1
        after = user_ids[-1]
    log.info(
        "live session %s: %s followers, %s told, %s told within the hour already",
        session_id,
        stats["followers"],
        stats["notified"],
        stats["skipped"],
    )
    return stats


def _tell_batch(user_ids: list[int], reached, context: dict) -> int:
    reasons: dict[int, object] = {}
    for row in db.session.execute(
        sa.select(Follow.id, Follow.user_id, Follow.target_type, Follow.target_id).where(
            reached, Follow.user_id.in_(user_ids)
        )
    ):
        best = reasons.get(row.user_id)
        if best is None or (_RANK[row.target_type], row.id) < (_RANK[best.target_type], best.id):
            reasons[row.user_id] = row
    claimed = _claim(sorted(reasons), context["seller_id"], context["session_id"])
    if not claimed:
        return 0
    link = f"/live/{context['session_id']}"
    site = current_app.config["SITE_URL"].rstrip("/")
    default_locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    users = db.session.scalars(sa.select(User).where(User.id.in_(claimed)).order_by(User.id))
    for user in users:
        reason = reasons[user.id]
        via = None
        if reason.target_type == FollowKind.BRAND.value:
            via = context["brands"].get(reason.target_id)
        elif reason.target_type == FollowKind.COMMUNE.value:
            via = context["commune"]
        params = {"shop": context["shop"], "title": context["title"], "via": via, "session_id": context["session_id"]}
        notification = notify(user, KIND, params, link=link)
        stop = site + STOP_PATH + stop_token(reason)
        with force_locale(user.locale or default_locale):
            text = sms_body(notification.text, link, _("Stop these messages: %(url)s", url=stop))
        # the ZNS template's parameters: the notification's own, the live page and the unsubscribe address
        template = {
            "shop": params["shop"],
            "title": params["title"],
            "via": via or "",
            "link": site + link,
            "stop": stop,
        }
        phone = user.phone
        on_commit(lambda phone=phone, text=text, template=template: defer(deliver, phone, text, KIND, template))
    return len(claimed)


def _claim(user_ids: list[int], seller_id: int, session_id: int) -> set[int]:
    """The people of ``user_ids`` not told about this host within ALERT_INTERVAL, now marked as told."""
    if not user_ids:
        return set()
    now = utcnow()
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(LiveAlert).values(
        [{"user_id": uid, "seller_id": seller_id, "session_id": session_id, "sent_at": now} for uid in user_ids]
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[LiveAlert.user_id, LiveAlert.seller_id],
        set_={"sent_at": stmt.excluded.sent_at, "session_id": stmt.excluded.session_id},
        where=LiveAlert.sent_at <= now - ALERT_INTERVAL,
    ).returning(LiveAlert.user_id)
    return set(db.session.scalars(stmt))
