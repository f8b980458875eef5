"""Local stand-ins for the HTTP services the app calls: the plumbing they share.

Each stand-in is a threaded ``http.server`` on 127.0.0.1 with a free port; the real client code (the official
``stripe`` library, the carriers' adapters, urllib for SMS and Zalo) talks to it, so no test reaches the
internet. It records every request for the test to check (``seen``, ``calls(path)``), can be told to fail
(``fail_next``) or to answer slowly (``delay``). A service's module subclasses ``StandIn`` and writes only that
service's shapes in ``route``: tests/payments/standin.py (Stripe), tests/shipping/standin.py (GHN, GHTK),
tests/notifications/standin.py (Zalo, an SMS gateway).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Seen:
    """One request as the stand-in read it."""

    method: str
    path: str  # without the query
    query: dict
    headers: dict  # names in lower case: HTTP header names may come in any case
    body: str
    json: object = None
    form: dict = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, owner: StandIn):
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args):
        pass

    def _handle(self):
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        parts = urlsplit(self.path)
        rec = Seen(
            self.command,
            parts.path,
            dict(parse_qsl(parts.query)),
            {k.lower(): v for k, v in self.headers.items()},
            body,
        )
        ctype = self.headers.get("Content-Type", "")
        if "json" in ctype and body:
            rec.json = json.loads(body)
        elif "x-www-form-urlencoded" in ctype:
            rec.form = owner.read_form(body)
        with owner.lock:
            owner.seen.append(rec)
            failure = owner.fail_next.pop(0) if owner.fail_next else None
        if owner.delay:
            time.sleep(owner.delay)
        status, payload = failure if failure else owner.route(rec)
        if isinstance(payload, bytes):
            data, content_type = payload, owner.bytes_type
        else:
            data, content_type = json.dumps(payload, ensure_ascii=False).encode(), "application/json"
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            pass

    do_GET = do_POST = do_DELETE = _handle


class StandIn:
    """start() on a free port, stop(); ``seen`` requests; ``fail_next`` (status, payload) answers
    the next requests instead of ``route``; ``delay`` seconds before every answer. ``route(rec)`` returns
    (status, payload): a payload of bytes goes out as ``bytes_type``, anything else as JSON."""

    bytes_type = "application/octet-stream"

    def __init__(self):
        self.seen: list[Seen] = []
        self.fail_next: list[tuple[int, object]] = []
        self.delay = 0.0
        self.lock = threading.Lock()
        self.server = _Server(self)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def calls(self, path: str) -> list[Seen]:
        return [r for r in self.seen if r.path == path]

    @staticmethod
    def read_form(body: str) -> dict:
        """A form body; a service that nests its fields (Stripe) reads them its own way."""
        return dict(parse_qsl(body))

    def route(self, rec: Seen) -> tuple[int, object]:  # pragma: no cover - overridden
        return 404, {}
