"""Permutation alignment ("re-basin") of parent B to parent A, for nGPT.

Two networks that differ only in the order of their attention heads, feed-forward
units or residual-stream coordinates compute the same function, but their weights
sit far apart on the sphere, and a slerp between them mixes unrelated units. This
module re-orders B's units to best match A's (weight matching, Ainsworth et al.
2023, "Git Re-Basin"), leaving B's function unchanged, so that breeding pairs each
unit of A with its counterpart in B.

What is permuted, and why it is exact in nGPT:

* **Feed-forward units**, per block: row u of ``to_hidden`` and ``to_gate``, entry
  u of ``hidden_scale`` and ``gate_scale``, column u of ``to_out``, together.
  ``silu(gate) * hidden`` acts unit by unit; the row/column normalizations of the
  NormLinears are per unit.
* **Attention heads**: the q, k and v rows of a head, its slice of ``qk_scale`` and
  its columns of ``to_out``, together; the dims *within* a head keep their order
  (rotary embedding rotates fixed pairs of dims by fixed frequencies, so moving dims
  inside a head would change the function). With the value residual (nGPT's
  default), every layer's values are mixed with the first layer's head by head,
  ``v = (v + v_first) / 2``: head h of layer l reads head h of layer 0, so one head
  permutation must serve every layer (one global permutation, matched on all layers
  at once). Without the value residual each layer has its own.
* **Residual stream** (optional): one permutation of the model dimension through
  the token embedding's and the logits' columns, every input projection's columns
  (q, k, v, hidden, gate), every output projection's rows and the residual step
  sizes (alpha). l2norm and the per-coordinate lerp commute with it. Only for
  ``num_hyperspheres = 1`` (grouped normalization would mix groups).
* **Residual sign flips** (optional, with the residual stream): negating one residual
  coordinate in every read and write is exact too (l2norm, lerp and the geodesic
  step are odd in each coordinate). With ``flips`` each coordinate may be matched to
  a negated one. Measured on the bundled independent pair it raises the weight
  similarity but gives a worse gen-0 child, so it is off by default
  (checkpoints/alignment-experiment/README.md).

Matching: maximize the sum, over every weight matrix, of the inner products between
A's unit vectors and the aligned B's (the cosine of each pair, summed). With the
other permutations fixed, each one is a linear assignment problem
(``scipy.optimize.linear_sum_assignment``); we sweep over them (residual, heads,
each block's feed-forward) until a sweep changes nothing or ``max_sweeps`` is
reached. The scales take no part in the cost; they follow their units.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from studio.breed.anatomy import role_of
from studio.breed.pair import check_compatible
from studio.errors import IncompatibleParentsError, StudioError
from studio.model import compat
from studio.model.checkpoint import ArtistCheckpoint, lineage_record

_INPUTS = ("to_q", "to_k", "to_v", "to_hidden", "to_gate")  # rows are units, columns the residual stream
_HEAD_SCALES = ("qk_scale",)
_FF_SCALES = ("hidden_scale", "gate_scale")
DEFAULT_MAX_SWEEPS = 50


@dataclass
class Permutations:
    """Index lists that gather B's units into A's order: new unit j is B's unit ``perm[j]``."""

    heads: list[list[int]]  # one per block (all equal when the value residual ties them)
    ff: list[list[int]]  # one per block
    residual: list[int] | None  # the model dimension, or None when it is left alone
    residual_signs: list[int] | None = None  # +1 or -1 per aligned residual coordinate (None: all +1)

    @classmethod
    def identity(cls, arch: dict[str, Any], residual: bool) -> "Permutations":
        depth, heads, ff = arch["depth"], arch["heads"], arch["ff_inner"]
        return cls(
            heads=[list(range(heads)) for _ in range(depth)],
            ff=[list(range(ff)) for _ in range(depth)],
            residual=list(range(arch["dim"])) if residual else None,
        )

    def moved(self) -> dict[str, int]:
        """How many units are not in their own place, by kind."""

        def count(perm):
            return sum(i != p for i, p in enumerate(perm))

        return {
            "heads": sum(count(p) for p in self.heads),
            "ff_units": sum(count(p) for p in self.ff),
            "residual_dims": count(self.residual) if self.residual is not None else 0,
            "residual_flips": sum(s < 0 for s in self.residual_signs or ()),
        }

    def is_identity(self) -> bool:
        return not any(self.moved().values())

    def to_dict(self) -> dict[str, Any]:
        return {"heads": self.heads, "ff": self.ff, "residual": self.residual, "residual_signs": self.residual_signs}

    def digest(self) -> str:
        text = json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


