"""CLI: ``darwascii corpus``, ``darwascii train``, ``darwascii eval``."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from studio import cliutil
from studio.errors import StudioError
from studio.fsutil import atomic_write_text, check_input_file
from studio.limits import MAX_CHARS_PER_CLASS, MAX_CONTEXT, MAX_PER_CLASS, MAX_TRAIN_CHARS_PER_STEP
from studio.model.art import gallery_text
from studio.model.checkpoint import load_checkpoint
from studio.model.commands import add_sampling_options, draw_gallery, gallery_json
from studio.model.judge import measurements_in
from studio.model.variety import SAME_DRAWING, distinct_drawings
from studio.model.vocab import CONDITIONAL, UNCONDITIONAL, class_from_name, class_name
from studio.train.corpus import BUILTIN_CORPORA, load_builtin, split_pieces
from studio.train.evaluate import evaluate, heldout_for_eval
from studio.train.corpora import SYSTEM_ART, load_corpus, split_spec
from studio.train.importers import pieces_from_any
from studio.train.training import ModelShape, TrainConfig, TrainProgress, train_on_corpus
from studio.train.procedural import ALL_CLASSES, class_variety


def register(subparsers) -> None:
    corpus = subparsers.add_parser("corpus", help="list, build or import training corpora")
    actions = corpus.add_subparsers(dest="action", metavar="ACTION", parser_class=type(corpus))
    actions.required = True
    listing = actions.add_parser("list", help="the corpora this machine has (built-in, system-art) and their classes")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_corpus_list)
    build = actions.add_parser(
        "build",
        help="write a corpus (or one split of it) as JSONL ({label, art} per line)",
        description="Write any corpus the studio reads (builtin, system-art, a folder/.jsonl/.parquet, the apehex "
        "dataset; NAME:creatures or NAME:objects for a half) as JSONL, whole or one split.",
    )
    build.add_argument("name", metavar="NAME", help="builtin, builtin-a, builtin-b, system-art, or a path")
    build.add_argument("--split", choices=("train", "val", "test"), help="write only this split (default: all pieces)")
    build.add_argument("-o", "--out", type=Path, required=True)
    build.add_argument(
        "--per-class",
        type=cliutil.bounded_int("--per-class", 1, MAX_PER_CLASS, "about 30 s"),
        help=f"built-in corpora only: drawings per class (default 400, at most {MAX_PER_CLASS:,})",
    )
    build.add_argument(
        "--seed", type=cliutil.seed_type(), default=0, help="built-in corpora only: seed of the drawings (default 0)"
    )
    build.add_argument(
        "--max-chars",
        type=cliutil.bounded_int("--max-chars", 1, 10**9),
        help="keep only the pieces of at most this many chars (e.g. the ones a short training context holds whole)",
    )
    build.add_argument("--json", action="store_true")
    cliutil.add_force_option(build)
    build.set_defaults(handler=cmd_corpus_build)
    variety = actions.add_parser(
        "variety",
        help="how many different drawings each built-in class draws",
        description="Renders each class of a built-in corpus (or one class) N times and counts the different drawings "
        "(margin removed): exactly different, and visibly different (normalised edit distance >= 0.2, "
        "studio.model.variety); with the pieces' length, width and height.",
    )
    variety.add_argument(
        "name",
        nargs="?",
        default="builtin",
        metavar="NAME",
        help="a built-in corpus (builtin, builtin-a, builtin-b) or one class (default builtin)",
    )
    variety.add_argument(
        "--per-class", type=int, default=2100, help="renders of each class, seeds 0..N-1 (default 2100)"
    )
    variety.add_argument("--json", action="store_true")
    variety.set_defaults(handler=cmd_corpus_variety)
    imp = actions.add_parser("import", help="check a folder/.jsonl/.parquet corpus and convert it to JSONL")
    imp.add_argument("path", type=Path)
    imp.add_argument("-o", "--out", type=Path, required=True)
    imp.add_argument("--art-field", help="JSONL field / parquet column of the art (default art / content)")
    imp.add_argument("--label-field", help="JSONL field / parquet column of the label (default label / labels)")
    imp.add_argument("--json", action="store_true")
    cliutil.add_force_option(imp)
    imp.set_defaults(handler=cmd_corpus_import)

    t = subparsers.add_parser(
        "train", help="train an artist on a corpus", description="Train an artist (from scratch or from a checkpoint)."
    )
    t.add_argument(
        "--corpus",
        required=True,
        help="builtin, builtin-a, builtin-b, system-art, a folder/.jsonl/.parquet, "
        "or the apehex dataset folder; NAME:creatures or NAME:objects for one half",
    )
    t.add_argument(
        "--framing",
        choices=(CONDITIONAL, UNCONDITIONAL),
        default=CONDITIONAL,
        help=f"conditional (drawn on a label) or unconditional (default {CONDITIONAL})",
    )
    t.add_argument(
        "--from", dest="start", type=Path, help="continue from this checkpoint (a fork; default: from scratch)"
    )
    defaults, shape = TrainConfig(), ModelShape()
    t.add_argument("--dim", type=int, default=shape.dim, help=f"model width (default {shape.dim})")
    t.add_argument("--depth", type=int, default=shape.depth, help=f"number of blocks (default {shape.depth})")
    t.add_argument("--heads", type=int, default=shape.heads, help=f"attention heads (default {shape.heads})")
    t.add_argument(
        "--dim-head", type=int, default=shape.dim_head, help=f"width of each head (default {shape.dim_head})"
    )
    t.add_argument(
        "--variant", choices=("standard", "smith"), default="standard", help="nGPT variant (default standard)"
    )
    t.add_argument("--steps", type=int, default=defaults.steps, help=f"optimizer steps (default {defaults.steps})")
    t.add_argument(
        "--batch-size",
        type=int,
        default=defaults.batch_size,
        help=f"windows per step (default {defaults.batch_size}; batch size x context at most "
        f"{MAX_TRAIN_CHARS_PER_STEP:,} chars a step)",
    )
    t.add_argument(
        "--context",
        type=cliutil.bounded_int("--context", 1, MAX_CONTEXT),
        help="training window in chars (default: long enough for the corpus's 95th-percentile piece, a "
        f"multiple of 64 between 64 and 1024; at most {MAX_CONTEXT:,})",
    )
    t.add_argument("--lr", type=float, default=defaults.lr, help=f"peak learning rate (default {defaults.lr:g})")
    t.add_argument(
        "--seed", type=cliutil.seed_type(), default=0, help="seed of the initialisation and batches (default 0)"
    )
    t.add_argument(
        "--checkpoint-every",
        type=int,
        default=defaults.checkpoint_every,
        help=f"save OUT and its resume state every N steps (default {defaults.checkpoint_every})",
    )
    t.add_argument(
        "--precision",
        choices=("auto", "fp32", "bf16"),
        default="auto",
        help="bf16: the forward under bfloat16 autocast (weights and optimizer stay float32); "
        "auto: bf16 on a CUDA device that supports it, else fp32",
    )
    t.add_argument(
        "--compile",
        choices=("auto", "on", "off"),
        default="auto",
        help="compile the forward and loss with torch.compile (auto: on CUDA only; falls back to eager)",
    )
    t.add_argument("--resume", action="store_true", help="continue an interrupted run of the same OUT")
    t.add_argument("-o", "--out", type=Path, required=True, metavar="OUT.pt", help="the checkpoint to write")
    t.add_argument("--json", action="store_true", help="print the result as JSON")
    cliutil.add_force_option(t)
    cliutil.add_device_option(t)
    cliutil.add_trust_option(t)
    t.set_defaults(handler=cmd_train)

    e = subparsers.add_parser(
        "eval",
        help="bits per char of a checkpoint, with its 95%% interval and provenance",
        description="Bits per char on a corpus split (stratified by class) or a text file, at the checkpoint's "
        "training context unless --context says otherwise; prints what it was measured on.",
    )
    e.add_argument("checkpoint", type=Path, metavar="CKPT")
    add_data_options(e, required=False)
    e.add_argument("--max-chars", type=int, help="score only the first M chars of --text")
    e.add_argument("--json", action="store_true")
    cliutil.add_device_option(e)
    cliutil.add_trust_option(e)
    e.set_defaults(handler=cmd_eval)

    o = subparsers.add_parser(
        "originality",
        help="draw a gallery and find each piece's nearest training piece: drawing or copying?",
        description="Draws a gallery (the options of `sample`) and compares every piece with the train split of "
        "the corpus the artist was trained on: the nearest training drawing, its source, and their distance "
        f"(normalised edit distance of their ink: margin removed, runs of spaces folded; under {SAME_DRAWING} it is "
        "the same drawing, a near-copy).",
    )
    o.add_argument("checkpoint", type=Path, metavar="CKPT")
    add_sampling_options(o)
    o.add_argument("--corpus", help="compare with this corpus's train split (default: the corpus the artist records)")
    o.add_argument("--out", "-o", type=Path, help="also write the gallery to this .txt file")
    o.add_argument("--json", action="store_true", help="print one JSON object")
    cliutil.add_force_option(o)
    o.set_defaults(handler=cmd_originality)


def add_data_options(
    parser: argparse.ArgumentParser, *, required: bool, split: str = "val", with_split: bool = True
) -> None:
    """The judge's data and scoring options, the same for eval, scan and darwin."""
    src = parser.add_mutually_exclusive_group(required=required)
    src.add_argument(
        "--text", type=Path, help="a text file scored as it is (.jsonl/.json/.parquet are read as a corpus)"
    )
    src.add_argument(
        "--corpus",
        help="builtin, builtin-a, builtin-b, system-art, a corpus folder/file or the apehex "
        "dataset folder (NAME:creatures / NAME:objects for a half)"
        + ("" if required else "; default: the corpus the models were trained on"),
    )
    if with_split:
        parser.add_argument(
            "--split", choices=("train", "val", "test"), default=split, help=f"corpus split (default {split})"
        )
    parser.add_argument(
        "--classes",
        type=_class_list,
        help="comma-separated classes (default: the union of the models' classes, or all)",
    )
    parser.add_argument(
        "--chars-per-class",
        type=cliutil.bounded_int("--chars-per-class", 1, MAX_CHARS_PER_CLASS),
        help="chars taken from each class (default: the mean of the classes' chars; smaller classes "
        "give all they have)",
    )
    parser.add_argument(
        "--data-seed",
        type=cliutil.seed_type("--data-seed"),
        default=0,
        help="seed of the piece selection and order (default 0)",
    )
    parser.add_argument(
        "--context",
        type=cliutil.bounded_int("--context", 1, MAX_CONTEXT, "attention grows as its square"),
        help=f"scoring window in chars (default: the training context; at most {MAX_CONTEXT:,})",
    )
    parser.add_argument(
        "--stride",
        type=cliutil.bounded_int("--stride", 1, MAX_CONTEXT),
        help="chars between windows (default: half the context)",
    )
    parser.add_argument(
        "--skip-unknown", action="store_true", help="drop chars the model does not know instead of failing"
    )


