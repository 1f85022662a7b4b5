"""slerp: every unit vector moves along its great circle; scales move geometrically."""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.breed.recipe import AMOUNTS, BreedRecipe, RecipeDraw

if TYPE_CHECKING:
    import torch

    from studio.breed.pair import AlignedPair


def interpolate_tensor(pair: AlignedPair, key: str, t: float) -> torch.Tensor:
    """One tensor of the child at amount t (shared by slerp and frozen-attn)."""
    from studio.breed.sphere import interpolate_scales  # tensor code: loaded when breeding, not when listing methods

    role = pair.roles[key]
    if role.kind in ("rows", "cols"):
        return pair.slerp(key, t)
    if role.kind == "scale":
        if t == 0.0:
            return pair.tensors_a[key].clone()
        if t == 1.0:
            return pair.tensors_b[key].clone()
        return interpolate_scales(pair.tensors_a[key], pair.tensors_b[key], t)
    return pair.tensors_a[key].clone()  # fixed (rotary frequencies)


class Slerp:
    name = "slerp"
    summary = "great-circle interpolation of every unit vector; t per part or per layer"
    options = AMOUNTS

    def merge(self, pair: AlignedPair, recipe: BreedRecipe) -> dict[str, torch.Tensor]:
        return {
            key: interpolate_tensor(pair, key, recipe.t_for(role.part, role.layer)) for key, role in pair.roles.items()
        }

    def random_recipe(self, draw: RecipeDraw) -> BreedRecipe:
        """t per block and for the embeddings, each around the centre."""
        return BreedRecipe(self.name, t_layers=draw.amounts(), t_embed=draw.amount())
