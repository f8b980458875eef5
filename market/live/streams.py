"""Where a session is watched: its TikTok, YouTube or Facebook link (checked, and shown embedded where the
platform allows it), and whether this site streams sessions itself (the video area says so through
``register_own_video``; then the outside link is optional)."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from market.domain import DomainError

PLATFORMS = {
    "tiktok": {"tiktok.com", "www.tiktok.com", "m.tiktok.com", "vm.tiktok.com", "vt.tiktok.com"},
    "youtube": {"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be"},
    "facebook": {"facebook.com", "www.facebook.com", "m.facebook.com", "web.facebook.com", "fb.watch"},
}
PLATFORM_NAMES = {"tiktok": "TikTok", "youtube": "YouTube", "facebook": "Facebook"}
_YT_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")


def platform_of(url: str) -> str | None:
    host = (urlparse(url).hostname or "").lower()
    return next((name for name, hosts in PLATFORMS.items() if host in hosts), None)


# Without our own video the outside link is the only way to watch, and the host is told so beside the field.
LINK_REQUIRED = _l(
    "Paste the link of your TikTok, YouTube or Facebook live: this site cannot stream video itself "
    "yet, so buyers watch it there."
)
_own_video: list[Callable[[], bool]] = []


def register_own_video(enabled: Callable[[], bool]) -> None:
    """The video area (above live) says whether this site streams sessions itself (JANUS_URL)."""
    if enabled not in _own_video:
        _own_video.append(enabled)


def own_video() -> bool:
    """True when a session may be streamed only here, from the host's phone: its outside link is optional."""
    return any(enabled() for enabled in _own_video)


def clean_stream_url(raw: str | None, field: str = "stream_url", required: bool = True) -> str | None:
    """An https link to a TikTok, YouTube or Facebook live (or its replay); anything else is refused."""
    url = (raw or "").strip()
    if not url:
        if required:
            raise DomainError("invalid", str(LINK_REQUIRED), field=field)
        return None
    message = _("Use an https link from TikTok, YouTube or Facebook, such as https://www.tiktok.com/@name/live.")
    if len(url) > 500 or any(c.isspace() for c in url):
        raise DomainError("invalid", message, field=field)
    parsed = urlparse(url)
    if parsed.scheme != "https" or parsed.username or parsed.password or parsed.port not in (None, 443):
        raise DomainError("invalid", message, field=field)
    if platform_of(url) is None:
        raise DomainError("invalid", message, field=field)
    return url


def youtube_id(url: str) -> str | None:
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower()
    parts = [p for p in parsed.path.split("/") if p]
    candidate: str | None = None
    if host == "youtu.be" and parts:
        candidate = parts[0]
    elif parts[:1] == ["watch"]:
        candidate = next(iter(parse_qs(parsed.query).get("v", [])), None)
    elif len(parts) >= 2 and parts[0] in ("live", "embed", "shorts"):
        candidate = parts[1]
    return candidate if candidate and _YT_ID.match(candidate) else None


def stream_info(url: str | None, autoplay: bool = True) -> dict[str, str | None] | None:
    """How the page shows a stream: an embedded player where the platform allows it, else a link out. A live
    plays at once (muted); a replay waits for the viewer's tap."""
    if not url:
        return None
    platform = platform_of(url) or "other"
    video = youtube_id(url) if platform == "youtube" else None
    play = "autoplay=1&mute=1&" if autoplay else ""
    embed = f"https://www.youtube-nocookie.com/embed/{video}?{play}playsinline=1" if video else None
    return {"platform": platform, "name": PLATFORM_NAMES.get(platform, ""), "watch_url": url, "embed_url": embed}
