"""A small client of Janus's HTTP API (the media server of the live video; docs/video.md).

1. Only the app talks to Janus, over its HTTP API on localhost (or a private network), with the API secret; the
   browser never sees a secret, a Janus session or a handle id in clear (routes hand out signed resources).
2. ``Janus(url, api_secret=…, admin_url=…, admin_secret=…, timeout=…)`` is one server. Core calls:
   ``create_session``, ``attach``, ``message`` (with an optional JSEP; asynchronous plugin requests wait for
   their event on the session's long poll), ``keepalive``, ``detach``, ``destroy``; ``admin(request, …)``
   calls the admin API with the admin secret.
3. VideoRoom calls that need no participant run on a short-lived control handle (``control()``):
   ``create_room`` (``record=True`` and ``rec_dir`` for the recording), ``destroy_room``, ``room_exists``,
   ``participants``, ``kick``, ``rtp_forward``, ``stop_rtp_forward``, ``forwarders``, ``enable_recording``.
   Room creation and RTP forwarders need the plugin's ``admin_key`` (deploy/janus: the admin secret).
4. Failures are two kinds: ``MediaUnavailable`` — Janus down, too slow or unreadable: the page falls back to
   the link/embed and the routes answer 503 —, and ``JanusError`` — Janus or the plugin refused (its code and
   reason kept, e.g. 426 no such room, 436 the participant id is taken). ``SessionGone`` (a ``JanusError``) is
   a Janus session that timed out or was destroyed.
5. Every call has a timeout. Nothing here touches the database: call it outside any transaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("market.video.janus")
VIDEOROOM = "janus.plugin.videoroom"
MAX_ANSWER = 1024 * 1024  # an SDP is a few kB; a participants list of a big room a few tens
LONG_POLL_S = 30  # Janus answers an idle long poll with a keepalive after 30 s


class MediaUnavailable(Exception):
    """The media server cannot be used right now (down, too slow, unreadable answer)."""


class JanusError(Exception):
    """Janus or its VideoRoom plugin refused a request."""

    def __init__(self, code: int, reason: str):
        super().__init__(f"Janus error {code}: {reason}")
        self.code = code
        self.reason = reason


class SessionGone(JanusError):
    """The Janus session (or handle) no longer exists: it timed out or was destroyed."""


# Janus core codes (janus/apierror.h) that mean "that session or handle is gone".
GONE_CODES = {458, 459}  # JANUS_ERROR_SESSION_NOT_FOUND, JANUS_ERROR_HANDLE_NOT_FOUND
# VideoRoom plugin codes the callers act on.
ROOM_NOT_FOUND = 426
ROOM_EXISTS = 427
ID_EXISTS = 436
PUBLISHERS_FULL = 432
NO_SUCH_FEED = 428


@dataclass(frozen=True)
class PluginAnswer:
    """What a plugin request answered: its data (``videoroom`` … fields) and the JSEP that came with it."""

    data: dict
    jsep: dict | None = None


class Janus:
    def __init__(
        self,
        url: str,
        *,
        api_secret: str | None = None,
        admin_url: str | None = None,
        admin_secret: str | None = None,
        timeout: float = 5.0,
        event_timeout: float = 10.0,
    ):
        self.url = url.rstrip("/")
        self.api_secret = api_secret
        self.admin_url = admin_url.rstrip("/") if admin_url else None
        self.admin_secret = admin_secret
        self.timeout = timeout
        self.event_timeout = event_timeout

    def __repr__(self) -> str:
        return f"<Janus {self.url}>"

    # --- transport -----------------------------------------------------------------------------------------
    def _http(self, method: str, url: str, body: dict | None, timeout: float, many: bool = False):
        """One request; the JSON object answered (a list of them with ``many``). Errors never quote the query
        string: the long poll carries the API secret there."""
        data = json.dumps(body).encode() if body is not None else None
        where = url.split("?", 1)[0]
        request = urllib.request.Request(  # noqa: S310 - configured address
            url,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - configured address
                payload = response.read(MAX_ANSWER + 1)
        except urllib.error.HTTPError as exc:
            raise MediaUnavailable(f"{where}: HTTP {exc.code}") from None
        except (TimeoutError, urllib.error.URLError, OSError) as exc:
            raise MediaUnavailable(f"{where}: {getattr(exc, 'reason', exc)}") from exc
        if len(payload) > MAX_ANSWER:
            raise MediaUnavailable(f"{where}: answer too large")
        try:
            answer = json.loads(payload)
        except ValueError:
            raise MediaUnavailable(f"{where}: answer is not JSON") from None
        if many and isinstance(answer, list):
            return [event for event in answer if isinstance(event, dict)]
        if not isinstance(answer, dict):
            raise MediaUnavailable(f"{where}: answer is not a JSON object")
        return [answer] if many else answer

    def _post(self, path: str, body: dict, *, secret: bool = True) -> dict:
        body = {**body, "transaction": body.get("transaction") or _transaction()}
        if secret and self.api_secret:
            body["apisecret"] = self.api_secret
        answer = self._http("POST", self.url + path, body, self.timeout)
        if answer.get("janus") == "error":
            raise _error(answer.get("error") or {})
        return answer

    # --- core API --------------------------------------------------------------------------------------------
    def info(self) -> dict:
        """Server information (no secret needed): version, plugins, transports."""
        return self._http("GET", self.url + "/info", None, self.timeout)

    def create_session(self) -> int:
        return int(self._post("", {"janus": "create"})["data"]["id"])

    def attach(self, session_id: int, plugin: str = VIDEOROOM) -> int:
        return int(self._post(f"/{session_id}", {"janus": "attach", "plugin": plugin})["data"]["id"])

    def keepalive(self, session_id: int) -> None:
        """Keep a session alive another ``session_timeout`` (60 s); ``SessionGone`` when it died already."""
        self._post(f"/{session_id}", {"janus": "keepalive"})

    def detach(self, session_id: int, handle_id: int) -> None:
        self._post(f"/{session_id}/{handle_id}", {"janus": "detach"})

    def destroy(self, session_id: int) -> None:
        """Destroy a session and its handles (a publisher's leaves the room, a subscriber's PeerConnection
        closes). Already gone is fine."""
        try:
            self._post(f"/{session_id}", {"janus": "destroy"})
        except SessionGone:
            pass

    def hangup(self, session_id: int, handle_id: int) -> None:
        self._post(f"/{session_id}/{handle_id}", {"janus": "hangup"})

    def message(self, session_id: int, handle_id: int, body: dict, jsep: dict | None = None) -> PluginAnswer:
        """Send a plugin request. Synchronous requests answer at once; asynchronous ones (join, configure,
        publish, start …) are acknowledged, and their event is read from the session's long poll."""
        transaction = _transaction()
        request = {"janus": "message", "body": body, "transaction": transaction}
        if jsep is not None:
            request["jsep"] = jsep
        answer = self._post(f"/{session_id}/{handle_id}", request)
        if answer.get("janus") == "success":
            return _plugin_answer(answer)
        if answer.get("janus") != "ack":
            raise MediaUnavailable(f"unexpected answer {answer.get('janus')!r}")
        return self._wait_event(session_id, transaction)

    def _wait_event(self, session_id: int, transaction: str) -> PluginAnswer:
        """The event answering ``transaction`` (other events on the session — webrtcup, media, slowlink — are
        read and dropped: each session here serves one browser and one request at a time)."""
        deadline = time.monotonic() + self.event_timeout
        query = {"maxev": "10", "rid": str(int(time.time() * 1000))}
        if self.api_secret:
            query["apisecret"] = self.api_secret
        url = f"{self.url}/{session_id}?{urllib.parse.urlencode(query)}"
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise MediaUnavailable("no answer from the media server in time")
            for event in self._http("GET", url, None, min(left, LONG_POLL_S + 2), many=True):
                if event.get("janus") == "error" and event.get("transaction") in (None, transaction):
                    raise _error(event.get("error") or {})
                if event.get("transaction") == transaction and event.get("janus") == "event":
                    return _plugin_answer(event)

    # --- admin API -------------------------------------------------------------------------------------------
    def admin(self, request: str, session_id: int | None = None, handle_id: int | None = None, **fields: Any) -> dict:
        """One admin API request (``list_sessions``, ``list_handles``, ``handle_info``, ``ping`` …) with the admin
        secret; the admin API listens on localhost only (deploy/janus)."""
        if not self.admin_url:
            raise MediaUnavailable("the admin API of this media server is not configured")
        path = "".join(f"/{part}" for part in (session_id, handle_id) if part is not None)
        body = {"janus": request, "transaction": _transaction(), **fields}
        if self.admin_secret:
            body["admin_secret"] = self.admin_secret
        answer = self._http("POST", self.admin_url + path, body, self.timeout)
        if answer.get("janus") == "error":
            raise _error(answer.get("error") or {})
        return answer

    # --- VideoRoom: room-level requests on a short-lived control handle -------------------------------------
    @contextmanager
    def control(self) -> Iterator[tuple[int, int]]:
        """A Janus session and VideoRoom handle for a few synchronous requests, destroyed afterwards."""
        session_id = self.create_session()
        try:
            yield session_id, self.attach(session_id)
        finally:
            try:
                self.destroy(session_id)
            except (MediaUnavailable, JanusError):  # it times out by itself within a minute
                log.warning("control session %s of %s not destroyed", session_id, self.url)

    def videoroom(self, body: dict) -> dict:
        """One synchronous VideoRoom request; its data (``videoroom: success|created|…``)."""
        with self.control() as (session_id, handle_id):
            return self.message(session_id, handle_id, body).data

    def create_room(
        self,
        room: int,
        secret: str,
        *,
        description: str = "",
        publishers: int = 1,
        bitrate: int = 0,
        fir_freq: int = 5,
        videocodec: str = "vp8",
        audiocodec: str = "opus",
        record: bool = False,
        rec_dir: str | None = None,
        admin_key: str | None = None,
        **extra: Any,
    ) -> dict:
        """Create a room that only holders of ``secret`` may edit, destroy or kick from. Not saved to Janus's
        config file (``permanent: false``): the app creates it again if Janus restarts. ``JanusError`` with
        ``ROOM_EXISTS`` when the id is taken."""
        body = {
            "request": "create",
            "room": room,
            "secret": secret,
            "permanent": False,
            "is_private": True,
            "description": description[:100],
            "publishers": publishers,
            "bitrate": bitrate,
            "fir_freq": fir_freq,
            "videocodec": videocodec,
            "audiocodec": audiocodec,
            "record": record,
            "lock_record": True,
            "notify_joining": False,
            **extra,
        }
        if rec_dir:
            body["rec_dir"] = rec_dir
        key = admin_key if admin_key is not None else self.admin_secret
        if key:
            body["admin_key"] = key
        return self.videoroom(body)

    def destroy_room(self, room: int, secret: str) -> None:
        try:
            self.videoroom({"request": "destroy", "room": room, "secret": secret, "permanent": False})
        except JanusError as err:
            if err.code != ROOM_NOT_FOUND:
                raise

    def room_exists(self, room: int) -> bool:
        return bool(self.videoroom({"request": "exists", "room": room}).get("exists"))

    def participants(self, room: int) -> list[dict]:
        """The room's participants: ``id``, ``display``, ``publisher`` (true while sending media)."""
        return list(self.videoroom({"request": "listparticipants", "room": room}).get("participants") or [])

    def kick(self, room: int, secret: str, participant_id: int) -> None:
        self.videoroom({"request": "kick", "room": room, "secret": secret, "id": participant_id})

    def rtp_forward(
        self,
        room: int,
        publisher_id: int,
        host: str,
        streams: list[dict],
        *,
        secret: str | None = None,
        admin_key: str | None = None,
        **extra: Any,
    ) -> list[dict]:
        """Forward a publisher's streams as plain RTP to ``host`` (ffmpeg for HLS, a recorder …). ``streams``:
        ``[{"mid": "0", "port": 5002}, {"mid": "1", "port": 5004}]`` (a video stream may add ``"simulcast":
        True`` to forward one layer as a viewer would). Returns the forwarders (``stream_id``, ``type``,
        ``port`` …) for ``stop_rtp_forward``."""
        body = {
            "request": "rtp_forward",
            "room": room,
            "publisher_id": publisher_id,
            "host": host,
            "streams": streams,
            **extra,
        }
        if secret:
            body["secret"] = secret
        key = admin_key if admin_key is not None else self.admin_secret
        if key:
            body["admin_key"] = key
        return list(self.videoroom(body).get("forwarders") or [])

    def stop_rtp_forward(
        self, room: int, publisher_id: int, stream_id: int, *, secret: str | None = None, admin_key: str | None = None
    ) -> None:
        body = {"request": "stop_rtp_forward", "room": room, "publisher_id": publisher_id, "stream_id": stream_id}
        if secret:
            body["secret"] = secret
        key = admin_key if admin_key is not None else self.admin_secret
        if key:
            body["admin_key"] = key
        self.videoroom(body)

    def forwarders(self, room: int, secret: str) -> list[dict]:
        return list(
            self.videoroom({"request": "listforwarders", "room": room, "secret": secret}).get("publishers") or []
        )

    def enable_recording(self, room: int, secret: str, record: bool = True) -> None:
        self.videoroom({"request": "enable_recording", "room": room, "secret": secret, "record": record})


