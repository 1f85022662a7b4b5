"""CLI for Darwin breeding: ``darwascii darwin`` and ``darwascii darwin-experiment``."""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

from studio import cli, limits
from studio.breed.commands import add_align_options, aligned_b
from studio.breed.darwin import DarwinProgress, DarwinSettings, Evolution, save_log
from studio.errors import StudioError
from studio.model.checkpoint import ArtistCheckpoint, load_checkpoint, shared_ancestor
from studio.model.engine import pick_device
from studio.model.judge import HeldOut, measure, paired_difference, score_pieces
from studio.train.commands import add_data_options
from studio.train.heldout import heldout_for

# The arms of the card's headline experiment, in the bundled family.
SHARED_ANCESTOR_PAIR = ("apehex/styleA/model.pt", "apehex/styleB/model.pt")
INDEPENDENT_PAIR = ("independent/indA/model.pt", "independent/indB/model.pt")
ANCESTOR = "ancestor/model.pt"
# "train instead of breed": the ancestor trained on the union for the forks' budget
TRAINED_CONTROL = "controls/ancestor-union/model.pt"


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
    darwin.add_argument("--ancestor", type=Path, help="the parents' shared ancestor, to report vigor against "
                        "(default: found from the parents' lineage when its file is at hand)")
    _add_evolution_options(darwin)
    darwin.add_argument("-o", "--out", type=Path, required=True, metavar="OUTDIR", help="folder for darwin_log.json and champion.pt")
    add_align_options(darwin)
    darwin.add_argument("--json", action="store_true", help="print the log as one JSON object")
    cli.add_force_option(darwin)
    cli.add_device_option(darwin)
    cli.add_trust_option(darwin)
    darwin.set_defaults(handler=cmd_darwin)

    experiment = subparsers.add_parser(
        "darwin-experiment",
        help="the card's headline: shared-ancestor vs independent parents, several seeds, with controls",
        description="Run Darwin breeding on the bundled shared-ancestor pair and the independent pair, replicated over "
        "retrained parents (training seeds) and search seeds, same data and budget; report mean ± sd with the controls "
        "(each parent on its own classes, the shared ancestor, the routed-parent oracle, the ancestor trained on the "
        "union instead of bred) and what racing changed against exhaustive scoring.",
    )
    experiment.add_argument("--family", type=Path, default=None, help="folder of the bundled family (default: the bundled checkpoints/)")
    experiment.add_argument("--corpus", default="builtin", help="built-in corpus: fitness on its val split, report on its test split (default builtin)")
    experiment.add_argument("--seeds", type=cli.bounded_int("--seeds", 1, limits.MAX_EXPERIMENT_SEEDS), default=1,
                            help=f"Darwin (search) seeds per pair (default 1, at most {limits.MAX_EXPERIMENT_SEEDS})")
    experiment.add_argument("--replicates", type=cli.bounded_int("--replicates", 1, 10), default=3,
                            help="training seeds: the bundled pairs and their forks/independents retrained with other "
                            "seeds (trained when missing, about 15 minutes each on 2 CPU cores; default 3)")
    experiment.add_argument("--compare-racing", action=argparse.BooleanOptionalAction, default=True,
                            help="run each pair's first search seed exhaustively too, to report whether racing crowned "
                            "the same champion (default on)")
    _add_evolution_options(experiment, seed=False)
    experiment.add_argument("-o", "--out", type=Path, default=None, metavar="OUTDIR", help="write the logs here")
    experiment.add_argument("--json", action="store_true", help="print one JSON object")
    cli.add_device_option(experiment)
    cli.add_trust_option(experiment)
    experiment.set_defaults(handler=cmd_experiment)


def _add_evolution_options(parser: argparse.ArgumentParser, seed: bool = True) -> None:
    defaults = DarwinSettings()
    parser.add_argument("--population", type=cli.bounded_int("--population", 2, limits.MAX_POPULATION,
                                                             "each child is built and scored"),
                        default=defaults.population,
                        help=f"children per generation (default {defaults.population}, at most {limits.MAX_POPULATION})")
    parser.add_argument("--generations", type=cli.bounded_int("--generations", 1, limits.MAX_GENERATIONS),
                        default=defaults.generations,
                        help=f"generations (default {defaults.generations}, at most {limits.MAX_GENERATIONS:,})")
    parser.add_argument("--elite", type=cli.bounded_int("--elite", 1, limits.MAX_POPULATION - 1), default=None,
                        help="survivors per generation (default: a quarter of the population)")
    parser.add_argument("--mutation", type=float, default=defaults.mutation, help=f"spread of t in new recipes (default {defaults.mutation})")
    if seed:
        parser.add_argument("--seed", type=cli.seed_type(), default=0, help="seed of the evolution (default 0)")
    parser.add_argument("--racing", action=argparse.BooleanOptionalAction, default=defaults.racing,
                        help="score children on growing stratified slices of the fitness data and keep the best "
                        f"{defaults.race_keep:g} at each rung; only finalists see all of it (default: "
                        f"{'on' if defaults.racing else 'off'})")
    parser.add_argument("--executor", choices=("local", "ray"), default="local",
                        help="where children are built and scored: here (default), or as Ray tasks "
                        "(pip install darwascii-studio[cluster])")
    parser.add_argument("--address", default=None, metavar="ADDR",
                        help="with --executor ray: the Ray cluster to join (e.g. ray://head:10001 or auto; "
                        "default: start a local Ray)")


