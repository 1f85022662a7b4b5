"""The judge: every bpc, barrier and vigor the studio shows is measured here.

One definition, used by the CLI, the app and Darwin alike:

* **Data** is a :class:`HeldOut`: framed pieces in stream order, each with its class,
  and a :class:`DataIdentity` that says what they are (corpus, split, classes and
  their chars, or a file's sha256) and hashes the exact text scored.
* **bpc** is ``studio.model.scoring``'s sliding-window definition over the stream of
  pieces (``context`` chars, new windows every ``stride``), and every prediction's
  loss is attributed to the piece its target char belongs to.
* **Intervals** come from a paired per-piece bootstrap, stratified by class: each
  resample draws, within every class, as many pieces as the class has, with
  replacement, and recomputes the pooled statistic (total bits / total chars). The
  95% interval is the 2.5th..97.5th percentile over ``resamples`` draws (seeded).
* **Barrier** (linear-mode connectivity): ``max_t L(t) - ((1 - t) L(0) + t L(1))``;
  at most 0 means the path never rises above the chord (one basin).
* **Vigor** = best parent minus child on the same data (positive: the child is
  better), "positive" only when the 95% interval of that difference excludes zero;
  reported beside each parent on its own classes, the shared ancestor and the
  routed-parent oracle (each class scored by the parent trained on it): the typed
  report is ``studio.model.vigor``, and ``studio.breed.pair_judge`` judges a child of
  two parents against all of them.

A :class:`Measurement` carries a bpc with its provenance; ``caption()`` is what the
app writes beside the number ("test · 13 classes · ctx 128") and ``command()`` the
CLI line that reproduces it.
"""

from __future__ import annotations

import functools
import hashlib
import math
import shlex
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from studio.errors import StudioError
from studio.model.facts import training_facts
from studio.model.vocab import Vocab, class_name, describe_char

LN2 = math.log(2.0)
RESAMPLES = 1000
BOOTSTRAP_SEED = 0
DEFAULT_CONTEXT = 256  # only for checkpoints that do not say what they were trained at
TEXT_BLOCK_CHARS = 512  # a plain text file is bootstrapped in blocks of this many chars
BPC_ROUNDING = 1e-6  # bpc differences below this are float rounding of float32 forwards, not measurements


# -- data -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataIdentity:
    """What a measurement was made on: enough to name it, compare it and redo it."""

    source: str  # "corpus" or "text"
    name: str  # built-in corpus name, corpus path, or text file path
    split: str | None  # train / val / test for corpora
    framing: str
    classes: tuple[str, ...] = ()
    class_chars: tuple[int, ...] = ()  # chars of each class, same order (equal weights by design)
    pieces: int = 0
    chars: int = 0
    chars_per_class: int | None = None  # the budget asked for (None: all the split holds)
    seed: int = 0  # piece selection and stream order
    sha256: str = ""  # of the exact framed text, before any unknown char is dropped

    @property
    def key(self) -> str:
        """Stable identity for the library: the text scored, with its framing."""
        return self.sha256

    def caption(self) -> str:
        """Short provenance for a tooltip or a badge: ``test · 13 classes``."""
        if self.source == "text":
            return f"{self.name.rsplit('/', 1)[-1]} (sha256 {self.sha256[:8]})"
        parts = [self.split or "?"]
        if self.classes:
            parts.append(f"{len(self.classes)} class{'es' if len(self.classes) != 1 else ''}")
        return " · ".join(parts)

    def describe(self) -> str:
        if self.source == "text":
            return f"text {self.name} ({self.chars:,} chars, sha256 {self.sha256[:12]})"
        classes = ", ".join(map(class_name, self.classes)) if len(self.classes) <= 4 else f"{len(self.classes)} classes"
        return f"{self.name} {self.split} split, {classes}, {self.pieces} pieces, {self.chars:,} chars, stratified"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["classes"] = list(self.classes)
        data["class_chars"] = list(self.class_chars)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "DataIdentity":
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        values["classes"] = tuple(values.get("classes", ()))
        values["class_chars"] = tuple(values.get("class_chars", ()))
        return cls(**values)


