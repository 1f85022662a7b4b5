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

from studio.errors import StudioError
from studio.fsutil import open_input
from studio.model.judge import DataIdentity, HeldOut, heldout_from_text, text_sha256, training_facts
from studio.model.vocab import frame_piece
from studio.train.corpus import BUILTIN_CORPORA, SPLITS, Piece, split_pieces

CORPUS_SUFFIXES = (".jsonl", ".json", ".parquet")


def base_corpus(name: str | None) -> str | None:
    """The corpus a group corpus filters: builtin-a and builtin-b are parts of builtin."""
    if name in BUILTIN_CORPORA:
        return "builtin"
    return name


def _corpus_pieces(corpus: str) -> tuple[list[Piece], str]:
    """The corpus's pieces, loaded once per process while its files are unchanged (a Darwin
    run asks for the val and the test split; the built-in corpus takes ~0.6 s to render)."""
    from studio.train.importers import load_corpus

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
    if corpus in BUILTIN_CORPORA:
        return ()
    path = Path(corpus)
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
    """Pieces of ``split``, about ``chars_per_class`` chars from each class, interleaved.

    Each class's pieces are taken in a seeded random order until the class reaches
    its budget (whole pieces); the default budget is what the smallest class holds,
    so every class weighs the same. The stream order is a seeded shuffle of all the
    pieces taken, so windows never run through one class at a time.
    """
    if split not in SPLITS:
        raise StudioError(f"unknown split {split!r} (use {', '.join(SPLITS)})")
    chosen = split_pieces(pieces)[split]
    present = list(dict.fromkeys(p.label for p in chosen))
    missing = [c for c in (classes or ()) if c not in present]
    if missing:
        raise StudioError(f"the {split} split of {name} has no pieces of class {missing[0]!r} "
                          f"(it has: {', '.join(present) or 'none'})")
    if chars_per_class is not None and chars_per_class < 1:
        raise StudioError(f"chars per class must be at least 1, not {chars_per_class}")
    # The same set of classes gives the same data whatever order it was asked in: classes
    # in corpus order, and each class's pieces shuffled by its own seeded generator.
    wanted = [c for c in present if c in set(classes)] if classes else present
    by_class: dict[str, list[str]] = {}
    for label in wanted:
        texts = [frame_piece(p.art, p.label or None, framing) for p in chosen if p.label == label]
        random.Random(f"{seed}:{label}").shuffle(texts)
        by_class[label] = texts
    rng = random.Random(seed)
    budget = min(sum(map(len, t)) for t in by_class.values())
    if chars_per_class is not None:
        budget = min(budget, chars_per_class)
    rows: list[tuple[str, str]] = []
    class_chars = []
    for label in wanted:
        total = 0
        for text in by_class[label]:
            if total >= budget:
                break
            rows.append((text, label))
            total += len(text)
        class_chars.append(total)
    rng.shuffle(rows)
    texts = [t for t, _ in rows]
    identity = DataIdentity(source="corpus", name=name, split=split, framing=framing, classes=tuple(wanted),
                            class_chars=tuple(class_chars), pieces=len(rows), chars=sum(map(len, texts)),
                            chars_per_class=chars_per_class, seed=seed, sha256=text_sha256(texts, framing))
    return HeldOut(identity, texts, [c for _, c in rows])


def corpus_heldout(corpus: str, split: str, framing: str, *, classes: Sequence[str] | None = None,
                   chars_per_class: int | None = None, seed: int = 0) -> HeldOut:
    pieces, name = _corpus_pieces(corpus)
    return stratified(pieces, name=name, split=split, framing=framing, classes=classes,
                      chars_per_class=chars_per_class, seed=seed)


def text_heldout(path: Path, framing: str, split: str = "val", *, classes: Sequence[str] | None = None,
                 chars_per_class: int | None = None, seed: int = 0) -> HeldOut:
    """The user's ``--text``: a corpus file (.jsonl/.json/.parquet) is read as a corpus,
    anything else is plain UTF-8 text scored as it is."""
    if path.is_dir():
        raise StudioError(f"{path}: is a folder; pass it as --corpus to score its {split} split")
    if path.suffix.lower() in CORPUS_SUFFIXES:
        return corpus_heldout(str(path), split, framing, classes=classes, chars_per_class=chars_per_class, seed=seed)
    try:
        with open_input(path, "r", what="text file", encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise StudioError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise StudioError(f"{path}: is not UTF-8 text") from None
    return heldout_from_text(text, str(path), framing)


def classes_for(checkpoints: Sequence[Any]) -> list[str]:
    """The union of the classes these checkpoints were trained on, in order."""
    return list(dict.fromkeys(c for ckpt in checkpoints for c in training_facts(ckpt).classes))


def heldout_for(
    checkpoints: Sequence[Any],
    split: str = "val",
    *,
    corpus: str | None = None,
    text: Path | None = None,
    classes: Sequence[str] | None = None,
    chars_per_class: int | None = None,
    seed: int = 0,
) -> HeldOut:
    """The held-out data for one checkpoint or a pair: the union of their classes from
    their recipe's corpus (or the one given), stratified; or the user's text."""
    framing = checkpoints[0].framing
    if text is not None:
        return text_heldout(Path(text), framing, split, classes=classes, chars_per_class=chars_per_class, seed=seed)
    if corpus is None:
        corpora = {base_corpus(training_facts(c).corpus) for c in checkpoints}
        corpora.discard(None)
        known = classes_for(checkpoints)
        if not corpora and known and set(known) <= set(BUILTIN_CORPORA["builtin"]):
            # No recipe, but every class it draws is a built-in one: score those (the
            # identity says "builtin", so the figure never passes for the model's own data).
            corpora = {"builtin"}
        if len(corpora) != 1:
            names = ", ".join(c.name for c in checkpoints)
            raise StudioError(f"{names}: no training corpus is recorded in common; pass --corpus NAME or --text FILE")
        corpus = corpora.pop()
        if classes is None:
            # the union of what they were trained on, as far as the corpus has it
            pieces, _ = _corpus_pieces(corpus)
            in_corpus = {p.label for p in pieces}
            classes = [c for c in classes_for(checkpoints) if c in in_corpus] or None
    return corpus_heldout(corpus, split, framing, classes=classes, chars_per_class=chars_per_class, seed=seed)