def _settings(args: argparse.Namespace, seed: int | None = None) -> DarwinSettings:
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


def _executor(args: argparse.Namespace):
    """None (build and score here) or a Ray executor; Ray is imported only when asked for."""
    if getattr(args, "executor", "local") != "ray":
        if getattr(args, "address", None):
            raise StudioError("--address names a Ray cluster; pass it with --executor ray")
        return None
    from studio.breed.cluster import RayExecutor

    return RayExecutor(address=args.address)


def _progress(enabled: bool, prefix: str = ""):
    show = cli.progress_printer(enabled)

    def report(p: DarwinProgress) -> None:
        best = f", best {p.best_bpc:.4f} bpc" if p.best_bpc is not None else ""
        show(f"{prefix}{p.message}: {p.scored}/{p.total} children{best}")

    return report


def pair_data(a: ArtistCheckpoint, b: ArtistCheckpoint, args: argparse.Namespace) -> tuple[HeldOut, HeldOut | None]:
    """(fitness, report) data for a pair: the val and test splits of the union of their
    classes, stratified; a text file is fitness data only."""
    options = dict(corpus=getattr(args, "corpus", None), classes=getattr(args, "classes", None),
                   chars_per_class=getattr(args, "chars_per_class", None), seed=getattr(args, "data_seed", 0))
    text = getattr(args, "text", None)
    if text is not None and text.suffix.lower() not in (".jsonl", ".json", ".parquet"):
        return heldout_for([a, b], "val", text=text), None
    if text is not None:
        options["corpus"] = str(text)
    return heldout_for([a, b], "val", **options), heldout_for([a, b], "test", **options)


def cmd_darwin(args: argparse.Namespace) -> None:
    settings = _settings(args)
    inputs = [args.a, args.b, args.ancestor, args.text]
    for written in (args.out / "champion.pt", args.out / "darwin_log.json"):
        cli.refuse_output_onto_input(written, inputs, args.force)
    a = load_checkpoint(args.a, trust=args.trust)
    b = load_checkpoint(args.b, trust=args.trust)
    fitness, report = pair_data(a, b, args)
    ancestor_path = args.ancestor or shared_ancestor(a, b)
    ancestor = load_checkpoint(ancestor_path, trust=args.trust) if ancestor_path else None
    b, alignment = aligned_b(args, a, b)  # after the ancestor is found: B's own lineage
    executor = _executor(args)
    try:
        evolution = Evolution(a, b, fitness, settings, report=report, ancestor=ancestor, device=pick_device(args.device),
                              progress=_progress(not args.json), executor=executor)
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
        cli.emit_json(log)
        return
    cli.clear_progress()
    print(format_report(log))
    print(f"\nlog: {args.out / 'darwin_log.json'}\nchampion: {champion_path}\nreproduce: {log['reproduce']['champion']}")


def _vs(entry: dict[str, Any]) -> str:
    return f"{entry['value']:+.4f} [{entry['low']:+.4f}, {entry['high']:+.4f}]"


def format_report(log: dict[str, Any]) -> str:
    """One Darwin run: the champion against every baseline, with intervals and provenance."""
    vigor = log["report"]["vigor"]
    scoring = log["scoring"]
    data = scoring["report_data"]
    lines = [
        f"champion {vigor['child_bpc']:.4f} bpc, gen-0 child {log['report']['gen0_vigor']['child_bpc']:.4f} bpc "
        f"on {data['name']} {data['split']} ({len(data['classes'])} classes, {data['chars']:,} chars, stratified), "
        f"context {scoring['context']}, stride {scoring['stride']}",
        "vigor = baseline - champion (positive: the champion is better), 95% paired per-piece bootstrap interval:",
        f"  best parent {vigor['best_parent']['name']:<14} {vigor['best_parent']['baseline_bpc']:.4f}  {_vs(vigor['best_parent'])}"
        f"  {'positive' if vigor['best_parent']['positive'] else 'not positive'}",
    ]
    for name, entry in vigor.get("own_classes", {}).items():
        lines.append(f"  {name} on its {len(entry['classes'])} classes {entry['baseline_bpc']:.4f} vs {entry['child_bpc']:.4f}  {_vs(entry)}")
    if "ancestor" in vigor:
        lines.append(f"  ancestor {vigor['ancestor']['name']:<16} {vigor['ancestor']['baseline_bpc']:.4f}  {_vs(vigor['ancestor'])}")
    if "routed_oracle" in vigor:
        lines.append(f"  routed-parent oracle    {vigor['routed_oracle']['baseline_bpc']:.4f}  {_vs(vigor['routed_oracle'])}")
    return "\n".join(lines)


def bundled_family() -> Path:
    from studio.library import bundled_checkpoints_dir

    folder = bundled_checkpoints_dir()
    if folder is None:
        raise StudioError("the bundled checkpoints/ folder is missing from this installation; pass --family")
    return folder


