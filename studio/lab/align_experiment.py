"""``darwascii align-experiment``: what aligning B to A does to the bundled pairs.

For the bundled independent pair and shared-ancestor pair: the slerp path's barrier
and the gen-0 child (slerp t=0.5) on the test split of the union of their classes,
raw and with B aligned to A (heads and feed-forward units; with the residual stream
too; with its sign flips), each with its 95% interval.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from studio import cliutil, limits
from studio.breed.align import align, stand_in
from studio.breed.pair import breed
from studio.breed.recipe import BreedRecipe
from studio.breed.scan import scan_path
from studio.lab import bundled_family
from studio.model.checkpoint import load_checkpoint
from studio.model.engine import pick_device


def register(subparsers) -> None:
    ex = subparsers.add_parser(
        "align-experiment",
        help="barrier and gen-0 child of the bundled pairs, before and after alignment",
        description="For the bundled independent pair and shared-ancestor pair: the slerp path's barrier and the "
        "gen-0 child (slerp t=0.5) on the test split of the union of their classes, raw and with B aligned to A "
        "(heads and feed-forward units; and with the residual stream too), each with its 95% interval.",
    )
    ex.add_argument("--family", type=Path, default=None, help="folder of the bundled family (default: checkpoints/)")
    ex.add_argument("--corpus", default=None, help="built-in corpus (default: the parents' training corpus)")
    ex.add_argument("--split", choices=("val", "test"), default="test", help="split to score on (default test)")
    ex.add_argument(
        "--points",
        type=cliutil.bounded_int("--points", 2, limits.MAX_SCAN_POINTS, "each point scores all the data once"),
        default=9,
        help=f"points along each path (default 9, at most {limits.MAX_SCAN_POINTS})",
    )
    ex.add_argument("-o", "--out", type=Path, default=None, metavar="RESULTS.json", help="write the results here")
    ex.add_argument("--json", action="store_true", help="print one JSON object")
    cliutil.add_force_option(ex)
    cliutil.add_device_option(ex)
    cliutil.add_trust_option(ex)
    ex.set_defaults(handler=cmd_align_experiment)


ALIGN_PAIRS = (
    ("independent", "independent/indA/model.pt", "independent/indB/model.pt"),
    ("shared ancestor", "apehex/styleA/model.pt", "apehex/styleB/model.pt"),
)
# (label, align options or None for the raw pair)
ALIGN_VARIANTS = (
    ("raw", None),
    ("aligned: heads + ff", dict(residual=False)),
    ("aligned: heads + ff + residual", dict(residual=True)),
    ("aligned: + residual sign flips", dict(residual=True, flips=True)),
)


def alignment_experiment(
    family: Path,
    *,
    corpus: str | None = None,
    split: str = "test",
    points: int = 9,
    device="cpu",
    trust: bool = False,
    progress=None,
) -> dict:
    """Barrier and gen-0 child (slerp t=0.5) of each bundled pair, raw and with B aligned to A."""
    from studio.model.judge import measure, paired_difference
    from studio.train.heldout import heldout_for

    results: dict = {"split": split, "points": points, "pairs": {}}
    for origin, path_a, path_b in ALIGN_PAIRS:
        a = load_checkpoint(family / path_a, trust=trust)
        b = load_checkpoint(family / path_b, trust=trust)
        heldout = heldout_for([a, b], split, corpus=corpus)
        arm: dict = {"a": path_a, "b": path_b, "data": heldout.identity.to_dict(), "variants": {}}
        raw_child_scores = None
        for label, options in ALIGN_VARIANTS:
            if progress:
                progress(f"{origin}, {label}")
            entry: dict = {}
            partner = b
            if options is not None:
                alignment = align(a, b, **options)
                partner = stand_in(b, alignment)
                entry["align"] = {k: v for k, v in alignment.summary().items() if k != "permutations"}
            scan = scan_path(a, partner, heldout, points=points, device=device)
            entry["scan"] = {k: v for k, v in scan.to_dict().items() if k not in ("data", "definition")}
            child = breed(a, partner, BreedRecipe("slerp", t=0.5))
            measured, scores = measure(child, heldout, device=device)
            entry["gen0_child"] = {"bpc": round(measured.bpc, 6), "interval": measured.interval.to_dict()}
            if raw_child_scores is None:
                raw_child_scores = scores
            else:
                diff = paired_difference(raw_child_scores, scores)
                entry["gen0_child"]["raw_minus_aligned"] = diff.to_dict()
            arm["context"], arm["stride"] = measured.context, measured.stride
            arm["variants"][label] = entry
        results["pairs"][origin] = arm
    results["commands"] = [
        f"darwascii scan {_shown(family / pa)} {_shown(family / pb)} --split {split} --points {points} --json{flag}"
        for _, pa, pb in ALIGN_PAIRS
        for flag in ("", " --align", " --align --align-residual")
    ]
    return results


def _shown(path: Path) -> str:
    """``path`` relative to the working folder when it is below it (so the record is portable)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def format_alignment_experiment(results: dict) -> str:
    header = (
        f"{'pair':<16} {'B':<31} {'barrier [95%]':>27} {'at t':>5} {'mid excess':>10} "
        f"{'gen-0 child bpc [95%]':>26}  {'cos':>6}"
    )
    lines = [header, "-" * len(header)]
    for origin, arm in results["pairs"].items():
        for label, entry in arm["variants"].items():
            scan, child = entry["scan"], entry["gen0_child"]
            iv, civ = scan["interval"], child["interval"]
            cos = entry["align"]["mean_cosine_after"] if "align" in entry else None
            lines.append(
                f"{origin:<16} {label:<31} {scan['barrier']:>+8.4f} [{iv['low']:+.4f}, {iv['high']:+.4f}] "
                f"{scan['barrier_at']:>5.3f} {scan['midpoint_excess']:>+10.4f} "
                f"{child['bpc']:>8.4f} [{civ['low']:.4f}, {civ['high']:.4f}]  "
                + (f"{cos:>6.3f}" if cos is not None else "     -")
            )
    return "\n".join(lines)


def cmd_align_experiment(args: argparse.Namespace) -> None:
    family = args.family or bundled_family()
    inputs = [family / path for _, path_a, path_b in ALIGN_PAIRS for path in (path_a, path_b)]
    cliutil.refuse_output_onto_input(args.out, inputs, args.force)
    show = cliutil.progress_printer(not args.json)
    results = alignment_experiment(
        family,
        corpus=args.corpus,
        split=args.split,
        points=args.points,
        device=pick_device(args.device),
        trust=args.trust,
        progress=lambda text: show(f"scanning {text}"),
    )
    if args.out:
        from studio.fsutil import atomic_write_text

        atomic_write_text(args.out, json.dumps(results, indent=2) + "\n")
    if args.json:
        cliutil.emit_json(results)
        return
    cliutil.clear_progress()
    print(format_alignment_experiment(results))
