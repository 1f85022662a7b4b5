"""CLI for Darwin breeding: ``darwascii darwin`` and ``darwascii darwin-experiment``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from studio import cli
from studio.errors import StudioError
from studio.model.checkpoint import ArtistCheckpoint, load_checkpoint
from studio.model.engine import pick_device
from studio.model.vocab import frame_piece
from studio.train.darwin import DarwinProgress, DarwinSettings, Evolution, save_log

# The two arms of the card's headline experiment, in the bundled family.
SHARED_ANCESTOR_PAIR = ("apehex/styleA/model.pt", "apehex/styleB/model.pt")
INDEPENDENT_PAIR = ("independent/indA/model.pt", "independent/indB/model.pt")


def register(subparsers) -> None:
    darwin = subparsers.add_parser(
        "darwin",
        help="evolve children of two parents (no gradients)",
        description="Breed a population of children from A and B, keep the fittest (lowest bpc), breed again.",
    )
    darwin.add_argument("a", type=Path, metavar="A")
    darwin.add_argument("b", type=Path, metavar="B")
    _add_data_options(darwin)
    _add_evolution_options(darwin)
    darwin.add_argument("-o", "--out", type=Path, required=True, metavar="OUTDIR", help="folder for darwin_log.json and champion.pt")
    darwin.add_argument("--json", action="store_true", help="print the log as one JSON object")
    cli.add_device_option(darwin)
    cli.add_trust_option(darwin)
    darwin.set_defaults(handler=cmd_darwin)

    experiment = subparsers.add_parser(
        "darwin-experiment",
        help="the card's headline: shared-ancestor vs independent parents",
        description="Run Darwin breeding on the bundled shared-ancestor pair and the independent pair, same data and budget.",
    )
    experiment.add_argument("--family", type=Path, default=None, help="folder of the bundled family (default: the bundled checkpoints/)")
    experiment.add_argument("--corpus", default="builtin", help="built-in corpus for fitness (val) and report (test) data (default builtin)")
    experiment.add_argument("--max-chars", type=int, default=20000, help="chars of data per split (default 20000)")
    _add_evolution_options(experiment)
    experiment.add_argument("-o", "--out", type=Path, default=None, metavar="OUTDIR", help="write both logs here")
    experiment.add_argument("--json", action="store_true", help="print one JSON object")
    cli.add_device_option(experiment)
    cli.add_trust_option(experiment)
    experiment.set_defaults(handler=cmd_experiment)


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--data", type=Path, help="held-out text file used as it is for fitness")
    group.add_argument("--corpus", help="built-in corpus name: fitness on its val split, vigor reported on its test split")
    parser.add_argument("--max-chars", type=int, default=20000, help="chars of data per split (default 20000)")


def _add_evolution_options(parser: argparse.ArgumentParser) -> None:
    defaults = DarwinSettings()
    parser.add_argument("--population", type=int, default=defaults.population, help=f"children per generation (default {defaults.population})")
    parser.add_argument("--generations", type=int, default=defaults.generations, help=f"generations (default {defaults.generations})")
    parser.add_argument("--elite", type=int, default=defaults.elite, help=f"survivors per generation (default {defaults.elite})")
    parser.add_argument("--mutation", type=float, default=defaults.mutation, help=f"spread of t in new recipes (default {defaults.mutation})")
    parser.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    parser.add_argument("--context", type=int, default=defaults.context, help=f"scoring window in chars (default {defaults.context})")


def _settings(args: argparse.Namespace) -> DarwinSettings:
    settings = DarwinSettings(
        population=args.population,
        generations=args.generations,
        elite=args.elite,
        mutation=args.mutation,
        seed=args.seed,
        context=args.context,
    )
    settings.validate()
    return settings


def corpus_splits(name: str, framing: str, max_chars: int) -> tuple[str, str]:
    """(val text, test text) of a built-in corpus, framed as the parents were trained."""
    from studio.train.corpus import load_builtin, split_pieces

    splits = split_pieces(load_builtin(name))

    def text(split: str) -> str:
        joined = "".join(frame_piece(p.art, p.label, framing) for p in splits[split])
        return joined[:max_chars]

    return text("val"), text("test")


def _progress(enabled: bool, prefix: str = ""):
    show = cli.progress_printer(enabled)

    def report(p: DarwinProgress) -> None:
        best = f", best {p.best_bpc:.4f} bpc" if p.best_bpc is not None else ""
        show(f"{prefix}{p.message}: {p.scored}/{p.total} children{best}")

    return report


def run_evolution(a: ArtistCheckpoint, b: ArtistCheckpoint, fitness: str, report: str | None, settings, device, progress) -> Evolution:
    evolution = Evolution(a, b, fitness, settings, report_text=report, device=device, progress=progress)
    evolution.log = evolution.run()
    return evolution


def cmd_darwin(args: argparse.Namespace) -> None:
    settings = _settings(args)
    a = load_checkpoint(args.a, trust=args.trust)
    b = load_checkpoint(args.b, trust=args.trust)
    if args.data is not None:
        try:
            fitness = args.data.read_text(encoding="utf-8")[: args.max_chars]
        except FileNotFoundError:
            raise StudioError(f"{args.data}: no such file") from None
        except UnicodeDecodeError:
            raise StudioError(f"{args.data}: is not UTF-8 text") from None
        report = None
    else:
        fitness, report = corpus_splits(args.corpus, a.framing, args.max_chars)
    evolution = run_evolution(a, b, fitness, report, settings, pick_device(args.device), _progress(not args.json))
    log = evolution.log
    args.out.mkdir(parents=True, exist_ok=True)
    champion_path = evolution.save_champion(args.out / "champion.pt")
    log["champion"]["path"] = str(champion_path)
    save_log(log, args.out / "darwin_log.json")
    if args.json:
        cli.emit_json(log)
        return
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    print(format_table([("A x B", "", log)]))
    print(f"\nlog: {args.out / 'darwin_log.json'}\nchampion: {champion_path}")


def format_table(rows: list[tuple[str, str, dict]]) -> str:
    """The card's table: parents, origin, gen-0 child, champion, best parent, vigor."""
    header = f"{'Parents':<24} {'Origin':<20} {'Gen-0 child':>11} {'Champion':>9} {'Best parent':>11}  Vigor?"
    lines = [header, "-" * len(header)]
    for parents, origin, log in rows:
        vigor = log["vigor"]
        verdict = f"Yes ({vigor['value']:+.4f})" if vigor["positive"] and vigor["value"] > 0 else f"No ({vigor['value']:+.4f})"
        lines.append(
            f"{parents:<24} {origin:<20} {log['gen0_child']['bpc']:>11.4f} {vigor['champion_bpc']:>9.4f} "
            f"{vigor['best_parent_bpc']:>11.4f}  {verdict}"
        )
    lines.append("bpc, lower is better; champion and best parent on held-out test data, vigor = best parent - champion,")
    lines.append("'Yes' only when the paired difference is more than two standard errors above zero.")
    return "\n".join(lines)


