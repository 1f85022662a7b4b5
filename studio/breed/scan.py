"""Path scan: bits per char of slerp children along A -> B, and the loss barrier.

Mode-connected parents (a shared ancestor, specialised differently) keep the loss at
or below the straight line between the parents' losses all along the path;
independently initialised parents rise above it in the middle. The barrier is the
standard one of the linear-mode-connectivity literature,

    max over t of  L(t) - ((1 - t) L(A) + t L(B)),

measured by the judge (``studio.model.judge``) on held-out data chosen for the pair,
with a paired per-piece bootstrap interval of that maximum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch

from studio.breed.pair import prepare_pair
from studio.breed.recipe import BreedRecipe
from studio.errors import Cancelled, StudioError
from studio.model.checkpoint import ArtistCheckpoint
from studio.model.judge import Barrier, HeldOut, barrier_with_interval, default_stride, score_models, scoring_context
from studio.model.scoring import scoring_job


def progress_over(progress: Callable[[int, int], None] | None, points: int) -> Callable[[int, int], None] | None:
    """The scan's progress in points along the path, from the pass's progress in windows."""
    if progress is None:
        return None
    return lambda done, total: progress(min(points, points * done // max(total, 1)), points)


@dataclass
class ScanResult:
    barrier: Barrier
    data: Any  # DataIdentity
    context: int
    stride: int
    context_note: str
    chars: int
    parents: tuple[str, str]

    @property
    def points(self) -> list[tuple[float, float]]:
        return list(zip(self.barrier.ts, self.barrier.bpc))

    @property
    def verdict(self) -> str:
        return self.barrier.verdict

    def caption(self) -> str:
        return f"{self.data.caption()} · ctx {self.context}"

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.barrier.to_dict(),
            "parents": list(self.parents),
            "chars": self.chars,
            "context": self.context,
            "stride": self.stride,
            "context_note": self.context_note,
            "data": self.data.to_dict(),
            "definition": "barrier = max over t of bpc(t) - ((1 - t) bpc(A) + t bpc(B)); "
            "midpoint_excess the same at t = 0.5",
        }


def scan_path(
    a: ArtistCheckpoint,
    b: ArtistCheckpoint,
    heldout: HeldOut,
    *,
    points: int = 9,
    context: int | None = None,
    stride: int | None = None,
    device: str | torch.device = "cpu",
    skip_unknown: bool = False,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> ScanResult:
    if points < 2:
        raise StudioError(f"a scan needs at least 2 points, not {points}")
    context, note = scoring_context([a, b], context)
    stride = stride or default_stride(context)
    pair = prepare_pair(a, b)
    ts = [i / (points - 1) for i in range(points)]
    if cancel is not None and cancel():
        raise Cancelled()
    # every point of the path in one batched pass (each point's scores are what it gets alone)
    with scoring_job(device):
        children = [pair.child(BreedRecipe(method="slerp", t=t)) for t in ts]
        scores = score_models(
            children,
            heldout,
            context=context,
            stride=stride,
            skip_unknown=skip_unknown,
            device=device,
            cancel=cancel,
            progress=progress_over(progress, points),
        )
    barrier = barrier_with_interval(ts, scores)
    return ScanResult(barrier, heldout.identity, context, stride, note, int(scores[0].chars.sum()), (a.name, b.name))