def _mean_sd(values: list[float]) -> dict[str, float]:
    return {"mean": round(statistics.fmean(values), 6), "sd": round(statistics.stdev(values), 6) if len(values) > 1 else 0.0,
            "values": [round(v, 6) for v in values]}


def replicate_family(family: Path, replicates: int, where: Path | None = None) -> dict[int, Path]:
    """training seed index -> the folder that holds that replicate's pairs (the same layout
    as the family: apehex/styleA, independent/indA, ...). Replicate 0 is the family itself;
    the others are the forks and independents trained again with other seeds
    (``studio.train.family``, ``replicates/seedK/``), trained here when missing, beside the
    family when it is writable, else in the user cache folder (never in the install)."""
    folders = {0: family}
    if replicates <= 1:
        return folders
    needed = [k for k in range(1, replicates) if not all(
        (family / f"replicates/seed{k}" / path).exists() for path in (*SHARED_ANCESTOR_PAIR, *INDEPENDENT_PAIR))]
    root = family
    if needed:
        import os
        import shutil

        from studio.identity import cache_dir
        from studio.train.family import build_family

        if not os.access(family, os.W_OK):
            root = where or (cache_dir() / "replicates")
            (root / "ancestor").mkdir(parents=True, exist_ok=True)
            if not (root / ANCESTOR).exists():
                shutil.copyfile(family / ANCESTOR, root / ANCESTOR)
        print(f"training replicates {needed} of the forks and independents into {root / 'replicates'}", file=sys.stderr)
        build_family("builtin", root, size="small", device="cpu", replicates=replicates,
                     only=[f"replicates/seed{k}/" for k in needed], readmes=False)
    for k in range(1, replicates):
        folders[k] = root / f"replicates/seed{k}"
    return folders


def cmd_experiment(args: argparse.Namespace) -> None:
    family = args.family or bundled_family()
    device = pick_device(args.device)
    trained = family / TRAINED_CONTROL
    folders = replicate_family(family, args.replicates)
    arms = [
        ("independent inits", "different basins", INDEPENDENT_PAIR, None),
        ("shared ancestor", "same basin", SHARED_ANCESTOR_PAIR, family / ANCESTOR),
    ]
    summary: dict[str, Any] = {"corpus": args.corpus, "seeds": list(range(args.seeds)),
                               "training_seeds": list(range(args.replicates)), "arms": {}}
    executor = _executor(args)
    try:
        _run_arms(args, folders, device, trained, arms, summary, executor)
    finally:
        if executor is not None:
            executor.close()
    if args.out:
        save_log(summary, args.out / "summary.json")
    if args.json:
        cli.emit_json(summary)
        return
    cli.clear_progress()
    print(format_experiment(summary))


def _run_arms(args, folders, device, trained, arms, summary, executor) -> None:
    from dataclasses import replace as with_changes

    for origin, basin, (path_a, path_b), ancestor_path in arms:
        stem = "shared" if origin == "shared ancestor" else "independent"
        ancestor = load_checkpoint(ancestor_path, trust=args.trust) if ancestor_path and ancestor_path.exists() else None
        logs, replicates, racing = [], [], []
        for k, folder in folders.items():
            a = load_checkpoint(folder / path_a, trust=args.trust)
            b = load_checkpoint(folder / path_b, trust=args.trust)
            data_args = argparse.Namespace(corpus=args.corpus, classes=None, chars_per_class=None, data_seed=0, text=None)
            fitness, report = pair_data(a, b, data_args)
            replicate_logs = []
            for seed in range(args.seeds):
                settings = _settings(args, seed=seed)
                tag = f"[{origin}, training seed {k}, search seed {seed}] "
                evolution = Evolution(a, b, fitness, settings, report=report, ancestor=ancestor, device=device,
                                      progress=_progress(not args.json, tag), executor=executor)
                log = evolution.run()
                log["arm"] = {"origin": origin, "basin": basin, "corpus": args.corpus, "seed": seed,
                              "training_seed": k, "parents": [str(folder / path_a), str(folder / path_b)]}
                replicate_logs.append(log)
                if args.out:
                    args.out.mkdir(parents=True, exist_ok=True)
                    if seed == 0 and k == 0:  # one champion per arm is kept as a file; every run's log is kept
                        champion = evolution.save_champion(args.out / f"champion_{stem}.pt")
                        log["champion"]["path"] = champion.name
                        log["reproduce"]["champion"] = evolution.reproduce_command(str(args.out / champion.name))
                    save_log(log, args.out / f"darwin_log_{stem}_train{k}_seed{seed}.json")
                if args.compare_racing and settings.racing and seed == 0:
                    # the same run scored exhaustively: does racing crown the same child?
                    full = Evolution(a, b, fitness, with_changes(settings, racing=False), report=report,
                                     ancestor=ancestor, device=device,
                                     progress=_progress(not args.json, tag + "(exhaustive) "), executor=executor).run()
                    racing.append(_racing_versus_exhaustive(log, full, k))
            summary_k = _summarize_arm(replicate_logs)
            summary_k["pair"] = [a.name, b.name]
            summary_k["training_seed"] = k
            replicates.append(summary_k)
            logs += replicate_logs
        arm = _summarize_arm(logs)
        arm["pair"] = [a.name, b.name]
        arm["basin"] = basin
        arm["replicates"] = replicates
        if racing:
            arm["racing_vs_exhaustive"] = racing
        if trained.exists() and origin == "shared ancestor":
            first = [log for log in logs if log["arm"]["training_seed"] == 0]
            a0 = load_checkpoint(folders[0] / path_a, trust=args.trust)
            b0 = load_checkpoint(folders[0] / path_b, trust=args.trust)
            report0 = pair_data(a0, b0, argparse.Namespace(corpus=args.corpus, classes=None, chars_per_class=None,
                                                           data_seed=0, text=None))[1]
            arm["trained_control"] = _trained_control(trained, first, report0, args.trust, device, a0, b0)
        summary["arms"][origin] = arm


