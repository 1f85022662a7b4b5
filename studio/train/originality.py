"""Drawing or copying? Each generated piece beside the nearest drawing its artist was
trained on.

An artist trained to low loss draws its training pieces back: complete and
recognisable, and not its own. The distance to the nearest training drawing tells the
two apart: the normalised edit distance of their ink (the drawing with its margin
removed and its runs of spaces folded, ``studio.model.variety.ink_of``, so two mostly
blank pieces are not "the same" for their spaces); under ``SAME_DRAWING`` (0.2) a
piece is a near-copy. The comparison is with the train split of the artist's own
corpus: what it saw. Used by ``darwascii originality`` and by the app's gallery cards.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from studio.model.variety import SAME_DRAWING, nearest_drawings
from studio.model.vocab import class_name
from studio.train.corpora import BUILTIN_CORPORA, SYSTEM_ART, split_spec
from studio.train.corpus import split_pieces
from studio.train.heldout import corpus_pieces, recorded_corpus


@dataclass(frozen=True)
class NearestPiece:
    """The training drawing nearest one generated piece (``where`` None: nothing drawn)."""

    where: str | None  # its source (package and file, parquet row), or its class and index
    label: str | None
    distance: float

    @property
    def near_copy(self) -> bool:
        return self.where is not None and self.distance < SAME_DRAWING


@dataclass(frozen=True)
class Originality:
    """Each piece's nearest training drawing, and what they were compared with."""

    corpus: str  # the spec that loads the corpus again
    compared_with: str  # for people: "the train split of system-art (1,923 pieces)"
    nearest: tuple[NearestPiece, ...]

    @property
    def near_copies(self) -> int:
        return sum(n.near_copy for n in self.nearest)


def corpus_label(spec: str) -> str:
    """A corpus spec as people read it: a built-in or system-art name, a file's name."""
    base, half = split_spec(spec)
    if base in BUILTIN_CORPORA or base == SYSTEM_ART:
        return spec
    return Path(base).name + (f":{half}" if half else "")


def training_corpus(ckpt: Any, fallback: str | None = None) -> str | None:
    """The whole corpus an artist's lineage was trained on (a fork saw its ancestor's
    whole corpus), else ``fallback``; None when neither is known."""
    return recorded_corpus([ckpt]) or fallback


def originality(texts: Sequence[str], corpus: str, cancelled: Callable[[], bool] = lambda: False) -> Originality | None:
    """Compare ``texts`` with the train split of ``corpus``; None when ``cancelled``."""
    pieces, source = corpus_pieces(corpus)
    training = split_pieces(pieces)["train"]
    found: list[NearestPiece] = []
    for index, distance in nearest_drawings(texts, [p.art for p in training]):
        if cancelled():  # between pieces: a long gallery stays cancellable
            return None
        if index < 0:
            found.append(NearestPiece(None, None, distance))
            continue
        piece = training[index]
        where = piece.source or f"{class_name(piece.label)} piece {index} of the train split"
        found.append(NearestPiece(where, piece.label, distance))
    label = corpus_label(source)
    return Originality(source, f"the train split of {label} ({len(training):,} pieces)", tuple(found))
