"""``darwascii``: the command line over the studio's core, the dispatcher only.

Each command module contributes its commands through a ``register(subparsers)``
function (``COMMAND_MODULES``, imported here and nowhere else); what the commands
share (printing, JSON, options) is ``studio.cliutil``. This module owns how a command
ends:

* a user mistake (``StudioError``) prints one sentence on stderr, exit status 2;
* anything else is an internal failure: a short message, exit status 1
  (``DARWASCII_DEBUG=1`` shows the traceback);
* stdout and stderr go through ``cliutil.TerminalSafeStream`` for the whole command.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from studio import __version__
from studio.breed import commands as breed_commands
from studio.breed import darwin_commands
from studio.cliutil import EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, Parser, safe_terminal, terminal_safe
from studio.errors import Cancelled, StudioError
from studio.lab import align_experiment, darwin_experiment
from studio.lab import bench as bench_command
from studio.model import commands as model_commands
from studio.train import commands as train_commands
from studio.train import family

# The modules that add subcommands, in the order of `darwascii --help`; each defines register(subparsers).
COMMAND_MODULES = (
    model_commands,
    bench_command,
    breed_commands,
    align_experiment,
    train_commands,
    family,
    darwin_commands,
    darwin_experiment,
)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="darwascii", description="Sample, breed, train and evaluate small nGPT ASCII artists.")
    parser.add_argument("--version", action="version", version=f"darwascii {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    subparsers.required = True
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    with safe_terminal():
        return _run_command(argv)


def _run_command(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)  # a bounded_int option raises StudioError: one sentence
        result = args.handler(args)
        return EXIT_OK if result is None else int(result)
    except StudioError as exc:
        message = str(exc).strip()
        if not message.endswith((".", "?", "!")):
            message += "."
        print(f"darwascii: {terminal_safe(message, keep_newlines=False)}", file=sys.stderr)
        return EXIT_USAGE
    except Cancelled as exc:
        detail = f" ({terminal_safe(exc, keep_newlines=False)})" if str(exc) else ""
        print(f"darwascii: cancelled{detail}.", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("\ndarwascii: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `darwascii sample ... | head`
        return EXIT_OK
    except Exception as exc:  # an internal failure: say so, briefly
        if os.environ.get("DARWASCII_DEBUG"):
            raise
        detail = terminal_safe(str(exc), keep_newlines=False)[:300]
        print(
            f"darwascii: internal error: {type(exc).__name__}: {detail} (set DARWASCII_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def run() -> None:
    """Console-script entry point."""
    raise SystemExit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
