"""Opening folders and files: the family tree, no duplicates, missing files, bad files, threads."""

import sqlite3
import threading

import pytest
import torch
from library_fixtures import edge_names, roles, save, tiny, tiny_text
from library_fixtures import snapshot  # noqa: F401  (the fixture)

from studio.errors import Cancelled, CheckpointError, StudioError, UntrustedCheckpointError
from studio.library import Library
from studio.library.schema import SCHEMA_VERSION
from studio.model.checkpoint import lineage_record, load_checkpoint

RAN = []  # what unpickling a Sneaky would do; must stay empty unless the user trusts the file


def _side_effect(message):
    RAN.append(message)


class Sneaky:
    def __reduce__(self):
        return (_side_effect, ("unpickled",))


def _untrusted_checkpoint(path):
    ckpt = tiny(9)
    payload = {"config": ckpt.model_kwargs, "model": ckpt.state_dict, "itos": list(ckpt.vocab.chars), "x": Sneaky()}
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(payload, path)
    return path


def test_snapshot_layout_draws_the_family_tree(snapshot):
    library = Library(":memory:")
    report = library.import_folder(snapshot, read_only=True)

    assert len(report.added) == 7 and not report.failed and not report.needs_trust
    assert [p.endswith("enwik8-darwin/darwin_log.json") for p in report.logs] == [True]
    assert edge_names(library) == {
        ("apehex/styleA", "apehex/breed/child_slerp", "slerp"),
        ("apehex/styleB", "apehex/breed/child_slerp", "slerp"),
        ("apehex/styleA", "apehex/breed/child_slerp_frozenattn", "frozen-attn"),
        ("apehex/styleB", "apehex/breed/child_slerp_frozenattn", "frozen-attn"),
        ("enwik8-darwin/forkL", "enwik8-darwin/offspring_forkL__x__forkR", "darwin"),
        ("enwik8-darwin/forkR", "enwik8-darwin/offspring_forkL__x__forkR", "darwin"),
    }
    assert roles(library) == {
        "apehex/styleA": "artist",
        "apehex/styleB": "artist",
        "apehex/breed/child_slerp": "bred",
        "apehex/breed/child_slerp_frozenattn": "bred",
        "uncond/styleA": "artist",
        "smith-experiment/smith": "ablation",
        "enwik8-darwin/offspring_forkL__x__forkR": "bred",
        "enwik8-darwin/forkL": "missing",
        "enwik8-darwin/forkR": "missing",
    }
    by_name = {r.qualified_name: r for r in library.checkpoints()}
    offspring = by_name["enwik8-darwin/offspring_forkL__x__forkR"]
    assert offspring.framing == "text" and offspring.exists and offspring.read_only
    assert by_name["smith-experiment/smith"].variant == "smith"
    assert by_name["uncond/styleA"].framing == "unconditional" and by_name["uncond/styleA"].name == "styleA"
    assert by_name["apehex/styleA"].labels == ["Cats", "Fish"] and by_name["apehex/styleA"].num_params > 0
    assert by_name["apehex/styleA"].source_root == str(snapshot.resolve())
    placeholder = by_name["enwik8-darwin/forkL"]
    assert placeholder.path is None and not placeholder.exists and placeholder.name == "forkL"


def test_a_named_parent_that_turns_up_later_fills_its_placeholder(snapshot):
    library = Library(":memory:")
    library.import_folder(snapshot)
    placeholder = library.find_by_name("enwik8-darwin/forkL")
    save(tiny_text(8), snapshot / "enwik8-darwin" / "forkL.pt")

    report = library.import_folder(snapshot)

    assert [r.id for r in report.added] == [placeholder.id]
    filled = library.get(placeholder.id)
    assert filled.exists and filled.role == "text" and filled.qualified_name == "enwik8-darwin/forkL"
    assert ("enwik8-darwin/forkL", "enwik8-darwin/offspring_forkL__x__forkR", "darwin") in edge_names(library)
    assert library.find_by_name("enwik8-darwin/forkR").role == "missing"


