"""market/hooks.py, the one catalogue of extension points: it holds, and slots are used as it declares; and the
areas fill it only from their ``init_app``, once however many apps a process makes."""

import importlib
import inspect
import json
import pkgutil
import re
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

from market import hooks, ui

ROOT = Path(__file__).resolve().parent.parent


def test_every_provider_takes_only_the_keywords_its_slot_declares(app):
    guessed = []
    for name, entries in ui._slots.items():
        declared = hooks.slot_spec(name).kwargs
        for key, entry in entries.items():
            params = inspect.signature(entry.provider).parameters.values()
            named = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
            if named - declared:
                guessed.append(f"{name} / {key}: {sorted(named - declared)} (declared: {sorted(declared)})")
    assert not guessed, guessed


def test_every_page_passes_only_declared_keywords():
    calls = re.compile(r"render_slot\('([a-z._]+)'((?:,\s*[a-z_]+=[^,)]+)*)\)")
    found, wrong = set(), []
    for path in (ROOT / "templates").rglob("*.html"):
        for name, args in calls.findall(path.read_text(encoding="utf-8")):
            found.add(name)
            passed = set(re.findall(r"([a-z_]+)=", args))
            if name not in hooks.SLOTS or passed - hooks.SLOTS[name].kwargs:
                wrong.append(f"{path.relative_to(ROOT)}: {name} {sorted(passed)}")
    assert not wrong, wrong
    assert found, "no render_slot call found: the pattern above no longer matches the templates"


def test_an_undeclared_slot_or_keyword_is_refused(app):
    with pytest.raises(KeyError, match="not declared"):
        ui.slot("home.sidebar", "x", "x.html")
    with app.test_request_context(), pytest.raises(TypeError, match="does not take"):
        ui.slot_entries("shop.top", shop=None)


@pytest.mark.parametrize("registry", hooks.REGISTRIES, ids=lambda r: r.function)
def test_every_registry_is_where_the_catalogue_says(app, registry):
    module, function = registry.function.split(":")
    fn = getattr(importlib.import_module(module), function)
    assert next(iter(inspect.signature(fn).parameters)) == registry.takes


# ---- registration happens in init_app, once -----------------------------------------------------------------

# Where each registry keeps what is registered ("module:attribute"): the catalogue's, and the video area's own.
STORES = {
    "market.ui:nav_item": "market.ui:_nav",
    "market.ui:slot": "market.ui:_slots",
    "market.moderation:staff_tab": "market.moderation:_tabs",
    "market.orders.stock:register_source": "market.orders.stock:_sources",
    "market.orders.payment:register_gateway": "market.orders.payment:_gateway",
    "market.orders.delivery:register_rates": "market.orders.delivery:_rates",
    "market.orders.sessions:register_session_titles": "market.orders.sessions:_lookup",
    "market.orders.service:register_hold_task": "market.orders.service:_hold_tasks",
    "market.catalog.stock_managers:register_stock_manager": "market.catalog.stock_managers:_stock_managers",
    "market.live.streams:register_own_video": "market.live.streams:_own_video",
    "market.live.chat:register_chat_check": "market.live.chat:_chat_checks",
    "market.notifications.service:message_kind": "market.notifications.service:_kinds",
    "market.moderation.reports.service:register_target_type": "market.moderation.reports.service:_types",
    "market.moderation.scope:register_kind": "market.moderation.scope:_kinds_by_model",
    "market.moderation.scope:register_footprint": "market.moderation.scope:_footprints",
    "market.moderation.audit:register_action": "market.moderation.audit:_actions",
    "market.video.service:register_room_options": "market.video.service:_room_options",
    "market.video.service:register_hls_url": "market.video.service:_hls_providers",
}


def _name(obj) -> str:
    obj = obj() if isinstance(obj, weakref.ref) else obj
    if isinstance(obj, str):
        return obj
    named = obj if hasattr(obj, "__qualname__") else type(obj)
    return f"{named.__module__}.{named.__qualname__}"


def _entries(value, home: str) -> list[str]:
    """What a store holds, by name (a list keeps its duplicates). A single value counts when it came from another
    module: None, or the store module's own default (orders.delivery's free rates), is nothing registered."""
    if isinstance(value, dict):
        return sorted(_name(k) for k in value)
    if isinstance(value, list):
        return [_name(v) for v in value]
    source = getattr(value, "__module__", None) if callable(value) and not isinstance(value, type) else None
    if value is None or (source or type(value).__module__) == home:
        return []
    return [_name(value)]


def market_modules() -> list[str]:
    import market

    return [m.name for m in pkgutil.walk_packages(market.__path__, "market.") if ".migrations" not in m.name]


