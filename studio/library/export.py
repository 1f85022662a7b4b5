"""Exports: galleries and pieces as text, checkpoints as .pt in the card's format."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from studio.fsutil import atomic_open, atomic_write_text
from studio.model.checkpoint import load_checkpoint
from studio.model.commands import gallery_text
from studio.model.sampler import Art, SampleSettings


def _as_art(piece) -> Art:
    return Art(index=piece.index, label=piece.label, seed=piece.seed, text=piece.text, complete=piece.complete)


def gallery_to_text(name: str, settings: dict, pieces) -> str:
    known = {k: v for k, v in settings.items() if k in SampleSettings.__dataclass_fields__}
    return gallery_text(name, SampleSettings(**known), [_as_art(p) for p in pieces])


def export_gallery_txt(path: str | Path, name: str, settings: dict, pieces) -> Path:
    atomic_write_text(path, gallery_to_text(name, settings, pieces))
    return Path(path)


def export_piece_txt(path: str | Path, piece) -> Path:
    atomic_write_text(path, piece.text + "\n")
    return Path(path)


def export_checkpoint(record_or_path, dest: str | Path) -> Path:
    """Copy a checkpoint (card format, lineage included) after checking it still reads."""
    source = Path(getattr(record_or_path, "path", record_or_path))
    load_checkpoint(source)  # a moved or damaged file fails here with its sentence
    with open(source, "rb") as src, atomic_open(dest, "wb") as out:
        shutil.copyfileobj(src, out)
    return Path(dest)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "untitled"


def default_export_name(record, kind: str, label: str | None = None, index: int | None = None) -> str:
    base = _slug(record.name)
    if kind == "gallery":
        return f"{base}{'-' + _slug(label) if label else ''}-gallery.txt"
    if kind == "png":
        return f"{base}{'-' + _slug(label) if label else ''}-gallery.png"
    if kind == "piece":
        return f"{base}-piece-{index if index is not None else 0}.txt"
    return f"{base}.pt"