def _class_list(text: str) -> list[str]:
    classes = [class_from_name(c.strip()) for c in text.split(",") if c.strip()]
    if not classes:
        raise argparse.ArgumentTypeError("give at least one class")
    return classes


def _class_counts(pieces) -> dict[str, int]:
    return dict(Counter(class_name(p.label) for p in pieces))


def cmd_corpus_list(args) -> None:
    from studio.train import system_art

    rows = {name: _class_counts(load_builtin(name)) for name in BUILTIN_CORPORA}
    found = system_art.load_system_art()
    art = {
        "pieces": len(found.pieces),
        "classes": _class_counts(found.pieces),
        "packages": found.installed,
        "missing": found.missing,
        "install": found.install_line,
    }
    if args.json:
        cliutil.emit_json({"corpora": rows, SYSTEM_ART: art})
        return
    for name, counts in rows.items():
        print(
            f"{name:<10} {cliutil.plural(sum(counts.values()), 'piece'):>12}: "
            + ", ".join(f"{k} {v}" for k, v in counts.items())
        )
    if found.pieces:
        print(
            f"{SYSTEM_ART:<10} {cliutil.plural(len(found.pieces), 'piece'):>12}: "
            + ", ".join(f"{k} {v}" for k, v in sorted(art["classes"].items(), key=lambda kv: -kv[1]))
        )
        print(
            f"{'':<10} hand-drawn art read from {', '.join(found.installed)} (their licences; never copied into "
            f"the studio)"
        )
    if found.missing:
        print(f"{SYSTEM_ART:<10} {'missing':>12}: {', '.join(found.missing)}; install with: {found.install_line}")
    print(
        "Also: --corpus PATH reads the apehex ascii-art dataset folder (parquet shards), a folder of .txt pieces, "
        "a .jsonl or .parquet file; NAME:creatures or NAME:objects takes one half."
    )