def registered() -> dict[str, list[str]]:
    """Everything registered in this process: each registry of STORES, every blinker signal's receivers, the
    Socket.IO handlers (waiting for a server, and on the current one) and the ORM session's event listeners."""
    import blinker
    from sqlalchemy.orm import Session, SessionEvents

    from market.extensions import socketio

    found = {}
    for registry, store in STORES.items():
        module, attribute = store.split(":")
        found[registry] = _entries(getattr(importlib.import_module(module), attribute), module)
    for name in market_modules():
        for attribute, value in vars(importlib.import_module(name)).items():
            if isinstance(value, blinker.Signal):  # once per signal, by its name, wherever it is imported
                found[f"signal {getattr(value, 'name', attribute)}"] = sorted(
                    _name(r) for r in value.receivers.values()
                )
    found["socketio.handlers"] = [f"{ns} {event}" for event, _h, ns in socketio.handlers]
    found["socketio.exception_handlers"] = sorted(socketio.exception_handlers)
    server = socketio.server.handlers if socketio.server is not None else {}
    found["socketio.server"] = sorted(f"{ns} {event}" for ns, events in server.items() for event in events)
    session = Session()
    for event in (e for e in dir(SessionEvents) if not e.startswith("_")):
        listeners = getattr(session.dispatch, event, None)
        if listeners is not None:
            found[f"Session {event}"] = sorted(_name(fn) for fn in listeners)
    return found


def make_app(folder: str):
    from market import create_app

    return create_app(
        {
            "SECRET_KEY": "test-secret-key-0123456789abcdef",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/app.sqlite3",
            "REDIS_URL": None,
            "RATELIMIT_STORAGE_URI": "memory://",
            "SOCKETIO_ASYNC_MODE": "threading",
            "LIVE_BACKGROUND_TASKS": False,
        }
    )


def in_a_fresh_process(tmp_path, code: str):
    """Run ``code`` in a new interpreter (nothing imported yet; the test process already made its app) and return
    the JSON it prints last."""
    prelude = "import json, sys\nfrom tests.test_hooks import make_app, market_modules, registered\n"
    result = subprocess.run(
        [sys.executable, "-c", prelude + code, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "MARKET_INSTANCE_PATH": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_every_registry_says_where_it_keeps_its_entries():
    assert {r.function for r in hooks.REGISTRIES} <= set(STORES), "add the new registry's store to STORES"


def test_importing_every_module_registers_nothing(tmp_path):
    """Importing every module of market/ (as a test, a script or a worker may) fills no registry, connects no
    receiver and adds no handler: only create_app does, through the areas' init_app."""
    found = in_a_fresh_process(
        tmp_path,
        "import importlib\nfor name in market_modules():\n    importlib.import_module(name)\n"
        "print(json.dumps(registered()))",
    )
    assert len([key for key in found if key.startswith("signal ")]) > 10  # the signals were found
    assert {key: entries for key, entries in found.items() if entries} == {}


def test_two_apps_in_one_process_register_the_same_once(tmp_path):
    """A second create_app (tests, the bench scripts) registers everything again, without duplicates, and its
    Socket.IO server gets every handler (the new server starts empty)."""
    first, second = in_a_fresh_process(
        tmp_path,
        "make_app(sys.argv[1])\nfirst = registered()\nmake_app(sys.argv[1])\nprint(json.dumps([first, registered()]))",
    )
    assert second == first
    for registry in hooks.REGISTRIES:
        entries = first[registry.function]
        assert entries, f"{registry.function}: nothing registered ({registry.filled_by} should)"
        assert len(entries) == len(set(entries)), f"{registry.function}: registered twice: {entries}"
    assert first["socketio.handlers"] == []  # every handler went to the app's server, none waits for the next
    for event in ("connect", "disconnect", "join", "chat", "order", "heart"):
        assert f"/live {event}" in first["socketio.server"]
    assert "/notify connect" in first["socketio.server"]


def test_create_app_inits_every_area_lower_layers_first():
    """``market.AREAS`` names every area package once, in the order of tests/test_imports.py's layers read from
    the bottom: an area's init_app may rely on what the areas below registered, never on those above."""
    from market import AREAS
    from tests.test_imports import LAYERS, layer_of

    packages = {p.parent.name for p in (ROOT / "market").glob("*/__init__.py")} - {"migrations", "translations"}
    assert sorted(a for a in AREAS if a in packages) == sorted(packages)
    assert len(set(AREAS)) == len(AREAS)
    layers = [layer_of(area if area in packages else "core") for area in AREAS]
    assert layers == sorted(layers, reverse=True), f"{AREAS} against {LAYERS}"
