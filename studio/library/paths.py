"""Where the studio keeps things: the user data folder for the library and bred children,
the package (or the source checkout) for the bundled checkpoints.

A user's work never goes into the install folder: the bundled checkpoints are opened
read-only, and everything the studio writes lives under ``data_dir()``.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

from studio.identity import APP_NAME, ORGANIZATION
from studio.shipped import shipped_dir

LIBRARY_FILE = "library.sqlite3"
BRED_FOLDER = "bred"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, ORGANIZATION))


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
    """The bundled family (a wheel's package data, a frozen app's bundle or ``checkpoints/``
    in a source checkout); None if this install has none."""
    folder = shipped_dir("checkpoints")
    return folder if folder is not None and _holds_checkpoints(folder) else None
