"""A nursery session without its weights: litters, stars and the log (no PyTorch).

A litter is N children of the parents A and B, each from a recipe drawn around the
user's recipe (the method's own ``random_recipe``, centred on its amount). The user
stars the children they like; the next litter crosses the starred ones (pairs among
them, or each with a parent), optionally blended with the judge's ranking. Children
are genomes, as in Darwin (``{"a": node, "b": node, "recipe": {...}}`` with the leaves
"A" and "B"), so nothing is written until the user keeps one: the session's log
(every litter's genomes, figures, stars and kept files) is enough to rebuild any
child (``darwascii nursery-rebuild``).

:class:`NurseryState` is what the app's GUI thread holds and shows: it plans litters
(plain random draws of recipes), keeps what each child drew and scored and the
user's stars, and writes and reads the log. ``studio.breed.nursery.Nursery`` adds the
weights: it builds, draws and judges the children, in the app's worker.
"""

from __future__ import annotations

import datetime as _dt
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from studio.breed.methods import METHODS
from studio.breed.recipe import BreedRecipe, RecipeDraw
from studio.errors import StudioError
from studio.fsutil import atomic_write_text
from studio.model.vigor import VigorReport

LITTER_SIZE = 8
SPREAD = 0.15  # how far a litter's amounts stray from the centre
MODES = ("pairs", "parents")  # next litter: starred x starred, or starred x a parent
LOG_VERSION = 1
# A child whose drawing repeats an earlier child's is bred again: up to RECIPE_TRIES
# recipes in all (each redraw's spread one step wider: 1x, 2x, 3x, 4x the litter's,
# at most MAX_SPREAD), then the last recipe draws with the next SEED_TRIES seeds.
# Measured on the bundled styleA x styleB (`darwascii bench variety`): the median litter
# of 8 holds 2 different drawings with one try, 8 with these.
RECIPE_TRIES, SEED_TRIES = 4, 2
MAX_SPREAD = 0.5
SETTINGS_KEYS = ("label", "temperature", "top_k", "top_p", "max_chars", "seed", "temper_spaces")


def settings_record(settings) -> dict[str, Any]:
    """The log's ``settings`` object of a litter: what every child drew with (a SampleSettings
    or a dict with its fields), so a resumed session and a kept child draw the same."""
    values = settings.to_dict() if hasattr(settings, "to_dict") else dict(settings)
    # A new litter draws with today's rule unless told otherwise; a record without the key
    # is read as a litter from before spaces kept their odds (SampleSettings.from_record).
    values.setdefault("temper_spaces", False)
    return {key: values[key] for key in SETTINGS_KEYS if key in values}


def recipe_around(recipe: BreedRecipe, draw: RecipeDraw) -> BreedRecipe:
    """A recipe near ``recipe``: its method's own draw (amounts within the spread of the
    centre, fresh seeds), with its choices (granularity, attention source) kept as set."""
    method = METHODS[recipe.method]
    if method.random_recipe is not None:
        drawn = method.random_recipe(draw)
    else:  # a method Darwin does not evolve (lerp): only its amount moves
        drawn = BreedRecipe(recipe.method, **{**recipe.options, "t": draw.amount()})
    options = dict(drawn.options)
    if "t" in options and drawn.options.get("t_layers") is not None:
        options["t"] = round(draw.center, 4)  # unused beside per-layer amounts: shown as the centre
    for option in method.options:
        if option.choices is not None:
            options[option.name] = recipe.options[option.name]
    return BreedRecipe(recipe.method, **options)


def centre_of(recipe: BreedRecipe) -> float:
    t = recipe.options.get("t")
    return 0.5 if t is None else float(t)


