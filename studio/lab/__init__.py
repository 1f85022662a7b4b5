"""The studio measuring itself: experiments and benchmarks that span layers.

``darwin_experiment`` (the card's headline), ``align_experiment``, the ``bench``
command and the benchmark suites over a pair of parents (``pair_bench``). They breed,
train and judge, so they sit above every layer of the core, beside the CLI: only the
dispatcher (``studio.cli``) imports them, and they never import the app.
"""

from __future__ import annotations

from pathlib import Path

from studio.errors import StudioError


def bundled_family() -> Path:
    from studio.library import bundled_checkpoints_dir

    folder = bundled_checkpoints_dir()
    if folder is None:
        raise StudioError("the bundled checkpoints/ folder is missing from this installation; pass --family")
    return folder