def _racing_versus_exhaustive(raced: dict[str, Any], full: dict[str, Any], training_seed: int) -> dict[str, Any]:
    """What racing changed in one run: the champion, its fitness and its report figure."""
    r, f = raced["champion"], full["champion"]
    r_test = raced["report"]["measurements"]["champion"]
    f_test = full["report"]["measurements"]["champion"]
    interval = f_test["interval"]
    return {
        "training_seed": training_seed,
        "same_champion": r["genome"] == f["genome"],
        "fitness": {"racing": r["bpc"], "exhaustive": f["bpc"]},
        "test_bpc": {"racing": r_test["bpc"], "exhaustive": f_test["bpc"]},
        "racing_within_exhaustive_interval": interval["low"] <= r_test["bpc"] <= interval["high"],
        "forward_chars": {"racing": raced["fitness_forward_chars"], "exhaustive": full["fitness_forward_chars"]},
    }


def _summarize_arm(logs: list[dict[str, Any]]) -> dict[str, Any]:
    first = logs[0]
    vigor = [log["report"]["vigor"] for log in logs]
    arm: dict[str, Any] = {
        "data": first["scoring"]["report_data"],
        "context": first["scoring"]["context"],
        "stride": first["scoring"]["stride"],
        "parents": first["report"]["vigor"]["parents"],
        "gen0_child": vigor and first["report"]["gen0_vigor"]["child_bpc"],
        "gen0_vs_best_parent": {k: first["report"]["gen0_vigor"]["best_parent"][k] for k in ("value", "low", "high", "positive")},
        "champion": _mean_sd([v["child_bpc"] for v in vigor]),
        "vigor_best_parent": _mean_sd([v["best_parent"]["value"] for v in vigor]),
        "positive_runs": sum(v["best_parent"]["positive"] for v in vigor),
        "intervals_best_parent": [[v["best_parent"]["low"], v["best_parent"]["high"]] for v in vigor],
        "best_parent": first["report"]["vigor"]["best_parent"]["name"],
        "best_parent_bpc": first["report"]["vigor"]["best_parent"]["baseline_bpc"],
    }
    own = {}
    for name in first["report"]["vigor"].get("own_classes", {}):
        own[name] = {"baseline_bpc": first["report"]["vigor"]["own_classes"][name]["baseline_bpc"],
                     "champion_bpc": _mean_sd([v["own_classes"][name]["child_bpc"] for v in vigor]),
                     "vigor": _mean_sd([v["own_classes"][name]["value"] for v in vigor]),
                     "positive_runs": sum(v["own_classes"][name]["positive"] for v in vigor),
                     "negative_runs": sum(v["own_classes"][name]["high"] < 0 for v in vigor)}
    arm["own_classes"] = own
    for key in ("ancestor", "routed_oracle"):
        if key in first["report"]["vigor"]:
            arm[key] = {"baseline_bpc": first["report"]["vigor"][key]["baseline_bpc"],
                        "vigor": _mean_sd([v[key]["value"] for v in vigor]),
                        "positive_runs": sum(v[key]["positive"] for v in vigor),
                        "negative_runs": sum(v[key]["high"] < 0 for v in vigor)}
    return arm


def _trained_control(path: Path, logs, report: HeldOut, trust: bool, device, a, b) -> dict[str, Any]:
    """The ancestor trained on the union for the forks' budget, against the best champion."""
    from studio.model.engine import Engine

    control = load_checkpoint(path, trust=trust)
    measurement, control_scores = measure(control, report, device=device)
    best = min(logs, key=lambda log: log["report"]["vigor"]["child_bpc"])
    # rebuild the best champion from its genome to pair its per-piece scores with the control's
    settings = DarwinSettings(**{k: v for k, v in best["settings"].items() if k in DarwinSettings.__dataclass_fields__})
    rebuild = Evolution(a, b, report, settings, device=device)
    champion = rebuild.build(best["champion"]["genome"], {})
    engine = Engine.from_checkpoint(champion, device=device)
    champion_scores = score_pieces(engine.forward, champion.vocab, report, context=control_scores.context,
                                   stride=control_scores.stride, skip_unknown=settings.skip_unknown, device=device)
    diff = paired_difference(control_scores, champion_scores)
    return {"name": control.name, "bpc": round(measurement.bpc, 6),
            "interval": measurement.interval.to_dict() if measurement.interval else None,
            "best_champion_seed": best["settings"]["seed"],
            "control_minus_champion": diff.to_dict(),
            "about": "the ancestor trained on all classes for 500 steps (styleA's + styleB's fork budget): train instead of breed"}


