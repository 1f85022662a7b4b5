"""Real art in the app: a folder's held-out data, a child bred without data, a family built
from the Tools menu (pytest-qt, offscreen)."""

from pathlib import Path

from PySide6.QtCore import Qt

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


def test_gallery_cards_name_their_nearest_training_drawing(qtbot, make_window, open_and_wait, tmp_path):
    """The cards of an artist that records its corpus are compared with that corpus's train
    split in the background: each tooltip names the nearest training drawing, the distance
    and the command that finds it again; a near-copy says so on its card."""
    import json

    from studio.app.gallery import Card, card_face, card_tooltip
    from studio.train.originality import NearestPiece

    corpus = tmp_path / "mine.jsonl"
    rows = [{"label": "Cats", "art": f"/{'-' * (i % 17)}\\\n|{i:>4}|\n\\__/"} for i in range(40)]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ckpt = random_checkpoint(dim=32, depth=1, heads=2, dim_head=16, seed=4)
    ckpt.labels = ["Cats"]
    ckpt.extra = {"recipe": {"corpus": "mine.jsonl", "corpus_source": str(corpus.resolve()), "classes": ["Cats"]}}
    folder = tmp_path / "mine"
    save_checkpoint(ckpt, folder / "artist.pt")
    window = make_window()
    open_and_wait(window, folder)
    window.gallery.max_chars.setValue(60)
    window.gallery.count.setValue(3)
    with qtbot.waitSignal(window.gallerySampled, timeout=60000):
        window.select_and_sample(_ids(window)["artist"])
    model = window.gallery.model
    qtbot.waitUntil(lambda: any(card.nearest is not None for card in model.cards), timeout=60000)
    assert model.comparison.startswith("the train split of mine.jsonl (")
    tip = model.data(model.index(0), Qt.ToolTipRole)
    assert "Nearest training drawing:" in tip and "darwascii originality" in tip and "--seed" in tip

    copy = Card(0, "Cats", 5, "x", True, nearest=NearestPiece("mine.jsonl#3", "Cats", 0.05))
    new = Card(1, "Cats", 6, "y", True, nearest=NearestPiece("mine.jsonl#4", "Cats", 0.6))
    assert "near-copy" in card_face(copy).status and "near-copy" not in card_face(new).status
    assert "a near-copy (the same drawing)" in card_tooltip(copy, "the train split of mine.jsonl (36 pieces)")
    assert "not a copy" in card_tooltip(new, "the train split of mine.jsonl (36 pieces)")
