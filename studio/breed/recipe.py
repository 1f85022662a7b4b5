"""BreedRecipe: everything that determines a child besides its two parents."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping

from studio.errors import StudioError

ATTN_FROM = ("a", "b")
GRANULARITIES = ("neuron", "head", "layer")


@dataclass(frozen=True)
class BreedRecipe:
    """How to breed: method, interpolation amounts and the crossover seed.

    ``t`` is the default amount (0 = parent A, 1 = parent B). Part overrides
    (``t_attn``, ``t_ff``, ``t_embed``) win over per-layer values (``t_layers``,
    one per block), which win over ``t``.
    """

    method: str = "slerp"
    t: float = 0.5
    t_attn: float | None = None
    t_ff: float | None = None
    t_embed: float | None = None
    t_layers: tuple[float, ...] | None = None
    attn_from: str = "a"
    granularity: str = "neuron"
    seed: int = 0

    def validate(self, depth: int | None = None) -> None:
        from studio.breed.methods import METHODS

        if self.method not in METHODS:
            raise StudioError(f"unknown breeding method {self.method!r} (known: {', '.join(METHODS)})")
        for name in ("t", "t_attn", "t_ff", "t_embed"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise StudioError(f"{name.replace('_', '-')} must be between 0 and 1, not {value}")
        if self.t_layers is not None:
            if any(not 0.0 <= v <= 1.0 for v in self.t_layers):
                raise StudioError("every value of t-layers must be between 0 and 1")
            if depth is not None and len(self.t_layers) != depth:
                raise StudioError(f"t-layers has {len(self.t_layers)} values but the parents have {depth} layers")
        if self.attn_from not in ATTN_FROM:
            raise StudioError(f"attn-from must be a or b, not {self.attn_from!r}")
        if self.granularity not in GRANULARITIES:
            raise StudioError(f"granularity must be one of {', '.join(GRANULARITIES)}, not {self.granularity!r}")

    def t_for(self, part: str, layer: int | None) -> float:
        """The amount for a tensor of ``part`` (attn, ff, embed) in block ``layer``."""
        override = {"attn": self.t_attn, "ff": self.t_ff, "embed": self.t_embed}.get(part)
        if override is not None:
            return override
        if self.t_layers is not None and layer is not None:
            return self.t_layers[layer]
        return self.t

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.t_layers is not None:
            data["t_layers"] = list(self.t_layers)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "BreedRecipe":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if known.get("t_layers") is not None:
            known["t_layers"] = tuple(float(v) for v in known["t_layers"])
        return cls(**known)
