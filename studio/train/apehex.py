"""The apehex ASCII-art dataset as it is published: a folder of parquet shards.

The card's artists were trained on its ``asciiart`` configuration: 5,293 hand-drawn
pieces listed on asciiart.eu, one row each, with the columns ``caption`` (often
"Title by Artist"), ``content`` (the art), ``labels`` ("Animals,Cats": the site's
category, then its subcategory), ``charsets`` and ``chartypes``. The dataset's other
configurations (copypasta, graffiti fonts, images converted by a tool) are not
hand-drawn art and are not read.

A piece's label is its subcategory (Cats, Dragons, Swords, Cars, ...), the card's
labels; its category decides which of the card's two halves it belongs to. The card
does not publish its split, so ours is by category: creatures & nature is Animals,
Mythology, Nature, Plants and People; objects & tech is every other category.

Point the studio at the dataset's folder, its ``asciiart`` folder, or the folder of
shards itself: ``--corpus ~/data/ascii-art`` (the whole corpus), ``--corpus
~/data/ascii-art:creatures`` or ``:objects`` (one half).
"""

from __future__ import annotations

from pathlib import Path

from studio.train.importers import CorpusImportError, ImportResult, import_parquet

CONFIG = "asciiart"
CREATURES_AND_NATURE = ("Animals", "Mythology", "Nature", "Plants", "People")
LICENCE = "apehex/ascii-art dataset (AGPL-3.0); each piece belongs to its artist"


def shards(folder: Path) -> list[Path]:
    """The ``asciiart`` parquet shards under ``folder`` (the dataset root, ``asciiart/``,
    or ``asciiart/train/``), or [] when the folder is not laid out that way."""
    for candidate in (folder / CONFIG / "train", folder / "train", folder):
        try:
            found = sorted(p for p in candidate.glob("*.parquet") if p.is_file())
        except OSError:
            found = []
        if found:
            return found
    return []


def parse_labels(text: object) -> tuple[str, str]:
    """(category, label) of a ``labels`` cell: "Animals,Cats" -> ("Animals", "Cats"); a
    single name is both; anything else is unlabelled ("", "")."""
    if isinstance(text, list):  # a list column, in case a copy of the dataset stores one
        parts = [str(t).strip() for t in text if str(t).strip()]
    elif isinstance(text, str):
        parts = [t.strip() for t in text.split(",") if t.strip()]
    else:
        parts = []
    if not parts:
        return "", ""
    return parts[0], parts[-1]


def half_of(category: str) -> str:
    return "creatures" if category in CREATURES_AND_NATURE else "objects"


def import_apehex(folder: str | Path, half: str | None = None) -> ImportResult:
    """Every piece of the ``asciiart`` shards under ``folder`` (or of one half of them),
    labelled by subcategory, with its shard and row as source."""
    folder = Path(folder)
    found = shards(folder)
    if not found:
        raise CorpusImportError(f"{folder}: holds no {CONFIG}/train/*.parquet shards of the apehex dataset")
    result = ImportResult([])
    for shard in found:
        part = import_parquet(
            shard,
            label_column="labels",
            label_of=lambda cell: parse_labels(cell)[1],
            keep=None if half is None else (lambda cell: half_of(parse_labels(cell)[0]) == half),
            licence=LICENCE,
            allow_empty=True,
        )
        result.pieces += part.pieces
        result.skipped += part.skipped
        result.problems += part.problems[: max(0, 5 - len(result.problems))]
    if not result.pieces:
        raise CorpusImportError(f"{folder}: its apehex shards hold no valid pieces ({result.skipped} skipped)")
    return result
