"""market/hooks.py, the one catalogue of extension points: it holds, and slots are used as it declares."""

import importlib
import inspect
import re
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