def test_lineage_draws_fork_and_breeding_edges(tmp_path):
    root = tmp_path / "family"
    ancestor = save(tiny(1), root / "ancestor" / "model.pt")
    fork_a = tiny(2)
    fork_a.lineage = lineage_record([ancestor], "fork", {"corpus": "a"})
    fork_a = save(fork_a, root / "forks" / "styleA" / "model.pt")
    fork_b = tiny(3)
    fork_b.lineage = lineage_record([ancestor], "fork", {"corpus": "b"})
    fork_b = save(fork_b, root / "forks" / "styleB" / "model.pt")
    champion = tiny(4)
    champion.lineage = lineage_record([fork_a, fork_b], "darwin", {"generations": 3})
    # its folder says breed/ too, but the lineage in the file comes first
    save(champion, root / "forks" / "breed" / "champion" / "model.pt")

    library = Library(":memory:")
    library.import_folder(root)

    assert edge_names(library) == {
        ("ancestor", "forks/styleA", "fork"),
        ("ancestor", "forks/styleB", "fork"),
        ("forks/styleA", "forks/breed/champion", "darwin"),
        ("forks/styleB", "forks/breed/champion", "darwin"),
    }
    assert roles(library) == {
        "ancestor": "ancestor",
        "forks/styleA": "artist",
        "forks/styleB": "artist",
        "forks/breed/champion": "bred",
    }
    edge = next(e for e in library.edges() if e.method == "darwin")
    assert edge.params == {"generations": 3} and edge.source == "lineage"


def test_a_second_family_reads_by_its_folder_and_keeps_its_own_edges(tmp_path):
    library = Library(":memory:")
    for seed, folder in ((1, "bundled"), (5, "sysart")):
        ancestor = save(tiny(seed), tmp_path / folder / "ancestor" / "model.pt")
        fork = tiny(seed + 1)
        fork.lineage = lineage_record([ancestor], "fork", {})
        save(fork, tmp_path / folder / "styleA" / "model.pt")
        library.import_folder(tmp_path / folder)
    # not "ancestor (2)": the folder it was opened from tells the two apart
    assert edge_names(library) == {("ancestor", "styleA", "fork"), ("sysart/ancestor", "sysart/styleA", "fork")}
    save(tiny(9), tmp_path / "again" / "sysart" / "ancestor" / "model.pt")  # a third, its folder's name taken
    library.import_folder(tmp_path / "again" / "sysart")
    assert "ancestor (2)" in {r.qualified_name for r in library.checkpoints()}


def test_a_lineage_parent_elsewhere_is_a_placeholder_until_its_folder_is_opened(tmp_path):
    ancestor = save(tiny(1), tmp_path / "base" / "ancestor" / "model.pt")
    fork = tiny(2)
    fork.lineage = lineage_record([ancestor], "fork", {})
    save(fork, tmp_path / "forks" / "styleA" / "model.pt")
    library = Library(":memory:")

    library.import_folder(tmp_path / "forks")
    placeholder = library.find_by_name("ancestor")
    assert placeholder.role == "missing" and not placeholder.exists

    library.import_folder(tmp_path / "base")
    found = library.get(placeholder.id)  # the same node, now real
    assert found.exists and found.role == "ancestor" and found.sha256 == ancestor.sha256
    assert len(library.checkpoints()) == 2 and edge_names(library) == {("ancestor", "styleA", "fork")}


