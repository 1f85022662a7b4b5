"""The app survives any library (issue 22, item 7): one it cannot use is a sentence (no
one to ask) or a dialog offering a fresh one, keeping the old file; wrong-typed or deep
JSON columns are shown as far as they make sense; a big library opens at once."""

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from hostile import REPO


def _app(tmp_path, *argv, timeout=180):
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
    }
    return subprocess.run(
        [sys.executable, "-m", "studio.app.main", *map(str, argv)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _library(path):
    from studio.library import Library

    Library(path).close()
    return path


def _insert(path, **columns):
    row = {
        "path": "/nowhere/m.pt",
        "sha256": "0" * 64,
        "name": "m",
        "qualified_name": "fam/m",
        "role": "artist",
        "framing": "conditional",
        "config": "{}",
        "metrics": "{}",
        "labels": "[]",
        "lineage": None,
        "num_params": 10,
        "source_root": "/nowhere",
        "added_at": "2024-01-01",
        **columns,
    }
    conn = sqlite3.connect(path)
    conn.execute(
        f"INSERT INTO checkpoints ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values())
    )
    conn.commit()
    conn.close()


def _no_tables(path):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (x TEXT)")
    conn.execute("PRAGMA user_version = 1")  # says it is current, has none of the tables
    conn.commit()
    conn.close()
    return path


def _missing_column(path):
    _library(path)
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE checkpoints DROP COLUMN labels")  # an older build's table
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("kind", ["no tables", "missing column", "folder", "under a file"])
def test_a_library_the_app_cannot_use_is_one_sentence(tmp_path, kind):
    if kind == "no tables":
        library = _no_tables(tmp_path / "lib.sqlite3")
    elif kind == "missing column":
        library = _missing_column(tmp_path / "lib.sqlite3")
    elif kind == "folder":
        library = tmp_path / "libdir"
        library.mkdir()
    else:
        (tmp_path / "afile").write_text("x")
        library = tmp_path / "afile" / "lib.sqlite3"
    proc = _app(tmp_path, "--library", library, "--screenshot", tmp_path / "s.png")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "Aborted" not in proc.stderr
    assert str(library) in proc.stderr and "--library" in proc.stderr


def test_wrong_typed_and_deep_json_columns_are_shown_not_crashed_on(tmp_path):
    library = _library(tmp_path / "lib.sqlite3")
    _insert(
        library,
        sha256="1" * 64,
        qualified_name="fam/a",
        config="[1, 2]",
        labels='{"a": 1}',
        metrics='"x"',
        lineage="[" * 100_000 + "]" * 100_000,
    )
    _insert(
        library,
        sha256="2" * 64,
        qualified_name="fam/b",
        name=123,
        role="emperor",
        framing=7,
        lineage=json.dumps({"parents": "mum", "method": ["x"]}),
        num_params="many",
    )
    proc = _app(tmp_path, "--library", library, "--exit-when-shown")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    from studio.library import Library

    with Library(library) as opened:
        records = {r.qualified_name: r for r in opened.checkpoints()}
    assert records["fam/a"].config == {} and records["fam/a"].labels == [] and records["fam/a"].lineage is None
    assert records["fam/b"].name == "123" and records["fam/b"].role == "artist" and records["fam/b"].param_count is None


def test_the_offer_of_a_fresh_library_keeps_the_old_file(tmp_path, monkeypatch):
    from studio.app.main import open_library

    broken = _no_tables(tmp_path / "lib.sqlite3")
    before = broken.read_bytes()
    asked = []
    library = open_library(str(broken), ask=lambda message, path: asked.append((message, path)) or True)
    assert library is not None and library.path == broken.resolve()
    library.close()
    assert asked and str(broken) in asked[0][0]
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("lib.sqlite3.unusable-")]
    assert len(kept) == 1 and kept[0].read_bytes() == before
    # declined: nothing is touched
    again = _missing_column(tmp_path / "other.sqlite3")
    assert open_library(str(again), ask=lambda *a: False) is None
    assert again.exists() and not list(tmp_path.glob("other.sqlite3.unusable-*"))


def test_a_folder_given_as_the_library_gives_way_to_the_default(tmp_path, monkeypatch):
    from studio.app.main import open_library

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    folder = tmp_path / "libdir"
    folder.mkdir()
    library = open_library(str(folder), ask=lambda *a: True)
    assert library is not None and str(library.path).startswith(str(tmp_path / "xdg"))
    library.close()
    assert folder.is_dir()


def test_label_placement_grid_agrees_with_checking_every_rectangle(qapp):
    import random

    from PySide6.QtCore import QRectF

    from studio.app.tree_view import _RectGrid

    rng = random.Random(0)
    rects = [
        QRectF(rng.uniform(0, 3000), rng.uniform(0, 3000), rng.uniform(5, 300), rng.uniform(5, 80)) for _ in range(300)
    ]
    grid = _RectGrid(rects[:150])
    for probe in rects[150:]:
        assert grid.hits(probe) == any(probe.intersects(r) for r in rects[:150])


def test_the_window_shows_before_the_family_is_laid_out(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from studio.app.main import make_app
    from studio.app.main_window import MainWindow
    from studio.app.worker import Worker
    from studio.library import Library

    make_app()
    library = _library(tmp_path / "lib.sqlite3")
    for i in range(50):
        _insert(library, sha256=f"{i:064x}", qualified_name=f"fam/m{i}", name=f"m{i}")
    opened = Library(library)
    worker = Worker("cpu")
    window = MainWindow(opened, worker, QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat))
    qtbot.addWidget(window)
    try:
        assert window.tree.nodes == {}  # constructing the window did not lay the family out
        qtbot.waitUntil(lambda: len(window.tree.nodes) == 50, timeout=10000)
    finally:
        worker.shutdown()
        opened.close()
