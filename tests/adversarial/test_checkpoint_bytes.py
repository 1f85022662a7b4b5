"""Checkpoints (issue 22, items 1-3 and 8): trust is in bytes, not paths; allow-listed
callables cannot amplify; sizes are checked against what the file holds before anything
is allocated or computed."""

import hashlib
import os

import pytest

from hostile import (
    amplifying_numpy_pickle,
    broadcast_weight,
    evil_checkpoint,
    float8_weights,
    legacy_numpy_metric_checkpoint,
    long_vocab_entry,
    needs_trust_checkpoint,
    none_named_parent,
    numpy_metric_checkpoint,
    numpy_scalar,
    one_sentence,
    run_cli,
    run_main,
    save_payload,
    zip_bomb,
)


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- 1. trust by hash, load from the hashed bytes ----------------------------------------


def test_trust_in_one_content_does_not_extend_to_other_bytes(tmp_path):
    from studio.errors import UntrustedCheckpointError
    from studio.model.checkpoint import load_checkpoint

    good = needs_trust_checkpoint(tmp_path / "good.pt")
    marker = tmp_path / "pwned"
    evil = evil_checkpoint(tmp_path / "evil.pt", marker)
    assert load_checkpoint(good, trust={_sha(good)}).sha256 == _sha(good)
    with pytest.raises(UntrustedCheckpointError) as refused:
        load_checkpoint(evil, trust={_sha(good)})
    assert not marker.exists()
    assert refused.value.sha256 == _sha(evil)  # what the user would be asked about


def test_app_load_trusts_the_bytes_it_hashed_not_the_path(tmp_path, monkeypatch):
    """The app hashed a trusted file, then opened the path again: a file renamed onto the
    path in between was fully unpickled. Here the swap happens right after any hashing."""
    import studio.fsutil as fsutil
    from studio.work import handlers, state
    from studio.errors import UntrustedCheckpointError

    path = needs_trust_checkpoint(tmp_path / "artist.pt")
    marker = tmp_path / "pwned"
    evil = evil_checkpoint(tmp_path / "evil.pt", marker)
    monkeypatch.setattr(state, "TRUSTED_SHA256", {_sha(path)})
    real_hash = fsutil.sha256_file

    def hash_then_swap(target, *args, **kwargs):
        digest = real_hash(target, *args, **kwargs)
        if evil.exists():
            os.replace(evil, path)  # the attacker's rename, between the hash and the load
        return digest

    monkeypatch.setattr(fsutil, "sha256_file", hash_then_swap)
    try:
        ckpt = handlers.load(str(path))
    except UntrustedCheckpointError:
        ckpt = None  # the swapped file refused: fine
    assert not marker.exists()
    assert ckpt is None or ckpt.sha256 in state.TRUSTED_SHA256  # or the trusted bytes loaded
    if evil.exists():
        os.replace(evil, path)
    with pytest.raises(UntrustedCheckpointError):  # the other bytes at the trusted path
        handlers.load(str(path))
    assert not marker.exists()


def test_library_import_trusts_only_the_bytes_the_user_was_asked_about(tmp_path):
    from studio.errors import UntrustedCheckpointError
    from studio.library import Library

    path = needs_trust_checkpoint(tmp_path / "artist.pt")
    with Library(":memory:") as library:
        report = library.import_folder(tmp_path)
        asked = report.trust_sha256[str(path.resolve())]
        assert asked == _sha(path)
        marker = tmp_path / "pwned"
        evil_checkpoint(tmp_path / "evil.bin", marker)
        os.replace(tmp_path / "evil.bin", path)  # swapped after the question
        with pytest.raises(UntrustedCheckpointError):
            library.import_file(path, trust={asked})
        assert not marker.exists()


# -- 2. allow-listed callables that amplify ----------------------------------------------


def test_numpy_scalar_of_a_nested_tuple_cannot_allocate_a_gigabyte(tmp_path):
    bad = amplifying_numpy_pickle(tmp_path / "amp.pt")  # 100**4 floats = 800 MB from ~1 KB
    assert bad.stat().st_size < 2000
    run = run_cli("info", bad, cwd=tmp_path)
    assert run.code == 2 and run.one_sentence and "amp.pt" in run.err, run.err
    assert run.peak_rss_mb < 500, run.peak_rss_mb  # before: 1,050 MB


