"""CLI: ``darwascii corpus``, ``darwascii train``, ``darwascii eval``."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from studio import cli
from studio.errors import StudioError
from studio.fsutil import atomic_write_text, check_input_file
from studio.model.checkpoint import load_checkpoint
from studio.model.judge import measurements_in
from studio.model.vocab import CONDITIONAL, UNCONDITIONAL
from studio.train.corpus import BUILTIN_CORPORA, load_builtin, split_pieces
from studio.train.evaluate import evaluate, heldout_for_eval
from studio.train.heldout import stratified
from studio.train.importers import load_corpus, pieces_from_any
from studio.train.training import ModelShape, TrainConfig, TrainProgress, train


def register(subparsers) -> None:
    corpus = subparsers.add_parser("corpus", help="list, build or import training corpora")
    actions = corpus.add_subparsers(dest="action", metavar="ACTION", parser_class=type(corpus))
    actions.required = True
    listing = actions.add_parser("list", help="the built-in corpora and their classes")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_corpus_list)
    build = actions.add_parser("build", help="write a built-in corpus as JSONL ({label, art} per line)")
    build.add_argument("name", choices=list(BUILTIN_CORPORA))
    build.add_argument("-o", "--out", type=Path, required=True)
    build.add_argument("--per-class", type=int, default=400)
    build.add_argument("--seed", type=int, default=0)
    build.set_defaults(handler=cmd_corpus_build)
    imp = actions.add_parser("import", help="check a folder/.jsonl/.parquet corpus and convert it to JSONL")
    imp.add_argument("path", type=Path)
    imp.add_argument("-o", "--out", type=Path, required=True)
    imp.add_argument("--art-field", help="JSONL field / parquet column of the art (default art / content)")
    imp.add_argument("--label-field", help="JSONL field / parquet column of the label (default label / labels)")
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(handler=cmd_corpus_import)

    t = subparsers.add_parser("train", help="train an artist on a corpus", description="Train an artist (from scratch or from a checkpoint).")
    t.add_argument("--corpus", required=True, help="built-in name (builtin, builtin-a, builtin-b) or a folder/.jsonl/.parquet")
    t.add_argument("--framing", choices=(CONDITIONAL, UNCONDITIONAL), default=CONDITIONAL,
                   help=f"conditional (drawn on a label) or unconditional (default {CONDITIONAL})")
    t.add_argument("--from", dest="start", type=Path, help="continue from this checkpoint (a fork; default: from scratch)")
    defaults, shape = TrainConfig(), ModelShape()
    t.add_argument("--dim", type=int, default=shape.dim, help=f"model width (default {shape.dim})")
    t.add_argument("--depth", type=int, default=shape.depth, help=f"number of blocks (default {shape.depth})")
    t.add_argument("--heads", type=int, default=shape.heads, help=f"attention heads (default {shape.heads})")
    t.add_argument("--dim-head", type=int, default=shape.dim_head, help=f"width of each head (default {shape.dim_head})")
    t.add_argument("--variant", choices=("standard", "smith"), default="standard",
                   help="nGPT variant (default standard)")
    t.add_argument("--steps", type=int, default=defaults.steps, help=f"optimizer steps (default {defaults.steps})")
    t.add_argument("--batch-size", type=int, default=defaults.batch_size,
                   help=f"windows per step (default {defaults.batch_size})")
    t.add_argument("--context", type=int, default=128, help="training window in chars (default 128)")
    t.add_argument("--lr", type=float, default=defaults.lr, help=f"peak learning rate (default {defaults.lr:g})")
    t.add_argument("--seed", type=int, default=0, help="seed of the initialisation and batches (default 0)")
    t.add_argument("--checkpoint-every", type=int, default=defaults.checkpoint_every,
                   help=f"save OUT and its resume state every N steps (default {defaults.checkpoint_every})")
    t.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                   help="bf16: the forward under bfloat16 autocast (weights and optimizer stay float32); "
                   "auto: bf16 on a CUDA device that supports it, else fp32")
    t.add_argument("--compile", choices=("auto", "on", "off"), default="auto",
                   help="compile the forward and loss with torch.compile (auto: on CUDA only; falls back to eager)")
    t.add_argument("--resume", action="store_true", help="continue an interrupted run of the same OUT")
    t.add_argument("-o", "--out", type=Path, required=True, metavar="OUT.pt", help="the checkpoint to write")
    t.add_argument("--json", action="store_true", help="print the result as JSON")
    cli.add_force_option(t)
    cli.add_device_option(t)
    cli.add_trust_option(t)
    t.set_defaults(handler=cmd_train)

    e = subparsers.add_parser(
        "eval", help="bits per char of a checkpoint, with its 95%% interval and provenance",
        description="Bits per char on a corpus split (stratified by class) or a text file, at the checkpoint's "
        "training context unless --context says otherwise; prints what it was measured on.")
    e.add_argument("checkpoint", type=Path, metavar="CKPT")
    add_data_options(e, required=True)
    e.add_argument("--max-chars", type=int, help="score only the first M chars of --text")
    e.add_argument("--json", action="store_true")
    cli.add_device_option(e)
    cli.add_trust_option(e)
    e.set_defaults(handler=cmd_eval)


def add_data_options(parser: argparse.ArgumentParser, *, required: bool, split: str = "val", with_split: bool = True) -> None:
    """The judge's data and scoring options, the same for eval, scan and darwin."""
    src = parser.add_mutually_exclusive_group(required=required)
    src.add_argument("--text", type=Path, help="a text file scored as it is (.jsonl/.json/.parquet are read as a corpus)")
    src.add_argument("--corpus", help="built-in corpus (builtin, builtin-a, builtin-b) or a corpus folder/file"
                     + ("" if required else " (default: the parents' training corpus)"))
    if with_split:
        parser.add_argument("--split", choices=("train", "val", "test"), default=split, help=f"corpus split (default {split})")
    parser.add_argument("--classes", type=_class_list, help="comma-separated classes (default: the union of the models' classes, or all)")
    parser.add_argument("--chars-per-class", type=int, help="chars taken from each class (default: as many as the smallest class has)")
    parser.add_argument("--data-seed", type=int, default=0, help="seed of the piece selection and order (default 0)")
    parser.add_argument("--context", type=int, help="scoring window in chars (default: the training context)")
    parser.add_argument("--stride", type=int, help="chars between windows (default: half the context)")
    parser.add_argument("--skip-unknown", action="store_true", help="drop chars the model does not know instead of failing")


