"""Benchmark (not a test): page weight and first paint on a cheap phone over 3G, beside a baseline in the same run.

The machine's Chromium (Playwright, then the DevTools protocol) loads each page the way a buyer's first visit
does: cold cache, 360 × 740 at DPR 2, the network throttled by ``Network.emulateNetworkConditions`` (400 ms
round trip, 400 kbit/s down and up) and the CPU slowed four times (``Emulation.setCPUThrottlingRate``). For the
home page, the live session and a product page it prints the bytes on the wire (headers and bodies) until every
request has ended and the network has been quiet for 2 s, the same less the photos below the first screen that
lazy loading fetched ahead ("1st screen"), the requests that reached the network, FCP and LCP, the Socket.IO
transport apart; then a second view of the same page in the same browser (what the HTTP cache saves).

The baseline is another commit of this repository (``--baseline``, default: ``main`` before this work), checked
out into a temporary worktree and served the same way (``python wsgi.py``, as ``make run``) on its own copy of
the demo data; the two sites are loaded alternately, page by page, so both see the same machine load.

    .venv/bin/python bench/pages_3g.py [--baseline REF | --baseline none] [--runs 3] [--pages home,live] [-v]

Figures go to docs/performance.md by hand; they vary with the machine and its load. The machine is shared: a
run of 3 loads takes about four minutes, so run it a few times only.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import free_port  # noqa: E402

CHROMIUM = os.environ.get("MARKET_CHROMIUM", "/usr/bin/chromium")
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
BASELINE = "54136af"  # main before pages-on-3G: nothing compressed, static files sent no-cache
RTT_MS = 400
KBIT_S = 400
CPU_SLOWDOWN = 4
QUIET_S = 2.0  # a page has finished loading when nothing new was asked for during this long after `load`
GOALS = {"kb": 150, "fcp_ms": 1500}
VERBOSE = "-v" in sys.argv


@dataclass
class View:
    bytes: int = 0
    requests: int = 0
    fcp_ms: float = 0.0
    lcp_ms: float = 0.0
    load_ms: float = 0.0
    below_fold: int = 0  # bytes of photos outside the first screen, fetched ahead by the browser's lazy loading
    socket_bytes: int = 0
    by_type: dict = field(default_factory=dict)


@dataclass
class Site:
    """One tree of this repository served by ``python wsgi.py`` on a fresh SQLite database with the demo."""

    name: str
    tree: Path
    tmp: Path
    url: str = ""
    process: subprocess.Popen | None = None

    def env(self) -> dict:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{self.tmp / 'bench.sqlite3'}",
            "SECRET_KEY": "bench-secret-key-0123456789abcdef",
            "MEDIA_DIR": str(self.tmp / "media"),
            "MARKET_INSTANCE_PATH": str(self.tmp / "instance"),
            "FLASK_APP": str(self.tree / "wsgi.py"),
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(self.tree),
            "SOCKETIO_CHANNEL": f"bench-pages-{self.name}-{os.getpid()}",
        }
        env.pop("REDIS_URL", None)
        return env

    def flask(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "flask", *args],
            cwd=self.tree,
            env=self.env(),
            check=True,
            capture_output=True,
            timeout=600,
        )

    def start(self) -> None:
        self.flask("db", "upgrade")
        self.flask("seed-demo")
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        log = open(self.tmp / "server.log", "w")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [sys.executable, str(self.tree / "wsgi.py")],
            cwd=self.tree,
            env={**self.env(), "PORT": str(port), "SITE_URL": self.url},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        import requests

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.3)
        raise RuntimeError(f"{self.name}: server did not answer:\n{(self.tmp / 'server.log').read_text()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def pages(self) -> dict[str, str]:
        """Home, the demo's live session, and the first product the home page shows."""
        import requests

        home = requests.get(self.url + "/", timeout=10).text
        product = re.search(r'href="(/p/\d+-[^"]+)"', home)
        live = re.search(r'href="(/live/\d+)"', home)
        return {
            "home": "/",
            "live": live.group(1) if live else "/live/1",
            "product": product.group(1) if product else "/",
        }


def checkout(ref: str, tmp: Path) -> Path:
    """The baseline's code in a worktree of its own, with what `make install` adds (vendor files, catalogues)."""
    tree = tmp / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(tree), ref], check=True)
    if (ROOT / "static" / "vendor").is_dir():
        shutil.copytree(ROOT / "static" / "vendor", tree / "static" / "vendor")
    pybabel = Path(sys.executable).with_name("pybabel")
    for po in tree.glob("market/**/translations/vi/LC_MESSAGES/messages.po"):
        subprocess.run([str(pybabel), "compile", "-d", str(po.parents[2])], check=True, capture_output=True)
    return tree


