"""Real art in the app: a folder's held-out data, a child bred without data, a family built
from the Tools menu (pytest-qt, offscreen)."""

from pathlib import Path

from studio.work import requests, state
from studio.model.checkpoint import save_checkpoint
from studio.model.synthetic import random_checkpoint


def _bare_snapshot(root: Path) -> Path:
    """Two artists that record no training corpus (like a downloaded snapshot)."""
    for rel, seed in (("apehex/styleA/model.pt", 1), ("apehex/styleB/model.pt", 2)):
        ckpt = random_checkpoint(dim=32, depth=1, heads=2, dim_head=16, seed=seed)
        ckpt.labels = ["Cats", "Fish"]
        save_checkpoint(ckpt, root / rel)
    return root


def _ids(window):
    return {r.qualified_name: r.id for r in window.library.checkpoints()}


def test_without_data_a_child_is_bred_but_not_judged_then_the_folder_gets_data(
    qtbot, make_window, open_and_wait, tmp_path
):
    window = make_window()
    root = _bare_snapshot(tmp_path / "bare")
    open_and_wait(window, root)
    ids = _ids(window)
    a, b = ids["apehex/styleA"], ids["apehex/styleB"]
    from studio.breed import BreedRecipe

    with qtbot.waitSignal(window.jobEnded, timeout=60000, check_params_cb=lambda jid, how: how == "done"):
        window.breeding.breed(a, b, BreedRecipe("slerp", t=0.5))
    assert "bred, not judged" in window.bay.result.text() and "Held-out data" in window.bay.result.text()
    # the folder is given its data once; every figure of its artists uses it from then on
    window.data.set_data(str(root), "builtin")
    assert state.FOLDER_DATA == {str(root.resolve()): "builtin"}
    assert window.library.data_for(root / "apehex/styleA/model.pt")[1] == "builtin"
    results = []
    job = window.worker.submit(
        "eval", requests.Evaluate(window.library.get(a).path, None, "val", None), on_done=results.append
    )
    qtbot.waitUntil(lambda: bool(results), timeout=60000)
    assert results[0].data.name == "builtin" and set(results[0].data.classes) == {"Cats", "Fish"}
    assert job
    window.data.set_data(str(root), None)
    assert state.FOLDER_DATA == {}


def test_build_a_family_from_the_tools_menu(qtbot, make_window, tmp_path):
    window = make_window()
    out = tmp_path / "family"
    ended = []
    window.jobEnded.connect(lambda jid, how: ended.append(how))
    window.data.build_family(
        "builtin",
        str(out),
        size="small",
        steps_scale=0.004,
        context=64,
        only=["ancestor/model", "apehex/styleA"],
        readmes=False,
    )
    qtbot.waitUntil(lambda: bool(ended), timeout=120000)
    assert ended[0] == "done"
    qtbot.waitUntil(lambda: {"ancestor", "apehex/styleA"} <= set(_ids(window)), timeout=60000)
    menu_titles = [a.text() for m in window.menuBar().actions() for a in m.menu().actions()]
    assert "Build a family from real art…" in menu_titles


def test_the_vigor_table_names_the_unlabelled_class():
    """Real corpora score their unlabelled pieces as a class of their own (label ""): the
    table behind the vigor badge names it instead of leaving the row blank."""
    import numpy as np

    from studio.app.figures import vigor_table_html
    from studio.model.judge import LN2, PieceScores
    from studio.model.vigor import vigor_report

    def scores(bpc):
        n = np.full(4, 100.0)
        return PieceScores(np.asarray(bpc) * n * LN2, n, ["", "", "animals", "animals"], context=512, stride=256)

    report = vigor_report(
        scores([1.0, 1.1, 1.2, 1.3]),
        {"A": scores([1.2, 1.2, 1.4, 1.4]), "B": scores([1.1, 1.3, 1.1, 1.5])},
        {"A": ["", "animals"], "B": ["animals"]},
    )
    html = vigor_table_html(report)
    assert "<td>(unlabelled)</td>" in html and "<td></td>" not in html
