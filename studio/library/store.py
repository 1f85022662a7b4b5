"""The user's library: an SQLite index of checkpoints, their genealogy and galleries.

Plain Python with events (napari's way): views subscribe with ``subscribe`` and
get ``(event, payload)`` calls; the Qt app re-emits them as signals. Weights are
never kept here, only what the tree and galleries show. Every write runs in one
transaction; one connection is shared behind a lock, so the GUI thread and the
worker thread may both use the library.

Genealogy comes from three places, in this order: lineage metadata written into
the files; the snapshot layout (a model under ``X/breed/`` is a child of the
artists directly in ``X/``); and ``A__x__B`` in a file name. A named parent that
is not in the library becomes a ``missing`` placeholder so the tree shows it.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from studio.errors import CheckpointError, StudioError, UntrustedCheckpointError
from studio.model.checkpoint import ArtistCheckpoint, load_checkpoint
from studio.model.vocab import TEXT

ROLES = ("artist", "bred", "ablation", "sweep", "text", "ancestor", "missing")
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS checkpoints (
    id INTEGER PRIMARY KEY,
    path TEXT,
    sha256 TEXT UNIQUE,
    name TEXT NOT NULL,
    qualified_name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    framing TEXT NOT NULL DEFAULT 'conditional',
    variant TEXT NOT NULL DEFAULT 'standard',
    config TEXT NOT NULL DEFAULT '{}',
    metrics TEXT NOT NULL DEFAULT '{}',
    labels TEXT NOT NULL DEFAULT '[]',
    lineage TEXT,
    read_only INTEGER NOT NULL DEFAULT 0,
    source_root TEXT,
    added_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS edges (
    parent_id INTEGER NOT NULL REFERENCES checkpoints(id) ON DELETE CASCADE,
    child_id INTEGER NOT NULL REFERENCES checkpoints(id) ON DELETE CASCADE,
    method TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (parent_id, child_id)
);
CREATE TABLE IF NOT EXISTS galleries (
    id INTEGER PRIMARY KEY,
    checkpoint_id INTEGER NOT NULL REFERENCES checkpoints(id) ON DELETE CASCADE,
    settings TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pieces (
    id INTEGER PRIMARY KEY,
    gallery_id INTEGER NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    label TEXT,
    seed INTEGER NOT NULL,
    text TEXT NOT NULL,
    complete INTEGER NOT NULL,
    pinned INTEGER NOT NULL DEFAULT 0
);
"""


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class CheckpointRecord:
    id: int
    path: str | None
    sha256: str | None
    name: str
    qualified_name: str
    role: str
    framing: str
    variant: str
    config: dict
    metrics: dict
    labels: list[str]
    lineage: dict | None
    read_only: bool
    source_root: str | None
    added_at: str

    @property
    def exists(self) -> bool:
        return self.path is not None and os.path.exists(self.path)

    @property
    def num_params(self) -> int | None:
        return self.metrics.get("num_params")

    @property
    def key_metric(self) -> tuple[str, float] | None:
        """What the tree shows: bpc if measured, else the training loss."""
        for key in ("bpc", "val_bpc", "stream_loss", "val_loss", "loss"):
            value = self.metrics.get(key)
            if isinstance(value, (int, float)):
                return key, float(value)
        return None


@dataclass(frozen=True)
class Edge:
    parent_id: int
    child_id: int
    method: str
    params: dict


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
    added: list[CheckpointRecord] = field(default_factory=list)
    existing: list[CheckpointRecord] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    needs_trust: list[str] = field(default_factory=list)


def _layout_method(folder_name: str) -> str:
    name = folder_name.lower()
    if "frozen" in name:
        return "frozen-attn"
    for method in ("discrete", "slerp", "lerp"):  # slerp before lerp: "child_slerp" contains "lerp"
        if method in name:
            return method
    return "bred"