def _write_jsonl(path: Path, pieces) -> None:
    def row(p) -> dict:
        extra = {k: v for k, v in (("source", p.source), ("licence", p.licence)) if v}
        return {"label": p.label, "art": p.art, **extra}

    atomic_write_text(path, "".join(json.dumps(row(p)) + "\n" for p in pieces))


def cmd_corpus_build(args) -> None:
    cliutil.refuse_output_onto_input(args.out, [Path(split_spec(args.name)[0])], args.force)
    if args.per_class is not None or args.seed:
        base, _ = split_spec(args.name)
        if base not in BUILTIN_CORPORA:
            raise StudioError(f"--per-class and --seed apply to the built-in corpora, not {args.name!r}")
        if args.per_class is not None and args.per_class < 1:
            raise StudioError(f"--per-class must be at least 1, not {args.per_class}")
        pieces = load_builtin(args.name, per_class=args.per_class or 400, seed=args.seed)
        name = args.name
    else:
        corpus = load_corpus(args.name)
        pieces, name = corpus.pieces, corpus.name
    if args.split:
        # the split is decided on the whole corpus, piece by piece (by its drawing), so a
        # length filter after it keeps every piece in the split it has in the whole
        pieces = split_pieces(pieces)[args.split]
    if args.max_chars is not None:
        pieces = [p for p in pieces if len(p.art) <= args.max_chars]
        name = f"{name}, pieces of at most {args.max_chars:,} chars"
    _write_jsonl(args.out, pieces)
    what = f"the {args.split} split of {name}" if args.split else name
    if args.json:
        cliutil.emit_json(
            {
                "out": str(args.out),
                "pieces": len(pieces),
                "corpus": name,
                "split": args.split,
                "max_chars": args.max_chars,
            }
        )
    else:
        print(f"wrote {cliutil.plural(len(pieces), 'piece')} ({what}) to {args.out}")


