"""The checkpoint format: one loader, one saver.

A checkpoint is a ``torch.save``d dict (see docs/design.md §1):

    config   nGPT(**config) keyword arguments
    model    the state dict (parametrized or plain NormLinear keys)
    stoi     {char: index}, itos [char] or {index: char}   (absent for byte-level)
    variant  optional, "smith" for the geodesic residual
    ...      anything else is kept and written back on save

``load_checkpoint`` reads with ``weights_only=True``. A file that needs full
unpickling is refused with ``UntrustedCheckpointError`` unless the caller passes
``trust=True`` (the CLI's ``--trust``, the app's confirmation).

Files we write must load with the card's own snippet, ``nGPT(**ck["config"])``,
so ``config`` holds only constructor arguments; any other config keys we read are
kept under ``config_extra`` and merged back on load.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import pickle
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Collection, Mapping, Union

import torch

from studio import __version__
from studio.errors import CheckpointError, StudioError, UntrustedCheckpointError
from studio.fsutil import atomic_write, default_name, max_file_bytes, open_input, sha256_file
from studio.model import compat
from studio.model.vocab import CONDITIONAL, FRAMINGS, TEXT, UNCONDITIONAL, Vocab

# Top-level keys the format defines; everything else is carried through untouched.
_FORMAT_KEYS = frozenset(
    {"config", "config_extra", "model", "stoi", "itos", "variant", "framing", "labels", "lineage", "metrics", "name"}
)
# Top-level scalars that older files keep beside the weights; shown as metrics.
_METRIC_KEYS = ("step", "stream_loss", "loss", "acc", "accuracy", "val_loss", "train_loss", "bpc", "val_bpc")


@dataclass
class ArtistCheckpoint:
    """A model checkpoint in memory: config, weights, vocabulary and what we know of it."""

    config: dict[str, Any]
    state_dict: dict[str, torch.Tensor]
    vocab: Vocab
    framing: str
    variant: str = compat.STANDARD
    labels: list[str] = field(default_factory=list)
    lineage: dict[str, Any] | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    name: str = ""
    framing_source: str = "file"  # file | inferred | user

    # -- what it is ---------------------------------------------------------

    @property
    def model_kwargs(self) -> dict[str, Any]:
        return compat.split_config(self.config)[0]

    @property
    def config_metadata(self) -> dict[str, Any]:
        return compat.split_config(self.config)[1]

    @property
    def arch(self) -> dict[str, Any]:
        return compat.architecture(self.config)

    @property
    def num_params(self) -> int:
        return count_parameters(self.state_dict)

    @cached_property
    def sha256(self) -> str | None:
        return sha256_file(self.path) if self.path is not None and self.path.exists() else None

    @property
    def is_conditional(self) -> bool:
        return self.framing == CONDITIONAL

    # -- using it -----------------------------------------------------------

    def build_model(self, device: str | torch.device = "cpu") -> torch.nn.Module:
        """An nGPT-pytorch module with these weights, in eval mode."""
        try:
            model = compat.build_model(self.config, self.variant)
            compat.load_weights(model, self.state_dict)
        except StudioError as exc:
            raise CheckpointError(f"{self.display_path}: {exc}.") from None
        return model.to(device).eval()

    @property
    def display_path(self) -> str:
        return str(self.path) if self.path is not None else (self.name or "checkpoint")

    def to_payload(self) -> dict[str, Any]:
        """The dict that ``torch.save`` writes: the card's format plus our metadata."""
        kwargs, config_extra = compat.split_config(self.config)
        payload: dict[str, Any] = dict(self.extra)
        payload["config"] = kwargs
        if config_extra:
            payload["config_extra"] = config_extra
        manual = bool(kwargs.get("manual_norm_weights", False))
        payload["model"] = canonical_state_dict(self.state_dict, manual_norm_weights=manual)
        if not self.vocab.byte_level:
            payload["stoi"] = self.vocab.stoi
            payload["itos"] = self.vocab.itos
        payload["framing"] = self.framing
        if self.variant != compat.STANDARD:
            payload["variant"] = self.variant
        if self.labels:
            payload["labels"] = list(self.labels)
        if self.lineage:
            payload["lineage"] = self.lineage
        if self.metrics:
            payload["metrics"] = dict(self.metrics)
        if self.name:
            payload["name"] = self.name
        return payload


