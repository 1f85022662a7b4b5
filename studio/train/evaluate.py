"""Evaluation: bits per char of a checkpoint on a text file or a corpus split.

Built on ``studio.model.scoring.bits_per_char`` (the one definition of bpc). A
text is scored as it is, with no framing added; a corpus split is its pieces,
framed as the checkpoint was trained, concatenated. A file of exactly
100,000,000 bytes is enwik8: byte-level models score its standard split (the last
5M bytes are test, the 5M before them val).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from studio.errors import StudioError
from studio.model.checkpoint import ArtistCheckpoint
from studio.model.engine import Engine, pick_device
from studio.model.scoring import bits_per_char
from studio.model.vocab import describe_char, frame_piece

ENWIK8_BYTES = 100_000_000
ENWIK8_SPLIT_BYTES = 5_000_000


@dataclass
class EvalResult:
    bpc: float
    chars: int  # predictions scored
    context: int
    stride: int
    skipped_chars: int
    source: str

    def to_dict(self) -> dict:
        return {**asdict(self), "bpc": round(self.bpc, 6)}


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
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise StudioError(f"{path}: no such file") from None
    if size == ENWIK8_BYTES and ckpt.vocab.byte_level:
        start, end = enwik8_slice(size, split)
        with open(path, "rb") as handle:
            handle.seek(start)
            data = handle.read(end - start)
        return data.decode("utf-8", errors="replace"), f"{path} (enwik8 {split})"
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except UnicodeDecodeError:
        raise StudioError(f"{path}: is not UTF-8 text") from None


def corpus_text(ckpt: ArtistCheckpoint, corpus: str, split: str) -> str:
    from studio.train.corpus import load_builtin, split_pieces
    from studio.train.importers import pieces_from_any

    if Path(corpus).exists():
        pieces = pieces_from_any(Path(corpus)).pieces
    else:
        pieces = load_builtin(corpus)
    splits = split_pieces(pieces)
    if split not in splits:
        raise StudioError(f"unknown split {split!r} (use train, val or test)")
    return "".join(frame_piece(p.art, p.label, ckpt.framing) for p in splits[split])


def evaluate(
    ckpt: ArtistCheckpoint,
    *,
    text: str | None = None,
    corpus: str | None = None,
    split: str = "val",
    context: int | None = None,
    stride: int | None = None,
    device: str | None = "auto",
    skip_unknown: bool = False,
    max_chars: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> EvalResult:
    if (text is None) == (corpus is None):
        raise StudioError("give either a text or a corpus to evaluate on")
    source = f"corpus {corpus} ({split})" if corpus is not None else "text"
    if corpus is not None:
        text = corpus_text(ckpt, corpus, split)
    if max_chars is not None:
        text = text[:max_chars]
    unknown = ckpt.vocab.unknown_chars(text)
    skipped = 0
    if unknown:
        count = sum(text.count(c) for c in unknown)
        if not skip_unknown:
            raise StudioError(
                f"the text holds {count} chars the model does not know (e.g. {describe_char(unknown[0])}); "
                "pass --skip-unknown to drop them"
            )
        drop = set(unknown)
        text = "".join(c for c in text if c not in drop)
        skipped = count
    recipe = ckpt.extra.get("recipe") if isinstance(ckpt.extra.get("recipe"), dict) else {}
    context = context or int(recipe.get("train", {}).get("context", 256))
    stride = stride or max(1, context // 2)
    dev = pick_device(device)
    engine = Engine(ckpt.build_model("cpu"), device=dev)
    bpc, scored = bits_per_char(engine.forward, ckpt.vocab.encode(text), context=context, stride=stride,
                                device=dev, progress=progress, cancel=cancel)
    return EvalResult(bpc, scored, context, stride, skipped, source)
