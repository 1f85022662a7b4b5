"""discrete: whole units copied from one parent or the other, by a seeded coin.

Units move whole, with every tensor that belongs to them:

* an attention head h of block i: rows h*dh..(h+1)*dh of to_q, to_k and to_v, the
  same entries of qk_scale, and the same columns of the attention to_out. (q, k and
  v of a head all come from the same parent; nGPT-pytorch's evo.py mixes q into k
  and v, which splits a head's query and key across parents.)
* a feed-forward hidden unit j of block i: row j of to_hidden and to_gate, entry j
  of hidden_scale and gate_scale, column j of the feed-forward to_out.
* a token c: row c of token_embed and to_logits, entry c of logit_scale.
* the residual branch scales of block i: one coin per half-block.

Granularity ``neuron``: heads, hidden units and tokens each get a coin. ``head``:
heads and tokens get coins, each block's feed-forward gets one coin. ``layer``:
one coin per block (attention and feed-forward together) and one for embeddings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.breed.recipe import GRANULARITIES, SEED, BreedRecipe, Option, RecipeDraw

if TYPE_CHECKING:
    import torch

    from studio.breed.pair import AlignedPair


class Discrete:
    name = "discrete"
    summary = "seeded crossover of whole heads, hidden units, tokens or layers"
    options = (
        Option("granularity", type=str, default="neuron", choices=GRANULARITIES, help="unit of crossover"),
        SEED,
    )

    def random_recipe(self, draw: RecipeDraw) -> BreedRecipe:
        """A granularity and a seed, both drawn."""
        return BreedRecipe(self.name, granularity=draw.choice(GRANULARITIES), seed=draw.seed())

    def merge(self, pair: AlignedPair, recipe: BreedRecipe) -> dict[str, torch.Tensor]:
        import torch  # here, not at the top: listing the methods must not load PyTorch

        generator = torch.Generator().manual_seed(recipe.seed)
        arch = pair.a.arch
        heads, dim_head, ff_inner = arch["heads"], arch["dim_head"], arch["ff_inner"]
        vocab_size = len(pair.vocab)

        def coins(count: int) -> torch.Tensor:
            """True: take parent B for that unit."""
            return torch.rand(count, generator=generator) < 0.5

        # Draw every coin in a fixed order so the same seed gives the same child.
        depth = arch["depth"]
        choice: dict[tuple, torch.Tensor] = {}
        if recipe.granularity == "layer":
            for layer in range(depth):
                flip = coins(1)
                choice[("attn", layer)] = flip.expand(heads)
                choice[("attn_residual", layer)] = flip
                choice[("ff", layer)] = flip.expand(ff_inner)
                choice[("ff_residual", layer)] = flip
            choice[("embed",)] = coins(1).expand(vocab_size)
        else:
            for layer in range(depth):
                choice[("attn", layer)] = coins(heads)
                choice[("attn_residual", layer)] = coins(1)
                if recipe.granularity == "neuron":
                    choice[("ff", layer)] = coins(ff_inner)
                else:
                    choice[("ff", layer)] = coins(1).expand(ff_inner)
                choice[("ff_residual", layer)] = coins(1)
            choice[("embed",)] = coins(vocab_size)

        out = {}
        for key, role in pair.roles.items():
            a, b = pair.tensors_a[key], pair.tensors_b[key]
            if role.kind == "fixed":
                out[key] = a.clone()
                continue
            if role.part == "embed":
                take_b = choice[("embed",)]
            elif role.module == "branch_scale":
                take_b = choice[("attn_residual" if role.part == "attn" else "ff_residual", role.layer)].expand(
                    a.shape[0]
                )
            elif role.part == "attn":
                per_head = choice[("attn", role.layer)]
                take_b = per_head.repeat_interleave(dim_head)  # one entry per row/column of the head
            else:
                take_b = choice[("ff", role.layer)]
            if role.kind == "cols":
                mask = take_b.view(1, -1)
            elif a.dim() == 2:
                mask = take_b.view(-1, 1)
            else:
                mask = take_b
            out[key] = torch.where(mask, b, a).clone()
        return out
