"""Darwin breeding: evolve children of two parents without a single gradient step.

A population of children is bred from parents A and B with varied recipes (method,
t per layer and per part, discrete seeds), each scored by bits per char on held-out
data (the fitness), the best kept (elitism) and bred again, with each other and with
the parents, for G generations. The champion is the best child ever scored.

Genomes are recipes, not weights: a child is ``breed(x, y, recipe)`` where x and y
are the parents or earlier children, so every child can be rebuilt from A, B and
its recipe tree. Only the elite's weights stay in memory; each other child is built,
scored and dropped, so memory stays flat in the population size.

Every figure comes from the judge (``studio.model.judge``). Fitness is measured on
``fitness`` held-out data (a val split, stratified over the union of the parents'
classes); the champion, the gen-0 child and the parents are then compared on
``report`` data (the test split) when given, so the reported vigor is not inflated
by the selection itself. Vigor is reported against the best parent, each parent on
its own classes, the shared ancestor (when given) and the routed-parent oracle, each
with a paired per-piece bootstrap interval stratified by class; "positive" only
when the interval against the best parent excludes zero. The log records the data
identities, context, stride and seeds, and the ``eval`` command that reproduces the
champion's reported figure.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch

from studio import __version__
from studio.breed.methods import METHODS, evolvable
from studio.breed.pair import prepare_pair
from studio.breed.pair_judge import PairJudge
from studio.breed.recipe import BreedRecipe, RecipeDraw
from studio.errors import Cancelled, StudioError
from studio.fsutil import atomic_write_text
from studio.model.checkpoint import ArtistCheckpoint, lineage_record, save_checkpoint
from studio.model.engine import Engine
from studio.model.facts import inherited_training
from studio.model.scoring import scoring_job, window_chars
from studio.model.judge import (
    BOOTSTRAP_SEED,
    RESAMPLES,
    HeldOut,
    Measurement,
    PieceScores,
    score_pieces,
)

LOG_FORMAT = "darwascii-darwin/1"


@dataclass(frozen=True)
class DarwinSettings:
    population: int = 12
    generations: int = 4
    elite: int | None = None  # survivors kept (and bred) each generation; None: a quarter of the population
    mutation: float = 0.15  # spread of t around its parent value
    seed: int = 0
    context: int | None = None  # None: the parents' training context
    stride: int | None = None  # None: half the context
    batch_size: int = 16
    skip_unknown: bool = False  # drop chars a model does not know (counted) instead of refusing the data
    methods: tuple[str, ...] | None = None  # None: every method with a random_recipe (studio.breed.methods)
    # Racing (successive halving): every child is scored on a small stratified slice of
    # the fitness data, the best ``race_keep`` of the runners go on to a larger slice,
    # and only the finalists are scored on all of it. Off: every child sees all of it.
    racing: bool = True
    race_slices: tuple[float, ...] = (1 / 16, 1 / 4)  # fractions of the fitness pieces, before the last rung (all)
    race_keep: float = 0.25  # fraction of a rung's runners that go on to the next rung

    @property
    def search_methods(self) -> tuple[str, ...]:
        """The methods Darwin draws recipes from."""
        return tuple(self.methods) if self.methods is not None else evolvable()

    @property
    def survivors(self) -> int:
        return self.elite if self.elite is not None else max(1, self.population // 4)

    def validate(self) -> None:
        if self.population < 2:
            raise StudioError(f"the population must be at least 2, not {self.population}")
        if self.generations < 1:
            raise StudioError(f"the number of generations must be at least 1, not {self.generations}")
        if not 1 <= self.survivors < self.population:
            raise StudioError(f"the elite must be between 1 and population-1 ({self.population - 1}), not {self.elite}")
        if not 0 <= self.mutation <= 1:
            raise StudioError(f"the mutation scale must be in [0, 1], not {self.mutation}")
        if not self.search_methods:
            raise StudioError("Darwin needs at least one method to draw recipes from")
        for name in self.search_methods:
            if name not in METHODS or METHODS[name].random_recipe is None:
                raise StudioError(f"Darwin cannot evolve {name!r} (it can: {', '.join(evolvable())})")
        slices = list(self.race_slices)
        if not all(0 < f < 1 for f in slices) or slices != sorted(set(slices)):
            raise StudioError(f"the race's slices must be increasing fractions in (0, 1), not {self.race_slices}")
        if not 0 < self.race_keep < 1:
            raise StudioError(f"the race's keep fraction must be in (0, 1), not {self.race_keep}")

    def racing_record(self) -> dict[str, Any] | None:
        """The racing settings as the log records them (None when every child sees all the data)."""
        if not self.racing:
            return None
        return {
            "rungs": len(self.race_slices) + 1,
            "slices": [round(f, 6) for f in self.race_slices] + [1.0],
            "keep": self.race_keep,
            "order": "successive halving: runners ranked by the rung they reached, "
            "then by bpc on that rung's slice; the champion is the best on all the fitness data",
        }


@dataclass
class Individual:
    """A scored child: how to rebuild it, and how good it is."""

    genome: dict[str, Any]  # {"a": genome|"A"|"B", "b": ..., "recipe": {...}}
    bpc: float  # on the largest slice it was scored on (all the fitness data for a finalist)
    generation: int
    checkpoint: ArtistCheckpoint | None = field(default=None, repr=False)
    scores: list[float] = field(default_factory=list)  # bpc on each rung's slice it reached (racing)


@dataclass
class DarwinProgress:
    generation: int
    generations: int
    scored: int  # children scored so far
    total: int
    best_bpc: float | None
    message: str
    # for scale beside the best child (a plot's reference lines), once known: both parents'
    # and the gen-0 child's (slerp t = 0.5) bpc on the fitness data
    parents_bpc: tuple[float, float] | None = None
    gen0_bpc: float | None = None


ProgressFn = Callable[[DarwinProgress], None]


class Evolution:
    """One Darwin run over a fixed pair of parents and fixed data."""

    def __init__(
        self,
        a: ArtistCheckpoint,
        b: ArtistCheckpoint,
        fitness: HeldOut,
        settings: DarwinSettings = DarwinSettings(),
        *,
        report: HeldOut | None = None,
        ancestor: ArtistCheckpoint | None = None,
        device: str | torch.device = "cpu",
        progress: ProgressFn | None = None,
        cancel: Callable[[], bool] | None = None,
        executor: Any = None,
        scale_gen0: bool = False,
    ):
        settings.validate()
        self.settings = settings
        self.device = torch.device(device)
        self.progress = progress or (lambda p: None)
        self.cancel = cancel or (lambda: False)
        self.rng = random.Random(settings.seed)
        self.pair = prepare_pair(a, b)  # raises IncompatibleParentsError
        # Every figure by the pair judge: the parents (and the ancestor) over the union
        # vocabulary as baselines, one context and stride for all.
        self.judge = PairJudge(
            a,
            b,
            pair=self.pair,
            ancestor=ancestor,
            context=settings.context,
            stride=settings.stride,
            batch_size=settings.batch_size,
            skip_unknown=settings.skip_unknown,
        )
        self.parent_a, self.parent_b = self.judge.parent_a, self.judge.parent_b
        self.names = (a.name, b.name)
        self.parent_info = [
            {"name": a.name, "sha256": a.sha256, "path": str(a.path) if a.path else None},
            {"name": b.name, "sha256": b.sha256, "path": str(b.path) if b.path else None},
        ]
        self.parent_classes = self.judge.classes
        self.ancestor = ancestor
        self.context, self.context_note, self.stride = self.judge.context, self.judge.context_note, self.judge.stride
        self.fitness = fitness
        self.report_data = report
        self.depth = self.parent_a.arch["depth"]
        self.scored = 0
        self._scale_parents: tuple[float, float] | None = None  # for DarwinProgress, once scored
        self._scale_gen0: Individual | None = None
        # the app's plot draws the gen-0 child for scale: score it on all the fitness data
        # up front (with racing it may leave the race on a slice); not counted in the run's budget
        self.scale_gen0 = scale_gen0
        self._scale_gen0_bpc: float | None = None
        self.forward_chars = 0  # chars fed through a forward pass for fitness (racing's budget)
        self._live: dict[int, ArtistCheckpoint] = {}
        # (model key, data sha256) -> (the node, its PieceScores): nothing is scored twice on the same data
        self._memo: dict[tuple[Any, str], tuple[Any, PieceScores]] = {}
        self._fingerprints: dict[str, str] = {}  # "A", "B", "ancestor" -> weights_fingerprint
        # The race's slices of the fitness data (fixed for the run), then all of it.
        fractions = settings.race_slices if settings.racing else ()
        self.rung_data = [fitness.subset(f, seed=settings.seed) for f in fractions] + [fitness]
        # None: children are built and scored here, one after another. Otherwise an object
        # with score(genomes, data, cancel) yielding (index, bpc, forward chars), e.g.
        # studio.breed.cluster.RayExecutor, started with this evolution's parents.
        self.executor = executor
        if executor is not None:
            executor.start(self)

    # -- scoring ---------------------------------------------------------------

    def piece_scores(self, ckpt: ArtistCheckpoint, data: HeldOut | None = None) -> PieceScores:
        return self.score_many([ckpt], data or self.fitness)[0]

    def score_many(self, checkpoints: list[ArtistCheckpoint], data: HeldOut) -> list[PieceScores]:
        """The judge's per-piece scores of several children on ``data``, in one batched pass
        (each child's scores are what it gets scored alone)."""
        if self.cancel():
            raise Cancelled()
        scores = self.judge.score(checkpoints, data, device=self.device, cancel=self.cancel)
        # chars fed through a forward pass: every window of every model
        self.forward_chars += sum(window_chars(int(s.chars.sum()) + 1, s.context, s.stride) for s in scores)
        return scores

    def scoring_options(self) -> dict[str, Any]:
        """How every fitness figure is scored (what a remote executor needs besides weights and data)."""
        return {
            "context": self.context,
            "stride": self.stride,
            "batch_size": self.settings.batch_size,
            "skip_unknown": self.settings.skip_unknown,
            "device": str(self.device),
        }

    def score(self, ckpt: ArtistCheckpoint, data: HeldOut | None = None) -> float:
        """Fitness: the judge's bpc on the fitness data (lower is fitter)."""
        return self.piece_scores(ckpt, data).bpc

    def scores_on(self, models: list[tuple[Any, Callable[[], ArtistCheckpoint]]], data: HeldOut) -> list[PieceScores]:
        """Per-piece scores on ``data`` of each model, given as (node, how to get its weights)
        with node "A", "B", "ancestor" or a genome, in one pass over those not scored on these
        data before: in this run, or (the parents and the ancestor) in an earlier run in this
        process with the same weights, data, context and stride."""
        sha = data.identity.sha256
        missing: dict[tuple[Any, str], tuple[Any, Callable[[], ArtistCheckpoint]]] = {}
        for node, weights in models:
            key = (_node_key(node), sha)
            if key in self._memo and self._memo[key][0] is node:
                continue
            earlier = _REFERENCE_SCORES.get(self._reference_key(node, weights, data))
            if earlier is not None:
                self._remember(node, data, earlier[0])
                self.forward_chars += earlier[1]  # what the figure cost when it was made: logs stay the same
                continue
            missing.setdefault(key, (node, weights))
        if missing:
            scores = self.score_many([weights() for _, weights in missing.values()], data)
            for (node, weights), piece_scores in zip(missing.values(), scores):
                self._remember(node, data, piece_scores)
                reference = self._reference_key(node, weights, data)
                if reference is not None:
                    chars = window_chars(int(piece_scores.chars.sum()) + 1, piece_scores.context, piece_scores.stride)
                    _REFERENCE_SCORES[reference] = (piece_scores, chars)
                    while len(_REFERENCE_SCORES) > 32:
                        _REFERENCE_SCORES.pop(next(iter(_REFERENCE_SCORES)))
        return [self._memo[(_node_key(node), sha)][1] for node, _ in models]

    def _reference_key(self, node: Any, weights: Callable[[], ArtistCheckpoint], data: HeldOut) -> tuple | None:
        """The process-wide key of a parent's or the ancestor's scores (None for children)."""
        if node not in ("A", "B", "ancestor"):
            return None
        if node not in self._fingerprints:
            self._fingerprints[node] = weights_fingerprint(weights())
        return (
            self._fingerprints[node],
            data.identity.sha256,
            self.context,
            self.stride,
            self.settings.skip_unknown,
            self.device.type,
            str(self.device),
        )

    def _remember(self, node: Any, data: HeldOut, scores: PieceScores) -> None:
        # the node is kept with its scores, so an id is never taken for another genome's
        self._memo[(_node_key(node), data.identity.sha256)] = (node, scores)

    def _score_runners(self, runners: list[Individual], data: HeldOut, on_scored: Callable[[], None]) -> None:
        """Append each runner's bpc on ``data`` to its scores (built from its genome when
        needed), all of them in one batched pass."""
        if self.executor is not None:
            genomes = [i.genome for i in runners]
            for index, bpc, chars in self.executor.score(genomes, data, cancel=self.cancel):
                runners[index].scores.append(bpc)
                self.forward_chars += chars
                on_scored()
            return
        if not runners:
            return
        for individual in runners:
            if individual.checkpoint is None:
                individual.checkpoint = self.build(individual.genome, {})
        scores = self.score_many([i.checkpoint for i in runners], data)
        for individual, piece_scores in zip(runners, scores):
            individual.scores.append(piece_scores.bpc)
            if data is self.fitness:  # all the fitness data: the report may need it again
                self._remember(individual.genome, data, piece_scores)
            on_scored()

    # -- genomes -----------------------------------------------------------------

    def random_recipe(self, center: float = 0.5, spread: float | None = None) -> BreedRecipe:
        """A recipe drawn from the search space around ``center``: a method, then its own draw."""
        spread = self.settings.mutation * 2 if spread is None else spread
        method = METHODS[self.rng.choice(self.settings.search_methods)]
        return method.random_recipe(RecipeDraw(self.rng, center=center, spread=spread, depth=self.depth))

    def build(self, genome: dict[str, Any], cache: dict[int, ArtistCheckpoint]) -> ArtistCheckpoint:
        """Rebuild a child from its genome (parents are "A" and "B")."""
        return build_genome(genome, self.pair, self.parent_a, self.parent_b, self._live, cache)

    # -- the run ---------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        with scoring_job(self.device):
            return self._run()

    def _run(self) -> dict[str, Any]:
        s = self.settings
        started = time.perf_counter()
        total = s.population * s.generations
        self.progress(DarwinProgress(0, s.generations, 0, total, None, "scoring the parents"))
        parents = self.scores_on([("A", lambda: self.parent_a), ("B", lambda: self.parent_b)], self.fitness)
        parent_bpc = [s.bpc for s in parents]
        self._scale_parents = (parent_bpc[0], parent_bpc[1])
        if self.scale_gen0:
            counted = self.forward_chars
            self._scale_gen0_bpc = self.score(self.pair.child(BreedRecipe(method="slerp", t=0.5)))
            self.forward_chars = counted
        survivors = s.survivors

        gen0_genome = {"a": "A", "b": "B", "recipe": BreedRecipe(method="slerp", t=0.5).to_dict()}
        population: list[dict[str, Any]] = [gen0_genome]
        population += [{"a": "A", "b": "B", "recipe": self.random_recipe().to_dict()} for _ in range(s.population - 1)]
        elite: list[Individual] = []
        history: list[dict[str, Any]] = []
        gen0: Individual | None = None
        champion: Individual | None = None
        for generation in range(s.generations):
            chars_before = self.forward_chars
            children = [Individual(genome, math.nan, generation) for genome in population]
            gen0 = self._scale_gen0 = gen0 or children[0]
            if s.racing:
                ranked, rungs = self._race(elite, children, generation, champion)
            else:
                self._score_runners(children, self.fitness, self._progress_fn(generation, children, elite))
                for individual in children:
                    individual.bpc = individual.scores[-1]
                # Elitism: survivors are the best of this generation and the previous elite.
                ranked, rungs = sorted(elite + children, key=lambda i: i.bpc), None
            final = self._final_rung
            finalists = [i for i in ranked if len(i.scores) == final + 1]
            if champion is not None and champion not in finalists:
                finalists.append(champion)  # eliminated early on a slice, still the best on all the data
            champion = min(finalists, key=lambda i: i.bpc)
            # The champion always survives; then the best of the race (all the data, then slices).
            elite = [champion] + [i for i in ranked if i is not champion][: survivors - 1]
            for individual in ranked:
                if all(individual is not e for e in elite):
                    individual.checkpoint = None  # only the elite's weights stay alive
            full = [i.bpc for i in children if len(i.scores) == final + 1]
            entry: dict[str, Any] = {"generation": generation, "best_bpc": round(min(full), 6) if full else None}
            if rungs is None:
                entry["median_bpc"] = round(statistics.median(full), 6)
            else:
                entry["rungs"] = rungs
            entry["elite_bpc"] = [round(i.bpc, 6) for i in elite]
            if rungs is not None:
                entry["elite_rung"] = [len(i.scores) - 1 for i in elite]
            entry["forward_chars"] = self.forward_chars - chars_before
            history.append(entry)
            # The generation's best on all the data: with racing, rung 0's reports cannot know it.
            self.progress(
                DarwinProgress(
                    generation,
                    s.generations,
                    self.scored,
                    total,
                    champion.bpc,
                    f"generation {generation + 1}/{s.generations} scored",
                    *self._scale(),
                )
            )
            self._live = {id(i.genome): i.checkpoint for i in elite if i.checkpoint is not None}
            if generation + 1 < s.generations:
                population = [self._offspring(elite) for _ in range(s.population)]

        if champion.checkpoint is None:  # scored remotely: rebuild it here from its recipe tree
            champion.checkpoint = self.build(champion.genome, {})
        gen0_bpc = gen0.bpc if len(gen0.scores) == self._final_rung + 1 else None
        result = self._report(parent_bpc, gen0_bpc, champion, history, gen0)
        result["elapsed_s"] = round(time.perf_counter() - started, 2)
        self.champion = champion
        self.log = result
        return result

    @property
    def _final_rung(self) -> int:
        return len(self.rung_data) - 1

    def _progress_fn(self, generation: int, children: list[Individual], elite: list[Individual]) -> Callable[[], None]:
        s = self.settings
        total = s.population * s.generations

        def scored() -> None:
            self.scored += 1
            full = [i.scores[-1] for i in children + elite if len(i.scores) == self._final_rung + 1]
            self.progress(
                DarwinProgress(
                    generation,
                    s.generations,
                    self.scored,
                    total,
                    min(full) if full else None,
                    f"generation {generation + 1}/{s.generations}",
                    *self._scale(),
                )
            )

        return scored

    def _scale(self) -> tuple[tuple[float, float] | None, float | None]:
        """The parents' and the gen-0 child's bpc on all the fitness data, as far as known."""
        if self._scale_gen0_bpc is not None:
            return self._scale_parents, self._scale_gen0_bpc
        gen0 = self._scale_gen0
        known = gen0 is not None and len(gen0.scores) == self._final_rung + 1
        return self._scale_parents, (gen0.scores[-1] if known else None)

    def _race(
        self, elite: list[Individual], children: list[Individual], generation: int, champion: Individual | None
    ) -> tuple[list[Individual], list[dict[str, Any]]]:
        """Successive halving over the elite and the new children: every runner on the
        first slice, the best ``race_keep`` on the next, ..., the finalists on all the data.

        Scores are cached per runner and rung (the slices are fixed for the run), so the
        elite run again at no cost. Returns every runner, ranked (finalists by their bpc
        on all the data, then those out at the last-but-one rung, ...), and per-rung facts.
        """
        s = self.settings
        runners = elite + children
        out: list[list[Individual]] = []  # eliminated at each rung, best first
        rungs: list[dict[str, Any]] = []
        progress = self._progress_fn(generation, children, elite)
        newcomers = {id(i) for i in children}
        for rung, data in enumerate(self.rung_data):
            chars_before = self.forward_chars
            fresh = [i for i in runners if len(i.scores) <= rung]
            self._score_runners(fresh, data, progress if rung == 0 else (lambda: None))
            runners.sort(key=lambda i: i.scores[rung])
            keep = len(runners) if rung == self._final_rung else max(1, math.ceil(len(runners) * s.race_keep))
            bpcs = [i.scores[rung] for i in runners]
            rungs.append(
                {
                    "rung": rung,
                    "slice_chars": data.identity.chars,
                    "slice_pieces": data.identity.pieces,
                    "runners": len(runners),
                    "scored": len(fresh),
                    "children_scored": sum(id(i) in newcomers for i in fresh),
                    "kept": keep,
                    "best_bpc": round(bpcs[0], 6),
                    "median_bpc": round(statistics.median(bpcs), 6),
                    "forward_chars": self.forward_chars - chars_before,
                }
            )
            out.append(runners[keep:])
            runners = runners[:keep]
        ranked = runners[:]
        for dropped in reversed(out):
            ranked += dropped
        for individual in ranked:
            individual.bpc = individual.scores[-1]
        return ranked, rungs

    def _offspring(self, elite: list[Individual]) -> dict[str, Any]:
        """A new genome: two survivors, or a survivor and a parent, crossed by a fresh recipe."""
        rng = self.rng
        first = rng.choice(elite).genome
        if len(elite) > 1 and rng.random() < 0.6:
            second = rng.choice([i.genome for i in elite if i.genome is not first])
            recipe = self.random_recipe(center=0.5)
        else:
            # back-cross with a parent, mostly keeping the survivor (small t towards the parent)
            second = rng.choice(("A", "B"))
            recipe = self.random_recipe(center=self.settings.mutation, spread=self.settings.mutation)
        return {"a": first, "b": second, "recipe": recipe.to_dict()}

    def _report(
        self, parent_bpc, gen0_bpc, champion: Individual, history, gen0: Individual | None = None
    ) -> dict[str, Any]:
        best_parent_index = 0 if parent_bpc[0] <= parent_bpc[1] else 1
        data = self.report_data or self.fitness
        log: dict[str, Any] = {
            "format": LOG_FORMAT,
            "studio_version": __version__,
            "settings": {
                **asdict(self.settings),
                "elite": self.settings.survivors,
                "methods": list(self.settings.search_methods),
            },
            "scoring": {
                "context": self.context,
                "context_note": self.context_note,
                "stride": self.stride,
                "fitness_data": self.fitness.identity.to_dict(),
                "report_data": data.identity.to_dict(),
                "report_split": data.identity.split if self.report_data else "fitness (no separate report data)",
                "bootstrap": {
                    "resamples": RESAMPLES,
                    "seed": BOOTSTRAP_SEED,
                    "stratified_by": "class",
                    "unit": "piece",
                },
                "seeds": {"darwin": self.settings.seed, "data": data.identity.seed, "bootstrap": BOOTSTRAP_SEED},
                "racing": self._racing_log(),
                "executor": getattr(self.executor, "name", "local"),
            },
            "parents": [
                {**info, "bpc": round(bpc, 6), "classes": self.parent_classes[info["name"]]}
                for info, bpc in zip(self.parent_info, parent_bpc)
            ],
            "fitness_chars": self.fitness.identity.chars,
            "gen0_child": {
                "recipe": BreedRecipe(method="slerp", t=0.5).to_dict(),
                "bpc": None if gen0_bpc is None else round(gen0_bpc, 6),
                **({} if gen0 is None or not self.settings.racing else {"rung": len(gen0.scores) - 1}),
            },
            "fitness_forward_chars": self.forward_chars,
            "generations": history,
            "champion": {"bpc": round(champion.bpc, 6), "generation": champion.generation, "genome": champion.genome},
            "best_parent": {"name": self.names[best_parent_index], "bpc": round(parent_bpc[best_parent_index], 6)},
        }
        # The report: every model on the same held-out pieces, vigor with intervals.
        # Every model of the report in one pass (those already scored on these data are not scored again).
        gen0_node = gen0.genome if gen0 is not None else "gen0"
        models: list[tuple[Any, Callable[[], ArtistCheckpoint]]] = [
            ("A", lambda: self.parent_a),
            ("B", lambda: self.parent_b),
            (champion.genome, lambda: champion.checkpoint),
            (gen0_node, lambda: self.pair.child(BreedRecipe(method="slerp", t=0.5))),
        ]
        if self.judge.ancestor is not None:
            models.append(("ancestor", lambda: self.judge.ancestor))
        scores_a, scores_b, champion_scores, gen0_scores, *rest = self.scores_on(models, data)
        baselines = {"A": scores_a, "B": scores_b, **({"ancestor": rest[0]} if rest else {})}
        champion_judged = self.judge.verdict(champion_scores, data, baselines)
        gen0_judged = self.judge.verdict(gen0_scores, data, baselines)
        vigor, gen0_vigor = champion_judged.vigor.to_dict(), gen0_judged.vigor.to_dict()
        measured = {
            "champion": champion_judged.measurement.to_dict(),
            "gen0_child": gen0_judged.measurement.to_dict(),
            self.names[0]: self.judge.measured(scores_a, data).to_dict(),
            self.names[1]: self.judge.measured(scores_b, data).to_dict(),
        }
        best = vigor["best_parent"]
        log["report"] = {"measurements": measured, "vigor": vigor, "gen0_vigor": gen0_vigor}
        log["vigor"] = {
            "report_data": data.identity.split if self.report_data else "fitness",
            "best_parent": best["name"],
            "best_parent_bpc": best["baseline_bpc"],
            "champion_bpc": best["child_bpc"],
            "value": best["value"],
            "low": best["low"],
            "high": best["high"],
            "positive": best["positive"],
        }
        log["reproduce"] = {
            "champion": Measurement.from_dict(measured["champion"]).command("champion.pt"),
        }
        return log

    def _racing_log(self) -> dict[str, Any] | None:
        record = self.settings.racing_record()
        if record is None:
            return None
        record["slice_chars"] = [d.identity.chars for d in self.rung_data]
        record["slice_pieces"] = [d.identity.pieces for d in self.rung_data]
        record["slice_sha256"] = [d.identity.sha256 for d in self.rung_data]
        record["slice_seed"] = self.settings.seed
        record["forward_chars"] = self.forward_chars
        return record

    def reproduce_command(self, champion_path: str) -> str:
        """The ``darwascii eval`` line that gives the champion's reported figure exactly."""
        return Measurement.from_dict(self.log["report"]["measurements"]["champion"]).command(champion_path)

    def save_champion(self, path: str | Path, extra_params: dict[str, Any] | None = None) -> Path:
        """Write the champion with its lineage (``extra_params`` join its params, e.g. an alignment)."""
        champion = self.champion
        ckpt = champion.checkpoint
        ckpt.name = f"champion_{self.names[0]}__x__{self.names[1]}"
        params = {"genome": champion.genome, "settings": asdict(self.settings), **(extra_params or {})}
        ckpt.lineage = lineage_record([self.pair.a, self.pair.b], "darwin", params, seed=self.settings.seed)
        ckpt.extra = {**ckpt.extra, "training": inherited_training([self.pair.a, self.pair.b])}
        measured = getattr(self, "log", {}).get("report", {}).get("measurements", {}).get("champion")
        ckpt.metrics = {**ckpt.metrics, "measurements": [measured]} if measured else dict(ckpt.metrics)
        return save_checkpoint(ckpt, path)


# The parents' and ancestors' scores of earlier runs in this process (darwin-experiment's
# seeds, a re-run from the app): key -> (PieceScores, forward chars it took). See scores_on.
_REFERENCE_SCORES: dict[tuple, tuple[PieceScores, int]] = {}


def weights_fingerprint(ckpt: ArtistCheckpoint) -> str:
    """sha256 of what a checkpoint computes: config, variant, vocabulary and every tensor."""
    digest = hashlib.sha256(
        json.dumps([ckpt.config, ckpt.variant, list(ckpt.vocab.chars)], sort_keys=True, default=str).encode()
    )
    for key in sorted(ckpt.state_dict):
        value = ckpt.state_dict[key]
        digest.update(key.encode())
        if isinstance(value, torch.Tensor):
            tensor = value.detach().to("cpu").contiguous()
            digest.update(f"{tensor.dtype}{tuple(tensor.shape)}".encode())
            digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _node_key(node: Any) -> Any:
    """A model's key in a run's memo: "A", "B" or a name as they are, a genome by identity."""
    return node if isinstance(node, str) else id(node)


def build_genome(
    genome: dict[str, Any],
    pair,
    parent_a: ArtistCheckpoint,
    parent_b: ArtistCheckpoint,
    live: dict[int, ArtistCheckpoint],
    cache: dict[int, ArtistCheckpoint],
) -> ArtistCheckpoint:
    """A child rebuilt from its genome: ``pair`` is the prepared pair of the original
    parents, ``parent_a``/``parent_b`` them over the union vocabulary, ``live`` the
    weights of survivors still in memory (by id of their genome)."""

    def resolve(node):
        if node == "A":
            return parent_a
        if node == "B":
            return parent_b
        key = id(node)
        if key in live:  # a survivor whose weights are still in memory
            return live[key]
        if key not in cache:
            cache[key] = build_genome(node, pair, parent_a, parent_b, live, cache)
        return cache[key]

    recipe = BreedRecipe.from_dict(genome["recipe"])
    if genome["a"] == "A" and genome["b"] == "B":
        return pair.child(recipe)
    return prepare_pair(resolve(genome["a"]), resolve(genome["b"])).child(recipe)


def score_child(
    ckpt: ArtistCheckpoint, data: HeldOut, options: dict[str, Any], cancel: Callable[[], bool] | None = None
) -> tuple[PieceScores, int]:
    """The judge's per-piece scores of ``ckpt`` on ``data``, and the chars its forward passes saw."""
    device = torch.device(options["device"])
    engine = Engine.from_checkpoint(ckpt, device=device)
    seen = [0]

    def forward(ids: torch.Tensor) -> torch.Tensor:
        seen[0] += ids.numel()
        return engine.forward(ids)

    scores = score_pieces(
        forward,
        ckpt.vocab,
        data,
        context=options["context"],
        stride=options["stride"],
        batch_size=options["batch_size"],
        skip_unknown=options["skip_unknown"],
        device=device,
        cancel=cancel,
    )
    return scores, seen[0]


def save_log(log: dict[str, Any], path: str | Path) -> Path:
    atomic_write_text(path, json.dumps(log, indent=2) + "\n")
    return Path(path)


def load_log(path: str | Path) -> dict[str, Any]:
    """Read a Darwin log: ours, or the card's ``darwin_log.json`` (unknown fields kept).

    Returns the raw dict plus a ``summary`` of what could be recognised:
    parents' bpc, gen-0 child, champion, best parent and vigor, each None if absent.
    """
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StudioError(f"{path}: no such file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StudioError(f"{path}: is not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise StudioError(f"{path}: is not a Darwin log (expected a JSON object)")
    return {"raw": raw, "summary": summarize_log(raw)}


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, dict):
        for key in ("bpc", "val_bpc", "test_bpc", "fitness", "value"):
            if key in value:
                return _number(value[key])
    return None


def _find(raw: dict, *keys: str) -> Any:
    for key in keys:
        if key in raw:
            return raw[key]
    return None


def summarize_log(raw: dict[str, Any]) -> dict[str, Any]:
    """Best-effort reading of the fields a card-style table needs, from any log layout."""
    champion = _number(_find(raw, "champion", "champion_bpc", "best_child", "best_bpc", "offspring_bpc"))
    best_parent = _number(_find(raw, "best_parent", "best_parent_bpc"))
    gen0 = _number(_find(raw, "gen0_child", "gen0_bpc", "gen0", "initial_child_bpc"))
    parents = _find(raw, "parents", "parent_bpc", "parents_bpc")
    parent_values: list[float] = []
    if isinstance(parents, list):
        parent_values = [v for v in (_number(p) for p in parents) if v is not None]
    elif isinstance(parents, dict):
        parent_values = [v for v in (_number(p) for p in parents.values()) if v is not None]
    if best_parent is None and parent_values:
        best_parent = min(parent_values)
    vigor = _find(raw, "vigor", "hybrid_vigor")
    vigor_value = _number(vigor)
    if vigor_value is None and champion is not None and best_parent is not None:
        vigor_value = best_parent - champion
    return {
        "parents_bpc": parent_values or None,
        "gen0_bpc": gen0,
        "champion_bpc": champion,
        "best_parent_bpc": best_parent,
        "vigor": vigor_value,
    }
