"""``darwascii bench``: side-by-side benchmarks (never timed tests).

Each benchmark runs the naive reference (plain nGPT-pytorch, the card's way) and
ours on the same job in one process, and reports both and their ratio. Suites
live beside the code they measure and are run here by dotted name (imported only
when asked for: the app's startup suite must not load the app for another suite).
"""

from __future__ import annotations

import argparse
import importlib

from studio import cliutil
from studio.bench import BenchReport

# suite name -> "module:function"; function(report, quick) fills the report
SUITES: dict[str, str] = {
    "sample": "studio.model.bench:bench_sample",
    "breed": "studio.breed.bench:bench_breed",
    "train": "studio.train.bench:bench_train",
    "eval": "studio.lab.pair_bench:bench_eval",
    "darwin": "studio.lab.pair_bench:bench_darwin",
    "nursery": "studio.lab.pair_bench:bench_nursery",
    "variety": "studio.breed.variety_bench:bench_variety",
    "startup": "studio.app.startup_bench:bench_startup",
}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench", help="benchmarks: the naive reference and ours side by side", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "suites", nargs="*", metavar="SUITE", help=f"which to run: {', '.join(sorted(SUITES))} (default all)"
    )
    parser.add_argument("--quick", action="store_true", help="smaller jobs, for a fast look")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> None:
    from studio.errors import StudioError

    names = args.suites or sorted(SUITES)
    unknown = [n for n in names if n not in SUITES]
    if unknown:
        raise StudioError(f"unknown benchmark {unknown[0]!r} (known: {', '.join(sorted(SUITES))})")
    report = BenchReport()
    for name in names:
        module_name, func_name = SUITES[name].split(":")
        getattr(importlib.import_module(module_name), func_name)(report, args.quick)
    if args.json:
        cliutil.emit_json(report.to_dict())
    else:
        print(report.render())
