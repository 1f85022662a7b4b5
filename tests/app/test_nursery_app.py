"""The nursery, offscreen: two litters with stars (keys and clicks), undo, keep one, export."""

import json

from PySide6.QtCore import Qt

from studio.app.tree_view import checkpoint_mime
from studio.breed.nursery import Nursery


def _drop(widget, checkpoint_id):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QDropEvent

    mime = checkpoint_mime(checkpoint_id)
    widget.dropEvent(QDropEvent(QPointF(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier))


def _wait_idle(qtbot, window):
    qtbot.waitUntil(lambda: window.nursery.job_id is None, timeout=60000)


def test_two_litters_with_stars_undo_keep_and_export(qtbot, make_window, open_and_wait, snapshot, tmp_path):
    window = make_window()
    open_and_wait(window, snapshot)
    ids = {r.qualified_name: r.id for r in window.library.checkpoints()}
    _drop(window.bay.slot_a, ids["apehex/styleA"])
    _drop(window.bay.slot_b, ids["apehex/styleB"])
    window.nursery_view.max_chars.setValue(30)
    view = window.nursery_view
    view.size.setValue(4)
    view.label.setCurrentText("Fish")

    # the bay's Litter… button opens the Nursery tab on a first litter around the bay's recipe
    assert window.bay.nursery_button.isEnabled()
    qtbot.mouseClick(window.bay.nursery_button, Qt.LeftButton)
    assert window.tabs.currentWidget() is view
    _wait_idle(qtbot, window)
    first = window.nursery.litter
    assert first.generation == 1 and len(view.cards) == 4
    for kid, card in zip(first.kids, view.cards):
        assert kid.piece and card.text == kid.piece  # every child drew, the card shows it
        assert kid.measurement is not None and "bpc" in card.badge.text() and "[" in card.badge.text()
    assert "val" in view.caption.text() and "ctx" in view.caption.text()  # what the figures were measured on
    assert first.label == "Fish" and len({k.genome["recipe"]["t_embed"] for k in first.kids}) > 1

    # star by key (2) and by clicking the star (#4); Space on a focused card stars it too
    view.setFocus()
    qtbot.keyClick(view, Qt.Key_2)
    qtbot.mouseClick(view.cards[3].star, Qt.LeftButton)
    view.cards[0].setFocus()
    qtbot.keyClick(view.cards[0], Qt.Key_Space)
    qtbot.keyClick(view.cards[0], Qt.Key_Space)  # and again: unstarred
    assert [k.index for k in first.starred] == [1, 3]
    assert view.cards[1].star.text() == "★" and view.cards[0].star.text() == "☆"

    # Enter: the next litter, bred from the starred pair
    qtbot.keyClick(view, Qt.Key_Return)
    _wait_idle(qtbot, window)
    second = window.nursery.litter
    assert second.generation == 2 and "from stars #2, #4" in view.heading.text()
    starred = {id(first.kids[1].genome), id(first.kids[3].genome)}
    assert all(id(k.genome["a"]) in starred for k in second.kids)

    # undo goes back to litter 1 with its pieces, figures and stars, without breeding again
    qtbot.keyClick(view, Qt.Key_Z, Qt.ControlModifier)
    _wait_idle(qtbot, window)
    assert window.nursery.litter is first and view.cards[1].star.text() == "★"
    assert view.cards[2].text == first.kids[2].piece
    view.request_next()
    _wait_idle(qtbot, window)
    second = window.nursery.litter
    assert second.generation == 2

    # keep child 3 (K on its card): it joins the library and the tree with its lineage
    before = len(window.library.checkpoints())
    view.cards[2].setFocus()
    qtbot.keyClick(view.cards[2], Qt.Key_K)
    qtbot.waitUntil(lambda: len(window.library.checkpoints()) == before + 1, timeout=30000)
    qtbot.waitUntil(lambda: view.cards[2].keep.text() == "Kept ✓", timeout=10000)
    kept = next(r for r in window.library.checkpoints() if "nursery-g2-3" in r.name)
    window._flush_layout()
    assert kept.id in window.tree.nodes
    parents = {e.parent_id for e in window.library.edges() if e.child_id == kept.id}
    assert parents == {ids["apehex/styleA"], ids["apehex/styleB"]}
    assert kept.headline["bpc"] == second.kids[2].bpc
    # the others were not written: the folder holds the kept child and the session's log
    folder = window.nursery.nursery.log_path.parent.parent
    assert [p.name for p in folder.glob("*nursery*.pt")] == [p.name for p in folder.glob(kept.name + "-*.pt")]
    # the log rebuilds any child
    again = Nursery.from_log(window.nursery.nursery.log_path)
    assert len(again.litters) == 2 and again.find("g2#3").kept == second.kids[2].kept
    assert again.litters[0].kids[1].starred and again.litters[0].kids[0].piece == first.kids[0].piece

    # a new window resumes the session from its log: the last litter, its pieces, figures and stars
    log = str(window.nursery.nursery.log_path)
    second.kids[0].starred = False
    window.nursery.toggle_star(0)  # starred, and written to the log at once
    other = make_window("other.sqlite3")
    other.nursery.resume(log)
    qtbot.waitUntil(lambda: other.nursery.job_id is None, timeout=30000)
    resumed = other.nursery.litter
    assert resumed.generation == 2 and resumed.kids[0].starred and resumed.kids[2].kept
    assert other.nursery_view.cards[1].text == second.kids[1].piece
    assert "bpc" in other.nursery_view.cards[1].badge.text()
    assert other.nursery_view.next_button.isEnabled() and other.nursery_view.undo_button.isEnabled()
    assert other.nursery_view.label.currentText() == "Fish"

    # export the litter's grid as text and PNG
    txt = window.nursery.export("txt", str(tmp_path / "litter.txt"))
    text = open(txt, encoding="utf-8").read()
    assert "litter 2" in text and second.kids[0].piece in text and "bpc" in text
    png = window.nursery.export("png", str(tmp_path / "litter.png"))
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_next_litter_without_stars_says_what_to_do(qtbot, make_window, open_and_wait, snapshot):
    window = make_window()
    open_and_wait(window, snapshot)
    ids = {r.qualified_name: r.id for r in window.library.checkpoints()}
    window.nursery_view.size.setValue(2)
    window.nursery_view.max_chars.setValue(20)
    window.nursery.show()  # no parents yet: a sentence, no job
    assert window.nursery.job_id is None and "two parents" in window.statusBar().currentMessage()
    _drop(window.bay.slot_a, ids["apehex/styleA"])
    _drop(window.bay.slot_b, ids["apehex/styleB"])
    window.nursery.show()
    _wait_idle(qtbot, window)
    window.nursery_view.request_next()
    _wait_idle(qtbot, window)
    assert "star at least one child" in window.statusBar().currentMessage()
    assert window.nursery.litter.generation == 1


def test_a_cancelled_litter_says_which_children_were_not_judged(qtbot, make_window, open_and_wait, snapshot):
    window = make_window()
    open_and_wait(window, snapshot)
    ids = {r.qualified_name: r.id for r in window.library.checkpoints()}
    window.session.set_parent("a", ids["apehex/styleA"])
    window.session.set_parent("b", ids["apehex/styleB"])
    view = window.nursery_view
    view.size.setValue(64)
    view.max_chars.setValue(400)
    window.nursery.show()
    qtbot.waitUntil(lambda: any(card.text for card in view.cards), timeout=30000)
    qtbot.mouseClick(view.cancel, Qt.LeftButton)
    _wait_idle(qtbot, window)
    assert "not judged (litter cancelled)" in view.cards[-1].badge.text()
    assert view.caption.text().startswith("Cancelled") and view.undo_button.isEnabled()


CAT = " /\\_/\\\n( o.o )\n > ^ <"


def test_the_nursery_shows_and_logs_its_settings_folds_repeats_and_a_kept_child_draws_what_was_picked(
    qtbot, make_window, open_and_wait, snapshot, monkeypatch
):
    # every child draws the same cat whatever its recipe or seed, but #2 draws a house:
    # the litter tries again for each repeat, then folds what still repeats
    def draw(self, kid, settings, device="cpu", on_char=None, cancel=None, static=None):
        kid.piece = "  /\\\n /  \\\n|[]  |\n|____|" if kid.index == 1 else CAT
        for char in kid.piece:
            if on_char is not None:
                on_char(0, char)
        return kid.piece

    monkeypatch.setattr(Nursery, "draw", draw)
    window = make_window()
    open_and_wait(window, snapshot)
    ids = {r.qualified_name: r.id for r in window.library.checkpoints()}
    window.session.set_parent("a", ids["apehex/styleA"])
    window.session.set_parent("b", ids["apehex/styleB"])
    view = window.nursery_view
    view.size.setValue(4)
    view.label.setCurrentText("Cats")
    view.seed.setValue(5)
    view.temperature.setValue(0.9)
    view.top_k.setValue(7)
    view.top_p.setValue(0.8)
    view.max_chars.setValue(120)
    view.spaces.set_tempered(True)
    window.gallery.temperature.setValue(0.3)  # the gallery's settings are not the nursery's
    window.nursery.show()
    _wait_idle(qtbot, window)
    litter = window.nursery.litter
    expected = {
        "label": "Cats", "temperature": 0.9, "top_k": 7, "top_p": 0.8, "max_chars": 120, "seed": 5,
        "temper_spaces": True,
    }  # fmt: skip
    assert litter.settings == expected
    heading = view.heading.text()
    assert "T 0.90, top-k 7, top-p 0.80, up to 120 chars, spaces tempered" in heading and "seed 5" in heading
    # #3 and #4 drew the cat after every try: folded onto #1; #2 stands alone
    assert [card.same_as for card in view.cards] == [None, None, 0, 0]
    assert view.cards[2].folded.text() == "same drawing as #1" and not view.cards[2].art.isVisible()
    assert view.cards[1].art.isVisible() and view.cards[0].art.isVisible()
    assert "2 different drawings among 4 children" in view.caption.text()
    # cards are as tall as their piece: a three-line cat is not a 14-line box
    assert view.cards[0].art.height() < 6 * view.cards[0].art.fontMetrics().lineSpacing()
    log = json.loads(window.nursery.nursery.log_path.read_text())
    assert log["litters"][0]["settings"] == expected

    # resumed in another window: the bar shows what the litter drew with
    other = make_window("other.sqlite3")
    other.nursery.resume(str(window.nursery.nursery.log_path))
    qtbot.waitUntil(lambda: other.nursery.job_id is None, timeout=30000)
    ov = other.nursery_view
    assert (ov.seed.value(), ov.temperature.value(), ov.top_k.value(), ov.max_chars.value()) == (5, 0.9, 7, 120)
    assert abs(ov.top_p.value() - 0.8) < 1e-9 and ov.cards[3].same_as == 0 and ov.spaces.tempered()

    # a kept child's first gallery is the piece that was picked, with the settings it drew with
    before = len(window.library.checkpoints())
    window.nursery.keep(1)
    qtbot.waitUntil(lambda: len(window.library.checkpoints()) == before + 1, timeout=30000)
    kept = next(r for r in window.library.checkpoints() if "nursery-g1-2" in r.name)
    qtbot.waitUntil(lambda: window.library.latest_gallery(kept.id) is not None, timeout=10000)
    gallery = window.library.latest_gallery(kept.id)
    assert gallery.pieces[0].text == litter.kids[1].piece
    assert {k: gallery.settings[k] for k in expected} == expected


def test_cards_flow_at_their_own_sizes_and_arrows_move_between_lines(qtbot):
    from studio.app.main import make_app
    from studio.app.nursery_view import NurseryView
    from studio.breed.litters import Kid, Litter

    make_app()
    view = NurseryView()
    qtbot.addWidget(view)
    view.resize(900, 700)
    view.show()
    pieces = [CAT, "x" * 60 + "\n" + "y" * 60, CAT, "\n".join("|" for _ in range(12)), CAT, "o"]
    kids = [
        Kid(i, {"a": "A", "b": "B", "recipe": {"method": "slerp", "t": 0.5}}, piece=p) for i, p in enumerate(pieces)
    ]

    class Session:
        names = ("A", "B")

        @staticmethod
        def litter_of(_genome):
            return None

    view.show_litter(Session, Litter(1, kids, "slerp", "Cats", 0))
    qtbot.waitUntil(lambda: all(card.isVisible() for card in view.cards))
    widths = [card.width() for card in view.cards]
    heights = [card.art.height() for card in view.cards]
    assert widths[1] > widths[0] and heights[3] > heights[0]  # each as big as its piece
    tops = sorted({card.geometry().top() for card in view.cards})
    assert len(tops) >= 2  # wrapped onto lines
    first = view.cards[0]
    first.setFocus()
    qtbot.keyClick(first, Qt.Key_Down)
    below = view.focusWidget()
    assert below in view.cards and below.geometry().top() > first.geometry().top()
    qtbot.keyClick(below, Qt.Key_Up)
    assert view.focusWidget().geometry().top() == first.geometry().top()
    qtbot.keyClick(view.focusWidget(), Qt.Key_Right)
    assert view.focusWidget() is view.card(view.focusWidget().index) and view.focusWidget().index >= 1
