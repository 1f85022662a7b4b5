"""Every mistake is one sentence naming the file, exit status 2 (issue 12)."""

import errno
import json
import os
import sqlite3
import subprocess
import sys

import pytest
import torch

from hostile import one_sentence, run_main
from hostile import REPO, deep_labels_checkpoint, run_cli, save_payload, torch_zip, with_config

# pickles of allow-listed constructors called with bad arguments, and a 200,000-deep list
_BAD_CONSTRUCTORS = {
    "np_dtype.pt": b"\x80\x02cnumpy\ndtype\nK\x05\x85R.",
    "torch_size.pt": b"\x80\x02ctorch\nSize\nX\x03\x00\x00\x00abc\x85\x85R.",
    "ordered_dict.pt": b"\x80\x02ccollections\nOrderedDict\nK\x05\x85R.",
}


@pytest.mark.parametrize("name", sorted(_BAD_CONSTRUCTORS) + ["deep_list.pt"])
def test_bad_pickles_are_one_sentence(tmp_path, capsys, name):
    if name == "deep_list.pt":
        bad = deep_labels_checkpoint(tmp_path / name)
    else:
        bad = torch_zip(tmp_path / name, _BAD_CONSTRUCTORS[name])
    code, out, err = run_main(capsys, "info", bad)
    assert code == 2 and one_sentence(err) and name in err, err


def _set(key, value):
    def edit(payload):
        payload[key] = value

    return edit


def _lineage_parents_string(payload):
    payload["lineage"] = {"parents": "mum", "method": "slerp"}


def _int_keys(payload):
    payload["model"] = {i: v for i, v in enumerate(payload["model"].values())}


def _meta(payload):
    payload["model"] = {k: torch.empty(v.shape, device="meta") for k, v in payload["model"].items()}


def _surrogate(payload):
    itos = dict(payload["itos"])
    itos[5] = "\ud800"
    payload["itos"] = itos
    payload.pop("stoi", None)


def _deep_metrics(payload):
    deep = {}
    for _ in range(100):
        deep = {"x": deep}
    payload["metrics"] = deep


@pytest.mark.parametrize(
    "name, edit, fragment",
    [
        ("config_extra.pt", _set("config_extra", 5), "config_extra"),
        ("metrics.pt", _set("metrics", 5), "metrics"),
        ("deep_metrics.pt", _deep_metrics, "nested"),
        ("lineage.pt", _lineage_parents_string, "lineage"),
        ("num_tokens.pt", with_config(num_tokens="abc"), "num_tokens"),
        ("dim0.pt", with_config(dim=0), "dim"),
        ("depth.pt", with_config(depth=-3), "depth"),
        ("bool.pt", with_config(causal="yes"), "causal"),
        ("intkeys.pt", _int_keys, "not text"),
        ("meta.pt", _meta, "holds no data"),
        ("surrogate.pt", _surrogate, "Unicode"),
        ("labels.pt", _set("labels", [1, 2]), "labels"),
    ],
)
def test_wrong_metadata_is_one_sentence(tmp_path, capsys, name, edit, fragment):
    bad = save_payload(tmp_path / name, edit)
    for command in ("info", "sample"):
        code, out, err = (
            run_main(capsys, command, bad, "-n", "1", "--max-chars", "5")
            if command == "sample"
            else run_main(capsys, command, bad)
        )
        assert code == 2 and one_sentence(err), err
        assert name in err and fragment in err, err


def test_meta_tensors_on_sample_in_a_subprocess(tmp_path):
    bad = save_payload(tmp_path / "meta.pt", _meta)
    run = run_cli("sample", bad, "-n", "1", cwd=tmp_path)
    assert run.code == 2 and run.one_sentence, run.err


def test_blocklisted_global_needs_full_unpickling(tmp_path, capsys):
    payload = b"\x80\x02}(X\x06\x00\x00\x00configcposix\nsystem\nX\x04\x00\x00\x00true\x85RX\x05\x00\x00\x00model}u."
    bad = torch_zip(tmp_path / "system.pt", payload)
    code, out, err = run_main(capsys, "info", bad)
    assert code == 2 and one_sentence(err) and "needs full unpickling" in err and "--trust" in err


