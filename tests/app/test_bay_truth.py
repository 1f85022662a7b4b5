"""The bay says what it does (issue 21): Litter… after every job, align B to A for every
action, the strongest control in the headline, the Darwin plot's scale, and a job the user
asks for before an automatic one."""

import threading
import time

from studio.app import figures
from studio.work import requests
from studio.errors import Cancelled


def _ids(window):
    return {r.qualified_name: r.id for r in window.library.checkpoints()}


def _parents(window):
    ids = _ids(window)
    window.session.set_parent("a", ids["apehex/styleA"])
    window.session.set_parent("b", ids["apehex/styleB"])


def test_litter_button_comes_back_after_scan_breed_and_evolve(qtbot, make_window, open_and_wait, snapshot):
    window = make_window()
    open_and_wait(window, snapshot)
    _parents(window)
    bay = window.bay
    window.gallery.max_chars.setValue(20)
    bay.population.setValue(2)
    bay.generations.setValue(1)
    for button in (bay.scan_button, bay.breed_button, bay.evolve_button):
        assert bay.nursery_button.isEnabled()
        button.click()
        assert not bay.nursery_button.isEnabled()  # the bay's job runs
        qtbot.waitUntil(lambda: bay.job_id is None, timeout=120000)
        assert bay.nursery_button.isEnabled(), button.text()
        assert all(b.isEnabled() for b in (bay.scan_button, bay.breed_button, bay.evolve_button))
    # the children's own galleries end before the window closes
    qtbot.waitUntil(lambda: window.gallery_actions.sample_job_id is None, timeout=60000)


def test_evolve_honours_align_and_draws_the_parents_and_gen0_for_scale(qtbot, make_window, open_and_wait, snapshot):
    window = make_window()
    open_and_wait(window, snapshot)
    _parents(window)
    bay = window.bay
    bay.align_b.setChecked(True)
    bay.population.setValue(2)
    bay.generations.setValue(2)
    window.gallery.max_chars.setValue(20)
    before = {r.id for r in window.library.checkpoints()}
    bay.evolve_button.click()
    assert "B aligned to A" in bay.job_status.text() or "aligned" in window.jobs.rows[bay.job_id].title.text()
    qtbot.waitUntil(lambda: bay.job_id is None, timeout=120000)
    champion = next(r for r in window.library.checkpoints() if r.id not in before)
    assert champion.lineage["params"]["align"]["b_to_a"] is True
    qtbot.waitUntil(lambda: window.gallery_actions.sample_job_id is None, timeout=60000)
    # dashed lines for both parents and a dotted one for the gen-0 child, inside the y range
    labels = [line.label.toPlainText() for line in bay.reference_lines]
    assert [x.split()[0] for x in labels] == ["styleA", "styleB", "gen-0"]
    low, high = bay.plot.getViewBox().viewRange()[1]
    assert all(low <= line.value() <= high for line in bay.reference_lines)
    # a scan afterwards has no Darwin scale lines
    bay.show_curve([0.0, 1.0], [1.0, 1.1], "scan")
    assert bay.reference_lines == []


def test_the_bay_headline_carries_the_strongest_control(qtbot, make_window):
    window = make_window()

    def entry(value, low, high):
        return {"value": value, "low": low, "high": high, "positive": low > 0, "baseline_bpc": 2.0,
                "child_bpc": 2.0 - value}  # fmt: skip

    vigor = {
        "best_parent": {"name": "styleB", **entry(0.165, 0.12, 0.21)},
        "own_classes": {"styleA": {"classes": ["Cats"], **entry(-0.05, -0.08, -0.02)}},
        "routed_oracle": {"routing": {}, **entry(-0.21, -0.25, -0.17)},
    }
    measurement = {"bpc": 1.5, "interval": {"low": 1.4, "high": 1.6}, "caption": "val · 13 classes · ctx 128"}
    window.breeding.show_vigor("child", measurement, vigor)
    text = window.bay.result.text()
    assert "vigor +0.165" in text and "routed-parent oracle -0.210" in text
    assert "worse than the routed-parent oracle beyond noise" in text and figures.BAD in text
    assert "better than the best parent" not in text


def _slow_job(started, stop_after=60.0):
    """A job that runs until cancelled (or ``stop_after`` seconds), counting its starts."""

    def run(ctx):
        started.append(time.monotonic())
        end = time.monotonic() + stop_after
        while time.monotonic() < end:
            if ctx.cancelled():
                raise Cancelled()
            time.sleep(0.01)
        return len(started)

    return run


def test_a_job_the_user_asks_for_goes_before_an_automatic_one(qtbot, make_window):
    window = make_window()
    worker = window.worker
    gate = threading.Event()
    order = []

    def blocker(ctx):
        gate.wait(30)
        return "blocker"

    def note(name):
        return lambda ctx: order.append(name)

    worker.submit("blocker", blocker)
    worker.submit("auto", note("auto"), automatic=True)
    worker.submit("user", note("user"))
    assert "blocker to finish" in worker.waiting_for(3) or "blocker" in worker.waiting_for(3)
    gate.set()
    qtbot.waitUntil(lambda: len(order) == 2, timeout=10000)
    assert order == ["user", "auto"]

    # a running automatic job (a new child's gallery) pauses for the user's and starts again after
    starts, restarts, done = [], [], []
    auto = worker.submit("Sample child", _slow_job(starts, stop_after=1.0), automatic=True,
                         on_restart=restarts.append, on_done=done.append)  # fmt: skip
    qtbot.waitUntil(lambda: len(starts) == 1, timeout=10000)
    user_ran = []
    worker.submit("user job", lambda ctx: user_ran.append(len(starts)))
    qtbot.waitUntil(lambda: bool(done), timeout=20000)
    assert user_ran == [1] and len(starts) == 2 and restarts and "paused for" in restarts[0]
    assert window.jobs.rows[auto].status.text().startswith("done")


def test_the_bay_says_what_its_job_waits_for(qtbot, make_window, open_and_wait, snapshot):
    window = make_window()
    open_and_wait(window, snapshot)
    _parents(window)
    gate = threading.Event()
    window.worker.submit("Train my-artist", lambda ctx: gate.wait(30))
    qtbot.waitUntil(lambda: window.worker.running is not None, timeout=10000)
    window.bay.scan_button.click()
    assert "waiting for Train my-artist to finish" in window.bay.job_status.text()
    gate.set()
    qtbot.waitUntil(lambda: window.bay.job_id is None, timeout=60000)
    assert requests  # the module the jobs come from
