"""The dependency direction of docs/architecture.md ("Areas and their arrows"), checked over the import graph.

Every ``import`` and ``from … import`` in ``market/`` counts, at module level or inside a function (a lazy
import hides an edge, it does not remove it). Two promises:

1. **Layers.** An area imports only areas of a lower layer (areas on one layer are independent of each other);
   the modules directly under ``market/`` (``database``, ``web``, ``ui`` …: "core") import no area. An upward
   need goes through a blinker signal or a registry the lower area declares. The app factory and the CLI
   (``COMPOSITION_ROOT``) wire everything and may import anything.
2. **No circle** between modules. A module importing its own package (``from market.orders import bp`` in
   ``orders/routes.py``) is not an edge: the package is loaded first anyway.
"""

from __future__ import annotations

import ast
import pathlib
from collections import defaultdict

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Top to bottom. An area may import the areas of any layer below its own.
LAYERS: list[tuple[str, ...]] = [
    ("moderation", "api"),
    ("brands", "coop", "video"),
    ("live", "shipping"),
    ("payments",),
    ("orders",),
    ("catalog", "notifications"),
    ("accounts",),
    ("core", "translations"),  # the modules directly under market/, and the catalogue helpers
]
COMPOSITION_ROOT = {"market", "market.cli"}  # create_app's steps and the seed-demo command
# Known exceptions, each with its reason. A listed import that no longer exists fails the test too: remove it.
ALLOWED: dict[tuple[str, str], str] = {
    (
        "market.accounts.codes",
        "market.notifications.zns",
    ): "the message transport only (ZNS, else the SMS; it imports nothing of notifications but sms.py), for codes",
    (
        "market.accounts.service",
        "market.notifications.zns",
    ): "the message transport only (ZNS, else the SMS), for the notice to the old number on a phone change",
}


def modules(root: pathlib.Path) -> dict[str, pathlib.Path]:
    found = {}
    for path in sorted((root / "market").rglob("*.py")):
        rel = path.relative_to(root).with_suffix("")
        if "migrations" in rel.parts:
            continue
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def import_edges(root: pathlib.Path) -> dict[str, dict[str, int]]:
    """module → {imported module → first line}, for every import of ``market`` anywhere in the module."""
    mods = modules(root)

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, dict[str, int]] = defaultdict(dict)
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                targets = [f"{source}.{alias.name}" for alias in node.names] + [source]
            else:
                continue
            for target in targets:
                if not (target == "market" or target.startswith("market.")):
                    continue
                resolved = resolve(target)
                if resolved is None or resolved == name or name.startswith(resolved + "."):
                    continue  # itself, or its own package
                edges[name].setdefault(resolved, node.lineno)
    return edges


def area_of(module: str, packages: set[str]) -> str:
    """``orders`` for market.orders.sell; "core" for market.web; "root" for the app factory and the CLI."""
    if module in COMPOSITION_ROOT:
        return "root"
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or module in packages else "core"


def layer_of(area: str) -> int:
    for index, layer in enumerate(LAYERS):
        if area in layer:
            return index
    raise AssertionError(f"market/{area}/ is in no layer of tests/test_imports.py: add it (and to the doc's arrows)")


def upward_imports(root: pathlib.Path, allowed=ALLOWED) -> list[str]:
    packages = {name for name, path in modules(root).items() if path.name == "__init__.py"}
    found = []
    for source, targets in sorted(import_edges(root).items()):
        a = area_of(source, packages)
        if a == "root":
            continue
        for target, line in sorted(targets.items()):
            b = area_of(target, packages)
            if b == "root":
                found.append(f"{source}:{line} imports the app factory {target}")
            elif a != b and layer_of(b) <= layer_of(a) and (source, target) not in allowed:
                where = "beside" if layer_of(b) == layer_of(a) else "above"
                found.append(f"{source}:{line} imports {target} ({b} is {where} {a})")
    return found


def circles(edges) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, {}))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, {})))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_every_import_points_down():
    problems = upward_imports(ROOT)
    assert not problems, "imports against docs/architecture.md's arrows:\n  " + "\n  ".join(problems)


def test_the_known_exceptions_still_exist():
    edges = import_edges(ROOT)
    stale = [f"{s} → {t}" for s, t in ALLOWED if t not in edges.get(s, {})]
    assert not stale, f"ALLOWED lists imports that are gone; remove them: {stale}"


def test_no_import_circles():
    edges = import_edges(ROOT)
    found = circles(edges)
    described = [
        " ↔ ".join(c)
        + "\n    "
        + "\n    ".join(f"{s}:{edges[s][t]} → {t}" for s in c for t in c if t in edges.get(s, {}))
        for c in found
    ]
    assert not found, "modules importing each other (directly or round a loop):\n  " + "\n  ".join(described)


# ---- the checker itself, on a small tree ------------------------------------------------------------------


def _tree(tmp_path, files: dict[str, str]) -> pathlib.Path:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_an_upward_import_inside_a_function_is_found(tmp_path):
    root = _tree(
        tmp_path,
        {
            "market/__init__.py": "",
            "market/web.py": "",
            "market/orders/__init__.py": "from market.web import x\n",
            "market/orders/sell.py": "def f():\n    from market.live.models import LiveSession\n",
            "market/live/__init__.py": "",
            "market/live/models.py": "from market.orders import sell\n",
        },
    )
    assert upward_imports(root, allowed={}) == [
        "market.orders.sell:2 imports market.live.models (live is above orders)"
    ]


def test_a_core_module_importing_an_area_and_a_circle_are_found(tmp_path):
    root = _tree(
        tmp_path,
        {
            "market/__init__.py": "from market.orders import bp\n",
            "market/metrics.py": "from market.orders.signals import placed\n",
            "market/errors.py": "def f():\n    from market import security\n",
            "market/security.py": "from .errors import user_abort\n",
            "market/orders/__init__.py": "bp = 1\nfrom market.orders import routes\n",
            "market/orders/routes.py": "from market.orders import bp\n",
            "market/orders/signals.py": "",
        },
    )
    edges = import_edges(root)
    assert upward_imports(root, allowed={}) == ["market.metrics:1 imports market.orders.signals (orders is above core)"]
    assert circles(edges) == [["market.errors", "market.security"]]  # a package and its routes are no circle
