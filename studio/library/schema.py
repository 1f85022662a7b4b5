"""The library's SQLite schema: the one place that defines tables, versioned by migrations.

``MIGRATIONS[v]`` takes a database from ``PRAGMA user_version`` v to v + 1. A change
to the schema is a new entry at the end; released entries never change, so a
library written by an older studio is brought up to date when it is opened, and
one written by a newer studio is refused rather than damaged.

Structured fields (config, metrics, labels, lineage, settings) are JSON text: the
library stores them for display and never queries inside them.
"""

from __future__ import annotations

import sqlite3

from studio.errors import StudioError

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # v1
    (
        """
        CREATE TABLE checkpoints (
            id              INTEGER PRIMARY KEY,
            path            TEXT,                  -- absolute path; NULL for a placeholder
            sha256          TEXT UNIQUE,           -- content hash: the identity of a checkpoint
            expected_sha256 TEXT,                  -- a placeholder's hash as a lineage names it
            name            TEXT NOT NULL,
            qualified_name  TEXT NOT NULL UNIQUE,
            role            TEXT NOT NULL,
            framing         TEXT NOT NULL,
            framing_source  TEXT NOT NULL DEFAULT 'file',   -- file | inferred | user
            variant         TEXT NOT NULL DEFAULT 'standard',
            config          TEXT NOT NULL DEFAULT '{}',
            metrics         TEXT NOT NULL DEFAULT '{}',
            labels          TEXT NOT NULL DEFAULT '[]',
            lineage         TEXT,
            num_params      INTEGER,
            read_only       INTEGER NOT NULL DEFAULT 0,
            source_root     TEXT,                  -- the folder it was imported from
            added_at        TEXT NOT NULL
        )
        """,
        "CREATE INDEX checkpoints_by_name ON checkpoints (name)",
        "CREATE INDEX checkpoints_by_expected_sha256 ON checkpoints (expected_sha256)",
        """
        CREATE TABLE edges (
            parent_id INTEGER NOT NULL REFERENCES checkpoints (id) ON DELETE CASCADE,
            child_id  INTEGER NOT NULL REFERENCES checkpoints (id) ON DELETE CASCADE,
            method    TEXT NOT NULL,
            params    TEXT NOT NULL DEFAULT '{}',
            source    TEXT NOT NULL,               -- lineage | layout | name
            PRIMARY KEY (parent_id, child_id),
            CHECK (parent_id <> child_id)
        )
        """,
        "CREATE INDEX edges_by_child ON edges (child_id)",
        """
        CREATE TABLE galleries (
            id            INTEGER PRIMARY KEY,
            checkpoint_id INTEGER NOT NULL REFERENCES checkpoints (id) ON DELETE CASCADE,
            settings      TEXT NOT NULL,
            created_at    TEXT NOT NULL
        )
        """,
        "CREATE INDEX galleries_by_checkpoint ON galleries (checkpoint_id)",
        """
        CREATE TABLE pieces (
            id         INTEGER PRIMARY KEY,
            gallery_id INTEGER NOT NULL REFERENCES galleries (id) ON DELETE CASCADE,
            position   INTEGER NOT NULL,           -- the piece's index in its gallery
            label      TEXT,
            seed       INTEGER NOT NULL,
            text       TEXT NOT NULL,
            complete   INTEGER NOT NULL,
            pinned     INTEGER NOT NULL DEFAULT 0
        )
        """,
        "CREATE INDEX pieces_by_gallery ON pieces (gallery_id)",
    ),
    # v2: the held-out data the user gave a folder of checkpoints that record none (a
    # downloaded snapshot): a corpus spec (studio.train.corpora) or a text file's path.
    (
        """
        CREATE TABLE folder_data (
            folder  TEXT PRIMARY KEY,              -- absolute path of the folder
            data    TEXT NOT NULL,                 -- corpus spec or text file
            set_at  TEXT NOT NULL
        )
        """,
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)


def expected_columns() -> dict[str, set[str]]:
    """The tables and columns the migrations make, read from a scratch in-memory database."""
    global _EXPECTED
    if _EXPECTED is None:
        scratch = sqlite3.connect(":memory:")
        for step in MIGRATIONS:
            for statement in step:
                scratch.execute(statement)
        tables = [row[0] for row in scratch.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        _EXPECTED = {t: {row[1] for row in scratch.execute(f"PRAGMA table_info({t})")} for t in tables}
        scratch.close()
    return _EXPECTED


_EXPECTED: dict[str, set[str]] | None = None


def migrate(conn: sqlite3.Connection, where: str) -> None:
    """Bring ``conn`` (autocommit mode) to ``SCHEMA_VERSION`` in one transaction."""
    conn.execute("BEGIN IMMEDIATE")  # two processes opening a new library: one creates it
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StudioError(
                f"{where}: was written by a newer version of the studio (library schema {version}, "
                f"this version knows up to {SCHEMA_VERSION})."
            )
        for step in MIGRATIONS[version:]:
            for statement in step:
                conn.execute(statement)
        # PRAGMA takes no parameters; the value is our own integer.
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