@dataclass
class Kid:
    """One child of a litter: its genome and what the studio saw of it."""

    index: int
    genome: dict[str, Any]
    measurement: dict[str, Any] | None = None  # the judge's Measurement.to_dict()
    vigor: VigorReport | None = None  # against A and B (and their ancestor), by the pair judge
    piece: str = ""  # the piece it drew (the litter's label and seed)
    starred: bool = False
    kept: str | None = None  # the file it was saved to, when the user kept it
    kept_sha256: str | None = None
    seed: int | None = None  # the seed its piece was drawn with, when not the litter's
    # how its recipe was drawn (centre, spread), to breed it again when its drawing repeats
    draw_centre: float = field(default=0.5, repr=False, compare=False)

    @property
    def bpc(self) -> float | None:
        return None if self.measurement is None else float(self.measurement["bpc"])

    def parents_text(self, names: tuple[str, str], litter_of: Callable[[dict], str | None]) -> str:
        """'A × B', or 'g1#3 × B' for a child of an earlier litter's child."""

        def name(node) -> str:
            if node == "A":
                return names[0]
            if node == "B":
                return names[1]
            return litter_of(node) or "an earlier child"

        return f"{name(self.genome['a'])} × {name(self.genome['b'])}"

    def to_dict(self, node_ref: Callable[[dict], Any]) -> dict[str, Any]:
        return {
            "index": self.index,
            "a": node_ref(self.genome["a"]),
            "b": node_ref(self.genome["b"]),
            "recipe": self.genome["recipe"],
            "measurement": self.measurement,
            "vigor": self.vigor.to_dict() if self.vigor is not None else None,
            "piece": self.piece,
            "starred": self.starred,
            "kept": self.kept,
            "kept_sha256": self.kept_sha256,
            **({"seed": self.seed} if self.seed is not None else {}),
        }


@dataclass
class Litter:
    generation: int  # 1 for the first litter
    kids: list[Kid]
    how: str  # how it was bred, in words
    label: str | None  # what every child drew, with the same seed
    seed: int
    settings: dict[str, Any] | None = None  # settings_record of what the children drew with
    spread: float = SPREAD  # the spread its recipes were drawn with (redraws widen it)
    key: str = field(default="", repr=False, compare=False)  # seeds its redraws

    def seed_of(self, kid: Kid) -> int:
        """The seed the child's piece was drawn with."""
        return self.seed if kid.seed is None else kid.seed

    def sample_settings(self, kid: Kid | None = None):
        """The SampleSettings a child drew with (one piece), from the litter's settings."""
        from studio.model.art import SampleSettings

        values = {k: v for k, v in (self.settings or {}).items() if k in SETTINGS_KEYS}
        seed = self.seed if kid is None else self.seed_of(kid)
        return SampleSettings.from_record(values, label=self.label, seed=seed, count=1)

    def same_as(self) -> dict[int, int]:
        """Children whose drawing is the same as an earlier child's: index -> that child's index
        (``studio.model.variety``'s one definition; children that drew nothing are left out)."""
        from studio.model.variety import drawing_groups

        drawn = [k for k in self.kids if k.piece.strip()]
        groups = drawing_groups([k.piece for k in drawn])
        return {kid.index: drawn[g].index for kid, g in zip(drawn, groups) if drawn[g] is not kid}

    @property
    def starred(self) -> list[Kid]:
        return [k for k in self.kids if k.starred]

    def ranked(self) -> list[Kid]:
        """Judged children, best (lowest bpc) first."""
        return sorted((k for k in self.kids if k.bpc is not None), key=lambda k: k.bpc)


