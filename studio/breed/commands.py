"""CLI: ``darwascii breed`` and ``darwascii scan``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from studio import cli
from studio.breed.methods import METHODS
from studio.breed.pair import breed
from studio.breed.recipe import GRANULARITIES, BreedRecipe
from studio.breed.scan import scan_path
from studio.errors import StudioError
from studio.fsutil import open_input
from studio.model.checkpoint import load_checkpoint, save_checkpoint
from studio.model.engine import pick_device
from studio.train.commands import add_data_options


def register(subparsers) -> None:
    p = subparsers.add_parser("breed", help="breed a child from two parents (no training)",
                              description="Breed a child of A and B by merging their weights on the hypersphere.")
    p.add_argument("a", type=Path, metavar="A")
    p.add_argument("b", type=Path, metavar="B")
    p.add_argument("--method", "-m", choices=list(METHODS), default="slerp", help="merge method (default slerp)")
    p.add_argument("--t", type=float, default=0.5, help="amount of B: 0 = A, 1 = B (default 0.5)")
    p.add_argument("--t-attn", type=float, help="t for attention (overrides --t and --t-layers there)")
    p.add_argument("--t-ff", type=float, help="t for feed-forward")
    p.add_argument("--t-embed", type=float, help="t for embeddings and logits")
    p.add_argument("--t-layers", help='t per block, comma-separated, e.g. "0.2,0.4,0.6,0.8"')
    p.add_argument("--attn-from", choices=("a", "b"), default="a", help="frozen-attn: whose attention to keep (default a)")
    p.add_argument("--granularity", choices=GRANULARITIES, default="neuron", help="discrete: unit of crossover (default neuron)")
    p.add_argument("--seed", type=int, default=0, help="discrete: seed of the crossover (default 0)")
    p.add_argument("--name", help="name of the child (default A_x_B_method)")
    p.add_argument("-o", "--out", type=Path, required=True, metavar="CHILD.pt")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    cli.add_force_option(p)
    cli.add_trust_option(p)
    p.set_defaults(handler=cmd_breed)

    s = subparsers.add_parser(
        "scan", help="bpc along the slerp path from A to B, and the loss barrier",
        description="Score slerp children along A -> B on held-out data chosen for the pair (the union of their "
        "classes, stratified, from their training corpus's val split unless told otherwise): tells one basin from "
        "two before you breed. Barrier = max over t of bpc(t) - ((1-t) bpc(A) + t bpc(B)).")
    s.add_argument("a", type=Path, metavar="A")
    s.add_argument("b", type=Path, metavar="B")
    add_data_options(s, required=False)
    s.add_argument("--points", type=int, default=9, help="points along the path (default 9)")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    cli.add_device_option(s)
    cli.add_trust_option(s)
    s.set_defaults(handler=cmd_scan)


def _t_layers(text: str | None) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise StudioError(f"--t-layers must be comma-separated numbers, not {text!r}") from None


def cmd_breed(args: argparse.Namespace) -> None:
    recipe = BreedRecipe(method=args.method, t=args.t, t_attn=args.t_attn, t_ff=args.t_ff, t_embed=args.t_embed,
                         t_layers=_t_layers(args.t_layers), attn_from=args.attn_from, granularity=args.granularity, seed=args.seed)
    recipe.validate()
    cli.refuse_output_onto_input(args.out, [args.a, args.b], args.force)
    a = load_checkpoint(args.a, trust=args.trust)
    b = load_checkpoint(args.b, trust=args.trust)
    child = breed(a, b, recipe, name=args.name)  # raises before anything is written
    path = save_checkpoint(child, args.out)
    result = {"child": str(path), "method": recipe.method, "params": recipe.to_dict(),
              "parents": child.lineage["parents"], "vocab_size": len(child.vocab)}
    if args.json:
        cli.emit_json(result)
    else:
        print(f"bred {child.name} ({recipe.method}) -> {path}  [{len(child.vocab)} chars]")


def cmd_scan(args: argparse.Namespace) -> None:
    from studio.train.heldout import heldout_for

    a = load_checkpoint(args.a, trust=args.trust)
    b = load_checkpoint(args.b, trust=args.trust)
    heldout = heldout_for([a, b], args.split, corpus=args.corpus, text=args.text, classes=args.classes,
                          chars_per_class=args.chars_per_class, seed=args.data_seed)
    show = cli.progress_printer(not args.json)
    result = scan_path(a, b, heldout, points=args.points, context=args.context, stride=args.stride,
                       device=pick_device(args.device), skip_unknown=args.skip_unknown,
                       progress=lambda i, n: show(f"scanning {i}/{n}"))
    if args.json:
        cli.emit_json(result.to_dict())
        return
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K")
    barrier = result.barrier
    start, end = barrier.bpc[0], barrier.bpc[-1]
    print(f"{'t':>6}  {'bpc':>8}  {'line':>8}  {'excess':>8}")
    for t, bpc in result.points:
        line = (1 - t) * start + t * end
        print(f"{t:>6.3f}  {bpc:>8.4f}  {line:>8.4f}  {bpc - line:>+8.4f}")
    mid = f"; midpoint excess {barrier.midpoint_excess:+.4f}" if barrier.midpoint_excess is not None else ""
    print(f"barrier {barrier.interval.text(4, signed=True)} bpc at t={barrier.at:.3f}{mid}: {barrier.verdict}")
    print(f"measured on {result.data.describe()}; context {result.context} ({result.context_note}), stride {result.stride}")