@pytest.mark.parametrize("dtype_name, data", [("V8", b"12345678"), ("V1500000000", b"x"), ("U400000000", b"x")])
def test_numpy_values_that_are_not_plain_numbers_are_refused(tmp_path, capsys, dtype_name, data):
    bad = numpy_metric_checkpoint(tmp_path / "np.pt", numpy_scalar(dtype_name, data))
    code, out, err = run_main(capsys, "info", "--json", bad)
    assert code == 2 and one_sentence(err) and "np.pt" in err and "numpy" in err, err


@pytest.mark.parametrize("legacy", [False, True])
def test_numpy_numbers_in_metrics_still_load_as_numbers(tmp_path, capsys, legacy):
    import struct

    make = legacy_numpy_metric_checkpoint if legacy else numpy_metric_checkpoint
    ok = make(tmp_path / "ok.pt", numpy_scalar("f8", struct.pack("<d", 2.5)))
    code, out, err = run_main(capsys, "info", "--json", ok)
    assert code == 0, err
    assert '"loss": 2.5' in out


# -- 3. size checks that could be bypassed ------------------------------------------------


def test_zip_bomb_with_a_hidden_directory_is_measured_as_torch_reads_it(tmp_path):
    bomb = zip_bomb(tmp_path / "bomb.pt", unpacked_mb=600)
    with open(bomb, "ab") as handle:
        handle.write(b"PK\x05\x06")  # Python's zipfile no longer finds the end record; torch does
    run = run_cli("info", bomb, cwd=tmp_path)
    assert run.code == 2 and run.one_sentence and "unpacks to" in run.err, run.err
    assert run.peak_rss_mb < 500, run.peak_rss_mb  # before: 887 MB


def test_a_broadcast_view_is_refused_before_any_value_is_read(tmp_path):
    bad = save_payload(tmp_path / "view.pt", lambda p: broadcast_weight(p, 20_000, 20_000))
    run = run_cli("info", bad, cwd=tmp_path)
    assert run.code == 2 and run.one_sentence and "view.pt" in run.err, run.err
    assert run.peak_rss_mb < 500, run.peak_rss_mb  # before: a 400 MB-1.6 GB bool mask, or exit 1


def test_a_long_vocabulary_entry_is_refused(tmp_path, capsys):
    bad = save_payload(tmp_path / "vocab.pt", long_vocab_entry)
    for argv in (["info", bad], ["sample", bad, "-n", "1", "--max-chars", "5"]):
        code, out, err = run_main(capsys, *argv)
        assert code == 2 and one_sentence(err) and "vocab.pt" in err and "one char" in err, err


# -- 8. exit 1 instead of one sentence ----------------------------------------------------


def test_float8_weights_are_one_sentence(tmp_path, capsys):
    bad = save_payload(tmp_path / "f8.pt", float8_weights)
    code, out, err = run_main(capsys, "info", bad)
    assert code == 2 and one_sentence(err) and "float8" in err, err


def test_a_lineage_parent_without_a_name(tmp_path, capsys):
    path = save_payload(tmp_path / "child.pt", none_named_parent)
    code, out, err = run_main(capsys, "info", path)
    assert code == 0, err
    assert "lineage    slerp of ?" in out


@pytest.mark.parametrize("where", ["metrics", "extra"])
def test_a_huge_tensor_in_metadata_is_refused_before_it_is_shown(tmp_path, where):
    """Found in the fresh pass: ``info --json`` wrote metadata tensors with tolist(), so a
    stride-0 view in metrics became a 400-million-element list (7.6 GB, killed at 60 s)."""
    import torch

    view = torch.zeros(1).expand(20_000, 20_000)

    def edit(payload):
        if where == "metrics":
            payload["metrics"] = {"loss": view}
        else:
            payload["notes"] = view

    bad = save_payload(tmp_path / "meta.pt", edit)
    run = run_cli("info", "--json", bad, cwd=tmp_path)
    assert run.code == 2 and run.one_sentence and "metadata" in run.err, run.err
    assert run.peak_rss_mb < 500, run.peak_rss_mb