def _is_buffer_key(key: str) -> bool:
    return key.endswith("rotary_embed.freqs")


def count_parameters(state_dict: Mapping[str, torch.Tensor]) -> int:
    """Trainable parameters in a state dict (rotary frequencies are not learned)."""
    return sum(t.numel() for k, t in state_dict.items() if not _is_buffer_key(k))


def canonical_state_dict(
    state_dict: Mapping[str, torch.Tensor], *, manual_norm_weights: bool
) -> dict[str, torch.Tensor]:
    """Keys in the form ``nGPT(manual_norm_weights=...)`` expects; tensors on CPU, contiguous."""
    return {
        compat.norm_weight_key(key, plain=manual_norm_weights): value.detach().to("cpu").contiguous()
        for key, value in state_dict.items()
    }


# ---------------------------------------------------------------------------
# loading


# numpy dtypes a checkpoint's metadata may hold (a loss kept as ``np.float64``): plain
# numbers only. ``np.dtype("V1500000000")`` and friends (void, string, structured,
# sub-array dtypes) are how a 421-byte pickle allocates gigabytes or crashes numpy.
_NUMPY_NUMBER_DTYPES = frozenset(
    {"f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1"}
    | {
        "float16",
        "float32",
        "float64",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "bool",
    }
)


class _RefusedValue(pickle.UnpicklingError):
    """A value our stand-ins for numpy refuse. torch.load re-raises it as a plain
    UnpicklingError around its own text, so the message is found again by its tag."""

    TAG = "[refused value: "

    def __init__(self, what: str):
        super().__init__(f"{self.TAG}{what}]")

    @classmethod
    def found_in(cls, message: str) -> str | None:
        start = message.find(cls.TAG)
        end = message.find("]", start)
        return message[start + len(cls.TAG) : end] if start >= 0 and end > start else None


def _numpy_dtype(name: Any, align: Any = False, copy: Any = True) -> Any:
    """``numpy.dtype`` as a pickle may call it: only the plain number types."""
    import numpy as np

    if not isinstance(name, str) or name.lstrip("<>=|") not in _NUMPY_NUMBER_DTYPES:
        raise _RefusedValue(f"a numpy dtype {str(name)[:40]!r} that is not a plain number type")
    return np.dtype(name)


def _numpy_scalar(dtype: Any, data: Any = None) -> Any:
    """``numpy.core.multiarray.scalar`` as a pickle calls it, for plain numbers only:
    a Python number back (metadata is shown and written as JSON, never computed on)."""
    import numpy as np

    if not isinstance(dtype, np.dtype) or dtype.kind not in "biuf" or dtype.fields or dtype.subdtype:
        raise _RefusedValue("a numpy value of a type that is not a plain number")
    if not isinstance(data, bytes) or len(data) != dtype.itemsize:
        raise _RefusedValue("a numpy number whose bytes do not match its type")
    return np.frombuffer(data, dtype=np.dtype(dtype.str))[0].item()


def _safe_globals() -> list:
    """What a checkpoint may reference beyond plain containers and tensors.

    Some training scripts store numpy scalars (a loss as ``np.float64``) beside the
    weights; plain numbers are data, so they are read (as Python numbers), through
    the checked stand-ins above. Nothing that can call code or allocate at will is.
    (torch's own allow-list adds containers, tensors and storages, whose sizes are
    checked against the file by _check_archive and _check_geometry.)
    """
    allowed: list = []
    try:
        import numpy as np

        # Not the scalar classes themselves: np.float64(a tuple) builds an array, so a
        # kilobyte of nested memo references becomes a gigabyte.
        # dtype objects are built by _numpy_dtype; BUILD (setstate) runs on their types
        allowed += [type(np.dtype(t)) for t in ("float16", "float32", "float64", "int8", "int16", "int32", "int64")]
        allowed += [type(np.dtype(t)) for t in ("uint8", "uint16", "uint32", "uint64", "bool")]
        allowed += [(_numpy_dtype, "numpy.dtype")]
        # numpy < 2 pickles name the first, numpy 2 the second
        allowed += [(_numpy_scalar, "numpy.core.multiarray.scalar"), (_numpy_scalar, "numpy._core.multiarray.scalar")]
    except Exception:  # numpy is optional for reading
        pass
    return allowed


