"""Every command prints user-supplied strings through one escaping path (issue 22, item 9).

File names, checkpoint names and labels may hold ESC sequences and bidi overrides
(U+202E); none of them may reach the terminal raw, whichever command prints them.
"""

import json

import pytest

from hostile import run_main, save_tiny

EVIL = "x\x1b]0;owned\x07\x1b[2J\u202etxt.exe"
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
]


def _raw(text: str) -> list[str]:
    return [c for c in ("\x1b", "\x07", "\u202e") if c in text]


@pytest.fixture
def files(tmp_path):
    a = save_tiny(tmp_path / f"a{EVIL}.pt", seed=1)
    b = save_tiny(tmp_path / f"b{EVIL}.pt", seed=2)
    text = tmp_path / f"t{EVIL}.txt"
    text.write_text("=^.^= cats and fish ><> " * 40)
    corpus = tmp_path / f"c{EVIL}.jsonl"
    rows = [{"label": ["Cats", "Fish"][i % 2], "art": f"/\\_/\\ {i}\n( o.o )"} for i in range(40)]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows) + "not json\n")
    return {"a": a, "b": b, "text": text, "corpus": corpus, "out": tmp_path / f"o{EVIL}"}


@pytest.mark.parametrize(
    "command",
    ["breed", "align", "sample-note", "corpus-import", "eval", "scan", "train", "darwin", "info-error"],
)
def test_no_command_prints_escapes_raw(tmp_path, capsys, files, command):
    a, b, text, corpus, out = files["a"], files["b"], files["text"], files["corpus"], files["out"]
    argv = {
        "breed": ["breed", a, b, "-o", f"{out}.pt"],
        "align": ["align", a, b, "-o", f"{out}.pt"],
        "sample-note": ["sample", a, "--label", "Dogs", "-n", "1", "--max-chars", "3"],
        "corpus-import": ["corpus", "import", corpus, "-o", f"{out}.jsonl"],
        "eval": ["eval", a, "--text", text],
        "scan": ["scan", a, b, "--text", text, "--points", "3"],
        "train": ["train", "--corpus", corpus, "--steps", "1", "-o", f"{out}.pt", *SHAPE],
        "darwin": ["darwin", a, b, "--text", text, "--population", "2", "--generations", "1", "--no-racing", "-o", out],
        "info-error": ["info", tmp_path / f"missing{EVIL}.pt"],
    }[command]
    code, stdout, stderr = run_main(capsys, *argv)
    assert code in (0, 2), stderr
    assert not _raw(stdout) and not _raw(stderr), (stdout, stderr)
    assert "\\x1b" in stdout + stderr and "\\u202e" in stdout + stderr  # shown, escaped


def test_json_output_stays_json_and_keeps_the_name(tmp_path, capsys, files):
    code, stdout, stderr = run_main(capsys, "breed", files["a"], files["b"], "-o", f"{files['out']}.pt", "--json")
    assert code == 0, stderr
    assert not _raw(stdout)
    assert json.loads(stdout)["child"] == f"{files['out']}.pt"


def test_terminal_safe_escapes_bidi_controls():
    from studio.cliutil import terminal_safe

    assert terminal_safe("a\u202eb\u2066c\u200fd") == "a\\u202eb\\u2066c\\u200fd"


def test_argparse_errors_go_through_the_same_path(capsys):
    with pytest.raises(SystemExit) as stopped:
        run_main(capsys, "breed", "a.pt", "b.pt", "-o", "c.pt", "--method", f"m{EVIL}")
    assert stopped.value.code == 2
    _, err = capsys.readouterr()
    assert not _raw(err) and "\\u202e" in err
