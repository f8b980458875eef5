"""Fixtures: the app (migrated once), a transaction rolled back after every test, clients, factories.

The suite runs on SQLite by default and on PostgreSQL with MARKET_TEST_DATABASE_URL. Tests that need a
service or the browser skip with a reason when it is absent, and fail instead under MARKET_REQUIRE_SERVICES=1
or MARKET_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import contextvars
import itertools
import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner

from market import create_app
from market.extensions import db

REQUIRE_SERVICES = os.environ.get("MARKET_REQUIRE_SERVICES") == "1"
REQUIRE_BROWSER = os.environ.get("MARKET_REQUIRE_BROWSER") == "1"
# Under pytest-xdist (``make test`` runs the SQLite and PostgreSQL passes on two workers each) every worker has
# its own PostgreSQL database, ``<name>_gw0``, ``<name>_gw1``…, made when missing; SQLite files are per worker anyway.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def per_worker(url: str | None) -> str | None:
    """This worker's own copy of a PostgreSQL URL (the URL itself without xdist, or for SQLite)."""
    if not url or not WORKER or not url.startswith("postgresql"):
        return url
    base, _, rest = url.rpartition("/")
    name, sep, query = rest.partition("?")
    return f"{base}/{name}_{WORKER}{sep}{query}"


