"""Held-out data chosen for the question asked (the judge's data, see studio.model.judge).

* One model or a pair of conditional parents: the union of their classes, stratified
  (about the same number of chars from every class; pieces drawn from every class in
  a seeded order, never the first N chars of a sorted split).
* Unconditional parents: the classes of their recipe's corpus, framed without labels.
* The user's own data: a corpus file or folder (read as pieces), or a plain text file.

The built-in corpora are filters of one global split (``corpus.piece_split``), so a
test or val piece here was never in any bundled model's training data.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Sequence

from studio.errors import NoHeldOutData, StudioError
from studio.fsutil import read_text_input
from studio.model.facts import training_facts
from studio.model.judge import DataIdentity, HeldOut, heldout_from_text, text_sha256
from studio.model.vocab import class_name, frame_piece
from studio.train.corpora import SYSTEM_ART, base_corpus, load_corpus, split_spec
from studio.train.corpus import BUILTIN_CORPORA, SPLITS, Piece, split_pieces

CORPUS_SUFFIXES = (".jsonl", ".json", ".parquet")
MIN_PIECES_PER_CLASS = 2


def corpus_pieces(corpus: str) -> tuple[list[Piece], str]:
    """The corpus's pieces and the spec that loads them again (the data identity names it,
    so the measurement's ``darwascii eval`` line reproduces it), loaded once per process
    while its files are unchanged (a Darwin run asks for the val and the test split; the
    built-in corpus takes ~0.6 s to render)."""
    key = (corpus, _files_signature(corpus))
    if key not in _LOADED:
        loaded = load_corpus(corpus)
        if len(_LOADED) >= 4:
            _LOADED.pop(next(iter(_LOADED)))
        _LOADED[key] = (loaded.pieces, loaded.source)
    pieces, source = _LOADED[key]
    return list(pieces), source


# (corpus, signature of its files) -> (pieces, source): the last few corpora loaded
_LOADED: dict[tuple, tuple[list[Piece], str]] = {}


def _files_signature(corpus: str) -> tuple:
    """Size and modification time of every file of a corpus given by path (empty for a
    built-in name): a changed file is read again."""
    base, _half = split_spec(corpus)
    if base in BUILTIN_CORPORA or base == SYSTEM_ART:
        return ()  # rendered by our code, or read from installed packages (system_art caches by file)
    path = Path(base)
    try:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        return tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    except OSError:
        return ("unreadable",)  # load_corpus says what is wrong


def stratified(
    pieces: Sequence[Piece],
    *,
    name: str,
    split: str,
    framing: str,
    classes: Sequence[str] | None = None,
    chars_per_class: int | None = None,
    seed: int = 0,
) -> HeldOut:
    """Pieces of ``split``, up to ``chars_per_class`` chars from each class, interleaved.

    Each class's pieces are taken in a seeded random order (whole pieces) until the
    class reaches its budget. The default budget is the mean of the classes' chars in
    the split: on a balanced corpus every class weighs about the same, and on an
    imbalanced one (a real corpus where one class holds most pieces) the big classes
    are capped while every small class gives all it has, instead of every class being
    cut to the smallest one's size. Every class gives at least two pieces when it has
    two, so the bootstrap (stratified by class) has something to resample in each.
    The stream order is a seeded shuffle of all the pieces taken, so windows never run
    through one class at a time.
    """
    if split not in SPLITS:
        raise StudioError(f"unknown split {split!r} (use {', '.join(SPLITS)})")
    chosen = split_pieces(pieces)[split]
    present = list(dict.fromkeys(p.label for p in chosen))
    missing = [c for c in (classes or ()) if c not in present]
    if missing:
        raise StudioError(
            f"the {split} split of {name} has no pieces of class {missing[0]!r} "
            f"(it has: {', '.join(map(class_name, present)) or 'none'})"
        )
    if chars_per_class is not None and chars_per_class < 1:
        raise StudioError(f"chars per class must be at least 1, not {chars_per_class}")
    # The same set of classes gives the same data whatever order it was asked in: classes
    # in corpus order, and each class's pieces shuffled by its own seeded generator.
    wanted = [c for c in present if c in set(classes)] if classes else present
    if not wanted:
        raise StudioError(f"the {split} split of {name} has no pieces")
    by_class: dict[str, list[str]] = {}
    for label in wanted:
        texts = [frame_piece(p.art, p.label or None, framing) for p in chosen if p.label == label]
        random.Random(f"{seed}:{label}").shuffle(texts)
        by_class[label] = texts
    rng = random.Random(seed)
    budget = sum(sum(map(len, t)) for t in by_class.values()) / len(by_class)
    if chars_per_class is not None:
        budget = chars_per_class
    rows: list[tuple[str, str]] = []
    class_chars = []
    for label in wanted:
        total = 0
        for taken, text in enumerate(by_class[label]):
            if total >= budget and taken >= MIN_PIECES_PER_CLASS:
                break
            rows.append((text, label))
            total += len(text)
        class_chars.append(total)
    rng.shuffle(rows)
    texts = [t for t, _ in rows]
    identity = DataIdentity(
        source="corpus",
        name=name,
        split=split,
        framing=framing,
        classes=tuple(wanted),
        class_chars=tuple(class_chars),
        pieces=len(rows),
        chars=sum(map(len, texts)),
        chars_per_class=chars_per_class,
        seed=seed,
        sha256=text_sha256(texts, framing),
    )
    return HeldOut(identity, texts, [c for _, c in rows])


def corpus_heldout(
    corpus: str,
    split: str,
    framing: str,
    *,
    classes: Sequence[str] | None = None,
    chars_per_class: int | None = None,
    seed: int = 0,
) -> HeldOut:
    pieces, name = corpus_pieces(corpus)
    return stratified(
        pieces, name=name, split=split, framing=framing, classes=classes, chars_per_class=chars_per_class, seed=seed
    )


def text_heldout(
    path: Path,
    framing: str,
    split: str = "val",
    *,
    classes: Sequence[str] | None = None,
    chars_per_class: int | None = None,
    seed: int = 0,
) -> HeldOut:
    """The user's ``--text``: a corpus file (.jsonl/.json/.parquet) is read as a corpus,
    anything else is plain UTF-8 text scored as it is."""
    if path.is_dir():
        raise StudioError(f"{path}: is a folder; pass it as --corpus to score its {split} split")
    if path.suffix.lower() in CORPUS_SUFFIXES:
        return corpus_heldout(str(path), split, framing, classes=classes, chars_per_class=chars_per_class, seed=seed)
    text = read_text_input(path)  # in chunks, within the text limit; one sentence if it is not text
    return heldout_from_text(text, str(path), framing)


def classes_for(checkpoints: Sequence[Any]) -> list[str]:
    """The union of the classes these checkpoints were trained on, in order."""
    return list(dict.fromkeys(c for ckpt in checkpoints for c in training_facts(ckpt).classes))


def recorded_corpus(checkpoints: Sequence[Any]) -> str | None:
    """The whole corpus these checkpoints were trained on, when they all record the same
    one (a fork's half is a part of its ancestor's corpus); None when none is recorded."""
    corpora = {base_corpus(training_facts(c).corpus) for c in checkpoints}
    corpora.discard(None)
    if len(corpora) > 1:
        names = ", ".join(c.name for c in checkpoints)
        raise StudioError(
            f"{names}: were trained on different corpora ({', '.join(sorted(corpora))}); "
            "pass --corpus NAME or --text FILE to score them on the same data"
        )
    return corpora.pop() if corpora else None


def heldout_for(
    checkpoints: Sequence[Any],
    split: str = "val",
    *,
    corpus: str | None = None,
    text: Path | None = None,
    classes: Sequence[str] | None = None,
    chars_per_class: int | None = None,
    seed: int = 0,
    fallback: str | None = None,
) -> HeldOut:
    """The held-out data for one checkpoint or a pair: the union of their classes from the
    corpus they were trained on (or the one given), stratified; or the user's text.

    The data follows the artists: their recorded corpus, else ``fallback`` (the data the
    user gave their folder, remembered by the library). Never the built-in pieces for a
    model that was not trained on them: with no data known, this is one sentence that
    says how to give some.
    """
    framing = checkpoints[0].framing
    if text is not None:
        return text_heldout(Path(text), framing, split, classes=classes, chars_per_class=chars_per_class, seed=seed)
    names = ", ".join(c.name for c in checkpoints)
    given = corpus is not None
    if corpus is None:
        corpus = recorded_corpus(checkpoints) or fallback
    if corpus is None:
        raise NoHeldOutData(
            f"{names}: no training corpus is recorded and no held-out data was given for its folder; "
            "pass --corpus NAME or --text FILE (in the app: right-click the artist, Held-out data...)"
        )
    try:
        pieces, name = corpus_pieces(corpus)
    except StudioError as exc:
        if given:
            raise
        raise StudioError(f"{names}: its held-out data {corpus!r} cannot be read here ({exc})") from None
    if classes is None:
        # the union of what they were trained on, as far as this split of the corpus has it
        # (a small class of a real corpus can have no val piece; the identity lists the
        # classes scored)
        in_split = {p.label for p in split_pieces(pieces)[split]} if split in SPLITS else set()
        classes = [c for c in classes_for(checkpoints) if c in in_split] or None
    return stratified(
        pieces, name=name, split=split, framing=framing, classes=classes, chars_per_class=chars_per_class, seed=seed
    )
