"""The user's library: an SQLite index of checkpoints, their genealogy and their galleries.

``Library`` is the one object the app and the CLI use. It is carved in three: the
storage (``studio.library.db``: the SQLite file, transactions, rows to records),
importing (``studio.library.importing``: reading files into rows) and the family-tree
inference (``studio.library.genealogy``: the rules, and drawing the edges they give).
What stays here is reading, editing and the galleries.

The model is plain Python with events, as napari's is: views call ``subscribe`` and
get ``callback(event, payload)`` after every committed change; the Qt app re-emits
these as signals. Events and payloads:

    checkpoint_added    CheckpointRecord   (a new file, or a placeholder for a named parent)
    checkpoint_updated  CheckpointRecord   (moved file, metrics, framing, role, placeholder filled)
    checkpoint_removed  int                (the id)
    edges_changed       None
    gallery_saved       GalleryRecord
    piece_updated       PieceRecord        (re-rolled or pinned)

Callbacks run in the thread that made the change (the app's worker, for imports),
after the transaction committed and outside the library's lock, so a callback may
read the library. A callback that raises is logged and does not stop the others.

Threads: the GUI thread and the worker thread share one connection behind a lock;
every write is one ``BEGIN IMMEDIATE ... COMMIT`` transaction under it, and slow
work (hashing and reading checkpoint files) happens before the lock is taken.

The library never keeps weights: importing a file reads its metadata, counts its
parameters and lets the tensors go. It never writes, moves or deletes a checkpoint.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from studio.errors import StudioError
from studio.library.paths import bundled_checkpoints_dir
from studio.library.db import (
    Index,
    Listener,
    art_fields,
    checkpoint_record,
    dumps,
    galleries_where,
    get_checkpoint,
    get_piece,
    loads,
    measurement_key,
    now,
)
from studio.library.importing import Importer, Progress
from studio.library.records import CheckpointRecord, Edge, GalleryRecord, ImportReport, PieceRecord
from studio.model.vocab import FRAMINGS

if TYPE_CHECKING:
    from studio.model.checkpoint import ArtistCheckpoint

__all__ = ["EVENTS", "Library"]

EVENTS = (
    "checkpoint_added",
    "checkpoint_updated",
    "checkpoint_removed",
    "edges_changed",
    "gallery_saved",
    "piece_updated",
)


def innermost_folder_data(path: str | Path | None, folders: Mapping[str, str]) -> tuple[str, str] | None:
    """(folder, data) of the innermost of ``folders`` (absolute paths) that holds ``path``."""
    if not path:
        return None
    target = Path(path).expanduser().resolve()
    holding = [f for f in folders if target == Path(f) or Path(f) in target.parents]
    if not holding:
        return None
    folder = max(holding, key=len)
    return folder, folders[folder]


class Library:
    """The library index. ``path`` None opens the default file in the user data folder;
    ``":memory:"`` keeps everything in memory (tests)."""

    def __init__(self, path: Path | str | None = None):
        self._index = Index(path)
        self.path: Path | None = self._index.path
        bundled = bundled_checkpoints_dir()
        self._bundled = bundled.resolve() if bundled is not None else None
        self._importer = Importer(self._index, self._is_bundled)

    def _is_bundled(self, file: Path) -> bool:
        """Files of the install's bundled family are read-only however they were opened."""
        return self._bundled is not None and file.is_relative_to(self._bundled)

    def __repr__(self) -> str:
        return f"Library({str(self.path) if self.path else ':memory:'!r})"

    def __enter__(self) -> "Library":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the database; further calls raise RuntimeError. Closing twice is harmless."""
        self._index.close()

    def subscribe(self, callback: Listener) -> Listener:
        """Call ``callback(event, payload)`` after every change (see the module docstring)."""
        return self._index.subscribe(callback)

    # -- reading --------------------------------------------------------------------------

    def checkpoints(self) -> list[CheckpointRecord]:
        with self._index.read() as db:
            rows = db.execute("SELECT * FROM checkpoints ORDER BY qualified_name COLLATE NOCASE, id").fetchall()
        return [checkpoint_record(row) for row in rows]

    def get(self, checkpoint_id: int) -> CheckpointRecord:
        """The record with this id; KeyError if there is none."""
        with self._index.read() as db:
            return get_checkpoint(db, checkpoint_id)

    def find_by_name(self, name: str) -> CheckpointRecord | None:
        """By qualified name ("apehex/styleA"), else the first by short name ("styleA")."""
        with self._index.read() as db:
            row = db.execute(
                "SELECT * FROM checkpoints WHERE qualified_name = ? OR name = ? ORDER BY qualified_name <> ?, id",
                (name, name, name),
            ).fetchone()
        return checkpoint_record(row) if row else None

    def edges(self) -> list[Edge]:
        with self._index.read() as db:
            rows = db.execute("SELECT * FROM edges ORDER BY child_id, parent_id").fetchall()
        return [
            Edge(row["parent_id"], row["child_id"], row["method"], loads(row["params"], {}), row["source"])
            for row in rows
        ]

    # -- importing (studio.library.importing) -----------------------------------------------

    def import_file(
        self, path: str | Path, *, read_only: bool = False, trust=False, display_name: str | None = None
    ) -> CheckpointRecord:
        """Add one checkpoint file (or find it again); raises CheckpointError /
        UntrustedCheckpointError with the file's sentence, leaving the library as it was.
        ``trust``: True, False, or the sha256s of the contents the user trusts.
        ``display_name``: the name the tree shows for a new file (e.g. the name a trained
        artist was given), made unique with " (2)" when another checkpoint has it."""
        return self._importer.import_file(path, read_only=read_only, trust=trust, display_name=display_name)

    def import_folder(
        self,
        folder: str | Path,
        *,
        read_only: bool = False,
        trust: bool = False,
        progress: Progress | None = None,
        cancel: Callable[[], bool] | threading.Event | None = None,
    ) -> ImportReport:
        """Add every ``*.pt`` below ``folder`` and draw the family tree they imply.

        Each file is its own transaction: a file that cannot be read (or needs
        trust) is reported and adds nothing, and the others still import.
        ``progress(done, total)`` is called after each file. When ``cancel()``
        turns true, the files read so far stay imported (with their edges) and
        ``Cancelled`` is raised.
        """
        return self._importer.import_folder(folder, read_only=read_only, trust=trust, progress=progress, cancel=cancel)

    def add_bred_child(self, ckpt: ArtistCheckpoint, path: str | Path) -> CheckpointRecord:
        """Record a child the caller has already saved at ``path`` (lineage included),
        with edges to its lineage parents (matched by sha256, then by name)."""
        return self._importer.add_bred_child(ckpt, path)

    # -- editing --------------------------------------------------------------------------

    # -- held-out data for folders -------------------------------------------------------

    def set_folder_data(self, folder: str | Path, data: str | None) -> None:
        """Remember the held-out data of ``folder`` (None forgets it): the judge scores the
        checkpoints under it that record no corpus of their own on this data."""
        where = str(Path(folder).expanduser().resolve())
        with self._index.write() as tx:
            if data is None:
                tx.execute("DELETE FROM folder_data WHERE folder = ?", (where,))
            else:
                tx.execute(
                    "INSERT INTO folder_data (folder, data, set_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (folder) DO UPDATE SET data = excluded.data, set_at = excluded.set_at",
                    (where, data, now()),
                )
            tx.emit("folder_data", where)

    def folder_data(self) -> dict[str, str]:
        with self._index.read() as db:
            return {row["folder"]: row["data"] for row in db.execute("SELECT folder, data FROM folder_data")}

    def data_for(self, path: str | Path | None) -> tuple[str, str] | None:
        """(folder, data) of the innermost folder with held-out data that holds ``path``."""
        return innermost_folder_data(path, self.folder_data())

    def remove(self, checkpoint_id: int) -> None:
        """Forget a checkpoint, its edges and galleries; the file itself is never touched.

        Placeholders that only this checkpoint named go with it."""
        with self._index.write() as tx:
            get_checkpoint(tx.conn, checkpoint_id)  # KeyError if absent
            named = [
                row["id"]
                for row in tx.execute(
                    "SELECT c.id FROM edges e JOIN checkpoints c ON c.id = e.parent_id WHERE e.child_id = ? AND "
                    "c.path IS NULL",
                    (checkpoint_id,),
                )
            ]
            had_edges = tx.one(
                "SELECT 1 FROM edges WHERE parent_id = ? OR child_id = ?", (checkpoint_id, checkpoint_id)
            )
            tx.execute("DELETE FROM checkpoints WHERE id = ?", (checkpoint_id,))  # edges, galleries, pieces cascade
            tx.emit("checkpoint_removed", checkpoint_id)
            for placeholder_id in named:
                if (
                    tx.one("SELECT 1 FROM edges WHERE parent_id = ? OR child_id = ?", (placeholder_id, placeholder_id))
                    is None
                ):
                    tx.execute("DELETE FROM checkpoints WHERE id = ?", (placeholder_id,))
                    tx.emit("checkpoint_removed", placeholder_id)
            if had_edges:
                tx.emit("edges_changed")

    def add_measurement(self, checkpoint_id: int, measurement: Mapping[str, Any]) -> CheckpointRecord:
        """Keep a judge's measurement (``Measurement.to_dict()``) of a checkpoint.

        Measurements are keyed by data identity, context and stride: the same key
        replaces the older figure (a re-measurement), any other key is added beside
        it, so a figure on one data set never overwrites a figure on another.
        """
        key = measurement_key(measurement)
        with self._index.write() as tx:
            merged = dict(get_checkpoint(tx.conn, checkpoint_id).metrics)
            rows = [m for m in merged.get("measurements", []) if isinstance(m, dict)]
            for i, row in enumerate(rows):
                if measurement_key(row) == key:
                    rows[i] = dict(measurement)
                    break
            else:
                rows.append(dict(measurement))
            merged["measurements"] = rows
            tx.execute("UPDATE checkpoints SET metrics = ? WHERE id = ?", (dumps(merged), checkpoint_id))
            record = get_checkpoint(tx.conn, checkpoint_id)
            tx.emit("checkpoint_updated", record)
        return record

    def set_framing(self, checkpoint_id: int, framing: str) -> CheckpointRecord:
        """The user's framing for a checkpoint; kept across re-imports of the same file."""
        if framing not in FRAMINGS:
            raise StudioError(f"unknown framing {framing!r} (known: {', '.join(FRAMINGS)}).")
        with self._index.write() as tx:
            get_checkpoint(tx.conn, checkpoint_id)
            tx.execute(
                "UPDATE checkpoints SET framing = ?, framing_source = 'user' WHERE id = ?", (framing, checkpoint_id)
            )
            record = get_checkpoint(tx.conn, checkpoint_id)
            tx.emit("checkpoint_updated", record)
        return record

    # -- galleries ------------------------------------------------------------------------

    def save_gallery(self, checkpoint_id: int, settings: Mapping[str, Any] | Any, arts: list) -> GalleryRecord:
        """Keep a sampled gallery: ``settings`` (a dict or SampleSettings) and its ``Art`` pieces."""
        settings = dict(settings.to_dict() if hasattr(settings, "to_dict") else settings)
        pieces = [art_fields(art) for art in arts]
        with self._index.write() as tx:
            get_checkpoint(tx.conn, checkpoint_id)
            gallery_id = tx.execute(
                "INSERT INTO galleries (checkpoint_id, settings, created_at) VALUES (?, ?, ?)",
                (checkpoint_id, dumps(settings), now()),
            ).lastrowid
            for piece in pieces:
                tx.execute(
                    "INSERT INTO pieces (gallery_id, position, label, seed, text, complete)"
                    " VALUES (:gallery_id, :position, :label, :seed, :text, :complete)",
                    {**piece, "gallery_id": gallery_id},
                )
            (gallery,) = galleries_where(tx.conn, "g.id = ?", (gallery_id,))
            tx.emit("gallery_saved", gallery)
        return gallery

    def galleries(self, checkpoint_id: int) -> list[GalleryRecord]:
        """A checkpoint's galleries, newest first."""
        with self._index.read() as db:
            return galleries_where(db, "g.checkpoint_id = ?", (checkpoint_id,))

    def latest_gallery(self, checkpoint_id: int) -> GalleryRecord | None:
        with self._index.read() as db:
            row = db.execute("SELECT MAX(id) AS id FROM galleries WHERE checkpoint_id = ?", (checkpoint_id,)).fetchone()
            if row["id"] is None:
                return None
            return galleries_where(db, "g.id = ?", (row["id"],))[0]

    def replace_piece(self, piece_id: int, art: Any) -> PieceRecord:
        """Re-roll one card: new text, seed and label in the same place; its pin stays."""
        fields = art_fields(art)
        with self._index.write() as tx:
            get_piece(tx.conn, piece_id)
            tx.execute(
                "UPDATE pieces SET label = :label, seed = :seed, text = :text, complete = :complete WHERE id = :id",
                {**fields, "id": piece_id},
            )
            piece = get_piece(tx.conn, piece_id)
            tx.emit("piece_updated", piece)
        return piece

    def set_pinned(self, piece_id: int, pinned: bool) -> PieceRecord:
        with self._index.write() as tx:
            get_piece(tx.conn, piece_id)
            tx.execute("UPDATE pieces SET pinned = ? WHERE id = ?", (int(bool(pinned)), piece_id))
            piece = get_piece(tx.conn, piece_id)
            tx.emit("piece_updated", piece)
        return piece

    def label_history(self, checkpoint_id: int) -> list[str]:
        """Labels this checkpoint has drawn before, most recently used first."""
        with self._index.read() as db:
            rows = db.execute(
                "SELECT p.label FROM pieces p JOIN galleries g ON p.gallery_id = g.id"
                " WHERE g.checkpoint_id = ? AND p.label IS NOT NULL AND p.label <> ''"
                " GROUP BY p.label ORDER BY MAX(g.id) DESC, MAX(p.id) DESC",
                (checkpoint_id,),
            ).fetchall()
        return [row["label"] for row in rows]