TEST_DB_URL = per_worker(os.environ.get("MARKET_TEST_DATABASE_URL"))
REDIS_TEST_URL = os.environ.get("MARKET_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PG_DEFAULT_URL = os.environ.get("MARKET_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "password123"
# The test Janus (.ci/run starts it with deploy/janus.sh on these ports and secrets, kept apart from `make video`'s).
JANUS_TEST = {
    "JANUS_URLS": (os.environ.get("MARKET_TEST_JANUS_URL", "http://127.0.0.1:8089/janus"),),
    "JANUS_ADMIN_URLS": (os.environ.get("MARKET_TEST_JANUS_ADMIN_URL", "http://127.0.0.1:7089/admin"),),
    "JANUS_API_SECRET": os.environ.get("MARKET_TEST_JANUS_API_SECRET", "chophien-test-api"),
    "JANUS_ADMIN_SECRET": os.environ.get("MARKET_TEST_JANUS_ADMIN_SECRET", "chophien-test-admin"),
}


def need_service(name: str, available: bool, why: str) -> None:
    """Skip (or, in CI, fail) a test whose service is missing."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} is required (MARKET_REQUIRE_SERVICES=1) but unavailable: {why}")
    pytest.skip(f"{name} unavailable: {why}")


def pytest_collection_modifyitems(config, items):
    """Tests marked ``processes`` start server processes on databases of their own (tests/servers.py), whatever
    the suite's main database: the PostgreSQL pass would only repeat them, so they run once, in the SQLite pass."""
    if not TEST_DB_URL:
        return
    skip = pytest.mark.skip(reason="starts server processes on databases of its own: runs once, in the SQLite pass")
    for item in items:
        if item.get_closest_marker("processes"):
            item.add_marker(skip)


def _reset_schema(app) -> None:
    """Start from an empty database and build it with the real migrations (which tests them too)."""
    from flask_migrate import upgrade

    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    else:
        db.drop_all()
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(directory=str(Path(app.root_path) / "migrations"))


def base_config(tmp: Path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-0123456789abcdef",
        "SQLALCHEMY_DATABASE_URI": TEST_DB_URL or f"sqlite:///{tmp / 'test.sqlite3'}",
        "MEDIA_DIR": str(tmp / "media"),
        "VIDEO_DIR": str(tmp / "video"),
        "VIDEO_REC_SETTLE_S": 0,
        "PASSWORD_HASH_COST": "fast",
        "SOCKETIO_ASYNC_MODE": "threading",
        "REDIS_URL": None,
        "RATELIMIT_STORAGE_URI": "memory://",
        "STRIPE_SECRET_KEY": None,
        "STRIPE_WEBHOOK_SECRET": None,
        "SERVER_NAME": None,
        "JANUS_URLS": (),  # our own video off unless a test turns it on (``video_on``)
    }


@pytest.fixture(scope="session", autouse=True)
def _translations_compiled():
    """Plain ``pytest`` on a fresh checkout: the Vietnamese catalogues are compiled when a ``.mo`` is missing or
    older than its ``.po`` (``make install`` does it too; without them pages would be in English)."""
    from market.translations import compile_stale

    compile_stale()


@pytest.fixture(scope="session")
def _app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("market")
    if WORKER and TEST_DB_URL and TEST_DB_URL.startswith("postgresql"):
        from tests.servers import ensure_pg_database

        ensure_pg_database(TEST_DB_URL)
    app = create_app(base_config(tmp))
    app.test_client_class = IsolatedClient
    app.test_cli_runner_class = IsolatedRunner
    with app.app_context():
        _reset_schema(app)
        db.session.remove()
        db.session.configure(join_transaction_mode="create_savepoint")
    return app


@pytest.fixture
def app(_app):
    """The app inside one database transaction that is rolled back after the test.

    Every session the code opens (requests, socket events) runs on this one connection; their commits
    become savepoints, so nothing outlives the test.
    """
    from market import ratelimit

    with _app.app_context():
        engines = db.engines
        engine = engines[None]
        connection = engine.connect()
        transaction = connection.begin()
        engines[None] = connection
        db.session.remove()
        ratelimit.reset()
        try:
            yield _app
        finally:
            db.session.remove()
            if transaction.is_active:
                transaction.rollback()
            connection.close()
            engines[None] = engine


@pytest.fixture
def committed_app(_app):
    """The app with real commits (threads, several connections); every table is emptied afterwards."""
    from market import ratelimit

    with _app.app_context():
        db.session.remove()
        ratelimit.reset()
        try:
            yield _app
        finally:
            db.session.remove()
            empty_all_tables()


def empty_all_tables() -> None:
    engine = db.engine
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(sa.text(f'DELETE FROM "{table}"'))


def isolated(fn, *args, **kwargs):
    """Run ``fn`` outside the test's app context, the way a real request or socket event runs.

    The test keeps an app context pushed for its own queries; without this, Flask would reuse it for every
    request, sharing ``g`` (the logged-in user, the locale) and the database session between requests.
    """
    return contextvars.Context().run(fn, *args, **kwargs)


class IsolatedClient(FlaskClient):
    def open(self, *args, **kwargs):
        return isolated(super().open, *args, **kwargs)


class IsolatedRunner(FlaskCliRunner):
    def invoke(self, *args, **kwargs):
        return isolated(super().invoke, *args, **kwargs)


class SocketClient:
    """Flask-SocketIO's test client, each call run as a real event would be (see ``isolated``)."""

    def __init__(self, app, flask_client, namespace: str, auth=None, query_string=None):
        from market.extensions import socketio

        self.namespace = namespace
        self._client = isolated(
            socketio.test_client,
            app,
            namespace=namespace,
            flask_test_client=flask_client,
            auth=auth,
            query_string=query_string,
        )

    def emit(self, event: str, *args, **kwargs):
        kwargs.setdefault("namespace", self.namespace)
        return isolated(self._client.emit, event, *args, **kwargs)

    def call(self, event: str, data=None):
        """Emit with an acknowledgement and return the ack payload."""
        return self.emit(event, data if data is not None else {}, callback=True)

    def received(self):
        return isolated(self._client.get_received, self.namespace)

    def events(self, name: str) -> list:
        return [m["args"][0] if m["args"] else None for m in self.received() if m["name"] == name]

    def is_connected(self) -> bool:
        return self._client.is_connected(self.namespace)

    def disconnect(self):
        return isolated(self._client.disconnect, self.namespace)

    @property
    def sid(self) -> str:
        from market.extensions import socketio

        return socketio.server.manager.sid_from_eio_sid(self._client.eio_sid, self.namespace)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def socket_client(app):
    """``socket_client(flask_client=None, namespace="/live", auth=None)`` → a connected SocketClient."""
    clients = []

    def factory(flask_client=None, namespace: str = "/live", auth=None, query_string=None):
        sc = SocketClient(app, flask_client or app.test_client(), namespace, auth=auth, query_string=query_string)
        clients.append(sc)
        return sc

    yield factory
    for sc in clients:
        if sc.is_connected():
            sc.disconnect()


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path: str = "/") -> str:
    """A valid CSRF token for this client's session, read from a real page as a browser would."""
    page = client.get(path)
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, f"no csrf_token on {path}"
    return match.group(1)


