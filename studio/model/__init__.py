"""nGPT checkpoints: compatibility, loading and saving, the fast engine, the sampler.

The names below load their modules on first use (PEP 562), so ``import studio.model``
or a torch-free submodule (``vocab``, ``art``) does not load PyTorch: the app shows its
window while the worker thread imports it. Every path that builds an nGPT model goes
through ``compat``, which restores ``__hash__`` on nGPT-pytorch's modules on import;
``import studio.model.compat`` is what stands in for the card's ``import ngpt_patch``.
"""

from __future__ import annotations

from studio.lazy import lazy_attributes
from studio.model.art import Art, SampleSettings
from studio.model.vocab import CONDITIONAL, EOA, SEP, SOL, TEXT, UNCONDITIONAL, Vocab

_LAZY = {
    "build_model": "compat",
    "patch_ngpt_hash": "compat",
    "ArtistCheckpoint": "checkpoint",
    "lineage_record": "checkpoint",
    "load_checkpoint": "checkpoint",
    "save_checkpoint": "checkpoint",
    "Engine": "engine",
    "pick_device": "engine",
    "sample_gallery": "sampler",
}

__getattr__ = lazy_attributes("studio.model", _LAZY)

__all__ = ["Art", "CONDITIONAL", "EOA", "SEP", "SOL", "SampleSettings", "TEXT", "UNCONDITIONAL", "Vocab", *_LAZY]
