"""How a snapshot's files say who is whose child, and the family tree drawn from it.

A released snapshot carries its family tree in three ways, read in this order (the
first that names parents wins, so two sources never draw contradicting edges):

1. lineage metadata inside the file (``{"parents": [{name, sha256, path}], "method", ...}``);
2. the layout: a model under ``X/breed/`` is a child of the artists directly in ``X/``
   (``X/*/model.pt``, ``X/*.pt``), the method read from its folder name;
3. ``A__x__B`` in the file or folder name names the parents A and B.

The rules are pure functions over paths and metadata (nothing touches the disk), so
they are easy to test and to read. ``link`` and ``mark_ancestors`` (the end of this
module) apply them to the library's index inside its write transaction: they find each
parent by content hash, then by name (the nearest on disk), and stand a placeholder
(role "missing") in for a parent that is not in the library, which the real file fills
when it is imported.

The merge methods' names come from their registry (``studio.breed.methods``): a
lineage or a ``breed/`` folder names its method by them, so a new method is read
correctly here with no change (docs/design.md §2).
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from pathlib import Path, PurePath
from typing import Any, Mapping

from studio.breed.methods import METHODS
from studio.fsutil import GENERIC_STEMS
from studio.library.db import Transaction, dumps, get_checkpoint, loads, now, unique_qualified
from studio.model.vocab import TEXT

BREED_FOLDER = "breed"
NAME_CROSS = "__x__"


# Lineage methods that make a bred child (a merge with no training) besides the merge
# methods of the registry: Darwin's champions and "bred" (a child of unknown method).
# "fork" (a fine-tuned copy of one ancestor) makes a new artist.
OTHER_BREEDING_METHODS = frozenset({"darwin", "bred"})


def is_breeding_method(method: str | None) -> bool:
    """Whether a lineage's method makes a bred child (read from the registry, so a new method counts)."""
    return method in METHODS or method in OTHER_BREEDING_METHODS


# Words a Darwin run puts before the parents' names: ``offspring_forkL__x__forkR``.
_CHILD_PREFIXES = ("offspring", "champion", "child", "hybrid", "kid", "bred")


def qualified_name(path: PurePath, root: PurePath) -> str:
    """``root/apehex/breed/child_slerp/model.pt`` -> ``apehex/breed/child_slerp``.

    The path relative to the folder it was imported from, without a generic file
    name or the ``.pt`` suffix: unique within one snapshot, readable in the tree.
    """
    try:
        rel = PurePath(path).relative_to(root)
    except ValueError:
        rel = PurePath(path.name)
    if rel.suffix == ".pt":
        rel = rel.with_suffix("")
    if rel.name in GENERIC_STEMS:
        rel = rel.parent if rel.parent != PurePath(".") else PurePath(PurePath(root).name or rel.name)
    return rel.as_posix()


def single_file_root(path: Path) -> Path:
    """The folder a lone file counts as imported from: ``X/model.pt`` keeps ``X`` in its name."""
    return path.parent.parent if path.stem in GENERIC_STEMS else path.parent


# ---------------------------------------------------------------------------
# 1. lineage metadata


