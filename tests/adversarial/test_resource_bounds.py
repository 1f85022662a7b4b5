"""Hostile sizes cost seconds and megabytes, not minutes and gigabytes (issue 12)."""

import os

import pytest

from hostile import run_cli, save_payload, save_tiny, with_config, zip_bomb


@pytest.mark.parametrize(
    "field, value",
    [
        ("depth", 10**4),
        ("heads", 10**6),
        ("dim", 10**6),
        ("num_tokens", 10**9),
        ("dim_head", 10**6),
        ("ff_expand_factor", 1e7),
        ("depth", 10**30),
    ],
)
def test_huge_config_is_refused_before_building(tmp_path, field, value):
    bad = save_payload(tmp_path / "huge.pt", with_config(**{field: value}))
    run = run_cli("info", bad, cwd=tmp_path)
    assert run.code == 2, run.err
    assert run.one_sentence and field in run.err and "huge.pt" in run.err
    assert run.peak_rss_mb < 1500  # the limit in the child is 3 GiB; before: 8-10 GB or MemoryError


def test_config_bigger_than_the_weights_is_refused(tmp_path):
    # Every field within its limit, but together far more than the file's weights.
    bad = save_payload(tmp_path / "big.pt", with_config(dim=4096, depth=64, heads=16, dim_head=256))
    run = run_cli("info", bad, cwd=tmp_path)
    assert run.code == 2 and run.one_sentence and "parameters" in run.err, run.err


@pytest.mark.parametrize("command", ["info", "eval-text"])
def test_fifo_and_device_are_refused_not_read(tmp_path, good_ckpt, command):
    fifo = tmp_path / "pipe.pt"
    os.mkfifo(fifo)
    for target in (fifo, "/dev/zero"):
        argv = ["info", target] if command == "info" else ["eval", good_ckpt, "--text", target]
        run = run_cli(*argv, cwd=tmp_path, timeout=60)
        assert run.code == 2, run.err
        assert run.one_sentence and "not a regular file" in run.err


def test_file_over_the_size_cap_is_refused_from_stat(tmp_path):
    big = tmp_path / "sparse.pt"
    with open(big, "wb") as handle:  # sparse: 64 MB on paper, nothing on disk
        handle.truncate(64 << 20)
    run = run_cli("info", big, cwd=tmp_path, env={"DARWASCII_MAX_FILE_MB": "16"})
    assert run.code == 2 and run.one_sentence and "limit" in run.err and "DARWASCII_MAX_FILE_MB" in run.err


def test_zip_bomb_is_refused_from_the_zip_directory(tmp_path):
    bomb = zip_bomb(tmp_path / "bomb.pt", unpacked_mb=300)
    assert bomb.stat().st_size < 2 << 20
    run = run_cli("info", bomb, cwd=tmp_path)
    assert run.code == 2 and run.one_sentence and "unpacks to" in run.err, run.err


def test_library_import_file_refuses_fifo_and_big_files(tmp_path, monkeypatch):
    from studio.errors import CheckpointError
    from studio.library import Library

    fifo = tmp_path / "pipe.pt"
    os.mkfifo(fifo)
    big = tmp_path / "big.pt"
    with open(big, "wb") as handle:
        handle.truncate(8 << 20)
    monkeypatch.setenv("DARWASCII_MAX_FILE_MB", "4")
    with Library(":memory:") as library:
        with pytest.raises(CheckpointError, match="not a regular file"):
            library.import_file(fifo)
        with pytest.raises(CheckpointError, match="limit"):
            library.import_file(big)


def test_library_folder_import_skips_and_reports_bad_files(tmp_path, monkeypatch):
    from studio.library import Library

    folder = tmp_path / "family"
    save_tiny(folder / "good" / "model.pt")
    save_payload(folder / "huge.pt", with_config(depth=10**4))
    zip_bomb(folder / "bomb.pt", unpacked_mb=64)
    big = folder / "big.pt"
    with open(big, "wb") as handle:
        handle.truncate(8 << 20)
    monkeypatch.setenv("DARWASCII_MAX_FILE_MB", "4")
    with Library(":memory:") as library:
        report = library.import_folder(folder)
    assert len(report.added) == 1
    failed = dict(report.failed)
    assert set(failed) == {str(folder / n) for n in ("huge.pt", "bomb.pt", "big.pt")}
    assert all(len(message.splitlines()) == 1 for message in failed.values())
