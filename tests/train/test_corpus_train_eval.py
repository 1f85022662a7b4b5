"""Corpus, importers, training and evaluation."""

import json
import math

import pytest
import torch

from studio.cli import main
from studio.errors import Cancelled, StudioError
from studio.model.checkpoint import load_checkpoint
from studio.model.judge import heldout_from_text, measurements_in
from studio.model.synthetic import random_checkpoint
from studio.train.corpus import (
    ALL_CLASSES,
    GROUP_A,
    GROUP_B,
    build_corpus,
    corpus_hash,
    load_builtin,
    render,
    split_pieces,
)
from studio.train.evaluate import ENWIK8_SPLIT_BYTES, enwik8_slice, evaluate
from studio.train.heldout import stratified
from studio.train.importers import CorpusImportError, import_folder, import_jsonl, import_parquet
from studio.train.training import ModelShape, TrainConfig, train

TINY = ModelShape(dim=32, depth=1, heads=2, dim_head=16)


def test_corpus_is_deterministic_covers_both_groups_and_is_clean():
    assert len(GROUP_A) >= 6 and len(GROUP_B) >= 6
    first = build_corpus(per_class=30)
    assert corpus_hash(first) == corpus_hash(build_corpus(per_class=30))
    assert corpus_hash(first) != corpus_hash(build_corpus(per_class=30, seed=1))
    assert {p.label for p in first} == set(ALL_CLASSES)
    for piece in first:
        assert all(32 <= ord(c) < 127 or c == "\n" for c in piece.art)
        assert all(line == line.rstrip() for line in piece.art.split("\n"))
    for label in ALL_CLASSES:
        assert render(label, 5) == render(label, 5)
        assert len({p.art for p in first if p.label == label}) == 30


# The built-in corpora, pinned: every bundled checkpoint and every recorded measurement
# names its data by this hash, so a change to a drawer (even a cosmetic one) must fail here.
PINNED_CORPUS_HASHES = {
    "builtin": "75907b3e81408d82e727ae7393a5eb7583771dfdf3f1ae50881a1739db107dd2",
    "builtin-a": "e4bc92faee7664504b2ab8191122684b54b0fda5c3262337bd138afa0a300008",
    "builtin-b": "da013c65a016b3c32178311d3ead25565f5a761b162c9743e15c8d197903ae30",
}


@pytest.mark.parametrize("name", sorted(PINNED_CORPUS_HASHES))
def test_builtin_corpora_are_byte_identical_to_the_pinned_ones(name):
    assert corpus_hash(load_builtin(name)) == PINNED_CORPUS_HASHES[name]


def test_split_is_by_piece_disjoint_and_deterministic():
    pieces = build_corpus(per_class=20)
    splits = split_pieces(pieces)
    assert split_pieces(pieces) == splits
    arts = [set(id(p) for p in splits[s]) for s in ("train", "val", "test")]
    assert not (arts[0] & arts[1] or arts[0] & arts[2] or arts[1] & arts[2])
    assert sum(len(splits[s]) for s in splits) == len(pieces) and all(splits[s] for s in splits)


def test_folder_importer(tmp_path):
    (tmp_path / "Cats").mkdir()
    (tmp_path / "Cats" / "a.txt").write_text(" /\\_/\\ \r\n( o.o )\t\n%%%\n >^<\n")
    (tmp_path / "Cats" / "bad.txt").write_bytes(b"\xff\xfe\x00bad")
    (tmp_path / "Cats" / "empty.txt").write_text("\n\n")
    result = import_folder(tmp_path)
    assert [p.label for p in result.pieces] == ["Cats", "Cats"]
    assert result.pieces[0].art == " /\\_/\\\n( o.o )"
    assert result.skipped == 2 and len(result.problems) == 2
    with pytest.raises(CorpusImportError, match="not a folder"):
        import_folder(tmp_path / "Cats" / "a.txt")


def test_jsonl_importer(tmp_path):
    path = tmp_path / "art.jsonl"
    path.write_text('{"art": "<><", "label": "Fish"}\nnot json\n{"label": "x"}\n{"content": "^", "labels": ["Suns"]}\n')
    result = import_jsonl(path)
    assert [(p.label, p.art) for p in result.pieces] == [("Fish", "<><")]
    assert result.skipped == 3 and "art.jsonl:2" in result.problems[0]
    other = import_jsonl(path, art_field="content", label_field="labels")
    assert [(p.label, p.art) for p in other.pieces] == [("Suns", "^")]
    (tmp_path / "none.jsonl").write_text("oops\n")
    with pytest.raises(CorpusImportError, match="no valid pieces"):
        import_jsonl(tmp_path / "none.jsonl")


