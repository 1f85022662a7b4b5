"""What a gallery asks for (``SampleSettings``), what it gets back (``Art``), and the
plain-text format galleries are saved in (``gallery_text``).

Kept free of PyTorch so the app's windows can build settings and show pieces without
loading it; the sampler (``studio.model.sampler``) does the drawing.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from studio.errors import StudioError
from studio.limits import MAX_LABEL_CHARS, MAX_PIECE_CHARS, MAX_PIECES, MAX_SEED

DEFAULT_MAX_CHARS = 3000


@dataclass(frozen=True)
class SampleSettings:
    """What to draw and how; the card recommends T≈0.6, top-k≈20.

    The temperature, top-k and top-p shape which mark is drawn; a space keeps the model's
    own odds (``temper_spaces`` False, the default). Art is mostly spaces: at T 0.6 a
    space the model gives 0.8 becomes 0.9+, and a weak model's pieces are runs of blank
    lines; a top-p nucleus is often the space alone. ``temper_spaces`` tempers and filters
    spaces too, as the card's own sampler does.
    """

    label: str | None = None
    count: int = 8
    temperature: float = 0.6
    top_k: int | None = 20
    top_p: float | None = None
    seed: int = 0
    max_chars: int = DEFAULT_MAX_CHARS
    temper_spaces: bool = False

    def validate(self) -> None:
        if self.label is not None and len(self.label) > MAX_LABEL_CHARS:
            raise StudioError(f"the label is {len(self.label):,} chars long; a label is at most {MAX_LABEL_CHARS:,}")
        if not 1 <= self.count <= MAX_PIECES:
            raise StudioError(f"count must be between 1 and {MAX_PIECES:,}, not {self.count}")
        if not math.isfinite(self.temperature) or self.temperature < 0:
            raise StudioError(f"temperature must be a finite number, 0 or more, not {self.temperature}")
        if self.top_k is not None and self.top_k < 1:
            raise StudioError(f"top-k must be at least 1, not {self.top_k}")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise StudioError(f"top-p must be in (0, 1], not {self.top_p}")
        if not 0 <= self.seed <= MAX_SEED - self.count:
            raise StudioError(
                f"seed must be between 0 and {MAX_SEED - self.count:,} (piece i uses seed + i), not {self.seed}"
            )
        if not 1 <= self.max_chars <= MAX_PIECE_CHARS:
            raise StudioError(f"max chars must be between 1 and {MAX_PIECE_CHARS:,}, not {self.max_chars}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict, **changes) -> "SampleSettings":
        """Settings stored with a gallery or a litter (unknown keys ignored), with
        ``changes``. A record without ``temper_spaces`` was drawn before spaces kept the
        model's odds, so it says True: redrawing it draws the same pieces."""
        values = {k: v for k, v in record.items() if k in cls.__dataclass_fields__}
        values.setdefault("temper_spaces", True)
        return cls(**{**values, **changes})


@dataclass
class Art:
    """One generated piece: ``text`` is exactly the chars drawn, up to (not incl.) EOA."""

    index: int
    label: str | None
    seed: int
    text: str
    complete: bool  # ended with EOA within max_chars

    def to_dict(self) -> dict:
        return asdict(self)


def gallery_text(ckpt_name: str, settings: SampleSettings, arts: list[Art]) -> str:
    """The plain-text gallery format: a header line per piece, then the art."""
    parts = []
    for art in arts:
        label = f" label={art.label}" if art.label else ""
        status = "complete" if art.complete else "incomplete"
        parts.append(
            f"=== {ckpt_name} #{art.index}{label} seed={art.seed} T={settings.temperature} "
            f"top_k={settings.top_k or 'all'}{f' top_p={settings.top_p}' if settings.top_p else ''}"
            f"{' spaces=tempered' if settings.temper_spaces else ''} ({status}) ===\n"
            f"{art.text}\n"
        )
    return "\n".join(parts)
