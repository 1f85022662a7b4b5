"""The Studio, offscreen: tree, drag-to-breed, streaming, failures, export, restart, trust."""

import subprocess
import sys

import pytest
import torch
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox

from studio.work import handlers, requests
from studio.app.tree_view import checkpoint_mime
from studio.model.sampler import SampleSettings


def _select(qtbot, window, record_id):
    """Select as a click does: an artist with no gallery draws one (kept small here)."""
    window.gallery.count.setValue(2)
    window.gallery.max_chars.setValue(30)
    with qtbot.waitSignal(window.gallerySampled, timeout=30000):
        window.session.select(record_id)


def _names(window):
    return {r.id: r.qualified_name for r in window.library.checkpoints()}


def test_snapshot_folder_shows_nodes_and_edges(qtbot, make_window, open_and_wait, snapshot):
    window = make_window()
    open_and_wait(window, snapshot)
    assert len(window.tree.nodes) == 3
    assert window.tree.edge_layer.count == 2
    names = _names(window)
    edges = {(names[e.parent_id], names[e.child_id], e.method) for e in window.library.edges()}
    assert ("apehex/styleA", "apehex/breed/child_slerp", "slerp") in edges


def _drop(widget, checkpoint_id):
    mime = checkpoint_mime(checkpoint_id)  # QDropEvent does not own it: keep it alive
    event = QDropEvent(QPointF(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    widget.dropEvent(event)


def test_drop_two_nodes_into_the_bay_breeds_a_child(qtbot, make_window, open_and_wait, snapshot):
    window = make_window()
    open_and_wait(window, snapshot)
    ids = {v: k for k, v in _names(window).items()}
    _drop(window.bay.slot_a, ids["apehex/styleA"])
    _drop(window.bay.slot_b, ids["apehex/styleB"])
    assert window.bay.breed_button.isEnabled()
    before = len(window.library.checkpoints())
    with qtbot.waitSignal(window.gallerySampled, timeout=60000):
        window.bay.breed_button.click()
    records = window.library.checkpoints()
    assert len(records) == before + 1
    child = next(r for r in records if r.role == "bred" and "styleA_x_styleB" in r.name)
    parents = {e.parent_id for e in window.library.edges() if e.child_id == child.id}
    assert parents == {ids["apehex/styleA"], ids["apehex/styleB"]}
    assert child.id in window.tree.nodes
    # the child's own figure, with what it was measured on: the union of the parents' classes
    assert child.headline["data"]["split"] == "val" and child.headline["interval"]["low"] <= child.headline["bpc"]
    assert "vigor" in window.bay.result.text() and "[" in window.bay.result.text()  # with its interval
    assert "ctx" in window.bay.result.text()  # and what it was measured on
    assert "best_parent" in child.metrics["vigor"]
    # the parents' own figures are untouched: the pair's data sits beside them
    for parent in ("apehex/styleA", "apehex/styleB"):
        record = window.library.find_by_name(parent)
        assert len(record.measurements) == 1 and record.headline is None  # none of their own here
        assert record.measurements[0]["measured_for"] == "breeding styleA × styleB"


def test_sampling_streams_into_the_gallery_and_can_be_cancelled(qtbot, make_window, open_and_wait, snapshot):
    window = make_window()
    open_and_wait(window, snapshot)
    record = window.library.find_by_name("apehex/styleA")
    _select(qtbot, window, record.id)
    streamed = []
    window.worker.partial.connect(lambda jid, payload: streamed.append(payload))  # runs in the worker: only appends
    with qtbot.waitSignal(window.gallerySampled, timeout=30000):
        window.gallery_actions.sample(SampleSettings(label="Cats", count=3, max_chars=60, temperature=1.0, top_k=None))
    assert streamed and len(window.gallery.model.cards) == 3
    assert window.library.latest_gallery(record.id) is not None
    # a long gallery, cancelled: the job ends as cancelled and the buttons come back (the
    # first gallery's comparison with the training pieces may end as cancelled too)
    long_job = []
    with qtbot.waitSignal(
        window.jobEnded, timeout=30000, check_params_cb=lambda jid, how: how == "cancelled" and jid in long_job
    ):
        long_job.append(
            window.gallery_actions.sample(
                SampleSettings(label="Cats", count=4, max_chars=20000, temperature=2.0, top_k=None)
            )
        )
        qtbot.waitUntil(lambda: any(card.text for card in window.gallery.model.cards), timeout=20000)
        window.gallery.cancel_button.click()
    assert window.gallery.sample_button.isEnabled()


def test_a_failing_job_shows_a_notice_and_the_app_keeps_working(qtbot, make_window, open_and_wait, snapshot):
    window = make_window()
    open_and_wait(window, snapshot)
    record = window.library.find_by_name("apehex/styleA")
    with qtbot.waitSignal(window.jobEnded, timeout=20000, check_params_cb=lambda jid, how: how == "failed"):
        window.worker.submit("bad label", requests.Sample(record.path, None, SampleSettings(label="Cats€", count=1)))
    assert "does not know" in window.statusBar().currentMessage()
    assert any("does not know" in m for m in window.jobs.messages()), window.jobs.messages()
    _select(qtbot, window, record.id)
    with qtbot.waitSignal(window.gallerySampled, timeout=30000):
        window.gallery_actions.sample(SampleSettings(label="Fish", count=1, max_chars=20))


def test_exports_write_files(qtbot, make_window, open_and_wait, snapshot, tmp_path):
    window = make_window()
    open_and_wait(window, snapshot)
    record = window.library.find_by_name("apehex/styleA")
    _select(qtbot, window, record.id)
    with qtbot.waitSignal(window.gallerySampled, timeout=30000):
        window.gallery_actions.sample(SampleSettings(label="Cats", count=2, max_chars=30))
    gallery = window.exports.export_gallery(str(tmp_path / "g.txt"))
    piece = window.exports.export_piece(0, str(tmp_path / "p.txt"))
    png = window.exports.export_gallery_png(str(tmp_path / "g.png"))
    ckpt = str(tmp_path / "c.pt")
    with qtbot.waitSignal(window.jobEnded, timeout=30000, check_params_cb=lambda jid, how: how == "done"):
        window.exports.export_checkpoint(record.id, ckpt)
    assert "=== styleA #0" in open(gallery).read()
    assert open(piece).read() == window.gallery.model.cards[0].text + "\n"
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert torch.load(ckpt, weights_only=True)["config"]["dim"] == 32


def test_library_survives_restart(qtbot, make_window, open_and_wait, snapshot):
    window = make_window()
    open_and_wait(window, snapshot)
    before = (sorted(_names(window).values()), window.tree.edge_layer.count)
    window.close()
    window.worker.shutdown()
    window.library.close()
    again = make_window()
    qtbot.waitUntil(lambda: again.tree.edge_layer is not None)  # the family is laid out once the window shows
    assert (sorted(_names(again).values()), again.tree.edge_layer.count) == before


class Sneaky:
    def __reduce__(self):
        return (print, ("must not run",))


def test_trust_prompt_defaults_to_refusal(qtbot, make_window, open_and_wait, tmp_path, monkeypatch):
    from studio.model.synthetic import random_checkpoint

    ckpt = random_checkpoint(dim=32, depth=1)
    folder = tmp_path / "untrusted"
    folder.mkdir()
    torch.save(
        {"config": ckpt.model_kwargs, "model": ckpt.state_dict, "itos": list(ckpt.vocab.chars), "x": Sneaky()},
        folder / "m.pt",
    )
    asked = []

    def default_answer(box):
        asked.append(box.text())
        return box.defaultButton() and QMessageBox.StandardButton(box.standardButton(box.defaultButton()))

    monkeypatch.setattr(QMessageBox, "exec", default_answer)
    window = make_window()
    open_and_wait(window, folder)
    assert asked and "m.pt" in asked[0]
    assert window.library.checkpoints() == []  # the default (No) loaded nothing


def test_screenshot_option_writes_a_png(snapshot, tmp_path):
    out = tmp_path / "shot.png"
    env = {"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "studio.app.main",
            str(snapshot),
            "--screenshot",
            str(out),
            "--library",
            str(tmp_path / "shot.sqlite3"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_trusting_a_file_imports_it_in_the_worker(qtbot, make_window, open_and_wait, tmp_path, monkeypatch):
    from studio.model.synthetic import random_checkpoint

    ckpt = random_checkpoint(dim=32, depth=1)
    folder = tmp_path / "untrusted"
    folder.mkdir()
    torch.save(
        {"config": ckpt.model_kwargs, "model": ckpt.state_dict, "itos": list(ckpt.vocab.chars), "x": Sneaky()},
        folder / "m.pt",
    )
    monkeypatch.setattr(QMessageBox, "exec", lambda box: QMessageBox.StandardButton.Yes)
    window = make_window()
    with qtbot.waitSignal(window.jobEnded, timeout=20000, check_params_cb=lambda jid, how: jid > 1 and how == "done"):
        open_and_wait(window, folder)
    assert len(window.library.checkpoints()) == 1  # the answer Yes loaded it, off the GUI thread
    # the trust is remembered for that content: a later job (sampling) loads it too
    record = window.library.checkpoints()[0]
    assert handlers.load(record.path) is not None
    with qtbot.waitSignal(window.jobEnded, timeout=30000) as ended:
        window.gallery_actions.sample(SampleSettings(count=1, max_chars=20), record.id)
    assert ended.args[1] == "done"


def test_screenshot_of_a_folder_with_an_untrusted_file_does_not_wait_for_an_answer(snapshot, tmp_path):
    from studio.model.synthetic import random_checkpoint

    ckpt = random_checkpoint(dim=32, depth=1)
    torch.save(
        {"config": ckpt.model_kwargs, "model": ckpt.state_dict, "itos": list(ckpt.vocab.chars), "x": Sneaky()},
        snapshot / "apehex" / "untrusted.pt",
    )
    out = tmp_path / "shot.png"
    env = {"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "studio.app.main",
            str(snapshot),
            "--screenshot",
            str(out),
            "--library",
            str(tmp_path / "shot.sqlite3"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_missing_device_falls_back_and_says_so(qtbot):
    from studio.app.worker import Worker

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA; the fallback needs one without")
    worker = Worker("cuda")
    try:
        qtbot.waitUntil(lambda: worker.device is not None, timeout=20000)
        assert worker.device.type == "cpu" and worker.device_label == "CPU"
        assert "CUDA is not available" in worker.device_problem
    finally:
        worker.shutdown()


def test_align_b_to_a_scans_both_paths_and_breeds_an_aligned_child(qtbot, make_window, open_and_wait, snapshot):
    window = make_window()
    open_and_wait(window, snapshot)
    ids = {v: k for k, v in _names(window).items()}
    _drop(window.bay.slot_a, ids["apehex/styleA"])
    _drop(window.bay.slot_b, ids["apehex/styleB"])
    window.bay.align_b.setChecked(True)
    with qtbot.waitSignal(window.jobEnded, timeout=60000, check_params_cb=lambda jid, how: how == "done"):
        window.bay.scan_button.click()
    raw_x, raw_y = window.bay.curve.getData()
    aligned_x, aligned_y = window.bay.aligned_curve.getData()
    assert len(raw_x) == len(aligned_x) == 9
    # alignment keeps B's function: the ends of both paths are the parents' own figures
    assert abs(raw_y[0] - aligned_y[0]) < 1e-4 and abs(raw_y[-1] - aligned_y[-1]) < 1e-3
    assert "B aligned to A" in window.bay.result.text()
    before = {r.id for r in window.library.checkpoints()}
    with qtbot.waitSignal(window.jobEnded, timeout=60000, check_params_cb=lambda jid, how: how == "done"):
        window.bay.breed_button.click()
    child = next(r for r in window.library.checkpoints() if r.id not in before)
    assert child.lineage["params"]["align"]["b_to_a"] is True
    assert {p["name"] for p in child.lineage["parents"]} == {"styleA", "styleB"}  # B's own file, not a copy


def test_the_spaces_rule_is_a_control_and_a_shown_gallery_sets_it(qtbot, make_window, open_and_wait, snapshot):
    window = make_window()
    open_and_wait(window, snapshot)
    a = window.library.find_by_name("apehex/styleA")
    b = window.library.find_by_name("apehex/styleB")
    _select(qtbot, window, a.id)
    assert not window.gallery.spaces.tempered()  # the studio's rule by default
    assert not window.library.latest_gallery(a.id).settings["temper_spaces"]
    window.gallery.spaces.set_tempered(True)
    with qtbot.waitSignal(window.gallerySampled, timeout=30000):
        window.gallery.sample_button.click()
    assert window.library.latest_gallery(a.id).settings["temper_spaces"] is True
    window.gallery.spaces.set_tempered(False)
    _select(qtbot, window, b.id)
    assert not window.gallery.spaces.tempered()
    window.session.select(a.id)  # no new gallery: it shows the stored one, and its rule
    assert window.gallery.spaces.tempered()
    # a gallery stored before the rule existed was drawn with spaces tempered
    legacy = dict(window.library.latest_gallery(a.id).settings)
    legacy.pop("temper_spaces")
    window.gallery.apply_settings({**legacy, "temper_spaces": False})
    assert not window.gallery.spaces.tempered()
    window.gallery.apply_settings(legacy)
    assert window.gallery.spaces.tempered()


def test_quitting_waits_for_a_job_that_cannot_be_cancelled(qtbot, capfd):
    """A job deaf to cancellation (PyTorch's import on a loaded machine) is waited for past
    the grace period; one that outlasts the patience is left referenced, never destroyed
    while it runs (Qt would abort the process)."""
    import time as clock

    from studio.app import worker as worker_module
    from studio.app.worker import Worker

    worker = Worker("cpu")
    qtbot.waitUntil(lambda: worker.device is not None, timeout=20000)
    started = []
    worker.submit("slow step", lambda ctx: (started.append(1), clock.sleep(1.0)))
    qtbot.waitUntil(lambda: bool(started), timeout=10000)
    assert worker.shutdown(grace_s=0.1, patience_s=30.0) and worker._thread.isFinished()
    assert "waiting for the job 'slow step' to stop" in capfd.readouterr().err

    stuck = Worker("cpu")
    qtbot.waitUntil(lambda: stuck.device is not None, timeout=20000)
    started.clear()
    stuck.submit("stuck step", lambda ctx: (started.append(1), clock.sleep(2.0)))
    qtbot.waitUntil(lambda: bool(started), timeout=10000)
    assert not stuck.shutdown(grace_s=0.1, patience_s=0.3)
    assert stuck._thread in worker_module._UNSTOPPED and not stuck._thread.isFinished()
    assert stuck._thread.wait(20000)  # it ends by itself; only then may it go
    worker_module._UNSTOPPED.remove(stuck._thread)
