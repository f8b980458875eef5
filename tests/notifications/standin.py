"""Local stand-ins for the message transports notifications sends through (tests/standin.py's plumbing): Zalo's
ZNS and OA token APIs, and the HTTP SMS gateway, each answering in its own shapes."""

from __future__ import annotations

import itertools

from tests.standin import Seen, StandIn


class ZaloStandIn(StandIn):
    """Zalo: ZNS template messages (business.openapi.zalo.me) and OA token refresh (oauth.zaloapp.com v4)."""

    APP_ID, APP_SECRET = "4321098765432109876", "zalo-app-secret"

    def __init__(self):
        super().__init__()
        self.access = "access-1"  # the token Zalo accepts now
        self.refresh = "refresh-1"  # the refresh token Zalo accepts now (single use)
        self.not_on_zalo: set[str] = set()
        self.echo_refusal = False  # refuse every message, quoting its template data back (as some errors do)
        self.sent: list[dict] = []
        self._n = itertools.count(2)

    def route(self, rec: Seen):
        if rec.path == "/v4/oa/access_token":
            if rec.headers.get("secret_key") != self.APP_SECRET or rec.form.get("app_id") != self.APP_ID:
                return 200, {"error": -14002, "error_name": "Invalid app", "error_description": "Invalid app"}
            if rec.form.get("refresh_token") != self.refresh or rec.form.get("grant_type") != "refresh_token":
                return 200, {
                    "error": -14014,
                    "error_name": "Invalid refresh token",
                    "error_description": "Invalid refresh token",
                }
            n = next(self._n)
            self.access, self.refresh = f"access-{n}", f"refresh-{n}"
            return 200, {"access_token": self.access, "refresh_token": self.refresh, "expires_in": "90000"}
        if rec.path == "/message/template":
            if rec.headers.get("access_token") != self.access:
                return 200, {"error": -124, "message": "Access token is invalid"}
            body = rec.json or {}
            if body.get("phone") in self.not_on_zalo:
                return 200, {"error": -118, "message": "Zalo account not existed"}
            if self.echo_refusal:
                return 200, {"error": -1124, "message": f"Template data is invalid: {body.get('template_data')}"}
            self.sent.append(body)
            return 200, {
                "error": 0,
                "message": "Success",
                "data": {
                    "msg_id": f"msg{len(self.sent)}",
                    "sent_time": "1733480000000",
                    "quota": {"dailyQuota": "500", "remainingQuota": "499"},
                },
            }
        return 404, {"error": 404, "message": "not found"}


class SmsGatewayStandIn(StandIn):
    """The HTTP SMS gateway ``notifications.sms.HttpGatewaySms`` posts to: JSON ``{to, text}``, a bearer token."""

    def route(self, rec: Seen) -> tuple[int, dict]:
        if rec.headers.get("authorization") != "Bearer sms-token":
            return 401, {"error": "bad token"}
        return 200, {"ok": True, "id": len(self.seen)}
