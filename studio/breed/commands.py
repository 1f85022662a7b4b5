"""CLI: ``darwascii breed`` and ``darwascii scan``."""

from __future__ import annotations

import argparse
from pathlib import Path

from studio import cliutil, limits
from studio.breed.align import DEFAULT_MAX_SWEEPS, align, aligned_checkpoint, record_alignment, stand_in
from studio.breed.methods import METHODS
from studio.breed.pair import copy_note, framing_note, prepare_pair
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
    add_align_options(p)
    p.add_argument("-o", "--out", type=Path, required=True, metavar="CHILD.pt")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    cliutil.add_force_option(p)
    cliutil.add_trust_option(p)
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
    s.add_argument(
        "--points",
        type=cliutil.bounded_int("--points", 2, limits.MAX_SCAN_POINTS, "each point scores all the data once"),
        default=9,
        help=f"points along the path (default 9, at most {limits.MAX_SCAN_POINTS})",
    )
    add_align_options(s)
    s.add_argument("--json", action="store_true", help="print one JSON object")
    cliutil.add_device_option(s)
    cliutil.add_trust_option(s)
    s.set_defaults(handler=cmd_scan)

    al = subparsers.add_parser(
        "align",
        help="permute B's heads and feed-forward units to match A (same function)",
        description="Re-basin: re-order parent B's attention heads and feed-forward units (optionally its residual "
        "stream) to best match A by weight matching, so that breeding pairs each unit with its counterpart. B's "
        "function is unchanged; the output's lineage names B and A and records the permutations.",
    )
    al.add_argument("a", type=Path, metavar="A", help="the reference parent")
    al.add_argument("b", type=Path, metavar="B", help="the parent to re-order")
    al.add_argument("--residual", action="store_true", help="also permute the residual stream (the model dimension)")
    al.add_argument(
        "--max-sweeps",
        type=cliutil.bounded_int("--max-sweeps", 1, limits.MAX_ALIGN_SWEEPS),
        default=DEFAULT_MAX_SWEEPS,
        help=f"most sweeps over the layers (at most {limits.MAX_ALIGN_SWEEPS:,})",
    )
    al.add_argument("--name", help="name of the aligned model (default B_aligned_to_A)")
    al.add_argument("-o", "--out", type=Path, required=True, metavar="B_ALIGNED.pt")
    al.add_argument("--json", action="store_true", help="print one JSON object")
    cliutil.add_force_option(al)
    cliutil.add_trust_option(al)
    al.set_defaults(handler=cmd_align)

    nr = subparsers.add_parser(
        "nursery-rebuild",
        help="rebuild a child of a nursery session from its log",
        description="The app's nursery writes only the children the user keeps; every other child lives in the "
        "session's log as a genome. This rebuilds one (e.g. g2#5: litter 2, child 5) from the parents the log "
        "names, checked by sha256.",
    )
    nr.add_argument("log", type=Path, metavar="LOG.json", help="the nursery session's log")
    nr.add_argument("child", metavar="gN#K", help="litter N, child K (as the nursery shows it)")
    nr.add_argument("--a", type=Path, help="parent A, if it is no longer where the log says")
    nr.add_argument("--b", type=Path, help="parent B, likewise")
    nr.add_argument("-o", "--out", type=Path, required=True, metavar="CHILD.pt")
    cliutil.add_force_option(nr)
    cliutil.add_trust_option(nr)
    nr.set_defaults(handler=cmd_nursery_rebuild)


def add_align_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--align", action="store_true", help="align B to A first (permute its heads and feed-forward units)"
    )
    parser.add_argument("--align-residual", action="store_true", help="with --align: also permute B's residual stream")