def test_parquet_without_pyarrow_says_how_to_install(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name.startswith("pyarrow"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    with pytest.raises(CorpusImportError, match="pyarrow"):
        import_parquet(tmp_path / "x.parquet")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    # Seed 1: among 20 drawings of each class both have a val piece (the split hashes the
    # drawing, so which classes a 40-piece corpus has in val depends on the drawings).
    pieces = build_corpus(("Cats", "Fish"), per_class=20, seed=1)
    out = tmp_path_factory.mktemp("run") / "model.pt"
    losses = []
    result = train(
        pieces,
        out,
        config=TrainConfig(steps=30, batch_size=8, context=64, lr=5e-3, warmup=5, checkpoint_every=0),
        shape=TINY,
        heldout=stratified(pieces, name="tiny", split="val", framing="conditional"),
        progress=lambda p: losses.append(p.loss),
    )
    return pieces, out, result, losses


def test_training_lowers_the_loss_and_writes_a_loadable_checkpoint(tiny_run):
    _, out, result, losses = tiny_run
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5
    ckpt = load_checkpoint(out)
    assert ckpt.metrics["step"] == 30 and "val_bpc" in ckpt.metrics
    (measured,) = measurements_in(ckpt.metrics)  # the figure says what it was measured on
    assert measured.bpc == pytest.approx(ckpt.metrics["val_bpc"], abs=1e-5)
    assert measured.data.split == "val" and measured.data.name == "tiny" and measured.context == 64
    assert (
        set(measured.data.classes) == {"Cats", "Fish"}
        and measured.interval.low <= measured.bpc <= measured.interval.high
    )
    assert ckpt.extra["recipe"]["classes"] == ["Cats", "Fish"]
    assert ckpt.labels == ["Cats", "Fish"]
    assert ckpt.extra["recipe"]["corpus_sha256"]


def test_resume_continues_from_the_same_step(tmp_path):
    pieces = build_corpus(("Cats",), per_class=10)
    config = TrainConfig(steps=12, batch_size=4, context=32, checkpoint_every=6, warmup=2)
    straight = train(pieces, tmp_path / "a.pt", config=config, shape=TINY, device="cpu")

    reached = []  # the steps done (cancel is checked before the first step and twice a step)

    with pytest.raises(Cancelled):
        train(
            pieces,
            tmp_path / "b.pt",
            config=config,
            shape=TINY,
            device="cpu",
            progress=lambda p: reached.append(p.step),
            cancel=lambda: bool(reached) and reached[-1] >= 6,
        )
    assert load_checkpoint(tmp_path / "b.pt").metrics["step"] == 6  # cancel saved the work
    resumed = train(pieces, tmp_path / "b.pt", config=config, shape=TINY, device="cpu", resume=True)
    assert resumed.checkpoint.metrics["step"] == 12
    for key, value in straight.checkpoint.state_dict.items():
        assert torch.allclose(value, resumed.checkpoint.state_dict[key], atol=1e-5), key


def test_bpc_matches_the_definition():
    ckpt = random_checkpoint(dim=32, depth=1, seed=4, scale_jitter=0.3)
    text = "( o.o )\n > ^ <\n /\\_/\\"
    ids = torch.tensor([ckpt.vocab.encode(text)])
    with torch.no_grad():
        logp = ckpt.build_model()(ids).log_softmax(-1)[0]
    expected = -sum(logp[i, ids[0, i + 1]].item() for i in range(len(text) - 1)) / (len(text) - 1) / math.log(2)
    result = evaluate(ckpt, heldout_from_text(text, "t"), context=64, device="cpu")
    assert result.chars == len(text) - 1
    assert result.bpc == pytest.approx(expected, abs=1e-4)
    long = evaluate(ckpt, heldout_from_text(text * 5, "t"), context=16, stride=5, device="cpu")
    assert long.chars == len(text) * 5 - 1


def test_enwik8_split_arithmetic():
    total = 100_000_000
    assert enwik8_slice(total, "test") == (total - ENWIK8_SPLIT_BYTES, total)
    assert enwik8_slice(total, "val") == (total - 2 * ENWIK8_SPLIT_BYTES, total - ENWIK8_SPLIT_BYTES)
    assert enwik8_slice(total, "train") == (0, 90_000_000)


def test_unknown_chars_are_counted_or_skipped():
    ckpt = random_checkpoint(dim=32, depth=1)
    with pytest.raises(StudioError, match="2 chars"):
        evaluate(ckpt, heldout_from_text("ab€cd€", "t"), context=16, device="cpu")
    assert (
        evaluate(ckpt, heldout_from_text("ab€cd€", "t"), context=16, device="cpu", skip_unknown=True).skipped_chars == 2
    )


def test_cli_eval_and_train_bad_input_exit_2(tiny_run, tmp_path, capsys):
    _, out, _, _ = tiny_run
    text = tmp_path / "t.txt"
    text.write_text("( o.o )\n")
    assert main(["eval", str(out), "--text", str(text), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["chars"] == 7
    assert main(["eval", str(out), "--text", str(tmp_path / "missing.txt")]) == 2
    assert main(["train", "--corpus", "nope", "-o", str(tmp_path / "x.pt")]) == 2
    assert "neither a known corpus" in capsys.readouterr().err


def test_a_cancel_before_the_first_step_saves_nothing_and_one_mid_step_keeps_the_last_whole_step(tmp_path):
    pieces = build_corpus(("Cats",), per_class=10)
    config = TrainConfig(steps=12, batch_size=4, context=32, checkpoint_every=0, warmup=2)
    with pytest.raises(Cancelled, match="before the first step"):
        train(pieces, tmp_path / "a.pt", config=config, shape=TINY, device="cpu", cancel=lambda: True)
    assert not (tmp_path / "a.pt").exists()
    # checks: 2 before training, then 2 a step (before it, and between its forward and backward)
    calls = []

    def stop_in_step_three() -> bool:
        calls.append(1)
        return len(calls) == 2 + 2 * 2 + 2  # the check between step 3's forward and backward

    with pytest.raises(Cancelled, match="saved step 2"):
        train(pieces, tmp_path / "b.pt", config=config, shape=TINY, device="cpu", cancel=stop_in_step_three)
    assert load_checkpoint(tmp_path / "b.pt").metrics["step"] == 2
