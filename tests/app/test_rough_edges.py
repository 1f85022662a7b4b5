"""Things that quietly did something else (issue 21): a copy of a parent is said, Train
cancels quickly and asks before keeping, trained artists keep their typed name, Evaluate
defaults to the artist's own data, Export checkpoint writes .pt, and the bay and nursery
come back after a restart."""

import time
from pathlib import Path

from studio.app.dialogs import OWN_CORPUS, EvaluateDialog

SHAPE = {"dim": 32, "depth": 1, "heads": 2, "dim_head": 16}


def _ids(window):
    return {r.qualified_name: r.id for r in window.library.checkpoints()}


def _parents(window):
    ids = _ids(window)
    window.session.set_parent("a", ids["apehex/styleA"])
    window.session.set_parent("b", ids["apehex/styleB"])


def test_the_bay_says_when_a_child_is_a_copy_of_a_parent(qtbot, make_window, open_and_wait, snapshot):
    window = make_window()
    open_and_wait(window, snapshot)
    _parents(window)
    window.gallery.max_chars.setValue(20)
    bay = window.bay
    from studio.breed import BreedRecipe
    from studio.breed.pair import prepare_pair
    from studio.model.checkpoint import load_checkpoint

    records = window.library.checkpoints()
    a, b = (
        load_checkpoint(next(r.path for r in records if r.qualified_name == n))
        for n in ("apehex/styleA", "apehex/styleB")
    )
    pair = prepare_pair(a, b)
    # depth 1 at layer granularity: two coins, so one seed in two copies a parent whole
    seed = next(s for s in range(64) if pair.copy_of(pair.child(BreedRecipe("discrete", granularity="layer", seed=s))))
    bay.method.setCurrentText("discrete")
    bay.fields["granularity"].set_value("layer")
    bay.fields["seed"].set_value(seed)
    with qtbot.waitSignal(window.gallerySampled, timeout=60000):  # the child's first gallery, drawn by itself
        bay.breed_button.click()
    assert "is an exact copy of parent" in bay.result.text() and "change its seed" in bay.result.text()


def _train(window, steps, name="My Artist"):
    options = {"corpus": "builtin", "framing": "conditional", "from_selected": False, "steps": steps,
               "shape": SHAPE, "name": name}  # fmt: skip
    return window.tools.train(options)


def _cancel_when(qtbot, window, job_id, started):
    qtbot.waitUntil(lambda: job_id in window.jobs.rows and started(), timeout=60000)
    ended = []
    window.jobEnded.connect(lambda jid, how: jid == job_id and ended.append(time.monotonic()))
    clicked = time.monotonic()
    window.jobs.rows[job_id].cancel.click()
    qtbot.waitUntil(lambda: bool(ended), timeout=30000)
    return ended[0] - clicked


def test_a_cancelled_training_asks_before_it_is_kept(qtbot, make_window, open_and_wait, snapshot):
    window = make_window()
    open_and_wait(window, snapshot)
    asked = []
    window.tools.ask_keep_cancelled = lambda _parent, name, message: asked.append((name, message)) or False
    before = len(window.library.checkpoints())
    job = _train(window, 100000)
    _cancel_when(qtbot, window, job, lambda: "step" in window.jobs.rows[job].status.text())
    assert asked and asked[0][0] == "My Artist" and "saved step" in asked[0][1]
    trained = Path(window.library.path).parent / "trained"
    assert not list(trained.rglob("*.pt")) and not list(trained.rglob("*.state"))  # discarded: nothing left
    assert "discarded" in window.jobs.rows[job].status.text()
    qtbot.wait(300)
    assert len(window.library.checkpoints()) == before  # no artist added, nothing drawing
    window.tools.close_windows()

    # kept when the user says so, under the typed name
    window.tools.ask_keep_cancelled = lambda *_: True
    job = _train(window, 100000)
    _cancel_when(qtbot, window, job, lambda: "step" in window.jobs.rows[job].status.text())
    qtbot.waitUntil(lambda: window.library.find_by_name("My Artist") is not None, timeout=30000)
    assert window.library.find_by_name("My Artist").qualified_name == "My Artist"
    window.tools.close_windows()


def test_a_cancel_before_the_first_step_saves_nothing_and_asks_nothing(qtbot, make_window):
    window = make_window()
    asked = []
    window.tools.ask_keep_cancelled = lambda *a: asked.append(a) or True
    job = _train(window, 100000, name="quick")
    window.worker.cancel(job)  # queued or still reading its corpus
    qtbot.waitUntil(lambda: job in window.jobs.rows and window.jobs.rows[job].done, timeout=30000)
    assert not asked and "cancelled" in window.jobs.rows[job].status.text()
    assert not list((Path(window.library.path).parent / "trained").rglob("*.pt"))
    window.tools.close_windows()


