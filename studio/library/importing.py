"""Importing checkpoint files into the library: read each file's facts once, store its
row, then draw the family tree the files imply (``studio.library.genealogy``).

The slow work (hashing and reading a checkpoint) happens before the library's lock is
taken; a file already known by its bytes is never unpickled again. The library never
keeps weights: a file's metadata is read, its parameters counted, the tensors dropped.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from studio.errors import Cancelled, CheckpointError, StudioError, UntrustedCheckpointError, cancel_check
from studio.fsutil import check_input_file, default_name, sha256_file
from studio.library import genealogy
from studio.library.db import Index, Transaction, checkpoint_record, dumps, get_checkpoint, now, unique_qualified
from studio.library.records import CheckpointRecord, ImportReport

if TYPE_CHECKING:
    from studio.model.checkpoint import ArtistCheckpoint

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


def _checkpoint_file(path: str | Path) -> Path:
    """The absolute path of an existing file, or the sentence load_checkpoint would say."""
    file = Path(path).expanduser()
    try:
        check_input_file(file, "checkpoint file")  # before resolve(): a looping link is named as given
        file = file.resolve()
    except StudioError as exc:
        raise CheckpointError(str(exc).rstrip(".") + ".") from None
    except (OSError, RuntimeError) as exc:
        raise CheckpointError(f"{file}: cannot be read ({exc}).") from None
    return file


def _hash(file: Path) -> str:
    try:
        return sha256_file(file)
    except OSError as exc:
        raise CheckpointError(f"{file}: cannot be read ({exc.strerror or exc}).") from None


def _checkpoint_files(root: Path) -> list[Path]:
    """Every ``*.pt`` below ``root``, skipping hidden folders (.git, our own temp files)."""
    found = []
    for path in root.rglob("*.pt"):
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        if path.is_file():
            found.append(path)
    return sorted(found)


@dataclass(frozen=True)
class _Facts:
    """What the library keeps of a checkpoint: everything but its weights."""

    name: str
    framing: str
    framing_source: str
    variant: str
    config: dict
    metrics: dict
    labels: list
    lineage: dict | None
    num_params: int

    @classmethod
    def of(cls, ckpt: ArtistCheckpoint, path: Path) -> "_Facts":
        return cls(
            name=ckpt.name or default_name(path),
            framing=ckpt.framing,
            framing_source=ckpt.framing_source,
            variant=ckpt.variant,
            config=dict(ckpt.config),
            metrics=dict(ckpt.metrics),
            labels=list(ckpt.labels),
            lineage=dict(ckpt.lineage) if ckpt.lineage else None,
            num_params=ckpt.num_params,
        )


def _read_facts(file: Path, trust) -> tuple[_Facts, str]:
    """The facts of a file and the sha256 of the bytes they were read from.

    ``trust``: as for load_checkpoint (True, False, or the trusted contents' sha256s).
    """
    # The checkpoint (and its weights) is dropped as soon as its facts are taken.
    # Imported here: imports run in the app's worker thread, which loads PyTorch while
    # the window is built (reading the index needs no PyTorch).
    from studio.model.checkpoint import load_checkpoint

    ckpt = load_checkpoint(file, trust=trust)
    return _Facts.of(ckpt, file), ckpt.sha256


class Importer:
    """Adds files to an index (``Library.import_file``, ``import_folder``, ``add_bred_child``)."""

    def __init__(self, index: Index, is_bundled: Callable[[Path], bool]):
        self.index = index
        self.is_bundled = is_bundled  # files of the install's bundled family are read-only

    def import_file(
        self, path: str | Path, *, read_only: bool = False, trust=False, display_name: str | None = None
    ) -> CheckpointRecord:
        """Add one checkpoint file (or find it again); raises CheckpointError /
        UntrustedCheckpointError with the file's sentence, leaving the library as it was.
        ``trust``: True, False, or the sha256s of the contents the user trusts.
        ``display_name``: the name the tree shows for a new file (e.g. the name a trained
        artist was given), made unique with " (2)" when another checkpoint has it."""
        file = _checkpoint_file(path)
        record_id, _ = self._import_one(file, genealogy.single_file_root(file), read_only, trust, display_name)
        with self.index.write() as tx:
            genealogy.link(tx, record_id, names_anywhere=False)
            genealogy.mark_ancestors(tx)
        with self.index.read() as db:
            return get_checkpoint(db, record_id)

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
        root = Path(folder).expanduser().resolve()
        if not root.is_dir():
            raise StudioError(f"{root}: is not a folder.")
        is_cancelled = cancel_check(cancel)
        files = _checkpoint_files(root)
        report = ImportReport(logs=[str(p) for p in sorted(root.rglob("darwin_log*.json")) if p.is_file()])
        added: list[int] = []
        existing: list[int] = []
        cancelled = False
        for done, file in enumerate(files, start=1):
            if is_cancelled():
                cancelled = True
                break
            try:
                record_id, was_added = self._import_one(file, root, read_only, trust)
            except UntrustedCheckpointError as exc:
                report.needs_trust.append(str(file))
                if exc.sha256:
                    report.trust_sha256[str(file)] = exc.sha256
            except StudioError as exc:
                report.failed.append((str(file), str(exc)))
            except Exception as exc:  # a file no rule foresaw must not stop the folder
                log.exception("importing %s failed", file)
                report.failed.append((str(file), f"{file}: could not be imported ({type(exc).__name__}: {exc})."))
            else:
                (added if was_added else existing).append(record_id)
            if progress is not None:
                progress(done, len(files))
        # Edges once every file of the folder is in, so parents are found whatever the order.
        with self.index.write() as tx:
            for record_id in added + existing:
                genealogy.link(tx, record_id, names_anywhere=False)
            genealogy.mark_ancestors(tx)
        with self.index.read() as db:  # final state (roles change with edges); skip any removed meanwhile
            rows = {row["id"]: row for row in db.execute("SELECT * FROM checkpoints")}
        report.added = [checkpoint_record(rows[i]) for i in added if i in rows]
        report.existing = [checkpoint_record(rows[i]) for i in existing if i in rows]
        if cancelled:
            raise Cancelled()
        return report

    def add_bred_child(self, ckpt: ArtistCheckpoint, path: str | Path) -> CheckpointRecord:
        """Record a child the caller has already saved at ``path`` (lineage included),
        with edges to its lineage parents (matched by sha256, then by name)."""
        file = _checkpoint_file(path)
        sha = _hash(file)
        facts = _Facts.of(ckpt, file)
        role = "artist" if genealogy.lineage_method(facts.lineage) == "fork" else "bred"
        root = genealogy.single_file_root(file)
        with self.index.write() as tx:
            record_id, _ = self._store(
                tx, file, sha, facts, root, read_only=False, role=role, wanted_name=f"{root.name}/{facts.name}"
            )
            genealogy.link(tx, record_id, names_anywhere=True)
            genealogy.mark_ancestors(tx)
            return get_checkpoint(tx.conn, record_id)

    def _import_one(
        self, file: Path, root: Path, read_only: bool, trust: bool, display_name: str | None = None
    ) -> tuple[int, bool]:
        """Store one file; ``(id, True)`` if it is new to the library, ``(id, False)`` if known.

        The file is hashed first: a known file (same bytes) is never unpickled again,
        which makes re-opening a folder cheap. A new one is then read once more by
        load_checkpoint (from the OS cache; small next to building the model).
        """
        _checkpoint_file(file)  # a FIFO or an oversized file is refused before it is hashed
        sha = _hash(file)
        read_only = read_only or self.is_bundled(file)
        while True:
            with self.index.read() as db:
                known = db.execute("SELECT 1 FROM checkpoints WHERE sha256 = ?", (sha,)).fetchone() is not None
            facts = None
            if not known:  # slow part: outside the lock
                facts, sha = _read_facts(file, trust)  # the hash of what was read (the file may have changed)
            with self.index.write() as tx:
                record_id, outcome = self._store(tx, file, sha, facts, root, read_only, wanted_name=display_name)
            if outcome != "retry":
                return record_id, outcome == "added"
            # it was removed by another thread between our look and our write: read it after all

    def _store(
        self,
        tx: Transaction,
        file: Path,
        sha: str,
        facts: _Facts | None,
        root: Path,
        read_only: bool,
        *,
        role: str | None = None,
        wanted_name: str | None = None,
    ) -> tuple[int | None, str]:
        """Insert a file's row, fill a placeholder waiting for it, or follow a known file.

        Returns ``(id, "added" | "existing")``, or ``(None, "retry")`` when the file is
        not known after all and ``facts`` were not read.
        """
        row = tx.one("SELECT * FROM checkpoints WHERE sha256 = ?", (sha,))
        if row is not None:
            self._follow(tx, row, file, root, read_only)
            return row["id"], "existing"
        if facts is None:
            return None, "retry"
        placeholder = tx.one(
            "SELECT id FROM checkpoints WHERE path IS NULL AND (expected_sha256 = ?"
            " OR (expected_sha256 IS NULL AND name = ? AND source_root IS ?)) ORDER BY expected_sha256 IS NULL, id",
            (sha, facts.name, str(root)),
        )
        placeholder_id = placeholder["id"] if placeholder else None
        values = {
            "path": str(file),
            "sha256": sha,
            "name": facts.name,
            "qualified_name": unique_qualified(
                tx,
                wanted_name or genealogy.qualified_name(file, root),
                placeholder_id,
                folder="" if wanted_name else root.name,  # a name the user typed is theirs
            ),
            "role": role or genealogy.infer_role(file, framing=facts.framing, lineage=facts.lineage),
            "framing": facts.framing,
            "framing_source": facts.framing_source,
            "variant": facts.variant,
            "config": dumps(facts.config),
            "metrics": dumps(facts.metrics),
            "labels": dumps(facts.labels),
            "lineage": dumps(facts.lineage) if facts.lineage else None,
            "num_params": facts.num_params,
            "read_only": int(read_only),
            "source_root": str(root),
        }
        if placeholder_id is None:
            columns = ", ".join(values) + ", added_at"
            marks = ", ".join(f":{key}" for key in values) + ", :added_at"
            record_id = tx.execute(
                f"INSERT INTO checkpoints ({columns}) VALUES ({marks})", {**values, "added_at": now()}
            ).lastrowid
            tx.emit("checkpoint_added", get_checkpoint(tx.conn, record_id))
        else:
            # The parent a child named has turned up: the placeholder becomes it, edges kept.
            assignments = ", ".join(f"{key} = :{key}" for key in values)
            tx.execute(
                f"UPDATE checkpoints SET {assignments}, expected_sha256 = NULL WHERE id = :id",
                {**values, "id": placeholder_id},
            )
            record_id = placeholder_id
            tx.emit("checkpoint_updated", get_checkpoint(tx.conn, record_id))
        return record_id, "added"

    def _follow(self, tx: Transaction, row: sqlite3.Row, file: Path, root: Path, read_only: bool) -> None:
        """A known file seen at ``file``: take the new path if the old one is gone (moved).

        If both copies exist, the record keeps the one it knew: importing a copy of a
        checkpoint does not silently repoint it.
        """
        old = row["path"]
        if old == str(file) or (old is not None and os.path.isfile(old)):
            return
        tx.execute(
            "UPDATE checkpoints SET path = ?, source_root = ?, read_only = ? WHERE id = ?",
            (str(file), str(root), int(read_only), row["id"]),
        )
        tx.emit("checkpoint_updated", get_checkpoint(tx.conn, row["id"]))
