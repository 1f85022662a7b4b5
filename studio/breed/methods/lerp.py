"""lerp: straight-line interpolation, then back onto the sphere (the naive baseline)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.breed.recipe import AMOUNTS, BreedRecipe

if TYPE_CHECKING:
    import torch

    from studio.breed.pair import AlignedPair


class LerpRenormalize:
    name = "lerp"
    summary = "linear interpolation then renormalization (baseline for comparison)"
    options = AMOUNTS
    random_recipe = None  # the baseline: Darwin does not evolve it

    def merge(self, pair: AlignedPair, recipe: BreedRecipe) -> dict[str, torch.Tensor]:
        import torch  # here, not at the top: listing the methods must not load PyTorch
        import torch.nn.functional as F

        out = {}
        for key, role in pair.roles.items():
            a, b = pair.tensors_a[key], pair.tensors_b[key]
            t = recipe.t_for(role.part, role.layer)
            if role.kind == "fixed":
                out[key] = a.clone()
            elif role.kind == "scale":
                out[key] = torch.lerp(a, b, t)
            else:
                dim = 0 if role.kind == "cols" else -1
                out[key] = F.normalize(torch.lerp(a, b, t), dim=dim)
        return out
