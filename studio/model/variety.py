"""How many different drawings a set of pieces holds: the one definition of "same drawing".

Two pieces are the same drawing when, after their left margin and trailing spaces are
removed (``drawing_of``), their normalised edit distance is below ``SAME_DRAWING`` (0.2):
the Levenshtein distance divided by the longer text's length. A piece shifted sideways,
or redrawn with a different eye character, is the same drawing; a cat and a house are
not. The threshold was chosen by looking at pairs: distance 0.1-0.2 is "the same piece
with a detail changed"; above 0.3 a person sees two pieces.

Used by galleries and litters in the benchmarks (``darwascii bench variety``), by the
nursery to fold identical children together, and by the corpus split (a piece's split
is decided by its drawing, so no shifted copy of a test piece is in train).
"""

from __future__ import annotations

import re
from typing import Iterator, Sequence

from rapidfuzz.distance import Levenshtein

SAME_DRAWING = 0.2


def drawing_of(text: str) -> str:
    """The drawing with its left margin, trailing spaces and blank edge lines removed."""
    rows = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while rows and not rows[0]:
        rows.pop(0)
    while rows and not rows[-1]:
        rows.pop()
    inked = [r for r in rows if r]
    if not inked:
        return ""
    margin = min(len(r) - len(r.lstrip(" ")) for r in inked)
    return "\n".join(r[margin:] for r in rows)


def drawing_distance(a: str, b: str) -> float:
    """Normalised edit distance of two drawings (0 = identical, 1 = nothing in common)."""
    return Levenshtein.normalized_distance(drawing_of(a), drawing_of(b))


def drawing_groups(texts: Sequence[str], threshold: float = SAME_DRAWING) -> list[int]:
    """For each text, the index of the first earlier text it is the same drawing as
    (itself when none): ``groups[i] == i`` marks a new drawing. Empty pieces are never
    a drawing of their own: they point at the first empty piece but are not counted by
    :func:`distinct_drawings`."""
    drawings = [drawing_of(t) for t in texts]
    groups: list[int] = []
    heads: list[int] = []
    for i, drawing in enumerate(drawings):
        match = next(
            (
                h
                for h in heads
                if (not drawing and not drawings[h])
                or (drawing and drawings[h] and Levenshtein.normalized_distance(drawing, drawings[h]) < threshold)
            ),
            None,
        )
        if match is None:
            heads.append(i)
            groups.append(i)
        else:
            groups.append(match)
    return groups


def distinct_drawings(texts: Sequence[str], threshold: float = SAME_DRAWING) -> int:
    """How many visibly different (non-empty) drawings ``texts`` holds."""
    groups = drawing_groups(texts, threshold)
    return sum(1 for i, g in enumerate(groups) if g == i and drawing_of(texts[i]))


def ink_of(text: str) -> str:
    """The drawing with every run of spaces inside it folded to one: the marks in their
    order, without the blank canvas between them. Two mostly blank pieces are close in
    edit distance (their spaces match) even when nothing drawn is alike; their ink is not."""
    return re.sub(r" +", " ", drawing_of(text))


def nearest_drawings(texts: Sequence[str], references: Sequence[str]) -> Iterator[tuple[int, float]]:
    """For each text in turn, (index of the nearest reference, the normalised edit
    distance of their ink): how close a generated piece comes to copying one it was
    trained on. Ink, not the whole drawing: a sparse scatter of marks is not a copy of a
    sparse drawing because both are mostly spaces. A shifted copy is at 0; under
    ``SAME_DRAWING`` it is the same drawing. An empty drawing, or no references, is
    (-1, 1.0): nothing to copy. A generator: a caller can stop between pieces."""
    from rapidfuzz import process

    inks = [ink_of(r) for r in references]
    for text in texts:
        ink = ink_of(text)
        best = process.extractOne(ink, inks, scorer=Levenshtein.normalized_distance) if ink else None
        yield (-1, 1.0) if best is None else (int(best[2]), float(best[1]))
