"""The library: snapshot-layout genealogy, no duplicates, missing files, galleries, exports."""

import pytest
import torch

from studio.breed import BreedRecipe, breed
from studio.library import Library
from studio.library.export import default_export_name, export_checkpoint, export_gallery_txt, export_piece_txt
from studio.model.checkpoint import load_checkpoint, save_checkpoint
from studio.model.sampler import Art
from studio.model.synthetic import random_checkpoint
from studio.model.vocab import Vocab

SHAPE = dict(dim=32, depth=1, heads=2, dim_head=16)


class Sneaky:
    def __reduce__(self):
        return (print, ("this must never run",))


@pytest.fixture
def snapshot(tmp_path):
    root = tmp_path / "snapshot"
    save = lambda ckpt, rel: save_checkpoint(ckpt, root / rel)  # noqa: E731
    save(random_checkpoint(**SHAPE, seed=1), "apehex/styleA/model.pt")
    save(random_checkpoint(**SHAPE, seed=2), "apehex/styleB/model.pt")
    save(random_checkpoint(**SHAPE, seed=3), "apehex/breed/child_slerp/model.pt")
    save(random_checkpoint(**SHAPE, seed=4), "apehex/breed/child_discrete/model.pt")
    save(random_checkpoint(**SHAPE, seed=5), "uncond/styleA/model.pt")
    save(random_checkpoint(**SHAPE, seed=6, variant="smith"), "smith-experiment/smith/model.pt")
    text_model = random_checkpoint(vocab=Vocab.bytes256(), **SHAPE, seed=7)
    root.joinpath("enwik8-darwin").mkdir(parents=True)
    torch.save({"config": text_model.model_kwargs, "model": text_model.state_dict}, root / "enwik8-darwin" / "offspring_forkL__x__forkR.pt")
    (root / "broken.pt").write_bytes(b"garbage" * 10)
    torch.save({"config": {}, "model": {}, "x": Sneaky()}, root / "untrusted.pt")
    return root


def _edges_by_name(library):
    names = {r.id: r.qualified_name for r in library.checkpoints()}
    return {(names[e.parent_id], names[e.child_id], e.method) for e in library.edges()}


def test_snapshot_layout_builds_the_family_tree(snapshot, capsys):
    library = Library(":memory:")
    report = library.import_folder(snapshot, read_only=True)
    assert len(report.added) == 7
    assert [p.endswith("broken.pt") for p, _ in report.failed] == [True]
    assert report.needs_trust and report.needs_trust[0].endswith("untrusted.pt")
    assert "never run" not in capsys.readouterr().out
    edges = _edges_by_name(library)
    assert ("apehex/styleA", "apehex/breed/child_slerp", "slerp") in edges
    assert ("apehex/styleB", "apehex/breed/child_discrete", "discrete") in edges
    assert ("forkL", "enwik8-darwin/offspring_forkL__x__forkR", "darwin") in edges
    roles = {r.qualified_name: r.role for r in library.checkpoints()}
    assert roles["apehex/styleA"] == "artist" and roles["apehex/breed/child_slerp"] == "bred"
    assert roles["smith-experiment/smith"] == "ablation" and roles["forkL"] == "missing"
    assert roles["enwik8-darwin/offspring_forkL__x__forkR"] == "text"
    assert not any(("uncond/styleA" in e[0]) for e in edges)


def test_import_twice_no_duplicates_and_moved_file(snapshot, tmp_path):
    library = Library(tmp_path / "lib.sqlite3")
    library.import_folder(snapshot)
    count = len(library.checkpoints())
    again = library.import_folder(snapshot)
    assert not again.added and len(library.checkpoints()) == count
    record = library.find_by_name("uncond/styleA")
    moved = tmp_path / "elsewhere.pt"
    (snapshot / "uncond" / "styleA" / "model.pt").rename(moved)
    assert not library.get(record.id).exists
    library.import_file(moved)
    assert library.get(record.id).path == str(moved.resolve()) and library.get(record.id).exists


def test_lineage_edges_and_bred_children(tmp_path):
    library = Library(":memory:")
    a = load_checkpoint(save_checkpoint(random_checkpoint(**SHAPE, seed=1), tmp_path / "A" / "model.pt"))
    b = load_checkpoint(save_checkpoint(random_checkpoint(**SHAPE, seed=2), tmp_path / "B" / "model.pt"))
    library.import_folder(tmp_path)
    events = []
    library.subscribe(lambda event, payload: events.append(event))
    child = breed(a, b, BreedRecipe(method="slerp", t=0.3))
    path = save_checkpoint(child, tmp_path / "bred" / "kid.pt")
    record = library.add_bred_child(child, path)
    assert record.role == "bred"
    edges = {(library.get(e.parent_id).name, library.get(e.child_id).name, e.method) for e in library.edges()}
    assert ("A", child.name, "slerp") in edges and ("B", child.name, "slerp") in edges
    assert "checkpoint_added" in events and "edges_changed" in events


def test_library_survives_reopen_and_galleries_persist(snapshot, tmp_path):
    path = tmp_path / "lib.sqlite3"
    library = Library(path)
    library.import_folder(snapshot)
    record = library.find_by_name("apehex/styleA")
    arts = [Art(i, "Cats", 10 + i, f"art {i}\n  x", i % 2 == 0) for i in range(3)]
    gallery = library.save_gallery(record.id, {"label": "Cats", "temperature": 0.6, "top_k": 20, "seed": 10}, arts)
    library.set_pinned(gallery.pieces[1].id, True)
    library.replace_piece(gallery.pieces[2].id, Art(2, "Cats", 99, "new art", True))
    library.update_metrics(record.id, bpc=1.23)
    before = (_edges_by_name(library), [r.qualified_name for r in library.checkpoints()])
    library.close()

    reopened = Library(path)
    assert (_edges_by_name(reopened), [r.qualified_name for r in reopened.checkpoints()]) == before
    latest = reopened.latest_gallery(record.id)
    assert [p.text for p in latest.pieces] == ["art 0\n  x", "art 1\n  x", "new art"]
    assert [p.pinned for p in latest.pieces] == [False, True, False]
    assert reopened.get(record.id).metrics["bpc"] == 1.23
    assert reopened.label_history(record.id) == ["Cats"]


def test_exports(snapshot, tmp_path):
    library = Library(":memory:")
    library.import_folder(snapshot)
    record = library.find_by_name("apehex/styleA")
    gallery = library.save_gallery(record.id, {"label": "Cats", "seed": 0}, [Art(0, "Cats", 0, " /\\_/\\\n( o.o )", True)])
    text = export_gallery_txt(tmp_path / default_export_name(record, "gallery", "Cats"), record.name, gallery.settings, gallery.pieces).read_text()
    assert text.startswith("=== styleA #0 label=Cats") and "( o.o )" in text
    assert export_piece_txt(tmp_path / "p.txt", gallery.pieces[0]).read_text() == " /\\_/\\\n( o.o )\n"
    out = export_checkpoint(record, tmp_path / "styleA.pt")
    assert load_checkpoint(out).sha256 == record.sha256
    assert default_export_name(record, "checkpoint") == "stylea.pt"
