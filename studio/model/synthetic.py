"""Randomly initialised checkpoints, for benchmarks and tests (no training data needed)."""

from __future__ import annotations

import string

import torch

from studio.model import compat
from studio.model.checkpoint import ArtistCheckpoint
from studio.model.vocab import CONDITIONAL, SPECIAL_TOKENS, Vocab

# The card's artists: dim 256, depth 4, heads 4 x 64 -> ~3.2M parameters.
CARD_ARTIST_CONFIG = {"dim": 256, "depth": 4, "heads": 4, "dim_head": 64}


def ascii_vocab(size: int = 106) -> Vocab:
    """SOL/SEP/EOA, newline, printable ASCII, then Latin-1 letters up to ``size`` chars."""
    chars = list(SPECIAL_TOKENS) + ["\n"] + [c for c in string.printable if c not in "\t\n\r\x0b\x0c"]
    extra = (chr(i) for i in range(0xC0, 0x250))
    while len(chars) < size:
        chars.append(next(extra))
    return Vocab.from_chars(chars[:size])


def random_checkpoint(
    *,
    vocab: Vocab | None = None,
    vocab_size: int = 106,
    dim: int = 32,
    depth: int = 2,
    heads: int = 2,
    dim_head: int = 16,
    variant: str = compat.STANDARD,
    framing: str = CONDITIONAL,
    seed: int = 0,
    name: str = "",
    scale_jitter: float = 0.0,
    **config,
) -> ArtistCheckpoint:
    """A fresh nGPT with nGPT-pytorch's own initialisation, seeded.

    ``scale_jitter`` perturbs the learned scale vectors (which start constant), so
    tests exercise every scale in the forward math.
    """
    vocab = vocab or ascii_vocab(vocab_size)
    full_config = {"num_tokens": len(vocab), "dim": dim, "depth": depth, "heads": heads, "dim_head": dim_head, **config}
    torch.manual_seed(seed)
    model = compat.build_model(full_config, variant)
    if scale_jitter:
        with torch.no_grad():
            for pname, param in model.named_parameters():
                if pname.endswith("scale"):
                    param.mul_(1 + scale_jitter * torch.rand_like(param))
    return ArtistCheckpoint(
        config=full_config,
        state_dict={k: v.detach().clone() for k, v in model.state_dict().items()},
        vocab=vocab,
        framing=framing,
        variant=compat.normalize_variant(variant),
        name=name,
        framing_source="user",
    )
