"""The Studio as a finished app (issue 13): cancel stops every kind of job within about
a second, clicking an artist draws its art, stale hints go, Quit closes every window."""

import time

import pytest
from PySide6.QtWidgets import QApplication

from studio.work import requests
from studio.app.qtdeps import install_line, missing_libraries

CANCEL_WITHIN_S = 2.0  # "about a second", with room for a loaded CI machine


def _ids(window):
    return {r.qualified_name: r.id for r in window.library.checkpoints()}


def _cancel_from_jobs_panel(qtbot, window, job_id, started=lambda: True):
    """Wait until the job is running, click its ✕ in the Jobs panel, time the stop."""
    qtbot.waitUntil(
        lambda: job_id in window.jobs.rows and window.jobs.rows[job_id].status.text() != "queued" and started(),
        timeout=30000,
    )
    time.sleep(0.3)  # well into the job
    row = window.jobs.rows[job_id]
    ended = []
    window.jobEnded.connect(lambda jid, how: jid == job_id and ended.append((how, time.monotonic())))
    clicked = time.monotonic()
    row.cancel.click()
    qtbot.waitUntil(lambda: bool(ended), timeout=30000)
    how, when = ended[0]
    assert how == "cancelled"
    assert when - clicked < CANCEL_WITHIN_S, f"took {when - clicked:.2f}s to cancel"
    assert row.status.text().startswith("cancelled")
    return row


def test_cancel_stops_a_long_training_and_keeps_its_checkpoint(qtbot, make_window, open_and_wait, snapshot, tmp_path):
    window = make_window()
    open_and_wait(window, snapshot)
    out = tmp_path / "long" / "model.pt"
    shape = {"dim": 32, "depth": 1, "heads": 2, "dim_head": 16}
    job_id = window.worker.submit(
        "Train long", requests.Train("builtin", out, "conditional", 100000, None, shape, name="long-one")
    )
    row = _cancel_from_jobs_panel(
        qtbot, window, job_id, started=lambda: "step" in window.jobs.rows[job_id].status.text()
    )
    assert out.exists() and "saved step" in row.status.text()  # the step it reached is kept


def test_cancel_stops_darwin_and_a_scan(qtbot, make_window, open_and_wait, snapshot):
    window = make_window()
    open_and_wait(window, snapshot)
    ids = _ids(window)
    window.session.set_parent("a", ids["apehex/styleA"])
    window.session.set_parent("b", ids["apehex/styleB"])
    # Darwin, from the bay: its own progress row and Cancel button
    window.bay.population.setValue(64)
    window.bay.generations.setValue(50)
    window.bay.evolve_button.click()
    job_id = window.bay.job_id
    assert job_id is not None and window.bay.job_row.isVisibleTo(window.bay) and not window.bay.breed_button.isEnabled()
    qtbot.waitUntil(lambda: "children" in window.bay.job_status.text(), timeout=60000)
    ended = []
    window.jobEnded.connect(lambda jid, how: ended.append((jid, how, time.monotonic())))
    clicked = time.monotonic()
    window.bay.job_cancel.click()
    qtbot.waitUntil(lambda: any(j == job_id for j, _, _ in ended), timeout=30000)
    _, how, when = next(e for e in ended if e[0] == job_id)
    assert how == "cancelled" and when - clicked < CANCEL_WITHIN_S
    assert window.bay.job_id is None and not window.bay.job_row.isVisibleTo(window.bay)
    assert "cancelled" in window.bay.result.text() and window.bay.breed_button.isEnabled()
    # a scan along many points, from the Jobs panel
    a, b = (window.library.get(ids[n]) for n in ("apehex/styleA", "apehex/styleB"))
    job_id = window.worker.submit("Scan long", requests.Scan(a.path, b.path, points=400))
    _cancel_from_jobs_panel(qtbot, window, job_id, started=lambda: "point" in window.jobs.rows[job_id].status.text())


def test_cancelled_gallery_cards_say_cancelled(qtbot, make_window, open_and_wait, snapshot):
    from studio.model.art import SampleSettings

    window = make_window()
    open_and_wait(window, snapshot)
    window.session.current = _ids(window)["apehex/styleA"]  # selected without its first-click gallery
    settings = SampleSettings(label="Cats", count=3, max_chars=20000, temperature=2.0, top_k=None)
    window.gallery_actions.sample(settings)
    qtbot.waitUntil(lambda: any(card.text for card in window.gallery.model.cards), timeout=30000)
    clicked = time.monotonic()
    with qtbot.waitSignal(window.jobEnded, timeout=30000):
        window.gallery.cancel_button.click()
    assert time.monotonic() - clicked < CANCEL_WITHIN_S
    assert all(card.cancelled for card in window.gallery.model.cards if card.complete is None)
    assert window.gallery.sample_button.isEnabled() and not window.gallery.cancel_button.isEnabled()