def lineage_parents(lineage: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The parents a lineage names, each ``{"name", "sha256", "path"}`` (any may be None)."""
    if not isinstance(lineage, Mapping):
        return []
    parents = []
    for entry in lineage.get("parents") or []:
        if isinstance(entry, Mapping):
            name, sha, path = entry.get("name"), entry.get("sha256"), entry.get("path")
        elif isinstance(entry, str):  # a bare name
            name, sha, path = entry, None, None
        else:
            continue
        if name or sha:
            parents.append({"name": str(name) if name else None, "sha256": sha or None, "path": path or None})
    return parents


def lineage_method(lineage: Mapping[str, Any] | None) -> str | None:
    if not isinstance(lineage, Mapping):
        return None
    method = lineage.get("method")
    return str(method) if method else None


# ---------------------------------------------------------------------------
# 2. the snapshot layout


def layout_method(folder_name: str) -> str:
    """The merge method a ``breed/`` child's folder names (``child_slerp_frozenattn`` ...).

    A method is named by its registry name without dashes (``frozenattn``) or by its
    first word (``frozen``); the longest match wins, so ``slerp`` is not read as
    ``lerp`` and ``child_slerp_frozenattn`` is a frozen-attn child.
    """
    name = folder_name.lower().replace("-", "")
    words = sorted(
        ((word, method) for method in METHODS for word in {method.replace("-", ""), method.split("-")[0]}),
        key=lambda pair: -len(pair[0]),
    )
    return next((method for word, method in words if word in name), "bred")


def breed_family(path: PurePath) -> tuple[PurePath, str] | None:
    """``(X, method)`` for ``X/breed/<child>/<file>.pt`` or ``X/breed/<child>.pt``, else None.

    Only those two depths count, so a ``breed`` folder higher up someone's home
    directory does not turn every file below it into a child.
    """
    if path.parent.name == BREED_FOLDER:
        return path.parent.parent, layout_method(path.stem)
    if path.parent.parent.name == BREED_FOLDER:
        return path.parent.parent.parent, layout_method(path.parent.name)
    return None


def is_family_artist(path: PurePath, family: PurePath) -> bool:
    """True for ``family/<name>.pt`` and ``family/<folder>/<file>.pt`` outside ``breed/``."""
    try:
        rel = PurePath(path).relative_to(family)
    except ValueError:
        return False
    return len(rel.parts) in (1, 2) and rel.parts[0] != BREED_FOLDER


# ---------------------------------------------------------------------------
# 3. A__x__B in a name


def crossed_names(path: PurePath) -> tuple[list[str], str] | None:
    """The parents ``A__x__B`` names in the file name or the nearest folder name, and the method.

    ``offspring_forkL__x__forkR.pt`` -> (["forkL", "forkR"], "darwin"): the words a
    Darwin run puts in front (offspring, champion, ...) are not part of a name.
    """
    # The file's own name, then its folder's (``A__x__B/model.pt``); no higher, so a
    # crossed name far up a path does not make every file below it a child.
    for text in (path.stem, path.parent.name):
        if NAME_CROSS not in text:
            continue
        pieces = text.split(NAME_CROSS)
        if len(pieces) < 2 or not all(pieces):
            return None
        first = pieces[0]
        darwin = False
        for prefix in _CHILD_PREFIXES:
            if first.lower().startswith(prefix + "_") and len(first) > len(prefix) + 1:
                first = first[len(prefix) + 1 :]
                darwin = darwin or prefix in ("offspring", "champion")
                break
        darwin = darwin or "darwin" in str(path).lower()
        return [first, *pieces[1:]], ("darwin" if darwin else "bred")
    return None


def name_variants(name: str, *, leading: bool) -> list[str]:
    """Ways a name inside ``A__x__B`` may be spelled shorter, most specific first.

    A left-hand name may carry words in front (``run3_forkL``), a right-hand one
    words behind (``forkR_gen4``); the library tries each against its names.
    """
    words = re.split(r"[_\-]", name)
    out = [name]
    for cut in range(1, len(words)):
        kept = words[cut:] if leading else words[:-cut]
        short = "_".join(kept)
        if short and short not in out:
            out.append(short)
    return out


# ---------------------------------------------------------------------------
# roles


def infer_role(path: PurePath, *, framing: str, lineage: Mapping[str, Any] | None) -> str:
    """The role the tree shows for a checkpoint file, by the rules of the snapshot.

    In order: a fine-tuned fork is an artist; two parents, a ``breed/`` folder or
    ``A__x__B`` make it bred; ``smith-experiment`` is the residual ablation;
    ``resonance`` the geometry sweep; a byte-level or text-framed model is text;
    everything else is an artist. ("ancestor" is given later, by the library, to a
    model that turns out to have forks and is not itself bred; "missing" only to
    placeholders.)
    """
    method = lineage_method(lineage)
    if method == "fork":
        return "artist"
    lowered = str(path).lower()
    if (
        len(lineage_parents(lineage)) >= 2
        or (is_breeding_method(method) and lineage_parents(lineage))
        or breed_family(path) is not None
        or crossed_names(path) is not None
    ):
        return "bred"
    if "smith-experiment" in lowered:
        return "ablation"
    if "resonance" in lowered:
        return "sweep"
    if framing == TEXT:
        return "text"
    return "artist"


# ---------------------------------------------------------------------------
# drawing the tree in the library (inside its write transaction)


def link(tx: Transaction, child_id: int, *, names_anywhere: bool) -> None:
    """Draw a checkpoint's edges to its parents from the first source that names them
    (lineage, then the breed/ layout, then A__x__B: the rules above)."""
    child = tx.one("SELECT * FROM checkpoints WHERE id = ?", (child_id,))
    if child is None or child["path"] is None:
        return
    file = Path(child["path"])
    root = child["source_root"]
    lineage = loads(child["lineage"], None)
    parents = lineage_parents(lineage)
    if parents:
        method = lineage_method(lineage) or "bred"
        params = lineage.get("params") if isinstance(lineage.get("params"), Mapping) else {}
        parent_ids = [_lineage_parent(tx, entry, child, names_anywhere) for entry in parents]
        _add_edges(tx, parent_ids, child_id, method, params, "lineage")
        return
    family = breed_family(file)
    if family is not None:
        family_dir, method = family
        parent_ids = _family_artists(tx, family_dir, child_id)
        if parent_ids:
            _add_edges(tx, parent_ids, child_id, method, {}, "layout")
            return
    crossed = crossed_names(file)
    if crossed is not None:
        names, method = crossed
        parent_ids = []
        for position, name in enumerate(names):
            parent_id = None
            for variant in name_variants(name, leading=position == 0):
                parent_id = _by_name(tx, variant, root, file, child_id)
                if parent_id is not None:
                    break
            if parent_id is None:
                sibling = Path(qualified_name(file, Path(root))).parent.as_posix() if root else "."
                wanted = name if sibling == "." else f"{sibling}/{name}"
                parent_id = _placeholder(tx, name, wanted, root, None, child["framing"])
            parent_ids.append(parent_id)
        _add_edges(tx, parent_ids, child_id, method, {}, "name")


def _lineage_parent(tx: Transaction, entry: dict, child: sqlite3.Row, names_anywhere: bool) -> int:
    """A lineage parent's id: by content hash, then by name, else a placeholder."""
    sha, name = entry["sha256"], entry["name"]
    if sha:
        row = tx.one(
            "SELECT id FROM checkpoints WHERE sha256 = ? OR expected_sha256 = ? ORDER BY path IS NULL", (sha, sha)
        )
        if row is not None:
            return row["id"]
    if name:
        scope = None if names_anywhere else child["source_root"]
        parent_id = _by_name(tx, name, scope, Path(child["path"]), child["id"])
        if parent_id is not None:
            return parent_id
    label = name or f"sha256:{sha[:12]}"
    return _placeholder(tx, label, label, child["source_root"], sha, child["framing"])


def _by_name(tx: Transaction, name: str, root: str | None, near: Path, exclude_id: int) -> int | None:
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


def _family_artists(tx: Transaction, family_dir: Path, child_id: int) -> list[int]:
    """The parents the layout gives a ``family_dir/breed/...`` child: the models directly in it."""
    prefix = str(family_dir) + os.sep
    rows = tx.execute(
        "SELECT id, path, role FROM checkpoints WHERE substr(path, 1, ?) = ? AND id <> ? ORDER BY path",
        (len(prefix), prefix, child_id),
    ).fetchall()
    return [row["id"] for row in rows if row["role"] != "bred" and is_family_artist(Path(row["path"]), family_dir)]


def _placeholder(tx: Transaction, name: str, wanted: str, root: str | None, sha: str | None, framing: str) -> int:
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
        (sha, name, unique_qualified(tx, wanted, folder=PurePath(root).name if root else ""), framing, root, now()),
    ).lastrowid
    tx.emit("checkpoint_added", get_checkpoint(tx.conn, record_id))
    return record_id


def _add_edges(
    tx: Transaction, parent_ids: list[int], child_id: int, method: str, params: Mapping, source: str
) -> None:
    # The first source to draw an edge keeps it (INSERT OR IGNORE): lineage beats layout.
    encoded = dumps(dict(params))
    for parent_id in dict.fromkeys(parent_ids):
        if parent_id == child_id:
            continue
        inserted = tx.execute(
            "INSERT OR IGNORE INTO edges (parent_id, child_id, method, params, source) VALUES (?, ?, ?, ?, ?)",
            (parent_id, child_id, method, encoded, source),
        ).rowcount
        if inserted:
            tx.emit("edges_changed")


def mark_ancestors(tx: Transaction) -> None:
    """A model that others were forked from is their ancestor (unless it is itself bred)."""
    rows = tx.execute(
        "SELECT id FROM checkpoints WHERE role NOT IN ('bred', 'missing', 'ancestor')"
        " AND id IN (SELECT parent_id FROM edges WHERE method = 'fork')"
    ).fetchall()
    for row in rows:
        tx.execute("UPDATE checkpoints SET role = 'ancestor' WHERE id = ?", (row["id"],))
        tx.emit("checkpoint_updated", get_checkpoint(tx.conn, row["id"]))
