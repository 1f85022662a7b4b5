"""The user's library: an SQLite index of checkpoints, their genealogy and their galleries.

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

import contextlib
import datetime as _dt
import json
import logging
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

from studio.errors import Cancelled, CheckpointError, StudioError, UntrustedCheckpointError, cancel_check
from studio.fsutil import check_input_file, default_name, sha256_file
from studio.library import genealogy
from studio.library.genealogy import ROLES
from studio.library.paths import bundled_checkpoints_dir, default_library_path
from studio.library.records import CheckpointRecord, Edge, GalleryRecord, ImportReport, PieceRecord
from studio.library.schema import migrate
from studio.model.vocab import FRAMINGS

if TYPE_CHECKING:
    from studio.model.checkpoint import ArtistCheckpoint

__all__ = ["EVENTS", "ROLES", "Library"]

log = logging.getLogger(__name__)

EVENTS = ("checkpoint_added", "checkpoint_updated", "checkpoint_removed", "edges_changed", "gallery_saved", "piece_updated")

Listener = Callable[[str, Any], None]
Progress = Callable[[int, int], None]


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _jsonable(value: Any) -> Any:
    """Numbers that pickled checkpoints carry as numpy or torch scalars, paths, sets."""
    if hasattr(value, "item") and callable(value.item):
        try:
            return value.item()
        except (ValueError, RuntimeError):  # a tensor of more than one number
            return value.tolist() if hasattr(value, "tolist") else str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_jsonable, ensure_ascii=False)


# JSON columns nest this deep at most (a lineage's genome is the deepest: a few levels
# a generation); a hand-edited or hostile library may hold anything.
_MAX_JSON_DEPTH = 64
_MAX_JSON_CHARS = 16 << 20


def _too_deep(value: Any, limit: int = _MAX_JSON_DEPTH) -> bool:
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth >= limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def _loads(text: Any, default: Any, kind: type | None = None) -> Any:
    """A JSON column as the type it should have (``kind``, else the default's type);
    anything else (bad JSON, another type, nesting past 64 levels, megabytes of it) is
    ``default``: a hand-edited or hostile database shows what it can and never crashes."""
    if not text or not isinstance(text, str) or len(text) > _MAX_JSON_CHARS:
        return default
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return default
    kind = kind or (type(default) if default is not None else dict)
    if not isinstance(value, kind) or _too_deep(value):
        return default
    return value


class LibraryOpenError(StudioError):
    """A library file the studio cannot use: not SQLite, a newer or broken schema, a folder."""


def _check_library_path(path: Path) -> None:
    """The library's path names a file that is, or can be, a library (not a folder, not under a file)."""
    if path.is_dir():
        raise LibraryOpenError(f"{path}: is a folder, not a library file.")
    for parent in path.parents:
        if parent.exists() and not parent.is_dir():
            raise LibraryOpenError(f"{path}: cannot be a library, because {parent} is a file, not a folder.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LibraryOpenError(f"{path}: its folder cannot be made ({exc.strerror or exc}).") from None


def _check_before_writing(conn: sqlite3.Connection, where: str) -> None:
    """Refuse, without writing, a database that is newer, or that has tables but not ours."""
    from studio.library.schema import SCHEMA_VERSION

    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise LibraryOpenError(
            f"{where}: was written by a newer version of the studio (library schema {version}, "
            f"this version knows up to {SCHEMA_VERSION})."
        )
    has_tables = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1").fetchone() is not None
    if version or has_tables:  # not a new, empty file: it must already be a library
        check_schema(conn, where)
        if version == 0:
            raise LibraryOpenError(f"{where}: holds tables like a library's but no schema version, so it is not used.")


def check_schema(conn: sqlite3.Connection, where: str) -> None:
    """Every table and column the studio uses is there (a library from an older or
    broken build may say it is current and still lack some)."""
    from studio.library.schema import expected_columns

    for table, columns in expected_columns().items():
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if not have:
            raise LibraryOpenError(f"{where}: is not a studio library this version can use (it has no {table} table).")
        missing = sorted(columns - have)
        if missing:
            raise LibraryOpenError(
                f"{where}: is not a studio library this version can use (its {table} table lacks {', '.join(missing)})."
            )


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


class _Tx:
    """An open write transaction and the events to send once it has committed."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.events: list[tuple[str, Any]] = []

    def execute(self, sql: str, args: tuple | Mapping = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, args)

    def one(self, sql: str, args: tuple | Mapping = ()) -> sqlite3.Row | None:
        return self.conn.execute(sql, args).fetchone()

    def emit(self, event: str, payload: Any = None) -> None:
        if event == "edges_changed" and (event, None) in self.events:
            return  # one is enough: views redraw the whole tree
        self.events.append((event, payload))


def measurement_key(measurement: Mapping[str, Any]) -> str:
    """Data identity (sha256 of the text scored), context and stride of a measurement dict."""
    data = measurement.get("data") if isinstance(measurement.get("data"), Mapping) else {}
    return f"{data.get('sha256', '')}:{measurement.get('context')}:{measurement.get('stride')}"


# ---------------------------------------------------------------------------
# rows -> records


def _text(value: Any, default: str | None = "") -> str | None:
    """A TEXT column as text: SQLite keeps whatever type was stored, a hand-edit may store any."""
    if value is None or isinstance(value, str):
        return value if value is not None else default
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _checkpoint_record(row: sqlite3.Row) -> CheckpointRecord:
    name = _text(row["name"]) or "?"
    role = _text(row["role"])
    framing = _text(row["framing"])
    count = row["num_params"]
    return CheckpointRecord(
        id=row["id"],
        path=_text(row["path"], None),
        sha256=_text(row["sha256"], None),
        name=name,
        qualified_name=_text(row["qualified_name"]) or name,
        role=role if role in ROLES else "artist",
        framing=framing if framing in FRAMINGS else "conditional",
        variant=_text(row["variant"]) or "standard",
        config=_loads(row["config"], {}),
        metrics=_loads(row["metrics"], {}),
        labels=[x for x in _loads(row["labels"], []) if isinstance(x, str)],
        lineage=_loads(row["lineage"], None, dict),
        read_only=bool(row["read_only"]),
        source_root=_text(row["source_root"], None),
        added_at=_text(row["added_at"]),
        framing_source=_text(row["framing_source"]) or "file",
        param_count=count if isinstance(count, int) else None,
    )


def _piece_record(row: sqlite3.Row) -> PieceRecord:
    return PieceRecord(
        id=row["id"],
        gallery_id=row["gallery_id"],
        index=row["position"],
        label=row["label"],
        seed=row["seed"],
        text=row["text"],
        complete=bool(row["complete"]),
        pinned=bool(row["pinned"]),
    )


def _art_fields(art: Any) -> dict[str, Any]:
    """The columns of a piece from a sampler ``Art`` (or anything with its attributes)."""
    get = art.get if isinstance(art, Mapping) else lambda key: getattr(art, key)
    return {
        "position": int(get("index")),
        "label": get("label") or None,
        "seed": int(get("seed")),
        "text": str(get("text")),
        "complete": int(bool(get("complete"))),
    }


def _get_checkpoint(db: sqlite3.Connection, checkpoint_id: int) -> CheckpointRecord:
    row = db.execute("SELECT * FROM checkpoints WHERE id = ?", (checkpoint_id,)).fetchone()
    if row is None:
        raise KeyError(checkpoint_id)
    return _checkpoint_record(row)


def _get_piece(db: sqlite3.Connection, piece_id: int) -> PieceRecord:
    row = db.execute("SELECT * FROM pieces WHERE id = ?", (piece_id,)).fetchone()
    if row is None:
        raise KeyError(piece_id)
    return _piece_record(row)


def _galleries(db: sqlite3.Connection, where: str, args: tuple) -> list[GalleryRecord]:
    """Galleries matching ``where`` (on ``g``), newest first, with their pieces in order."""
    rows = db.execute(f"SELECT * FROM galleries g WHERE {where} ORDER BY g.id DESC", args).fetchall()
    pieces: dict[int, list[PieceRecord]] = {row["id"]: [] for row in rows}
    for row in db.execute(
        f"SELECT p.* FROM pieces p JOIN galleries g ON p.gallery_id = g.id WHERE {where} ORDER BY p.position, p.id", args
    ):
        pieces[row["gallery_id"]].append(_piece_record(row))
    return [
        GalleryRecord(
            id=row["id"],
            checkpoint_id=row["checkpoint_id"],
            settings=_loads(row["settings"], {}),
            created_at=row["created_at"],
            pieces=pieces[row["id"]],
        )
        for row in rows
    ]


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
        if path is None:
            path = default_library_path()
        in_memory = str(path) == ":memory:"
        self.path: Path | None = None if in_memory else Path(path).expanduser().resolve()
        where = ":memory:" if self.path is None else str(self.path)
        if self.path is not None:
            _check_library_path(self.path)
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []
        # Autocommit mode (isolation_level None): transactions are the explicit
        # BEGIN IMMEDIATE ... COMMIT of _write, so a write never waits half-done.
        try:
            conn = sqlite3.connect(where, timeout=30.0, check_same_thread=False, isolation_level=None)
        except sqlite3.Error as exc:
            raise LibraryOpenError(f"{where}: cannot be opened as a library ({exc}).") from None
        try:
            conn.row_factory = sqlite3.Row
            # Looked at before anything is written: a file the studio cannot use is left
            # exactly as it was (the app offers a fresh library beside it).
            _check_before_writing(conn, where)
            conn.execute("PRAGMA foreign_keys = ON")
            if self.path is not None:
                # WAL: readers (another studio window, a CLI) never block the writer.
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            migrate(conn, where)
            check_schema(conn, where)
        except sqlite3.Error as exc:
            conn.close()
            raise LibraryOpenError(f"{where}: is not a studio library that can be opened ({exc}).") from None
        except StudioError as exc:
            conn.close()
            raise LibraryOpenError(str(exc)) from None
        except BaseException:
            conn.close()
            raise
        self._conn: sqlite3.Connection | None = conn
        bundled = bundled_checkpoints_dir()
        self._bundled = bundled.resolve() if bundled is not None else None

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
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- plumbing -------------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("the library is closed")
        return self._conn

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._db()

    @contextlib.contextmanager
    def _write(self) -> Iterator[_Tx]:
        """One transaction; its events are sent after COMMIT, outside the lock."""
        with self._lock:
            conn = self._db()
            conn.execute("BEGIN IMMEDIATE")
            tx = _Tx(conn)
            try:
                yield tx
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):  # keep the original error, not this one
                    conn.execute("ROLLBACK")
                raise
        self._send(tx.events)

    # -- events ---------------------------------------------------------------------------

    def subscribe(self, callback: Listener) -> Listener:
        """Call ``callback(event, payload)`` after every change (see the module docstring)."""
        with self._lock:
            self._listeners.append(callback)
        return callback

    def _send(self, events: list[tuple[str, Any]]) -> None:
        if not events:
            return
        with self._lock:
            listeners = list(self._listeners)
        for event, payload in events:
            for callback in listeners:
                try:
                    callback(event, payload)
                except Exception:  # one broken view must not undo or hide a committed change
                    log.exception("library listener %r failed on %s", callback, event)

    # -- reading --------------------------------------------------------------------------

    def checkpoints(self) -> list[CheckpointRecord]:
        with self._read() as db:
            rows = db.execute("SELECT * FROM checkpoints ORDER BY qualified_name COLLATE NOCASE, id").fetchall()
        return [_checkpoint_record(row) for row in rows]

    def get(self, checkpoint_id: int) -> CheckpointRecord:
        """The record with this id; KeyError if there is none."""
        with self._read() as db:
            return _get_checkpoint(db, checkpoint_id)

    def find_by_name(self, name: str) -> CheckpointRecord | None:
        """By qualified name ("apehex/styleA"), else the first by short name ("styleA")."""
        with self._read() as db:
            row = db.execute(
                "SELECT * FROM checkpoints WHERE qualified_name = ? OR name = ? ORDER BY qualified_name <> ?, id",
                (name, name, name),
            ).fetchone()
        return _checkpoint_record(row) if row else None

    def edges(self) -> list[Edge]:
        with self._read() as db:
            rows = db.execute("SELECT * FROM edges ORDER BY child_id, parent_id").fetchall()
        return [Edge(row["parent_id"], row["child_id"], row["method"], _loads(row["params"], {}), row["source"]) for row in rows]

    # -- importing ------------------------------------------------------------------------

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
        with self._write() as tx:
            self._link(tx, record_id, names_anywhere=False)
            self._mark_ancestors(tx)
        return self.get(record_id)

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
        with self._write() as tx:
            for record_id in added + existing:
                self._link(tx, record_id, names_anywhere=False)
            self._mark_ancestors(tx)
        with self._read() as db:  # final state (roles change with edges); skip any removed meanwhile
            rows = {row["id"]: row for row in db.execute("SELECT * FROM checkpoints")}
        report.added = [_checkpoint_record(rows[i]) for i in added if i in rows]
        report.existing = [_checkpoint_record(rows[i]) for i in existing if i in rows]
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
        with self._write() as tx:
            record_id, _ = self._store(
                tx, file, sha, facts, root, read_only=False, role=role, wanted_name=f"{root.name}/{facts.name}"
            )
            self._link(tx, record_id, names_anywhere=True)
            self._mark_ancestors(tx)
            return _get_checkpoint(tx.conn, record_id)

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
        read_only = read_only or self._is_bundled(file)
        while True:
            with self._read() as db:
                known = db.execute("SELECT 1 FROM checkpoints WHERE sha256 = ?", (sha,)).fetchone() is not None
            facts = None
            if not known:  # slow part: outside the lock
                facts, sha = _read_facts(file, trust)  # the hash of what was read (the file may have changed)
            with self._write() as tx:
                record_id, outcome = self._store(tx, file, sha, facts, root, read_only, wanted_name=display_name)
            if outcome != "retry":
                return record_id, outcome == "added"
            # it was removed by another thread between our look and our write: read it after all

    def _store(
        self,
        tx: _Tx,
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
            "qualified_name": self._unique_qualified(tx, wanted_name or genealogy.qualified_name(file, root), placeholder_id),
            "role": role or genealogy.infer_role(file, framing=facts.framing, lineage=facts.lineage),
            "framing": facts.framing,
            "framing_source": facts.framing_source,
            "variant": facts.variant,
            "config": _dumps(facts.config),
            "metrics": _dumps(facts.metrics),
            "labels": _dumps(facts.labels),
            "lineage": _dumps(facts.lineage) if facts.lineage else None,
            "num_params": facts.num_params,
            "read_only": int(read_only),
            "source_root": str(root),
        }
        if placeholder_id is None:
            columns = ", ".join(values) + ", added_at"
            marks = ", ".join(f":{key}" for key in values) + ", :added_at"
            record_id = tx.execute(f"INSERT INTO checkpoints ({columns}) VALUES ({marks})", {**values, "added_at": _now()}).lastrowid
            tx.emit("checkpoint_added", _get_checkpoint(tx.conn, record_id))
        else:
            # The parent a child named has turned up: the placeholder becomes it, edges kept.
            assignments = ", ".join(f"{key} = :{key}" for key in values)
            tx.execute(
                f"UPDATE checkpoints SET {assignments}, expected_sha256 = NULL WHERE id = :id", {**values, "id": placeholder_id}
            )
            record_id = placeholder_id
            tx.emit("checkpoint_updated", _get_checkpoint(tx.conn, record_id))
        return record_id, "added"

    def _follow(self, tx: _Tx, row: sqlite3.Row, file: Path, root: Path, read_only: bool) -> None:
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
        tx.emit("checkpoint_updated", _get_checkpoint(tx.conn, row["id"]))

    def _unique_qualified(self, tx: _Tx, wanted: str, exclude_id: int | None = None) -> str:
        name, n = wanted, 2
        while tx.one("SELECT 1 FROM checkpoints WHERE qualified_name = ? AND id IS NOT ?", (name, exclude_id)):
            name, n = f"{wanted} ({n})", n + 1
        return name

    # -- genealogy ------------------------------------------------------------------------

    def _link(self, tx: _Tx, child_id: int, *, names_anywhere: bool) -> None:
        """Draw a checkpoint's edges to its parents from the first source that names them
        (lineage, then the breed/ layout, then A__x__B); see studio.library.genealogy."""
        child = tx.one("SELECT * FROM checkpoints WHERE id = ?", (child_id,))
        if child is None or child["path"] is None:
            return
        file = Path(child["path"])
        root = child["source_root"]
        lineage = _loads(child["lineage"], None)
        parents = genealogy.lineage_parents(lineage)
        if parents:
            method = genealogy.lineage_method(lineage) or "bred"
            params = lineage.get("params") if isinstance(lineage.get("params"), Mapping) else {}
            parent_ids = [self._lineage_parent(tx, entry, child, names_anywhere) for entry in parents]
            self._add_edges(tx, parent_ids, child_id, method, params, "lineage")
            return
        family = genealogy.breed_family(file)
        if family is not None:
            family_dir, method = family
            parent_ids = self._family_artists(tx, family_dir, child_id)
            if parent_ids:
                self._add_edges(tx, parent_ids, child_id, method, {}, "layout")
                return
        crossed = genealogy.crossed_names(file)
        if crossed is not None:
            names, method = crossed
            parent_ids = []
            for position, name in enumerate(names):
                parent_id = None
                for variant in genealogy.name_variants(name, leading=position == 0):
                    parent_id = self._by_name(tx, variant, root, file, child_id)
                    if parent_id is not None:
                        break
                if parent_id is None:
                    sibling = Path(genealogy.qualified_name(file, Path(root))).parent.as_posix() if root else "."
                    wanted = name if sibling == "." else f"{sibling}/{name}"
                    parent_id = self._placeholder(tx, name, wanted, root, None, child["framing"])
                parent_ids.append(parent_id)
            self._add_edges(tx, parent_ids, child_id, method, {}, "name")

    def _lineage_parent(self, tx: _Tx, entry: dict, child: sqlite3.Row, names_anywhere: bool) -> int:
        """A lineage parent's id: by content hash, then by name, else a placeholder."""
        sha, name = entry["sha256"], entry["name"]
        if sha:
            row = tx.one("SELECT id FROM checkpoints WHERE sha256 = ? OR expected_sha256 = ? ORDER BY path IS NULL", (sha, sha))
            if row is not None:
                return row["id"]
        if name:
            scope = None if names_anywhere else child["source_root"]
            parent_id = self._by_name(tx, name, scope, Path(child["path"]), child["id"])
            if parent_id is not None:
                return parent_id
        label = name or f"sha256:{sha[:12]}"
        return self._placeholder(tx, label, label, child["source_root"], sha, child["framing"])

    def _by_name(self, tx: _Tx, name: str, root: str | None, near: Path, exclude_id: int) -> int | None:
        """A checkpoint called ``name`` (its name or the last part of its qualified name),
        in ``root`` when given, else anywhere; the nearest to ``near`` on disk wins."""
        # instr() narrows in SQL (LIKE would ignore case); the exact test is in Python.
        rows = tx.execute(
            "SELECT id, name, qualified_name, path, source_root, added_at FROM checkpoints"
            " WHERE (name = ? OR instr(qualified_name, ?) > 0) AND id <> ?",
            (name, name, exclude_id),
        ).fetchall()
        rows = [
            row
            for row in rows
            if (row["name"] == name or row["qualified_name"] == name or row["qualified_name"].endswith("/" + name))
            and (root is None or row["source_root"] == root)
        ]
        if not rows:
            return None

        def nearness(row: sqlite3.Row) -> tuple:
            shared = -1
            if row["path"]:
                with contextlib.suppress(ValueError):  # paths on different Windows drives
                    shared = len(os.path.commonpath([row["path"], str(near)]))
            return (row["path"] is not None, shared, row["added_at"], row["id"])

        return max(rows, key=nearness)["id"]

    def _family_artists(self, tx: _Tx, family_dir: Path, child_id: int) -> list[int]:
        """The parents the layout gives a ``family_dir/breed/...`` child: the models directly in it."""
        prefix = str(family_dir) + os.sep
        rows = tx.execute(
            "SELECT id, path, role FROM checkpoints WHERE substr(path, 1, ?) = ? AND id <> ? ORDER BY path",
            (len(prefix), prefix, child_id),
        ).fetchall()
        return [row["id"] for row in rows if row["role"] != "bred" and genealogy.is_family_artist(Path(row["path"]), family_dir)]

    def _placeholder(self, tx: _Tx, name: str, wanted: str, root: str | None, sha: str | None, framing: str) -> int:
        """A ``missing`` record for a named parent that is not in the library, so the
        tree shows the gap; the real file fills it when it is imported."""
        if sha:
            row = tx.one("SELECT id FROM checkpoints WHERE path IS NULL AND expected_sha256 = ?", (sha,))
        else:
            row = tx.one("SELECT id FROM checkpoints WHERE path IS NULL AND name = ? AND source_root IS ?", (name, root))
        if row is not None:
            return row["id"]
        record_id = tx.execute(
            "INSERT INTO checkpoints (path, sha256, expected_sha256, name, qualified_name, role, framing, read_only,"
            " source_root, added_at) VALUES (NULL, NULL, ?, ?, ?, 'missing', ?, 1, ?, ?)",
            (sha, name, self._unique_qualified(tx, wanted), framing, root, _now()),
        ).lastrowid
        tx.emit("checkpoint_added", _get_checkpoint(tx.conn, record_id))
        return record_id

    def _add_edges(self, tx: _Tx, parent_ids: list[int], child_id: int, method: str, params: Mapping, source: str) -> None:
        # The first source to draw an edge keeps it (INSERT OR IGNORE): lineage beats layout.
        encoded = _dumps(dict(params))
        for parent_id in dict.fromkeys(parent_ids):
            if parent_id == child_id:
                continue
            inserted = tx.execute(
                "INSERT OR IGNORE INTO edges (parent_id, child_id, method, params, source) VALUES (?, ?, ?, ?, ?)",
                (parent_id, child_id, method, encoded, source),
            ).rowcount
            if inserted:
                tx.emit("edges_changed")

    def _mark_ancestors(self, tx: _Tx) -> None:
        """A model that others were forked from is their ancestor (unless it is itself bred)."""
        rows = tx.execute(
            "SELECT id FROM checkpoints WHERE role NOT IN ('bred', 'missing', 'ancestor')"
            " AND id IN (SELECT parent_id FROM edges WHERE method = 'fork')"
        ).fetchall()
        for row in rows:
            tx.execute("UPDATE checkpoints SET role = 'ancestor' WHERE id = ?", (row["id"],))
            tx.emit("checkpoint_updated", _get_checkpoint(tx.conn, row["id"]))

    # -- editing --------------------------------------------------------------------------

    # -- held-out data for folders -------------------------------------------------------

    def set_folder_data(self, folder: str | Path, data: str | None) -> None:
        """Remember the held-out data of ``folder`` (None forgets it): the judge scores the
        checkpoints under it that record no corpus of their own on this data."""
        where = str(Path(folder).expanduser().resolve())
        with self._write() as tx:
            if data is None:
                tx.execute("DELETE FROM folder_data WHERE folder = ?", (where,))
            else:
                tx.execute(
                    "INSERT INTO folder_data (folder, data, set_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (folder) DO UPDATE SET data = excluded.data, set_at = excluded.set_at",
                    (where, data, _now()),
                )
            tx.emit("folder_data", where)

    def folder_data(self) -> dict[str, str]:
        with self._read() as db:
            return {row["folder"]: row["data"] for row in db.execute("SELECT folder, data FROM folder_data")}

    def data_for(self, path: str | Path | None) -> tuple[str, str] | None:
        """(folder, data) of the innermost folder with held-out data that holds ``path``."""
        return innermost_folder_data(path, self.folder_data())

    def remove(self, checkpoint_id: int) -> None:
        """Forget a checkpoint, its edges and galleries; the file itself is never touched.

        Placeholders that only this checkpoint named go with it."""
        with self._write() as tx:
            _get_checkpoint(tx.conn, checkpoint_id)  # KeyError if absent
            named = [
                row["id"]
                for row in tx.execute(
                    "SELECT c.id FROM edges e JOIN checkpoints c ON c.id = e.parent_id WHERE e.child_id = ? AND c.path IS NULL",
                    (checkpoint_id,),
                )
            ]
            had_edges = tx.one("SELECT 1 FROM edges WHERE parent_id = ? OR child_id = ?", (checkpoint_id, checkpoint_id))
            tx.execute("DELETE FROM checkpoints WHERE id = ?", (checkpoint_id,))  # edges, galleries, pieces cascade
            tx.emit("checkpoint_removed", checkpoint_id)
            for placeholder_id in named:
                if tx.one("SELECT 1 FROM edges WHERE parent_id = ? OR child_id = ?", (placeholder_id, placeholder_id)) is None:
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
        with self._write() as tx:
            merged = dict(_get_checkpoint(tx.conn, checkpoint_id).metrics)
            rows = [m for m in merged.get("measurements", []) if isinstance(m, dict)]
            for i, row in enumerate(rows):
                if measurement_key(row) == key:
                    rows[i] = dict(measurement)
                    break
            else:
                rows.append(dict(measurement))
            merged["measurements"] = rows
            tx.execute("UPDATE checkpoints SET metrics = ? WHERE id = ?", (_dumps(merged), checkpoint_id))
            record = _get_checkpoint(tx.conn, checkpoint_id)
            tx.emit("checkpoint_updated", record)
        return record

    def set_framing(self, checkpoint_id: int, framing: str) -> CheckpointRecord:
        """The user's framing for a checkpoint; kept across re-imports of the same file."""
        if framing not in FRAMINGS:
            raise StudioError(f"unknown framing {framing!r} (known: {', '.join(FRAMINGS)}).")
        with self._write() as tx:
            _get_checkpoint(tx.conn, checkpoint_id)
            tx.execute("UPDATE checkpoints SET framing = ?, framing_source = 'user' WHERE id = ?", (framing, checkpoint_id))
            record = _get_checkpoint(tx.conn, checkpoint_id)
            tx.emit("checkpoint_updated", record)
        return record

    # -- galleries ------------------------------------------------------------------------

    def save_gallery(self, checkpoint_id: int, settings: Mapping[str, Any] | Any, arts: list) -> GalleryRecord:
        """Keep a sampled gallery: ``settings`` (a dict or SampleSettings) and its ``Art`` pieces."""
        settings = dict(settings.to_dict() if hasattr(settings, "to_dict") else settings)
        pieces = [_art_fields(art) for art in arts]
        with self._write() as tx:
            _get_checkpoint(tx.conn, checkpoint_id)
            gallery_id = tx.execute(
                "INSERT INTO galleries (checkpoint_id, settings, created_at) VALUES (?, ?, ?)",
                (checkpoint_id, _dumps(settings), _now()),
            ).lastrowid
            for piece in pieces:
                tx.execute(
                    "INSERT INTO pieces (gallery_id, position, label, seed, text, complete)"
                    " VALUES (:gallery_id, :position, :label, :seed, :text, :complete)",
                    {**piece, "gallery_id": gallery_id},
                )
            (gallery,) = _galleries(tx.conn, "g.id = ?", (gallery_id,))
            tx.emit("gallery_saved", gallery)
        return gallery

    def galleries(self, checkpoint_id: int) -> list[GalleryRecord]:
        """A checkpoint's galleries, newest first."""
        with self._read() as db:
            return _galleries(db, "g.checkpoint_id = ?", (checkpoint_id,))

    def latest_gallery(self, checkpoint_id: int) -> GalleryRecord | None:
        with self._read() as db:
            row = db.execute("SELECT MAX(id) AS id FROM galleries WHERE checkpoint_id = ?", (checkpoint_id,)).fetchone()
            if row["id"] is None:
                return None
            return _galleries(db, "g.id = ?", (row["id"],))[0]

    def replace_piece(self, piece_id: int, art: Any) -> PieceRecord:
        """Re-roll one card: new text, seed and label in the same place; its pin stays."""
        fields = _art_fields(art)
        with self._write() as tx:
            _get_piece(tx.conn, piece_id)
            tx.execute(
                "UPDATE pieces SET label = :label, seed = :seed, text = :text, complete = :complete WHERE id = :id",
                {**fields, "id": piece_id},
            )
            piece = _get_piece(tx.conn, piece_id)
            tx.emit("piece_updated", piece)
        return piece

    def set_pinned(self, piece_id: int, pinned: bool) -> PieceRecord:
        with self._write() as tx:
            _get_piece(tx.conn, piece_id)
            tx.execute("UPDATE pieces SET pinned = ? WHERE id = ?", (int(bool(pinned)), piece_id))
            piece = _get_piece(tx.conn, piece_id)
            tx.emit("piece_updated", piece)
        return piece

    def label_history(self, checkpoint_id: int) -> list[str]:
        """Labels this checkpoint has drawn before, most recently used first."""
        with self._read() as db:
            rows = db.execute(
                "SELECT p.label FROM pieces p JOIN galleries g ON p.gallery_id = g.id"
                " WHERE g.checkpoint_id = ? AND p.label IS NOT NULL AND p.label <> ''"
                " GROUP BY p.label ORDER BY MAX(g.id) DESC, MAX(p.id) DESC",
                (checkpoint_id,),
            ).fetchall()
        return [row["label"] for row in rows]
