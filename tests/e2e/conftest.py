"""Browser tests: Playwright drives the machine's Chromium at a phone viewport against a real server."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_BROWSER, janus_env
from tests.servers import ServerDB, start_server

CHROMIUM = os.environ.get("MARKET_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
PHONE = {"width": 360, "height": 740}
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def chromium_path():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if REQUIRE_BROWSER:
            pytest.fail(
                f"Chromium is required (MARKET_REQUIRE_BROWSER=1) but {CHROMIUM} is missing: apt-get install chromium"
            )
        pytest.skip(f"Chromium not installed at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
def server(tmp_path_factory, chromium_path):
    """One real gevent server on a fresh SQLite database with the demo seeded."""
    tmp = tmp_path_factory.mktemp("e2e")
    db = ServerDB.create(tmp)
    # INFO: the SMS log (codes) is read by tests. Our own video on when the test Janus answers (tests/e2e/test_video.py
    # needs it; the other pages only gain a hidden player).
    srv = start_server(db, tmp, env={"LOG_LEVEL": "INFO", **janus_env()})
    srv.video = bool(janus_env())
    srv.db = db
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright driver for the whole run: a second ``sync_playwright()`` in the same thread is refused
    ("Sync API inside the asyncio loop"), so every browser the tests launch comes from this one."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_driver, chromium_path):
    browser = playwright_driver.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def new_phone_page(browser, server):
    """A factory of fresh phone-sized pages (separate cookies), closed after the test.

    The test fails if a page broke the Content-Security-Policy or threw a JavaScript error.
    """
    contexts = []
    problems: list[str] = []

    def watch(page):
        page.on(
            "console",
            lambda msg: (
                problems.append(f"console {msg.type}: {msg.text}")
                if msg.type == "error" and ("Content Security Policy" in msg.text or "Refused" in msg.text)
                else None
            ),
        )
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))

    def factory(locale: str = "vi-VN"):
        context = browser.new_context(
            viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale=locale, base_url=server.url
        )
        context.set_default_timeout(15000)
        contexts.append(context)
        page = context.new_page()
        watch(page)
        return page

    yield factory
    for context in contexts:
        context.close()
    assert not problems, "the browser reported: " + "; ".join(problems[:5])


@pytest.fixture
def phone_page(new_phone_page):
    return new_phone_page()


def shot(page, name: str) -> Path:
    """Save a full-page screenshot for a person to look at (never committed)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_fits_phone(page) -> None:
    """Nothing wider than the 360 px screen: no sideways scrolling.

    Measured once the page has loaded (stylesheets and images): right after a form's redirect, an element may
    already be visible while the page is still being laid out, and a photo not yet sized by its CSS measures
    its natural width."""
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page is {width}px wide on a {PHONE['width']}px phone"


def wait_until(page, function: str, arg=None, timeout: float = 15.0) -> None:
    """Poll a JavaScript function ("() => …" or "x => …") until it returns something truthy.

    Instead of ``page.wait_for_function``: that one turns its argument into a function with ``eval`` inside the
    page, which our Content-Security-Policy forbids; Chromium lets it through only when nothing else runs in the
    page at that moment, so on a loaded machine it fails now and then (microsoft/playwright#36982).
    ``page.evaluate`` of a function is not an ``eval`` and CSP does not apply to it."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(function, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout:.0f} s: {function}")
        page.wait_for_timeout(100)


def login(page, phone: str, password: str = "chophien123") -> None:
    page.goto("/login")
    page.fill("#phone", phone)
    page.fill("#password", password)
    page.click("form:not(.lang) button[type=submit]")
    page.wait_for_load_state()
