"""Compatibility with nGPT-pytorch: the one place that constructs nGPT modules.

* nGPT-pytorch's modules define ``__eq__`` without ``__hash__``, which makes them
  unhashable, and ``Module.to()`` / ``.modules()`` / ``.parameters()`` then fail.
  ``patch_ngpt_hash`` restores identity hashing; it runs once, at import of
  ``studio.model``, and is idempotent.
* A checkpoint's ``config`` holds nGPT keyword arguments *and* metadata keys the
  constructor does not take. ``split_config`` separates them so metadata survives.
* State dicts come in two key forms: with the weight parametrization
  (``...linear.parametrizations.weight.original``) or plain (``...linear.weight``,
  from ``manual_norm_weights=True``). ``adapt_state_dict_keys`` maps either onto
  the form the target module expects.
* The ``smith`` variant keeps every parameter name and swaps the residual update
  for the exact geodesic (see ``geodesic_update``).
"""

from __future__ import annotations

import importlib
import inspect
import math
import numbers
from typing import Any, Mapping

import torch
import torch.nn.functional as F
from torch import nn

from studio.errors import StudioError

# The package attribute ``nGPT_pytorch.nGPT`` is the class, not the module: go
# through importlib to reach the module that defines the classes we patch.
ngpt_module = importlib.import_module("nGPT_pytorch.nGPT")
NGPT = ngpt_module.nGPT

_HASH_PATCHED_CLASSES = ("Scale", "NormLinear", "Attention", "FeedForward", "Residual", "nGPT")


def patch_ngpt_hash() -> None:
    """Give nGPT-pytorch's modules back the identity hash of ``nn.Module``."""
    for name in _HASH_PATCHED_CLASSES:
        cls = getattr(ngpt_module, name)
        if cls.__hash__ is None:
            cls.__hash__ = nn.Module.__hash__


patch_ngpt_hash()

NGPT_KWARGS = frozenset(
    name
    for name, param in inspect.signature(NGPT.__init__).parameters.items()
    if name != "self" and param.kind is param.KEYWORD_ONLY
)
REQUIRED_KWARGS = ("num_tokens", "dim", "depth")

STANDARD = "standard"
SMITH = "smith"
VARIANTS = (STANDARD, SMITH)


def normalize_variant(variant: Any) -> str:
    """Map a checkpoint's ``variant`` entry to a known variant name, or raise."""
    if variant is None or variant in ("", STANDARD, "ngpt", "nGPT"):
        return STANDARD
    if variant == SMITH:
        return SMITH
    raise StudioError(f"unknown model variant {variant!r} (known: {', '.join(VARIANTS)})")


