"""Held-out data: leak-free splits, stratified over the pair's classes, said plainly."""

import json

import pytest

from studio.errors import StudioError
from studio.model.synthetic import random_checkpoint
from studio.train.corpus import BUILTIN_CORPORA, GROUP_A, GROUP_B, load_builtin, piece_split, split_pieces
from studio.train.heldout import heldout_for, stratified, text_heldout


def test_no_val_or_test_piece_of_any_builtin_corpus_is_in_any_train_split():
    splits = {name: split_pieces(load_builtin(name)) for name in BUILTIN_CORPORA}
    train = {p.art for s in splits.values() for p in s["train"]}
    for name, s in splits.items():
        for held in ("val", "test"):
            assert s[held], f"{name} {held} is empty"
            leaked = [p for p in s[held] if p.art in train]
            assert not leaked, f"{len(leaked)} {held} pieces of {name} are in a train split"


def test_group_corpora_are_exact_filters_of_the_whole():
    whole = split_pieces(load_builtin("builtin"))
    for name, classes in (("builtin-a", GROUP_A), ("builtin-b", GROUP_B)):
        part = split_pieces(load_builtin(name))
        for split in ("train", "val", "test"):
            assert part[split] == [p for p in whole[split] if p.label in classes]


def test_a_piece_keeps_its_split_whatever_it_is_loaded_with():
    pieces = load_builtin("builtin-a")
    assert all(piece_split(p) == piece_split(p) for p in pieces[:50])
    assert split_pieces(pieces[:200])["test"] == [p for p in split_pieces(pieces)["test"] if p in pieces[:200]]


def _artist(labels, corpus, name):
    ckpt = random_checkpoint(dim=32, depth=1, seed=len(name))
    ckpt.name, ckpt.labels = name, list(labels)
    ckpt.extra = {"recipe": {"corpus": corpus, "train": {"context": 128}, "classes": list(labels)}}
    return ckpt


def test_pair_data_is_the_union_of_both_parents_classes_stratified_and_interleaved():
    a = _artist(GROUP_A, "builtin-a", "styleA")
    b = _artist(GROUP_B, "builtin-b", "styleB")
    heldout = heldout_for([a, b], "test")
    identity = heldout.identity
    assert identity.name == "builtin" and identity.split == "test"
    assert set(identity.classes) == set(GROUP_A) | set(GROUP_B)
    assert set(heldout.classes) == set(GROUP_A) | set(GROUP_B)  # pieces drawn from every class
    # every class gives at least two pieces; none gives more than the mean class's chars
    # (plus the piece that crossed the line)
    assert all(heldout.classes.count(c) >= 2 for c in identity.classes)
    longest = max(map(len, heldout.texts))
    assert max(identity.class_chars) <= identity.chars / len(identity.classes) * 1.5 + longest
    # not sorted by class: the stream alternates classes often
    changes = sum(1 for x, y in zip(heldout.classes, heldout.classes[1:]) if x != y)
    assert changes > len(heldout.classes) / 2
    assert identity.sha256 and identity.chars == len(heldout.text)
    # every piece is from the test split
    test_arts = {p.art for p in split_pieces(load_builtin("builtin"))["test"]}
    assert all(any(art in t for art in test_arts) for t in heldout.texts[:10])


def test_one_artist_is_scored_on_its_own_classes_and_unknown_corpora_are_refused():
    a = _artist(GROUP_A, "builtin-a", "styleA")
    assert set(heldout_for([a], "val").identity.classes) == set(GROUP_A)
    stranger = random_checkpoint(dim=32, depth=1)
    with pytest.raises(StudioError, match="--corpus"):
        heldout_for([stranger], "val")


def test_a_corpus_file_passed_as_text_is_read_as_a_corpus(tmp_path):
    path = tmp_path / "art.jsonl"
    pieces = load_builtin("builtin-b")
    path.write_text("".join(json.dumps({"label": p.label, "art": p.art}) + "\n" for p in pieces))
    heldout = text_heldout(path, "conditional", "test")
    assert heldout.identity.source == "corpus" and set(heldout.identity.classes) == set(GROUP_B)
    assert not any(t.lstrip("\x02").startswith('{"label"') for t in heldout.texts)  # never raw JSON
    with pytest.raises(StudioError, match="folder"):
        text_heldout(tmp_path, "conditional")


def test_stratified_refuses_a_class_the_split_does_not_have():
    with pytest.raises(StudioError, match="no pieces of class 'Dragons'"):
        stratified(load_builtin("builtin-a"), name="builtin-a", split="val", framing="conditional", classes=["Dragons"])


def test_the_same_classes_give_the_same_data_in_any_order():
    pieces = load_builtin("builtin")
    first = stratified(pieces, name="builtin", split="test", framing="conditional", classes=["Cats", "Cars", "Fish"])
    again = stratified(pieces, name="builtin", split="test", framing="conditional", classes=["Fish", "Cats", "Cars"])
    assert first.identity == again.identity and first.texts == again.texts


def test_the_unlabelled_class_is_named_and_its_measurement_reproduces(tmp_path, capsys):
    """A corpus with unlabelled pieces (system-art, most of the apehex layout) scores them as
    their own class, "(unlabelled)": the printed figure names it, and the command the
    measurement gives (whose --classes lists it) measures the same pieces to the same bpc."""
    import shlex

    from studio.cli import main
    from studio.model.checkpoint import save_checkpoint

    rows = []
    for i in range(160):
        label = ["cats", "", ""][i % 3]  # two thirds unlabelled, as in real corpora
        art = "\n".join(f"{' ' * (i % 7)}/\\_{'o' * (1 + i % 5)}_/\\ {i}" for _ in range(2 + i % 3))
        rows.append(json.dumps({"label": label, "art": art}))
    corpus = tmp_path / "art.jsonl"
    corpus.write_text("\n".join(rows) + "\n")
    ckpt = random_checkpoint(dim=32, depth=1, seed=3)
    ckpt.labels = ["cats"]
    path = save_checkpoint(ckpt, tmp_path / "artist.pt")

    assert main(["eval", str(path), "--corpus", str(corpus), "--split", "test", "--context", "64"]) == 0
    printed = capsys.readouterr().out
    per_class = next(line for line in printed.splitlines() if line.startswith("per class:"))
    assert "(unlabelled) " in per_class and "cats " in per_class

    assert main(["eval", str(path), "--corpus", str(corpus), "--split", "test", "--context", "64", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert set(first["data"]["classes"]) == {"", "cats"}
    command = shlex.split(first["command"])
    assert "(unlabelled)" in command[command.index("--classes") + 1]
    assert main([*command[1:], "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["data"]["sha256"] == first["data"]["sha256"]
    assert again["bpc"] == first["bpc"]
