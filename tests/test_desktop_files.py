"""Desktop integration files agree with each other and with the app, and pass the
freedesktop validators (Debian's desktop-file-utils and appstream; .ci/run installs
them, `make validate-desktop` runs them by hand)."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from studio import __version__
from studio.identity import APP_ID, APP_NAME, DISPLAY_NAME

ROOT = Path(__file__).resolve().parent.parent
DESKTOP = ROOT / "packaging" / f"{APP_ID}.desktop"
METAINFO = ROOT / "packaging" / f"{APP_ID}.metainfo.xml"


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_names_the_installed_command_and_icon():
    entry = desktop_entry()
    assert entry["Exec"].split()[0] == APP_NAME
    assert entry["Icon"] == APP_ID
    assert entry["Name"] == DISPLAY_NAME
    assert entry["StartupWMClass"] == APP_NAME
    assert (ROOT / "resources" / "icons" / "hicolor" / "48x48" / "apps" / f"{APP_ID}.png").is_file()


def test_metainfo_matches_the_desktop_entry_and_the_version():
    component = ET.parse(METAINFO).getroot()
    assert component.findtext("id") == APP_ID
    assert component.findtext("name") == DISPLAY_NAME
    assert component.find("launchable").text == DESKTOP.name
    assert APP_NAME in [b.text for b in component.iter("binary")]
    assert __version__ in [r.get("version") for r in component.iter("release")]


def test_icon_pngs_have_their_sizes():
    from PySide6.QtGui import QImage

    for folder in (ROOT / "resources" / "icons" / "hicolor").iterdir():
        size = int(folder.name.split("x")[0])
        image = QImage(str(folder / "apps" / f"{APP_ID}.png"))
        assert (image.width(), image.height()) == (size, size), folder.name


@pytest.mark.parametrize(
    "command",
    [["desktop-file-validate", str(DESKTOP)], ["appstreamcli", "validate", "--no-net", str(METAINFO)]],
    ids=["desktop-file-validate", "appstreamcli"],
)
def test_freedesktop_validators_accept_the_files(command):
    if shutil.which(command[0]) is None:
        pytest.skip(f"{command[0]} is not installed (apt-get install desktop-file-utils appstream)")
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