def _check_archive(path: Path, data: bytes) -> None:
    """Refuse an archive whose records would unpack to far more than the file holds (a zip bomb).

    ``torch.save`` stores records uncompressed, so a real checkpoint unpacks to about
    its own size. The sizes are read by PyTorch's own zip reader, the one torch.load
    uses next, so a file that hides its directory from Python's zipfile (trailing
    bytes, a second directory) is measured as torch would read it.
    """
    import io

    if not data.startswith(b"PK\x03\x04"):
        return  # the legacy (pre-1.6) format, or not a checkpoint: torch.load decides
    try:
        reader = torch._C.PyTorchFileReader(io.BytesIO(data))
        records = reader.get_all_records()
        unpacked = sum(max(0, int(reader.get_record_size(name))) for name in records)
    except Exception:
        raise CheckpointError(f"{path}: is truncated or corrupt (its zip directory cannot be read).") from None
    size = len(data)
    limit = min(max_file_bytes(), 2 * size + (16 << 20))
    if unpacked > limit or len(records) > 1_000_000:
        raise CheckpointError(
            f"{path}: unpacks to {unpacked:,} bytes from a {size:,}-byte file, which no checkpoint does; it is "
            f"not read."
        )


def _needs_full_unpickling(message: str) -> bool:
    text = message.lower()
    return "unsupported global" in text or "not an allowed global" in text or "is blocked" in text


def _torch_load(data: bytes, weights_only: bool) -> Any:
    import io

    if weights_only:
        with torch.serialization.safe_globals(_safe_globals()):
            return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=False)


Trust = Union[bool, Collection[str]]


def is_trusted(trust: Trust, sha256: str) -> bool:
    """``trust`` is True (the user trusts this path: --trust), False, or the sha256
    digests of the contents the user said yes to (the app's question)."""
    if isinstance(trust, bool):
        return trust
    return sha256 in trust


def read_checkpoint_bytes(path: Path) -> bytes:
    """The whole file, read once through the checked open (regular file, size cap).

    Every decision about a checkpoint (its hash, whether it is trusted, what it holds)
    is made on these bytes: opening the path again could open another file.
    """
    try:
        with open_input(path, "rb", what="checkpoint file") as handle:
            data = handle.read()
    except StudioError as exc:
        raise CheckpointError(str(exc).rstrip(".") + ".") from None
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    if not data:
        raise CheckpointError(f"{path}: is empty.")
    return data


def safe_payload(path: Path, data: bytes) -> Any:
    """What ``data`` (a checkpoint file's bytes) unpickles to with the safe loader
    alone, after the archive's sizes are checked; raises on anything else."""
    _check_archive(path, data)
    return _torch_load(data, weights_only=True)


def _read_payload(path: Path, trust: Trust) -> tuple[Any, str]:
    """The unpickled payload and the sha256 of the very bytes it was read from."""
    data = read_checkpoint_bytes(path)
    digest = hashlib.sha256(data).hexdigest()
    _check_archive(path, data)
    try:
        return _torch_load(data, weights_only=True), digest
    except StudioError:
        raise
    except pickle.UnpicklingError as exc:
        refused = _RefusedValue.found_in(str(exc))
        if refused:
            raise CheckpointError(f"{path}: holds {refused}, which no checkpoint needs; it is not read.") from None
        if not _needs_full_unpickling(str(exc)):
            raise CheckpointError(f"{path}: is corrupt or not a PyTorch checkpoint.") from None
        if not is_trusted(trust, digest):
            raise UntrustedCheckpointError(
                f"{path}: needs full unpickling, which can run code hidden in the file; "
                "load it only if you trust its source (--trust on the command line).",
                sha256=digest,
            ) from None
    except RecursionError:
        raise CheckpointError(f"{path}: is nested too deeply to be a checkpoint.") from None
    except MemoryError:
        raise CheckpointError(f"{path}: needs more memory than this machine has to be read.") from None
    except Exception:  # torch raises many types for a bad file; none is the user's bug
        raise CheckpointError(f"{path}: is truncated or corrupt (PyTorch could not read it).") from None
    # Only reached for a trusted file that the safe loader refused: the same bytes.
    try:
        return _torch_load(data, weights_only=False), digest
    except StudioError:
        raise
    except Exception:
        raise CheckpointError(f"{path}: is corrupt even when fully unpickled.") from None