def _infer_role(ckpt: ArtistCheckpoint, rel: str) -> str:
    parts = [p.lower() for p in Path(rel).parts]
    lineage = ckpt.lineage or {}
    if ckpt.framing == TEXT or ckpt.vocab.byte_level:
        return "text"
    if "smith-experiment" in parts:
        return "ablation"
    if "resonance" in parts:
        return "sweep"
    if len(lineage.get("parents", [])) >= 2 or "breed" in parts or "__x__" in rel:
        return "bred"
    return "artist"


class Library:
    """The library index; ``path`` None means the default file in the user data dir."""

    def __init__(self, path: str | Path | None = None):
        from studio.library.paths import default_library_path

        if path is None:
            path = default_library_path()
        self.path = None if str(path) == ":memory:" else Path(path)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA foreign_keys = ON")
        if self.path is not None:
            self._conn.execute("PRAGMA journal_mode = WAL")
        self._migrate()
        self._listeners: list[Callable[[str, Any], None]] = []

    def _migrate(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StudioError(f"{self.path}: was written by a newer studio (schema {version})")
        self._conn.executescript(_SCHEMA)
        self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    class _Tx:
        def __init__(self, library: "Library"):
            self.library = library

        def __enter__(self):
            self.library._lock.acquire()
            self.cursor = self.library._conn.cursor()
            self.cursor.execute("BEGIN IMMEDIATE")
            return self.cursor

        def __exit__(self, exc_type, exc, tb):
            try:
                self.cursor.execute("ROLLBACK" if exc_type else "COMMIT")
            finally:
                self.library._lock.release()
            return False

    def _tx(self) -> "_Tx":
        return Library._Tx(self)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- events ------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[str, Any], None]) -> None:
        self._listeners.append(callback)

    def _emit(self, event: str, payload: Any) -> None:
        for callback in list(self._listeners):
            callback(event, payload)

    # -- reading -------------------------------------------------------------------------

    @staticmethod
    def _record(row: sqlite3.Row) -> CheckpointRecord:
        return CheckpointRecord(
            id=row["id"], path=row["path"], sha256=row["sha256"], name=row["name"], qualified_name=row["qualified_name"],
            role=row["role"], framing=row["framing"], variant=row["variant"], config=json.loads(row["config"]),
            metrics=json.loads(row["metrics"]), labels=json.loads(row["labels"]),
            lineage=json.loads(row["lineage"]) if row["lineage"] else None, read_only=bool(row["read_only"]),
            source_root=row["source_root"], added_at=row["added_at"],
        )

    def _query(self, sql: str, args: Iterable = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, tuple(args)).fetchall()

    def checkpoints(self) -> list[CheckpointRecord]:
        return [self._record(r) for r in self._query("SELECT * FROM checkpoints ORDER BY qualified_name")]

    def get(self, checkpoint_id: int) -> CheckpointRecord:
        rows = self._query("SELECT * FROM checkpoints WHERE id = ?", (checkpoint_id,))
        if not rows:
            raise KeyError(checkpoint_id)
        return self._record(rows[0])

    def find_by_sha256(self, sha: str) -> CheckpointRecord | None:
        rows = self._query("SELECT * FROM checkpoints WHERE sha256 = ?", (sha,))
        return self._record(rows[0]) if rows else None

    def find_by_name(self, name: str) -> CheckpointRecord | None:
        rows = self._query("SELECT * FROM checkpoints WHERE qualified_name = ? OR name = ? ORDER BY id", (name, name))
        return self._record(rows[0]) if rows else None

    def edges(self) -> list[Edge]:
        return [Edge(r["parent_id"], r["child_id"], r["method"], json.loads(r["params"])) for r in self._query("SELECT * FROM edges")]

    # -- importing -----------------------------------------------------------------------

    def _unique_name(self, cur, wanted: str) -> str:
        name, n = wanted, 2
        while cur.execute("SELECT 1 FROM checkpoints WHERE qualified_name = ?", (name,)).fetchone():
            name, n = f"{wanted} ({n})", n + 1
        return name

    def _upsert(self, cur, ckpt: ArtistCheckpoint, path: Path, qualified: str, root: Path | None, read_only: bool) -> tuple[int, bool]:
        sha = ckpt.sha256
        row = cur.execute("SELECT id, path FROM checkpoints WHERE sha256 = ?", (sha,)).fetchone()
        if row is not None:
            if row["path"] != str(path):  # moved or copied: follow the file
                cur.execute("UPDATE checkpoints SET path = ? WHERE id = ?", (str(path), row["id"]))
            return row["id"], False
        metrics = dict(ckpt.metrics)
        metrics.setdefault("num_params", ckpt.num_params)
        rel = str(path.relative_to(root)) if root else path.name
        cur.execute(
            "INSERT INTO checkpoints (path, sha256, name, qualified_name, role, framing, variant, config, metrics, labels,"
            " lineage, read_only, source_root, added_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (str(path), sha, ckpt.name, self._unique_name(cur, qualified), _infer_role(ckpt, rel), ckpt.framing, ckpt.variant,
             json.dumps(ckpt.model_kwargs), json.dumps(metrics), json.dumps(ckpt.labels),
             json.dumps(ckpt.lineage) if ckpt.lineage else None, int(read_only), str(root) if root else None, _now()),
        )
        return cur.lastrowid, True

    def _edge(self, cur, parent_id: int, child_id: int, method: str, params: dict | None = None) -> None:
        if parent_id != child_id:
            cur.execute("INSERT OR IGNORE INTO edges (parent_id, child_id, method, params) VALUES (?,?,?,?)",
                        (parent_id, child_id, method, json.dumps(params or {})))

    def _placeholder(self, cur, name: str, root: Path | None) -> int:
        row = cur.execute("SELECT id FROM checkpoints WHERE name = ? AND (source_root IS ? OR source_root = ?)",
                          (name, str(root) if root else None, str(root) if root else None)).fetchone()
        if row:
            return row["id"]
        cur.execute(
            "INSERT INTO checkpoints (path, sha256, name, qualified_name, role, read_only, source_root, added_at)"
            " VALUES (NULL, NULL, ?, ?, 'missing', 1, ?, ?)",
            (name, self._unique_name(cur, name), str(root) if root else None, _now()),
        )
        return cur.lastrowid

    def _link_lineage(self, cur, child_id: int, lineage: dict | None, root: Path | None) -> None:
        if not lineage:
            return
        for parent in lineage.get("parents", []):
            row = None
            if parent.get("sha256"):
                row = cur.execute("SELECT id FROM checkpoints WHERE sha256 = ?", (parent["sha256"],)).fetchone()
            if row is None and parent.get("name"):
                row = cur.execute("SELECT id FROM checkpoints WHERE name = ? ORDER BY (source_root = ?) DESC, id",
                                  (parent["name"], str(root) if root else None)).fetchone()
            parent_id = row["id"] if row else self._placeholder(cur, parent.get("name") or "unknown", root)
            self._edge(cur, parent_id, child_id, lineage.get("method", "bred"), lineage.get("params"))
            if lineage.get("method") == "fork":
                cur.execute("UPDATE checkpoints SET role = 'ancestor' WHERE id = ? AND role = 'artist'", (parent_id,))

    def import_file(self, path: str | Path, *, read_only: bool = False, trust: bool = False, root: Path | None = None) -> CheckpointRecord:
        path = Path(path).resolve()
        ckpt = load_checkpoint(path, trust=trust)
        qualified = _qualified(path, root)
        with self._tx() as cur:
            record_id, added = self._upsert(cur, ckpt, path, qualified, root, read_only)
            self._link_lineage(cur, record_id, ckpt.lineage, root)
        record = self.get(record_id)
        self._emit("checkpoint_added" if added else "checkpoint_updated", record)
        self._emit("edges_changed", None)
        return record

    def import_folder(self, folder: str | Path, *, read_only: bool = False, trust: bool = False, progress=None, cancel=None) -> ImportReport:
        root = Path(folder).resolve()
        if not root.is_dir():
            raise StudioError(f"{root}: is not a folder")
        files = sorted(p for p in root.rglob("*.pt") if p.is_file())
        report = ImportReport()
        loaded: list[tuple[Path, ArtistCheckpoint]] = []
        for i, path in enumerate(files):
            if cancel is not None and cancel():
                break
            try:
                loaded.append((path, load_checkpoint(path, trust=trust)))
            except UntrustedCheckpointError:
                report.needs_trust.append(str(path))
            except CheckpointError as exc:
                report.failed.append((str(path), str(exc)))
            if progress is not None:
                progress(i + 1, len(files))
        with self._tx() as cur:
            ids: dict[Path, int] = {}
            for path, ckpt in loaded:
                record_id, added = self._upsert(cur, ckpt, path, _qualified(path, root), root, read_only)
                ids[path] = record_id
                (report.added if added else report.existing).append(record_id)
            for path, ckpt in loaded:
                self._link_lineage(cur, ids[path], ckpt.lineage, root)
                self._link_layout(cur, path, ids, root)
        report.added = [self.get(i) for i in report.added]
        report.existing = [self.get(i) for i in report.existing]
        for record in report.added:
            self._emit("checkpoint_added", record)
        self._emit("edges_changed", None)
        return report

    def _link_layout(self, cur, path: Path, ids: dict[Path, int], root: Path) -> None:
        rel = path.relative_to(root)
        parts = rel.parts
        child_id = ids[path]
        if "breed" in parts[:-1]:
            i = parts.index("breed")
            family = root.joinpath(*parts[:i])
            method = _layout_method(parts[i + 1] if i + 1 < len(parts) - 1 else path.stem)
            for other, other_id in ids.items():
                orel = other.relative_to(family) if other.is_relative_to(family) else None
                if orel is not None and "breed" not in orel.parts and len(orel.parts) <= 2:
                    self._edge(cur, other_id, child_id, method)
        stem = path.stem if path.stem not in ("model", "checkpoint") else path.parent.name
        if "__x__" in stem:
            left, right = stem.split("__x__", 1)
            for name in (left, right):
                candidates = [name, name.split("_")[-1]]
                row = None
                for candidate in candidates:
                    row = cur.execute("SELECT id FROM checkpoints WHERE name = ? AND source_root = ?", (candidate, str(root))).fetchone()
                    if row:
                        break
                parent_id = row["id"] if row else self._placeholder(cur, candidates[-1], root)
                self._edge(cur, parent_id, child_id, "darwin" if "offspring" in left or "champion" in left else "bred")

    def add_bred_child(self, ckpt: ArtistCheckpoint, path: str | Path) -> CheckpointRecord:
        """Record a child the caller has already saved at ``path`` (with its lineage)."""
        path = Path(path).resolve()
        ckpt.path = path
        ckpt.__dict__.pop("sha256", None)  # the file now exists: hash it
        with self._tx() as cur:
            record_id, _ = self._upsert(cur, ckpt, path, ckpt.name, None, False)
            cur.execute("UPDATE checkpoints SET role = 'bred' WHERE id = ?", (record_id,))
            self._link_lineage(cur, record_id, ckpt.lineage, None)
        record = self.get(record_id)
        self._emit("checkpoint_added", record)
        self._emit("edges_changed", None)
        return record

    # -- editing -------------------------------------------------------------------------

    def remove(self, checkpoint_id: int) -> None:
        with self._tx() as cur:
            cur.execute("DELETE FROM checkpoints WHERE id = ?", (checkpoint_id,))
        self._emit("checkpoint_removed", checkpoint_id)
        self._emit("edges_changed", None)

    def update_metrics(self, checkpoint_id: int, **metrics: Any) -> CheckpointRecord:
        with self._tx() as cur:
            row = cur.execute("SELECT metrics FROM checkpoints WHERE id = ?", (checkpoint_id,)).fetchone()
            if row is None:
                raise KeyError(checkpoint_id)
            merged = {**json.loads(row["metrics"]), **metrics}
            cur.execute("UPDATE checkpoints SET metrics = ? WHERE id = ?", (json.dumps(merged), checkpoint_id))
        record = self.get(checkpoint_id)
        self._emit("checkpoint_updated", record)
        return record

    def set_framing(self, checkpoint_id: int, framing: str) -> CheckpointRecord:
        with self._tx() as cur:
            cur.execute("UPDATE checkpoints SET framing = ? WHERE id = ?", (framing, checkpoint_id))
        record = self.get(checkpoint_id)
        self._emit("checkpoint_updated", record)
        return record

    # -- galleries ------------------------------------------------------------------------

    def save_gallery(self, checkpoint_id: int, settings: dict, arts) -> GalleryRecord:
        with self._tx() as cur:
            cur.execute("INSERT INTO galleries (checkpoint_id, settings, created_at) VALUES (?,?,?)",
                        (checkpoint_id, json.dumps(settings), _now()))
            gallery_id = cur.lastrowid
            for art in arts:
                cur.execute("INSERT INTO pieces (gallery_id, idx, label, seed, text, complete) VALUES (?,?,?,?,?,?)",
                            (gallery_id, art.index, art.label, art.seed, art.text, int(art.complete)))
        gallery = self._gallery(gallery_id)
        self._emit("gallery_saved", gallery)
        return gallery

    def _pieces(self, gallery_id: int) -> list[PieceRecord]:
        return [
            PieceRecord(r["id"], r["gallery_id"], r["idx"], r["label"], r["seed"], r["text"], bool(r["complete"]), bool(r["pinned"]))
            for r in self._query("SELECT * FROM pieces WHERE gallery_id = ? ORDER BY idx", (gallery_id,))
        ]

    def _gallery(self, gallery_id: int) -> GalleryRecord:
        row = self._query("SELECT * FROM galleries WHERE id = ?", (gallery_id,))[0]
        return GalleryRecord(row["id"], row["checkpoint_id"], json.loads(row["settings"]), row["created_at"], self._pieces(gallery_id))

    def galleries(self, checkpoint_id: int) -> list[GalleryRecord]:
        rows = self._query("SELECT id FROM galleries WHERE checkpoint_id = ? ORDER BY id DESC", (checkpoint_id,))
        return [self._gallery(r["id"]) for r in rows]

    def latest_gallery(self, checkpoint_id: int) -> GalleryRecord | None:
        rows = self._query("SELECT id FROM galleries WHERE checkpoint_id = ? ORDER BY id DESC LIMIT 1", (checkpoint_id,))
        return self._gallery(rows[0]["id"]) if rows else None

    def _piece(self, piece_id: int) -> PieceRecord:
        r = self._query("SELECT * FROM pieces WHERE id = ?", (piece_id,))[0]
        return PieceRecord(r["id"], r["gallery_id"], r["idx"], r["label"], r["seed"], r["text"], bool(r["complete"]), bool(r["pinned"]))

    def replace_piece(self, piece_id: int, art) -> PieceRecord:
        with self._tx() as cur:
            cur.execute("UPDATE pieces SET text = ?, seed = ?, complete = ?, label = ? WHERE id = ?",
                        (art.text, art.seed, int(art.complete), art.label, piece_id))
        return self._piece(piece_id)

    def set_pinned(self, piece_id: int, pinned: bool) -> PieceRecord:
        with self._tx() as cur:
            cur.execute("UPDATE pieces SET pinned = ? WHERE id = ?", (int(pinned), piece_id))
        return self._piece(piece_id)

    def label_history(self, checkpoint_id: int) -> list[str]:
        rows = self._query(
            "SELECT p.label, MAX(g.id) AS last FROM pieces p JOIN galleries g ON p.gallery_id = g.id "
            "WHERE g.checkpoint_id = ? AND p.label IS NOT NULL AND p.label != '' GROUP BY p.label ORDER BY last DESC",
            (checkpoint_id,),
        )
        return [r["label"] for r in rows]


def _qualified(path: Path, root: Path | None) -> str:
    rel = path.relative_to(root) if root is not None and path.is_relative_to(root) else Path(path.name)
    text = rel.as_posix()
    text = re.sub(r"/(model|checkpoint)\.pt$", "", text)
    return text[:-3] if text.endswith(".pt") else text
