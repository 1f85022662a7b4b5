"""The breeding bay's layout: a method's own options first, a plot that keeps its height,
a result that is never cut."""

import pytest

LONG_RESULT = (
    "Path barrier <b>+0.000</b> [+0.000, +0.000] bpc at t=0.00; midpoint excess -0.208: no barrier: "
    "the path stays at or below the line between the parents (one basin). <i>(val · 13 classes · ctx 128)</i>"
    "<br>B aligned to A: Path barrier <b>+0.000</b> [+0.000, +0.000] bpc at t=0.00; midpoint excess -0.208: "
    "no barrier: the path stays at or below the line between the parents (one basin)."
)


@pytest.fixture
def bay(qtbot):
    from studio.app.main import make_app

    make_app()
    from studio.app.breeding_bay import BreedingBay

    widget = BreedingBay()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def shown_rows(bay):
    grid = bay._options
    rows = []
    for row in range(grid.rowCount()):
        item = grid.itemAtPosition(row, 0)
        if item is not None and not item.widget().isHidden():
            rows.append(item.widget().text())
    return rows


def test_a_methods_own_options_come_right_under_method(bay):
    bay.method.setCurrentText("frozen-attn")
    assert shown_rows(bay)[:2] == ["Method", "attn-from"]  # not below the five slerp amounts
    bay.method.setCurrentText("discrete")
    assert shown_rows(bay) == ["Method", "granularity", "seed"]
    bay.method.setCurrentText("slerp")
    assert shown_rows(bay) == ["Method", "t", "t-attn", "t-ff", "t-embed", "t-layers"]
    assert bay.recipe().method == "slerp" and bay.recipe().t == 0.5  # the fields still read as before


@pytest.mark.parametrize("size", [(1900, 240), (1260, 220)])
def test_a_long_result_neither_squeezes_the_plot_nor_is_cut(bay, qtbot, size):
    bay.resize(*size)
    bay.show_result(LONG_RESULT)
    qtbot.wait(20)  # the layout settles (no timing is measured)
    assert bay.plot.height() >= bay.PLOT_MIN_HEIGHT
    label, scroll = bay.result, bay.result_scroll
    # all of the text is in the label: what the area cannot show, it scrolls to
    assert label.height() >= label.heightForWidth(label.width())
    assert scroll.viewport().height() + scroll.verticalScrollBar().maximum() >= label.height()


def test_a_tall_bay_shows_the_whole_result_without_scrolling(bay, qtbot):
    bay.resize(1900, 400)
    bay.show_result(LONG_RESULT)
    qtbot.waitUntil(lambda: bay.result_scroll.verticalScrollBar().maximum() == 0)
    assert bay.plot.height() > bay.PLOT_MIN_HEIGHT  # the room left over goes to the plot