def split_config(config: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a checkpoint config into (nGPT constructor kwargs, metadata keys)."""
    kwargs = {k: v for k, v in config.items() if k in NGPT_KWARGS}
    metadata = {k: v for k, v in config.items() if k not in NGPT_KWARGS}
    return kwargs, metadata


def architecture(config: Mapping[str, Any]) -> dict[str, Any]:
    """The shape-determining hyperparameters, with nGPT's defaults filled in."""
    kwargs, _ = split_config(config)
    defaults = {
        name: param.default
        for name, param in inspect.signature(NGPT.__init__).parameters.items()
        if param.default is not inspect.Parameter.empty
    }
    dim = kwargs["dim"]
    ff_expand = kwargs.get("ff_expand_factor", defaults["ff_expand_factor"])
    return {
        "dim": dim,
        "depth": kwargs["depth"],
        "heads": kwargs.get("heads", defaults["heads"]),
        "dim_head": kwargs.get("dim_head", defaults["dim_head"]),
        # nGPT's FeedForward sizes its hidden layer this way.
        "ff_inner": int(dim * ff_expand * 2 / 3),
        "tied_embedding": kwargs.get("tied_embedding", defaults["tied_embedding"]),
        "num_hyperspheres": kwargs.get("num_hyperspheres", defaults["num_hyperspheres"]),
        "add_value_residual": kwargs.get("add_value_residual", defaults["add_value_residual"]),
        "attn_norm_qk": kwargs.get("attn_norm_qk", defaults["attn_norm_qk"]),
    }


# ---------------------------------------------------------------------------
# bounds: a config is checked before anything is built from it

# (min, max) of the size fields; far above any real char-level model, far below
# what would take minutes or gigabytes to construct.
SIZE_LIMITS = {
    "num_tokens": (1, 2**20),
    "dim": (1, 65536),
    "depth": (1, 256),
    "heads": (1, 1024),
    "dim_head": (1, 4096),
    "num_hyperspheres": (1, 65536),
}
MAX_FF_EXPAND = 64.0
# The most parameters a model may have (4 GiB of float32): a config beyond it is
# refused before it is built.
MAX_PARAMS = 2**30

_BOOL_KWARGS = ("attn_norm_qk", "manual_norm_weights", "tied_embedding", "causal", "add_value_residual")
_REAL_KWARGS = (
    "alpha_init",
    "s_logit_init",
    "s_logit_scale",
    "alpha_attn_init",
    "alpha_attn_scale",
    "alpha_ff_init",
    "alpha_ff_scale",
    "s_qk_init",
    "s_qk_scale",
    "s_ff_hidden_init",
    "s_ff_hidden_scale",
    "s_ff_gate_init",
    "s_ff_gate_scale",
    "norm_eps",
)


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(float(value))


def validate_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """Check every nGPT keyword argument's type and range; returns the kwargs.

    Raises StudioError (one phrase, no file name) for the first bad field. Cheap:
    nothing is built.
    """
    if not isinstance(config, Mapping):
        raise StudioError("its config is not a dict")
    if not all(isinstance(k, str) for k in config):
        raise StudioError("its config has keys that are not text")
    kwargs, _ = split_config(config)
    missing = [k for k in REQUIRED_KWARGS if k not in kwargs]
    if missing:
        raise StudioError(f"the config lacks {', '.join(missing)}")
    for name, (low, high) in SIZE_LIMITS.items():
        if name not in kwargs:
            continue
        value = kwargs[name]
        if not _is_int(value):
            raise StudioError(f"config {name} must be a whole number, not {_short(value)}")
        if not low <= value <= high:
            raise StudioError(f"config {name} must be between {low} and {high}, not {_short(value)}")
    if "ff_expand_factor" in kwargs:
        value = kwargs["ff_expand_factor"]
        if not _is_real(value) or not 0 < float(value) <= MAX_FF_EXPAND:
            raise StudioError(
                f"config ff_expand_factor must be a number in (0, {MAX_FF_EXPAND:g}], not {_short(value)}"
            )
    for name in _BOOL_KWARGS:
        if name in kwargs and not isinstance(kwargs[name], bool):
            raise StudioError(f"config {name} must be true or false, not {_short(kwargs[name])}")
    for name in _REAL_KWARGS:
        if name in kwargs and kwargs[name] is not None and not _is_real(kwargs[name]):
            raise StudioError(f"config {name} must be a finite number, not {_short(kwargs[name])}")
    if "ce_ignore_index" in kwargs and not _is_int(kwargs["ce_ignore_index"]):
        raise StudioError(f"config ce_ignore_index must be a whole number, not {_short(kwargs['ce_ignore_index'])}")
    flash = kwargs.get("attn_flash_kwargs")
    flash_ok = isinstance(flash, Mapping) and all(isinstance(k, str) and isinstance(v, bool) for k, v in flash.items())
    if flash is not None and not flash_ok:
        raise StudioError("config attn_flash_kwargs must be a dict of true/false switches")
    params = estimated_parameters(kwargs)
    if params > MAX_PARAMS:
        raise StudioError(f"the config describes a model of {params:,} parameters, over the limit of {MAX_PARAMS:,}")
    return kwargs


def estimated_parameters(config: Mapping[str, Any]) -> int:
    """A lower bound on the parameters ``nGPT(**config)`` has (its weight matrices), without building it."""
    arch = architecture(config)
    dim, heads, dim_head = int(arch["dim"]), int(arch["heads"]), int(arch["dim_head"])
    embed = int(config["num_tokens"]) * dim * (1 if arch["tied_embedding"] else 2)
    per_layer = 4 * dim * heads * dim_head + 3 * dim * int(arch["ff_inner"])
    return embed + int(arch["depth"]) * per_layer


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# ---------------------------------------------------------------------------
# residual updates


def nlerp_update(x: torch.Tensor, h: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """nGPT's residual: normalized linear step from x towards h (both unit rows)."""
    return F.normalize(x.lerp(h, alpha), dim=-1)


def geodesic_update(x: torch.Tensor, h: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """The Smith (Möbius-geodesic) residual: move x along the great circle towards h.

    With theta the angle between the unit rows x and h, each coordinate is

        x' = sin((1 - alpha) theta) / sin(theta) * x + sin(alpha theta) / sin(theta) * h

    which is exact slerp by the angle fraction alpha when alpha is one number. nGPT's
    alpha is a learned vector (one eigen learning rate per dimension), so the result
    is renormalized; for a uniform alpha that is a no-op. Near theta = 0 the weights
    tend to (1 - alpha, alpha), which is what we use there to avoid 0/0.
    """
    cos = (x * h).sum(dim=-1, keepdim=True).clamp(-1.0 + 1e-7, 1.0 - 1e-7)
    theta = torch.acos(cos)
    sin_theta = torch.sin(theta)
    small = sin_theta < 1e-4
    safe_sin = torch.where(small, torch.ones_like(sin_theta), sin_theta)
    w_x = torch.where(small, 1.0 - alpha, torch.sin((1.0 - alpha) * theta) / safe_sin)
    w_h = torch.where(small, alpha, torch.sin(alpha * theta) / safe_sin)
    return F.normalize(w_x * x + w_h * h, dim=-1)


class SmithResidual(ngpt_module.Residual):
    """nGPT's Residual with the exact-geodesic update; same parameters, same names."""

    def forward(self, x, **kwargs):
        out = self.fn(x, **kwargs)
        rest = ()
        if isinstance(out, tuple):
            out, *rest = out
        out = geodesic_update(x, F.normalize(out, dim=-1), self.branch_scale())
        return (out, *rest) if rest else out


# ---------------------------------------------------------------------------
# construction


def build_model(config: Mapping[str, Any], variant: str = STANDARD) -> nn.Module:
    """Construct an (untrained) nGPT from a checkpoint config; metadata keys are ignored."""
    kwargs = validate_config(config)
    model = NGPT(**kwargs)
    if normalize_variant(variant) == SMITH:
        # Swap the class of each residual in place: parameters and their names stay.
        for layer in model.layers:
            for residual in layer:
                residual.__class__ = SmithResidual
    return model


# The two key forms of a NormLinear's weight: parametrized (nGPT's default) and plain
# (``manual_norm_weights=True``). Every renaming between them goes through here.
PARAM_SUFFIX = ".linear.parametrizations.weight.original"
PLAIN_SUFFIX = ".linear.weight"


def norm_weight_key(key: str, *, plain: bool) -> str:
    """``key`` in the plain or the parametrized form (other keys unchanged)."""
    if plain and key.endswith(PARAM_SUFFIX):
        return key[: -len(PARAM_SUFFIX)] + PLAIN_SUFFIX
    if not plain and key.endswith(PLAIN_SUFFIX):
        return key[: -len(PLAIN_SUFFIX)] + PARAM_SUFFIX
    return key


def adapt_state_dict_keys(state_dict: Mapping[str, torch.Tensor], expected_keys) -> dict[str, torch.Tensor]:
    """Rename NormLinear weights between the parametrized and plain key forms."""
    expected = set(expected_keys)
    adapted: dict[str, torch.Tensor] = {}
    for key, value in state_dict.items():
        if key not in expected:
            other = norm_weight_key(key, plain=key.endswith(PARAM_SUFFIX))
            if other in expected:
                key = other
        adapted[key] = value
    return adapted


def load_weights(model: nn.Module, state_dict: Mapping[str, torch.Tensor]) -> None:
    """Load a state dict of either key form; raises StudioError on a mismatch."""
    adapted = adapt_state_dict_keys(state_dict, model.state_dict().keys())
    expected = model.state_dict()
    missing = [k for k in expected if k not in adapted]
    unexpected = [k for k in adapted if k not in expected]
    # rotary frequencies are derived from the config; older files may lack them
    missing = [k for k in missing if not k.endswith("rotary_embed.freqs")]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} weights (e.g. {missing[0]})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected weights (e.g. {unexpected[0]})")
        raise StudioError("the weights do not match the config: " + " and ".join(parts))
    for key, value in adapted.items():
        if not isinstance(value, torch.Tensor):
            raise StudioError(f"the weight {key} is not a tensor")
        if value.shape != expected[key].shape:
            raise StudioError(
                f"the weight {key} has shape {tuple(value.shape)} but the config needs {tuple(expected[key].shape)}"
            )
    model.load_state_dict(adapted, strict=False)