def cmd_corpus_variety(args) -> None:
    if args.per_class < 1:
        raise StudioError(f"--per-class must be at least 1, not {args.per_class}")
    if args.name in BUILTIN_CORPORA:
        classes = BUILTIN_CORPORA[args.name]
    elif args.name in ALL_CLASSES:
        classes = (args.name,)
    else:
        raise StudioError(
            f"{args.name!r} is neither a built-in corpus ({', '.join(BUILTIN_CORPORA)}) "
            f"nor a built-in class ({', '.join(ALL_CLASSES)})"
        )
    rows = [class_variety(label, args.per_class) for label in classes]
    if args.json:
        cliutil.emit_json({"per_class": args.per_class, "classes": [row.to_dict() for row in rows]})
        return
    print(
        f"{'class':<10} {'renders':>7} {'exact':>6} {'visibly':>7} {'median':>6} {'p95':>5} {'width':>5} {'height':>6}"
    )
    for v in rows:
        print(
            f"{v.label:<10} {v.renders:>7} {v.exact:>6} {v.distinct:>7} {v.median_chars:>6} {v.p95_chars:>5} "
            f"{v.max_width:>5} {v.max_height:>6}"
        )
    print(
        f"measured on render(label, seed) for seeds 0..{args.per_class - 1}, margin removed: exact = different "
        "drawings, visibly = normalised edit distance >= 0.2 from every earlier one (studio.model.variety); "
        "median/p95 = chars per piece; width/height = the largest"
    )