def format_experiment(summary: dict[str, Any]) -> str:
    header = f"{'Parents':<20} {'Origin':<18} {'Gen-0 child':>11} {'Champion (mean ± sd)':>21} {'Best parent':>11}  Vigor vs best parent"
    lines = [header, "-" * len(header)]
    for origin, arm in summary["arms"].items():
        champ = arm["champion"]
        vig = arm["vigor_best_parent"]
        runs = len(vig["values"])
        lines.append(
            f"{' x '.join(arm['pair']):<20} {origin:<18} {arm['gen0_child']:>11.4f} {champ['mean']:>12.4f} ± {champ['sd']:.4f} "
            f"{arm['best_parent_bpc']:>11.4f}  {vig['mean']:+.4f} ± {vig['sd']:.4f} ({arm['positive_runs']}/{runs} runs positive)"
        )
    lines.append("")
    for origin, arm in summary["arms"].items():
        if len(arm.get("replicates", [])) > 1:
            lines.append(f"{origin}, by training seed (retrained parents):")
            for rep in arm["replicates"]:
                parents = ", ".join(f"{name} {bpc:.4f}" for name, bpc in rep["parents"].items())
                lines.append(
                    f"  training seed {rep['training_seed']}: parents {parents}; gen-0 child {rep['gen0_child']:.4f}; "
                    f"champion {rep['champion']['mean']:.4f}; vigor vs best parent {rep['vigor_best_parent']['mean']:+.4f} "
                    f"({rep['positive_runs']}/{len(rep['vigor_best_parent']['values'])} positive)"
                )
        for race in arm.get("racing_vs_exhaustive", []):
            lines.append(
                f"  racing vs exhaustive (training seed {race['training_seed']}, search seed 0): "
                f"{'same champion' if race['same_champion'] else 'another champion'}; fitness (val) "
                f"{race['fitness']['racing']:.4f} vs {race['fitness']['exhaustive']:.4f}; test {race['test_bpc']['racing']:.4f}"
                f" vs {race['test_bpc']['exhaustive']:.4f}"
                f" ({'within' if race['racing_within_exhaustive_interval'] else 'outside'} the exhaustive champion's interval);"
                f" forward chars {race['forward_chars']['racing']:,} vs {race['forward_chars']['exhaustive']:,}"
            )
    lines.append("")
    for origin, arm in summary["arms"].items():
        lines.append(f"{origin}: controls (baseline - champion, mean ± sd over runs; positive: the champion is better)")
        for name, own in arm["own_classes"].items():
            lines.append(f"  {name} on its own classes: {own['baseline_bpc']:.4f} vs champion {own['champion_bpc']['mean']:.4f}: "
                         f"{own['vigor']['mean']:+.4f} ± {own['vigor']['sd']:.4f} ({own['positive_runs']}/{runs} positive, "
                         f"{own['negative_runs']}/{runs} worse beyond noise)")
        if "ancestor" in arm:
            anc = arm["ancestor"]
            lines.append(f"  shared ancestor {anc['baseline_bpc']:.4f}: {anc['vigor']['mean']:+.4f} ± {anc['vigor']['sd']:.4f} "
                         f"({anc['positive_runs']}/{runs} positive, {anc['negative_runs']}/{runs} worse beyond noise)")
        if "routed_oracle" in arm:
            orc = arm["routed_oracle"]
            lines.append(f"  routed-parent oracle {orc['baseline_bpc']:.4f}: {orc['vigor']['mean']:+.4f} ± {orc['vigor']['sd']:.4f} "
                         f"({orc['positive_runs']}/{runs} positive, {orc['negative_runs']}/{runs} worse beyond noise)")
        if "trained_control" in arm:
            tc = arm["trained_control"]
            d = tc["control_minus_champion"]
            lines.append(f"  trained instead of bred ({tc['name']}) {tc['bpc']:.4f}: control - best champion "
                         f"{d['value']:+.4f} [{d['low']:+.4f}, {d['high']:+.4f}]")
        data = arm["data"]
        lines.append(f"  measured on {data['name']} {data['split']}, {len(data['classes'])} classes, {data['chars']:,} chars "
                     f"(stratified), context {arm['context']}, stride {arm['stride']}")
    return "\n".join(lines)


# -- `darwascii bench darwin` (here: it needs the held-out data of studio.train) -------------------


