"""``darwascii bench startup``: seconds from launch to the painted main window.

Each run is a fresh process started with ``--exit-when-shown`` (offscreen), which
prints the time since the OS started it. The reference loads PyTorch before the
window, as the app did before its model code moved behind the worker thread; ours is
the app as it ships; the frozen app (``make dist``) is measured too when it is built.
Nothing here imports Qt or PyTorch into the benchmarking process.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from studio.bench import BenchReport

SHOWN = re.compile(r"window shown (\d+\.\d+) s")
EAGER_TORCH = "import torch, studio.model.engine; from studio.app.main import run; run()"
LAZY = "from studio.app.main import run; run()"
FROZEN_APP = Path(__file__).resolve().parents[2] / "dist" / "darwascii-studio" / "darwascii-studio"


def time_to_window(command: list[str], library: Path) -> float:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [*command, "--exit-when-shown", "--library", str(library)], env=env, capture_output=True, text=True, timeout=300
    )
    found = SHOWN.search(done.stdout)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"{command[0]} did not show its window: {done.stderr.strip()[-400:]}")
    return float(found.group(1))


def bench_startup(report: BenchReport, quick: bool) -> None:
    runs = 1 if quick else 5
    with tempfile.TemporaryDirectory() as tmp:
        library = Path(tmp) / "library.sqlite3"
        time_to_window([sys.executable, "-c", LAZY], library)  # first run: creates the library, warms the OS cache

        def median(command: list[str]) -> float:
            return statistics.median(time_to_window(command, library) for _ in range(runs))

        reference = median([sys.executable, "-c", EAGER_TORCH])
        ours = median([sys.executable, "-c", LAZY])
        report.add("window shown (python -m, PyTorch loaded first = reference)", ours, reference, runs=runs)
        if FROZEN_APP.exists():
            report.add("window shown (frozen app, dist/)", median([str(FROZEN_APP)]), reference, runs=runs)
        else:
            report.note("the frozen app is not built (make dist); its row is left out")
    report.note("time from process start to the first paint of the main window, median of runs, offscreen")
