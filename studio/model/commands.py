"""CLI commands of the model layer: ``info`` and ``sample``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from studio import cliutil, limits
from studio.errors import StudioError
from studio.fsutil import atomic_write_text
from studio.model.checkpoint import ArtistCheckpoint, load_checkpoint
from studio.model.engine import Engine, pick_device
from studio.model.judge import measurements_in
from studio.model.art import SampleSettings, gallery_text
from studio.model.sampler import sample_gallery
from studio.model.vocab import FRAMINGS


def register(subparsers) -> None:
    info = subparsers.add_parser("info", help="describe a checkpoint", description="Describe a checkpoint.")
    info.add_argument("checkpoint", type=Path, metavar="CKPT")
    info.add_argument("--framing", choices=FRAMINGS, help="override the framing read from or inferred for the file")
    info.add_argument("--json", action="store_true", help="print one JSON object")
    cliutil.add_trust_option(info)
    info.set_defaults(handler=cmd_info)

    sample = subparsers.add_parser(
        "sample", help="draw a gallery of pieces", description="Draw a gallery of pieces from a checkpoint."
    )
    sample.add_argument("checkpoint", type=Path, metavar="CKPT")
    add_sampling_options(sample)
    sample.add_argument("--out", "-o", type=Path, help="also write the gallery to this .txt file")
    sample.add_argument("--json", action="store_true", help="print one JSON object")
    cliutil.add_force_option(sample)
    sample.set_defaults(handler=cmd_sample)


def describe(ckpt: ArtistCheckpoint) -> dict:
    """The ``info --json`` object."""
    return {
        "name": ckpt.name,
        "path": str(ckpt.path) if ckpt.path else None,
        "framing": ckpt.framing,
        "framing_source": ckpt.framing_source,
        "variant": ckpt.variant,
        "vocab_size": len(ckpt.vocab),
        "byte_level": ckpt.vocab.byte_level,
        "num_params": ckpt.num_params,
        "config": ckpt.config,
        "labels": ckpt.labels,
        "lineage": ckpt.lineage,
        "metrics": ckpt.metrics,
        "sha256": ckpt.sha256,
    }


def cmd_info(args: argparse.Namespace) -> None:
    ckpt = load_checkpoint(args.checkpoint, trust=args.trust, framing=args.framing)
    info = describe(ckpt)
    if args.json:
        cliutil.emit_json(info)
        return
    arch = ckpt.arch
    lines = [
        f"{ckpt.name}  ({ckpt.path})",
        f"  model      nGPT {ckpt.variant}, dim {arch['dim']}, depth {arch['depth']}, heads {arch['heads']} x "
        f"{arch['dim_head']}, "
        f"ff {arch['ff_inner']}, {ckpt.num_params / 1e6:.2f}M params",
        f"  vocab      {'bytes (256)' if ckpt.vocab.byte_level else f'{len(ckpt.vocab)} chars'}",
        f"  framing    {ckpt.framing} ({ckpt.framing_source})",
    ]
    if ckpt.labels:
        lines.append(f"  labels     {', '.join(ckpt.labels)}")
    scalars = {k: v for k, v in ckpt.metrics.items() if k != "measurements"}
    if scalars:
        lines.append("  metrics    " + ", ".join(f"{k} {_fmt(v)}" for k, v in scalars.items()))
    for measurement in measurements_in(ckpt.metrics):
        lines.append(
            f"  measured   {measurement.text(4)} on {measurement.data.describe()}, context {measurement.context}, "
            f"stride {measurement.stride}"
        )
    if ckpt.lineage:
        parents = " x ".join(str(p.get("name") or "?") for p in ckpt.lineage.get("parents", []))
        date = ckpt.lineage.get("date")
        lines.append(
            f"  lineage    {ckpt.lineage.get('method', '?')} of {parents or 'unknown parents'}"
            + (f" ({date})" if date else "")
        )
    print("\n".join(cliutil.terminal_safe(line, keep_newlines=False) for line in lines))


def add_sampling_options(parser: argparse.ArgumentParser) -> None:
    """The options that say what gallery to draw and with what (``draw_gallery`` reads
    them): ``sample``'s, shared with every command that draws one (``originality``)."""
    parser.add_argument("--label", "-l", help="class to draw (conditional models), e.g. Cats")
    parser.add_argument(
        "-n",
        "--count",
        type=cliutil.bounded_int("-n/--count", 1, limits.MAX_PIECES, "pieces are drawn as one batch"),
        default=4,
        help=f"number of pieces (default 4, at most {limits.MAX_PIECES:,}; with --max-chars, within a "
        f"{limits.KV_CACHE_BUDGET_BYTES >> 30} GB cache)",
    )
    parser.add_argument(
        "--temperature", "-t", type=float, default=0.6, help="sampling temperature (default 0.6; 0 = greedy)"
    )
    parser.add_argument("--top-k", type=int, default=20, help="keep the k most likely chars (default 20; 0 = all)")
    parser.add_argument("--top-p", type=float, default=None, help="nucleus sampling mass, e.g. 0.9 (default off)")
    parser.add_argument("--seed", type=int, default=0, help="seed; piece i uses seed+i (default 0)")
    parser.add_argument(
        "--max-chars",
        type=cliutil.bounded_int("--max-chars", 1, limits.MAX_PIECE_CHARS, "about a minute a piece on a CPU"),
        default=3000,
        help=f"stop a piece after this many chars (default 3000, at most {limits.MAX_PIECE_CHARS:,})",
    )
    parser.add_argument(
        "--temper-spaces",
        action="store_true",
        help="temper and filter spaces like every other char, as the card's own sampler does (default: a space "
        "keeps the model's odds, and T, top-k and top-p only shape which mark is drawn; tempered, a low T or "
        "a top-p draws blank lines)",
    )
    parser.add_argument("--framing", choices=FRAMINGS, help="override the framing read from or inferred for the file")
    cliutil.add_device_option(parser)
    cliutil.add_trust_option(parser)


