"""The command line reads right (issue 13): one sentence for a mistyped method, mixed
framings named and explained, an unknown label lists the labels, plurals, lineage."""

import pytest

from studio.cli import main
from studio.model.checkpoint import save_checkpoint
from studio.model.synthetic import random_checkpoint

SHAPE = dict(dim=32, depth=1, heads=2, dim_head=16)


@pytest.fixture
def pair(tmp_path):
    paths = []
    for name, seed, framing in (("styleA", 1, "conditional"), ("styleB", 2, "unconditional")):
        ckpt = random_checkpoint(**SHAPE, seed=seed)
        ckpt.name, ckpt.framing, ckpt.labels = name, framing, ["Cats", "Fish"] if framing == "conditional" else []
        paths.append(str(save_checkpoint(ckpt, tmp_path / name / "model.pt")))
    return paths


def test_a_mistyped_method_is_one_sentence_naming_the_choices(pair, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["breed", *pair, "-m", "slerpx", "-o", str(tmp_path / "c.pt")])
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert "'slerpx' is not a merge method; choose slerp" in last and "invalid choice" not in last


def test_conditional_x_unconditional_says_what_it_did(pair, tmp_path, capsys):
    assert main(["breed", *pair, "-o", str(tmp_path / "c.pt")]) == 0
    out = capsys.readouterr().out
    assert "styleA_x_styleB_slerp_mixed-framing" in out
    assert "the child is conditional like A" in out


def test_an_unknown_label_lists_the_labels_and_one_piece_is_singular(pair, capsys):
    assert main(["sample", pair[0], "--label", "Dogs\u00e9\u00e9", "-n", "1", "--max-chars", "5"]) != 0
    assert "its labels are Cats, Fish" in capsys.readouterr().err
    assert main(["sample", pair[0], "--label", "Cats", "-n", "1", "--max-chars", "5"]) == 0
    assert "-- 1 piece (" in capsys.readouterr().err


def test_lineage_without_a_date_has_no_empty_parentheses(pair, tmp_path, capsys):
    from studio.model.checkpoint import load_checkpoint

    child = tmp_path / "c.pt"
    assert main(["breed", *pair, "-o", str(child)]) == 0
    ckpt = load_checkpoint(child)
    ckpt.lineage = {**ckpt.lineage, "date": ""}
    save_checkpoint(ckpt, child)
    capsys.readouterr()
    assert main(["info", str(child)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.strip().startswith("lineage"))
    assert "()" not in line and "of styleA x styleB" in line


def test_every_train_option_has_help_with_its_default(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for flag, default in (
        ("--steps", "default 1000"),
        ("--lr", "default 0.002"),
        ("--dim", "default 128"),
        ("--checkpoint-every", "default 250"),
        ("--framing", "default conditional"),
    ):
        assert flag in text and default in text


def test_progress_piped_to_a_log_is_a_plain_line_a_minute(capsys, monkeypatch):
    """A long run logged to a file says how far it is (a line a minute, no escapes); a
    short one writes nothing; --json writes nothing."""
    from studio import cliutil

    clock = [1000.0]
    monkeypatch.setattr(cliutil.time, "monotonic", lambda: clock[0])
    show = cliutil.progress_printer(True)  # capsys: stderr is not a terminal
    show("step 1/100")
    clock[0] += 30
    show("step 2/100")
    assert capsys.readouterr().err == ""
    clock[0] += 31
    show("step 40/100 \x1b[31mred\x1b[0m")
    err = capsys.readouterr().err
    assert err.startswith("step 40/100") and err.endswith("\n") and "\x1b" not in err and "\r" not in err
    clock[0] += 10
    show("step 41/100")
    assert capsys.readouterr().err == ""
    silent = cliutil.progress_printer(False)
    clock[0] += 600
    silent("step 99/100")
    assert capsys.readouterr().err == ""