@dataclass
class HeldOut:
    """Framed pieces in the order they are scored, each with its class."""

    identity: DataIdentity
    texts: list[str]
    classes: list[str]

    @property
    def text(self) -> str:
        return "".join(self.texts)

    def subset(self, fraction: float, seed: int = 0) -> "HeldOut":
        """A stratified slice: about ``fraction`` of each class's pieces (at least one), in stream order.

        Each class's pieces are taken in one seeded order, so for a given seed a smaller
        fraction's slice is part of a larger one's. Darwin's racing scores children on
        such slices; every reported figure is still on the whole data.
        """
        if not 0 < fraction <= 1:
            raise StudioError(f"a slice must be a fraction in (0, 1], not {fraction}")
        if fraction == 1:
            return self
        keep: set[int] = set()
        for label in dict.fromkeys(self.classes):
            members = [i for i, c in enumerate(self.classes) if c == label]
            np.random.default_rng([seed, *label.encode("utf-8")]).shuffle(members)
            keep.update(members[: max(1, round(fraction * len(members)))])
        rows = [i for i in range(len(self.texts)) if i in keep]
        texts = [self.texts[i] for i in rows]
        classes = [self.classes[i] for i in rows]
        class_chars = tuple(
            sum(len(t) for t, c in zip(texts, classes) if c == label) for label in self.identity.classes
        )
        identity = _replace_identity(
            self.identity,
            class_chars=class_chars,
            pieces=len(rows),
            chars=sum(map(len, texts)),
            sha256=text_sha256(texts, self.identity.framing),
        )
        return HeldOut(identity, texts, classes)


def _replace_identity(identity: DataIdentity, **changes: Any) -> DataIdentity:
    return DataIdentity(**{**asdict(identity), **changes})


def text_sha256(texts: Sequence[str], framing: str) -> str:
    digest = hashlib.sha256(framing.encode() + b"\0")
    for text in texts:
        digest.update(text.encode("utf-8", errors="surrogatepass"))
    return digest.hexdigest()


def heldout_from_text(text: str, name: str, framing: str = "text") -> HeldOut:
    """A plain text (a file the user passes) as held-out data: blocks of 512 chars.

    Blocks are the bootstrap's units; there is one stratum.
    """
    if len(text) < 2:
        raise StudioError(f"{name}: is too short to score (fewer than 2 chars)")
    blocks = [text[i : i + TEXT_BLOCK_CHARS] for i in range(0, len(text), TEXT_BLOCK_CHARS)]
    identity = DataIdentity(
        source="text",
        name=name,
        split=None,
        framing=framing,
        classes=("",),
        class_chars=(len(text),),
        pieces=len(blocks),
        chars=len(text),
        sha256=text_sha256(blocks, framing),
    )
    return HeldOut(identity, blocks, [""] * len(blocks))


# -- the unknown-char policy ---------------------------------------------------------------


def encode_pieces(vocab: Vocab, texts: Sequence[str], *, skip_unknown: bool, what: str) -> tuple[list[list[int]], int]:
    """Token ids of each piece, and how many chars were dropped.

    The one policy for chars a model does not know: refuse with a sentence, or (when
    the user asks) drop them and count them, so the measurement says how many.
    """
    unknown = vocab.unknown_chars("".join(texts))
    skipped = 0
    if unknown:
        drop = set(unknown)
        skipped = sum(1 for t in texts for c in t if c in drop)
        if not skip_unknown:
            raise StudioError(
                f"{what} holds {skipped} chars the model does not know (e.g. {describe_char(unknown[0])}); "
                "pass --skip-unknown to drop them"
            )
        texts = ["".join(c for c in t if c not in drop) for t in texts]
    return [vocab.encode(t) for t in texts], skipped


# -- per-piece scores -----------------------------------------------------------------------


