"""Signals of the live video, for the recording and the HLS path (recording.py, hls.py) and anyone else.

- ``publishing_started`` (sender: the live session id; kwargs ``server``, ``room``, ``feed_id``, ``secret`` — the
  room's secret for ``rtp_forward`` —, ``offer_sdp`` — the publisher's offer, whose mids say which stream is
  which; the HLS output starts from it): sent after the commit that made a publisher the session's current one,
  including a resume or a hand-over to another phone (a new ``feed_id`` each time).
- ``publishing_stopped`` (sender: the session id; kwargs ``generation``): the current publish ended (the host
  stopped, the session ended, the publisher's Janus session is gone).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()
publishing_started = _signals.signal("video-publishing-started")
publishing_stopped = _signals.signal("video-publishing-stopped")
