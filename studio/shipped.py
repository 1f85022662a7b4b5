"""Files the studio ships beside its code: ``resources/`` (icons, stylesheet) and
``checkpoints/`` (the bundled family).

One lookup for the three ways the studio runs, so no module builds paths of its own:

- installed from a wheel: both folders live inside the package (``studio/resources``,
  ``studio/checkpoints``), put there by the ``package-dir`` mapping in pyproject.toml
  and found through importlib.resources;
- frozen by PyInstaller: the spec (packaging/darwascii-studio.spec) collects them to the
  same place under the bundle's root, ``sys._MEIPASS``;
- a source checkout or an editable install: at the root of the checkout, where
  docs/design.md §1 lays them out.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

from studio.errors import StudioError

SHIPPED_FOLDERS = ("resources", "checkpoints")


def _candidates(name: str) -> list[Path]:
    found: list[Path] = []
    try:
        packaged = resources.files("studio") / name
        if isinstance(packaged, Path):  # a plain folder on disk, not inside a zip
            found.append(packaged)
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - unusual importers
        pass
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        found.append(Path(frozen_root) / "studio" / name)
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file():  # a source checkout, not site-packages
        found.append(checkout / name)
    return found


def shipped_dir(name: str) -> Path | None:
    """The shipped folder ``name`` (one of SHIPPED_FOLDERS), or None if this install lacks it."""
    if name not in SHIPPED_FOLDERS:
        raise ValueError(f"unknown shipped folder {name!r}")
    for candidate in _candidates(name):
        if candidate.is_dir() and any(candidate.iterdir()):
            return candidate
    return None


def resource_file(relative: str) -> Path:
    """A file under ``resources/``; a StudioError naming it if this install lacks it."""
    folder = shipped_dir("resources")
    path = folder / relative if folder is not None else Path("resources") / relative
    if not path.is_file():
        raise StudioError(f"{path}: this installation is missing a resource file; reinstall darwascii-studio.")
    return path