def test_clicking_an_artist_without_a_gallery_draws_one(qtbot, make_window, open_and_wait, snapshot):
    window = make_window()
    open_and_wait(window, snapshot)
    assert window.gallery.model.cards == [] and "Click an artist" in window.gallery.view.placeholder
    window.gallery.count.setValue(2)
    window.gallery.max_chars.setValue(40)
    record_id = _ids(window)["apehex/styleB"]
    node = window.tree.nodes[record_id]
    with qtbot.waitSignal(window.gallerySampled, timeout=30000):
        window.tree.checkpointSelected.emit(node.record.id)  # what a click on the node emits
    assert len(window.gallery.model.cards) == 2 and window.library.latest_gallery(record_id) is not None
    assert "Ctrl+R" in window.gallery.view.placeholder  # what an empty gallery of an artist says
    # selecting it again shows the saved gallery, with the controls it was drawn with
    window.gallery.count.setValue(5)
    window.session.select(_ids(window)["apehex/styleA"])  # starts drawing A…
    window.session.select(record_id)  # …which stops when the user moves on
    assert window.gallery.count.value() == 2 and len(window.gallery.model.cards) == 2
    assert window.gallery.title.text() == "apehex/styleB"
    qtbot.waitUntil(lambda: window.gallery_actions.sample_job_id is None, timeout=10000)
    assert window.gallery.sample_button.isEnabled()


def test_bay_hints_follow_the_slots(qtbot, make_window, open_and_wait, snapshot):
    window = make_window()
    open_and_wait(window, snapshot)
    ids = _ids(window)
    bay = window.bay
    assert "Drag two artists" in bay.result.text() and not bay.breed_button.isEnabled()
    window.session.set_parent("a", ids["apehex/styleA"])
    assert "Drag two artists" not in bay.result.text() and "B" in bay.result.text()
    window.session.set_parent("b", ids["apehex/styleB"])
    assert "Ready" in bay.result.text() and bay.breed_button.isEnabled()
    bay.show_result("vigor of an old pair")
    bay.show_curve([0, 1], [2.0, 2.1], "old scan")
    window.session.set_parent("b", ids["apehex/breed/child_slerp"])  # another pair: the result is stale
    assert "old pair" not in bay.result.text() and bay.curve.getData()[0] is None or len(bay.curve.getData()[0]) == 0


