"""Names, labels and art from files cannot drive the terminal (issue 12)."""

from hostile import run_main
from hostile import run_cli, save_tiny, tiny

ESC_NAME = "evil\x1b]0;pwned\x07\x1b[2J\x1b]52;c;aGk=\x07\x9b"


def test_info_escapes_control_characters(tmp_path):
    from studio.model.checkpoint import save_checkpoint

    ckpt = tiny()
    ckpt.name = ESC_NAME
    ckpt.labels = ["Cats\x1b[31m", "Fish"]
    path = save_checkpoint(ckpt, tmp_path / "x.pt")
    run = run_cli("info", path, cwd=tmp_path)
    assert run.code == 0, run.err
    assert "\x1b" not in run.out and "\x07" not in run.out and "\x9b" not in run.out
    assert "evil\\x1b]0;pwned\\x07" in run.out and "Cats\\x1b[31m" in run.out


def test_error_messages_escape_the_file_name(tmp_path, capsys):
    bad = tmp_path / "a\x1b[2Jb.pt"
    bad.write_bytes(b"\0" * 10)
    code, out, err = run_main(capsys, "info", bad)
    assert code == 2 and "\x1b" not in err and "a\\x1b[2Jb.pt" in err


def test_sample_output_is_escaped_and_keeps_newlines(tmp_path, capsys, monkeypatch):
    import studio.model.commands as commands
    from studio.model.art import Art

    path = save_tiny(tmp_path / "x.pt")

    def fake_gallery(engine, vocab, framing, settings, on_char=None):
        return [
            Art(index=0, label=settings.label, seed=0, text="/\\_/\\\n\x1b]52;c;aGk=\x07( o.o )\x03", complete=True)
        ]

    monkeypatch.setattr(commands, "sample_gallery", fake_gallery)
    code, out, err = run_main(capsys, "sample", path, "-n", "1", "--label", "Cats")
    assert code == 0, err
    assert "\x1b" not in out and "\x07" not in out and "\x03" not in out
    assert "/\\_/\\\n\\x1b]52;c;aGk=\\x07( o.o )\\x03" in out


def test_terminal_safe_handles_lone_surrogates_and_c1():
    from studio.cliutil import terminal_safe

    assert terminal_safe("a\ud800b\x85c\n") == "a\\ud800b\\x85c\n"
    assert terminal_safe("a\nb", keep_newlines=False) == "a\\nb"


def test_darwin_experiment_takes_trust():
    from studio.cli import build_parser

    args = build_parser().parse_args(["darwin-experiment", "--trust"])
    assert args.trust is True
