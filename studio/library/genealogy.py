"""How a snapshot's files say who is whose child: pure functions over paths and metadata.

A released snapshot carries its family tree in three ways, read in this order (the
first that names parents wins, so two sources never draw contradicting edges):

1. lineage metadata inside the file (``{"parents": [{name, sha256, path}], "method", ...}``);
2. the layout: a model under ``X/breed/`` is a child of the artists directly in ``X/``
   (``X/*/model.pt``, ``X/*.pt``), the method read from its folder name;
3. ``A__x__B`` in the file or folder name names the parents A and B.

The library (``store.py``) turns these answers into rows; nothing here touches the
database or the disk, so the rules are easy to test and to read.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePath
from typing import Any, Mapping

from studio.breed.methods import METHODS
from studio.fsutil import GENERIC_STEMS
from studio.model.vocab import TEXT

ROLES = ("artist", "bred", "ablation", "sweep", "text", "ancestor", "missing")

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