def bench_darwin(report, quick: bool) -> None:
    """Darwin, exhaustive (the reference: every child on all the fitness data) vs racing
    (ours: successive halving on stratified slices), same seed, in one run.

    1. The bundled pair apehex/styleA x styleB on the builtin corpus (fitness: val,
       report: test), a full Darwin run each way; the racing champion is compared with
       the exhaustive champion's report figure and its 95% bootstrap interval.
    2. The issue's target case (not with --quick): one 16-child generation of 3.2M-param
       parents on 100k chars. The parents are a random card-sized "ancestor" plus small
       independent perturbations (5% of each tensor's spread), a cheap stand-in for two
       forks of one ancestor; the text is the builtin corpus's train split.
    """
    import torch

    from studio.bench import timed
    from studio.model.judge import heldout_from_text
    from studio.model.synthetic import CARD_ARTIST_CONFIG, random_checkpoint
    from studio.model.vocab import frame_piece
    from studio.shipped import shipped_dir
    from studio.train.corpus import split_pieces
    from studio.train.corpora import load_corpus

    import time

    started = time.perf_counter()
    family = shipped_dir("checkpoints")
    if family is not None and (family / "apehex/styleA/model.pt").exists():
        a = load_checkpoint(family / "apehex/styleA/model.pt")
        b = load_checkpoint(family / "apehex/styleB/model.pt")
        data_s, (fitness, test) = timed(lambda: (heldout_for([a, b], "val"), heldout_for([a, b], "test")))
        report.add("darwin: held-out val and test data of the pair (one corpus load)", data_s)
        population, generations = (8, 2) if quick else (16, 2)
        _darwin_pair(report, f"styleA x styleB, {population} x {generations} gens", a, b, fitness, test,
                     DarwinSettings(population=population, generations=generations, seed=0))
        report.note(f"darwin: the styleA x styleB suite took {time.perf_counter() - started:.1f} s in all "
                    "(data, warm-up run, the three timed runs)")
    else:
        report.note("darwin: the bundled checkpoints are not installed; the styleA x styleB comparison is skipped")
    if quick:
        return
    ancestor = random_checkpoint(**CARD_ARTIST_CONFIG, seed=0, name="ancestor")
    forks = []
    for seed, name in ((1, "forkA"), (2, "forkB")):
        fork = random_checkpoint(**CARD_ARTIST_CONFIG, seed=0, name=name)
        generator = torch.Generator().manual_seed(seed)
        fork.state_dict = {k: v + 0.05 * v.std(unbiased=False) * torch.randn(v.shape, generator=generator)
                           if v.is_floating_point() and v.numel() > 1 else v for k, v in ancestor.state_dict.items()}
        forks.append(fork)
    pieces = split_pieces(load_corpus("builtin").pieces)["train"]
    text = "".join(frame_piece(p.art, None, "unconditional") for p in pieces)
    text = "".join(c for c in text if c in set(ancestor.vocab.chars))
    fitness = heldout_from_text(text[:100_000], "builtin-train-100k")
    test = heldout_from_text(text[100_000:110_000], "builtin-train-next-10k")
    _darwin_pair(report, "3.2M-param forks, 16 children x 1 gen, 100k chars", *forks, fitness, test,
                 DarwinSettings(population=16, generations=1, seed=0, context=256))


def _darwin_pair(report, what: str, a, b, fitness, test, settings) -> None:
    """Exhaustive and racing, after one untimed warm-up run of the same pair and data (so
    both find the parents' scores and the CPU thread choice already made, as a second run
    in one process does); then racing once more with the memo of the parents' scores
    emptied, which is what the first run in a fresh process pays."""
    from dataclasses import replace

    from studio.bench import timed
    from studio.breed import darwin

    Evolution(a, b, fitness, replace(settings, population=2, generations=1), report=test).run()
    runs = {}
    for racing in (False, True):
        evolution = Evolution(a, b, fitness, replace(settings, racing=racing), report=test)
        seconds, log = timed(evolution.run)
        runs[racing] = (seconds, log)
    (slow, full), (fast, raced) = runs[False], runs[True]
    figure = full["report"]["measurements"]["champion"]
    ours = raced["report"]["measurements"]["champion"]["bpc"]
    interval = figure["interval"]
    same = full["champion"]["genome"] == raced["champion"]["genome"]
    within = interval["low"] <= ours <= interval["high"]
    generation = [g["forward_chars"] for g in full["generations"]], [g["forward_chars"] for g in raced["generations"]]
    report.add(
        f"darwin {what}: exhaustive vs racing",
        fast,
        slow,
        forward_chars=f"{full['fitness_forward_chars']:,} vs {raced['fitness_forward_chars']:,}",
        fewer_chars=f"{full['fitness_forward_chars'] / raced['fitness_forward_chars']:.1f}x",
        gen_chars_ratio="/".join(f"{x / y:.1f}x" for x, y in zip(*generation)),
        champion_test_bpc=f"{figure['bpc']:.4f} [{interval['low']:.4f}, {interval['high']:.4f}] vs {ours:.4f}",
        same_champion=same,
        within_interval=within,
    )
    darwin._REFERENCE_SCORES.clear()
    cold, log = timed(Evolution(a, b, fitness, replace(settings, racing=True), report=test).run)
    report.add(f"darwin {what}: racing, parents not yet scored in this process (ours only)", cold,
               same_log=_same_log(log, raced))
    report.note("darwin: exhaustive and racing rows ran after a warm-up run of the pair (parents' scores and the "
                "CPU thread choice kept in the process); the 'not yet scored' row is a first run's cost")