def bundled_family() -> Path:
    from studio.library import bundled_checkpoints_dir

    folder = bundled_checkpoints_dir()
    if folder is None:
        raise StudioError("the bundled checkpoints/ folder is missing from this installation; pass --family")
    return folder


def cmd_experiment(args: argparse.Namespace) -> None:
    settings = _settings(args)
    family = args.family or bundled_family()
    device = pick_device(args.device)
    arms = [
        ("independent inits", "different basins", INDEPENDENT_PAIR),
        ("shared ancestor", "same basin", SHARED_ANCESTOR_PAIR),
    ]
    rows = []
    logs = {}
    for origin, basin, (path_a, path_b) in arms:
        a = load_checkpoint(family / path_a, trust=args.trust)
        b = load_checkpoint(family / path_b, trust=args.trust)
        fitness, report = corpus_splits(args.corpus, a.framing, args.max_chars)
        evolution = run_evolution(a, b, fitness, report, settings, device, _progress(not args.json, f"[{origin}] "))
        log = evolution.log
        log["arm"] = {"origin": origin, "basin": basin, "corpus": args.corpus, "max_chars": args.max_chars}
        logs[origin] = log
        rows.append((f"{a.name} x {b.name}", origin, log))
        if args.out:
            name = "darwin_log.json" if origin == "shared ancestor" else "darwin_log_independent.json"
            args.out.mkdir(parents=True, exist_ok=True)
            save_log(log, args.out / name)
            evolution.save_champion(args.out / ("champion.pt" if origin == "shared ancestor" else "champion_independent.pt"))
    if args.json:
        cli.emit_json({"arms": logs})
        return
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    print(format_table(rows))
