"""``darwascii bench breed`` and ``bench darwin``: every method, then one Darwin generation, on two
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
from studio.model.engine import Engine
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


def bench_darwin(report: BenchReport, quick: bool) -> None:
    """One Darwin generation: breed and score P children of two card-sized parents.

    Ours builds each child with the aligned pair and scores it with the engine; the
    reference scores a child with nGPT-pytorch's forward over the same windows. The
    reference is timed on one child and multiplied by P (stated in the row).
    """
    from studio.model.scoring import bits_per_char

    children, chars = (4, 10_000) if quick else (16, 100_000)
    a = random_checkpoint(**CARD_ARTIST_CONFIG, seed=1)
    b = random_checkpoint(**CARD_ARTIST_CONFIG, seed=2)
    ids = torch.randint(0, len(a.vocab), (chars,), generator=torch.Generator().manual_seed(0))
    pair = prepare_pair(a, b)

    def ours() -> None:
        for i in range(children):
            child = pair.child(BreedRecipe(method="slerp", t=(i + 1) / (children + 1)))
            engine = Engine.from_checkpoint(child)
            bits_per_char(engine.forward, ids, context=256, stride=255)

    def reference_one() -> None:
        model = pair.child(BreedRecipe(method="slerp", t=0.5)).build_model()
        with torch.no_grad():
            bits_per_char(model, ids, context=256, stride=255)

    ours_s, _ = timed(ours)
    one_s, _ = timed(reference_one)
    report.add(
        f"darwin generation: {children} children x {chars:,} chars (3.2M params)",
        ours_s,
        one_s * children,
        per_child_s=round(ours_s / children, 2),
        reference="1 child timed, x children",
    )