def _infer_framing(payload: Mapping[str, Any], path: Path | None, vocab: Vocab) -> tuple[str, str]:
    stated = (
        payload.get("framing")
        or payload.get("config", {}).get("framing")
        or (payload.get("config_extra") or {}).get("framing")
    )
    if stated in FRAMINGS:
        return stated, "file"
    if vocab.byte_level:
        return TEXT, "inferred"
    parts = [p.lower() for p in path.parts] if path is not None else []
    if any("uncond" in p for p in parts):
        return UNCONDITIONAL, "inferred"
    if "conditional" in payload:  # some scripts store a boolean
        return (CONDITIONAL if payload["conditional"] else UNCONDITIONAL), "file"
    return CONDITIONAL, "inferred"


# Metadata deeper than this is not metadata (and would overflow the stack when printed).
_MAX_METADATA_DEPTH = 64


def _nesting_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether containers in ``value`` nest deeper than ``limit`` (iterative: no recursion)."""
    stack = [(value, 0)]
    seen = 0
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (Mapping, list, tuple, set, frozenset)):
            if depth >= limit:
                return True
            children = list(item.keys()) + list(item.values()) if isinstance(item, Mapping) else list(item)
            seen += len(children)
            if seen > 10_000_000:
                return True
            stack.extend((child, depth + 1) for child in children)
    return False


_MAX_METADATA_TENSOR_VALUES = 4096


def _tensors_in(value: Any):
    """Every tensor inside ``value`` (iterative; the depth is already bounded)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, torch.Tensor):
            yield item
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)


def _check_metadata(payload: Mapping[str, Any], where: str) -> None:
    """Types of the format's metadata entries; a wrong one is a sentence, not a crash later."""
    if not all(isinstance(k, str) for k in payload):
        raise CheckpointError(f"{where}: has top-level keys that are not text, so it is not a checkpoint.")
    if not all(isinstance(k, str) for k in payload["config"]):
        raise CheckpointError(f"{where}: its config has keys that are not text.")
    for key in ("config_extra", "metrics"):
        if payload.get(key) is not None and not isinstance(payload[key], Mapping):
            raise CheckpointError(
                f"{where}: its '{key}' entry holds a value of type {type(payload[key]).__name__}, not a dict."
            )
        if isinstance(payload.get(key), Mapping) and not all(isinstance(k, str) for k in payload[key]):
            raise CheckpointError(f"{where}: its '{key}' entry has keys that are not text.")
    lineage = payload.get("lineage")
    if lineage is not None:
        if not isinstance(lineage, Mapping):
            raise CheckpointError(
                f"{where}: its 'lineage' entry holds a value of type {type(lineage).__name__}, not a dict."
            )
        parents = lineage.get("parents", [])
        if not isinstance(parents, (list, tuple)) or not all(isinstance(p, Mapping) for p in parents):
            raise CheckpointError(f"{where}: its lineage 'parents' is not a list of records.")
        for parent in parents:
            for field_name in ("name", "sha256", "path"):
                if parent.get(field_name) is not None and not isinstance(parent[field_name], str):
                    raise CheckpointError(f"{where}: a lineage parent's '{field_name}' is not text.")
        if lineage.get("method") is not None and not isinstance(lineage["method"], str):
            raise CheckpointError(f"{where}: its lineage 'method' is not text.")
    labels = payload.get("labels")
    if labels is not None:
        if not isinstance(labels, (list, tuple)) or not all(isinstance(x, str) for x in labels):
            raise CheckpointError(f"{where}: its 'labels' entry is not a list of text.")
    if payload.get("name") is not None and not isinstance(payload["name"], str):
        raise CheckpointError(f"{where}: its 'name' entry is not text.")
    rest = {k: v for k, v in payload.items() if k != "model"}
    if _nesting_depth_exceeds(rest, _MAX_METADATA_DEPTH):
        raise CheckpointError(f"{where}: its metadata is nested more than {_MAX_METADATA_DEPTH} levels deep.")
    for tensor in _tensors_in(rest):
        # metadata is shown and written as JSON (tolist): a tensor there is a number or a
        # short list, never a view of a billion values on a one-element storage
        if tensor.layout != torch.strided or tensor.numel() > _MAX_METADATA_TENSOR_VALUES:
            raise CheckpointError(
                f"{where}: its metadata holds a tensor of {tensor.numel():,} values; metadata holds numbers and text."
            )


