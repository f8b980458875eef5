"""The photos part of a form with photos (a listing, a brand page), read from the request.

The page sends the kept photos and the new uploads in the order the person arranged them, as ``photo_order``
tokens: ``e<id>`` for a stored photo, ``n<index>`` for the index-th file of the ``photos`` field; ticked
``remove_photo`` boxes drop stored ones. Without JavaScript there are no "n" tokens: new uploads follow the
kept photos. Nothing is written to disk here; new photos are checked and their variants made in memory.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, request

from market.catalog import images
from market.domain import DomainError, ErrorCode, parse_id


def upload_refused(err: DomainError) -> None:
    from market.securitylog import security_event

    security_event("upload_refused", reason=err.code, message=err.message)


def uploads() -> list:
    """The files of the "photos" field, leaving out the empty part a browser sends when none was chosen."""
    return [f for f in request.files.getlist("photos") if f is not None and f.filename]


def charge_daily_uploads(count: int) -> None:
    """Count ``count`` new photos against the uploader's daily cap (``PHOTO_UPLOADS_PER_DAY``) before any is
    decoded; over it, refuse the request with 429 and say until when. A photo costs seconds of CPU and six
    files on disk: one account must not be able to make thousands a day (the audit made 55 in 4 s)."""
    from flask_babel import gettext as _
    from flask_login import current_user

    from market import ratelimit
    from market.errors import user_abort
    from market.securitylog import security_event

    cap = current_app.config["PHOTO_UPLOADS_PER_DAY"]
    if count and not ratelimit.take(f"{cap}/day", count, "photo-uploads", str(current_user.id)):
        security_event("upload_refused", reason="daily_cap", count=count, cap=cap)
        user_abort(
            429,
            _(
                "You have uploaded the %(n)d photos a day allows. Save without new photos now, and add them tomorrow.",
                n=cap,
            ),
        )


def photo_plan(existing_photos, max_photos: int, too_many: Callable[[int], str], errors: list[DomainError]) -> list:
    """Stored photos (kept) and prepared new ones (``images.PhotoFile``), in order; refusals go to ``errors``.

    ``too_many(count)`` words the refusal of more than ``max_photos``."""
    existing = {p.id: p for p in existing_photos}
    removed = {parse_id(v) for v in request.form.getlist("remove_photo")}
    files = uploads()
    charge_daily_uploads(len(files))
    refs: list[tuple[str, object]] = []
    seen: set[str] = set()
    for token in request.form.getlist("photo_order")[:50]:
        if token in seen or not 2 <= len(token) <= 11 or not token[1:].isdigit():
            continue
        kind, number = token[0], int(token[1:])
        if kind == "e" and number in existing and number not in removed:
            refs.append(("e", existing[number]))
        elif kind == "n" and number < len(files):
            refs.append(("n", number))
        else:
            continue
        seen.add(token)
    refs += [("e", p) for pid, p in existing.items() if f"e{pid}" not in seen and pid not in removed]
    refs += [("n", i) for i in range(len(files)) if f"n{i}" not in seen]
    if len(refs) > max_photos:
        errors.append(DomainError(ErrorCode.INVALID, too_many(len(refs)), field="photos"))
        return []
    plan: list = []
    media_dir = current_app.config["MEDIA_DIR"]
    for kind, ref in refs:
        if kind == "e":
            plan.append(ref)
            continue
        upload = files[ref]
        try:
            plan.append(images.prepare(upload.stream.read(images.MAX_FILE_BYTES + 1), upload.filename, media_dir))
        except DomainError as err:
            upload_refused(err)
            errors.append(err)
    return plan
