"""What a benchmark suite fills: a report of rows, the naive reference beside ours.

Each benchmark runs the naive reference (plain nGPT-pytorch, the card's way) and
ours on the same job in one process, and reports both and their ratio (never timed
tests). Suites live beside the code they measure; ``darwascii bench``
(``studio.lab.bench``) runs them by name.
"""

from __future__ import annotations

import platform
import resource
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import torch


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
