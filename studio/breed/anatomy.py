"""What each tensor of an nGPT state dict is, for breeding.

* ``rows``: a NormLinear whose rows are unit vectors (q, k, v, to_hidden, to_gate,
  token_embed, to_logits);
* ``cols``: a NormLinear built with ``norm_dim_in=False`` (the two ``to_out``
  projections): its columns are the unit vectors, one per head dim / hidden unit;
* ``scale``: a learned Scale vector (branch, qk, hidden, gate, logit scales);
* ``fixed``: not learned (rotary frequencies), taken from parent A.

``part`` is ``attn`` (block i's attention and its residual scale), ``ff`` (block
i's feed-forward and its residual scale) or ``embed`` (embeddings, logits, logit
scale); ``layer`` is the block index or None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BLOCK = re.compile(r"^layers\.(\d+)\.([01])\.")


@dataclass(frozen=True)
class TensorRole:
    kind: str  # rows | cols | scale | fixed
    part: str  # attn | ff | embed | other
    layer: int | None
    module: str  # e.g. "to_q", "hidden_scale", "branch_scale", "token_embed"
    token_indexed: bool = False  # rows (or entries) are indexed by vocabulary token


def role_of(key: str) -> TensorRole:
    match = _BLOCK.match(key)
    if match:
        layer = int(match.group(1))
        part = "attn" if match.group(2) == "0" else "ff"
        rest = key[match.end() :]
        module = rest.split(".")[1] if rest.startswith("fn.") else rest.split(".")[0]
        if rest.endswith(".scale"):
            return TensorRole("scale", part, layer, module)
        kind = "cols" if module == "to_out" else "rows"
        return TensorRole(kind, part, layer, module)
    if key.startswith("rotary_embed."):
        return TensorRole("fixed", "other", None, "rotary_embed")
    module = key.split(".")[0]
    if module == "logit_scale":
        return TensorRole("scale", "embed", None, module, token_indexed=True)
    if module in ("token_embed", "to_logits"):
        return TensorRole("rows", "embed", None, module, token_indexed=True)
    raise KeyError(f"unknown nGPT tensor {key!r}")
