"""Where the studio keeps things: the user data folder for the library and bred children,
the package (or the source checkout) for the bundled checkpoints.

A user's work never goes into the install folder: the bundled checkpoints are opened
read-only, and everything the studio writes lives under ``data_dir()``.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

import platformdirs

APP_NAME = "darwascii-studio"
APP_AUTHOR = "darwASCIInGPT"  # also the organization name the Qt app uses for its settings
LIBRARY_FILE = "library.sqlite3"
BRED_FOLDER = "bred"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def default_library_path() -> Path:
    return data_dir() / LIBRARY_FILE


def bred_dir(library_path: str | Path | None = None) -> Path:
    """Where the app saves bred children: ``bred/`` beside the library file (created).

    An in-memory library (``path`` None) uses the user data folder, like the default one.
    """
    base = Path(library_path).parent if library_path not in (None, ":memory:") else data_dir()
    folder = base / BRED_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _holds_checkpoints(folder: Path) -> bool:
    return folder.is_dir() and next(folder.rglob("*.pt"), None) is not None


def bundled_checkpoints_dir() -> Path | None:
    """The bundled family: shipped inside the package, in a frozen app, or ``checkpoints/``
    at the root of a source checkout (an editable install). None if there is none."""
    candidates: list[Path] = []
    try:
        packaged = resources.files("studio") / "checkpoints"
        if isinstance(packaged, Path):  # a plain folder on disk, not inside a zip
            candidates.append(packaged)
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - unusual installs
        pass
    frozen_root = getattr(sys, "_MEIPASS", None)  # PyInstaller unpacks data files here
    if frozen_root:
        candidates.append(Path(frozen_root) / "checkpoints")
    import studio

    candidates.append(Path(studio.__file__).resolve().parent.parent / "checkpoints")
    for candidate in candidates:
        if _holds_checkpoints(candidate):
            return candidate
    return None
