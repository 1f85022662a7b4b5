"""BreedRecipe: everything that determines a child besides its two parents.

A recipe is a method name plus that method's options. Each method declares its
options (:class:`Option`: name, type, choices or range, default, help) in its own
module; the recipe, the CLI's flags, the breeding bay's widgets and Darwin's search
all read them from the registry (``studio.breed.methods.METHODS``), so a new method
or option is written once, where its math is.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from studio.errors import StudioError

ATTN_FROM = ("a", "b")
GRANULARITIES = ("neuron", "head", "layer")


@dataclass(frozen=True)
class Option:
    """One option of a merge method.

    ``type`` is float, int or str. ``choices`` lists the allowed values of a str
    option; ``low``/``high`` bound a number. ``default`` None means "not set" (the
    option then defers to another, as ``t_attn`` defers to ``t``). ``per_layer``: the
    value is a tuple of ``type``, one per block of the parents.
    """

    name: str
    type: type
    default: Any
    help: str
    choices: tuple[str, ...] | None = None
    low: float | None = None
    high: float | None = None
    per_layer: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def label(self) -> str:
        return self.name.replace("_", "-")

    def parse(self, text: str) -> Any:
        """The value of a command-line string (a comma-separated list when per layer)."""
        try:
            if self.per_layer:
                return tuple(self.type(v) for v in text.split(","))
            return self.type(text)
        except ValueError:
            kind = {float: "a number", int: "an integer"}.get(self.type, "a value")
            what = f"{kind} per block, comma-separated" if self.per_layer else kind
            raise StudioError(f"{self.flag} must be {what}, not {text!r}") from None

    def check(self, value: Any, depth: int | None = None) -> None:
        """Raise StudioError if ``value`` is not allowed (None is, for an option that may be unset)."""
        if value is None:
            if self.default is None:
                return
            raise StudioError(f"{self.label} must be set")
        values = value if self.per_layer else (value,)
        if self.per_layer and depth is not None and len(values) != depth:
            raise StudioError(f"{self.label} has {len(values)} values but the parents have {depth} layers")
        for v in values:
            if self.choices is not None and v not in self.choices:
                raise StudioError(f"{self.label} must be one of {', '.join(self.choices)}, not {v!r}")
            if self.low is not None and self.high is not None and not self.low <= v <= self.high:
                every = "every value of " if self.per_layer else ""
                raise StudioError(f"{every}{self.label} must be between {self.low:g} and {self.high:g}, not {v}")

    def normalize(self, value: Any) -> Any:
        if value is None:
            return None
        if self.per_layer:
            return tuple(self.type(v) for v in value)
        return self.type(value) if self.type in (int, float) else value


# The amounts that slerp, lerp and frozen-attn share: 0 = parent A, 1 = parent B.
# Part overrides (t_attn, t_ff, t_embed) win over per-layer values (t_layers), which
# win over t.
AMOUNT = dict(type=float, low=0.0, high=1.0)
AMOUNTS: tuple[Option, ...] = (
    Option("t", default=0.5, help="amount of B: 0 = A, 1 = B", **AMOUNT),
    Option("t_attn", default=None, help="t for attention (overrides t and t-layers there)", **AMOUNT),
    Option("t_ff", default=None, help="t for feed-forward", **AMOUNT),
    Option("t_embed", default=None, help="t for embeddings and logits", **AMOUNT),
    Option("t_layers", default=None, per_layer=True, help='t per block, e.g. "0.2,0.4,0.6,0.8"', **AMOUNT),
)
SEED = Option("seed", type=int, default=0, low=0, high=2**31 - 1, help="seed of the crossover")


def _methods() -> Mapping[str, Any]:
    from studio.breed.methods import METHODS  # the registry imports the method modules, which import this one

    return METHODS


def all_options() -> dict[str, tuple[Option, list[str]]]:
    """Every option of every registered method, once: name -> (option, the methods that take it)."""
    seen: dict[str, tuple[Option, list[str]]] = {}
    for name, method in _methods().items():
        for option in method.options:
            if option.name in seen:
                seen[option.name][1].append(name)
            else:
                seen[option.name] = (option, [name])
    return seen


class BreedRecipe:
    """How to breed: a method and its options, e.g. ``BreedRecipe("slerp", t=0.3)``.

    Options the method does not take are dropped (another method's options, as in
    ``BreedRecipe("discrete", t=0.5)``); a name that no method takes is an error.
    Options left out get the method's defaults. Read them as attributes
    (``recipe.t``) or from ``recipe.options``.
    """

    __slots__ = ("method", "options")

    def __init__(self, method: str = "slerp", **options: Any):
        methods = _methods()
        if method not in methods:
            raise StudioError(f"unknown breeding method {method!r} (known: {', '.join(methods)})")
        unknown = set(options) - set(all_options())
        if unknown:
            raise StudioError(f"no breeding method takes the option {sorted(unknown)[0]!r}")
        values = {}
        for option in methods[method].options:
            values[option.name] = option.normalize(options.get(option.name, option.default))
        object.__setattr__(self, "method", method)
        object.__setattr__(self, "options", values)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a BreedRecipe is immutable")

    def __getattr__(self, name: str) -> Any:
        options = object.__getattribute__(self, "options")
        if name in options:
            return options[name]
        raise AttributeError(f"the {self.method} recipe has no option {name!r}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BreedRecipe) and (self.method, self.options) == (other.method, other.options)

    def __hash__(self) -> int:
        return hash((self.method, tuple(sorted(self.options.items()))))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"BreedRecipe({self.method!r}{', ' if args else ''}{args})"

    @property
    def seed(self) -> int | None:
        """The crossover seed, for methods that take one (None for the others)."""
        return self.options.get("seed")

    def validate(self, depth: int | None = None) -> None:
        """Raise StudioError naming the first option out of its range (``depth``: the parents' layers)."""
        for option in _methods()[self.method].options:
            option.check(self.options[option.name], depth)

    def t_for(self, part: str, layer: int | None) -> float:
        """The amount for a tensor of ``part`` (attn, ff, embed) in block ``layer``."""
        override = self.options.get({"attn": "t_attn", "ff": "t_ff", "embed": "t_embed"}.get(part, ""))
        if override is not None:
            return override
        t_layers = self.options.get("t_layers")
        if t_layers is not None and layer is not None:
            return t_layers[layer]
        return self.options.get("t", 0.5)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"method": self.method}
        for name, value in self.options.items():
            data[name] = list(value) if isinstance(value, tuple) else value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BreedRecipe:
        """A recipe from ``to_dict`` (or an older flat recipe that listed every method's options)."""
        method = data.get("method", "slerp")
        known = all_options()
        return cls(method, **{k: v for k, v in data.items() if k in known})


@dataclass
class RecipeDraw:
    """What a method needs to draw a random recipe for Darwin.

    ``center`` and ``spread``: amounts are drawn uniformly within ``spread`` of
    ``center`` (clipped to [0, 1], rounded to 4 places); ``depth``: the parents' blocks.
    """

    rng: random.Random
    center: float
    spread: float
    depth: int

    def amount(self) -> float:
        value = self.center + self.rng.uniform(-self.spread, self.spread)
        return round(min(1.0, max(0.0, value)), 4)

    def amounts(self) -> tuple[float, ...]:
        """One amount per block."""
        return tuple(self.amount() for _ in range(self.depth))

    def choice(self, values: Iterable[Any]) -> Any:
        return self.rng.choice(tuple(values))

    def seed(self) -> int:
        return self.rng.randrange(2**31)