def _check_alignable(a: ArtistCheckpoint, b: ArtistCheckpoint, residual: bool) -> dict[str, Any]:
    try:
        check_compatible(a, b)
    except IncompatibleParentsError as exc:
        raise IncompatibleParentsError(str(exc).replace("cannot breed", "cannot align", 1)) from None
    arch = a.arch
    if arch["heads"] != b.arch["heads"] or arch["add_value_residual"] != b.arch["add_value_residual"]:
        raise IncompatibleParentsError(f"cannot align {b.display_path} to {a.display_path}: their attention differs")
    if residual and arch["num_hyperspheres"] != 1:
        raise StudioError(
            "the residual stream can be permuted only with num_hyperspheres = 1 "
            f"(this pair has {arch['num_hyperspheres']}); align without it"
        )
    return arch


# -- applying a permutation ----------------------------------------------------------------


def _head_index(perm: list[int], dim_head: int) -> torch.Tensor:
    """Rows of the (heads * dim_head) inner dimension for a permutation of whole heads."""
    heads = torch.as_tensor(perm, dtype=torch.long)
    return (heads[:, None] * dim_head + torch.arange(dim_head)[None, :]).reshape(-1)


def permute_state(state: dict[str, torch.Tensor], arch: dict[str, Any], perms: Permutations) -> dict[str, torch.Tensor]:
    """B's state dict with its units gathered by ``perms`` (same keys, same function)."""
    residual = torch.as_tensor(perms.residual, dtype=torch.long) if perms.residual is not None else None
    signs = None
    if residual is not None and perms.residual_signs is not None and any(s < 0 for s in perms.residual_signs):
        signs = torch.as_tensor(perms.residual_signs)
    heads = [_head_index(p, arch["dim_head"]) for p in perms.heads]
    ff = [torch.as_tensor(p, dtype=torch.long) for p in perms.ff]
    out: dict[str, torch.Tensor] = {}
    for key, tensor in state.items():
        role = role_of(key)
        t = tensor
        if role.part in ("attn", "ff"):
            unit = heads[role.layer] if role.part == "attn" else ff[role.layer]
            if role.module in _INPUTS:
                t = t[unit]
                if residual is not None:
                    t = t[:, residual]
                    if signs is not None:
                        t = t * signs.to(t.dtype)[None, :]
            elif role.module == "to_out":
                t = t[:, unit]
                if residual is not None:
                    t = t[residual]
                    if signs is not None:
                        t = t * signs.to(t.dtype)[:, None]
            elif role.module in _HEAD_SCALES + _FF_SCALES:
                t = t[unit]
            elif role.module == "branch_scale":
                if residual is not None:
                    t = t[residual]
            else:
                raise StudioError(f"alignment does not know the tensor {key}")
        elif role.module in ("token_embed", "to_logits"):
            if residual is not None:
                t = t[:, residual]
                if signs is not None:
                    t = t * signs.to(t.dtype)[None, :]
        elif role.module not in ("logit_scale", "rotary_embed"):
            raise StudioError(f"alignment does not know the tensor {key}")
        out[key] = t.clone().contiguous()
    return out


# -- matching ---------------------------------------------------------------------------------


def _unit_vectors(ckpt: ArtistCheckpoint, chars: list[str] | None) -> dict[tuple[str, int | None, str], torch.Tensor]:
    """The weight matrices as nGPT uses them (unit rows, or unit columns for to_out), float64,
    keyed by (part, layer, module); token-indexed ones restricted to ``chars`` in that order."""
    out = {}
    for key, tensor in ckpt.state_dict.items():
        role = role_of(key)
        if role.kind not in ("rows", "cols"):
            continue
        t = tensor.double()
        t = F.normalize(t, dim=0) if role.kind == "cols" else F.normalize(t, dim=-1)
        if role.token_indexed and chars is not None:
            t = t[[ckpt.vocab.stoi[c] for c in chars]]
        out[(role.part, role.layer, role.module)] = t
    return out


