"""Resume pins the data and alphabet; a cancel during validation saves first (issue 22,
item 6); a wrong-shaped optimizer state is one sentence (item 8)."""

import json

import pytest
import torch

from hostile import one_sentence, run_main

SHAPE = [
    "--dim",
    "16",
    "--depth",
    "1",
    "--heads",
    "1",
    "--dim-head",
    "8",
    "--context",
    "16",
    "--batch-size",
    "2",
    "--device",
    "cpu",
    "--json",
]


def _corpus(path, alphabet):
    """60 pieces whose art uses exactly ``alphabet`` (so two corpora can have as many chars)."""
    rows = []
    for i in range(60):
        art = "".join(alphabet[(i + k) % len(alphabet)] for k in range(30))
        rows.append({"label": ["Cats", "Fish"][i % 2], "art": art[:15] + "\n" + art[15:]})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def train(capsys, corpus, out, steps, *extra):
    return run_main(capsys, "train", "--corpus", corpus, "-o", out, "--steps", steps, *SHAPE, *extra)


def test_resume_on_another_corpus_with_as_many_chars_is_refused(tmp_path, capsys):
    first = _corpus(tmp_path / "first.jsonl", "abcdefghij /\\")
    other = _corpus(tmp_path / "other.jsonl", "klmnopqrst /\\")  # as many chars, other ones
    out = tmp_path / "m.pt"
    code, _, err = train(capsys, first, out, 2)
    assert code == 0, err
    before = out.read_bytes()
    code, _, err = train(capsys, other, out, 4, "--resume")
    assert code == 2 and one_sentence(err) and "m.pt" in err and "corpus" in err, err
    assert out.read_bytes() == before
    code, _, err = train(capsys, first, out, 4, "--resume")  # the same corpus still resumes
    assert code == 0, err


def test_an_old_state_without_the_corpus_still_checks_the_alphabet(tmp_path, capsys):
    first = _corpus(tmp_path / "first.jsonl", "abcdefghij /\\")
    other = _corpus(tmp_path / "other.jsonl", "klmnopqrst /\\")
    out = tmp_path / "m.pt"
    code, _, err = train(capsys, first, out, 2)
    assert code == 0, err
    from studio.model.checkpoint import load_checkpoint, save_checkpoint

    state_file = tmp_path / "m.pt.state"
    ckpt = load_checkpoint(out)
    ckpt.extra.pop("recipe", None)  # a checkpoint and sidecar from before the corpus was pinned
    save_checkpoint(ckpt, out)
    state = torch.load(state_file, weights_only=True)
    for key in ("corpus_sha256", "vocab", "framing", "checkpoint_sha256"):
        state.pop(key, None)
    torch.save(state, state_file)
    code, _, err = train(capsys, other, out, 4, "--resume")
    assert code == 2 and one_sentence(err) and "alphabet" in err, err


def test_cancel_during_the_final_validation_saves_the_steps(tmp_path):
    from studio.errors import Cancelled
    from studio.model.checkpoint import load_checkpoint
    from studio.train.corpus import Piece
    from studio.train.heldout import stratified
    from studio.train.training import ModelShape, TrainConfig, train as train_run

    pieces = [Piece(["Cats", "Fish"][i % 2], f"/\\_/\\ {i}\n( o.o ) {'~' * (i % 7)}") for i in range(60)]
    heldout = stratified(pieces, name="test", split="val", framing="conditional")
    config = TrainConfig(steps=3, batch_size=2, context=16, checkpoint_every=0, eval_every=0)
    calls = []

    def cancel() -> bool:  # polled twice before training and twice a step; the next poll is in the final validation
        calls.append(1)
        return len(calls) > 2 + 2 * config.steps

    out = tmp_path / "m.pt"
    with pytest.raises(Cancelled, match="saved step 3"):
        train_run(
            pieces, out, config=config, shape=ModelShape(16, 1, 1, 8), heldout=heldout, device="cpu", cancel=cancel
        )
    assert load_checkpoint(out).metrics["step"] == 3  # before: nothing was saved


def test_a_wrong_shaped_optimizer_state_is_one_sentence(tmp_path, capsys):
    corpus = _corpus(tmp_path / "c.jsonl", "abcdefghij /\\")
    out = tmp_path / "m.pt"
    code, _, err = train(capsys, corpus, out, 2)
    assert code == 0, err
    state_file = tmp_path / "m.pt.state"
    state = torch.load(state_file, weights_only=True)
    for moments in state["optimizer"]["state"].values():
        moments["exp_avg"] = torch.zeros(3, 5)
    torch.save(state, state_file)
    code, _, err = train(capsys, corpus, out, 4, "--resume")
    assert code == 2 and one_sentence(err) and "m.pt.state" in err, err


@pytest.mark.parametrize("offset", [0, 64, 5000, 40000])
def test_a_disk_that_fills_at_any_offset_is_one_sentence(tmp_path, capsys, monkeypatch, good_ckpt, offset):
    import errno
    import os

    import studio.fsutil as fsutil

    real_fdopen = os.fdopen

    def filling_fdopen(fd, *args, **kwargs):
        handle = real_fdopen(fd, *args, **kwargs)
        write, written = handle.write, [0]

        def write_until_full(data):
            if written[0] + len(data) > offset:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            written[0] += len(data)
            return write(data)

        handle.write = write_until_full
        return handle

    monkeypatch.setattr(fsutil.os, "fdopen", filling_fdopen)
    child = tmp_path / "child.pt"
    code, out, err = run_main(capsys, "breed", good_ckpt, good_ckpt, "-o", child, "--force")
    assert code == 2 and one_sentence(err) and "disk is full" in err, err  # before: "unexpected pos", exit 1
    assert not child.exists() and list(tmp_path.iterdir()) == []