def cmd_corpus_import(args) -> None:
    cliutil.refuse_output_onto_input(args.out, [args.path], args.force)
    options = {}
    if args.path.suffix == ".jsonl":
        options = {k: v for k, v in (("art_field", args.art_field), ("label_field", args.label_field)) if v}
    elif args.path.suffix == ".parquet":
        options = {k: v for k, v in (("art_column", args.art_field), ("label_column", args.label_field)) if v}
    result = pieces_from_any(args.path, **options)
    _write_jsonl(args.out, result.pieces)
    summary = {
        "pieces": len(result.pieces),
        "skipped": result.skipped,
        "problems": result.problems,
        "out": str(args.out),
    }
    if args.json:
        cliutil.emit_json(summary)
    else:
        print(f"imported {cliutil.plural(len(result.pieces), 'piece')} ({result.skipped} skipped) to {args.out}")
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
    cliutil.refuse_output_onto_input(args.out, [args.start, Path(args.corpus)], args.force)
    TrainConfig(
        steps=args.steps,
        batch_size=args.batch_size,
        context=args.context or 1,
        lr=args.lr,
        seed=args.seed,
        checkpoint_every=args.checkpoint_every,
        precision=args.precision,
        compile=args.compile,
    ).validate()
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
    start = load_checkpoint(args.start, trust=args.trust) if args.start else None
    config = TrainConfig(
        steps=args.steps,
        batch_size=args.batch_size,
        context=args.context or 0,
        lr=args.lr,
        seed=args.seed,
        checkpoint_every=args.checkpoint_every,
        precision=args.precision,
        compile=args.compile,
    )
    shape = ModelShape(args.dim, args.depth, args.heads, args.dim_head, args.variant)
    show = cliutil.progress_printer(not args.json)

    def progress(p: TrainProgress) -> None:
        show(
            f"step {p.step}/{p.total_steps}  loss {p.loss:.3f}  acc {p.acc:.3f}  {p.chars_per_s:,.0f} chars/s  "
            f"eta {p.eta_s:,.0f}s"
        )

    result = train_on_corpus(
        corpus,
        args.out,
        config=config,
        shape=shape,
        framing=args.framing,
        start=start,
        device=args.device,
        resume=args.resume,
        progress=progress,
        cancel=cancel,
    )
    if args.json:
        cliutil.emit_json({"checkpoint": str(result.path), "metrics": result.checkpoint.metrics})
    else:
        cliutil.clear_progress()
        scalars = {k: v for k, v in result.checkpoint.metrics.items() if k != "measurements"}
        print(f"wrote {result.path}: " + ", ".join(f"{k} {v}" for k, v in scalars.items()))
        for measurement in measurements_in(result.checkpoint.metrics):
            print(f"{measurement.text(4)} on {measurement.data.describe()}, context {measurement.context}")


