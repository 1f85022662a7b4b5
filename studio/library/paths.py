"""Where the studio keeps things: platformdirs for user data, the package for bundled files."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "darwascii-studio"
APP_AUTHOR = "darwASCIInGPT"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def default_library_path() -> Path:
    return data_dir() / "library.sqlite3"


def bred_dir(library_path: Path | None = None) -> Path:
    """Bred children live beside the library file (never in the install folder)."""
    base = Path(library_path).parent if library_path else data_dir()
    folder = base / "bred"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def bundled_checkpoints_dir() -> Path | None:
    """The bundled family: inside the installed package, or checkpoints/ of a source checkout."""
    import studio

    package = Path(studio.__file__).resolve().parent
    for candidate in (package / "checkpoints", package.parent / "checkpoints"):
        if candidate.is_dir() and any(candidate.rglob("*.pt")):
            return candidate
    return None