def test_add_bred_child_links_parents_by_hash_then_by_name(snapshot, tmp_path):
    library = Library(":memory:")
    library.import_folder(snapshot)
    a = library.find_by_name("apehex/styleA")
    b = library.find_by_name("apehex/styleB")
    events = []
    library.subscribe(lambda event, payload: events.append(event))

    parent_a = load_checkpoint(a.path)  # what the breeding job loaded
    child = tiny(11, name="styleA_x_styleB_slerp")
    child.lineage = lineage_record([parent_a], "slerp", {"t": 0.3})
    child.lineage["parents"].append({"name": "styleB", "sha256": None, "path": None})  # name only
    path = tmp_path / "data" / "bred" / "styleA_x_styleB_slerp-1.pt"
    save(child, path)

    record = library.add_bred_child(child, path)

    assert record.role == "bred" and record.qualified_name == "bred/styleA_x_styleB_slerp" and record.exists
    parents = {e.parent_id: e.method for e in library.edges() if e.child_id == record.id}
    assert parents == {a.id: "slerp", b.id: "slerp"}
    assert events.count("checkpoint_added") == 1 and "edges_changed" in events
    assert library.add_bred_child(child, path).id == record.id  # same file again: no duplicate


def test_importing_twice_adds_nothing(snapshot):
    library = Library(":memory:")
    first = library.import_folder(snapshot)
    count, edges = len(library.checkpoints()), edge_names(library)
    again = library.import_folder(snapshot)
    assert not again.added and {r.id for r in again.existing} == {r.id for r in first.added}
    assert len(library.checkpoints()) == count and edge_names(library) == edges
    same = library.import_file(snapshot / "apehex" / "styleA" / "model.pt")
    assert same.qualified_name == "apehex/styleA" and len(library.checkpoints()) == count


def test_a_moved_file_shows_missing_and_reimport_follows_it(snapshot, tmp_path):
    library = Library(tmp_path / "lib.sqlite3")
    library.import_folder(snapshot)
    record = library.find_by_name("uncond/styleA")
    moved = tmp_path / "elsewhere" / "styleA_uncond.pt"
    moved.parent.mkdir()
    (snapshot / "uncond" / "styleA" / "model.pt").rename(moved)
    (snapshot / "apehex" / "styleB" / "model.pt").unlink()

    assert not library.get(record.id).exists and library.get(record.id).path is not None
    assert not library.find_by_name("apehex/styleB").exists
    assert len(library.checkpoints()) == 9  # listing a library with missing files does not fail

    followed = library.import_file(moved)
    assert followed.id == record.id and followed.path == str(moved.resolve()) and followed.exists
    assert followed.qualified_name == "uncond/styleA"  # the name the user knows stays


def test_a_copy_does_not_repoint_a_record_whose_file_is_still_there(snapshot, tmp_path):
    library = Library(":memory:")
    library.import_folder(snapshot)
    original = library.find_by_name("apehex/styleA")
    copy = tmp_path / "copy.pt"
    copy.write_bytes((snapshot / "apehex" / "styleA" / "model.pt").read_bytes())
    assert library.import_file(copy).path == original.path


