"""One palette: the style sheet and the painted parts take their colours from studio.app.palette."""

import re
from pathlib import Path

import pytest

from studio.app import palette
from studio.shipped import resource_file

APP = Path(__file__).resolve().parents[2] / "studio" / "app"
HEX = re.compile(r"#[0-9a-fA-F]{6}\b")


def test_the_style_sheet_names_palette_colours_only():
    template = resource_file("studio.qss").read_text(encoding="utf-8")
    assert not HEX.findall(template), "a colour written in the sheet instead of named from the palette"
    sheet = palette.style_sheet(template)
    assert "${" not in sheet and palette.WINDOW in sheet and palette.ACCENT in sheet


def test_a_sheet_naming_an_unknown_colour_is_an_error():
    with pytest.raises(KeyError, match="no_such_colour"):
        palette.style_sheet("QWidget { color: ${no_such_colour}; }")


def test_app_files_write_no_colour_literals():
    found = {
        path.name: HEX.findall(path.read_text(encoding="utf-8"))
        for path in APP.glob("*.py")
        if path.name != "palette.py"
    }
    assert {name: colours for name, colours in found.items() if colours} == {}


def test_the_loaded_sheet_has_the_palette_and_the_resources_folder():
    from studio.app.main import studio_style_sheet

    sheet = studio_style_sheet()
    assert palette.SURFACE in sheet and "url(resources:" not in sheet and "spin-up.png" in sheet
