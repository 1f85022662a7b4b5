"""CLI: ``darwascii breed`` and ``darwascii scan``."""

from __future__ import annotations

import argparse
from pathlib import Path

from studio import cli
from studio.breed.methods import METHODS
from studio.breed.pair import breed, framing_note
from studio.breed.recipe import BreedRecipe, all_options
from studio.breed.scan import scan_path
from studio.errors import StudioError
from studio.model.checkpoint import load_checkpoint, save_checkpoint
from studio.model.engine import pick_device
from studio.train.commands import add_data_options


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "breed",
        help="breed a child from two parents (no training)",
        description="Breed a child of A and B by merging their weights on the hypersphere.",
    )
    p.add_argument("a", type=Path, metavar="A")
    p.add_argument("b", type=Path, metavar="B")
    p.add_argument(
        "--method", "-m", type=method_name, default="slerp", help=f"merge method: {', '.join(METHODS)} (default slerp)"
    )
    add_recipe_options(p)
    p.add_argument("--name", help="name of the child (default A_x_B_method)")
    p.add_argument("-o", "--out", type=Path, required=True, metavar="CHILD.pt")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    cli.add_force_option(p)
    cli.add_trust_option(p)
    p.set_defaults(handler=cmd_breed)

    s = subparsers.add_parser(
        "scan",
        help="bpc along the slerp path from A to B, and the loss barrier",
        description="Score slerp children along A -> B on held-out data chosen for the pair (the union of their "
        "classes, stratified, from their training corpus's val split unless told otherwise): tells one basin from "
        "two before you breed. Barrier = max over t of bpc(t) - ((1-t) bpc(A) + t bpc(B)).",
    )
    s.add_argument("a", type=Path, metavar="A")
    s.add_argument("b", type=Path, metavar="B")
    add_data_options(s, required=False)
    s.add_argument("--points", type=int, default=9, help="points along the path (default 9)")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    cli.add_device_option(s)
    cli.add_trust_option(s)
    s.set_defaults(handler=cmd_scan)


def add_recipe_options(parser: argparse.ArgumentParser) -> None:
    """One flag per option of the registered methods, each saying which methods take it."""
    for option, methods in all_options().values():
        default = "" if option.default is None else f", default {option.default}"
        parser.add_argument(
            option.flag,
            dest=option.name,
            default=None,
            choices=option.choices,
            metavar=None if option.choices else option.name.upper(),
            help=f"{', '.join(methods)}: {option.help}{default}",
        )


def recipe_from_args(args: argparse.Namespace) -> BreedRecipe:
    """The recipe the flags give; a flag the chosen method does not take is an error."""
    given = {
        name: option.parse(getattr(args, name))
        for name, (option, _) in all_options().items()
        if getattr(args, name, None) is not None
    }
    takes = [option.name for option in METHODS[args.method].options]
    for name in given:
        if name not in takes:
            flags = ", ".join("--" + n.replace("_", "-") for n in takes) or "no options"
            raise StudioError(f"--{name.replace('_', '-')} is not an option of {args.method} (it takes {flags})")
    recipe = BreedRecipe(args.method, **given)
    recipe.validate()
    return recipe


def method_name(text: str) -> str:
    """A registered merge method; a mistyped one is one sentence naming the choices."""
    if text in METHODS:
        return text
    names = list(METHODS)
    raise argparse.ArgumentTypeError(f"{text!r} is not a merge method; choose {', '.join(names[:-1])} or {names[-1]}")


def cmd_breed(args: argparse.Namespace) -> None:
    recipe = recipe_from_args(args)
    cli.refuse_output_onto_input(args.out, [args.a, args.b], args.force)
    a = load_checkpoint(args.a, trust=args.trust)
    b = load_checkpoint(args.b, trust=args.trust)
    child = breed(a, b, recipe, name=args.name)  # raises before anything is written
    note = framing_note(a, b)
    path = save_checkpoint(child, args.out)
    result = {
        "child": str(path),
        "method": recipe.method,
        "params": recipe.to_dict(),
        "parents": child.lineage["parents"],
        "vocab_size": len(child.vocab),
    }
    if note:
        result["note"] = note
    if args.json:
        cli.emit_json(result)
    else:
        print(f"bred {child.name} ({recipe.method}) -> {path}  [{len(child.vocab)} chars]")
        if note:
            print(cli.terminal_safe(note))


def cmd_scan(args: argparse.Namespace) -> None:
    from studio.train.heldout import heldout_for

    a = load_checkpoint(args.a, trust=args.trust)
    b = load_checkpoint(args.b, trust=args.trust)
    heldout = heldout_for(
        [a, b],
        args.split,
        corpus=args.corpus,
        text=args.text,
        classes=args.classes,
        chars_per_class=args.chars_per_class,
        seed=args.data_seed,
    )
    show = cli.progress_printer(not args.json)
    result = scan_path(
        a,
        b,
        heldout,
        points=args.points,
        context=args.context,
        stride=args.stride,
        device=pick_device(args.device),
        skip_unknown=args.skip_unknown,
        progress=lambda i, n: show(f"scanning {i}/{n}"),
    )
    if args.json:
        cli.emit_json(result.to_dict())
        return
    cli.clear_progress()
    barrier = result.barrier
    start, end = barrier.bpc[0], barrier.bpc[-1]
    print(f"{'t':>6}  {'bpc':>8}  {'line':>8}  {'excess':>8}")
    for t, bpc in result.points:
        line = (1 - t) * start + t * end
        print(f"{t:>6.3f}  {bpc:>8.4f}  {line:>8.4f}  {bpc - line:>+8.4f}")
    mid = f"; midpoint excess {barrier.midpoint_excess:+.4f}" if barrier.midpoint_excess is not None else ""
    print(f"barrier {barrier.interval.text(4, signed=True)} bpc at t={barrier.at:.3f}{mid}: {barrier.verdict}")
    print(
        f"measured on {result.data.describe()}; context {result.context} ({result.context_note}), "
        f"stride {result.stride}"
    )
