"""frozen-attn: attention copied from one parent bit for bit, the rest slerped.

"Attention" is everything in block i's attention half: q, k, v, out, qk_scale and
the attention residual's branch scale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.breed.methods.slerp import interpolate_tensor
from studio.breed.recipe import AMOUNTS, ATTN_FROM, BreedRecipe, Option, RecipeDraw

if TYPE_CHECKING:
    import torch

    from studio.breed.pair import AlignedPair


class FrozenAttention:
    name = "frozen-attn"
    summary = "attention from one parent unchanged, feed-forward and embeddings slerped"
    options = (*AMOUNTS, Option("attn_from", type=str, default="a", choices=ATTN_FROM, help="whose attention to keep"))

    def merge(self, pair: AlignedPair, recipe: BreedRecipe) -> dict[str, torch.Tensor]:
        source = pair.tensors_a if recipe.attn_from == "a" else pair.tensors_b
        out = {}
        for key, role in pair.roles.items():
            if role.part == "attn":
                out[key] = source[key].clone()
            else:
                out[key] = interpolate_tensor(pair, key, recipe.t_for(role.part, role.layer))
        return out

    def random_recipe(self, draw: RecipeDraw) -> BreedRecipe:
        """One t around the centre, attention from a parent drawn by a coin."""
        return BreedRecipe(self.name, t=draw.amount(), attn_from=draw.choice(ATTN_FROM))
