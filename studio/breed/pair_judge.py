"""The pair judge: children of A and B against their baselines, all on the same pieces.

One definition for the breeding bay, the nursery and Darwin (and so for the CLI's
``darwin`` and the app alike). The baselines are the parents and, when its file is
at hand, their shared ancestor, each re-expressed over the pair's union vocabulary
(exact for the chars it knows; a char it does not know takes the pair's row, as in
every child), so every model scores the same pieces with the same context and stride:
the parents' training context (the shortest) unless asked, half of it as the stride.
The baselines are scored once per data; children are scored together in as few
passes as the models allow (``studio.model.judge.score_models``), each with the
figures it would get alone.

A child's :class:`Judgement` holds its measurement (bpc with interval and provenance)
and its :class:`~studio.model.vigor.VigorReport`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from studio.breed.pair import AlignedPair, prepare_pair
from studio.model.checkpoint import ArtistCheckpoint
from studio.model.facts import training_facts
from studio.model.judge import (
    HeldOut,
    Measurement,
    PieceScores,
    default_stride,
    measurement_of,
    score_models,
    scoring_context,
)
from studio.model.vigor import VigorReport, vigor_report


@dataclass
class Judgement:
    """A child judged against its pair's baselines on the same pieces."""

    measurement: Measurement  # the child's bpc, with its interval and what it was measured on
    vigor: VigorReport
    scores: PieceScores = field(repr=False)


class PairJudge:
    """Judges children of ``a`` and ``b`` (see the module's docstring).

    ``pair``: the prepared pair, when the caller has one (B aligned to A, say);
    ``ancestor``: their shared ancestor (a checkpoint), to report vigor against it too;
    ``context``/``stride``: as ``darwascii eval`` takes them (None: the parents' own).
    """

    def __init__(
        self,
        a: ArtistCheckpoint,
        b: ArtistCheckpoint,
        *,
        pair: AlignedPair | None = None,
        ancestor: ArtistCheckpoint | None = None,
        context: int | None = None,
        stride: int | None = None,
        batch_size: int = 16,
        skip_unknown: bool = False,
    ):
        self.pair = pair if pair is not None else prepare_pair(a, b)
        self.names = (a.name, b.name)
        self.parent_a = self.pair.parent("A")
        self.parent_b = self.pair.parent("B")
        self.ancestor = self.pair.over_union(ancestor) if ancestor is not None else None
        self.classes = {a.name: list(training_facts(a).classes), b.name: list(training_facts(b).classes)}
        self.context, self.context_note = scoring_context([a, b], context)
        self.stride = stride or default_stride(self.context)
        self.batch_size = batch_size
        self.skip_unknown = skip_unknown
        self._baselines: dict[str, dict[str, PieceScores]] = {}  # data sha256 -> baseline -> scores

    def baselines(self) -> dict[str, ArtistCheckpoint]:
        """ "A", "B" and (when given) "ancestor", over the pair's vocabulary."""
        found = {"A": self.parent_a, "B": self.parent_b}
        if self.ancestor is not None:
            found["ancestor"] = self.ancestor
        return found

    def score(
        self,
        checkpoints: Sequence[ArtistCheckpoint],
        data: HeldOut,
        *,
        device: Any = "cpu",
        cancel: Callable[[], bool] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[PieceScores]:
        """The judge's per-piece scores of several models on ``data``, in one batched pass."""
        return score_models(
            checkpoints,
            data,
            context=self.context,
            stride=self.stride,
            batch_size=self.batch_size,
            skip_unknown=self.skip_unknown,
            device=device,
            progress=progress,
            cancel=cancel,
        )

    def baseline_scores(
        self, data: HeldOut, *, device: Any = "cpu", cancel: Callable[[], bool] | None = None
    ) -> dict[str, PieceScores]:
        """Every baseline's scores on ``data`` (scored once per data)."""
        key = data.identity.sha256
        if key not in self._baselines:
            models = self.baselines()
            self._baselines[key] = dict(
                zip(models, self.score(list(models.values()), data, device=device, cancel=cancel))
            )
        return self._baselines[key]

    def verdict(self, child: PieceScores, data: HeldOut, baselines: dict[str, PieceScores]) -> Judgement:
        """A child's judgement from its scores and the baselines' on the same ``data``."""
        parents = {self.names[0]: baselines["A"], self.names[1]: baselines["B"]}
        ancestor = (self.ancestor.name, baselines["ancestor"]) if "ancestor" in baselines else None
        report = vigor_report(child, parents, self.classes, ancestor=ancestor)
        return Judgement(self.measured(child, data), report, child)

    def measured(self, scores: PieceScores, data: HeldOut, checkpoint: Any = None) -> Measurement:
        """The measurement of these scores, with the judge's context note."""
        return measurement_of(scores, data, context_note=self.context_note, checkpoint=checkpoint)

    def judge(
        self,
        children: Sequence[ArtistCheckpoint],
        data: HeldOut,
        *,
        device: Any = "cpu",
        cancel: Callable[[], bool] | None = None,
        on_judged: Callable[[int, Judgement], None] | None = None,
    ) -> list[Judgement]:
        """Each child's judgement on ``data`` (the baselines scored first, once)."""
        baselines = self.baseline_scores(data, device=device, cancel=cancel)
        out = []
        for index, scores in enumerate(self.score(children, data, device=device, cancel=cancel)):
            out.append(self.verdict(scores, data, baselines))
            if on_judged is not None:
                on_judged(index, out[-1])
        return out

    def parent_measurements(self, data: HeldOut, *, device: Any = "cpu") -> tuple[Measurement, Measurement]:
        """A's and B's measurements on ``data`` (named after their files), e.g. for the library."""
        scores = self.baseline_scores(data, device=device)
        return (
            self.measured(scores["A"], data, checkpoint=self.pair.a),
            self.measured(scores["B"], data, checkpoint=self.pair.b),
        )
