"""Evaluation: bits per char of a checkpoint on a text file or a corpus split.

Built on the judge (``studio.model.judge``): a text is scored as it is, with no
framing added; a corpus split is its pieces framed as the checkpoint was trained,
stratified by class (``studio.train.heldout``). A file of exactly
100,000,000 bytes is enwik8: byte-level models score its standard split (the last
5M bytes are test, the 5M before them val).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Sequence

from studio.errors import StudioError
from studio.fsutil import open_input, read_text_input
from studio.model.checkpoint import ArtistCheckpoint
from studio.model.engine import pick_device
from studio.model.judge import HeldOut, Measurement, heldout_from_text, measure, scoring_context
from studio.train.heldout import CORPUS_SUFFIXES, corpus_heldout, heldout_for, text_heldout

ENWIK8_BYTES = 100_000_000
ENWIK8_SPLIT_BYTES = 5_000_000


def enwik8_slice(total_bytes: int, split: str) -> tuple[int, int]:
    """(start, end) byte offsets of an enwik8 split for a file of ``total_bytes``."""
    if split == "test":
        return total_bytes - ENWIK8_SPLIT_BYTES, total_bytes
    if split == "val":
        return total_bytes - 2 * ENWIK8_SPLIT_BYTES, total_bytes - ENWIK8_SPLIT_BYTES
    if split == "train":
        return 0, total_bytes - 2 * ENWIK8_SPLIT_BYTES
    raise StudioError(f"unknown split {split!r} (use train, val or test)")


def read_text_for(ckpt: ArtistCheckpoint, path: Path, split: str = "val") -> tuple[str, str]:
    """(text, description) of a file, applying the enwik8 split for byte-level models."""
    with open_input(path, "rb", what="text file") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size == ENWIK8_BYTES and ckpt.vocab.byte_level:
            start, end = enwik8_slice(size, split)
            handle.seek(start)
            return handle.read(end - start).decode("utf-8", errors="replace"), f"{path} (enwik8 {split})"
    return read_text_input(path), str(path)  # in chunks, within the text limit; NUL bytes are not text


def heldout_for_eval(
    ckpt: ArtistCheckpoint,
    *,
    text: Path | None = None,
    corpus: str | None = None,
    split: str = "val",
    classes: Sequence[str] | None = None,
    chars_per_class: int | None = None,
    data_seed: int = 0,
    max_chars: int | None = None,
) -> HeldOut:
    """The data ``eval`` scores: a corpus split (stratified by class, as the judge
    does for every figure) or a text file (read as a corpus when it is .jsonl/.parquet)."""
    if text is not None and corpus is not None:
        raise StudioError("give either a text file or a corpus to evaluate on, not both")
    if text is None and corpus is None:
        if max_chars is not None:
            raise StudioError("--max-chars applies to --text; for a corpus use --chars-per-class")
        # the artist's own data: the corpus it was trained on (or one sentence saying none is known)
        return heldout_for([ckpt], split, classes=classes, chars_per_class=chars_per_class, seed=data_seed)
    if max_chars is not None and max_chars < 2:
        raise StudioError(f"--max-chars must be at least 2, not {max_chars}")
    if text is not None:
        if text.suffix.lower() in CORPUS_SUFFIXES:
            return text_heldout(
                text, ckpt.framing, split, classes=classes, chars_per_class=chars_per_class, seed=data_seed
            )
        raw, name = read_text_for(ckpt, text, split)
        return heldout_from_text(raw[:max_chars] if max_chars else raw, name, ckpt.framing)
    if max_chars is not None:
        raise StudioError("--max-chars applies to --text; for a corpus use --chars-per-class")
    return corpus_heldout(corpus, split, ckpt.framing, classes=classes, chars_per_class=chars_per_class, seed=data_seed)


def evaluate(
    ckpt: ArtistCheckpoint,
    heldout: HeldOut,
    *,
    context: int | None = None,
    stride: int | None = None,
    device: str | None = "auto",
    skip_unknown: bool = False,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> Measurement:
    """The judge's measurement of one checkpoint (context: its training context unless asked)."""
    if stride is not None and context is None:
        context = scoring_context([ckpt])[0]
    if stride is not None and not 0 < stride < (context or 0):
        raise StudioError(f"--stride must be between 1 and the context minus 1 ({(context or 2) - 1}), not {stride}")
    measurement, _ = measure(
        ckpt,
        heldout,
        context=context,
        stride=stride,
        skip_unknown=skip_unknown,
        device=pick_device(device),
        progress=progress,
        cancel=cancel,
    )
    return measurement
