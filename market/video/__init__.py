"""Our own live video (issue 18, docs/video.md): the KOL publishes from her phone's browser over WebRTC to Janus,
viewers watch inside the live page. Off unless JANUS_URL is set: sessions keep their TikTok/Facebook/YouTube link.

``janus.py`` is the media server's client; the publish tokens, the WHIP/WHEP routes and the player live beside it
(recording, HLS and chapters are ``recording.py``, ``hls.py``, ``chapters.py``).
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("video", __name__)
