"""The registry of merge methods: one module per method, one small interface.

A method is an object with ``name``, a one-line ``summary`` and
``merge(pair, recipe) -> state_dict``. Adding a method is adding one module here
and one line to ``METHODS``. The method modules import PyTorch inside ``merge``, so
the registry itself (names and summaries for the app's picker and the CLI's help) is
cheap to import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import torch

from studio.breed.methods.discrete import Discrete
from studio.breed.methods.frozen_attn import FrozenAttention
from studio.breed.methods.lerp import LerpRenormalize
from studio.breed.methods.slerp import Slerp


class MergeMethod(Protocol):
    name: str
    summary: str

    def merge(self, pair, recipe) -> dict[str, torch.Tensor]: ...


METHODS: dict[str, MergeMethod] = {m.name: m for m in (Slerp(), FrozenAttention(), Discrete(), LerpRenormalize())}
