"""The import contract, checked on the source (every import, module level or not):

* Qt (PySide6, pyqtgraph, qasync) is imported only inside ``studio.app``;
* nothing outside ``studio.app`` imports ``studio.app``;
* the core's layers import downward only: ``model`` imports no other layer;
  ``train`` imports neither ``breed`` nor ``library``; ``breed`` reaches ``train``
  only from its command modules (the CLI's data options and held-out data);
  ``library`` imports neither ``train`` nor ``breed`` beyond the method registry.

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
    ("studio.breed.darwin_commands", "studio.library"),  # the bundled family's folder
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
