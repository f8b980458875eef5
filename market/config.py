"""Settings from the environment, with embedded defaults that run on a laptop.

Every setting is read in one place; a wrong value stops the app at start with a message that names the
variable, instead of failing later on a customer's request.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class ConfigError(RuntimeError):
    """A setting from the environment is missing or wrong."""


def _int(env: dict, name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        raise ConfigError(f"{name} must be between {minimum} and {maximum or '∞'}, got {value}")
    return value


def _bool(env: dict, name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _database_url(env: dict, instance_path: Path) -> str:
    raw = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'chophien.sqlite3'}"
    # Hosting providers hand out postgres:// URLs; SQLAlchemy wants a driver name.
    if raw.startswith("postgres://"):
        raw = "postgresql+psycopg://" + raw[len("postgres://") :]
    elif raw.startswith("postgresql://"):
        raw = "postgresql+psycopg://" + raw[len("postgresql://") :]
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(f"DATABASE_URL is not a database URL: {raw!r}") from None
    if url.get_backend_name() not in {"sqlite", "postgresql"}:
        raise ConfigError(f"DATABASE_URL must point to SQLite or PostgreSQL, got {url.get_backend_name()!r}")
    return raw


def _engine_options(env: dict, database_url: str) -> dict:
    options: dict = {"pool_pre_ping": True}
    if database_url.startswith("postgresql"):
        # gevent: many greenlets share a process; keep their connections open instead of opening and
        # closing overflow ones under load (a PostgreSQL connection costs the server a process).
        options["pool_size"] = _int(env, "DB_POOL_SIZE", 10, 1, 500)
        options["max_overflow"] = _int(env, "DB_MAX_OVERFLOW", 30, 0, 1000)
    return options


def _redis_url(env: dict) -> str | None:
    raw = env.get("REDIS_URL") or None
    if raw and urlparse(raw).scheme not in {"redis", "rediss", "unix"}:
        raise ConfigError(f"REDIS_URL must start with redis://, rediss:// or unix://, got {raw!r}")
    return raw


def _site_url(env: dict) -> str:
    raw = (env.get("SITE_URL") or "http://127.0.0.1:5000").rstrip("/")
    parsed = urlparse(raw)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise ConfigError(f"SITE_URL must be an http(s) address such as https://chophien.vn, got {raw!r}")
    return raw


def _secret_key(env: dict, instance_path: Path) -> str:
    """Use SECRET_KEY when set; otherwise make one once and keep it in instance/ so sessions survive restarts."""
    raw = env.get("SECRET_KEY")
    if raw:
        if len(raw) < 16:
            raise ConfigError("SECRET_KEY must be at least 16 characters long")
        return raw
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def load_config(instance_path: str | Path, env: dict | None = None) -> dict:
    """Build the Flask config dict from the environment (``env`` defaults to ``os.environ``)."""
    env = dict(os.environ if env is None else env)
    instance_path = Path(instance_path)
    redis_url = _redis_url(env)
    stripe_secret = env.get("STRIPE_SECRET_KEY") or None
    stripe_webhook_secret = env.get("STRIPE_WEBHOOK_SECRET") or None
    if stripe_secret and not stripe_secret.startswith(("sk_", "rk_")):
        raise ConfigError("STRIPE_SECRET_KEY must start with sk_ or rk_")
    if stripe_secret and not stripe_webhook_secret:
        raise ConfigError("STRIPE_WEBHOOK_SECRET is required when STRIPE_SECRET_KEY is set")
    site_url = _site_url(env)
    sms_url = env.get("SMS_GATEWAY_URL") or None
    if sms_url and urlparse(sms_url).scheme not in {"http", "https"}:
        raise ConfigError(f"SMS_GATEWAY_URL must be an http(s) address, got {sms_url!r}")
    database_url = _database_url(env, instance_path)
    return {
        "SECRET_KEY": _secret_key(env, instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(env, database_url),
        "REDIS_URL": redis_url,
        "SITE_URL": site_url,
        "MEDIA_DIR": str(Path(env.get("MEDIA_DIR") or instance_path / "media").resolve()),
        # Every body is small (forms, JSON) except on the routes that take photos (``web.takes_uploads``).
        "MAX_CONTENT_LENGTH": _int(env, "MAX_BODY_KB", 1024, 16, 100 * 1024) * 1024,
        "MAX_UPLOAD_BYTES": _int(env, "MAX_UPLOAD_MB", 20, 1, 200) * 1024 * 1024,
        # One form field (multipart text part or urlencoded pair) and the number of fields in one form.
        "MAX_FORM_MEMORY_SIZE": _int(env, "MAX_FIELD_KB", 100, 1, 10 * 1024) * 1024,
        "MAX_FORM_PARTS": 1000,
        "PHOTO_UPLOADS_PER_DAY": _int(env, "PHOTO_UPLOADS_PER_DAY", 100, 1, 100_000),
        "STRIPE_SECRET_KEY": stripe_secret,
        "STRIPE_WEBHOOK_SECRET": stripe_webhook_secret,
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE") or None,
        "STRIPE_TIMEOUT": _int(env, "STRIPE_TIMEOUT", 20, 1, 120),
        "SEPAY_WEBHOOK_SECRET": env.get("SEPAY_WEBHOOK_SECRET") or None,
        "SMS_GATEWAY_URL": sms_url,
        "SMS_GATEWAY_TOKEN": env.get("SMS_GATEWAY_TOKEN") or None,
        **_shipping(env),
        **_zalo(env),
        **_video(env),
        **_replay(env, instance_path),
        # SMS go out without diacritics (160 characters a part instead of 70); on for a gateway that wants them
        "SMS_KEEP_DIACRITICS": _bool(env, "SMS_KEEP_DIACRITICS", False),
        "HOLD_MINUTES": _int(env, "HOLD_MINUTES", 30, 1, 7 * 24 * 60),
        # A live order waits this long for its address and way to pay (the buyer is reminded at half of it).
        "LIVE_HOLD_MINUTES": _int(env, "LIVE_HOLD_MINUTES", 20, 2, 24 * 60),
        "COD_ACCEPT_HOURS": _int(env, "COD_ACCEPT_HOURS", 24, 1, 14 * 24),
        "TRANSFER_CLAIM_HOURS": _int(env, "TRANSFER_CLAIM_HOURS", 24, 1, 14 * 24),
        # A confirmed order weighed outside the tolerance waits this long for the buyer's answer, then is
        # cancelled (a card authorisation lapses after 7 days at Stripe; the fruit does not wait either).
        "WEIGHING_ANSWER_HOURS": _int(env, "WEIGHING_ANSWER_HOURS", 48, 1, 6 * 24),
        "LIVE_COALESCE_MS": _int(env, "LIVE_COALESCE_MS", 200, 10, 5000),
        # Hearts and viewer counts: at most this often (never more often than LIVE_COALESCE_MS).
        "LIVE_COUNTERS_MS": _int(env, "LIVE_COUNTERS_MS", 1000, 10, 60000),
        # Live order merging: how long a batch collects orders for one offer (0: one transaction per order).
        "LIVE_ORDER_BATCH_MS": _int(env, "LIVE_ORDER_BATCH_MS", 5, 0, 1000),
        "LIVE_ORDER_BATCH_MAX": _int(env, "LIVE_ORDER_BATCH_MAX", 500, 1, 5000),
        # Login checks of sockets connecting within this window are read in one query (0: one query each).
        "LIVE_GATHER_MS": _int(env, "LIVE_GATHER_MS", 2, 0, 1000),
        "LIVE_HOLD_SWEEP_SECONDS": _int(env, "LIVE_HOLD_SWEEP_SECONDS", 30, 1, 3600),
        # How often each process closes flash deals whose countdown ran out (orders are refused from the
        # deadline on, whatever this is; it is how soon the units go back to the shelf and the room hears).
        "LIVE_FLASH_SWEEP_MS": _int(env, "LIVE_FLASH_SWEEP_MS", 1000, 50, 60000),
        "LIVE_REDIS_PREFIX": env.get("LIVE_REDIS_PREFIX") or "chophien:live",
        "API_TOKEN_MAX_AGE": _int(env, "API_TOKEN_MAX_AGE", 30 * 24 * 3600, 60),
        # Co-op payouts: the platform's fee in basis points of each household's gross (300 = 3 %).
        "PLATFORM_FEE_BPS": _int(env, "PLATFORM_FEE_BPS", 300, 0, 5000),
        "SOCKETIO_ASYNC_MODE": env.get("SOCKETIO_ASYNC_MODE") or None,
        # Redis pub/sub channel of the Socket.IO queue: channels ignore Redis db numbers, so two sites (or two
        # test runs) sharing one Redis need different names.
        "SOCKETIO_CHANNEL": env.get("SOCKETIO_CHANNEL") or "chophien",
        # Sockets only from the configured site; unset SITE_URL (a laptop): any origin matching the Host.
        "SOCKETIO_CORS_ORIGINS": [site_url] if env.get("SITE_URL") else None,
        "PROXY_COUNT": _int(env, "PROXY_COUNT", 0, 0, 5),  # reverse proxies in front (nginx: 1)
        "RATELIMIT_ENABLED": _bool(env, "RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # Redis gone: Flask-Limiter's own decorators count in this process's memory (market/ratelimit.py does
        # the same for the limits checked by hand), and never wait long for an answer.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1} if redis_url else {},
        "RATELIMIT_HEADERS_ENABLED": False,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": site_url.startswith("https://"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": site_url.startswith("https://"),
        "PREFERRED_URL_SCHEME": "https" if site_url.startswith("https://") else "http",
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "LANGUAGES": ("vi", "en"),
        "PASSWORD_HASH_COST": "normal",
    }


CARRIER_NAMES = ("ghn", "ghtk")


def _http_base(name: str, value: str) -> str:
    if urlparse(value).scheme not in {"http", "https"}:
        raise ConfigError(f"{name} must be an http(s) address, got {value!r}")
    return value


def _shipping(env: dict) -> dict:
    """Carriers shops may connect (docs/shipping.md): off unless SHIPPING_CARRIERS names them."""
    carriers = tuple(c.strip().lower() for c in (env.get("SHIPPING_CARRIERS") or "").split(",") if c.strip())
    unknown = [c for c in carriers if c not in CARRIER_NAMES]
    if unknown:
        raise ConfigError(f"SHIPPING_CARRIERS: unknown carrier {unknown[0]!r} (known: {', '.join(CARRIER_NAMES)})")
    return {
        "SHIPPING_CARRIERS": carriers,
        "GHN_API_BASE": _http_base("GHN_API_BASE", env.get("GHN_API_BASE") or "https://online-gateway.ghn.vn"),
        "GHTK_API_BASE": _http_base(
            "GHTK_API_BASE", env.get("GHTK_API_BASE") or "https://services.giaohangtietkiem.vn"
        ),
        "CARRIER_TIMEOUT": _int(env, "CARRIER_TIMEOUT", 10, 1, 60),
        # a quote at checkout: short, the buyer is waiting (the shop's table answers when it runs out)
        "CARRIER_QUOTE_TIMEOUT": _int(env, "CARRIER_QUOTE_TIMEOUT", 3, 1, 30),
    }


def _replay(env: dict, instance_path: Path) -> dict:
    """Recording, HLS and replay of the live video (docs/video.md). VIDEO_DIR holds the media server's .mjr
    recordings (it must be writable by Janus), the replays made of them and the live HLS segments."""
    low, _sep, high = (env.get("VIDEO_HLS_PORTS") or "41000-41999").partition("-")
    if not (low.isdecimal() and high.isdecimal() and 1024 <= int(low) and int(low) + 64 <= int(high) <= 65535):
        raise ConfigError("VIDEO_HLS_PORTS must be a range of at least 64 UDP ports such as 41000-41999")
    return {
        "VIDEO_DIR": str(Path(env.get("VIDEO_DIR") or instance_path / "video").resolve()),
        "VIDEO_RECORD": _bool(env, "VIDEO_RECORD", True),
        "VIDEO_HLS": _bool(env, "VIDEO_HLS", True),
        "VIDEO_HLS_PORTS": (int(low), int(high)),
        # Where Janus sends the RTP of a publisher for ffmpeg (this machine as Janus sees it).
        "VIDEO_HLS_RTP_HOST": env.get("VIDEO_HLS_RTP_HOST") or "127.0.0.1",
        "VIDEO_HLS_SEGMENT_S": _int(env, "VIDEO_HLS_SEGMENT_S", 2, 1, 10),
        "VIDEO_HLS_HEIGHT": _int(env, "VIDEO_HLS_HEIGHT", 480, 144, 1080),
        # The recording job waits until the .mjr files stop growing for this long (the publisher left).
        "VIDEO_REC_SETTLE_S": _int(env, "VIDEO_REC_SETTLE_S", 3, 0, 120),
        "FFMPEG_BIN": env.get("FFMPEG_BIN") or "ffmpeg",
        "JANUS_PP_REC_BIN": env.get("JANUS_PP_REC_BIN") or "janus-pp-rec",
    }


def _zalo(env: dict) -> dict:
    """Zalo ZNS beside SMS (market/notifications/zns.py): all of app id, secret, refresh token and templates, or
    none. ``ZALO_ZNS_TEMPLATES`` is ``kind=template id`` pairs separated by commas."""
    given = {
        "ZALO_APP_ID": env.get("ZALO_APP_ID"),
        "ZALO_APP_SECRET": env.get("ZALO_APP_SECRET"),
        "ZALO_OA_REFRESH_TOKEN": env.get("ZALO_OA_REFRESH_TOKEN"),
        "ZALO_ZNS_TEMPLATES": env.get("ZALO_ZNS_TEMPLATES"),
    }
    given = {name: (value or "").strip() for name, value in given.items()}
    templates: dict[str, str] = {}
    if any(given.values()):
        for name, value in given.items():
            if not value:
                raise ConfigError(f"{name} is required when Zalo ZNS is configured ({', '.join(given)})")
        for pair in given["ZALO_ZNS_TEMPLATES"].split(","):
            kind, sep, template_id = pair.strip().partition("=")
            if not sep or not kind.strip() or not template_id.strip().isdigit():
                raise ConfigError(f"ZALO_ZNS_TEMPLATES: {pair.strip()!r} is not kind=template id (digits)")
            templates[kind.strip()] = template_id.strip()
    return {
        "ZALO_APP_ID": given["ZALO_APP_ID"] or None,
        "ZALO_APP_SECRET": given["ZALO_APP_SECRET"] or None,
        "ZALO_OA_REFRESH_TOKEN": given["ZALO_OA_REFRESH_TOKEN"] or None,
        "ZALO_OA_ACCESS_TOKEN": (env.get("ZALO_OA_ACCESS_TOKEN") or "").strip() or None,
        "ZALO_ZNS_TEMPLATES": templates,
        "ZALO_API_BASE": _http_base("ZALO_API_BASE", env.get("ZALO_API_BASE") or "https://business.openapi.zalo.me"),
        "ZALO_OAUTH_BASE": _http_base("ZALO_OAUTH_BASE", env.get("ZALO_OAUTH_BASE") or "https://oauth.zaloapp.com"),
        "ZALO_TIMEOUT": _int(env, "ZALO_TIMEOUT", 10, 1, 60),
    }


def _video(env: dict) -> dict:
    """Our own live video (docs/video.md): off unless JANUS_URL names one or more Janus servers (comma-separated).

    Each live session is put on one of them for good (the choice is stored), so every app process finds it.
    Both secrets are required with it: the API secret on every Janus request, the admin secret for the admin
    API and the VideoRoom's ``admin_key`` (room creation, RTP forwarders)."""
    urls = tuple(u.strip().rstrip("/") for u in (env.get("JANUS_URL") or "").split(",") if u.strip())
    for url in urls:
        _http_base("JANUS_URL", url)
    admin_urls = tuple(u.strip().rstrip("/") for u in (env.get("JANUS_ADMIN_URL") or "").split(",") if u.strip())
    for url in admin_urls:
        _http_base("JANUS_ADMIN_URL", url)
    if admin_urls and len(admin_urls) != len(urls):
        raise ConfigError(
            f"JANUS_ADMIN_URL must name one admin address per JANUS_URL ({len(urls)}), got {len(admin_urls)}"
        )
    api_secret = (env.get("JANUS_API_SECRET") or "").strip() or None
    admin_secret = (env.get("JANUS_ADMIN_SECRET") or "").strip() or None
    if urls and not api_secret:
        raise ConfigError("JANUS_API_SECRET is required when JANUS_URL is set (deploy/janus.sh prints it)")
    if urls and not admin_secret:
        raise ConfigError("JANUS_ADMIN_SECRET is required when JANUS_URL is set (deploy/janus.sh prints it)")
    ice = tuple(u.strip() for u in (env.get("VIDEO_ICE_SERVERS") or "").split(",") if u.strip())
    for url in ice:
        if not url.startswith(("stun:", "turn:", "turns:")):
            raise ConfigError(f"VIDEO_ICE_SERVERS: {url!r} is not a stun: or turn: address")
    return {
        "JANUS_URLS": urls,
        "JANUS_ADMIN_URLS": admin_urls,
        "JANUS_API_SECRET": api_secret,
        "JANUS_ADMIN_SECRET": admin_secret,
        "JANUS_TIMEOUT": _int(env, "JANUS_TIMEOUT", 5, 1, 60),
        # How long a host's publish token is good for: enough to allow the camera and check the uplink.
        "VIDEO_PUBLISH_TOKEN_MINUTES": _int(env, "VIDEO_PUBLISH_TOKEN_MINUTES", 10, 1, 120),
        "VIDEO_ICE_SERVERS": ice,
    }
