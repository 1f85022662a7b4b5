"""``darwascii darwin-experiment``: the card's headline experiment.

Darwin breeding on the bundled shared-ancestor pair and the independent pair,
replicated over retrained parents (training seeds) and search seeds, with the same
data and budget; reported as mean ± sd beside the controls (each parent on its own
classes, the shared ancestor, the routed-parent oracle, the ancestor trained on the
union instead of bred) and what racing changed against exhaustive scoring.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

from studio import cliutil, limits
from studio.breed.darwin import DarwinSettings, Evolution, save_log
from studio.breed.darwin_commands import (
    add_evolution_options,
    executor_from_args,
    pair_data,
    progress_reporter,
    settings_from_args,
)
from studio.lab import bundled_family
from studio.model.checkpoint import load_checkpoint
from studio.model.engine import pick_device
from studio.model.facts import training_facts
from studio.model.judge import HeldOut, measure, paired_difference, score_pieces

# The arms of the card's headline experiment, in the bundled family.
SHARED_ANCESTOR_PAIR = ("apehex/styleA/model.pt", "apehex/styleB/model.pt")
INDEPENDENT_PAIR = ("independent/indA/model.pt", "independent/indB/model.pt")
ANCESTOR = "ancestor/model.pt"
# "train instead of breed": the ancestor trained on the union for the forks' budget
TRAINED_CONTROL = "controls/ancestor-union/model.pt"


def register(subparsers) -> None:
    experiment = subparsers.add_parser(
        "darwin-experiment",
        help="the card's headline: shared-ancestor vs independent parents, several seeds, with controls",
        description="Run Darwin breeding on the bundled shared-ancestor pair and the independent pair, replicated over "
        "retrained parents (training seeds) and search seeds, same data and budget; report mean ± sd with the controls "
        "(each parent on its own classes, the shared ancestor, the routed-parent oracle, the ancestor trained on the "
        "union instead of bred) and what racing changed against exhaustive scoring.",
    )
    experiment.add_argument(
        "--family", type=Path, default=None, help="folder of the bundled family (default: the bundled checkpoints/)"
    )
    experiment.add_argument(
        "--corpus",
        default="builtin",
        help="built-in corpus: fitness on its val split, report on its test split (default builtin)",
    )
    experiment.add_argument(
        "--seeds",
        type=cliutil.bounded_int("--seeds", 1, limits.MAX_EXPERIMENT_SEEDS),
        default=1,
        help=f"Darwin (search) seeds per pair (default 1, at most {limits.MAX_EXPERIMENT_SEEDS})",
    )
    experiment.add_argument(
        "--replicates",
        type=cliutil.bounded_int("--replicates", 1, 10),
        default=3,
        help="training seeds: the bundled pairs and their forks/independents retrained with other "
        "seeds (trained when missing, about 15 minutes each on 2 CPU cores; default 3)",
    )
    experiment.add_argument(
        "--compare-racing",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run each pair's first search seed exhaustively too, to report whether racing crowned "
        "the same champion (default on)",
    )
    add_evolution_options(experiment, seed=False)
    experiment.add_argument("-o", "--out", type=Path, default=None, metavar="OUTDIR", help="write the logs here")
    experiment.add_argument("--json", action="store_true", help="print one JSON object")
    cliutil.add_device_option(experiment)
    cliutil.add_trust_option(experiment)
    experiment.set_defaults(handler=cmd_experiment)


def _mean_sd(values: list[float]) -> dict[str, float]:
    return {
        "mean": round(statistics.fmean(values), 6),
        "sd": round(statistics.stdev(values), 6) if len(values) > 1 else 0.0,
        "values": [round(v, 6) for v in values],
    }


def replicate_family(family: Path, replicates: int, where: Path | None = None) -> dict[int, Path]:
    """training seed index -> the folder that holds that replicate's pairs (the same layout
    as the family: apehex/styleA, independent/indA, ...). Replicate 0 is the family itself;
    the others are the forks and independents trained again with other seeds
    (``studio.train.family``, ``replicates/seedK/``), trained here when missing, beside the
    family when it is writable, else in the user cache folder (never in the install)."""
    folders = {0: family}
    if replicates <= 1:
        return folders
    needed = [
        k
        for k in range(1, replicates)
        if not all(
            (family / f"replicates/seed{k}" / path).exists() for path in (*SHARED_ANCESTOR_PAIR, *INDEPENDENT_PAIR)
        )
    ]
    root = family
    if needed:
        import os
        import shutil

        from studio.identity import cache_dir
        from studio.train.family import build_family, steps_scale_of

        if not os.access(family, os.W_OK):
            root = where or (cache_dir() / "replicates")
            (root / "ancestor").mkdir(parents=True, exist_ok=True)
            if not (root / ANCESTOR).exists():
                shutil.copyfile(family / ANCESTOR, root / ANCESTOR)
        print(f"training replicates {needed} of the forks and independents into {root / 'replicates'}", file=sys.stderr)
        build_family(
            "builtin",
            root,
            size="small",
            device="cpu",
            steps_scale=steps_scale_of(family),  # the family's own budget, so replicates are comparable
            replicates=replicates,
            only=[f"replicates/seed{k}/" for k in needed],
            readmes=False,
        )
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
    summary: dict[str, Any] = {
        "corpus": args.corpus,
        "seeds": list(range(args.seeds)),
        "training_seeds": list(range(args.replicates)),
        "arms": {},
    }
    executor = executor_from_args(args)
    try:
        _run_arms(args, folders, device, trained, arms, summary, executor)
    finally:
        if executor is not None:
            executor.close()
    if args.out:
        save_log(summary, args.out / "summary.json")
    if args.json:
        cliutil.emit_json(summary)
        return
    cliutil.clear_progress()
    print(format_experiment(summary))


def _run_arms(args, folders, device, trained, arms, summary, executor) -> None:
    from dataclasses import replace as with_changes

    for origin, basin, (path_a, path_b), ancestor_path in arms:
        stem = "shared" if origin == "shared ancestor" else "independent"
        ancestor = (
            load_checkpoint(ancestor_path, trust=args.trust) if ancestor_path and ancestor_path.exists() else None
        )
        logs, replicates, racing = [], [], []
        for k, folder in folders.items():
            a = load_checkpoint(folder / path_a, trust=args.trust)
            b = load_checkpoint(folder / path_b, trust=args.trust)
            data_args = argparse.Namespace(
                corpus=args.corpus, classes=None, chars_per_class=None, data_seed=0, text=None
            )
            fitness, report = pair_data(a, b, data_args)
            replicate_logs = []
            for seed in range(args.seeds):
                settings = settings_from_args(args, seed=seed)
                tag = f"[{origin}, training seed {k}, search seed {seed}] "
                evolution = Evolution(
                    a,
                    b,
                    fitness,
                    settings,
                    report=report,
                    ancestor=ancestor,
                    device=device,
                    progress=progress_reporter(not args.json, tag),
                    executor=executor,
                )
                log = evolution.run()
                log["arm"] = {
                    "origin": origin,
                    "basin": basin,
                    "corpus": args.corpus,
                    "seed": seed,
                    "training_seed": k,
                    "parents": [str(folder / path_a), str(folder / path_b)],
                }
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
                    full = Evolution(
                        a,
                        b,
                        fitness,
                        with_changes(settings, racing=False),
                        report=report,
                        ancestor=ancestor,
                        device=device,
                        progress=progress_reporter(not args.json, tag + "(exhaustive) "),
                        executor=executor,
                    ).run()
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
            report0 = pair_data(
                a0,
                b0,
                argparse.Namespace(corpus=args.corpus, classes=None, chars_per_class=None, data_seed=0, text=None),
            )[1]
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
        "gen0_vs_best_parent": {
            k: first["report"]["gen0_vigor"]["best_parent"][k] for k in ("value", "low", "high", "positive")
        },
        "champion": _mean_sd([v["child_bpc"] for v in vigor]),
        "vigor_best_parent": _mean_sd([v["best_parent"]["value"] for v in vigor]),
        "positive_runs": sum(v["best_parent"]["positive"] for v in vigor),
        "intervals_best_parent": [[v["best_parent"]["low"], v["best_parent"]["high"]] for v in vigor],
        "best_parent": first["report"]["vigor"]["best_parent"]["name"],
        "best_parent_bpc": first["report"]["vigor"]["best_parent"]["baseline_bpc"],
    }
    own = {}
    for name in first["report"]["vigor"].get("own_classes", {}):
        own[name] = {
            "baseline_bpc": first["report"]["vigor"]["own_classes"][name]["baseline_bpc"],
            "champion_bpc": _mean_sd([v["own_classes"][name]["child_bpc"] for v in vigor]),
            "vigor": _mean_sd([v["own_classes"][name]["value"] for v in vigor]),
            "positive_runs": sum(v["own_classes"][name]["positive"] for v in vigor),
            "negative_runs": sum(v["own_classes"][name]["high"] < 0 for v in vigor),
        }
    arm["own_classes"] = own
    for key in ("ancestor", "routed_oracle"):
        if key in first["report"]["vigor"]:
            arm[key] = {
                "baseline_bpc": first["report"]["vigor"][key]["baseline_bpc"],
                "vigor": _mean_sd([v[key]["value"] for v in vigor]),
                "positive_runs": sum(v[key]["positive"] for v in vigor),
                "negative_runs": sum(v[key]["high"] < 0 for v in vigor),
            }
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
    champion_scores = score_pieces(
        engine.forward,
        champion.vocab,
        report,
        context=control_scores.context,
        stride=control_scores.stride,
        skip_unknown=settings.skip_unknown,
        device=device,
    )
    diff = paired_difference(control_scores, champion_scores)
    return {
        "name": control.name,
        "bpc": round(measurement.bpc, 6),
        "interval": measurement.interval.to_dict() if measurement.interval else None,
        "best_champion_seed": best["settings"]["seed"],
        "control_minus_champion": diff.to_dict(),
        "about": f"the ancestor trained on all classes for {training_facts(control).steps or '?'} steps "
        "(styleA's + styleB's fork budget): train instead of breed",
    }


def format_experiment(summary: dict[str, Any]) -> str:
    header = (
        f"{'Parents':<20} {'Origin':<18} {'Gen-0 child':>11} {'Champion (mean ± sd)':>21} {'Best parent':>11}  "
        "Vigor vs best parent"
    )
    lines = [header, "-" * len(header)]
    for origin, arm in summary["arms"].items():
        champ = arm["champion"]
        vig = arm["vigor_best_parent"]
        runs = len(vig["values"])
        lines.append(
            f"{' x '.join(arm['pair']):<20} {origin:<18} {arm['gen0_child']:>11.4f} {champ['mean']:>12.4f} ± "
            f"{champ['sd']:.4f} "
            f"{arm['best_parent_bpc']:>11.4f}  {vig['mean']:+.4f} ± {vig['sd']:.4f} "
            f"({arm['positive_runs']}/{runs} runs positive)"
        )
    lines.append("")
    for origin, arm in summary["arms"].items():
        if len(arm.get("replicates", [])) > 1:
            lines.append(f"{origin}, by training seed (retrained parents):")
            for rep in arm["replicates"]:
                parents = ", ".join(f"{name} {bpc:.4f}" for name, bpc in rep["parents"].items())
                lines.append(
                    f"  training seed {rep['training_seed']}: parents {parents}; gen-0 child {rep['gen0_child']:.4f}; "
                    f"champion {rep['champion']['mean']:.4f}; vigor vs best parent "
                    f"{rep['vigor_best_parent']['mean']:+.4f} "
                    f"({rep['positive_runs']}/{len(rep['vigor_best_parent']['values'])} positive)"
                )
        for race in arm.get("racing_vs_exhaustive", []):
            lines.append(
                f"  racing vs exhaustive (training seed {race['training_seed']}, search seed 0): "
                f"{'same champion' if race['same_champion'] else 'another champion'}; fitness (val) "
                f"{race['fitness']['racing']:.4f} vs {race['fitness']['exhaustive']:.4f}; test "
                f"{race['test_bpc']['racing']:.4f}"
                f" vs {race['test_bpc']['exhaustive']:.4f}"
                f" ({'within' if race['racing_within_exhaustive_interval'] else 'outside'} the exhaustive "
                f"champion's interval);"
                f" forward chars {race['forward_chars']['racing']:,} vs {race['forward_chars']['exhaustive']:,}"
            )
    lines.append("")
    for origin, arm in summary["arms"].items():
        lines.append(f"{origin}: controls (baseline - champion, mean ± sd over runs; positive: the champion is better)")
        for name, own in arm["own_classes"].items():
            lines.append(
                f"  {name} on its own classes: {own['baseline_bpc']:.4f} vs champion "
                f"{own['champion_bpc']['mean']:.4f}: "
                f"{own['vigor']['mean']:+.4f} ± {own['vigor']['sd']:.4f} ({own['positive_runs']}/{runs} positive, "
                f"{own['negative_runs']}/{runs} worse beyond noise)"
            )
        if "ancestor" in arm:
            anc = arm["ancestor"]
            lines.append(
                f"  shared ancestor {anc['baseline_bpc']:.4f}: {anc['vigor']['mean']:+.4f} ± {anc['vigor']['sd']:.4f} "
                f"({anc['positive_runs']}/{runs} positive, {anc['negative_runs']}/{runs} worse beyond noise)"
            )
        if "routed_oracle" in arm:
            orc = arm["routed_oracle"]
            lines.append(
                f"  routed-parent oracle {orc['baseline_bpc']:.4f}: {orc['vigor']['mean']:+.4f} ± "
                f"{orc['vigor']['sd']:.4f} "
                f"({orc['positive_runs']}/{runs} positive, {orc['negative_runs']}/{runs} worse beyond noise)"
            )
        if "trained_control" in arm:
            tc = arm["trained_control"]
            d = tc["control_minus_champion"]
            lines.append(
                f"  trained instead of bred ({tc['name']}) {tc['bpc']:.4f}: control - best champion "
                f"{d['value']:+.4f} [{d['low']:+.4f}, {d['high']:+.4f}]"
            )
        data = arm["data"]
        lines.append(
            f"  measured on {data['name']} {data['split']}, {len(data['classes'])} classes, {data['chars']:,} chars "
            f"(stratified), context {arm['context']}, stride {arm['stride']}"
        )
    return "\n".join(lines)
