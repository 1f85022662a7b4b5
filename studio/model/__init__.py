"""nGPT checkpoints: compatibility, loading and saving, the fast engine, the sampler.

Importing this package restores ``__hash__`` on nGPT-pytorch's modules (see
``compat.patch_ngpt_hash``), so it must be imported before nGPT models are built.
"""

from studio.model.compat import build_model, patch_ngpt_hash
from studio.model.checkpoint import ArtistCheckpoint, lineage_record, load_checkpoint, save_checkpoint
from studio.model.engine import Engine, pick_device
from studio.model.sampler import Art, SampleSettings, sample_gallery
from studio.model.vocab import CONDITIONAL, EOA, SEP, SOL, TEXT, UNCONDITIONAL, Vocab

__all__ = [
    "ArtistCheckpoint",
    "Art",
    "CONDITIONAL",
    "EOA",
    "Engine",
    "SEP",
    "SOL",
    "SampleSettings",
    "TEXT",
    "UNCONDITIONAL",
    "Vocab",
    "build_model",
    "lineage_record",
    "load_checkpoint",
    "patch_ngpt_hash",
    "pick_device",
    "sample_gallery",
    "save_checkpoint",
]
