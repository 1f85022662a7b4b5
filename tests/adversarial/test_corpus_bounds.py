"""Corpora and texts are read within bounds that hold however the file was made
(issue 22, item 3): parquet is measured before it is decoded, huge or sparse text is
never read whole."""

import json

import pytest

from hostile import one_sentence, parquet_bomb, run_cli, run_main


def test_a_kilobyte_parquet_that_decodes_to_gigabytes(tmp_path):
    bomb = parquet_bomb(tmp_path / "bomb.parquet", rows=1000, chars=1_600_000)
    assert bomb.stat().st_size < 4096
    run = run_cli("corpus", "import", bomb, "-o", tmp_path / "out.jsonl", cwd=tmp_path)
    assert run.code == 2 and run.one_sentence and "bomb.parquet" in run.err, run.err
    assert run.peak_rss_mb < 500, run.peak_rss_mb  # before: 5 GB and 100 s, then it "imported 1000 pieces"


def test_a_parquet_of_many_rows_each_short_enough_is_bounded_in_total(tmp_path):
    bomb = parquet_bomb(tmp_path / "many.parquet", rows=5000, chars=60_000)  # 300 MB decoded
    run = run_cli(
        "corpus", "import", bomb, "-o", tmp_path / "out.jsonl", cwd=tmp_path, env={"DARWASCII_MAX_TEXT_MB": "64"}
    )
    assert run.code == 2 and run.one_sentence and "DARWASCII_MAX_TEXT_MB" in run.err, run.err
    assert run.peak_rss_mb < 600, run.peak_rss_mb


def test_a_good_parquet_still_imports(tmp_path, capsys):
    good = parquet_bomb(tmp_path / "good.parquet", rows=20, chars=40)
    code, out, err = run_main(capsys, "corpus", "import", good, "-o", tmp_path / "out.jsonl", "--json")
    assert code == 0, err
    assert json.loads(out)["pieces"] == 20


@pytest.mark.parametrize(
    "argv", [["corpus", "import", "{f}.jsonl", "-o", "{tmp}/o.jsonl"], ["eval", "{ckpt}", "--text", "{f}.txt"]]
)
def test_a_sparse_file_is_refused_without_being_read(tmp_path, good_ckpt, argv):
    for suffix in (".jsonl", ".txt"):
        with open(tmp_path / f"sparse{suffix}", "wb") as handle:
            handle.truncate(1500 << 20)  # 1.5 GB on paper, nothing on disk
    argv = [a.format(f=tmp_path / "sparse", tmp=tmp_path, ckpt=good_ckpt) for a in argv]
    run = run_cli(*argv, cwd=tmp_path)
    assert run.code == 2 and run.one_sentence and "sparse" in run.err, run.err
    assert run.peak_rss_mb < 500, run.peak_rss_mb  # before: read whole (1.5 GB+), or MemoryError


@pytest.mark.parametrize("suffix", [".jsonl", ".txt"])
def test_nul_bytes_end_the_read(tmp_path, capsys, good_ckpt, suffix):
    bad = tmp_path / f"holey{suffix}"
    with open(bad, "wb") as handle:
        handle.write(json.dumps({"label": "Cats", "art": "=^.^="}).encode() + b"\n")
        handle.truncate(64 << 20)  # a hole after one good line
    argv = (
        ["corpus", "import", bad, "-o", tmp_path / "o.jsonl"]
        if suffix == ".jsonl"
        else ["eval", good_ckpt, "--text", bad]
    )
    code, out, err = run_main(capsys, *argv)
    assert code == 2 and one_sentence(err) and "NUL" in err, err


def test_a_line_longer_than_any_piece_is_skipped_unread(tmp_path, capsys):
    corpus = tmp_path / "c.jsonl"
    with open(corpus, "w") as handle:
        handle.write(json.dumps({"label": "Cats", "art": "=^.^="}) + "\n")
        handle.write('{"label": "Cats", "art": "' + "x" * (20 << 20) + '"}\n')  # one 20 MB line
        handle.write(json.dumps({"label": "Fish", "art": "><>"}) + "\n")
    code, out, err = run_main(capsys, "corpus", "import", corpus, "-o", tmp_path / "o.jsonl", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["pieces"] == 2 and summary["skipped"] == 1 and "more than" in summary["problems"][0]