def cmd_eval(args) -> None:
    for option, value, low in (
        ("--context", args.context, 1),
        ("--stride", args.stride, 1),
        ("--max-chars", args.max_chars, 1),
    ):
        if value is not None and value < low:
            raise StudioError(f"{option} must be at least {low}, not {value}")
    if args.text is not None:
        check_input_file(args.text, "text file")
    ckpt = load_checkpoint(args.checkpoint, trust=args.trust)
    heldout = heldout_for_eval(
        ckpt,
        text=args.text,
        corpus=args.corpus,
        split=args.split,
        classes=args.classes,
        chars_per_class=args.chars_per_class,
        data_seed=args.data_seed,
        max_chars=args.max_chars,
    )
    show = cliutil.progress_printer(not args.json)
    result = evaluate(
        ckpt,
        heldout,
        context=args.context,
        stride=args.stride,
        device=args.device,
        skip_unknown=args.skip_unknown,
        progress=lambda i, n: show(f"scoring window batch {i}/{n}"),
    )
    if args.json:
        cliutil.emit_json({**result.to_dict(), "command": result.command(str(args.checkpoint))})
        return
    cliutil.clear_progress()
    print(f"{result.text(4)}  ({result.caption()})")
    print(f"measured on {result.data.describe()}")
    print(
        f"{result.chars:,} chars scored, context {result.context} ({result.context_note}), stride {result.stride}"
        + (f", {result.skipped_chars} unknown chars dropped" if result.skipped_chars else "")
    )
    if result.per_class and len(result.per_class) > 1:
        print("per class: " + ", ".join(f"{class_name(k)} {v:.3f}" for k, v in result.per_class.items()))


def cmd_originality(args) -> None:
    from studio.train.originality import originality, training_corpus

    cliutil.refuse_output_onto_input(args.out, [args.checkpoint], args.force)
    ckpt = load_checkpoint(args.checkpoint, trust=args.trust, framing=args.framing)
    spec = args.corpus or training_corpus(ckpt)
    if spec is None:
        raise StudioError(
            f"{ckpt.display_path}: records no training corpus; pass --corpus NAME (builtin, system-art, a file) "
            "to compare its pieces with"
        )
    load_corpus(spec)  # before drawing: a corpus that cannot be read is said at once
    _, settings, arts, elapsed, device = draw_gallery(args)
    found = originality([a.text for a in arts], spec)
    rows = [
        {
            "index": art.index,
            "seed": art.seed,
            "complete": art.complete,
            "chars": len(art.text),
            "nearest": near.where,
            "nearest_label": near.label,
            "distance": round(near.distance, 4),
            "near_copy": near.near_copy,
        }
        for art, near in zip(arts, found.nearest)
    ]
    distances = sorted(r["distance"] for r in rows)
    summary = {
        "pieces": len(rows),
        "complete": sum(r["complete"] for r in rows),
        "distinct": distinct_drawings([a.text for a in arts]),
        "near_copies": found.near_copies,
        "median_distance": distances[len(distances) // 2],
        "compared_with": found.compared_with,
        "corpus": found.corpus,
        "same_drawing_below": SAME_DRAWING,
    }
    if args.out:
        atomic_write_text(args.out, gallery_text(ckpt.name, settings, arts))
    if args.json:
        cliutil.emit_json(gallery_json(ckpt, settings, arts, elapsed, device, summary=summary, pieces=rows))
        return
    print(cliutil.terminal_safe(gallery_text(ckpt.name, settings, arts)), end="")
    print(f"\n{ckpt.name}: each piece's nearest drawing in {found.compared_with}")
    print(f"{'#':>4} {'done':>4} {'chars':>6} {'distance':>8}  nearest training piece")
    for r in rows:
        flag = "  NEAR-COPY" if r["near_copy"] else ""
        print(
            f"{r['index']:>4} {'yes' if r['complete'] else 'no':>4} {r['chars']:>6} {r['distance']:>8.3f}  "
            f"{cliutil.terminal_safe(r['nearest'] or '-', keep_newlines=False)}{flag}"
        )
    print(
        f"{cliutil.plural(len(rows), 'piece')}: {summary['complete']} complete, {summary['distinct']} different "
        f"drawings, {summary['near_copies']} near-copies (distance under {SAME_DRAWING}) of a training piece, "
        f"median distance {summary['median_distance']:.3f}; drawn in {elapsed:.1f}s on {device}"
    )
