"""Every count a person types has an upper bound, stated in its help (issue 22, item 4).

Before, ``sample -n 100000000`` and ``scan --points 100000000`` ran until killed,
``eval --context 100000000`` and a seed past 64 bits went on or failed with exit 1.
"""

import pytest

from hostile import one_sentence, run_main

BIG = "100000000"
SEED_2_70 = str(2**70)


@pytest.fixture
def text(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("=^.^= cats and fish ><> " * 40)
    return path


@pytest.mark.parametrize(
    "argv, option",
    [
        (["sample", "{a}", "-n", BIG, "--max-chars", "2"], "-n"),
        (["sample", "{a}", "--max-chars", BIG], "--max-chars"),
        (["sample", "{a}", "-n", "1024", "--max-chars", "20000"], "cache"),  # each within bounds, not together
        (["scan", "{a}", "{b}", "--text", "{text}", "--points", BIG], "--points"),
        (["align", "{a}", "{b}", "--max-sweeps", BIG, "-o", "{tmp}/x.pt"], "--max-sweeps"),
        (["darwin", "{a}", "{b}", "--text", "{text}", "--population", BIG, "-o", "{tmp}/d"], "--population"),
        (["darwin", "{a}", "{b}", "--text", "{text}", "--generations", BIG, "-o", "{tmp}/d"], "--generations"),
        (["darwin", "{a}", "{b}", "--text", "{text}", "--seed", SEED_2_70, "-o", "{tmp}/d"], "--seed"),
        (["corpus", "build", "builtin", "--per-class", BIG, "-o", "{tmp}/c.jsonl"], "--per-class"),
        (["corpus", "build", "builtin", "--seed", SEED_2_70, "-o", "{tmp}/c.jsonl"], "--seed"),
        (["eval", "{a}", "--text", "{text}", "--context", BIG], "--context"),
        (["eval", "{a}", "--corpus", "builtin", "--data-seed", SEED_2_70], "--data-seed"),
        (["eval", "{a}", "--corpus", "builtin", "--chars-per-class", str(10**12)], "--chars-per-class"),
        (["train", "--corpus", "builtin", "--context", BIG, "-o", "{tmp}/t.pt"], "--context"),
        (
            ["train", "--corpus", "builtin", "--batch-size", "4096", "--context", "4096", "-o", "{tmp}/t.pt"],
            "batch size",
        ),
        (["train", "--corpus", "builtin", "--seed", SEED_2_70, "--steps", "1", "-o", "{tmp}/t.pt"], "--seed"),
    ],
)
def test_counts_beyond_their_limit_are_one_sentence(tmp_path, capsys, good_ckpt, text, argv, option):
    from hostile import save_tiny

    b = save_tiny(tmp_path / "b.pt", seed=2)
    argv = [str(x).format(a=good_ckpt, b=b, text=text, tmp=tmp_path) for x in argv]
    code, out, err = run_main(capsys, *argv)
    assert code == 2 and one_sentence(err) and option in err, err
    assert not (tmp_path / "t.pt").exists() and not (tmp_path / "c.jsonl").exists()


@pytest.mark.parametrize(
    "command, option, limit",
    [
        (["sample"], "--max-chars", "20,000"),
        (["sample"], "--count", "1,024"),
        (["scan"], "--points", "101"),
        (["darwin"], "--population", "256"),
        (["corpus", "build"], "--per-class", "10,000"),
        (["eval"], "--context", "4,096"),
        (["train"], "--batch-size", "262,144"),
    ],
)
def test_each_limit_is_stated_in_the_help(capsys, command, option, limit):
    with pytest.raises(SystemExit):
        run_main(capsys, *command, "--help")
    out, _ = capsys.readouterr()
    flat = " ".join(out.split()).split("options:", 1)[1]  # the option's own entry, not the usage line
    at = flat.index(option)
    assert limit in flat[at : at + 400], flat[at : at + 400]


def test_a_label_is_bounded_because_it_is_every_pieces_prompt(capsys, good_ckpt):
    """Found in the fresh pass: the label is the prompt of every piece, so its length is
    KV cache too; a megabyte label passed every count check."""
    code, out, err = run_main(capsys, "sample", good_ckpt, "--label", "x" * 5000, "-n", "1", "--max-chars", "3")
    assert code == 2 and one_sentence(err) and "label" in err, err