def aligned_b(args: argparse.Namespace, a, b):
    """(B, or B aligned to A when --align is given, and the Alignment or None)."""
    if getattr(args, "align_residual", False) and not getattr(args, "align", False):
        raise StudioError("--align-residual goes with --align")
    if not getattr(args, "align", False):
        return b, None
    alignment = align(a, b, residual=args.align_residual)
    return stand_in(b, alignment), alignment


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
    cliutil.refuse_output_onto_input(args.out, [args.a, args.b], args.force)
    a = load_checkpoint(args.a, trust=args.trust)
    b = load_checkpoint(args.b, trust=args.trust)
    b, alignment = aligned_b(args, a, b)
    pair = prepare_pair(a, b)
    child = pair.child(recipe, name=args.name)  # raises before anything is written
    note = framing_note(a, b)
    copied = pair.copy_of(child)
    if copied is not None:  # said, never silent: the user asked for a cross
        copy = copy_note(child, copied, a if copied == "A" else b, recipe)
        note = f"{note} {copy}" if note else copy
    if alignment is not None:
        child.lineage = record_alignment(child.lineage, alignment)
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
    if copied is not None:
        result["copy_of"] = copied
    if alignment is not None:
        result["align"] = {k: v for k, v in alignment.summary().items() if k != "permutations"}
    if args.json:
        cliutil.emit_json(result)
    else:
        print(f"bred {child.name} ({recipe.method}) -> {path}  [{len(child.vocab)} chars]")
        if note:
            print(cliutil.terminal_safe(note))


def cmd_scan(args: argparse.Namespace) -> None:
    from studio.train.heldout import heldout_for

    a = load_checkpoint(args.a, trust=args.trust)
    b = load_checkpoint(args.b, trust=args.trust)
    b, alignment = aligned_b(args, a, b)
    heldout = heldout_for(
        [a, b],
        args.split,
        corpus=args.corpus,
        text=args.text,
        classes=args.classes,
        chars_per_class=args.chars_per_class,
        seed=args.data_seed,
    )
    show = cliutil.progress_printer(not args.json)
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
        out = result.to_dict()
        if alignment is not None:
            out["align"] = {k: v for k, v in alignment.summary().items() if k != "permutations"}
        cliutil.emit_json(out)
        return
    cliutil.clear_progress()
    if alignment is not None:
        print(f"B aligned to A: {_align_text(alignment)}")
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


def _align_text(alignment) -> str:
    moved = alignment.permutations.moved()
    residual = f", {moved['residual_dims']} residual dims" if alignment.permutations.residual is not None else ""
    depth = len(alignment.permutations.heads)
    heads = (
        f"{moved['heads'] // depth} heads in every layer (one permutation: the value residual ties them)"
        if alignment.head_permutation == "global"
        else f"{moved['heads']} heads over {depth} layers"
    )
    return (
        f"{heads}, {moved['ff_units']} feed-forward units{residual} "
        f"moved; mean cosine of matching unit vectors {alignment.cosine_before:.4f} -> {alignment.cosine_after:.4f} "
        f"({alignment.sweeps} sweeps{'' if alignment.converged else ', not converged'})"
    )


def cmd_align(args: argparse.Namespace) -> None:
    cliutil.refuse_output_onto_input(args.out, [args.a, args.b], args.force)
    a = load_checkpoint(args.a, trust=args.trust)
    b = load_checkpoint(args.b, trust=args.trust)
    alignment = align(a, b, residual=args.residual, max_sweeps=args.max_sweeps)
    aligned = aligned_checkpoint(a, b, alignment, name=args.name)
    path = save_checkpoint(aligned, args.out)
    if args.json:
        summary = alignment.summary()
        cliutil.emit_json({"aligned": str(path), "parents": aligned.lineage["parents"], **summary})
    else:
        print(f"aligned {b.name} to {a.name} -> {path}: {_align_text(alignment)}")


def cmd_nursery_rebuild(args: argparse.Namespace) -> None:
    from studio.breed.nursery import Nursery

    cliutil.refuse_output_onto_input(args.out, [args.log, args.a, args.b], args.force)
    given = [load_checkpoint(p, trust=args.trust) if p is not None else None for p in (args.a, args.b)]
    nursery = Nursery.from_log(args.log, *given, trust=args.trust)
    # the parents the log names (and children it kept) are inputs too, wherever they are
    named = [nursery.a.path, nursery.b.path] + [k.kept for lt in nursery.litters for k in lt.kids if k.kept]
    cliutil.refuse_output_onto_input(args.out, [Path(p) for p in named if p], args.force)
    child = nursery.finished_child(nursery.find(args.child))
    path = save_checkpoint(child, args.out)
    print(f"rebuilt {args.child} of {args.log} -> {path}")