def check_cache_size(ckpt: ArtistCheckpoint, count: int, max_chars: int) -> None:
    """-n and --max-chars together: the gallery's KV cache must fit the budget."""
    needed = limits.kv_cache_bytes(ckpt.arch, count, max_chars + 64)  # max_chars: with the label; 64: framing
    budget = limits.KV_CACHE_BUDGET_BYTES
    if needed > budget:
        raise StudioError(
            f"{count:,} pieces of up to {max_chars:,} chars need {needed / (1 << 30):,.1f} GB of cache with "
            f"{ckpt.name}, over the {budget >> 30} GB limit; ask for fewer or shorter pieces"
        )


def _fmt(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def draw_gallery(args: argparse.Namespace, on_char=None) -> tuple[ArtistCheckpoint, SampleSettings, list, float, Any]:
    """Load ``args.checkpoint`` and draw the gallery the sampling options ask for:
    (checkpoint, settings, pieces, seconds, device). Bad options are one sentence."""
    ckpt = load_checkpoint(args.checkpoint, trust=args.trust, framing=args.framing)
    settings = SampleSettings(
        label=args.label,
        count=args.count,
        temperature=args.temperature,
        top_k=args.top_k or None,
        top_p=args.top_p,
        seed=args.seed,
        max_chars=args.max_chars,
        temper_spaces=args.temper_spaces,
    )
    settings.validate()
    if args.label and not ckpt.is_conditional and ckpt.framing != "text":
        raise StudioError(
            f"{ckpt.display_path}: is an unconditional model, so it takes no --label (use --framing conditional "
            f"to override)"
        )
    if args.label and ckpt.labels and args.label not in ckpt.labels:
        known = cliutil.terminal_safe(", ".join(ckpt.labels), keep_newlines=False)
        if ckpt.vocab.unknown_chars(args.label):
            raise StudioError(f"{ckpt.name} does not know the label {args.label!r}; its labels are {known}")
        print(f"note: {args.label!r} is not one of {ckpt.name}'s labels ({known}); drawing it anyway", file=sys.stderr)
    check_cache_size(ckpt, settings.count, settings.max_chars + len(settings.label or ""))
    device = pick_device(args.device)
    engine = Engine.from_checkpoint(ckpt, device=device)
    started = time.perf_counter()
    arts = sample_gallery(engine, ckpt.vocab, ckpt.framing, settings, on_char=on_char)
    return ckpt, settings, arts, time.perf_counter() - started, device


def gallery_json(ckpt: ArtistCheckpoint, settings: SampleSettings, arts: list, elapsed: float, device, **more) -> dict:
    """The ``--json`` object of a command that drew a gallery: what drew it, how, the
    pieces, and ``more`` (e.g. originality's comparison) before them."""
    return {
        "checkpoint": str(ckpt.path),
        "settings": {**settings.to_dict(), "device": str(device), "framing": ckpt.framing},
        **more,
        "arts": [art.to_dict() for art in arts],
        "elapsed_s": round(elapsed, 4),
    }


def cmd_sample(args: argparse.Namespace) -> None:
    cliutil.refuse_output_onto_input(args.out, [args.checkpoint], args.force)
    stream = not args.json and args.count == 1 and sys.stdout.isatty()
    on_char = (
        (lambda index, char: (sys.stdout.write(cliutil.terminal_safe(char)), sys.stdout.flush())) if stream else None
    )
    ckpt, settings, arts, elapsed, device = draw_gallery(args, on_char)
    if args.out:
        atomic_write_text(args.out, gallery_text(ckpt.name, settings, arts))
    if args.json:
        cliutil.emit_json(gallery_json(ckpt, settings, arts, elapsed, device))
        return
    if stream:
        print()
        return
    print(cliutil.terminal_safe(gallery_text(ckpt.name, settings, arts)), end="")
    done = sum(a.complete for a in arts)
    print(f"-- {cliutil.plural(len(arts), 'piece')} ({done} complete) in {elapsed:.2f}s on {device}", file=sys.stderr)