# Weight dtypes the engine computes with; float8 and friends cannot be used (or checked).
_WEIGHT_DTYPES = (torch.float32, torch.float16, torch.bfloat16, torch.float64)


def _check_state_dict(state: Any, where: str) -> None:
    """A state dict of real CPU tensors with text keys, each a view that fits in its storage.

    Only geometry is looked at here (no element is read): a stride-0 view of a huge
    shape on a tiny storage would otherwise be materialised by the first check that
    reads it. Values are checked by ``_check_finite`` once the sizes are known to agree.
    """
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{where}: its 'model' entry is not a state dict of tensors.")
    for key, value in state.items():
        if not isinstance(key, str):
            raise CheckpointError(f"{where}: its state dict has a key {compat._short(key)} that is not text.")
        if value.is_meta or value.device.type != "cpu":
            raise CheckpointError(f"{where}: the weight {key} holds no data (a {value.device.type}-device tensor).")
        if value.layout != torch.strided or value.is_quantized:
            raise CheckpointError(f"{where}: the weight {key} is not a plain dense tensor.")
        if value.is_floating_point() and value.dtype not in _WEIGHT_DTYPES:
            raise CheckpointError(
                f"{where}: the weight {key} is stored as {str(value.dtype).replace('torch.', '')}, "
                "which the studio cannot compute with (float32, float16, bfloat16 or float64)."
            )
        _check_geometry(value, key, where)


def _check_geometry(value: torch.Tensor, key: str, where: str) -> None:
    """The tensor's elements are distinct and lie inside its storage (no stride-0 or
    overlapping view that is bigger than the bytes the file holds)."""
    numel = value.numel()
    if numel == 0:
        return
    item = value.element_size()
    available = value.untyped_storage().nbytes()
    if any(st < 1 for st, n in zip(value.stride(), value.shape) if n > 1):
        raise CheckpointError(
            f"{where}: the weight {key} repeats its elements (a broadcast view), so it is not a weight."
        )
    last = value.storage_offset() + sum((n - 1) * st for n, st in zip(value.shape, value.stride()))
    if (last + 1) * item > available or numel * item > available:
        raise CheckpointError(
            f"{where}: the weight {key} claims {numel:,} values but its storage holds only {available:,} bytes."
        )


def _check_finite(state: Mapping[str, torch.Tensor], where: str) -> None:
    for key, value in state.items():
        if value.is_floating_point() and value.numel() and not bool(torch.isfinite(value).all()):
            raise CheckpointError(
                f"{where}: the weight {key} holds NaN or infinite values, so the model cannot be used."
            )


def _check_size_against_config(state: Mapping[str, torch.Tensor], config: Mapping[str, Any], where: str) -> None:
    """The config may not describe a model much bigger than the weights the file holds.

    Compared before anything is built, so a 2 MB file cannot make us allocate gigabytes.
    """
    storages: dict[int, int] = {}
    for value in state.values():
        storage = value.untyped_storage()
        storages[storage.data_ptr()] = max(storages.get(storage.data_ptr(), 0), storage.nbytes())
    held = sum(storages.values())
    wanted = compat.estimated_parameters(config)
    # 2 bytes: the smallest float a weight can have; the slack leaves room for a
    # file whose shapes are merely wrong, which validate_weights then names.
    if wanted * 2 > 2 * held + (1 << 20):
        raise CheckpointError(
            f"{where}: its config describes {wanted:,} parameters but the file holds only {held:,} bytes of weights."
        )


