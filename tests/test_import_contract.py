"""The import contract, checked on the source (every import, module level or not):

* Qt (PySide6, pyqtgraph, qasync) is imported only inside ``studio.app``;
* nothing outside ``studio.app`` imports ``studio.app``;
* the core's layers import downward only: ``model`` imports no other layer;
  ``train`` imports neither ``breed`` nor ``library``; ``breed`` reaches ``train``
  only from its command modules (the CLI's data options and held-out data);
  ``library`` imports neither ``train`` nor ``breed`` beyond the method registry;
* the import graph has no circle but the method registry's, counting the modules the
  dispatcher and the ``bench`` command reach by name;
* nothing imports the dispatcher (``studio.cli``), and the core never imports what
  sits above it (``studio.lab``: experiments and benchmarks over several layers;
  ``studio.work``: the worker's requests and handlers);
* only the app's worker imports the handlers (``studio.work.handlers``), which load
  the model code: the GUI thread builds requests and never runs them.

See docs/design.md, "Layers".
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STUDIO = ROOT / "studio"
QT = ("PySide6", "pyqtgraph", "qasync")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # ``from studio import app`` imports the subpackage
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names if module == "studio"]
    return found


SOURCES = sorted(STUDIO.rglob("*.py"))


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _violations(rule) -> list[str]:
    out = []
    for path in SOURCES:
        importer = _module_name(path)
        for line, module in _imports(path):
            reason = rule(importer, module)
            if reason:
                out.append(f"{path.relative_to(ROOT)}:{line}: {importer} imports {module} ({reason})")
    return out


def test_the_walk_sees_the_tree():
    names = {_module_name(p) for p in SOURCES}
    assert {"studio.app.main_window", "studio.breed.darwin", "studio.model.checkpoint", "studio.cli"} <= names
    assert ("studio.app.main_window", "PySide6.QtCore") in {
        (_module_name(p), m) for p in SOURCES for _, m in _imports(p)
    }


def test_qt_only_in_the_app():
    def rule(importer, module):
        if not _within(importer, "studio.app") and any(_within(module, qt) for qt in QT):
            return "Qt outside studio.app"

    assert _violations(rule) == []


def test_the_core_never_imports_the_app():
    def rule(importer, module):
        if not _within(importer, "studio.app") and _within(module, "studio.app"):
            return "the core imports the app"

    assert _violations(rule) == []


# importer package -> packages it must not import
LAYERS = {
    "studio.model": ("studio.breed", "studio.train", "studio.library"),
    "studio.train": ("studio.breed", "studio.library"),
    "studio.breed": ("studio.train", "studio.library"),
    "studio.library": ("studio.train", "studio.breed"),
}
# the allowed crossings, each for a reason
ALLOWED = {
    # the CLI's data options and held-out data, used by the breeding commands only
    ("studio.breed.commands", "studio.train"),
    ("studio.breed.darwin_commands", "studio.train"),
    # the genealogy reads the merge methods' names from their registry
    ("studio.library.genealogy", "studio.breed.methods"),
}


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_the_core_layers_import_downward(layer):
    def rule(importer, module):
        if not _within(importer, layer):
            return None
        for forbidden in LAYERS[layer]:
            if _within(module, forbidden):
                if any(importer == a and _within(module, b) for a, b in ALLOWED):
                    return None
                return f"{layer} must not import {forbidden}"

    assert _violations(rule) == []


def test_ray_only_in_the_cluster_executor():
    """Ray is optional (the `cluster` extra): only studio.breed.cluster imports it, and
    only the Darwin commands import that, when --executor ray is asked for."""

    def rule(importer, module):
        if _within(module, "ray") and importer != "studio.breed.cluster":
            return "Ray outside studio.breed.cluster"
        if _within(module, "studio.breed.cluster") and importer != "studio.breed.darwin_commands":
            return "the Ray executor imported outside the Darwin commands"

    assert _violations(rule) == []


# -- the import graph ---------------------------------------------------------------------------

MODULES = {_module_name(p): p for p in SOURCES}
# The one circle allowed: the merge-method registry imports the method modules, which
# use the recipe and the pair, which look methods up in the registry by name.
METHOD_REGISTRY = {"studio.breed.recipe", "studio.breed.pair"} | {
    m for m in MODULES if _within(m, "studio.breed.methods")
}


def _studio_module(name: str) -> str | None:
    """The module of the tree that ``name`` (a module, or a name in one) is, or is in."""
    parts = name.split(".")
    while parts:
        if ".".join(parts) in MODULES:
            return ".".join(parts)
        parts.pop()
    return None


def _reached_by_name() -> dict[str, set[str]]:
    """Modules another reaches by a dotted name, not an import: the bench suites."""
    from studio.lab.bench import SUITES

    return {"studio.lab.bench": {spec.split(":")[0] for spec in SUITES.values()}}


def import_graph() -> dict[str, set[str]]:
    """module -> the modules of the tree it imports (anywhere in it: module level, in a
    function, under TYPE_CHECKING); ``from package import module`` imports the module."""
    graph: dict[str, set[str]] = {}
    for importer, path in MODULES.items():
        found = set()
        for line, module in _imports(path):
            found.add((line, _studio_module(module)))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and not node.level and node.module:
                submodules = {f"{node.module}.{a.name}" for a in node.names} & set(MODULES)
                if submodules:
                    found |= {(node.lineno, m) for m in submodules}
                    if len(submodules) == len(node.names):  # only modules: not a name of the package
                        found.discard((node.lineno, _studio_module(node.module)))
        graph[importer] = {m for _, m in found if m is not None and m != importer}
    for importer, targets in _reached_by_name().items():
        graph[importer] |= targets
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The graph's strongly connected components of more than one module (Tarjan's
    algorithm, iterative), each sorted; a module importing itself is not a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            advanced = False
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.get(target, ())))))
                    advanced = True
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            if advanced:
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
    return sorted(found)


def test_circles_are_found_where_they_are_known():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"d", "f"}, "f": {"e"}, "g": {"g"}}
    assert circles(graph) == [["a", "b", "c"], ["e", "f"]]
    assert circles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_the_walk_sees_imports_of_submodules_and_by_name():
    graph = import_graph()
    assert "studio.library.genealogy" in graph["studio.library.importing"]  # from studio.library import genealogy
    assert "studio.lab.pair_bench" in graph["studio.lab.bench"]  # a suite, by its dotted name
    assert "studio.breed.methods.slerp" in graph["studio.breed.methods"]


def test_no_circle_outside_the_method_registry():
    graph = import_graph()
    assert [c for c in circles(graph) if not set(c) <= METHOD_REGISTRY] == []
    assert circles(graph), "the method registry's circle is no longer there: update METHOD_REGISTRY and this test"


def test_nothing_imports_the_dispatcher():
    """``studio.cli`` dispatches; what commands share is ``studio.cliutil``."""
    assert [m for m, targets in import_graph().items() if "studio.cli" in targets] == []


def test_the_core_never_imports_the_lab_or_the_worker_boundary():
    core = ("studio.model", "studio.breed", "studio.train", "studio.library")
    found = [
        (m, t)
        for m, targets in import_graph().items()
        if any(_within(m, layer) for layer in core)
        for t in targets
        if _within(t, "studio.lab") or _within(t, "studio.work")
    ]
    assert found == []
    assert [
        (m, t) for m, ts in import_graph().items() if _within(m, "studio.app") for t in ts if _within(t, "studio.lab")
    ] == []


def test_only_the_worker_imports_the_handlers():
    importers = {m for m, targets in import_graph().items() if "studio.work.handlers" in targets}
    assert importers == {"studio.app.worker"}