def _same_log(first: dict, second: dict) -> bool:
    return {k: v for k, v in first.items() if k != "elapsed_s"} == {k: v for k, v in second.items() if k != "elapsed_s"}


def bench_nursery(report, quick: bool) -> None:
    """One nursery litter of the bundled pair apehex/styleA x styleB: every child draws
    one piece (label Birds, seed 0, T 0.6, top-k 20, up to 400 chars) and is judged on
    the pair's val data. On CUDA the reference is eager decoding and ours the CUDA-graph
    decoder (the default for a piece); on the CPU there is one way, timed alone.
    """
    import time

    import torch

    from studio.bench import timed
    from studio.breed.nursery import Nursery
    from studio.breed.recipe import BreedRecipe
    from studio.model.art import SampleSettings
    from studio.shipped import shipped_dir

    family = shipped_dir("checkpoints")
    if family is None or not (family / "apehex/styleA/model.pt").exists():
        report.note("nursery: the bundled checkpoints are not installed; skipped")
        return
    a = load_checkpoint(family / "apehex/styleA/model.pt")
    b = load_checkpoint(family / "apehex/styleB/model.pt")
    size = 8  # the litter; --quick changes nothing here
    settings = SampleSettings(label="Birds", count=1, seed=0, temperature=0.6, top_k=20, max_chars=400)
    heldout = heldout_for([a, b], "val")

    def litter(device: str, eager: bool = False, judge_all: bool = True) -> tuple[float, float, list[str]]:
        nursery = Nursery(a, b, BreedRecipe("slerp", t=0.5), heldout=heldout)
        kids = nursery.first_litter(size=size, label="Birds").kids
        nursery.judge_data(device)  # the parents are scored once per session, not per litter
        sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

        def draw_all() -> None:
            for kid in kids:
                nursery.draw(kid, settings, device=device, static=False if eager else None)
            sync()

        def judge() -> None:
            if judge_all:
                nursery.judge_all(kids, device=device)
            else:
                for kid in kids:
                    nursery.judge(kid, device=device)
            sync()

        sync()
        draw_s, _ = timed(draw_all)
        judge_s, _ = timed(judge)
        return draw_s, judge_s, [k.piece for k in kids]

    def todays_judging() -> float:
        """A litter judged as before issue 23: one child after another, each with a freshly
        built nGPT module, the forward of then, PyTorch's thread setting, fresh bootstrap weights."""
        import os

        from studio.model.engine import Engine
        from studio.model.judge import _bootstrap_weights, measurement_of, score_pieces, vigor_report
        from studio.train.bench import todays_forward

        nursery = Nursery(a, b, BreedRecipe("slerp", t=0.5), heldout=heldout)
        kids = nursery.first_litter(size=size, label="Birds").kids
        judge = nursery.judge_data("cpu")
        for kid in kids:
            nursery.build(kid)
        os.environ["DARWASCII_CPU_THREADS"] = "fixed"
        start = time.perf_counter()
        try:
            for kid in kids:
                ckpt = nursery.build(kid)
                engine = Engine(ckpt.build_model())
                scores = score_pieces(lambda ids, engine=engine: todays_forward(engine, ids), ckpt.vocab,
                                      judge["heldout"], context=judge["context"], stride=judge["stride"])
                _bootstrap_weights.cache_clear()
                kid.measurement = measurement_of(scores, judge["heldout"], context_note=judge["note"]).to_dict()
                kid.vigor = vigor_report(scores, judge["parents"], judge["classes"])
        finally:
            del os.environ["DARWASCII_CPU_THREADS"]
        return time.perf_counter() - start

    draw_s, judge_s, cpu_pieces = litter("cpu")
    today_s = todays_judging()
    # alternate and keep the best of two: on shared cores the load swings within a minute
    one_by_one_s = litter("cpu", judge_all=False)[1]
    judge_s = min(judge_s, litter("cpu")[1])
    one_by_one_s = min(one_by_one_s, litter("cpu", judge_all=False)[1])
    report.add(f"nursery litter of {size} on the CPU: draw one piece each", draw_s)
    report.add(f"nursery litter of {size} on the CPU: judge (val, {heldout.identity.chars} chars), "
               "one by one vs one pass (both ours)", judge_s, one_by_one_s)
    report.add(f"nursery litter of {size} on the CPU: judge, today's path vs ours", judge_s, today_s)
    report.note("nursery: today's path = before issue 23: each child judged alone with a freshly built nGPT "
                "module, the forward of then at PyTorch's thread setting, bootstrap weights made per interval "
                "(the bootstrap's vectorisation is in both)")
    if not torch.cuda.is_available():
        report.note("nursery: CUDA not available: no eager-vs-graph rows")
        return
    litter("cuda")  # warm-up: CUDA context, kernels
    eager_draw, eager_judge, eager_pieces = litter("cuda", eager=True)
    draw_s, judge_s, pieces = litter("cuda")
    report.add(f"nursery litter of {size} on CUDA: draw one piece each, eager vs CUDA graph", draw_s, eager_draw)
    report.add(f"nursery litter of {size} on CUDA: judge each", judge_s, eager_judge)
    report.note(f"nursery: pieces equal to the CPU's: CUDA graph {sum(x == y for x, y in zip(pieces, cpu_pieces))}"
                f"/{size}, CUDA eager {sum(x == y for x, y in zip(eager_pieces, cpu_pieces))}/{size}")