FIRST_SCREEN_JS = """() => [...document.images]
    .filter(i => i.currentSrc && i.getBoundingClientRect().top < innerHeight && i.getBoundingClientRect().bottom > 0)
    .map(i => i.currentSrc)"""
PAINTS_JS = """() => new Promise(done => {
    const nav = performance.getEntriesByType('navigation')[0] || {};
    const fcp = (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || 0;
    let lcp = 0;
    new PerformanceObserver(list => { for (const e of list.getEntries()) lcp = e.startTime; })
        .observe({type: 'largest-contentful-paint', buffered: true});
    setTimeout(() => done({fcp, lcp, load: nav.loadEventEnd || 0}), 50);
})"""


def measure(browser, url: str) -> tuple[View, View]:
    """First view (cold cache) and second view (the same context: warm cache) of one page."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True, locale="vi-VN"
    )
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": RTT_MS,
            "connectionType": "cellular3g",
            "downloadThroughput": KBIT_S * 1000 / 8,
            "uploadThroughput": KBIT_S * 1000 / 8,
        },
    )
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    seen: dict[str, dict] = {}
    last = [time.monotonic()]

    def track(event_name):
        def handler(event):
            last[0] = time.monotonic()
            rid = event["requestId"]
            if event_name == "request":
                if not event["request"]["url"].startswith("data:"):
                    seen.setdefault(
                        rid,
                        {
                            "url": event["request"]["url"],
                            "type": event.get("type", ""),
                            "start": event["timestamp"],
                            "bytes": 0,
                            "open": True,
                            "cache": False,
                        },
                    )
            elif rid in seen:
                entry = seen[rid]
                if event_name == "data":
                    entry["bytes"] += event["encodedDataLength"]
                elif event_name == "cache":
                    entry["cache"] = True
                elif event_name == "response":
                    response = event["response"]
                    entry["cache"] |= bool(response.get("fromDiskCache") or response.get("fromPrefetchCache"))
                elif event_name in ("finished", "failed"):
                    entry["open"] = False
                    entry["end"] = event["timestamp"]
                    if event_name == "finished":
                        entry["bytes"] = event["encodedDataLength"]

        return handler

    for cdp_event, name in (
        ("requestWillBeSent", "request"),
        ("dataReceived", "data"),
        ("responseReceived", "response"),
        ("requestServedFromCache", "cache"),
        ("loadingFinished", "finished"),
        ("loadingFailed", "failed"),
    ):
        cdp.on(f"Network.{cdp_event}", track(name))
    frames = [0]
    for cdp_event in ("webSocketFrameReceived", "webSocketFrameSent"):
        cdp.on(f"Network.{cdp_event}", lambda e: frames.__setitem__(0, frames[0] + len(e["response"]["payloadData"])))

    def one_view() -> View:
        seen.clear()
        frames[0] = 0
        started = time.monotonic()
        page.goto(url, wait_until="load", timeout=120_000)
        while time.monotonic() - started < 60:  # until every request has ended and nothing new came for a while
            pending = [e for e in seen.values() if e["open"] and "/socket.io/" not in e["url"]]
            if not pending and time.monotonic() - last[0] >= QUIET_S:
                break
            page.wait_for_timeout(200)
        paints = page.evaluate(PAINTS_JS)
        first_screen = set(page.evaluate(FIRST_SCREEN_JS))
        view = View(fcp_ms=paints["fcp"], lcp_ms=paints["lcp"], load_ms=paints["load"], socket_bytes=frames[0])
        t0 = min((e["start"] for e in seen.values()), default=0)
        for entry in seen.values():
            if "/socket.io/" in entry["url"]:
                view.socket_bytes += entry["bytes"]
                continue
            if entry["cache"]:
                continue
            view.requests += 1
            view.bytes += entry["bytes"]
            view.by_type[entry["type"]] = view.by_type.get(entry["type"], 0) + entry["bytes"]
            if entry["type"] == "Image" and entry["url"] not in first_screen and "/media/" in entry["url"]:
                view.below_fold += entry["bytes"]
            if VERBOSE:
                began, ended = (entry["start"] - t0) * 1000, (entry.get("end", entry["start"]) - t0) * 1000
                print(
                    f"    {entry['bytes']:>8} {entry['type']:<11} {began:>6.0f} → {ended:>6.0f} ms  "
                    f"{entry['url'][-70:]}"
                )
        return view

    first = one_view()
    second = one_view()
    context.close()
    return first, second


def kb(n: float) -> str:
    return f"{n / 1000:.0f} kB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default=BASELINE, help="git ref to compare with, or 'none'")
    parser.add_argument("--runs", type=int, default=1, help="loads of each page per site (median reported)")
    parser.add_argument("--pages", default="home,live,product", help="which of home, live, product")
    parser.add_argument("-v", action="store_true", help="list every request")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    sites = [Site("this tree", ROOT, work / "this")]
    if args.baseline != "none":
        (work / "base").mkdir(parents=True)
        sites.insert(0, Site(f"baseline {args.baseline[:9]}", checkout(args.baseline, work / "base"), work / "base"))
    results: dict[tuple[str, str], list[tuple[View, View]]] = {}
    try:
        for site in sites:
            site.tmp.mkdir(parents=True, exist_ok=True)
            site.start()
        addresses = {site.name: site.pages() for site in sites}
        print(
            f"3G: {RTT_MS} ms RTT, {KBIT_S} kbit/s down and up, CPU ×{CPU_SLOWDOWN}, 360 px at DPR 2; "
            f"pages {addresses[sites[-1].name]}",
            flush=True,
        )
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            for _ in range(args.runs):
                for page_name in args.pages.split(","):
                    for site in sites:  # interleaved: both sites see the same machine load
                        url = site.url + addresses[site.name][page_name]
                        results.setdefault((site.name, page_name), []).append(measure(browser, url))
            browser.close()
    finally:
        for site in sites:
            site.stop()
        if args.baseline != "none":
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(work / "base" / "tree")], check=False
            )
        shutil.rmtree(work, ignore_errors=True)
    report(sites, results, args.pages.split(","))


def report(sites: list[Site], results: dict, pages: list[str]) -> None:
    """Medians per page and site: the first view in full, then the second view."""

    def med(views: list[View], attr: str) -> float:
        return statistics.median(getattr(v, attr) for v in views)

    print(
        '\nfirst view: every byte until the network is quiet ("1st screen": less the photos below the first '
        "screen that lazy loading fetched ahead); second view: the same page again, same browser"
    )
    print(
        f"{'page':<9}{'site':<18}{'bytes':>9}{'1st screen':>11}{'requests':>9}{'FCP':>8}{'LCP':>8}{'load':>8}"
        f"{'socket.io':>10} |{'bytes':>8}{'requests':>9}{'FCP':>8}"
    )
    for page_name in pages:
        rows = {}
        for site in sites:
            views = results[(site.name, page_name)]
            first, second = [v[0] for v in views], [v[1] for v in views]
            screen = statistics.median(v.bytes - v.below_fold for v in first)
            rows[site.name] = (med(first, "bytes"), screen, med(first, "fcp_ms"))
            print(
                f"{page_name:<9}{site.name:<18}{kb(med(first, 'bytes')):>9}{kb(screen):>11}"
                f"{med(first, 'requests'):>9.0f}{med(first, 'fcp_ms'):>6.0f}ms{med(first, 'lcp_ms'):>6.0f}ms"
                f"{med(first, 'load_ms'):>6.0f}ms{kb(med(first, 'socket_bytes')):>10} |"
                f"{kb(med(second, 'bytes')):>8}{med(second, 'requests'):>9.0f}{med(second, 'fcp_ms'):>6.0f}ms"
            )
            kinds: dict[str, list[int]] = {}
            for v in first:
                for kind, size in v.by_type.items():
                    kinds.setdefault(kind, []).append(size)
            print(" " * 27 + "  ".join(f"{k} {kb(statistics.median(s))}" for k, s in sorted(kinds.items())))
        if len(sites) == 2:
            (b_bytes, b_screen, b_fcp), (t_bytes, t_screen, t_fcp) = rows[sites[0].name], rows[sites[1].name]
            ok = t_bytes <= GOALS["kb"] * 1000 and t_fcp <= GOALS["fcp_ms"]
            print(
                f"{'':<9}{'this ÷ baseline':<18}{t_bytes / b_bytes:>9.2f}{t_screen / b_screen:>11.2f}{'':>9}"
                f"{t_fcp / b_fcp:>8.2f}   goal ≤ {GOALS['kb']} kB and FCP ≤ {GOALS['fcp_ms']} ms: "
                f"{'met' if ok else 'NOT met'}"
            )


if __name__ == "__main__":
    main()
