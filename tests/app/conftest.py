import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from studio.model.checkpoint import save_checkpoint  # noqa: E402
from studio.model.synthetic import random_checkpoint  # noqa: E402

SHAPE = dict(dim=32, depth=1, heads=2, dim_head=16)


@pytest.fixture
def snapshot(tmp_path):
    root = tmp_path / "snapshot"
    for rel, seed in (
        ("apehex/styleA/model.pt", 1),
        ("apehex/styleB/model.pt", 2),
        ("apehex/breed/child_slerp/model.pt", 3),
    ):
        ckpt = random_checkpoint(**SHAPE, seed=seed)
        ckpt.labels = ["Cats", "Fish"]
        # the judge scores an artist on the data it was trained on: these say builtin
        ckpt.extra = {"recipe": {"corpus": "builtin", "classes": ["Cats", "Fish"], "train": {"context": 64}}}
        save_checkpoint(ckpt, root / rel)
    return root


@pytest.fixture
def make_window(qtbot, tmp_path):
    from studio.app.main import make_app
    from studio.app.main_window import MainWindow
    from studio.app.worker import Worker
    from studio.library import Library

    made = []

    def make(db_name="lib.sqlite3"):
        make_app()
        library = Library(tmp_path / db_name)
        worker = Worker("cpu")
        window = MainWindow(library, worker, QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
        qtbot.addWidget(window)
        window.show()
        made.append(window)
        return window

    yield make
    for window in made:
        window.worker.shutdown()
        window.library.close()
    if made:
        from studio.app.gc_guard import stop_collecting

        # Free this test's Qt objects now, on the GUI thread, and let the tests that follow
        # (no event loop, so no timer) collect as usual.
        stop_collecting()


@pytest.fixture
def open_and_wait(qtbot):
    """Open a folder in the window and wait for its import job to finish."""

    def open_folder(window, path):
        done = []
        window.open_paths([str(path)], on_done=done.append)
        qtbot.waitUntil(lambda: bool(done), timeout=20000)
        return done[0]

    return open_folder