def _permuted_vectors(vectors: dict, arch: dict[str, Any], perms: Permutations) -> dict:
    """``permute_state`` for the keyed unit vectors of ``_unit_vectors``."""
    fake = {}
    names = {}
    for (part, layer, module), t in vectors.items():
        if part == "embed":
            key = f"{module}.linear.weight"
        else:
            key = f"layers.{layer}.{0 if part == 'attn' else 1}.fn.{module}.linear.weight"
        fake[key] = t
        names[key] = (part, layer, module)
    return {names[k]: v for k, v in permute_state(fake, arch, perms).items()}


def similarity(va: dict, vb: dict) -> tuple[float, int]:
    """(sum of the cosines between matching unit vectors, how many there are)."""
    total, count = 0.0, 0
    for key, ta in va.items():
        tb = vb[key]
        total += float((ta * tb).sum())
        count += ta.shape[1] if key[2] == "to_out" else ta.shape[0]
    return total, count


def _head_cost(va: dict, vb: dict, layers: list[int], heads: int) -> torch.Tensor:
    cost = torch.zeros(heads, heads, dtype=torch.float64)
    for layer in layers:
        for module in ("to_q", "to_k", "to_v", "to_out"):
            ta, tb = va[("attn", layer, module)], vb[("attn", layer, module)]
            if module == "to_out":
                ta, tb = ta.t(), tb.t()
            cost += ta.reshape(heads, -1) @ tb.reshape(heads, -1).t()
    return cost


def _ff_cost(va: dict, vb: dict, layer: int) -> torch.Tensor:
    cost = va[("ff", layer, "to_hidden")] @ vb[("ff", layer, "to_hidden")].t()
    cost += va[("ff", layer, "to_gate")] @ vb[("ff", layer, "to_gate")].t()
    cost += va[("ff", layer, "to_out")].t() @ vb[("ff", layer, "to_out")]
    return cost


def _residual_cost(va: dict, vb: dict, dim: int) -> torch.Tensor:
    cost = torch.zeros(dim, dim, dtype=torch.float64)
    for key, ta in va.items():
        tb = vb[key]
        if key[2] == "to_out":
            cost += ta @ tb.t()  # rows are residual coordinates
        else:
            cost += ta.t() @ tb  # columns are residual coordinates
    return cost


def _assign(cost: torch.Tensor, signed: bool = False) -> tuple[list[int], list[int]] | None:
    """(perm, signs) maximizing the trace of ``cost`` with its columns gathered by perm (and
    multiplied by signs, when ``signed``: each pair then counts |cost|); None when the identity
    is as good (so ties never move a unit)."""
    from scipy.optimize import linear_sum_assignment

    matrix = cost.numpy()
    rows, cols = linear_sum_assignment(np.abs(matrix) if signed else matrix, maximize=True)
    chosen = matrix[rows, cols]
    gain = (np.abs(chosen) if signed else chosen).sum() - np.trace(matrix)
    if gain <= 1e-9 * max(1.0, abs(float(np.trace(matrix)))):
        return None
    perm, signs = [0] * len(rows), [1] * len(rows)
    for r, c, value in zip(rows, cols, chosen):
        perm[int(r)] = int(c)
        signs[int(r)] = -1 if signed and value < 0 else 1
    return perm, signs


@dataclass
class Alignment:
    """B's units put in A's order: the permutations, how well they match, and B's new weights."""

    permutations: Permutations
    state_dict: dict[str, torch.Tensor]
    sweeps: int
    converged: bool
    cosine_before: float  # mean cosine between matching unit vectors of A and B
    cosine_after: float  # the same with B aligned
    head_permutation: str  # "global" (value residual) or "per layer"

    def summary(self) -> dict[str, Any]:
        """What a lineage records: enough to redo it, and how much it moved."""
        return {
            "residual": self.permutations.residual is not None,
            "heads": self.head_permutation,
            "sweeps": self.sweeps,
            "converged": self.converged,
            "moved": self.permutations.moved(),
            "mean_cosine_before": round(self.cosine_before, 6),
            "mean_cosine_after": round(self.cosine_after, 6),
            "digest": self.permutations.digest(),
            "permutations": self.permutations.to_dict(),
        }