def checkpoint_from_payload(payload: Any, path: Path | None = None, *, framing: str | None = None) -> ArtistCheckpoint:
    """Interpret a loaded dict; raises CheckpointError naming ``path``."""
    where = str(path) if path is not None else "checkpoint"
    if not isinstance(payload, Mapping):
        raise CheckpointError(f"{where}: is not a checkpoint (expected a dict with 'config' and 'model').")
    for key in ("config", "model"):
        if key not in payload:
            raise CheckpointError(f"{where}: has no '{key}' entry, so it is not a model checkpoint.")
    config = payload["config"]
    state = payload["model"]
    if not isinstance(config, Mapping):
        raise CheckpointError(f"{where}: its 'config' is not a dict.")
    _check_metadata(payload, where)
    _check_state_dict(state, where)
    config = dict(config)
    config_extra = payload.get("config_extra")
    if isinstance(config_extra, Mapping):
        for key, value in config_extra.items():
            config.setdefault(key, value)
    missing = [k for k in compat.REQUIRED_KWARGS if k not in config]
    if missing:
        raise CheckpointError(f"{where}: its config lacks {', '.join(missing)}.")
    try:
        compat.validate_config(config)
        variant = compat.normalize_variant(payload.get("variant", config.get("variant")))
    except StudioError as exc:
        raise CheckpointError(f"{where}: {str(exc).rstrip('.')}.") from None
    _check_size_against_config(state, config, where)
    _check_finite(state, where)

    num_tokens = config["num_tokens"]
    try:
        if payload.get("itos") is not None:
            vocab = Vocab.from_itos(payload["itos"])
        elif payload.get("stoi") is not None:
            stoi = payload["stoi"]
            vocab = Vocab.from_itos({int(i): c for c, i in stoi.items()})
        elif num_tokens == 256:
            vocab = Vocab.bytes256()
        else:
            raise CheckpointError(f"{where}: has no vocabulary (stoi/itos) and is not a byte-level model.")
    except (ValueError, TypeError, AttributeError, OverflowError, RecursionError) as exc:
        raise CheckpointError(f"{where}: its vocabulary is malformed ({str(exc)[:120]}).") from None
    if len(vocab) > num_tokens:
        raise CheckpointError(f"{where}: its vocabulary has {len(vocab)} chars but the model only {num_tokens} tokens.")

    inferred, source = _infer_framing(payload, path, vocab)
    if framing is not None:
        if framing not in FRAMINGS:
            raise StudioError(f"unknown framing {framing!r} (known: {', '.join(FRAMINGS)})")
        inferred, source = framing, "user"

    labels = payload.get("labels") or config.get("labels") or []
    labels = [x for x in labels if isinstance(x, str)] if isinstance(labels, (list, tuple)) else []
    metrics = dict(payload.get("metrics") or {})
    for key in _METRIC_KEYS:
        value = payload.get(key)
        if isinstance(value, (int, float)) and key not in metrics:
            metrics[key] = float(value) if isinstance(value, float) else value
    extra = {k: v for k, v in payload.items() if k not in _FORMAT_KEYS}
    lineage = payload.get("lineage") if isinstance(payload.get("lineage"), Mapping) else None
    name = payload.get("name") if isinstance(payload.get("name"), str) else None
    return ArtistCheckpoint(
        config=config,
        state_dict=dict(state),
        vocab=vocab,
        framing=inferred,
        variant=variant,
        labels=labels,
        lineage=dict(lineage) if lineage else None,
        metrics=metrics,
        extra=extra,
        path=path,
        name=name or (default_name(path) if path is not None else "checkpoint"),
        framing_source=source,
    )


def load_checkpoint(
    path: str | Path, *, trust: Trust = False, framing: str | None = None, validate: bool = True
) -> ArtistCheckpoint:
    """Read a checkpoint file safely; every failure is a one-sentence CheckpointError.

    ``trust``: True to allow full unpickling of this path (--trust), or the sha256
    digests of the contents the user trusts: the file is read once, hashed, and
    unpickled from those bytes, so a file swapped onto the path is never trusted.
    ``validate`` checks that the weights' names and shapes fit the config, so a
    wrong-shape file fails here rather than halfway through a job.
    """
    path = Path(path)
    payload, digest = _read_payload(path, trust)
    ckpt = checkpoint_from_payload(payload, path, framing=framing)
    ckpt.__dict__["sha256"] = digest  # the hash of the bytes read, not of whatever is at the path now
    if validate:
        validate_weights(ckpt)
    return ckpt


def _expected_shapes(config: Mapping[str, Any], variant: str) -> dict[str, tuple[int, ...]]:
    """Parameter names and shapes that ``config`` gives, cached per config.

    Building the module on the CPU is the one source of truth for nGPT's layout
    (~70 ms at the card's size; the meta device is slower here), and a library
    import of a snapshot folder asks for the same few configs again and again.
    """
    kwargs, _ = compat.split_config(config)
    key = (repr(sorted(kwargs.items())), variant)
    if key not in _SHAPE_CACHE:
        model = compat.build_model(kwargs, variant)
        _SHAPE_CACHE[key] = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    return _SHAPE_CACHE[key]


