"""Taking things out of the studio: art as plain text, checkpoints as .pt files.

Every file is written atomically (studio.fsutil): a crash leaves the old file or the
new one, never half of one. A gallery's text is the CLI's format
(``studio.model.art.gallery_text``), so ``darwascii sample --out`` and the app
write the same thing. An exported checkpoint loads with the model card's own
snippet (``nGPT(**ck["config"])``, ``load_state_dict(ck["model"])``) and keeps the
lineage that is in the file.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any, Iterable, Mapping

from studio.errors import CheckpointError, UntrustedCheckpointError
from studio.fsutil import atomic_write
from studio.model.art import Art, SampleSettings, gallery_text

__all__ = ["default_export_name", "export_checkpoint", "export_gallery_txt", "export_piece_txt", "gallery_to_text"]


def _as_settings(settings: Mapping[str, Any] | SampleSettings) -> SampleSettings:
    """A gallery's stored settings as the sampler's dataclass (unknown keys ignored)."""
    if isinstance(settings, SampleSettings):
        return settings
    return SampleSettings.from_record(dict(settings))


def _as_art(piece: Any) -> Art:
    """A library PieceRecord (or an Art) as the sampler's Art, which gallery_text reads."""
    if isinstance(piece, Art):
        return piece
    return Art(index=piece.index, label=piece.label, seed=piece.seed, text=piece.text, complete=piece.complete)


def _write_text(path: str | os.PathLike, text: str) -> Path:
    # Bytes, not text mode: the art's newlines and spaces land exactly as drawn on every OS.
    data = text.encode("utf-8")
    atomic_write(path, lambda handle: handle.write(data))
    return Path(path)


def gallery_to_text(name: str, settings: Mapping[str, Any] | SampleSettings, pieces: Iterable[Any]) -> str:
    """A header line per piece (seed, temperature, top-k, complete or not), then its art."""
    return gallery_text(name, _as_settings(settings), [_as_art(p) for p in pieces])


def export_gallery_txt(
    path: str | os.PathLike, name: str, settings: Mapping[str, Any] | SampleSettings, pieces: Iterable[Any]
) -> Path:
    return _write_text(path, gallery_to_text(name, settings, pieces))


def export_piece_txt(path: str | os.PathLike, piece: Any) -> Path:
    """The art alone, exactly as generated (whitespace kept), and a final newline."""
    return _write_text(path, piece.text + "\n")


# ---------------------------------------------------------------------------
# checkpoints


def _source_file(record_or_path: Any) -> Path:
    path = getattr(record_or_path, "path", record_or_path)
    if path is None:
        name = getattr(record_or_path, "qualified_name", "this checkpoint")
        raise CheckpointError(f"{name}: has no file to export (it is a parent that is not in the library).")
    source = Path(path)
    if not source.is_file():
        raise CheckpointError(f"{source}: no such file (was it moved or deleted?).")
    return source


def _in_card_format(source: Path, data: bytes) -> bool:
    """True if these bytes load with the card's snippet, so a byte copy will do.

    A plain dict whose ``config`` holds only nGPT arguments and whose weights use
    the key form that config implies. Anything else (an older pickle format,
    metadata in ``config``, the other key form, objects the safe loader refuses,
    a file that is not a checkpoint at all) is re-saved instead.
    """
    from studio.model import compat
    from studio.model.checkpoint import safe_payload

    try:
        payload = safe_payload(source, data)
    except Exception:
        return False
    config, state = payload.get("config"), payload.get("model")
    if not isinstance(config, Mapping) or not isinstance(state, Mapping) or not set(config) <= compat.NGPT_KWARGS:
        return False
    wrong_suffix = compat.PARAM_SUFFIX if config.get("manual_norm_weights") else compat.PLAIN_SUFFIX
    return not any(str(key).endswith(wrong_suffix) for key in state)


def export_checkpoint(record_or_path: Any, dest: str | os.PathLike, *, trust=False) -> Path:
    """Write a checkpoint (a library record or a path) to ``dest`` in the card's format.

    The source is read once; every decision is made on those bytes. A file already
    in the card's format is copied byte for byte (same sha256, so children that name
    it by hash still find it). Any other file is loaded and re-saved by
    save_checkpoint, which writes the card's format with its lineage. A file that
    needs full unpickling is re-saved only with ``trust`` (as for load_checkpoint);
    without it, the bytes are copied as they are (they were trusted when opened).
    """
    from studio.model.checkpoint import load_checkpoint, read_checkpoint_bytes, save_checkpoint

    source = _source_file(record_or_path)
    dest = Path(dest)
    if dest.exists() and os.path.samefile(source, dest):
        return dest
    data = read_checkpoint_bytes(source)
    if _in_card_format(source, data):
        atomic_write(dest, lambda out: out.write(data))
        return dest
    try:
        ckpt = load_checkpoint(source, trust=trust)
    except UntrustedCheckpointError as exc:
        if exc.sha256 != hashlib.sha256(data).hexdigest():
            raise CheckpointError(f"{source}: changed while it was being exported; nothing was written.") from None
        atomic_write(dest, lambda out: out.write(data))
        return dest
    save_checkpoint(ckpt, dest)
    return dest


# ---------------------------------------------------------------------------
# names

_UNSAFE_IN_FILE_NAMES = re.compile(r"[^\w.\-]+")


def _file_part(text: str, *, lower: bool = False) -> str:
    part = _UNSAFE_IN_FILE_NAMES.sub("-", str(text).strip()).strip("-.")
    return part.lower() if lower else part


def default_export_name(record: Any, kind: str, label: str | None = None, index: int | None = None) -> str:
    """A file name to offer in a save dialog.

    ``kind`` is "gallery" (styleA-cats-gallery.txt), "png" (styleA-cats-gallery.png),
    "piece" (styleA-piece-3.txt) or "checkpoint" (styleA.pt). ``record`` is a library
    record, or anything whose name (or path stem) should lead the file name.
    """
    name = getattr(record, "name", None) or Path(str(record)).stem
    base = _file_part(name) or "checkpoint"
    tag = _file_part(label, lower=True) if label else ""
    tag = f"-{tag}" if tag else ""
    if kind == "gallery":
        return f"{base}{tag}-gallery.txt"
    if kind == "png":
        return f"{base}{tag}-gallery.png"
    if kind == "piece":
        return f"{base}{tag}-piece-{index if index is not None else 0}.txt"
    if kind in ("checkpoint", "pt"):
        return f"{base}.pt"
    raise ValueError(f"unknown export kind {kind!r} (gallery, png, piece or checkpoint)")
