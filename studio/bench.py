"""``darwascii bench``: side-by-side benchmarks (never timed tests).

Each benchmark runs the naive reference (plain nGPT-pytorch, the card's way) and
ours on the same job in one process, and reports both and their ratio. Suites
live beside the code they measure and register here by dotted name.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import resource
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from studio import cli

# suite name -> "module:function"; function(report, quick) fills the report
SUITES: dict[str, str] = {
    "sample": "studio.model.bench:bench_sample",
    "breed": "studio.breed.bench:bench_breed",
    "train": "studio.train.bench:bench_train",
    "eval": "studio.breed.darwin_commands:bench_eval",
    "darwin": "studio.breed.darwin_commands:bench_darwin",
    "nursery": "studio.breed.darwin_commands:bench_nursery",
    "variety": "studio.breed.variety_bench:bench_variety",
    "startup": "studio.app.startup_bench:bench_startup",
}


@dataclass
class Row:
    task: str
    ours_s: float
    reference_s: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def speedup(self) -> float | None:
        return self.reference_s / self.ours_s if self.reference_s and self.ours_s else None


@dataclass
class BenchReport:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, task: str, ours_s: float, reference_s: float | None = None, **details: Any) -> Row:
        row = Row(task, ours_s, reference_s, details)
        self.rows.append(row)
        return row

    def note(self, text: str) -> None:
        self.notes.append(text)

    def to_dict(self) -> dict:
        return {
            "machine": machine_summary(),
            "rows": [
                {
                    "task": r.task,
                    "reference_s": _round(r.reference_s),
                    "ours_s": _round(r.ours_s),
                    "speedup": _round(r.speedup, 2),
                    **r.details,
                }
                for r in self.rows
            ],
            "notes": self.notes,
        }

    def render(self) -> str:
        lines = [machine_summary_line(), ""]
        width = max([len(r.task) for r in self.rows] + [4])
        lines.append(f"{'task':<{width}}  {'reference':>10}  {'ours':>10}  {'speedup':>8}  details")
        for r in self.rows:
            ref = f"{r.reference_s:.3f}s" if r.reference_s is not None else "-"
            speed = f"{r.speedup:.1f}x" if r.speedup else "-"
            details = ", ".join(f"{k}={_fmt(v)}" for k, v in r.details.items())
            lines.append(f"{r.task:<{width}}  {ref:>10}  {r.ours_s:>9.3f}s  {speed:>8}  {details}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def machine_summary() -> dict:
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "processor": platform.processor() or platform.machine(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


def machine_summary_line() -> str:
    m = machine_summary()
    return f"torch {m['torch']}, {m['threads']} CPU threads" + (f", {m['cuda']}" if m["cuda"] else ", no GPU")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / (1024 * 1024)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench", help="benchmarks: the naive reference and ours side by side", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("suites", nargs="*", metavar="SUITE",
                        help=f"which to run: {', '.join(sorted(SUITES))} (default all)")
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
        cli.emit_json(report.to_dict())
    else:
        print(report.render())
