"""Training never resumes from a torn pair; signals save; stale temp files go (issue 12)."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch

from hostile import one_sentence, run_main
from hostile import REPO, torch_zip

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


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "c.jsonl"
    rows = [
        {"label": ["Cats", "Fish"][i % 2], "art": f"/\\_/\\ {i}\n( o.o ) {'~' * (i % 7)}\n > ^ <"} for i in range(60)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def train(capsys, corpus, out, steps, *extra):
    return run_main(capsys, "train", "--corpus", corpus, "-o", out, "--steps", steps, *SHAPE, *extra)


def test_resume_refuses_a_torn_pair(tmp_path, capsys, corpus):
    out = tmp_path / "m.pt"
    state = tmp_path / "m.pt.state"
    code, _, err = train(capsys, corpus, out, 2, "--checkpoint-every", "0")
    assert code == 0, err
    shutil.copy(out, tmp_path / "ck2")
    shutil.copy(state, tmp_path / "st2")
    code, _, err = train(capsys, corpus, out, 4, "--resume")
    assert code == 0, err
    # checkpoint of step 4 with the state of step 2, and the other way round
    for ck, st in ((out, tmp_path / "st2"), (tmp_path / "ck2", state)):
        torn = tmp_path / "torn"
        torn.mkdir(exist_ok=True)
        shutil.copy(ck, torn / "m.pt")
        shutil.copy(st, torn / "m.pt.state")
        before = (torn / "m.pt").read_bytes()
        code, out_text, err = train(capsys, corpus, torn / "m.pt", 6, "--resume")
        assert code == 2 and one_sentence(err) and "not from the same save" in err, err
        assert (torn / "m.pt").read_bytes() == before


@pytest.mark.parametrize("kind", ["truncated", "hostile", "wrong-type"])
def test_bad_state_file_is_one_sentence(tmp_path, capsys, corpus, kind):
    out = tmp_path / "m.pt"
    code, _, err = train(capsys, corpus, out, 2)
    assert code == 0, err
    state = tmp_path / "m.pt.state"
    if kind == "truncated":
        data = state.read_bytes()
        state.write_bytes(data[: len(data) // 2])
    elif kind == "hostile":
        torch_zip(state, b"\x80\x02cposix\nsystem\nX\x04\x00\x00\x00true\x85R.")
    else:
        torch.save({"optimizer": 5, "step": "x"}, state)
    code, _, err = train(capsys, corpus, out, 4, "--resume")
    assert code == 2 and one_sentence(err) and "m.pt.state" in err, err


def test_stale_temp_files_of_the_target_are_removed(tmp_path, capsys, corpus):
    out = tmp_path / "m.pt"
    stale = [tmp_path / ".m.pt.state.k1ll3d.tmp", tmp_path / ".m.pt.abc123.tmp"]
    other = tmp_path / ".other.pt.abc123.tmp"
    for path in stale + [other]:
        path.write_bytes(b"half a file")
    code, _, err = train(capsys, corpus, out, 1)
    assert code == 0, err
    assert not any(p.exists() for p in stale)
    assert other.exists()  # another target's file is not ours to remove


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_saves_then_exits_130(tmp_path, corpus, signum):
    out = tmp_path / "m.pt"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "studio.cli",
            "train",
            "--corpus",
            str(corpus),
            "-o",
            str(out),
            "--steps",
            "1000000",
            "--checkpoint-every",
            "1",
            *SHAPE,
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # the first checkpoint (step 1) shows the loop runs, with the signal handlers in place
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not out.exists() and proc.poll() is None:
            time.sleep(0.1)
        assert out.exists(), "training did not start"
        proc.send_signal(signum)
        out_text, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert one_sentence(err) and "cancelled" in err and "saved step" in err, err
    from studio.fsutil import sha256_file
    from studio.model.checkpoint import load_checkpoint

    state = torch.load(tmp_path / "m.pt.state", weights_only=True)
    assert state["checkpoint_sha256"] == sha256_file(out)
    assert load_checkpoint(out).metrics["step"] == state["step"]