def align(
    a: ArtistCheckpoint,
    b: ArtistCheckpoint,
    *,
    residual: bool = False,
    flips: bool = False,
    max_sweeps: int = DEFAULT_MAX_SWEEPS,
) -> Alignment:
    """Permute B's heads, feed-forward units (and, with ``residual``, the residual stream)
    to best match A; B's function is unchanged."""
    arch = _check_alignable(a, b, residual)
    if max_sweeps < 1:
        raise StudioError(f"max sweeps must be at least 1, not {max_sweeps}")
    common = None
    if not a.vocab.byte_level:
        known = b.vocab.stoi
        common = [c for c in a.vocab.chars if c in known]
    state_b = compat.adapt_state_dict_keys(b.state_dict, a.state_dict.keys())
    va = _unit_vectors(a, common)
    vb = _unit_vectors(replace(b, state_dict=state_b), common)
    depth, heads = arch["depth"], arch["heads"]
    tied = bool(arch["add_value_residual"])
    head_groups = [list(range(depth))] if tied else [[layer] for layer in range(depth)]
    perms = Permutations.identity(arch, residual)
    before, count = similarity(va, vb)

    sweeps, converged = 0, False
    while sweeps < max_sweeps:
        sweeps += 1
        changed = False
        if residual:
            found = _assign(_residual_cost(va, _permuted_vectors(vb, arch, perms), arch["dim"]), signed=flips)
            if found is not None:
                order, signs = found
                old = perms.residual_signs or [1] * len(order)
                perms.residual = [perms.residual[j] for j in order]
                perms.residual_signs = [s * old[j] for s, j in zip(signs, order)]
                changed = True
        for group in head_groups:
            found = _assign(_head_cost(va, _permuted_vectors(vb, arch, perms), group, heads))
            if found is not None:
                for layer in group:
                    perms.heads[layer] = [perms.heads[layer][j] for j in found[0]]
                changed = True
        current = _permuted_vectors(vb, arch, perms)
        for layer in range(depth):
            found = _assign(_ff_cost(va, current, layer))
            if found is not None:
                perms.ff[layer] = [perms.ff[layer][j] for j in found[0]]
                changed = True
        if not changed:
            converged = True
            break
    after, _ = similarity(va, _permuted_vectors(vb, arch, perms))
    return Alignment(
        permutations=perms,
        state_dict=permute_state(b.state_dict, arch, perms),
        sweeps=sweeps,
        converged=converged,
        cosine_before=before / count,
        cosine_after=after / count,
        head_permutation="global" if tied else "per layer",
    )


def stand_in(b: ArtistCheckpoint, alignment: Alignment) -> ArtistCheckpoint:
    """B with aligned weights, standing for B's file (same name, path, lineage): for
    breeding in memory, where the child's lineage names B and records the alignment."""
    return replace(b, state_dict=alignment.state_dict)


def aligned_checkpoint(
    a: ArtistCheckpoint, b: ArtistCheckpoint, alignment: Alignment, *, name: str | None = None
) -> ArtistCheckpoint:
    """B aligned to A as a checkpoint of its own: its lineage names B (the source of the
    weights) and A (the reference), method "align", with the permutations."""
    params = {"reference": a.name, **alignment.summary()}
    if b.lineage:
        params["source_lineage"] = b.lineage
    return replace(
        b,
        state_dict=alignment.state_dict,
        lineage=lineage_record([b, a], "align", params),
        path=None,
        name=name or f"{b.name}_aligned_to_{a.name}",
    )


def record_alignment(lineage: dict[str, Any] | None, alignment: Alignment) -> dict[str, Any] | None:
    """A child's lineage with the alignment of its parent B added to its params."""
    if not lineage:
        return lineage
    params = dict(lineage.get("params") or {})
    params["align"] = {"b_to_a": True, **alignment.summary()}
    return {**lineage, "params": params}


__all__ = [
    "Alignment",
    "Permutations",
    "align",
    "aligned_checkpoint",
    "permute_state",
    "record_alignment",
    "stand_in",
]