def test_trained_artists_take_the_typed_name_and_a_collision_is_said(qtbot, make_window):
    window = make_window()
    for steps in (10, 11):  # not the same bytes twice: the same file would be one checkpoint
        _train(window, steps, name="Painter")
    qtbot.waitUntil(lambda: len(window.library.checkpoints()) == 2, timeout=120000)
    names = sorted(r.qualified_name for r in window.library.checkpoints())
    assert names == ["Painter", "Painter (2)"]  # no timestamp in the tree
    folders = sorted(p.parent.name for p in (Path(window.library.path).parent / "trained").rglob("model.pt"))
    assert folders == ["Painter", "Painter-2"]
    qtbot.waitUntil(lambda: "Painter (2)" in window.statusBar().currentMessage(), timeout=10000)
    assert "Another checkpoint is named Painter" in window.statusBar().currentMessage()
    window.tools.close_windows()


def test_evaluate_defaults_to_the_artists_own_data_and_offers_skip_unknown(qtbot, make_window, tmp_path):
    window = make_window()
    dialog = EvaluateDialog(window, "my-artist")
    qtbot.addWidget(dialog)
    assert dialog.source.currentText() == OWN_CORPUS
    assert dialog.options() == {"corpus": None, "text_file": None, "split": "val", "skip_unknown": False}
    dialog.skip_unknown.setChecked(True)
    dialog.source.setCurrentText("builtin")
    assert dialog.options()["corpus"] == "builtin" and dialog.options()["skip_unknown"] is True
    dialog.skip_unknown.setChecked(False)
    dialog.source.setEditText(str(tmp_path / "notes.txt"))
    assert dialog.options()["text_file"].endswith("notes.txt") and dialog.options()["skip_unknown"] is True

    # a model that does not know the data's chars: the message names the dialog's option
    from studio.work import requests
    from studio.model.checkpoint import save_checkpoint
    from studio.model.synthetic import random_checkpoint

    small = random_checkpoint(**SHAPE, vocab_size=20, seed=5)
    small.labels = ["Cats"]
    path = save_checkpoint(small, tmp_path / "small.pt")
    failed, done = [], []
    window.worker.submit("eval", requests.Evaluate(str(path), "builtin", "val", None), on_failed=failed.append)
    window.worker.submit("eval skip", requests.Evaluate(str(path), "builtin", "val", None, True), on_done=done.append)
    qtbot.waitUntil(lambda: bool(failed and done), timeout=60000)
    assert "tick 'skip chars the model does not know'" in failed[0] and "--skip-unknown" not in failed[0]
    assert done[0].skipped_chars > 0


def test_export_checkpoint_writes_a_pt_name(qtbot, make_window, open_and_wait, snapshot, tmp_path):
    window = make_window()
    open_and_wait(window, snapshot)
    record_id = _ids(window)["apehex/styleA"]
    done = []
    window.jobEnded.connect(lambda jid, how: done.append(how))
    window.exports.export_checkpoint(record_id, str(tmp_path / "child.png"))
    qtbot.waitUntil(lambda: bool(done), timeout=30000)
    assert (tmp_path / "child.pt").exists() and not (tmp_path / "child.png").exists()
    # the repaired name is taken: refused, nothing overwritten
    before = (tmp_path / "child.pt").stat().st_mtime_ns
    assert window.exports.export_checkpoint(record_id, str(tmp_path / "child")) is None
    assert "already exists" in window.statusBar().currentMessage()
    assert (tmp_path / "child.pt").stat().st_mtime_ns == before


def test_the_bay_and_the_nursery_come_back_after_a_restart(qtbot, make_window, open_and_wait, snapshot):
    window = make_window()
    open_and_wait(window, snapshot)
    _parents(window)
    bay = window.bay
    bay.method.setCurrentText("frozen-attn")
    bay.fields["attn_from"].set_value("b")
    bay.fields["t"].set_value(0.3)
    bay.align_b.setChecked(True)
    bay.population.setValue(5)
    view = window.nursery_view
    view.size.setValue(2)
    view.max_chars.setValue(25)
    view.temperature.setValue(0.75)
    view.spaces.set_tempered(True)
    window.nursery.show()
    qtbot.waitUntil(lambda: window.nursery.job_id is None, timeout=60000)
    log = window.nursery.nursery.log_path
    litter = window.nursery.litter
    window.close()  # saves the state

    again = make_window("lib.sqlite3")  # the same library and settings, as after a restart
    assert again.session.parents == window.session.parents
    assert again.bay.method.currentText() == "frozen-attn" and again.bay.align_b.isChecked()
    assert again.bay.recipe().options["attn_from"] == "b" and abs(again.bay.recipe().options["t"] - 0.3) < 1e-9
    assert again.bay.population.value() == 5 and again.bay.nursery_button.isEnabled()
    qtbot.waitUntil(lambda: again.nursery.litter is not None and again.nursery.job_id is None, timeout=30000)
    assert again.nursery.nursery.log_path == log and again.tabs.currentWidget() is again.nursery_view
    assert [c.text for c in again.nursery_view.cards] == [k.piece for k in litter.kids]
    assert again.nursery_view.max_chars.value() == 25 and abs(again.nursery_view.temperature.value() - 0.75) < 1e-9
    assert again.nursery_view.spaces.tempered() and litter.settings["temper_spaces"] is True
