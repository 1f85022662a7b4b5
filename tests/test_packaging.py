"""The wheel carries what an installed studio needs, and the installed copy finds it.

The wheel is built from a copy of the checkout without build isolation, so the test
needs no network; it is installed with ``pip --target`` into a temporary folder and run
from another folder, the way a user's ``pip install .`` would run it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from studio import __version__
from studio.identity import APP_ID

ROOT = Path(__file__).resolve().parent.parent
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "__pycache__", "*.egg-info", ".pytest_cache", ".ruff_cache", "*.pyc"
)
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
WHEEL_LIMIT_WITHOUT_FAMILY = 2_000_000  # bytes, the target


def shipped_files(folder: str) -> set[str]:
    """The files of ``folder`` a clean clone has: what git tracks there, so what the user made
    in the checkout (the replicates darwin-experiment trains, gitignored) is not expected in
    the wheel; a walk of the folder where there is no git."""
    base = ROOT / folder
    listed = subprocess.run(["git", "ls-files", "-z", "--", folder], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode == 0 and listed.stdout:
        return {Path(f).relative_to(folder).as_posix() for f in listed.stdout.split("\0") if f}
    return {p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("checkout") / "darwascii-studio"
    shutil.copytree(ROOT, src, ignore=NOT_SOURCES)
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-cache-dir",
            "-q",
            "-w",
            str(out),
            str(src),
        ],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (built,) = out.glob("darwascii_studio-*.whl")
    return built


def test_wheel_holds_the_code_the_resources_and_the_family(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    code = {p.relative_to(ROOT).as_posix() for p in (ROOT / "studio").rglob("*.py")}
    assert code - names == set(), "subpackages missing from pyproject's packages list"
    assert {f"studio/resources/{f}" for f in shipped_files("resources")} <= names
    for size in PNG_SIZES:
        assert f"studio/resources/icons/hicolor/{size}x{size}/apps/{APP_ID}.png" in names
    family = shipped_files("checkpoints")
    assert any(f.endswith(".pt") for f in family)
    assert {f"studio/checkpoints/{f}" for f in family} <= names
    assert not any(n.startswith("studio/checkpoints/replicates/") for n in names), "replicates are not shipped"
    entry_points = zipfile.ZipFile(wheel).read(f"darwascii_studio-{__version__}.dist-info/entry_points.txt").decode()
    assert "darwascii = studio.cli:run" in entry_points
    assert "[gui_scripts]" in entry_points and "darwascii-studio = studio.app.main:run" in entry_points


def test_wheel_without_the_family_is_small(wheel):
    entries = zipfile.ZipFile(wheel).infolist()
    rest = sum(e.compress_size for e in entries if not e.filename.startswith("studio/checkpoints/"))
    assert rest <= WHEEL_LIMIT_WITHOUT_FAMILY, f"{rest} bytes without the bundled checkpoints"


PROBE = """
import json, sys
import studio
from studio.library.paths import bundled_checkpoints_dir
from studio.shipped import resource_file
print(json.dumps({
    "package": studio.__file__,
    "checkpoints": str(bundled_checkpoints_dir()),
    "stylesheet": str(resource_file("studio.qss")),
    "icon": str(resource_file("icon.svg")),
}))
"""


@pytest.mark.slow
def test_installed_wheel_finds_its_files_from_any_folder(wheel, tmp_path):
    target = tmp_path / "site"
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-cache-dir",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PYTHONPATH=str(target), QT_QPA_PLATFORM="offscreen")
    probe = subprocess.run([sys.executable, "-c", PROBE], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout)
    for key, value in found.items():
        assert Path(value).resolve().is_relative_to(target.resolve()), (
            f"{key} came from {value}, not the installed wheel"
        )

    # The installed app itself: opens the bundled family, samples, saves a screenshot.
    shot = tmp_path / "shot.png"
    app = subprocess.run(
        [
            sys.executable,
            "-m",
            "studio.app.main",
            "--screenshot",
            str(shot),
            "--library",
            str(tmp_path / "lib.sqlite3"),
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert app.returncode == 0, app.stderr
    assert shot.stat().st_size > 10_000