def post_form(client, url: str, data: dict | None = None, page: str | None = None, **kwargs):
    """POST a form the way a browser does: with the CSRF token from the page the form is on."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, page or "/"))
    return client.post(url, data=data, **kwargs)


@pytest.fixture
def form_post(client):
    return lambda url, data=None, **kw: post_form(client, url, data, **kw)


_phones = itertools.count(1)


def next_phone() -> str:
    return f"091{next(_phones):07d}"


@pytest.fixture
def make_commune(app):
    from market.accounts.models import Commune
    from market.text import slugify

    counter = itertools.count(1)

    def factory(name: str | None = None, province: str = "Đắk Lắk", **kw):
        name = name or f"Xã Thử {next(counter)}"
        commune = Commune(name=name, province=province, slug=kw.pop("slug", None) or slugify(name), **kw)
        db.session.add(commune)
        db.session.flush()
        return commune

    return factory


@pytest.fixture
def make_user(app):
    from market.accounts.passwords import hash_password
    from market.accounts.service import normalize_phone

    def factory(name: str = "Nguyễn Thị Lan", phone: str | None = None, password: str = PASSWORD, **kw):
        from market.accounts.models import User

        user = User(
            phone=normalize_phone(phone or next_phone()),
            display_name=name,
            password_hash=hash_password(password),
            locale=kw.pop("locale", "vi"),
            **kw,
        )
        db.session.add(user)
        db.session.flush()
        return user

    return factory


@pytest.fixture
def make_seller(app, make_user, make_commune):
    from market.accounts.models import SellerProfile, SellerStatus
    from market.accounts.service import unique_shop_slug

    def factory(
        user=None,
        commune=None,
        shop_name: str = "Vườn nhà Lan",
        status=SellerStatus.APPROVED,
        is_kol: bool = False,
        **kw,
    ):
        user = user or make_user(name=kw.pop("name", "H'Hà Niê"))
        commune = commune or make_commune()
        profile = SellerProfile(
            user=user,
            commune=commune,
            shop_name=shop_name,
            slug=unique_shop_slug(shop_name),
            status=status,
            is_kol=is_kol,
            story=kw.pop("story", ""),
            **kw,
        )
        db.session.add(profile)
        db.session.flush()
        db.session.refresh(user)
        return user

    return factory


@pytest.fixture
def make_staff(app, make_user):
    from market.accounts.service import assign_staff

    def factory(*communes, admin: bool = False, **kw):
        user = make_user(name=kw.pop("name", "Cán bộ xã"), **kw)
        if admin:
            user.is_admin = True
            user.is_staff = True
        for commune in communes:
            assign_staff(user, commune)
        db.session.flush()
        return user

    return factory


def login_as(client, user) -> None:
    """Log ``client`` in as ``user`` without the password round trip (the login form has its own tests)."""
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True


@pytest.fixture
def login(client):
    return lambda user: login_as(client, user)


# ---- services and browser --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url():
    import redis

    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2).ping()
        available, why = True, ""
    except Exception as exc:  # noqa: BLE001
        available, why = False, f"{REDIS_TEST_URL}: {exc.__class__.__name__}"
    need_service("Redis", available, why)
    return REDIS_TEST_URL


def janus_env() -> dict:
    """Environment for a server process with our own video on against the test Janus; {} when it does not answer."""
    from market.video.janus import Janus, MediaUnavailable

    try:
        Janus(JANUS_TEST["JANUS_URLS"][0], timeout=2).info()
    except MediaUnavailable:
        return {}
    return {
        "JANUS_URL": JANUS_TEST["JANUS_URLS"][0],
        "JANUS_ADMIN_URL": JANUS_TEST["JANUS_ADMIN_URLS"][0],
        "JANUS_API_SECRET": JANUS_TEST["JANUS_API_SECRET"],
        "JANUS_ADMIN_SECRET": JANUS_TEST["JANUS_ADMIN_SECRET"],
        "VIDEO_HLS": "0",
    }  # the browser tests watch over WebRTC; an ffmpeg encode per publish would only load CI


@pytest.fixture(scope="session")
def janus_config():
    """The test Janus's settings (``JANUS_TEST``), once it answers; skipped — failed in CI — when it does not."""
    from market.video.janus import Janus, MediaUnavailable

    url = JANUS_TEST["JANUS_URLS"][0]
    try:
        info = Janus(url, timeout=3).info()
        available, why = "janus.plugin.videoroom" in (info.get("plugins") or {}), f"{url}: no VideoRoom plugin"
    except MediaUnavailable as exc:
        available, why = False, f"{exc} (start it: JANUS_HTTP_PORT=8089 JANUS_ADMIN_PORT=7089 "
        "JANUS_API_SECRET=chophien-test-api JANUS_ADMIN_SECRET=chophien-test-admin deploy/janus.sh --daemon)"
    need_service("Janus", available, why)
    return dict(JANUS_TEST)