def configured() -> bool:
    """True when the app has media servers (JANUS_URL): our own video is on."""
    from flask import current_app

    return bool(current_app.config.get("JANUS_URLS"))


def pick_server(key: str | int, urls: tuple[str, ...] | None = None) -> str:
    """The media server for ``key`` (a live session id) among the configured ones, by rendezvous hashing: the
    same answer in every process, and adding a server moves only the sessions that now rank it first. Callers
    store the answer (``LiveVideo.server``) so a session stays where it started."""
    from flask import current_app

    urls = urls if urls is not None else tuple(current_app.config.get("JANUS_URLS") or ())
    if not urls:
        raise MediaUnavailable("no media server is configured (JANUS_URL)")
    return max(urls, key=lambda url: hashlib.sha256(f"{url}|{key}".encode()).digest())


def client(url: str) -> Janus:
    """A client of the configured server ``url`` with the app's secrets and timeout."""
    from flask import current_app

    config = current_app.config
    urls = tuple(config.get("JANUS_URLS") or ())
    admin_urls = tuple(config.get("JANUS_ADMIN_URLS") or ())
    admin_url = admin_urls[urls.index(url)] if url in urls and admin_urls else None
    timeout = float(config.get("JANUS_TIMEOUT") or 5)
    return Janus(
        url,
        api_secret=config.get("JANUS_API_SECRET"),
        admin_url=admin_url,
        admin_secret=config.get("JANUS_ADMIN_SECRET"),
        timeout=timeout,
        event_timeout=2 * timeout,
    )


def _transaction() -> str:
    return secrets.token_urlsafe(12)


def _error(error: dict) -> JanusError:
    code = int(error.get("code") or 0) if str(error.get("code") or "0").isdigit() else 0
    reason = str(error.get("reason") or "error")[:300]
    return (SessionGone if code in GONE_CODES else JanusError)(code, reason)


def _plugin_answer(answer: dict) -> PluginAnswer:
    data = ((answer.get("plugindata") or {}).get("data")) or {}
    if not isinstance(data, dict):
        raise MediaUnavailable("plugin answer without data")
    if "error_code" in data or data.get("videoroom") == "event" and "error" in data:
        raise JanusError(int(data.get("error_code") or 0), str(data.get("error") or "error")[:300])
    jsep = answer.get("jsep")
    return PluginAnswer(data=data, jsep=jsep if isinstance(jsep, dict) else None)
