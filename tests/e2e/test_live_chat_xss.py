"""Property 35: a chat message that is HTML (``<img src=x onerror=alert(1)>``) is shown as the text it is, in a
real browser: live to another viewer, and in the history after a reload; no image element, no script run."""

from playwright.sync_api import expect

from tests.e2e.conftest import login

SESSION = "/live/1"  # the demo's session, live now
ATTACK = "<img src=x onerror=alert(1)> chốt <b>5</b>"


def test_chat_html_is_shown_literally_live_and_in_history(new_phone_page):
    dialogs: list[str] = []
    watcher = new_phone_page()
    watcher.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    watcher.goto(SESSION)
    expect(watcher.locator("#live-chat")).to_be_visible()

    writer = new_phone_page()
    writer.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(writer, "0904000002")
    writer.goto(SESSION)
    writer.fill("#chat-text", ATTACK)
    writer.locator("#live-chat-form button[type=submit]").click()

    for page in (watcher, writer):  # live, through the socket
        expect(page.locator("#live-chat")).to_contain_text(ATTACK)
        assert page.locator("#live-chat img").count() == 0 and "&lt;b&gt;5&lt;/b&gt;" in page.inner_html("#live-chat")
    watcher.reload()  # history, rendered by the server
    expect(watcher.locator("#live-chat")).to_contain_text(ATTACK)
    assert watcher.locator("#live-chat img").count() == 0
    assert "&lt;img src=x onerror=alert(1)&gt;" in watcher.inner_html("#live-chat")
    watcher.wait_for_timeout(300)
    assert dialogs == []