@pytest.fixture
def video_on(app, janus_config):
    """The app with our own video on, against the test Janus."""
    settings = {**janus_config, "VIDEO_HLS": False}  # no ffmpeg per publish here (tests/video/test_hls.py has it)
    saved = {key: app.config.get(key) for key in settings}
    app.config.update(settings)
    yield app
    app.config.update(saved)


@pytest.fixture
def video_configured(app):
    """Our own video on in the configuration only (a media server that is never called: a closed port), for
    pages that do not talk to Janus — forms, the watch page's first render — and for Janus down."""
    saved = app.config.get("JANUS_URLS")
    app.config["JANUS_URLS"] = ("http://127.0.0.1:9/janus",)
    yield app
    app.config["JANUS_URLS"] = saved


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL URL for tests that need PostgreSQL whatever the suite's main database is."""
    import psycopg

    url = TEST_DB_URL if TEST_DB_URL and TEST_DB_URL.startswith("postgresql") else PG_DEFAULT_URL
    try:
        psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3).close()
        available, why = True, ""
    except Exception as exc:  # noqa: BLE001
        available, why = False, f"{url}: {exc.__class__.__name__}"
    need_service("PostgreSQL", available, why)
    return url


@pytest.fixture
def make_product(app, make_seller):
    """``make_product(seller=None, stock=50, price_vnd=79000, …)`` → an approved Product."""
    from market.catalog.models import Product, ProductStatus
    from market.text import fold, slugify

    def factory(
        seller=None,
        title: str = "Sầu riêng Ri6",
        stock: int = 50,
        price_vnd: int = 79_000,
        status=ProductStatus.APPROVED,
        **kw,
    ):
        seller = seller or make_seller()
        product = Product(
            seller_id=seller.seller_profile.id,
            title=title,
            slug=slugify(title),
            stock=stock,
            price_vnd=price_vnd,
            status=status,
            unit=kw.pop("unit", "kg"),
            category=kw.pop("category", "durian"),
            search_text=fold(title),
            **kw,
        )
        db.session.add(product)
        db.session.flush()
        return product

    return factory


@pytest.fixture
def make_live_session(app):
    """``make_live_session(seller_user, status="live")`` → a LiveSession of that seller (for tests of other
    areas that need live orders to point at a real session)."""
    from market.database import utcnow
    from market.live.models import LiveSession

    def factory(seller, status: str = "live", title: str = "Phiên sầu riêng"):
        profile = seller.seller_profile
        session = LiveSession(
            seller_id=profile.id,
            commune_id=profile.commune_id,
            title=title,
            stream_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            scheduled_at=utcnow(),
            started_at=utcnow() if status != "scheduled" else None,
            status=status,
        )
        db.session.add(session)
        db.session.flush()
        return session

    return factory
