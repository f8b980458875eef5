"""The watch page's player for a session streamed only on Chợ Phiên (no TikTok, YouTube or Facebook link): a
clear "the video starts when the seller streams" until she does, and with the media server down the page says
the video is unavailable — with no link to send viewers to — while the order panel works as ever."""

from __future__ import annotations

import re

from market.extensions import db
from market.video.models import LiveVideo, VideoStatus

WAITING = "Video sẽ bắt đầu khi người bán phát."
NO_LINK_DOWN = "Hiện chưa xem được video trực tiếp. Bạn vẫn đặt hàng bình thường ở bên dưới."


def _waiting_tag(html: str) -> str:
    found = re.search(r'<div id="video-waiting"[^>]*>', html)
    assert found, "no waiting state on the page"
    return found.group(0)


def test_before_the_host_streams_viewers_see_the_waiting_state_and_the_order_panel(
    client, make_offer, make_session, video_configured
):
    session = make_session(stream_url=None)
    offer = make_offer(session=session)
    assert client.post(f"/live/{session.id}/video/whep").status_code == 404  # not on air: the page asks again
    html = client.get(f"/live/{session.id}").get_data(as_text=True)
    assert WAITING in html and "hidden" not in _waiting_tag(html)
    assert 'id="video-player"' in html and 'data-on-air="0"' in html and 'data-no-link="1"' in html
    assert "btn-watch" not in html and "đường link phát sóng" not in html  # no link to point at
    assert f'data-offer-id="{offer.id}"' in html and 'id="live-offers"' in html
    # a session with a link keeps its link and has no waiting state
    linked = client.get(f"/live/{make_session().id}").get_data(as_text=True)
    assert 'id="video-waiting"' not in linked and "btn-watch" in linked and 'data-no-link="0"' in linked


def test_media_server_down_says_the_video_is_unavailable_and_ordering_goes_on(
    client, make_offer, make_session, video_configured
):
    session = make_session(stream_url=None)
    offer = make_offer(session=session)
    db.session.add(
        LiveVideo(
            session_id=session.id,
            server=video_configured.config["JANUS_URLS"][0],
            room=1234,
            status=VideoStatus.PUBLISHING,
            generation=1,
            janus_session=1,
            janus_handle=2,
            feed_id=3,
        )
    )
    db.session.commit()
    resp = client.post(f"/live/{session.id}/video/whep")  # the row says on air; the media server does not answer
    assert resp.status_code == 503 and resp.json["error"] == "media_unavailable"
    html = client.get(f"/live/{session.id}").get_data(as_text=True)
    assert f'data-down="{NO_LINK_DOWN}"' in html and "btn-watch" not in html
    assert "hidden" in _waiting_tag(html)  # on air: the player is shown at once, the waiting state steps aside
    assert f'data-offer-id="{offer.id}"' in html