# -- `darwascii bench eval` (here: the bundled artists' children need breeding and studio.train) -----


def bench_eval(report, quick: bool) -> None:
    """The judge's forward on a bundled dim-96 artist and a population of its children, then
    ``studio.train.bench.bench_eval``'s card-sized row (plain nGPT-pytorch vs ours)."""
    from studio.train import bench as train_bench

    _artist_rows(report, quick)
    train_bench.bench_eval(report, quick)


def _artist_rows(report, quick: bool) -> None:
    """The judge's forward on a bundled dim-96 artist (16 windows of its 128-char context),
    today's path vs ours; then eight children of the bundled pair, one by one vs together."""
    import os

    import torch

    from studio.breed.pair import prepare_pair
    from studio.breed.recipe import BreedRecipe
    from studio.model.checkpoint import load_checkpoint
    from studio.model.engine import Engine, Population
    from studio.model.scoring import CPU_THREADS
    from studio.shipped import shipped_dir
    from studio.train.bench import _batch, _best_of, todays_forward

    family = shipped_dir("checkpoints")
    if family is None or not (family / "apehex/styleA/model.pt").exists():
        report.note("eval: the bundled checkpoints are not installed; no dim-96 artist rows")
        return
    a = load_checkpoint(family / "apehex/styleA/model.pt")
    b = load_checkpoint(family / "apehex/styleB/model.pt")
    engine = Engine.from_checkpoint(a)
    ids = _batch(len(a.vocab), 16, 128)[:, :-1]
    chars = ids.numel()
    assert (todays_forward(engine, ids) - engine.forward(ids)).abs().max() < 1e-4
    runs = 3 if quick else 5
    threads = torch.get_num_threads()

    def ours():
        return CPU_THREADS.run(lambda: engine.forward(ids), chars)

    today_s, ours_s = _best_of(runs, lambda: todays_forward(engine, ids), ours)
    report.add(
        "judge forward, styleA (dim 96) 16x128: today's path vs ours",
        ours_s,
        today_s,
        chars_per_s=round(chars / ours_s),
        reference_chars_per_s=round(chars / today_s),
        ours_threads=CPU_THREADS.best() or threads,
    )
    # the rest at one thread for both sides: on shared cores two threads' timings swing tenfold
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    os.environ["DARWASCII_CPU_THREADS"] = "fixed"
    try:
        today_s, ours_s = _best_of(runs, lambda: todays_forward(engine, ids), ours)
        report.add(
            "judge forward, styleA, both at 1 thread: today's path vs ours",
            ours_s,
            today_s,
            chars_per_s=round(chars / ours_s),
            reference_chars_per_s=round(chars / today_s),
        )
        # a population: eight children of the pair, each forward alone vs one batched forward
        pair = prepare_pair(a, b)
        engines = [Engine.from_checkpoint(pair.child(BreedRecipe("slerp", t=i / 7))) for i in range(8)]
        population = Population(engines)
        ids = _batch(len(pair.vocab), 16, 128)[:, :-1]
        together = population.forward(ids)
        assert all(torch.equal(together[i], e.forward(ids)) for i, e in enumerate(engines))
        alone_s, together_s = _best_of(runs, lambda: [e.forward(ids) for e in engines], lambda: population.forward(ids))
        report.add(
            "judge forward, 8 children of styleA x styleB, 16x128, 1 thread: one by one vs one population",
            together_s,
            alone_s,
            chars_per_s=round(8 * chars / together_s),
        )
        if not quick:
            _compiled_row(report, engine, _batch(len(a.vocab), 16, 128)[:, :-1], runs)
    finally:
        del os.environ["DARWASCII_CPU_THREADS"]
        torch.set_num_threads(previous)
    report.note(
        f"eval: today's path = the judge's forward before issue 23 at PyTorch's {threads} threads; ours "
        "picks its CPU threads by timing its forwards (ours_threads: the count it chose)"
    )


def _compiled_row(report, engine, ids, runs: int) -> None:
    """Eager vs torch.compile'd forward (DARWASCII_COMPILE=1), the compile's warm-up apart."""
    from studio.bench import timed
    from studio.model.engine import Population
    from studio.train.bench import _best_of

    eager, compiled = Population([engine]), Population([engine]).compile()
    warm_s, got = timed(lambda: compiled.forward(ids))
    if compiled.compile_note:
        report.note(f"eval: no compiled row: {compiled.compile_note}")
        return
    assert (got - eager.forward(ids)).abs().max() < 1e-4
    eager_s, compiled_s = _best_of(runs, lambda: eager.forward(ids), lambda: compiled.forward(ids))
    chars = ids.numel()
    report.add(
        "judge forward, styleA, 1 thread: eager vs compiled (DARWASCII_COMPILE=1)",
        compiled_s,
        eager_s,
        chars_per_s=round(chars / compiled_s),
        first_call_with_compile_s=round(warm_s, 1),
        max_logit_diff=f"{(got - eager.forward(ids)).abs().max().item():.1e}",
    )
