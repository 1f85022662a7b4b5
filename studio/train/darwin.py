"""Darwin breeding: evolve children of two parents without a single gradient step.

A population of children is bred from parents A and B with varied recipes (method,
t per layer and per part, discrete seeds), each scored by bits per char on held-out
data (the fitness), the best kept (elitism) and bred again, with each other and with
the parents, for G generations. The champion is the best child ever scored.

Genomes are recipes, not weights: a child is ``breed(x, y, recipe)`` where x and y
are the parents or earlier children, so every child can be rebuilt from A, B and
its recipe tree. Only the elite's weights stay in memory; each other child is built,
scored and dropped, so memory stays flat in the population size.

Fitness is measured on ``fitness_ids`` (a validation split); the final comparison of
champion and parents is made on ``report_ids`` (a test split) when given, so the
reported vigor is not inflated by the selection itself. Vigor is "beyond noise"
when the paired per-chunk difference between the best parent and the champion is
more than two standard errors above zero.
"""

from __future__ import annotations

import json
import math
import random
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import torch

from studio import __version__
from studio.breed import BreedRecipe, prepare_pair
from studio.errors import Cancelled, StudioError
from studio.fsutil import atomic_write_text
from studio.model.checkpoint import ArtistCheckpoint, save_checkpoint
from studio.model.engine import Engine
from studio.model.scoring import bits_per_char

LOG_FORMAT = "darwascii-darwin/1"


@dataclass(frozen=True)
class DarwinSettings:
    population: int = 12
    generations: int = 4
    elite: int = 3  # survivors kept (and bred) each generation
    mutation: float = 0.15  # spread of t around its parent value
    seed: int = 0
    context: int = 256
    batch_size: int = 16
    methods: tuple[str, ...] = ("slerp", "frozen-attn", "discrete")

    def validate(self) -> None:
        if self.population < 2:
            raise StudioError(f"the population must be at least 2, not {self.population}")
        if self.generations < 1:
            raise StudioError(f"the number of generations must be at least 1, not {self.generations}")
        if not 1 <= self.elite < self.population:
            raise StudioError(f"the elite must be between 1 and population-1, not {self.elite}")
        if not 0 <= self.mutation <= 1:
            raise StudioError(f"the mutation scale must be in [0, 1], not {self.mutation}")


@dataclass
class Individual:
    """A scored child: how to rebuild it, and how good it is."""

    genome: dict[str, Any]  # {"a": genome|"A"|"B", "b": ..., "recipe": {...}}
    bpc: float
    generation: int
    checkpoint: ArtistCheckpoint | None = field(default=None, repr=False)

    def describe(self) -> dict[str, Any]:
        return {"bpc": round(self.bpc, 6), "generation": self.generation, "genome": self.genome}


@dataclass
class DarwinProgress:
    generation: int
    generations: int
    scored: int  # children scored so far
    total: int
    best_bpc: float | None
    message: str


ProgressFn = Callable[[DarwinProgress], None]


def _clip(value: float) -> float:
    return min(1.0, max(0.0, value))