def test_quit_closes_every_window_including_the_loss_plot(qtbot, make_window, open_and_wait, snapshot):
    window = make_window()
    open_and_wait(window, snapshot)
    options = {
        "corpus": "builtin",
        "framing": "conditional",
        "from_selected": False,
        "steps": 100000,
        "shape": {"dim": 32, "depth": 1, "heads": 2, "dim_head": 16},
        "name": "quitter",
    }
    job_id = window.tools.train(options)
    plot = window.tools.loss_plots[0]
    assert plot.isVisible() and "quitter" in plot.windowTitle()
    window.quit()
    assert not window.isVisible() and not plot.isVisible()
    assert not [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    window.worker.cancel(job_id)


def test_a_trained_artist_has_the_typed_name_and_no_state_file(qtbot, make_window, open_and_wait, snapshot):
    window = make_window()
    open_and_wait(window, snapshot)
    options = {
        "corpus": "builtin",
        "framing": "conditional",
        "from_selected": False,
        "steps": 10,
        "shape": {"dim": 32, "depth": 1, "heads": 2, "dim_head": 16},
        "name": "My Artist",
    }
    window.tools.train(options)
    qtbot.waitUntil(lambda: window.library.find_by_name("My Artist") is not None, timeout=120000)
    record = window.library.find_by_name("My Artist")
    assert record.name == "My Artist"
    assert not (record.path + ".state" and __import__("pathlib").Path(record.path + ".state").exists())
    window.tools.close_windows()


def test_missing_qt_libraries_give_one_install_line():
    def load(name):
        if name in ("libxcb-cursor.so.0", "libxcb-icccm.so.4"):
            raise OSError(name)

    missing = missing_libraries("xcb", load=load)
    assert set(missing) == {"libxcb-cursor.so.0", "libxcb-icccm.so.4"}
    assert missing_libraries("offscreen", load=load) == {}
    line = install_line(missing)
    assert line.endswith("libxcb-cursor0 libxcb-icccm4") or line.endswith("xcb-util-cursor xcb-util-wm")


@pytest.mark.parametrize("text, shown", [("\x02Cats\x03\n /\\_/\\ \n( o.o )\x1f", "Cats\n /\\_/\\ \n( o.o )")])
def test_framing_chars_never_show(text, shown):
    from studio.app.gallery import visible_text

    assert visible_text(text) == shown


def test_an_evaluation_stays_in_the_header(qtbot, make_window, open_and_wait, snapshot):
    window = make_window()
    open_and_wait(window, snapshot)
    record_id = _ids(window)["apehex/styleA"]
    window.session.current = record_id
    window.gallery_actions.show_header(window.library.get(record_id))
    for split in ("val", "test"):  # the first becomes its headline; the second is shown beside it
        with qtbot.waitSignal(window.jobEnded, timeout=60000):
            window.tools.evaluate(record_id, "builtin", split, None)
    qtbot.waitUntil(lambda: "evaluated" in window.gallery.subtitle.text(), timeout=5000)
    assert "test" in window.gallery.subtitle.text() and "[" in window.gallery.subtitle.text()  # with its interval


def test_exports_remember_the_folder_and_the_gallery_export_offers_png(
    qtbot, make_window, open_and_wait, snapshot, tmp_path, monkeypatch
):
    from PySide6.QtWidgets import QFileDialog

    from studio.app.exports import PNG

    window = make_window()
    open_and_wait(window, snapshot)
    window.gallery.count.setValue(1)
    window.gallery.max_chars.setValue(20)
    with qtbot.waitSignal(window.gallerySampled, timeout=30000):
        window.session.select(_ids(window)["apehex/styleA"])
    asked = []
    target = tmp_path / "exports"
    target.mkdir()

    def save_dialog(parent, title, start, filters):
        asked.append((start, filters))
        return str(target / "g.png"), PNG

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_dialog)
    assert window.gallery.export_button.isEnabled()
    window.gallery.export_button.click()
    assert (target / "g.png").read_bytes()[:4] == b"\x89PNG" and PNG in asked[0][1]
    window.exports.export_piece(0)
    assert asked[1][0].startswith(str(target))  # the folder last exported to


def test_help_lists_the_keyboard_shortcuts(make_window):
    window = make_window()
    help_menu = next(a.menu() for a in window.menuBar().actions() if "Help" in a.text())
    texts = [a.text() for a in help_menu.actions()]
    assert "Keyboard shortcuts" in texts and "README" in texts
    quit_action = next(a for m in window.menuBar().actions() for a in m.menu().actions() if a.text() == "Quit")
    assert quit_action.shortcut().toString() == "Ctrl+Q"


def test_darwin_plot_starts_empty_and_counts_generations_from_one(qtbot, make_window, open_and_wait, snapshot):
    window = make_window()
    open_and_wait(window, snapshot)
    ids = _ids(window)
    bay = window.bay
    bay.show_curve([0.0, 0.5, 1.0], [1.0, 2.0, 1.0], "an earlier scan")
    window.session.set_parent("a", ids["apehex/styleA"])
    window.session.set_parent("b", ids["apehex/styleB"])
    bay.population.setValue(2)
    bay.generations.setValue(2)
    bay.evolve_button.click()
    xs, _ = bay.curve.getData()
    assert xs is None or len(xs) == 0  # the earlier curve is gone at once
    qtbot.waitUntil(lambda: bay.job_id is None, timeout=120000)
    xs, _ = bay.curve.getData()
    assert list(xs) == [1, 2]
    assert "champion_" in bay.result.text() and "Champion champion" not in bay.result.text()


def test_garbage_is_collected_on_the_gui_thread_only(qtbot, make_window):
    import gc
    import threading

    make_window()
    assert not gc.isenabled()  # no automatic collection, which could run in the worker
    freed = []

    class Node:
        def __del__(self):
            freed.append(threading.current_thread() is threading.main_thread())

    def churn():  # garbage cycles made in another thread, well past gen 0's threshold
        for _ in range(2000):
            node = Node()
            node.me = node

    worker = threading.Thread(target=churn)
    worker.start()
    worker.join()
    assert not freed  # nothing collected them there
    qtbot.waitUntil(lambda: len(freed) == 2000, timeout=10000)  # the GUI thread's timer did
    assert all(freed)