# -- options ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["sample", "{ckpt}", "--seed", "1180591620717411303424"], "seed"),
        (["sample", "{ckpt}", "--seed", "-1"], "seed"),
        (["train", "--corpus", "builtin", "--lr", "nan", "-o", "{tmp}/t.pt"], "learning rate"),
        (["train", "--corpus", "builtin", "--dim", "0", "-o", "{tmp}/t.pt"], "--dim"),
        (["train", "--corpus", "builtin", "--dim", "-8", "-o", "{tmp}/t.pt"], "--dim"),
        (["train", "--corpus", "builtin", "--depth", "0", "-o", "{tmp}/t.pt"], "--depth"),
        (["train", "--corpus", "builtin", "--heads", "0", "-o", "{tmp}/t.pt"], "--heads"),
        (["eval", "{ckpt}", "--text", "{tmp}"], "folder"),
        (["scan", "{ckpt}", "{ckpt}", "--text", "{tmp}"], "folder"),
    ],
)
def test_bad_options_are_one_sentence(tmp_path, capsys, good_ckpt, argv, fragment):
    argv = [a.format(ckpt=good_ckpt, tmp=tmp_path) for a in argv]
    code, out, err = run_main(capsys, *argv)
    assert code == 2 and one_sentence(err) and fragment in err, err
    assert not (tmp_path / "t.pt").exists()


# -- write-side failures ---------------------------------------------------------------


def test_output_path_that_is_a_folder(tmp_path, capsys, good_ckpt):
    folder = tmp_path / "out.txt"
    folder.mkdir()
    code, out, err = run_main(capsys, "sample", good_ckpt, "-n", "1", "--max-chars", "5", "--out", folder)
    assert code == 2 and one_sentence(err) and "is a folder" in err and str(folder) in err


@pytest.mark.parametrize(
    "where, error, fragment",
    [
        ("mkstemp", errno.EROFS, "read-only"),
        ("fsync", errno.ENOSPC, "disk is full"),
        ("mkstemp", errno.EACCES, "permission denied"),
    ],
)
def test_write_failures_are_one_sentence_and_keep_the_old_file(
    tmp_path, capsys, monkeypatch, good_ckpt, where, error, fragment
):
    import studio.fsutil as fsutil

    child = tmp_path / "child.pt"
    child.write_bytes(b"old")

    def fail(*args, **kwargs):
        raise OSError(error, os.strerror(error))

    if where == "mkstemp":
        monkeypatch.setattr(fsutil.tempfile, "mkstemp", fail)
    else:
        monkeypatch.setattr(fsutil.os, "fsync", fail)
    code, out, err = run_main(capsys, "breed", good_ckpt, good_ckpt, "-o", child, "--force")
    assert code == 2 and one_sentence(err) and fragment in err and str(child) in err, err
    assert child.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["child.pt"]  # no temp file left


# -- corpora: bad rows are skipped and counted -----------------------------------------


def test_bad_jsonl_rows_are_skipped_and_counted(tmp_path, capsys):
    rows = [
        json.dumps({"label": "Cats", "art": " /\\_/\\\n( o.o )"}),
        '{"label": "x", "art": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"label": "x", "art": "a", "n": ' + "9" * 5000 + "}",
        json.dumps({"label": "Cats", "art": "\x02sneaky\x04"}),
        json.dumps({"label": "\x03Cats", "art": "ok"}),
        json.dumps({"label": "Fish", "art": "><>"}),
    ]
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("\n".join(rows) + "\n")
    code, out, err = run_main(capsys, "corpus", "import", corpus, "-o", tmp_path / "out.jsonl", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["pieces"] == 2 and summary["skipped"] == 4
    assert sum("framing control" in p for p in summary["problems"]) == 2


def test_bad_corpus_folder_entries_are_skipped(tmp_path, capsys):
    root = tmp_path / "art"
    (root / "Cats").mkdir(parents=True)
    (root / "Cats" / "cat.txt").write_text(" /\\_/\\\n( o.o )\n")
    (root / "Cats" / "x.txt").mkdir()  # a directory named like a piece
    (root / "Cats" / "loop.txt").symlink_to(root / "Cats" / "loop.txt")  # a looping symlink
    os.mkfifo(root / "Cats" / "fifo.txt")
    (root / "Cats" / "framed.txt").write_text("\x02art\x04\n")
    code, out, err = run_main(capsys, "corpus", "import", root, "-o", tmp_path / "out.jsonl", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["pieces"] == 1 and summary["skipped"] == 4


# -- the app ---------------------------------------------------------------------------


def _newer_schema(path):
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 999")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("kind", ["truncated", "newer"])
def test_app_on_a_bad_library_says_what_to_do(tmp_path, kind):
    library = tmp_path / "library.db"
    if kind == "truncated":
        library.write_bytes(b"SQLite format 3\x00" + b"\x10\x00" + b"\x00" * 30)
    else:
        _newer_schema(library)
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [sys.executable, "-m", "studio.app.main", "--library", str(library), "--screenshot", str(tmp_path / "s.png")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "--library" in proc.stderr and str(library) in proc.stderr
