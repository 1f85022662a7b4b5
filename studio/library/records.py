"""What the library hands out: immutable snapshots of its rows, plus the import report.

Records are values: reading the library again gives new ones, so a view may keep a
record without it changing under it. They hold no weights, only what the tree,
the gallery and the breeding bay show.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

__all__ = ["ROLES", "CheckpointRecord", "Edge", "GalleryRecord", "ImportReport", "PieceRecord"]

# What a checkpoint is in the tree (``studio.library.genealogy.infer_role`` picks one).
ROLES = ("artist", "bred", "ablation", "sweep", "text", "ancestor", "missing")

# The metric the tree shows beside a node: a measured bpc first, then training losses.
_KEY_METRICS = ("bpc", "val_bpc", "stream_loss", "val_loss", "loss")


@dataclass(frozen=True)
class CheckpointRecord:
    id: int
    path: str | None
    sha256: str | None
    name: str  # short name, e.g. "styleA"
    qualified_name: str  # unique display name, e.g. "apehex/styleA"
    role: str  # one of ROLES
    framing: str
    variant: str
    config: dict
    metrics: dict
    labels: list[str]
    lineage: dict | None
    read_only: bool
    source_root: str | None  # the folder it was imported from
    added_at: str
    framing_source: str = "file"  # file | inferred | user (a user's choice survives re-imports)
    param_count: int | None = None  # counted from the weights at import

    @property
    def exists(self) -> bool:
        """The file is there now; a moved or deleted file (or a placeholder) is False."""
        return self.path is not None and os.path.isfile(self.path)

    @property
    def num_params(self) -> int | None:
        if self.param_count is not None:
            return self.param_count
        value = self.config.get("num_params")
        return value if isinstance(value, int) else None

    @property
    def measurements(self) -> list[dict]:
        """The judge's measurements of this checkpoint (dicts of ``Measurement.to_dict``),
        its own first: the one its file carried, or the first the studio made."""
        rows = self.metrics.get("measurements")
        if not isinstance(rows, list):
            return []
        return [m for m in rows if isinstance(m, dict) and isinstance(m.get("bpc"), (int, float))]

    @property
    def headline(self) -> dict | None:
        """The figure the tree and the header show: its own measurement, never one made
        for a pair it was bred in (those carry ``measured_for`` and are kept beside it)."""
        own = [m for m in self.measurements if not m.get("measured_for")]
        return own[0] if own else None

    @property
    def key_metric(self) -> tuple[str, float] | None:
        """``(name, value)`` of the metric the tree shows, or None if nothing was measured."""
        if self.headline is not None:
            return "bpc", float(self.headline["bpc"])
        for key in _KEY_METRICS:
            value = self.metrics.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return key, float(value)
        return None


@dataclass(frozen=True)
class Edge:
    parent_id: int
    child_id: int
    method: str  # slerp, frozen-attn, discrete, lerp, darwin, fork, bred
    params: dict
    source: str = "lineage"  # where the edge was read: lineage | layout | name


@dataclass(frozen=True)
class PieceRecord:
    id: int
    gallery_id: int
    index: int
    label: str | None
    seed: int
    text: str
    complete: bool
    pinned: bool


@dataclass(frozen=True)
class GalleryRecord:
    id: int
    checkpoint_id: int
    settings: dict
    created_at: str
    pieces: list[PieceRecord]


@dataclass
class ImportReport:
    """What one import did; ``failed`` holds ``(path, one-sentence message)``."""

    added: list[CheckpointRecord] = field(default_factory=list)
    existing: list[CheckpointRecord] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    needs_trust: list[str] = field(default_factory=list)  # refused: they need full unpickling
    # the sha256 of the bytes refused, by path: trust asked for is trust in those bytes
    trust_sha256: dict[str, str] = field(default_factory=dict)
    logs: list[str] = field(default_factory=list)  # darwin_log*.json files found in the folder