def _class_list(text: str) -> list[str]:
    classes = [c.strip() for c in text.split(",") if c.strip()]
    if not classes:
        raise argparse.ArgumentTypeError("give at least one class")
    return classes


def cmd_corpus_list(args) -> None:
    rows = {name: dict(Counter(p.label for p in load_builtin(name))) for name in BUILTIN_CORPORA}
    if args.json:
        cli.emit_json({"corpora": rows})
        return
    for name, counts in rows.items():
        print(f"{name:<10} {cli.plural(sum(counts.values()), 'piece'):>11}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


def _write_jsonl(path: Path, pieces) -> None:
    atomic_write_text(path, "".join(json.dumps({"label": p.label, "art": p.art}) + "\n" for p in pieces))


def cmd_corpus_build(args) -> None:
    if args.per_class < 1:
        raise StudioError(f"--per-class must be at least 1, not {args.per_class}")
    pieces = load_builtin(args.name, per_class=args.per_class, seed=args.seed)
    _write_jsonl(args.out, pieces)
    print(f"wrote {cli.plural(len(pieces), 'piece')} to {args.out}")


def cmd_corpus_import(args) -> None:
    options = {}
    if args.path.suffix == ".jsonl":
        options = {k: v for k, v in (("art_field", args.art_field), ("label_field", args.label_field)) if v}
    elif args.path.suffix == ".parquet":
        options = {k: v for k, v in (("art_column", args.art_field), ("label_column", args.label_field)) if v}
    result = pieces_from_any(args.path, **options)
    _write_jsonl(args.out, result.pieces)
    summary = {"pieces": len(result.pieces), "skipped": result.skipped, "problems": result.problems, "out": str(args.out)}
    if args.json:
        cli.emit_json(summary)
    else:
        print(f"imported {cli.plural(len(result.pieces), 'piece')} ({result.skipped} skipped) to {args.out}")
        for problem in result.problems:
            print(f"  skipped: {problem}")


def _stop_on_signals():
    """SIGINT/SIGTERM set a flag the training loop polls: it saves, then we exit 130.

    A second signal interrupts at once (the last save stays on disk).
    """
    import signal
    import threading

    stop = threading.Event()

    def handler(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, handler)
        except (ValueError, OSError):  # not the main thread (e.g. called from a test worker)
            pass

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return stop, restore


def cmd_train(args) -> None:
    cli.refuse_output_onto_input(args.out, [args.start], args.force)
    TrainConfig(steps=args.steps, batch_size=args.batch_size, context=args.context, lr=args.lr,
                seed=args.seed, checkpoint_every=args.checkpoint_every, precision=args.precision,
                compile=args.compile).validate()
    if args.start is None:
        ModelShape(args.dim, args.depth, args.heads, args.dim_head, args.variant).validate()
    stop, restore = _stop_on_signals()
    try:
        _train_command(args, stop.is_set)
    finally:
        restore()


def _train_command(args, cancel) -> None:
    corpus = load_corpus(args.corpus)
    if corpus.skipped_note():
        print(f"darwascii: {corpus.skipped_note()}", file=sys.stderr)
    pieces, name = corpus.pieces, corpus.name
    splits = split_pieces(pieces)
    start = load_checkpoint(args.start, trust=args.trust) if args.start else None
    config = TrainConfig(steps=args.steps, batch_size=args.batch_size, context=args.context, lr=args.lr,
                         seed=args.seed, checkpoint_every=args.checkpoint_every, precision=args.precision,
                         compile=args.compile)
    shape = ModelShape(args.dim, args.depth, args.heads, args.dim_head, args.variant)
    show = cli.progress_printer(not args.json)

    def progress(p: TrainProgress) -> None:
        show(f"step {p.step}/{p.total_steps}  loss {p.loss:.3f}  acc {p.acc:.3f}  {p.chars_per_s:,.0f} chars/s  eta {p.eta_s:,.0f}s")

    result = train(splits["train"], args.out, config=config, shape=shape, framing=args.framing, start=start,
                   heldout=stratified(pieces, name=args.corpus, split="val", framing=args.framing), corpus_name=name,
                   device=args.device, resume=args.resume, progress=progress, cancel=cancel)
    if args.json:
        cli.emit_json({"checkpoint": str(result.path), "metrics": result.checkpoint.metrics})
    else:
        cli.clear_progress()
        scalars = {k: v for k, v in result.checkpoint.metrics.items() if k != "measurements"}
        print(f"wrote {result.path}: " + ", ".join(f"{k} {v}" for k, v in scalars.items()))
        for measurement in measurements_in(result.checkpoint.metrics):
            print(f"{measurement.text(4)} on {measurement.data.describe()}, context {measurement.context}")


def cmd_eval(args) -> None:
    for option, value, low in (("--context", args.context, 1), ("--stride", args.stride, 1), ("--max-chars", args.max_chars, 1)):
        if value is not None and value < low:
            raise StudioError(f"{option} must be at least {low}, not {value}")
    if args.text is not None:
        check_input_file(args.text, "text file")
    ckpt = load_checkpoint(args.checkpoint, trust=args.trust)
    heldout = heldout_for_eval(ckpt, text=args.text, corpus=args.corpus, split=args.split, classes=args.classes,
                               chars_per_class=args.chars_per_class, data_seed=args.data_seed, max_chars=args.max_chars)
    show = cli.progress_printer(not args.json)
    result = evaluate(ckpt, heldout, context=args.context, stride=args.stride, device=args.device,
                      skip_unknown=args.skip_unknown, progress=lambda i, n: show(f"scoring window batch {i}/{n}"))
    if args.json:
        cli.emit_json({**result.to_dict(), "command": result.command(str(args.checkpoint))})
        return
    cli.clear_progress()
    print(f"{result.text(4)}  ({result.caption()})")
    print(f"measured on {result.data.describe()}")
    print(f"{result.chars:,} chars scored, context {result.context} ({result.context_note}), stride {result.stride}"
          + (f", {result.skipped_chars} unknown chars dropped" if result.skipped_chars else ""))
    if result.per_class and len(result.per_class) > 1:
        print("per class: " + ", ".join(f"{k} {v:.3f}" for k, v in result.per_class.items()))
