"""The window comes up before PyTorch is loaded: the GUI thread never imports it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

# what the GUI thread imports: the window, and what it hands the worker (requests, a nursery session's state)
GUI_MODULES = (
    "studio.app.main, studio.app.main_window, studio.library, studio.library.export, studio.breed, studio.model, "
    "studio.work.requests, studio.work.state, studio.breed.litters, studio.model.vigor"
)


def run_python(code: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=300)


def test_window_modules_do_not_import_torch():
    probe = run_python(
        f"import sys; import {GUI_MODULES}; print([m for m in ('torch', 'nGPT_pytorch') if m in sys.modules])"
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "[]"


def test_exit_when_shown_reports_the_time_to_the_window(tmp_path):
    shown = run_python(
        "from studio.app.main import run; run()", "--exit-when-shown", "--library", str(tmp_path / "lib.sqlite3")
    )
    assert shown.returncode == 0, shown.stderr
    assert re.search(r"window shown \d+\.\d{3} s after the process started", shown.stdout)


def test_app_identity_matches_the_data_folder_and_desktop_entry(qapp):
    import platformdirs

    from studio.app.main import make_app
    from studio.identity import APP_ID, APP_NAME, ORGANIZATION
    from studio.library.paths import data_dir

    app = make_app()
    assert (app.organizationName(), app.applicationName(), app.desktopFileName()) == (ORGANIZATION, APP_NAME, APP_ID)
    assert data_dir() == Path(platformdirs.user_data_dir(app.applicationName(), app.organizationName()))
    sizes = {(s.width(), s.height()) for s in app.windowIcon().availableSizes()}
    assert {(16, 16), (48, 48), (256, 256)} <= sizes


def test_a_reinstalled_bundled_family_is_followed_to_its_new_place(qapp, tmp_path, monkeypatch):
    import shutil

    import studio.library
    from studio.app.main import build_window, parse_args
    from studio.library import Library
    from studio.model.checkpoint import save_checkpoint
    from studio.model.synthetic import random_checkpoint

    old, new = tmp_path / "old-install" / "checkpoints", tmp_path / "new-install" / "checkpoints"
    save_checkpoint(random_checkpoint(dim=32, depth=1, seed=1), old / "artist" / "model.pt")
    db = tmp_path / "lib.sqlite3"
    with Library(db) as library:
        library.import_folder(old, read_only=True)
    shutil.copytree(old, new)
    monkeypatch.setattr(studio.library, "bundled_checkpoints_dir", lambda: old)
    window, paths, _ = build_window(parse_args(["--library", str(db)]))
    window.worker.shutdown()
    window.library.close()
    assert paths == []  # the family is where the library last saw it: nothing to open
    shutil.rmtree(old)
    monkeypatch.setattr(studio.library, "bundled_checkpoints_dir", lambda: new)
    window, paths, read_only = build_window(parse_args(["--library", str(db)]))
    window.worker.shutdown()
    window.library.close()
    assert (paths, read_only) == ([str(new)], True)