@dataclass
class NurseryPlan:
    """How the next litter is bred from the last one."""

    mode: str = "pairs"  # pairs | parents
    blend: float = 0.0  # 0: only the user's stars choose; 1: only the bpc ranking
    size: int = LITTER_SIZE
    spread: float = SPREAD

    def validate(self) -> None:
        if self.mode not in MODES:
            raise StudioError(f"the nursery's mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if not 0.0 <= self.blend <= 1.0:
            raise StudioError(f"the blend must be between 0 and 1, not {self.blend}")
        if not 1 <= self.size <= 64:
            raise StudioError(f"a litter has 1 to 64 children, not {self.size}")
        if not 0.0 <= self.spread <= 0.5:
            raise StudioError(f"the spread must be between 0 and 0.5, not {self.spread}")


class NurseryState:
    """A session's parents (names and files), recipe and seed, and every litter."""

    def __init__(
        self,
        parents: list[dict[str, Any]],
        recipe: BreedRecipe,
        *,
        seed: int = 0,
        depth: int | None = None,
        log_path: str | Path | None = None,
        aligned: bool = False,
        labels: list[str] | None = None,
    ):
        """``parents``: A's and B's ``{"name", "sha256", "path"}``; ``depth``: the parents'
        (per-layer recipes need it to breed a litter; a session read to be shown has none);
        ``aligned``: it breeds from B aligned to A (the log says so); ``labels``: what the
        children can draw (the union of the parents' labels)."""
        self.parents = [dict(p) for p in parents]
        self.recipe, self.seed, self.depth = recipe, seed, depth
        self.aligned = aligned
        self.labels = list(labels or [])
        self.names = (str(parents[0]["name"]), str(parents[1]["name"]))
        self.litters: list[Litter] = []
        self.log_path = Path(log_path) if log_path is not None else None
        self.started = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")

    # -- litters ----------------------------------------------------------------------------

    def _rng(self, generation: int, picks: tuple = ()) -> random.Random:
        # Seeded by the generation and what was chosen: undo then the same stars breeds the same litter.
        return random.Random(f"{self.seed}:{generation}:{picks}")

    def first_litter(
        self,
        size: int = LITTER_SIZE,
        spread: float = SPREAD,
        label: str | None = None,
        sample_seed: int = 0,
        settings: Any = None,
    ) -> Litter:
        """N children of A and B, each from a recipe drawn around the nursery's recipe.
        ``settings``: what they draw with (a SampleSettings; its label and seed win over
        ``label`` and ``sample_seed``), kept in the log."""
        NurseryPlan(size=size, spread=spread).validate()
        if settings is not None:
            label, sample_seed = settings.label, settings.seed
        rng = self._rng(1)
        centre = centre_of(self.recipe)
        draw = RecipeDraw(rng, center=centre, spread=spread, depth=self.depth)
        kids = [
            Kid(i, {"a": "A", "b": "B", "recipe": recipe_around(self.recipe, draw).to_dict()}, draw_centre=centre)
            for i in range(size)
        ]
        how = f"{self.recipe.method} around t = {centre:g} ± {spread:g}"
        litter = Litter(1, kids, how, label, sample_seed, spread=spread, key=f"{self.seed}:1:()")
        litter.settings = settings_record(settings if settings is not None else {"label": label, "seed": sample_seed})
        return self._push(litter)

    def next_litter(
        self, plan: NurseryPlan, label: str | None = None, sample_seed: int | None = None, settings: Any = None
    ) -> Litter:
        """The next litter from the last one's starred children (and the bpc ranking, by ``plan.blend``);
        ``settings`` as for ``first_litter`` (default: the last litter's)."""
        plan.validate()
        last = self.last
        if last is None:
            raise StudioError("breed a first litter before the next one")
        stars = last.starred
        ranked = last.ranked()
        if not stars and plan.blend == 0:
            raise StudioError("star at least one child of this litter (or raise the blend to let bpc choose)")
        if plan.blend > 0 and not ranked:
            raise StudioError("this litter has no bpc yet: wait for its figures, or set the blend to 0")
        # the judge's pool: as many of the best as the user starred (at least two)
        best = ranked[: max(2, len(stars))]
        picks = tuple(k.index for k in stars)
        rng = self._rng(last.generation + 1, (picks, plan.mode, plan.blend, plan.size, plan.spread))

        def choose(exclude: Kid | None = None) -> Kid:
            pool = best if (not stars or rng.random() < plan.blend) else stars
            others = [k for k in pool if k is not exclude] or pool
            return rng.choice(others)

        kids = []
        for i in range(plan.size):
            first = choose()
            if plan.mode == "pairs":
                second = choose(exclude=first)
                if second is first:
                    second_node: Any = rng.choice(("A", "B"))
                    centre = plan.spread
                else:
                    second_node = second.genome
                    centre = 0.5
            else:
                # back-cross with a parent, mostly keeping the starred child (a small amount of the parent)
                second_node = rng.choice(("A", "B"))
                centre = plan.spread
            draw = RecipeDraw(rng, center=centre, spread=plan.spread, depth=self.depth)
            recipe = recipe_around(self.recipe, draw)
            kids.append(Kid(i, {"a": first.genome, "b": second_node, "recipe": recipe.to_dict()}, draw_centre=centre))
        chosen = ", ".join(f"#{i + 1}" for i in picks) or "none"
        how = f"from stars {chosen}" + (f", blend {plan.blend:g} with bpc" if plan.blend else "")
        how += " (pairs among them)" if plan.mode == "pairs" else " (each with a parent)"
        if settings is not None:
            label, sample_seed = settings.label, settings.seed
        seed = last.seed if sample_seed is None else sample_seed
        label = last.label if label is None else label
        key = f"{self.seed}:{last.generation + 1}:{(picks, plan.mode, plan.blend, plan.size, plan.spread)}"
        litter = Litter(last.generation + 1, kids, how, label, seed, spread=plan.spread, key=key)
        base = settings if settings is not None else {**(last.settings or {}), "label": label, "seed": seed}
        litter.settings = settings_record(base)
        return self._push(litter)

    def _push(self, litter: Litter) -> Litter:
        self.litters.append(litter)
        self._forget_weights()
        self.save_log()
        return litter

    @property
    def last(self) -> Litter | None:
        return self.litters[-1] if self.litters else None

    def undo(self) -> Litter | None:
        """Drop the last litter (its kept children stay kept); the one before is current again."""
        if not self.litters:
            raise StudioError("there is no litter to undo")
        self.litters.pop()
        self._forget_weights()
        self.save_log()
        return self.last

    def _forget_weights(self) -> None:
        """The litters changed: a session with weights (``Nursery``) drops those of old children."""

    def litter_of(self, genome: dict) -> str | None:
        """'g2#5' for a genome bred in this session."""
        for litter in self.litters:
            for kid in litter.kids:
                if kid.genome is genome:
                    return f"g{litter.generation}#{kid.index + 1}"
        return None

    def child_name(self, kid: Kid) -> str:
        generation = next((lt.generation for lt in self.litters if any(k is kid for k in lt.kids)), 0)
        return f"{self.names[0]}_x_{self.names[1]}_nursery-g{generation}-{kid.index + 1}"

    # -- the log ---------------------------------------------------------------------------

    def full_genome(self, node) -> Any:
        """A genome with earlier children written out in full (for a checkpoint's lineage)."""
        if node in ("A", "B"):
            return node
        return {"a": self.full_genome(node["a"]), "b": self.full_genome(node["b"]), "recipe": node["recipe"]}

    def to_dict(self) -> dict[str, Any]:
        def ref(node) -> Any:
            # an earlier child by its place ("g1#3"); the log lists every litter, so refs resolve
            return node if node in ("A", "B") else self.litter_of(node) or self.full_genome(node)

        return {
            "version": LOG_VERSION,
            "started": self.started,
            "parents": [{"name": p["name"], "sha256": p["sha256"], "path": p["path"]} for p in self.parents],
            "recipe": self.recipe.to_dict(),
            "seed": self.seed,
            **({"align": True} if self.aligned else {}),
            "litters": [
                {
                    "generation": lt.generation,
                    "how": lt.how,
                    "label": lt.label,
                    "seed": lt.seed,
                    **({"settings": lt.settings} if lt.settings else {}),
                    "kids": [k.to_dict(ref) for k in lt.kids],
                }
                for lt in self.litters
            ],
        }

    def save_log(self) -> None:
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.log_path, json.dumps(self.to_dict(), indent=1))

    @classmethod
    def read(cls, path: str | Path) -> NurseryState:
        """A session from its log, without its parents' weights (checked against the log's
        schema first: one sentence if it is not one)."""
        from studio.breed.nursery_log import read_log

        data = read_log(path)
        state = cls(
            [{k: p.get(k) for k in ("name", "sha256", "path")} for p in data["parents"]],
            BreedRecipe.from_dict(data["recipe"]),
            seed=int(data.get("seed", 0)),
            log_path=path,
            aligned=bool(data.get("align", False)),
        )
        state.adopt_litters(data)
        return state

    def adopt_litters(self, data: dict[str, Any]) -> None:
        """The litters (and start) of a log read by ``nursery_log.read_log``."""
        self.started = data.get("started", self.started)
        places: dict[str, dict] = {}
        self.litters = []
        for raw in data["litters"]:
            kids = []
            for k in raw["kids"]:
                genome = {"a": _resolve(k["a"], places), "b": _resolve(k["b"], places), "recipe": k["recipe"]}
                vigor = k.get("vigor")
                kid = Kid(
                    int(k["index"]),
                    genome,
                    k.get("measurement"),
                    VigorReport.from_dict(vigor) if VigorReport.readable(vigor) else None,
                    k.get("piece", ""),
                    bool(k.get("starred")),
                    k.get("kept"),
                    k.get("kept_sha256"),
                    k.get("seed"),
                )
                kids.append(kid)
            litter = Litter(
                int(raw["generation"]),
                kids,
                raw.get("how", ""),
                raw.get("label"),
                int(raw.get("seed", 0)),
                settings=raw.get("settings"),
            )
            self.litters.append(litter)
            for kid in kids:
                places[f"g{litter.generation}#{kid.index + 1}"] = kid.genome

    def find(self, place: str) -> Kid:
        """The child at 'g2#5' (litter 2, child 5)."""
        for litter in self.litters:
            for kid in litter.kids:
                if f"g{litter.generation}#{kid.index + 1}" == place:
                    return kid
        raise StudioError(f"no child {place!r} in this nursery (litters 1 to {len(self.litters)})")


def _resolve(node: Any, places: dict[str, dict]) -> Any:
    if node in ("A", "B"):
        return node
    if isinstance(node, str):
        if node not in places:
            raise StudioError(f"the nursery log refers to {node!r} before it is bred")
        return places[node]