def test_untrusted_and_corrupt_files_are_reported_and_the_rest_import(snapshot):
    _untrusted_checkpoint(snapshot / "odd" / "untrusted.pt")
    (snapshot / "broken.pt").write_bytes(b"not a checkpoint at all")
    whole = (snapshot / "apehex" / "styleA" / "model.pt").read_bytes()
    (snapshot / "truncated.pt").write_bytes(whole[: len(whole) // 2])
    (snapshot / "wrong.pt").parent.mkdir(exist_ok=True)
    torch.save(
        {"config": {"num_tokens": 10, "dim": 32, "depth": 1}, "model": {"w": torch.zeros(2)}}, snapshot / "wrong.pt"
    )
    library = Library(":memory:")
    RAN.clear()

    report = library.import_folder(snapshot)

    assert RAN == []  # the refused pickle ran nothing
    assert [p.endswith("untrusted.pt") for p in report.needs_trust] == [True]
    failed = dict(report.failed)
    assert {p.rsplit("/", 1)[-1] for p in failed} == {"broken.pt", "truncated.pt", "wrong.pt"}
    assert all(message.count(". ") == 0 and message.endswith(".") for message in failed.values())  # one sentence each
    assert len(report.added) == 7
    names = {r.qualified_name for r in library.checkpoints()}
    assert not {"broken", "truncated", "wrong", "odd/untrusted"} & names

    with pytest.raises(UntrustedCheckpointError):
        library.import_file(snapshot / "odd" / "untrusted.pt")
    assert RAN == []
    trusted = library.import_file(snapshot / "odd" / "untrusted.pt", trust=True)  # the user said yes
    assert trusted.exists and RAN == ["unpickled"]
    with pytest.raises(CheckpointError):
        library.import_file(snapshot / "no-such.pt")


def test_the_library_survives_reopening(snapshot, tmp_path):
    path = tmp_path / "library" / "lib.sqlite3"
    library = Library(path)
    library.import_folder(snapshot)
    styleA = library.find_by_name("apehex/styleA")
    library.add_measurement(styleA.id, {"bpc": 2.31, "context": 128, "stride": 64, "data": {"sha256": "d"}})
    library.set_framing(styleA.id, "unconditional")
    before = (library.checkpoints(), library.edges())
    library.close()
    library.close()  # twice is harmless

    reopened = Library(path)
    assert (reopened.checkpoints(), reopened.edges()) == before
    assert reopened.get(styleA.id).headline["bpc"] == 2.31
    reopened.import_folder(snapshot)  # the user's framing survives opening the folder again
    assert reopened.get(styleA.id).framing == "unconditional" and reopened.get(styleA.id).framing_source == "user"
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    reopened.close()
    with pytest.raises(RuntimeError):
        reopened.checkpoints()


def test_a_library_from_a_newer_studio_or_not_a_library_is_refused(tmp_path):
    newer = tmp_path / "newer.sqlite3"
    with sqlite3.connect(newer) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StudioError, match="newer version"):
        Library(newer)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StudioError, match="not a studio library"):
        Library(junk)


def test_progress_and_cancel(snapshot):
    library = Library(":memory:")
    seen = []
    with pytest.raises(Cancelled):
        library.import_folder(
            snapshot, progress=lambda done, total: seen.append((done, total)), cancel=lambda: len(seen) >= 3
        )
    assert seen == [(1, 7), (2, 7), (3, 7)]
    assert len([r for r in library.checkpoints() if r.exists]) == 3  # what was read stays, consistent
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        library.import_folder(snapshot, cancel=stop)
    with pytest.raises(StudioError, match="not a folder"):
        library.import_folder(snapshot / "nowhere")


def test_import_events(snapshot):
    library = Library(":memory:")
    events = []
    library.subscribe(lambda event, payload: events.append((event, payload)))
    library.subscribe(lambda event, payload: 1 / 0)  # a broken view is logged, not fatal

    library.import_folder(snapshot)

    added = [p.qualified_name for e, p in events if e == "checkpoint_added"]
    assert len(added) == 9 and "enwik8-darwin/forkL" in added  # 7 files + 2 placeholders
    assert [e for e, _ in events].count("edges_changed") == 1


def test_the_gui_and_a_worker_thread_can_share_the_library(snapshot, tmp_path):
    library = Library(tmp_path / "lib.sqlite3")
    library.import_file(snapshot / "apehex" / "styleA" / "model.pt")
    styleA = library.find_by_name("styleA")
    errors = []

    def worker():
        try:
            library.import_folder(snapshot)
        except Exception as exc:  # pragma: no cover - the failure is what we assert on
            errors.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    for i in range(30):  # the "GUI" reads and writes while the worker imports
        library.checkpoints()
        library.edges()
        library.add_measurement(styleA.id, {"bpc": float(i), "context": 128, "stride": 64, "data": {"sha256": "d"}})
    thread.join()
    assert errors == [] and library.get(styleA.id).headline["bpc"] == 29.0
    assert len([r for r in library.checkpoints() if r.exists]) == 7
