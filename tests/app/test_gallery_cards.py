"""Gallery cards: one painter, sized to their art, packed to fill the width, zoomable."""

import pytest
from PySide6.QtCore import QSize

from studio.app.card_painter import (
    ART_MAX_COLUMNS,
    ART_MAX_LINES,
    GAP,
    CardFace,
    CardPainter,
    art_extent,
    pack_cards,
)


def piece(columns: int, lines: int) -> str:
    """A made-up piece exactly ``columns`` wide and ``lines`` tall (no art from anywhere)."""
    return "\n".join(("/\\_" * columns)[:columns] for _ in range(lines))


@pytest.fixture
def gallery(qtbot):
    from studio.app.main import make_app

    make_app()
    from studio.app.gallery import Card, GalleryPanel

    panel = GalleryPanel()
    qtbot.addWidget(panel)
    panel.resize(1200, 800)
    panel.show()

    def show(texts):
        panel.model.set_cards([Card(i, "Cats", i, text, True) for i, text in enumerate(texts)])
        panel.view.relayout()
        return panel.view

    panel.show_texts = show
    return panel


def test_pack_cards_fills_rows_and_shares_the_room_left():
    # 300 px cards in 1000 px: 3 a row (8 + 3 × 308 = 932), the 68 px left shared: 22 each
    rects = pack_cards([QSize(300, 100)] * 7, 1000)
    assert [r.width() for r in rects] == [322] * 7
    assert [r.y() for r in rects] == [GAP] * 3 + [GAP + 108] * 3 + [GAP + 216]
    assert max(r.right() for r in rects) <= 1000 - GAP
    # the last row grows no more than the row above; one row grows at most half a card
    assert pack_cards([QSize(300, 100)] * 2, 1000)[0].width() == 450
    # a card wider than the width sits alone in its row (the view scrolls sideways)
    wide = pack_cards([QSize(100, 50), QSize(1500, 50), QSize(100, 50)], 1000)
    assert len({r.y() for r in wide}) == 3 and wide[1].width() == 1500


def test_a_card_is_sized_to_its_art_up_to_100_columns_and_60_lines(qapp):
    painter = CardPainter()
    small, big = painter.size(CardFace("#0", piece(30, 5))), painter.size(CardFace("#1", piece(100, 60)))
    assert big.width() >= 100 * painter.char_width and big.height() >= 60 * painter.metrics.lineSpacing()
    assert small.width() < big.width() / 2 and small.height() < big.height() / 5
    assert art_extent(piece(100, 60)) == (ART_MAX_COLUMNS, ART_MAX_LINES)
    # beyond the limits the card stops growing (and says what it does not show)
    assert painter.size(CardFace("#2", piece(300, 200))).width() == big.width()


def test_the_gallery_shows_a_100_by_60_piece_whole_and_scrolls_sideways(gallery, qtbot):
    view = gallery.show_texts([piece(100, 60), piece(20, 4)])
    card = view.rects[0]
    painter = view.itemDelegate().card_painter
    assert card.width() >= 100 * painter.char_width and card.height() >= 60 * painter.metrics.lineSpacing()
    gallery.resize(500, 800)  # narrower than the piece: a horizontal scroll bar, not a clipped card
    qtbot.waitUntil(lambda: view.viewport().width() < 500)
    assert view.horizontalScrollBar().maximum() > 0
    assert view.rects[0].width() >= 100 * painter.char_width


def test_smaller_art_on_demand(gallery, qtbot):
    view = gallery.show_texts([piece(100, 60)])
    before = view.rects[0].width()
    view.zoom(-1)
    assert view.art_size() < 9.5 and view.rects[0].width() < before
    view.zoom(1)
    assert view.art_size() == 9.5 and view.rects[0].width() == before


def test_columns_follow_the_width(gallery, qtbot):
    view = gallery.show_texts([piece(40, 10)] * 8)

    def columns():
        return sum(1 for r in view.rects if r.y() == view.rects[0].y())

    gallery.resize(1800, 900)
    qtbot.waitUntil(lambda: view.viewport().width() > 1700)
    wide = columns()
    used = max(r.right() for r in view.rects)
    assert view.viewport().width() - used <= 2 * GAP  # no empty third
    gallery.resize(900, 900)
    qtbot.waitUntil(lambda: view.viewport().width() < 900)
    assert columns() < wide
    assert view.viewport().width() - max(r.right() for r in view.rects) <= 2 * GAP


def test_clicks_and_keys_pick_cards(gallery, qtbot):
    from PySide6.QtCore import Qt

    view = gallery.show_texts([piece(40, 10)] * 6)
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=view.visualRect(view.model().index(1, 0)).center())
    assert view.currentIndex().row() == 1 and view.selectionModel().isSelected(view.model().index(1, 0))
    qtbot.keyClick(view, Qt.Key_Right)
    assert view.currentIndex().row() == 2
    assert view.indexAt(view.visualRect(view.model().index(3, 0)).center()).row() == 3


def test_streamed_text_grows_its_card(gallery, qtbot):
    view = gallery.show_texts([""])
    before = view.rects[0].height()
    gallery.model.append_text({0: piece(10, 30)})
    qtbot.waitUntil(lambda: view.rects[0].height() > before)


def test_gallery_and_litter_pngs_are_painted_by_the_one_painter(gallery):
    from studio.app.exports import render_gallery_png
    from studio.app.gallery import Card

    cards = [Card(i, "Cats", i, piece(100, 60) if i == 0 else piece(20, 5), True) for i in range(3)]
    image = render_gallery_png("gallery", cards)
    painter = CardPainter()
    assert image.width() >= painter.size(CardFace("", piece(100, 60))).width()
    assert image.height() >= 60 * painter.metrics.lineSpacing()
    litter = render_gallery_png("litter", cards, header=lambda card: f"#{card.index + 1}  3.210 bpc")
    assert litter.size() == image.size()  # the same cards, only their titles differ


def test_zoom_keys_zoom_what_has_the_focus(make_window, qtbot):
    window = make_window()
    view, tree = window.gallery.view, window.tree
    window.activateWindow()
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    art, tree_zoom = view.art_size(), tree.zoom_level()
    window.zoom(-1)  # Ctrl+- with the focus in the gallery: smaller art, the tree as it was
    assert view.art_size() < art and tree.zoom_level() == tree_zoom
    tree.setFocus()
    qtbot.waitUntil(tree.hasFocus)
    window.zoom(1)  # and in the tree: the tree
    assert tree.zoom_level() > tree_zoom and view.art_size() < art
    view.reset_art_size()
    assert view.art_size() == art
