"""Path scan: bits per char of slerp children along A -> B, and the loss barrier.

Mode-connected parents (a shared ancestor, specialised differently) keep a low loss
all along the path; independently initialised parents show a bump in the middle.
The barrier is max bpc along the path minus the mean of the two ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from studio.breed.pair import prepare_pair
from studio.breed.recipe import BreedRecipe
from studio.errors import Cancelled, StudioError
from studio.model.checkpoint import ArtistCheckpoint
from studio.model.engine import Engine
from studio.model.scoring import bits_per_char
from studio.model.vocab import describe_char


@dataclass
class ScanResult:
    points: list[tuple[float, float]]  # (t, bpc)
    barrier: float
    chars: int

    def to_dict(self) -> dict:
        return {"points": [{"t": round(t, 6), "bpc": round(b, 6)} for t, b in self.points], "barrier": round(self.barrier, 6), "chars": self.chars}

    @property
    def verdict(self) -> str:
        if self.barrier < 0.1:
            return "looks like one basin: breeding should work"
        if self.barrier < 0.5:
            return "a modest barrier: children may lose some quality"
        return "different basins: expect a broken gen-0 child"


def scan_path(
    a: ArtistCheckpoint,
    b: ArtistCheckpoint,
    text: str,
    *,
    points: int = 9,
    context: int = 256,
    device: str | torch.device = "cpu",
    skip_unknown: bool = False,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> ScanResult:
    if points < 2:
        raise StudioError(f"a scan needs at least 2 points, not {points}")
    pair = prepare_pair(a, b)
    unknown = pair.vocab.unknown_chars(text)
    if unknown:
        if not skip_unknown:
            count = sum(text.count(c) for c in unknown)
            raise StudioError(f"the text holds {count} chars neither parent knows (e.g. {describe_char(unknown[0])})")
        text = "".join(c for c in text if c not in set(unknown))
    ids = pair.vocab.encode(text)
    results = []
    for i in range(points):
        if cancel is not None and cancel():
            raise Cancelled()
        t = i / (points - 1)
        child = pair.child(BreedRecipe(method="slerp", t=t))
        engine = Engine(child.build_model("cpu"), device=device)
        bpc, scored = bits_per_char(engine.forward, ids, context=context, device=device, cancel=cancel)
        results.append((t, bpc))
        if progress is not None:
            progress(i + 1, points)
    ends = (results[0][1] + results[-1][1]) / 2
    return ScanResult(results, max(b for _, b in results) - ends, scored)
