"""The Live tab, ``/staff/live…``: the sessions of her communes, the moderator view of one session (its chat runs
over the /live protocol in static/js/staff-live.js), ending a session that breaks the rules, and the communes' chat
word filters (``/staff/live/words``)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market.domain import DomainError
from market.extensions import db
from market.forms import attach_error
from market.live import chat as live_chat
from market.live import snapshot as live_snapshot
from market.live import streams as live_streams
from market.live.models import LiveSession
from market.moderation import audit, bp
from market.moderation.forms import ActionForm, RequiredReasonForm
from market.moderation.live import service as moderation
from market.moderation.live.forms import FilterWordForm
from market.moderation.models import ChatFilterWord
from market.moderation.scope import check_commune, communes_in_scope, get_in_scope, parse_id
from market.moderation.views import commune_arg

SESSION_ACTIONS = ("live.end",)  # removals are listed from the chat itself


@bp.get("/live", endpoint="live")
def live_sessions():
    commune_id = commune_arg()
    return render_template(
        "moderation/live.html",
        communes=communes_in_scope(current_user),
        commune_id=commune_id,
        **moderation.sessions_for(current_user, commune_id),
    )


def _session_page(session: LiveSession, status: int = 200, end_form=None, word_form=None):
    communes = [c for c in communes_in_scope(current_user) if c.id == session.commune_id]
    word_form = word_form or FilterWordForm(prefix="word", communes=communes, formdata=None)
    word_form.commune_id.data = session.commune_id
    return render_template(
        "moderation/live_session.html",
        session=session,
        stream=live_streams.stream_info(session.stream_url),
        chat=live_snapshot.recent_chat(session),
        end_form=end_form or RequiredReasonForm(prefix="end", formdata=None),
        word_form=word_form,
        words=moderation.words_of(session.commune_id),
        action_form=ActionForm(),
        history=audit.entries_for_object("live_session", session.id, SESSION_ACTIONS),
        removed=moderation.recent_removed(session),
        mute_max=live_chat.MUTE_MAX_MINUTES,
    ), status


@bp.get("/live/<int:session_id>", endpoint="live_session")
def live_session(session_id: int):
    return _session_page(get_in_scope(LiveSession, session_id, current_user))


@bp.post("/live/<int:session_id>/end", endpoint="live_end")
def live_end(session_id: int):
    session = get_in_scope(LiveSession, session_id, current_user, for_update=True)
    form = RequiredReasonForm(prefix="end")
    if not form.validate_on_submit():
        return _session_page(session, 400, end_form=form)
    try:
        moderation.end_for_rules(session, current_user, form.reason.data)
    except DomainError as err:
        db.session.rollback()
        session = get_in_scope(LiveSession, session_id, current_user)
        if err.field:
            attach_error(form, err)
            return _session_page(session, err.status, end_form=form)
        flash(err.message, "error")
        return _session_page(session, err.status)
    db.session.commit()
    flash(_("The session has ended; its viewers were told why."), "success")
    return redirect(url_for("staff.live_session", session_id=session.id))


# ---- word filter ----------------------------------------------------------------------------------------


def _words_page(form=None, status: int = 200, commune_id: int | None = None):
    communes = communes_in_scope(current_user)
    form = form or FilterWordForm(prefix="word", communes=communes, formdata=None)
    if commune_id is None:
        commune_id = parse_id(form.commune_id.data)
    if commune_id is None and communes:
        commune_id = communes[0].id
    form.commune_id.data = commune_id
    words = moderation.words_of(commune_id) if commune_id else []
    return render_template(
        "moderation/live_words.html",
        form=form,
        words=words,
        communes=communes,
        commune_id=commune_id,
        action_form=ActionForm(),
    ), status


@bp.get("/live/words", endpoint="live_words")
def live_words():
    return _words_page(commune_id=commune_arg())


def _back_to_session(raw) -> LiveSession | None:
    """The moderator page the word was added from (only one of the staff member's own sessions)."""
    sid = parse_id(raw)
    if sid is None:
        return None
    session = db.session.get(LiveSession, sid)
    return session if session is not None and current_user.can_staff(session.commune_id) else None


@bp.post("/live/words", endpoint="live_word_add")
def live_word_add():
    communes = communes_in_scope(current_user)
    chosen = parse_id(request.form.get("word-commune_id"))
    if chosen is not None:
        check_commune(current_user, chosen)  # another commune's filter: 404, as for any of its objects
    form = FilterWordForm(prefix="word", communes=communes)
    back = _back_to_session(request.form.get("session_id"))
    status = 400
    if form.validate_on_submit():
        try:
            entry = moderation.add_word(form.commune_id.data, form.word.data, current_user)
        except DomainError as err:
            db.session.rollback()
            attach_error(form, err)
            status = err.status
        else:
            db.session.commit()
            flash(
                _("“%(word)s” is now refused in the chat of %(commune)s.", word=entry.word, commune=entry.commune.name),
                "success",
            )
            if back is not None and back.commune_id == entry.commune_id:
                return redirect(url_for("staff.live_session", session_id=back.id) + "#words")
            return redirect(url_for("staff.live_words", commune=entry.commune_id))
    if back is not None:
        return _session_page(back, status, word_form=form)
    return _words_page(form, status)


@bp.post("/live/words/<int:word_id>/remove", endpoint="live_word_remove")
def live_word_remove(word_id: int):
    entry = get_in_scope(ChatFilterWord, word_id, current_user)
    back = _back_to_session(request.form.get("session_id"))
    if not ActionForm().validate_on_submit():
        flash(_("This form has expired. Please try again."), "error")
        return _words_page(status=400, commune_id=entry.commune_id)
    commune_id, word = entry.commune_id, entry.word
    moderation.remove_word(entry, current_user)
    db.session.commit()
    flash(_("“%(word)s” is allowed in the chat again.", word=word), "success")
    if back is not None and back.commune_id == commune_id:
        return redirect(url_for("staff.live_session", session_id=back.id) + "#words")
    return redirect(url_for("staff.live_words", commune=commune_id))
