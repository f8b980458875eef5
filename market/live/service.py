"""The names the moderation area still reads here, while it is being reorganised: the live code lives in
``access``, ``streams``, ``sessions``, ``offers``, ``chat`` and ``snapshot``.

Only ``market/moderation/`` and ``tests/moderation/`` import this module (tests/test_imports.py checks it);
once they import from those homes, delete it.
"""

from market.live.chat import MUTE_MAX_MINUTES, register_chat_check
from market.live.offers import pin_offer
from market.live.sessions import end_session_for_rules
from market.live.snapshot import recent_chat
from market.live.streams import stream_info

__all__ = ["MUTE_MAX_MINUTES", "end_session_for_rules", "pin_offer", "recent_chat", "register_chat_check",
           "stream_info"]
