"""The registry of merge methods: one module per method, one small interface.

A method is an object with ``name``, a one-line ``summary``, its ``options`` (a
tuple of :class:`studio.breed.recipe.Option`), ``merge(pair, recipe) -> state_dict``
and ``random_recipe(draw) -> BreedRecipe`` (how Darwin draws a recipe of it; None
for a method Darwin should not evolve). The CLI's ``breed`` flags, the breeding
bay's widgets, Darwin's search space and the genealogy's method names are all read
from here: adding a method is adding one module and one line to ``METHODS``.

The method modules import PyTorch inside ``merge``, so the registry itself (names,
summaries and options, for the app's picker and the CLI's help) is cheap to import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from studio.breed.methods.discrete import Discrete
from studio.breed.methods.frozen_attn import FrozenAttention
from studio.breed.methods.lerp import LerpRenormalize
from studio.breed.methods.slerp import Slerp

if TYPE_CHECKING:
    import torch

    from studio.breed.pair import AlignedPair
    from studio.breed.recipe import BreedRecipe, Option, RecipeDraw


class MergeMethod(Protocol):
    name: str
    summary: str
    options: tuple[Option, ...]
    random_recipe: Callable[[RecipeDraw], BreedRecipe] | None

    def merge(self, pair: AlignedPair, recipe: BreedRecipe) -> dict[str, torch.Tensor]: ...


METHODS: dict[str, MergeMethod] = {m.name: m for m in (Slerp(), FrozenAttention(), Discrete(), LerpRenormalize())}


def evolvable() -> tuple[str, ...]:
    """The methods Darwin draws recipes from (those with a ``random_recipe``), in registry order."""
    return tuple(name for name, method in METHODS.items() if method.random_recipe is not None)
