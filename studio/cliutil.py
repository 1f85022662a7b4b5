"""What every ``darwascii`` command shares: the one printing path, JSON output, progress,
the common options and their checks.

Command modules import this (never the dispatcher, ``studio.cli``):

* ``--json`` prints exactly one JSON object on stdout and nothing else there (``emit_json``);
* everything a command prints goes through one path, ``TerminalSafeStream``: names,
  labels, paths and art come from files anyone can write, so control characters and
  bidi overrides are shown escaped, whichever command prints them;
* a bad option value is one sentence (``StudioError``, exit status 2): ``bounded_int``,
  ``seed_type``, ``refuse_output_onto_input``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from studio.errors import StudioError

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE = 0, 1, 2


class Parser(argparse.ArgumentParser):
    """argparse that exits with status 2 and one clear line on a usage error."""

    def error(self, message: str) -> None:  # pragma: no cover - exercised via CLI tests
        self.print_usage(sys.stderr)
        print(f"darwascii: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def emit_json(obj: Any) -> None:
    """One JSON object on stdout; characters a terminal acts on are JSON \\u escapes
    (still the same JSON), so the object reads the same and cannot drive the terminal."""
    text = json.dumps(obj, ensure_ascii=False, default=_json_default)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in a name or label: JSON's \u escapes carry it
        text = json.dumps(obj, ensure_ascii=True, default=_json_default)
    text = text.translate(_JSON_UNSAFE)
    out = terminal_stream(sys.stdout)
    out.write(text + "\n")
    out.flush()


# C0 controls but newline, DEL and the C1 controls: what a terminal may act on
# (ESC starts CSI/OSC sequences: clear screen, window title, clipboard writes).
_CONTROL_CODES = [c for c in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)] if c != 0x0A]
# Bidirectional formatting (U+202E RIGHT-TO-LEFT OVERRIDE and friends): they reorder
# what the terminal shows, so a name can read as something it is not.
_BIDI_CODES = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_CONTROL = {c: f"\\x{c:02x}" for c in _CONTROL_CODES} | {c: f"\\u{c:04x}" for c in _BIDI_CODES}
_JSON_UNSAFE = {c: f"\\u{c:04x}" for c in [0x7F, *range(0x80, 0xA0), *_BIDI_CODES]}


def terminal_safe(text: Any, *, keep_newlines: bool = True) -> str:
    """``text`` with control characters shown as ``\\xNN``, bidi controls as ``\\uNNNN``
    and lone surrogates escaped.

    Names, labels and art come from files anyone can write; printed raw they can
    drive the terminal. Newlines stay (art is lines) unless ``keep_newlines`` is false.
    """
    text = str(text)
    table = _CONTROL if keep_newlines else {**_CONTROL, 0x0A: "\\n"}
    text = text.translate(table)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


class TerminalSafeStream:
    """The one printing path of the CLI: a text stream that writes ``terminal_safe`` text.

    ``main`` puts it in place of stdout and stderr for the whole command (argparse's
    messages included), so no command can print a name, label, path or piece raw.
    Only the CLI's own cursor control (the progress line) writes to ``terminal``.
    """

    def __init__(self, terminal):
        self.terminal = terminal

    def write(self, text: str) -> int:
        self.terminal.write(terminal_safe(text))
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # isatty, flush, fileno, encoding ...
        return getattr(self.terminal, name)


def terminal_stream(stream):
    """The stream under a TerminalSafeStream (for the CLI's own escapes and JSON)."""
    return getattr(stream, "terminal", stream)


@contextlib.contextmanager
def safe_terminal():
    """stdout and stderr through TerminalSafeStream while the block runs."""
    saved = sys.stdout, sys.stderr
    sys.stdout = saved[0] if isinstance(saved[0], TerminalSafeStream) else TerminalSafeStream(saved[0])
    sys.stderr = saved[1] if isinstance(saved[1], TerminalSafeStream) else TerminalSafeStream(saved[1])
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def bounded_int(option: str, low: int, high: int, why: str = "") -> Callable[[str], int]:
    """An argparse type: a whole number in [low, high]; anything else is one sentence
    (StudioError, exit status 2) naming the option, its bounds and ``why`` the bound."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise StudioError(f"{option} must be a whole number, not {text[:40]!r}") from None
        if not low <= value <= high:
            reason = f" ({why})" if why else ""
            raise StudioError(f"{option} must be between {low:,} and {high:,}{reason}, not {value}")
        return value

    parse.__name__ = "int"
    return parse


def seed_type(option: str = "--seed") -> Callable[[str], int]:
    from studio.limits import MAX_SEED

    return bounded_int(option, 0, MAX_SEED, "a signed 64-bit number, what PyTorch's generators take")


def add_force_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true", help="allow the output to replace one of the inputs")


def refuse_output_onto_input(out: Path | None, inputs: Sequence[Path | None], force: bool) -> None:
    """An output path that names one of the inputs is refused unless ``--force``."""
    if out is None or force:
        return
    from studio.fsutil import same_file

    for source in inputs:
        if source is not None and same_file(out, source):
            raise StudioError(
                f"{out}: is also an input of this command, so writing it would destroy that input; "
                "choose another output or pass --force"
            )


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def plural(count: int, word: str) -> str:
    """ "1 piece", "2 pieces"."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def clear_progress() -> None:
    """Erase the progress line (if one was drawn) before the command prints its result."""
    if sys.stderr.isatty():
        terminal = terminal_stream(sys.stderr)
        terminal.write("\r\033[K")
        terminal.flush()


# Piped or redirected (a long run logged to a file), progress is a plain line this often:
# a log that stays silent for the 40 minutes of a training run looks like a hang.
PIPED_PROGRESS_EVERY_S = 60.0


def progress_printer(enabled: bool) -> Callable[[str], None]:
    """A one-line progress reporter on stderr (silent under --json). On a terminal the line
    is redrawn in place; piped, a plain line is written once a minute (none for a job that
    ends sooner)."""
    if not enabled:
        return lambda message: None
    if not sys.stderr.isatty():
        started = [time.monotonic()]

        def log_line(message: str) -> None:
            now = time.monotonic()
            if now - started[0] >= PIPED_PROGRESS_EVERY_S:
                started[0] = now
                sys.stderr.write(terminal_safe(message, keep_newlines=False) + "\n")
                sys.stderr.flush()

        return log_line
    last = [0.0]

    def show(message: str) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.1:
            last[0] = now
            terminal = terminal_stream(sys.stderr)
            terminal.write("\r\033[K" + terminal_safe(message, keep_newlines=False))
            terminal.flush()

    return show


def add_device_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--device", default="auto", help="auto (default: cuda, then mps, then cpu), cpu, cuda, cuda:1, mps"
    )


def add_trust_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trust",
        action="store_true",
        help="allow full unpickling of checkpoints that need it (runs code from the file: only for files you trust)",
    )
