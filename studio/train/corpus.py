"""Pieces, the built-in corpora and the one split rule every corpus follows.

The built-in corpus is procedural ASCII art drawn by our own code
(``studio.train.procedural``), deterministic. Two groups mirror the card's split of
the apehex corpus:

    group A, creatures & nature: Cats, Fish, Birds, Trees, Flowers, Mountains, Suns
    group B, objects & tech:     Houses, Boats, Rockets, Swords, Cars, Robots

A piece's split (train/val/test) is decided by its drawing with the left margin and
trailing spaces removed (``studio.model.variety.drawing_of``), so a drawing shifted
sideways is on the same side of the line as the drawing itself.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from studio.errors import StudioError
from studio.model.variety import drawing_of
from studio.train.procedural import ALL_CLASSES, DRAWERS, GROUP_A, GROUP_B, render  # noqa: F401 (re-exported)


@dataclass(frozen=True)
class Piece:
    """One drawing and its class ("" when unlabelled). ``source`` and ``licence`` say
    where a piece read from elsewhere came from (a package and file, a parquet row); they
    travel with the piece but are not part of what it is (equality, the corpus hash)."""

    label: str
    art: str
    source: str = field(default="", compare=False)
    licence: str = field(default="", compare=False)


BUILTIN_CORPORA: dict[str, tuple[str, ...]] = {"builtin": ALL_CLASSES, "builtin-a": GROUP_A, "builtin-b": GROUP_B}


def build_corpus(classes: Sequence[str] = ALL_CLASSES, per_class: int = 400, seed: int = 0) -> list[Piece]:
    """``per_class`` distinct drawings of each class (fewer if a class runs out of variety).

    Distinct means a different drawing once the margin is removed: a drawing shifted
    sideways is kept once (at the first offset drawn), so the corpus never holds the
    same drawing twice and its split rule has nothing to leak.
    """
    pieces: list[Piece] = []
    for label in classes:
        seen: set[str] = set()
        draw = 0
        while len(seen) < per_class and draw < per_class * 20:
            art = render(label, seed * 1_000_003 + draw)
            draw += 1
            drawing = drawing_of(art)
            if drawing not in seen:
                seen.add(drawing)
                pieces.append(Piece(label, art))
    return pieces


def load_builtin(name: str, per_class: int = 400, seed: int = 0) -> list[Piece]:
    if name not in BUILTIN_CORPORA:
        raise StudioError(f"unknown built-in corpus {name!r} (known: {', '.join(BUILTIN_CORPORA)})")
    return build_corpus(BUILTIN_CORPORA[name], per_class=per_class, seed=seed)


SPLITS: tuple[str, ...] = ("train", "val", "test")


def _drawing_digest(piece: Piece) -> bytes:
    return hashlib.sha256(drawing_of(piece.art).encode("utf-8")).digest()


def piece_split(piece: Piece, val_fraction: float = 0.05, test_fraction: float = 0.05) -> str:
    """The split a piece belongs to, from a stable hash of its drawing alone.

    One global rule for every corpus: a piece's split never depends on which other
    pieces it was loaded with, so the group corpora (builtin-a, builtin-b) are
    exact filters of ``builtin`` and no val/test drawing of any corpus is in the
    train split of another. The hash is of the drawing with its left margin and
    trailing spaces removed (``drawing_of``), so the same drawing shifted sideways
    lands on the same side; hashing it without the label keeps the same drawing
    under two labels on one side of the line too.
    """
    u = int.from_bytes(_drawing_digest(piece)[:8], "big") / 2**64  # uniform in [0, 1)
    if u < test_fraction:
        return "test"
    if u < test_fraction + val_fraction:
        return "val"
    return "train"


def split_pieces(
    pieces: Sequence[Piece], val_fraction: float = 0.05, test_fraction: float = 0.05
) -> dict[str, list[Piece]]:
    """Train/val/test by :func:`piece_split` (never inside a piece), order kept.

    A tiny corpus (under ~60 pieces) can hash no piece into val or test; then the
    training split lends its piece with the lowest hash, so evaluation still has
    something to score. That fallback is the only corpus-dependent step, and it
    never fires for the built-in corpora (tested).
    """
    splits: dict[str, list[Piece]] = {name: [] for name in SPLITS}
    for piece in pieces:
        splits[piece_split(piece, val_fraction, test_fraction)].append(piece)
    if len(pieces) >= 3:
        for name in ("test", "val"):
            if not splits[name] and len(splits["train"]) > 1:
                lend = min(splits["train"], key=_drawing_digest)
                splits["train"] = [p for p in splits["train"] if p is not lend]
                splits[name].append(lend)
    return splits


def corpus_hash(pieces: Iterable[Piece]) -> str:
    payload = json.dumps([[p.label, p.art] for p in pieces], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