_SHAPE_CACHE: dict[tuple[str, str], dict[str, tuple[int, ...]]] = {}


def validate_weights(ckpt: ArtistCheckpoint) -> None:
    """Check names and shapes against the config without building the model."""
    try:
        expected = _expected_shapes(ckpt.config, ckpt.variant)
    except StudioError as exc:
        raise CheckpointError(f"{ckpt.display_path}: {exc}.") from None
    except TypeError as exc:
        raise CheckpointError(f"{ckpt.display_path}: its config is not valid for nGPT ({exc}).") from None
    adapted = compat.adapt_state_dict_keys(ckpt.state_dict, expected.keys())
    missing = [k for k in expected if k not in adapted and not _is_buffer_key(k)]
    unexpected = [k for k in adapted if k not in expected]
    if missing:
        raise CheckpointError(
            f"{ckpt.display_path}: the weights lack {missing[0]} (and {len(missing) - 1} more) that the config needs."
        )
    if unexpected:
        raise CheckpointError(f"{ckpt.display_path}: holds a weight {unexpected[0]} that the config does not have.")
    for key, value in adapted.items():
        if tuple(value.shape) != expected[key]:
            raise CheckpointError(
                f"{ckpt.display_path}: the weight {key} has shape {tuple(value.shape)} but the config needs "
                f"{expected[key]}."
            )
        if not value.is_floating_point():
            raise CheckpointError(f"{ckpt.display_path}: the weight {key} is not a floating-point tensor.")


# ---------------------------------------------------------------------------
# saving


def save_checkpoint(ckpt: ArtistCheckpoint, path: str | Path) -> Path:
    """Write ``ckpt`` atomically in the card's format; returns the path written."""
    path = Path(path)
    for key, value in ckpt.state_dict.items():
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise CheckpointError(f"{path}: not written, because the weight {key} holds NaN or infinite values.")
    payload = ckpt.to_payload()
    atomic_write(path, lambda handle: torch.save(payload, handle))
    return path


def lineage_record(
    parents: list[ArtistCheckpoint],
    method: str,
    params: Mapping[str, Any],
    seed: int | None = None,
) -> dict[str, Any]:
    """The lineage a bred child carries: who its parents were and how it was made."""
    return {
        "parents": [{"name": p.name, "sha256": p.sha256, "path": str(p.path) if p.path else None} for p in parents],
        "method": method,
        "params": dict(params),
        "seed": seed,
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "studio_version": __version__,
    }


def locate_parent(child: ArtistCheckpoint, record: Mapping[str, Any]) -> Path | None:
    """The file of a lineage parent record, found by its recorded path and checked by sha256.

    The recorded path may be relative to wherever the child was made; it is tried as
    it is, then as a path below each folder above the child's own file.
    """
    sha = record.get("sha256") if isinstance(record, Mapping) else None
    recorded = record.get("path") if isinstance(record, Mapping) else None
    if not sha or not recorded:
        return None
    recorded = Path(str(recorded))
    candidates = [recorded]
    if child.path is not None:
        parts = recorded.parts[1:] if recorded.is_absolute() else recorded.parts
        for folder in Path(child.path).resolve().parents:
            candidates += [folder.joinpath(*parts[k:]) for k in range(len(parts))]
    for candidate in candidates:
        try:
            if candidate.is_file() and sha256_file(candidate) == sha:
                return candidate
        except OSError:
            continue
    return None


def shared_ancestor(a: ArtistCheckpoint, b: ArtistCheckpoint) -> Path | None:
    """The file of a parent both checkpoints were forked from (by lineage sha256), if found."""

    def parents(ckpt):
        lineage = ckpt.lineage if isinstance(ckpt.lineage, Mapping) else {}
        records = lineage.get("parents") if isinstance(lineage.get("parents"), list) else []
        return {r.get("sha256"): r for r in records if isinstance(r, Mapping) and r.get("sha256")}

    common = parents(a).keys() & parents(b).keys()
    for sha in sorted(common):
        found = locate_parent(a, parents(a)[sha]) or locate_parent(b, parents(b)[sha])
        if found is not None:
            return found
    return None
