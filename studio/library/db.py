"""The library's storage: the SQLite file and the rows of its tables.

``Index`` owns the connection (opened only when the file is one the studio can use:
``check_before_writing``, ``migrate``, ``check_schema``), its lock, the write
transactions (``Transaction``: statements and the events to send once committed) and
the listeners. JSON columns are read back defensively (``loads``: a hand-edited or
hostile database shows what it can and never crashes), and rows become the records of
``studio.library.records``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from studio.errors import StudioError
from studio.model.vocab import FRAMINGS
from studio.library.paths import default_library_path
from studio.library.records import ROLES, CheckpointRecord, GalleryRecord, PieceRecord
from studio.library.schema import migrate

log = logging.getLogger(__name__)

Listener = Callable[[str, Any], None]


def now() -> str:
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


def dumps(value: Any) -> str:
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


def loads(text: Any, default: Any, kind: type | None = None) -> Any:
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


def check_library_path(path: Path) -> None:
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


def check_before_writing(conn: sqlite3.Connection, where: str) -> None:
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


class Transaction:
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


def checkpoint_record(row: sqlite3.Row) -> CheckpointRecord:
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
        config=loads(row["config"], {}),
        metrics=loads(row["metrics"], {}),
        labels=[x for x in loads(row["labels"], []) if isinstance(x, str)],
        lineage=loads(row["lineage"], None, dict),
        read_only=bool(row["read_only"]),
        source_root=_text(row["source_root"], None),
        added_at=_text(row["added_at"]),
        framing_source=_text(row["framing_source"]) or "file",
        param_count=count if isinstance(count, int) else None,
    )


def piece_record(row: sqlite3.Row) -> PieceRecord:
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


def art_fields(art: Any) -> dict[str, Any]:
    """The columns of a piece from a sampler ``Art`` (or anything with its attributes)."""
    get = art.get if isinstance(art, Mapping) else lambda key: getattr(art, key)
    return {
        "position": int(get("index")),
        "label": get("label") or None,
        "seed": int(get("seed")),
        "text": str(get("text")),
        "complete": int(bool(get("complete"))),
    }


def get_checkpoint(db: sqlite3.Connection, checkpoint_id: int) -> CheckpointRecord:
    row = db.execute("SELECT * FROM checkpoints WHERE id = ?", (checkpoint_id,)).fetchone()
    if row is None:
        raise KeyError(checkpoint_id)
    return checkpoint_record(row)


def get_piece(db: sqlite3.Connection, piece_id: int) -> PieceRecord:
    row = db.execute("SELECT * FROM pieces WHERE id = ?", (piece_id,)).fetchone()
    if row is None:
        raise KeyError(piece_id)
    return piece_record(row)


def galleries_where(db: sqlite3.Connection, where: str, args: tuple) -> list[GalleryRecord]:
    """Galleries matching ``where`` (on ``g``), newest first, with their pieces in order."""
    rows = db.execute(f"SELECT * FROM galleries g WHERE {where} ORDER BY g.id DESC", args).fetchall()
    pieces: dict[int, list[PieceRecord]] = {row["id"]: [] for row in rows}
    for row in db.execute(
        f"SELECT p.* FROM pieces p JOIN galleries g ON p.gallery_id = g.id WHERE {where} ORDER BY p.position, p.id",
        args,
    ):
        pieces[row["gallery_id"]].append(piece_record(row))
    return [
        GalleryRecord(
            id=row["id"],
            checkpoint_id=row["checkpoint_id"],
            settings=loads(row["settings"], {}),
            created_at=row["created_at"],
            pieces=pieces[row["id"]],
        )
        for row in rows
    ]


def unique_qualified(tx: Transaction, wanted: str, exclude_id: int | None = None, folder: str = "") -> str:
    """``wanted``; when another checkpoint has that qualified name, ``folder/wanted``
    (the folder it was opened from: a second family's ``ancestor`` reads ``fam/ancestor``,
    not ``ancestor (2)``); then ``wanted (2)``, ``(3)`` ..."""

    def taken(name: str) -> bool:
        return tx.one("SELECT 1 FROM checkpoints WHERE qualified_name = ? AND id IS NOT ?", (name, exclude_id))

    if not taken(wanted):
        return wanted
    if folder and not wanted.startswith(folder + "/") and not taken(f"{folder}/{wanted}"):
        return f"{folder}/{wanted}"
    n = 2
    while taken(f"{wanted} ({n})"):
        n += 1
    return f"{wanted} ({n})"


class Index:
    """The library's SQLite file: one connection shared by the GUI and worker threads
    behind a lock; every write is one ``BEGIN IMMEDIATE ... COMMIT`` transaction whose
    events go to the listeners after it committed, outside the lock."""

    def __init__(self, path: Path | str | None = None):
        if path is None:
            path = default_library_path()
        in_memory = str(path) == ":memory:"
        self.path: Path | None = None if in_memory else Path(path).expanduser().resolve()
        where = ":memory:" if self.path is None else str(self.path)
        if self.path is not None:
            check_library_path(self.path)
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []
        # Autocommit mode (isolation_level None): transactions are the explicit
        # BEGIN IMMEDIATE ... COMMIT of write(), so a write never waits half-done.
        try:
            conn = sqlite3.connect(where, timeout=30.0, check_same_thread=False, isolation_level=None)
        except sqlite3.Error as exc:
            raise LibraryOpenError(f"{where}: cannot be opened as a library ({exc}).") from None
        try:
            conn.row_factory = sqlite3.Row
            # Looked at before anything is written: a file the studio cannot use is left
            # exactly as it was (the app offers a fresh library beside it).
            check_before_writing(conn, where)
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

    def close(self) -> None:
        """Close the database; further calls raise RuntimeError. Closing twice is harmless."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("the library is closed")
        return self._conn

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._db()

    @contextlib.contextmanager
    def write(self) -> Iterator[Transaction]:
        """One transaction; its events are sent after COMMIT, outside the lock."""
        with self._lock:
            conn = self._db()
            conn.execute("BEGIN IMMEDIATE")
            tx = Transaction(conn)
            try:
                yield tx
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):  # keep the original error, not this one
                    conn.execute("ROLLBACK")
                raise
        self._send(tx.events)

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
