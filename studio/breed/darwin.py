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

import json
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
from studio.breed.recipe import BreedRecipe, RecipeDraw
from studio.errors import Cancelled, StudioError
from studio.fsutil import atomic_write_text
from studio.model.checkpoint import ArtistCheckpoint, lineage_record, save_checkpoint
from studio.model.engine import Engine
from studio.model.judge import (
    BOOTSTRAP_SEED,
    RESAMPLES,
    HeldOut,
    Measurement,
    PieceScores,
    default_stride,
    inherited_training,
    measurement_of,
    score_pieces,
    scoring_context,
    training_facts,
    vigor_report,
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


@dataclass
class Individual:
    """A scored child: how to rebuild it, and how good it is."""

    genome: dict[str, Any]  # {"a": genome|"A"|"B", "b": ..., "recipe": {...}}
    bpc: float
    generation: int
    checkpoint: ArtistCheckpoint | None = field(default=None, repr=False)


@dataclass
class DarwinProgress:
    generation: int
    generations: int
    scored: int  # children scored so far
    total: int
    best_bpc: float | None
    message: str


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
    ):
        settings.validate()
        self.settings = settings
        self.device = torch.device(device)
        self.progress = progress or (lambda p: None)
        self.cancel = cancel or (lambda: False)
        self.rng = random.Random(settings.seed)
        self.pair = prepare_pair(a, b)  # raises IncompatibleParentsError
        # Parents re-expressed over the union vocabulary (t=0 and t=1 are exact).
        self.parent_a = self.pair.child(BreedRecipe(method="slerp", t=0.0))
        self.parent_b = self.pair.child(BreedRecipe(method="slerp", t=1.0))
        self.names = (a.name, b.name)
        self.parent_info = [
            {"name": a.name, "sha256": a.sha256, "path": str(a.path) if a.path else None},
            {"name": b.name, "sha256": b.sha256, "path": str(b.path) if b.path else None},
        ]
        self.parent_classes = {a.name: list(training_facts(a).classes), b.name: list(training_facts(b).classes)}
        self.ancestor = ancestor
        self.context, self.context_note = scoring_context([a, b], settings.context)
        self.stride = settings.stride or default_stride(self.context)
        self.fitness = fitness
        self.report_data = report
        self.depth = self.parent_a.arch["depth"]
        self.scored = 0
        self._live: dict[int, ArtistCheckpoint] = {}

    # -- scoring ---------------------------------------------------------------

    def piece_scores(self, ckpt: ArtistCheckpoint, data: HeldOut | None = None) -> PieceScores:
        if self.cancel():
            raise Cancelled()
        engine = Engine.from_checkpoint(ckpt, device=self.device)
        return score_pieces(engine.forward, ckpt.vocab, data or self.fitness, context=self.context, stride=self.stride,
                            batch_size=self.settings.batch_size, skip_unknown=self.settings.skip_unknown,
                            device=self.device, cancel=self.cancel)

    def score(self, ckpt: ArtistCheckpoint, data: HeldOut | None = None) -> float:
        """Fitness: the judge's bpc on the fitness data (lower is fitter)."""
        return self.piece_scores(ckpt, data).bpc

    # -- genomes -----------------------------------------------------------------

    def random_recipe(self, center: float = 0.5, spread: float | None = None) -> BreedRecipe:
        """A recipe drawn from the search space around ``center``: a method, then its own draw."""
        spread = self.settings.mutation * 2 if spread is None else spread
        method = METHODS[self.rng.choice(self.settings.search_methods)]
        return method.random_recipe(RecipeDraw(self.rng, center=center, spread=spread, depth=self.depth))

    def build(self, genome: dict[str, Any], cache: dict[int, ArtistCheckpoint]) -> ArtistCheckpoint:
        """Rebuild a child from its genome (parents are "A" and "B")."""

        def resolve(node):
            if node == "A":
                return self.parent_a
            if node == "B":
                return self.parent_b
            key = id(node)
            if key in self._live:  # a survivor whose weights are still in memory
                return self._live[key]
            if key not in cache:
                cache[key] = self.build(node, cache)
            return cache[key]

        recipe = BreedRecipe.from_dict(genome["recipe"])
        if genome["a"] == "A" and genome["b"] == "B":
            return self.pair.child(recipe)
        return prepare_pair(resolve(genome["a"]), resolve(genome["b"])).child(recipe)

    # -- the run ---------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        s = self.settings
        started = time.perf_counter()
        total = s.population * s.generations
        self.progress(DarwinProgress(0, s.generations, 0, total, None, "scoring the parents"))
        parent_bpc = [self.score(self.parent_a), self.score(self.parent_b)]
        survivors = s.survivors

        gen0_genome = {"a": "A", "b": "B", "recipe": BreedRecipe(method="slerp", t=0.5).to_dict()}
        population: list[dict[str, Any]] = [gen0_genome]
        population += [
            {"a": "A", "b": "B", "recipe": self.random_recipe().to_dict()} for _ in range(s.population - 1)
        ]
        elite: list[Individual] = []
        history: list[dict[str, Any]] = []
        gen0_bpc: float | None = None
        for generation in range(s.generations):
            scored: list[Individual] = []
            for genome in population:
                child = self.build(genome, {})
                bpc = self.score(child)
                self.scored += 1
                scored.append(Individual(genome, bpc, generation, child))
                if gen0_bpc is None:
                    gen0_bpc = bpc
                best = min([i.bpc for i in scored + elite])
                self.progress(
                    DarwinProgress(generation, s.generations, self.scored, total, best, f"generation {generation + 1}/{s.generations}")
                )
            bpcs = [i.bpc for i in scored]
            # Elitism: survivors are the best of this generation and the previous elite.
            pool = sorted(elite + scored, key=lambda i: i.bpc)
            elite = pool[:survivors]
            for individual in pool[survivors:]:
                individual.checkpoint = None  # only the elite's weights stay alive
            history.append(
                {
                    "generation": generation,
                    "best_bpc": round(min(bpcs), 6),
                    "median_bpc": round(statistics.median(bpcs), 6),
                    "elite_bpc": [round(i.bpc, 6) for i in elite],
                }
            )
            self._live = {id(i.genome): i.checkpoint for i in elite}
            if generation + 1 < s.generations:
                population = [self._offspring(elite) for _ in range(s.population)]

        champion = elite[0]
        result = self._report(parent_bpc, gen0_bpc, champion, history)
        result["elapsed_s"] = round(time.perf_counter() - started, 2)
        self.champion = champion
        self.log = result
        return result

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

    def _report(self, parent_bpc, gen0_bpc, champion: Individual, history) -> dict[str, Any]:
        best_parent_index = 0 if parent_bpc[0] <= parent_bpc[1] else 1
        data = self.report_data or self.fitness
        log: dict[str, Any] = {
            "format": LOG_FORMAT,
            "studio_version": __version__,
            "settings": {**asdict(self.settings), "elite": self.settings.survivors,
                         "methods": list(self.settings.search_methods)},
            "scoring": {
                "context": self.context,
                "context_note": self.context_note,
                "stride": self.stride,
                "fitness_data": self.fitness.identity.to_dict(),
                "report_data": data.identity.to_dict(),
                "report_split": data.identity.split if self.report_data else "fitness (no separate report data)",
                "bootstrap": {"resamples": RESAMPLES, "seed": BOOTSTRAP_SEED, "stratified_by": "class", "unit": "piece"},
                "seeds": {"darwin": self.settings.seed, "data": data.identity.seed, "bootstrap": BOOTSTRAP_SEED},
            },
            "parents": [{**info, "bpc": round(bpc, 6), "classes": self.parent_classes[info["name"]]}
                        for info, bpc in zip(self.parent_info, parent_bpc)],
            "fitness_chars": self.fitness.identity.chars,
            "gen0_child": {"recipe": BreedRecipe(method="slerp", t=0.5).to_dict(), "bpc": round(gen0_bpc, 6)},
            "generations": history,
            "champion": {"bpc": round(champion.bpc, 6), "generation": champion.generation, "genome": champion.genome},
            "best_parent": {"name": self.names[best_parent_index], "bpc": round(parent_bpc[best_parent_index], 6)},
        }
        # The report: every model on the same held-out pieces, vigor with intervals.
        scores_a = self.piece_scores(self.parent_a, data)
        scores_b = self.piece_scores(self.parent_b, data)
        champion_scores = self.piece_scores(champion.checkpoint, data)
        gen0_scores = self.piece_scores(self.pair.child(BreedRecipe(method="slerp", t=0.5)), data)
        ancestor = None
        if self.ancestor is not None:
            ancestor = (self.ancestor.name, self.piece_scores(self._over_union(self.ancestor), data))
        parents = {self.names[0]: scores_a, self.names[1]: scores_b}
        vigor = vigor_report(champion_scores, parents, self.parent_classes, ancestor=ancestor)
        gen0_vigor = vigor_report(gen0_scores, parents, self.parent_classes, ancestor=ancestor)
        measured = {name: measurement_of(sc, data, context_note=self.context_note).to_dict()
                    for name, sc in (("champion", champion_scores), ("gen0_child", gen0_scores),
                                     (self.names[0], scores_a), (self.names[1], scores_b))}
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

    def reproduce_command(self, champion_path: str) -> str:
        """The ``darwascii eval`` line that gives the champion's reported figure exactly."""
        return Measurement.from_dict(self.log["report"]["measurements"]["champion"]).command(champion_path)

    def _over_union(self, ckpt: ArtistCheckpoint) -> ArtistCheckpoint:
        """``ckpt`` re-expressed over the pair's vocabulary (exact for the chars it knows)."""
        if ckpt.vocab.chars == self.pair.vocab.chars:
            return ckpt
        return prepare_pair(ckpt, self.parent_a).child(BreedRecipe(method="slerp", t=0.0))

    def save_champion(self, path: str | Path) -> Path:
        champion = self.champion
        ckpt = champion.checkpoint
        ckpt.name = f"champion_{self.names[0]}__x__{self.names[1]}"
        ckpt.lineage = lineage_record([self.pair.a, self.pair.b], "darwin",
                                      {"genome": champion.genome, "settings": asdict(self.settings)}, seed=self.settings.seed)
        ckpt.extra = {**ckpt.extra, "training": inherited_training([self.pair.a, self.pair.b])}
        measured = getattr(self, "log", {}).get("report", {}).get("measurements", {}).get("champion")
        ckpt.metrics = {**ckpt.metrics, "measurements": [measured]} if measured else dict(ckpt.metrics)
        return save_checkpoint(ckpt, path)


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
    return {"parents_bpc": parent_values or None, "gen0_bpc": gen0, "champion_bpc": champion, "best_parent_bpc": best_parent, "vigor": vigor_value}
