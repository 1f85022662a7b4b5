"""Silent garbage is refused; outputs never replace inputs; modes follow the umask (issue 12)."""

import math
import os
import stat

import pytest

from hostile import one_sentence, run_main
from hostile import run_cli, save_payload, save_tiny, tiny


def _nan_weight(payload):
    key = next(k for k in payload["model"] if k.endswith("weight.original"))
    payload["model"][key] = payload["model"][key].clone()
    payload["model"][key][0, 0] = math.nan


def _inf_scale(payload):
    key = next(k for k in payload["model"] if k.endswith("scale"))
    payload["model"][key] = payload["model"][key].clone()
    payload["model"][key][0] = math.inf


@pytest.mark.parametrize("edit", [_nan_weight, _inf_scale])
def test_non_finite_weights_are_refused_on_load(tmp_path, capsys, edit):
    bad = save_payload(tmp_path / "nan.pt", edit)
    text = tmp_path / "t.txt"
    text.write_text("hello cats\n" * 20)
    for argv in (["sample", bad, "-n", "1", "--max-chars", "5"], ["eval", bad, "--text", text], ["info", bad]):
        code, out, err = run_main(capsys, *argv)
        assert code == 2 and one_sentence(err) and "NaN or infinite" in err and "nan.pt" in err, err
        assert out == ""


def test_a_non_finite_child_is_never_written(tmp_path):
    from studio.errors import CheckpointError
    from studio.model.checkpoint import save_checkpoint

    child = tiny()
    key = next(iter(child.state_dict))
    child.state_dict[key] = child.state_dict[key].clone().fill_(math.nan)
    with pytest.raises(CheckpointError, match="NaN or infinite"):
        save_checkpoint(child, tmp_path / "child.pt")
    assert not (tmp_path / "child.pt").exists()


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["sample", "{ckpt}", "-t", "nan"], "temperature"),
        (["sample", "{ckpt}", "-t", "inf"], "temperature"),
        (["train", "--corpus", "builtin", "--dim-head", "0", "-o", "{tmp}/t.pt"], "--dim-head"),
        (["train", "--corpus", "builtin", "--checkpoint-every", "-1", "-o", "{tmp}/t.pt"], "checkpoint every"),
        (["eval", "{ckpt}", "--corpus", "builtin", "--context", "0"], "--context"),
        (["eval", "{ckpt}", "--corpus", "builtin", "--stride", "0"], "--stride"),
        (["eval", "{ckpt}", "--corpus", "builtin", "--max-chars", "-1"], "--max-chars"),
        (["corpus", "build", "builtin", "--per-class", "0", "-o", "{tmp}/c.jsonl"], "--per-class"),
    ],
)
def test_garbage_options_are_refused(tmp_path, capsys, good_ckpt, argv, fragment):
    argv = [a.format(ckpt=good_ckpt, tmp=tmp_path) for a in argv]
    code, out, err = run_main(capsys, *argv)
    assert code == 2 and one_sentence(err) and fragment in err, err
    assert list(tmp_path.iterdir()) == []


# -- outputs onto inputs ---------------------------------------------------------------


def test_outputs_onto_inputs_are_refused_without_force(tmp_path):
    a = save_tiny(tmp_path / "a.pt", seed=1)
    b = save_tiny(tmp_path / "b.pt", seed=2)
    before = a.read_bytes()
    tries = [
        ["breed", a, b, "-o", a],
        ["breed", a, b, "-o", b],
        ["sample", a, "-n", "1", "--max-chars", "5", "--out", a],
        ["train", "--corpus", "builtin", "--from", a, "-o", a, "--steps", "1"],
    ]
    for argv in tries:
        run = run_cli(*argv, cwd=tmp_path)
        assert run.code == 2 and run.one_sentence and "--force" in run.err, (argv, run.err)
    assert a.read_bytes() == before


def test_force_allows_replacing_an_input(tmp_path, capsys):
    a = save_tiny(tmp_path / "a.pt", seed=1)
    b = save_tiny(tmp_path / "b.pt", seed=2)
    code, out, err = run_main(capsys, "breed", a, b, "-o", a, "--force")
    assert code == 0, err
    from studio.model.checkpoint import load_checkpoint

    assert load_checkpoint(a).lineage["method"] == "slerp"


# -- modes -----------------------------------------------------------------------------


def test_new_files_follow_the_umask_and_replaced_files_keep_their_mode(tmp_path):
    from studio.fsutil import atomic_write_text

    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "new.txt", "x")
        assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o644
        os.umask(0o077)
        atomic_write_text(tmp_path / "private.txt", "x")
        assert stat.S_IMODE((tmp_path / "private.txt").stat().st_mode) == 0o600
        os.umask(0o022)
        kept = tmp_path / "kept.txt"
        kept.write_text("old")
        os.chmod(kept, 0o640)
        atomic_write_text(kept, "new")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640 and kept.read_text() == "new"
    finally:
        os.umask(old)


def test_checkpoints_written_by_the_cli_are_0644(tmp_path):
    a = save_tiny(tmp_path / "a.pt", seed=1)
    b = save_tiny(tmp_path / "b.pt", seed=2)
    old = os.umask(0o022)
    try:
        run = run_cli("breed", a, b, "-o", tmp_path / "child.pt", cwd=tmp_path)
    finally:
        os.umask(old)
    assert run.code == 0, run.err
    assert stat.S_IMODE((tmp_path / "child.pt").stat().st_mode) == 0o644
