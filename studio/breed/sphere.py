"""Interpolation on the unit sphere and of positive scales, one vector per row.

``SphereLerp`` precomputes, for two stacks of unit vectors, the angle between each
pair; a child at any t is then two multiplications and an add:

    slerp(a, b, t) = sin((1-t) w) / sin(w) * a + sin(t w) / sin(w) * b,  cos w = a.b

Near-parallel pairs (sin w ~ 0) fall back to normalized lerp, which is the same
limit. Antiparallel pairs have no unique great circle; they fall back to the
nearer endpoint (a for t < 0.5, else b), keeping the result on the sphere.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

_PARALLEL = 1e-6


class SphereLerp:
    """Great-circle interpolation between matching rows of ``a`` and ``b``."""

    def __init__(self, a: torch.Tensor, b: torch.Tensor):
        self.a = F.normalize(a.double(), dim=-1)
        self.b = F.normalize(b.double(), dim=-1)
        cos = (self.a * self.b).sum(-1, keepdim=True).clamp(-1.0, 1.0)
        self.omega = torch.acos(cos)
        self.sin = torch.sin(self.omega)
        self.parallel = self.sin < _PARALLEL
        self.antiparallel = self.parallel & (cos < 0)
        self.safe_sin = torch.where(self.parallel, torch.ones_like(self.sin), self.sin)

    def at(self, t: float) -> torch.Tensor:
        wa = torch.sin((1 - t) * self.omega) / self.safe_sin
        wb = torch.sin(t * self.omega) / self.safe_sin
        out = wa * self.a + wb * self.b
        if self.parallel.any():
            nlerp = F.normalize(torch.lerp(self.a, self.b, t), dim=-1)
            nearer = self.a if t < 0.5 else self.b
            fallback = torch.where(self.antiparallel, nearer, nlerp)
            out = torch.where(self.parallel, fallback, out)
        return F.normalize(out, dim=-1)  # exact already; removes rounding drift


def slerp_rows(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Slerp each row of ``a`` towards the same row of ``b`` (float64 inside)."""
    return SphereLerp(a, b).at(t).to(a.dtype)


def interpolate_scales(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Geometric interpolation a^(1-t) b^t of positive scales; linear if any is not positive."""
    if bool((a > 0).all()) and bool((b > 0).all()):
        return torch.exp(torch.lerp(a.double().log(), b.double().log(), t)).to(a.dtype)
    return torch.lerp(a, b, t)
