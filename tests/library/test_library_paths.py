"""Where things live, and the bundled family the app opens on first run."""

import pytest

from studio.library import Library, bred_dir, bundled_checkpoints_dir, default_library_path


def test_user_data_locations(tmp_path):
    assert default_library_path().name == "library.sqlite3"
    assert "darwascii-studio" in str(default_library_path())
    folder = bred_dir(tmp_path / "data" / "library.sqlite3")
    assert folder == tmp_path / "data" / "bred" and folder.is_dir()


def test_the_bundled_family_opens_read_only():
    folder = bundled_checkpoints_dir()
    if folder is None:
        pytest.skip("no bundled checkpoints in this install")
    library = Library(":memory:")
    report = library.import_folder(folder)  # read-only even when not asked: it is the install's
    assert report.added and not report.failed and not report.needs_trust
    assert all(r.read_only for r in library.checkpoints())
    assert all(r.exists for r in library.checkpoints() if r.role != "missing")
