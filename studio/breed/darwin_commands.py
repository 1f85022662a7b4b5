"""CLI for Darwin breeding: ``darwascii darwin``, and the options and data the Darwin
experiment (``studio.lab.darwin_experiment``) shares with it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from studio import cliutil, limits
from studio.breed.commands import add_align_options, aligned_b
from studio.breed.darwin import DarwinProgress, DarwinSettings, Evolution, save_log
from studio.errors import StudioError
from studio.model.checkpoint import ArtistCheckpoint, load_checkpoint, shared_ancestor
from studio.model.engine import pick_device
from studio.model.judge import HeldOut
from studio.model.vigor import VigorReport
from studio.train.commands import add_data_options
from studio.train.heldout import heldout_for


def register(subparsers) -> None:
    darwin = subparsers.add_parser(
        "darwin",
        help="evolve children of two parents (no gradients)",
        description="Breed a population of children from A and B, keep the fittest (lowest bpc on the val split of "
        "held-out data chosen for the pair), breed again; report the champion against the parents on the test split.",
    )
    darwin.add_argument("a", type=Path, metavar="A")
    darwin.add_argument("b", type=Path, metavar="B")
    add_data_options(darwin, required=False, with_split=False)
    darwin.add_argument("--data", type=Path, dest="text", help=argparse.SUPPRESS)  # the old name of --text
    darwin.add_argument(
        "--ancestor",
        type=Path,
        help="the parents' shared ancestor, to report vigor against "
        "(default: found from the parents' lineage when its file is at hand)",
    )
    add_evolution_options(darwin)
    darwin.add_argument(
        "-o", "--out", type=Path, required=True, metavar="OUTDIR", help="folder for darwin_log.json and champion.pt"
    )
    add_align_options(darwin)
    darwin.add_argument("--json", action="store_true", help="print the log as one JSON object")
    cliutil.add_force_option(darwin)
    cliutil.add_device_option(darwin)
    cliutil.add_trust_option(darwin)
    darwin.set_defaults(handler=cmd_darwin)


def add_evolution_options(parser: argparse.ArgumentParser, seed: bool = True) -> None:
    defaults = DarwinSettings()
    parser.add_argument(
        "--population",
        type=cliutil.bounded_int("--population", 2, limits.MAX_POPULATION, "each child is built and scored"),
        default=defaults.population,
        help=f"children per generation (default {defaults.population}, at most {limits.MAX_POPULATION})",
    )
    parser.add_argument(
        "--generations",
        type=cliutil.bounded_int("--generations", 1, limits.MAX_GENERATIONS),
        default=defaults.generations,
        help=f"generations (default {defaults.generations}, at most {limits.MAX_GENERATIONS:,})",
    )
    parser.add_argument(
        "--elite",
        type=cliutil.bounded_int("--elite", 1, limits.MAX_POPULATION - 1),
        default=None,
        help="survivors per generation (default: a quarter of the population)",
    )
    parser.add_argument(
        "--mutation",
        type=float,
        default=defaults.mutation,
        help=f"spread of t in new recipes (default {defaults.mutation})",
    )
    if seed:
        parser.add_argument("--seed", type=cliutil.seed_type(), default=0, help="seed of the evolution (default 0)")
    parser.add_argument(
        "--racing",
        action=argparse.BooleanOptionalAction,
        default=defaults.racing,
        help="score children on growing stratified slices of the fitness data and keep the best "
        f"{defaults.race_keep:g} at each rung; only finalists see all of it (default: "
        f"{'on' if defaults.racing else 'off'})",
    )
    parser.add_argument(
        "--executor",
        choices=("local", "ray"),
        default="local",
        help="where children are built and scored: here (default), or as Ray tasks "
        "(pip install darwascii-studio[cluster])",
    )
    parser.add_argument(
        "--address",
        default=None,
        metavar="ADDR",
        help="with --executor ray: the Ray cluster to join (e.g. ray://head:10001 or auto; default: start a local Ray)",
    )


def settings_from_args(args: argparse.Namespace, seed: int | None = None) -> DarwinSettings:
    settings = DarwinSettings(
        population=args.population,
        generations=args.generations,
        elite=args.elite,
        mutation=args.mutation,
        seed=args.seed if seed is None else seed,
        context=getattr(args, "context", None),
        stride=getattr(args, "stride", None),
        skip_unknown=getattr(args, "skip_unknown", False),
        racing=args.racing,
    )
    settings.validate()
    return settings


def executor_from_args(args: argparse.Namespace):
    """None (build and score here) or a Ray executor; Ray is imported only when asked for."""
    if getattr(args, "executor", "local") != "ray":
        if getattr(args, "address", None):
            raise StudioError("--address names a Ray cluster; pass it with --executor ray")
        return None
    from studio.breed.cluster import RayExecutor

    return RayExecutor(address=args.address)


def progress_reporter(enabled: bool, prefix: str = ""):
    show = cliutil.progress_printer(enabled)

    def report(p: DarwinProgress) -> None:
        best = f", best {p.best_bpc:.4f} bpc" if p.best_bpc is not None else ""
        show(f"{prefix}{p.message}: {p.scored}/{p.total} children{best}")

    return report


def pair_data(a: ArtistCheckpoint, b: ArtistCheckpoint, args: argparse.Namespace) -> tuple[HeldOut, HeldOut | None]:
    """(fitness, report) data for a pair: the val and test splits of the union of their
    classes, stratified; a text file is fitness data only."""
    options = dict(
        corpus=getattr(args, "corpus", None),
        classes=getattr(args, "classes", None),
        chars_per_class=getattr(args, "chars_per_class", None),
        seed=getattr(args, "data_seed", 0),
    )
    text = getattr(args, "text", None)
    if text is not None and text.suffix.lower() not in (".jsonl", ".json", ".parquet"):
        return heldout_for([a, b], "val", text=text), None
    if text is not None:
        options["corpus"] = str(text)
    return heldout_for([a, b], "val", **options), heldout_for([a, b], "test", **options)


def cmd_darwin(args: argparse.Namespace) -> None:
    settings = settings_from_args(args)
    inputs = [args.a, args.b, args.ancestor, args.text]
    for written in (args.out / "champion.pt", args.out / "darwin_log.json"):
        cliutil.refuse_output_onto_input(written, inputs, args.force)
    a = load_checkpoint(args.a, trust=args.trust)
    b = load_checkpoint(args.b, trust=args.trust)
    fitness, report = pair_data(a, b, args)
    ancestor_path = args.ancestor or shared_ancestor(a, b)
    ancestor = load_checkpoint(ancestor_path, trust=args.trust) if ancestor_path else None
    b, alignment = aligned_b(args, a, b)  # after the ancestor is found: B's own lineage
    executor = executor_from_args(args)
    try:
        evolution = Evolution(
            a,
            b,
            fitness,
            settings,
            report=report,
            ancestor=ancestor,
            device=pick_device(args.device),
            progress=progress_reporter(not args.json),
            executor=executor,
        )
        log = evolution.run()
    finally:
        if executor is not None:
            executor.close()
    args.out.mkdir(parents=True, exist_ok=True)
    # the genome rebuilds the champion only from B aligned: the log and the lineage say how
    aligned = {"align": {"b_to_a": True, **alignment.summary()}} if alignment is not None else {}
    log.update(aligned)
    champion_path = evolution.save_champion(args.out / "champion.pt", extra_params=aligned)
    log["champion"]["path"] = str(champion_path)
    log["reproduce"]["champion"] = evolution.reproduce_command(str(champion_path))
    save_log(log, args.out / "darwin_log.json")
    if args.json:
        cliutil.emit_json(log)
        return
    cliutil.clear_progress()
    print(format_report(log))
    print(
        f"\nlog: {args.out / 'darwin_log.json'}\nchampion: {champion_path}\nreproduce: {log['reproduce']['champion']}"
    )


def format_report(log: dict[str, Any]) -> str:
    """One Darwin run: the champion against every baseline, with intervals and provenance."""
    vigor = VigorReport.from_dict(log["report"]["vigor"])
    scoring = log["scoring"]
    data = scoring["report_data"]
    head = (
        f"champion {vigor.child_bpc:.4f} bpc, gen-0 child {log['report']['gen0_vigor']['child_bpc']:.4f} bpc "
        f"on {data['name']} {data['split']} ({len(data['classes'])} classes, {data['chars']:,} chars, stratified), "
        f"context {scoring['context']}, stride {scoring['stride']}"
    )
    return head + "\n" + vigor.text(child="champion")