@dataclass
class PieceScores:
    """Nats and scored chars of every piece under one model (the bootstrap's input)."""

    nats: np.ndarray  # (pieces,)
    chars: np.ndarray  # (pieces,) predictions scored in each piece
    classes: list[str]
    context: int
    stride: int
    skipped_chars: int = 0

    @property
    def bpc(self) -> float:
        return float(self.nats.sum() / self.chars.sum() / LN2)

    def class_bpc(self) -> dict[str, float]:
        out: dict[str, float] = {}
        classes = np.array(self.classes)
        for label in dict.fromkeys(self.classes):
            mask = classes == label
            if self.chars[mask].sum() > 0:
                out[label] = float(self.nats[mask].sum() / self.chars[mask].sum() / LN2)
        return out

    def select(self, keep: Sequence[str]) -> "PieceScores":
        mask = np.isin(np.array(self.classes), list(keep))
        return PieceScores(
            self.nats[mask],
            self.chars[mask],
            [c for c, m in zip(self.classes, mask) if m],
            self.context,
            self.stride,
            self.skipped_chars,
        )


def default_stride(context: int) -> int:
    """Half the context: every char after the first window sees >= context/2 chars before it."""
    return max(1, context // 2)


def score_pieces(
    forward: Callable,
    vocab: Vocab,
    heldout: HeldOut,
    *,
    context: int,
    stride: int | None = None,
    skip_unknown: bool = False,
    device: Any = "cpu",
    batch_size: int = 16,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> PieceScores:
    """Score the stream of pieces once and split the loss by piece."""
    return score_population(
        lambda batch: forward(batch).unsqueeze(0),
        1,
        vocab,
        heldout,
        context=context,
        stride=stride,
        skip_unknown=skip_unknown,
        device=device,
        batch_size=batch_size,
        progress=progress,
        cancel=cancel,
    )[0]


def score_population(
    forward: Callable,
    models: int,
    vocab: Vocab,
    heldout: HeldOut,
    *,
    context: int,
    stride: int | None = None,
    skip_unknown: bool = False,
    device: Any = "cpu",
    batch_size: int = 16,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> list[PieceScores]:
    """``score_pieces`` for ``models`` models in one pass over the data: ``forward`` maps
    windows to every model's logits, (models, B, T, vocab) (``Population.forward``)."""
    from studio.model.scoring import population_nats

    stride = stride or default_stride(context)
    ids_per_piece, skipped = encode_pieces(
        vocab, heldout.texts, skip_unknown=skip_unknown, what=f"the data ({heldout.identity.describe()})"
    )
    ids = [i for piece in ids_per_piece for i in piece]
    if len(ids) < 2:
        raise StudioError(f"the data ({heldout.identity.describe()}) is too short to score")
    nats = population_nats(
        forward,
        ids,
        models=models,
        context=context,
        stride=stride,
        batch_size=batch_size,
        device=device,
        progress=progress,
        cancel=cancel,
    ).numpy()
    # prediction j predicts token j+1; token t belongs to the piece whose span holds it
    lengths = np.array([len(p) for p in ids_per_piece])
    owner = np.repeat(np.arange(len(lengths)), lengths)[1:]
    piece_chars = np.bincount(owner, minlength=len(lengths)).astype(np.float64)
    return [
        PieceScores(
            np.bincount(owner, weights=row, minlength=len(lengths)),
            piece_chars.copy(),
            list(heldout.classes),
            context,
            stride,
            skipped,
        )
        for row in nats
    ]


# Rows (models x windows x chars) one batched forward may hold. On a GPU many: 16 windows of
# 128 chars for 64 models, of 256 chars for 32 (one launch per operation for all of them). On
# the CPU one model's batch: there the forward of a small artist is bound by its products,
# not by per-operation costs, and a stack of 8 children's activations (tens of MB) falls out
# of the caches (measured, one thread, 8 dim-96 children x 16 windows of 128: 358 ms one at a
# time, 532 ms as one stack). Larger populations are scored in several passes.
POPULATION_ROWS = {"cuda": 1 << 17, "cpu": 1 << 11}


def compile_wanted() -> bool:
    """Whether scoring runs its forwards through torch.compile (``DARWASCII_COMPILE=1``). Off by
    default: on two shared CPU cores a dim-96 artist's forward was 1.3-1.9x faster compiled,
    but the first call of a shape compiled for 14-36 s (4 s with inductor's cache warm): it
    pays only for long jobs. Not measured on a GPU."""
    import os

    return os.environ.get("DARWASCII_COMPILE", "0") == "1"


def population_rows(device: Any) -> int:
    import torch

    return POPULATION_ROWS.get(torch.device(device).type, POPULATION_ROWS["cuda"])


def score_models(
    checkpoints: Sequence[Any],
    heldout: HeldOut,
    *,
    context: int,
    stride: int | None = None,
    skip_unknown: bool = False,
    device: Any = "cpu",
    batch_size: int = 16,
    engines: Sequence[Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> list[PieceScores]:
    """Per-piece scores of several checkpoints on the same data, in as few passes as the
    models allow: those that share architecture and vocabulary run as one population
    (``studio.model.engine.Population``). Each model's scores are what ``score_pieces``
    gives for it alone. ``engines``: already built, one per checkpoint."""
    from studio.model.engine import Engine, Population, population_key

    if engines is None:
        engines = [Engine.from_checkpoint(c, device=device) for c in checkpoints]
    groups: dict[tuple, list[int]] = {}
    for index, (ckpt, engine) in enumerate(zip(checkpoints, engines)):
        groups.setdefault((population_key(engine), tuple(ckpt.vocab.chars)), []).append(index)
    per_pass = max(1, population_rows(device) // (batch_size * context))
    passes = [members[i : i + per_pass] for members in groups.values() for i in range(0, len(members), per_pass)]
    out: list[PieceScores | None] = [None] * len(checkpoints)
    for number, members in enumerate(passes):
        population = Population([engines[i] for i in members]) if len(members) > 1 else engines[members[0]].stack()
        if compile_wanted():
            population.compile()

        def step(done: int, total: int, number: int = number) -> None:
            if progress is not None:
                progress(number * total + done, len(passes) * total)

        scores = score_population(
            population.forward,
            len(members),
            checkpoints[members[0]].vocab,
            heldout,
            context=context,
            stride=stride,
            skip_unknown=skip_unknown,
            device=population.device,
            batch_size=batch_size,
            progress=step,
            cancel=cancel,
        )
        for index, score in zip(members, scores):
            out[index] = score
    return out  # type: ignore[return-value]


# -- the bootstrap --------------------------------------------------------------------------


def bootstrap_weights(classes: Sequence[str], resamples: int = RESAMPLES, seed: int = BOOTSTRAP_SEED) -> np.ndarray:
    """(resamples, pieces) counts: a stratified resample of the pieces in each row.

    Within each class, as many pieces as the class has are drawn with replacement,
    so every resample keeps the class mix of the data. Classes of a single piece are
    resampled together as one stratum: alone, such a class would be the same piece in
    every resample, and data made only of them would get an interval of zero width. The
    weights depend only on the classes, so they are made once per data set (kept
    read-only) and shared by every interval on it.
    """
    return _bootstrap_weights(tuple(classes), resamples, seed)


@functools.lru_cache(maxsize=16)
def _bootstrap_weights(classes: tuple[str, ...], resamples: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    labels = np.array(classes)
    weights = np.zeros((resamples, len(labels)))
    counts = Counter(classes)
    strata = [np.flatnonzero(labels == label) for label in dict.fromkeys(classes) if counts[label] > 1]
    singletons = np.array([i for i, label in enumerate(classes) if counts[label] == 1], dtype=int)
    if len(singletons):
        strata.append(singletons)
    for members in strata:
        draws = rng.integers(0, len(members), size=(resamples, len(members)))
        # every row's counts in one bincount: row r's draws are offset by r * len(members)
        offsets = np.arange(resamples)[:, None] * len(members)
        counts = np.bincount((draws + offsets).ravel(), minlength=resamples * len(members))
        weights[:, members] += counts.reshape(resamples, len(members))
    weights.flags.writeable = False
    return weights


@dataclass(frozen=True)
class Interval:
    """A statistic with its 95% bootstrap interval."""

    value: float
    low: float
    high: float
    resamples: int = RESAMPLES
    seed: int = BOOTSTRAP_SEED

    @property
    def excludes_zero(self) -> bool:
        """Beyond noise, and beyond float rounding (``BPC_ROUNDING``)."""
        return self.low > BPC_ROUNDING or self.high < -BPC_ROUNDING

    @property
    def positive(self) -> bool:
        return self.low > BPC_ROUNDING

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": round(self.value, 6),
            "low": round(self.low, 6),
            "high": round(self.high, 6),
            "resamples": self.resamples,
            "seed": self.seed,
        }

    def text(self, digits: int = 3, signed: bool = False) -> str:
        fmt = f"{{:{'+' if signed else ''}.{digits}f}}"
        return f"{fmt.format(self.value)} [{fmt.format(self.low)}, {fmt.format(self.high)}]"


def _percentile_interval(value: float, samples: np.ndarray, resamples: int, seed: int) -> Interval:
    low, high = np.percentile(samples, [2.5, 97.5])
    return Interval(float(value), float(low), float(high), resamples, seed)


def bpc_interval(scores: PieceScores, resamples: int = RESAMPLES, seed: int = BOOTSTRAP_SEED) -> Interval:
    w = bootstrap_weights(scores.classes, resamples, seed)
    samples = (w @ scores.nats) / (w @ scores.chars) / LN2
    return _percentile_interval(scores.bpc, samples, resamples, seed)


def paired_difference(
    first: PieceScores, second: PieceScores, resamples: int = RESAMPLES, seed: int = BOOTSTRAP_SEED
) -> Interval:
    """bpc(first) - bpc(second) on the same pieces, with its paired bootstrap interval.

    Positive means ``second`` is better (lower bpc). Paired: each resample uses the
    same pieces for both, so what the pieces share cancels.
    """
    if first.classes != second.classes:
        raise ValueError("paired scores must be on the same pieces")
    w = bootstrap_weights(first.classes, resamples, seed)
    samples = (w @ first.nats) / (w @ first.chars) / LN2 - (w @ second.nats) / (w @ second.chars) / LN2
    return _percentile_interval(first.bpc - second.bpc, samples, resamples, seed)


def routed(scores_by_owner: Mapping[str, PieceScores], owner_of_class: Mapping[str, str]) -> PieceScores:
    """Each piece scored by the model its class is routed to (the routed-parent oracle)."""
    any_scores = next(iter(scores_by_owner.values()))
    nats = np.empty_like(any_scores.nats)
    chars = np.empty_like(any_scores.chars)
    for i, label in enumerate(any_scores.classes):
        source = scores_by_owner[owner_of_class[label]]
        nats[i], chars[i] = source.nats[i], source.chars[i]
    return PieceScores(nats, chars, list(any_scores.classes), any_scores.context, any_scores.stride)


# -- measurements ---------------------------------------------------------------------------


@dataclass
class Measurement:
    """A bpc with what it was measured on, how, and its 95% interval."""

    bpc: float
    chars: int
    context: int
    stride: int
    data: DataIdentity
    interval: Interval | None = None
    per_class: dict[str, float] = field(default_factory=dict)
    skipped_chars: int = 0
    context_note: str = "training context"
    checkpoint: str | None = None  # name
    checkpoint_sha256: str | None = None

    @property
    def key(self) -> str:
        """Measurements of one checkpoint are keyed by data, context and stride."""
        return f"{self.data.key}:{self.context}:{self.stride}"

    def caption(self) -> str:
        note = "" if self.context_note == "training context" else f" ({self.context_note})"
        return f"{self.data.caption()} · ctx {self.context}{note}"

    def text(self, digits: int = 3) -> str:
        interval = f" [{self.interval.low:.{digits}f}, {self.interval.high:.{digits}f}]" if self.interval else ""
        return f"{self.bpc:.{digits}f} bpc{interval}"

    def describe(self) -> str:
        skipped = f", {self.skipped_chars} unknown chars dropped" if self.skipped_chars else ""
        return (
            f"{self.text(4)} on {self.data.describe()}; {self.chars:,} chars scored, context {self.context} "
            f"({self.context_note}), stride {self.stride}{skipped}; 95% interval from {RESAMPLES} "
            "stratified per-piece bootstrap resamples"
        )

    def command(self, checkpoint_path: str = "CKPT") -> str:
        """The CLI line that measures the same number."""
        d = self.data
        if d.source == "text":
            data = f"--text {shlex.quote(d.name)}"
        else:
            data = f"--corpus {shlex.quote(d.name)} --split {d.split}"
            if d.classes:
                data += f" --classes {shlex.quote(','.join(map(class_name, d.classes)))}"
            if d.chars_per_class:
                data += f" --chars-per-class {d.chars_per_class}"
            if d.seed:
                data += f" --data-seed {d.seed}"
        skip = " --skip-unknown" if self.skipped_chars else ""
        where = f"--context {self.context} --stride {self.stride}{skip}"
        return f"darwascii eval {shlex.quote(checkpoint_path)} {data} {where}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "bpc": round(self.bpc, 6),
            "interval": self.interval.to_dict() if self.interval else None,
            "chars": self.chars,
            "context": self.context,
            "stride": self.stride,
            "context_note": self.context_note,
            "skipped_chars": self.skipped_chars,
            "per_class": {k: round(v, 6) for k, v in self.per_class.items()},
            "data": self.data.to_dict(),
            "caption": self.caption(),
            "checkpoint": self.checkpoint,
            "checkpoint_sha256": self.checkpoint_sha256,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Measurement":
        interval = data.get("interval")
        return cls(
            bpc=float(data["bpc"]),
            chars=int(data.get("chars", 0)),
            context=int(data["context"]),
            stride=int(data["stride"]),
            data=DataIdentity.from_dict(data["data"]),
            interval=Interval(**interval) if isinstance(interval, dict) else None,
            per_class=dict(data.get("per_class", {})),
            skipped_chars=int(data.get("skipped_chars", 0)),
            context_note=str(data.get("context_note", "training context")),
            checkpoint=data.get("checkpoint"),
            checkpoint_sha256=data.get("checkpoint_sha256"),
        )


def measurements_in(metrics: Any) -> list[Measurement]:
    """The measurements a checkpoint's (or a library record's) metrics carry; malformed ones are skipped."""
    rows = metrics.get("measurements") if isinstance(metrics, Mapping) else None
    out = []
    for row in rows if isinstance(rows, list) else []:
        try:
            out.append(Measurement.from_dict(row))
        except (KeyError, TypeError, ValueError):
            continue
    return out


def measurement_of(
    scores: PieceScores, heldout: HeldOut, *, context_note: str = "training context", checkpoint: Any = None
) -> Measurement:
    return Measurement(
        bpc=scores.bpc,
        chars=int(scores.chars.sum()),
        context=scores.context,
        stride=scores.stride,
        data=heldout.identity,
        interval=bpc_interval(scores),
        per_class=_ordered(scores.class_bpc(), heldout.identity.classes) if heldout.identity.source == "corpus" else {},
        skipped_chars=scores.skipped_chars,
        context_note=context_note,
        checkpoint=getattr(checkpoint, "name", None),
        checkpoint_sha256=getattr(checkpoint, "sha256", None),
    )


def _ordered(values: Mapping[str, float], order: Sequence[str]) -> dict[str, float]:
    return {k: values[k] for k in order if k in values} | {k: v for k, v in values.items() if k not in order}


def scoring_context(checkpoints: Sequence[Any], requested: int | None = None) -> tuple[int, str]:
    """(context, note) for scoring these checkpoints together.

    Default: the training context (the shortest, when they differ). A longer context
    is allowed only when asked for, and the note says so.
    """
    trained = [training_facts(c).context for c in checkpoints]
    known = [c for c in trained if c]
    base = min(known) if known else None
    if requested is not None:
        if requested < 2:
            raise StudioError(f"the context must be at least 2 chars, not {requested}")
        if base is None:
            return requested, "training context unknown"
        if requested > base:
            return requested, f"longer than the training context {base}"
        if requested < base:
            return requested, f"shorter than the training context {base}"
        return requested, "training context"
    if base is None:
        return DEFAULT_CONTEXT, "training context unknown; default"
    return base, "training context"


def measure(
    ckpt: Any,
    heldout: HeldOut,
    *,
    context: int | None = None,
    stride: int | None = None,
    skip_unknown: bool = False,
    device: Any = "cpu",
    engine: Any = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> tuple[Measurement, PieceScores]:
    """Measure one checkpoint on held-out data (the judge's single entry for one model)."""
    from studio.model.engine import Engine

    context, note = scoring_context([ckpt], context)
    engine = engine or Engine.from_checkpoint(ckpt, device=device)
    scores = score_pieces(
        engine.forward,
        ckpt.vocab,
        heldout,
        context=context,
        stride=stride,
        skip_unknown=skip_unknown,
        device=engine.device,
        progress=progress,
        cancel=cancel,
    )
    return measurement_of(scores, heldout, context_note=note, checkpoint=ckpt), scores


# -- barrier --------------------------------------------------------------------------------


@dataclass
class Barrier:
    """Loss along a path t in [0, 1] against the chord between its ends."""

    ts: list[float]
    bpc: list[float]
    value: float  # max over t of L(t) - chord(t)
    at: float  # the t where it is reached
    midpoint_excess: float | None  # L(0.5) - (L(0) + L(1)) / 2, when 0.5 was scored
    interval: Interval | None = None

    @property
    def verdict(self) -> str:
        # Within float rounding of zero counts as zero: slerp(A, A, t) is A only up to rounding,
        # and a path of such copies scores within ~1e-8 bpc of A.
        if self.value <= BPC_ROUNDING:
            return "no barrier: the path stays at or below the line between the parents (one basin)"
        if self.interval is not None and not self.interval.positive:
            return "no barrier beyond noise: the excess over the line is within the interval of zero (one basin)"
        if self.value < 0.1:
            return "a low barrier: breeding should work"
        if self.value < 0.5:
            return "a modest barrier: children near the middle lose some quality"
        return "a high barrier: different basins, expect a broken gen-0 child"

    def to_dict(self) -> dict[str, Any]:
        return {
            "points": [{"t": round(t, 6), "bpc": round(b, 6)} for t, b in zip(self.ts, self.bpc)],
            "barrier": round(self.value, 6),
            "barrier_at": round(self.at, 6),
            "midpoint_excess": None if self.midpoint_excess is None else round(self.midpoint_excess, 6),
            "interval": self.interval.to_dict() if self.interval else None,
            "verdict": self.verdict,
        }


def barrier_of(ts: Sequence[float], losses: Sequence[float]) -> Barrier:
    """The standard barrier of a path from its points (t = 0 and t = 1 must be among them)."""
    ts, losses = list(ts), list(losses)
    if len(ts) < 2 or ts[0] != 0.0 or ts[-1] != 1.0:
        raise ValueError("a barrier needs a path from t=0 to t=1")
    start, end = losses[0], losses[-1]
    excess = [loss - ((1 - t) * start + t * end) for t, loss in zip(ts, losses)]
    index = max(range(len(ts)), key=lambda i: excess[i])
    mid = [e for t, e in zip(ts, excess) if abs(t - 0.5) < 1e-9]
    return Barrier(ts, losses, excess[index], ts[index], mid[0] if mid else None)


def barrier_with_interval(
    ts: Sequence[float], scores: Sequence[PieceScores], resamples: int = RESAMPLES, seed: int = BOOTSTRAP_SEED
) -> Barrier:
    """The barrier with a paired bootstrap interval of the max-excess statistic itself."""
    barrier = barrier_of(ts, [s.bpc for s in scores])
    w = bootstrap_weights(scores[0].classes, resamples, seed)
    path = np.stack([(w @ s.nats) / (w @ s.chars) / LN2 for s in scores], axis=1)  # (R, points)
    t = np.asarray(ts)
    chord = (1 - t)[None, :] * path[:, :1] + t[None, :] * path[:, -1:]
    samples = (path - chord).max(axis=1)
    barrier.interval = _percentile_interval(barrier.value, samples, resamples, seed)
    return barrier
