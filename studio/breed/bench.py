"""``darwascii bench breed``: every method on two
card-sized parents (3.2M params).

The reference is a straightforward per-vector loop (what a first implementation
does: slerp each row on its own); ours is the whole-matrix form with the angles
computed once per pair. Both produce the same child.
"""

from __future__ import annotations

import torch

from studio.bench import BenchReport, timed
from studio.breed.methods import METHODS
from studio.breed.pair import prepare_pair
from studio.breed.recipe import BreedRecipe
from studio.breed.sphere import slerp_rows
from studio.model.synthetic import CARD_ARTIST_CONFIG, random_checkpoint


def _per_row_slerp(pair, t: float) -> dict[str, torch.Tensor]:
    out = {}
    for key, role in pair.roles.items():
        a, b = pair.tensors_a[key], pair.tensors_b[key]
        if role.kind == "rows":
            out[key] = torch.stack([slerp_rows(a[i : i + 1], b[i : i + 1], t)[0] for i in range(a.shape[0])])
        elif role.kind == "cols":
            out[key] = torch.stack(
                [slerp_rows(a[:, i : i + 1].t(), b[:, i : i + 1].t(), t)[0] for i in range(a.shape[1])], dim=1
            )
        else:
            out[key] = torch.lerp(a, b, t)
    return out


def bench_breed(report: BenchReport, quick: bool) -> None:
    a = random_checkpoint(**CARD_ARTIST_CONFIG, vocab_size=106, seed=1, name="A")
    b = random_checkpoint(**CARD_ARTIST_CONFIG, vocab_size=109, seed=2, name="B")
    prepare_s, pair = timed(lambda: prepare_pair(a, b))
    report.add("align vocab (106 + 109 chars)", prepare_s)
    reference_s = None
    if not quick:
        reference_s, _ = timed(lambda: _per_row_slerp(pair, 0.5))
    for method in METHODS:
        first, again = BreedRecipe(method, t=0.4, seed=3), BreedRecipe(method, t=0.6, seed=4)
        first_s, _ = timed(lambda r=first: pair.child(r))  # includes the once-per-pair angles for slerp
        again_s, _ = timed(lambda r=again: pair.child(r))
        report.add(f"breed {method} (first child)", first_s, reference_s if method == "slerp" else None)
        report.add(f"breed {method} (next child, same pair)", again_s)
    report.note("breed: two random 3.2M-param parents; reference = per-vector slerp loop")