class Evolution:
    """One Darwin run over a fixed pair of parents and fixed data."""

    def __init__(
        self,
        a: ArtistCheckpoint,
        b: ArtistCheckpoint,
        fitness_text: str,
        settings: DarwinSettings = DarwinSettings(),
        *,
        report_text: str | None = None,
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
        vocab = self.parent_a.vocab
        self.fitness_ids = self._encode(vocab, fitness_text, "fitness")
        self.report_ids = self._encode(vocab, report_text, "report") if report_text else None
        self.depth = self.parent_a.arch["depth"]
        self.scored = 0
        self._live: dict[int, ArtistCheckpoint] = {}

    @staticmethod
    def _encode(vocab, text: str, what: str) -> list[int]:
        unknown = vocab.unknown_chars(text)
        if unknown:
            count = sum(text.count(c) for c in unknown)
            raise StudioError(f"the {what} data holds {count} chars the parents do not know (e.g. {unknown[0]!r})")
        if len(text) < 2:
            raise StudioError(f"the {what} data is too short to score")
        return vocab.encode(text)

    # -- scoring ---------------------------------------------------------------

    def score(self, ckpt: ArtistCheckpoint, ids: Sequence[int] | None = None) -> float:
        if self.cancel():
            raise Cancelled()
        engine = Engine(ckpt.build_model("cpu"), device=self.device)
        bpc, _ = bits_per_char(
            engine.forward,
            self.fitness_ids if ids is None else ids,
            context=self.settings.context,
            stride=self.settings.context - 1,
            batch_size=self.settings.batch_size,
            device=self.device,
            cancel=self.cancel,
        )
        return bpc

    def chunk_scores(self, ckpt: ArtistCheckpoint, ids: Sequence[int], chunks: int = 10) -> list[float]:
        """bpc on each of ``chunks`` equal slices of ``ids`` (for paired noise estimates)."""
        size = max(2, len(ids) // chunks)
        return [self.score(ckpt, ids[i : i + size]) for i in range(0, len(ids) - 1, size) if len(ids[i : i + size]) >= 2]

    # -- genomes -----------------------------------------------------------------

    def random_recipe(self, center: float = 0.5, spread: float | None = None) -> BreedRecipe:
        """A recipe drawn from the search space around ``center``."""
        rng = self.rng
        spread = self.settings.mutation * 2 if spread is None else spread
        method = rng.choice(self.settings.methods)
        seed = rng.randrange(2**31)
        if method == "discrete":
            return BreedRecipe(method="discrete", granularity=rng.choice(("neuron", "head", "layer")), seed=seed)
        jitter = lambda: _clip(center + rng.uniform(-spread, spread))  # noqa: E731
        t_layers = tuple(round(jitter(), 4) for _ in range(self.depth))
        if method == "frozen-attn":
            return BreedRecipe(method="frozen-attn", t=round(jitter(), 4), attn_from=rng.choice(("a", "b")), seed=seed)
        return BreedRecipe(method="slerp", t_layers=t_layers, t_embed=round(jitter(), 4), seed=seed)

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
            elite = pool[: s.elite]
            for individual in pool[s.elite :]:
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
        best_parent = (self.parent_a, self.parent_b)[best_parent_index]
        log: dict[str, Any] = {
            "format": LOG_FORMAT,
            "studio_version": __version__,
            "settings": asdict(self.settings),
            "parents": [{**info, "bpc": round(bpc, 6)} for info, bpc in zip(self.parent_info, parent_bpc)],
            "fitness_chars": len(self.fitness_ids),
            "gen0_child": {"recipe": BreedRecipe(method="slerp", t=0.5).to_dict(), "bpc": round(gen0_bpc, 6)},
            "generations": history,
            "champion": {"bpc": round(champion.bpc, 6), "generation": champion.generation, "genome": champion.genome},
            "best_parent": {"name": self.names[best_parent_index], "bpc": round(parent_bpc[best_parent_index], 6)},
        }
        vigor = parent_bpc[best_parent_index] - champion.bpc
        ids = self.report_ids or self.fitness_ids
        # Paired per-chunk differences on the report data: how sure is the sign of vigor?
        parent_chunks = self.chunk_scores(best_parent, ids)
        champion_chunks = self.chunk_scores(champion.checkpoint, ids)
        diffs = [p - c for p, c in zip(parent_chunks, champion_chunks)]
        mean = statistics.fmean(diffs)
        stderr = statistics.stdev(diffs) / math.sqrt(len(diffs)) if len(diffs) > 1 else float("inf")
        report_parent = self.score(best_parent, ids) if self.report_ids else parent_bpc[best_parent_index]
        report_champion = self.score(champion.checkpoint, ids) if self.report_ids else champion.bpc
        log["vigor"] = {
            "fitness": round(vigor, 6),
            "report_data": "test" if self.report_ids else "fitness",
            "best_parent_bpc": round(report_parent, 6),
            "champion_bpc": round(report_champion, 6),
            "value": round(report_parent - report_champion, 6),
            "paired_mean": round(mean, 6),
            "paired_stderr": round(stderr, 6) if math.isfinite(stderr) else None,
            "positive": bool(mean > 2 * stderr),
        }
        return log

    def save_champion(self, path: str | Path) -> Path:
        champion = self.champion
        ckpt = champion.checkpoint
        ckpt.name = f"champion_{self.names[0]}__x__{self.names[1]}"
        ckpt.lineage = {
            "parents": self.parent_info,
            "method": "darwin",
            "params": {"genome": champion.genome, "settings": asdict(self.settings)},
            "seed": self.settings.seed,
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "studio_version": __version__,
        }
        ckpt.metrics = {**ckpt.metrics, "bpc": round(champion.bpc, 6)}
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
