"""The nursery: breeding by eye, a litter at a time.

A litter is N children of the parents A and B, each from a recipe drawn around the
user's recipe (the method's own ``random_recipe``, centred on its amount). Every child
draws one piece with the litter's settings (label, seed, temperature, ...); a child whose
drawing is the same as an earlier child's (``studio.model.variety``) is bred again with
a recipe spread further, then drawn with the next seeds, so a litter offers real choice
(``draw_litter``; what still repeats is folded together by the view). The user
stars the children they like; the next litter crosses the starred ones (pairs among
them, or each with a parent), optionally blended with the judge's ranking. Children
are genomes, as in Darwin (``{"a": node, "b": node, "recipe": {...}}`` with the leaves
"A" and "B"), so nothing is written until the user keeps one: the session's log
(every litter's genomes, figures, stars and kept files) is enough to rebuild any
child (``darwascii nursery-rebuild``).

Plain Python and PyTorch, no Qt: the app's nursery view drives it from its worker.
"""

from __future__ import annotations

import datetime as _dt
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from studio.breed.methods import METHODS
from studio.breed.recipe import BreedRecipe, RecipeDraw
from studio.errors import StudioError
from studio.fsutil import atomic_write_text

if TYPE_CHECKING:
    from studio.model.checkpoint import ArtistCheckpoint

# PyTorch is imported inside the methods that build or score children: the app's
# nursery view reads this module's plan and constants on the GUI thread.

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
SETTINGS_KEYS = ("label", "temperature", "top_k", "top_p", "max_chars", "seed")


def settings_record(settings) -> dict[str, Any]:
    """The log's ``settings`` object of a litter: what every child drew with (a SampleSettings
    or a dict with its fields), so a resumed session and a kept child draw the same."""
    values = settings.to_dict() if hasattr(settings, "to_dict") else dict(settings)
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
    vigor: dict[str, Any] | None = None  # judge.vigor_report against A and B
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
            "vigor": self.vigor,
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
        values.update(label=self.label, seed=self.seed if kid is None else self.seed_of(kid), count=1)
        return SampleSettings(**values)

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


class Nursery:
    """A breeding-by-eye session over one pair of parents (see the module's docstring)."""

    def __init__(
        self,
        a: ArtistCheckpoint,
        b: ArtistCheckpoint,
        recipe: BreedRecipe,
        *,
        seed: int = 0,
        log_path: str | Path | None = None,
        heldout: Any = None,
        align: bool = False,
    ):
        """``heldout``: the judge's data (a HeldOut, or a function that makes it when the
        first child is judged), e.g. ``studio.train.heldout.heldout_for([a, b], "val")``,
        the breeding bay's data. Without it children are drawn and bred, not judged.
        ``align``: breed from B aligned to A (its heads, feed-forward units and residual
        stream re-ordered to match A; the same function), as the breeding bay's "align B to A";
        the log and every kept child's lineage say so, and ``nursery-rebuild`` aligns again."""
        from studio.breed.pair import prepare_pair

        self.a, self.b, self.recipe, self.seed = a, b, recipe, seed
        self._heldout = heldout
        self.alignment = None
        if align:
            from studio.breed.align import align as align_to, stand_in

            self.alignment = align_to(a, b, residual=True)
            b = stand_in(b, self.alignment)
        self.pair = prepare_pair(a, b)  # raises IncompatibleParentsError
        recipe.validate(depth=self.pair.a.arch["depth"])
        self.depth = self.pair.a.arch["depth"]
        self.parent_a = self.pair.child(BreedRecipe("slerp", t=0.0))  # over the union vocabulary, exact
        self.parent_b = self.pair.child(BreedRecipe("slerp", t=1.0))
        self.names = (a.name, b.name)
        self.litters: list[Litter] = []
        self.log_path = Path(log_path) if log_path is not None else None
        self.started = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        self._weights: dict[int, ArtistCheckpoint] = {}  # id(genome) -> built child, for the latest litters
        self._judge = None

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
        # Built weights of the last two litters stay in memory (the next litter's parents
        # and the one undo returns to); older children are rebuilt from their genomes.
        keep = {id(k.genome) for litter in self.litters[-2:] for k in litter.kids}
        self._weights = {key: ckpt for key, ckpt in self._weights.items() if key in keep}

    def litter_of(self, genome: dict) -> str | None:
        """'g2#5' for a genome bred in this session."""
        for litter in self.litters:
            for kid in litter.kids:
                if kid.genome is genome:
                    return f"g{litter.generation}#{kid.index + 1}"
        return None

    # -- children --------------------------------------------------------------------------

    def build(self, kid: Kid) -> ArtistCheckpoint:
        """The child's weights (built once while its litter is recent)."""
        from studio.breed.darwin import build_genome

        key = id(kid.genome)
        if key not in self._weights:
            ckpt = build_genome(kid.genome, self.pair, self.parent_a, self.parent_b, self._weights, {})
            ckpt.name = self.child_name(kid)
            self._weights[key] = ckpt
        return self._weights[key]

    def draw(
        self,
        kid: Kid,
        settings,
        device: Any = "cpu",
        on_char: Callable[[int, str], None] | None = None,
        cancel: Callable[[], bool] | None = None,
        static: bool | None = None,
    ) -> str:
        """The child's one piece for the litter (``settings``: a SampleSettings with count 1;
        every child of a litter gets the same label and seed, so differences are the child's).
        ``static``: as for ``sample_gallery`` (None: the CUDA graph on CUDA)."""
        from studio.model.engine import Engine
        from studio.model.sampler import sample_gallery

        ckpt = self.build(kid)
        engine = Engine.from_checkpoint(ckpt, device=device)
        arts = sample_gallery(engine, ckpt.vocab, ckpt.framing, settings, on_char=on_char, cancel=cancel, static=static)
        kid.piece = arts[0].text
        return kid.piece

    def draw_litter(
        self,
        litter: Litter,
        settings,
        device: Any = "cpu",
        on_char: Callable[[int, str], None] | None = None,
        on_try: Callable[[Kid, int, str], None] | None = None,
        on_kid: Callable[[int], None] | None = None,
        cancel: Callable[[], bool] | None = None,
        static: bool | None = None,
        recipe_tries: int = RECIPE_TRIES,
        seed_tries: int = SEED_TRIES,
    ) -> int:
        """Every child draws its piece (``settings``: the litter's, count 1); a child whose
        drawing is the same as an earlier child's is bred again with a recipe spread further
        (up to ``recipe_tries`` recipes), then drawn with the next seeds (``seed_tries``). A
        child that still repeats keeps its first recipe and drawing (the view folds it).
        ``on_kid(index)`` says a child starts; ``on_try(kid, attempt, why)`` says a new try
        starts (its streamed chars replace the last try's). Returns how many pieces were
        drawn; ``recipe_tries=1, seed_tries=0`` is one piece a child, the nursery before it
        drew until its litter differed."""
        from dataclasses import replace

        from studio.model.variety import drawing_groups

        settings = replace(settings, count=1)
        drawn = 0
        for kid in litter.kids:
            if on_kid is not None:
                on_kid(kid.index)
            first = (kid.genome, kid.seed)
            first_piece = None
            for attempt in range(max(1, recipe_tries + seed_tries)):
                if attempt:
                    repeated = drawing_groups([k.piece for k in litter.kids[: kid.index]] + [kid.piece])[-1]
                    why = f"its drawing repeats #{litter.kids[repeated].index + 1}"
                    if attempt < recipe_tries:
                        self._rebreed(litter, kid, attempt)
                    else:
                        kid.seed = litter.seed + attempt - recipe_tries + 1
                    if on_try is not None:
                        on_try(kid, attempt, why)
                chars = None if on_char is None else (lambda i, c, kid=kid: on_char(kid.index, c))
                self.draw(kid, replace(settings, seed=litter.seed_of(kid)), device, chars, cancel, static)
                drawn += 1
                first_piece = kid.piece if first_piece is None else first_piece
                earlier = [k.piece for k in litter.kids[: kid.index]]
                if not kid.piece.strip() or drawing_groups(earlier + [kid.piece])[-1] == len(earlier):
                    break
            else:
                if recipe_tries + seed_tries > 1:  # nothing new: back to the first try, folded by the view
                    self._forget(kid)
                    kid.genome, kid.seed, kid.piece = first[0], first[1], first_piece
                    if on_try is not None:
                        on_try(kid, -1, "every try repeated an earlier drawing")
        self.save_log()
        return drawn

    def _rebreed(self, litter: Litter, kid: Kid, attempt: int) -> None:
        """A new recipe for the child, around the same centre with its spread ``attempt + 1``
        times the litter's; its parents are kept. Seeded by the litter, the child and the
        attempt, so undo followed by the same stars breeds the same litter again."""
        rng = random.Random(f"{litter.key}:{kid.index}:{attempt}")
        spread = min(MAX_SPREAD, max(litter.spread, 0.0) * (attempt + 1))
        draw = RecipeDraw(rng, center=kid.draw_centre, spread=spread, depth=self.depth)
        self._forget(kid)
        kid.genome = {**kid.genome, "recipe": recipe_around(self.recipe, draw).to_dict()}
        kid.seed = None

    def _forget(self, kid: Kid) -> None:
        self._weights.pop(id(kid.genome), None)

    def child_name(self, kid: Kid) -> str:
        generation = next((lt.generation for lt in self.litters if any(k is kid for k in lt.kids)), 0)
        return f"{self.names[0]}_x_{self.names[1]}_nursery-g{generation}-{kid.index + 1}"

    def judge(self, kid: Kid, device: Any = "cpu", cancel: Callable[[], bool] | None = None) -> dict[str, Any]:
        """Score the child on the pair's held-out data (as the breeding bay does): its
        measurement with an interval, and vigor against A and B on the same pieces."""
        self.judge_all([kid], device=device, cancel=cancel)
        return kid.measurement

    def judge_all(
        self,
        kids: list[Kid],
        device: Any = "cpu",
        cancel: Callable[[], bool] | None = None,
        on_judged: Callable[[Kid], None] | None = None,
    ) -> None:
        """``judge`` for several children at once: one batched pass over the data for the
        whole litter (each child's figures are what it gets judged alone)."""
        from studio.model.judge import measurement_of, score_models, vigor_report
        from studio.model.scoring import scoring_job

        if not kids:
            return
        with scoring_job(device):
            judge = self.judge_data(device, cancel)
            children = [self.build(kid) for kid in kids]
            scores = score_models(
                children,
                judge["heldout"],
                context=judge["context"],
                stride=judge["stride"],
                device=device,
                cancel=cancel,
            )
        for kid, child_scores in zip(kids, scores):
            kid.measurement = measurement_of(child_scores, judge["heldout"], context_note=judge["note"]).to_dict()
            kid.vigor = vigor_report(child_scores, judge["parents"], judge["classes"])
            if on_judged is not None:
                on_judged(kid)

    def judge_data(self, device, cancel=None) -> dict[str, Any]:
        """The judge's data, context and stride, and both parents' scores on it (made once a session)."""
        if self._judge is None:
            from studio.model.facts import training_facts
            from studio.model.judge import default_stride, score_models, scoring_context

            heldout = self._heldout() if callable(self._heldout) else self._heldout
            if heldout is None:
                raise StudioError("this nursery was given no held-out data to judge its children on")
            context, note = scoring_context([self.a, self.b])
            stride = default_stride(context)
            scores = score_models(
                [self.parent_a, self.parent_b], heldout, context=context, stride=stride, device=device, cancel=cancel
            )
            classes = {
                self.a.name: list(training_facts(self.a).classes),
                self.b.name: list(training_facts(self.b).classes),
            }
            self._judge = {
                "heldout": heldout,
                "context": context,
                "note": note,
                "stride": stride,
                "parents": dict(zip(self.names, scores)),
                "classes": classes,
            }
        return self._judge

    def finished_child(self, kid: Kid) -> ArtistCheckpoint:
        """The child as it is saved: its lineage (parents, the whole genome, this session's
        log and place) and the judge's figures, when it has them."""
        from studio.breed.nursery_log import check_genome_size
        from studio.model.checkpoint import lineage_record

        check_genome_size(kid.genome, self.litter_of(kid.genome) or "this child")  # before it is built or written out
        ckpt = self.build(kid)
        params = {
            "genome": self.full_genome(kid.genome),
            "recipe": kid.genome["recipe"],
            "nursery": str(self.log_path) if self.log_path else None,
            "litter": self.litter_of(kid.genome),
        }
        if self.alignment is not None:
            params["align"] = {"b_to_a": True, **self.alignment.summary()}
        ckpt.lineage = lineage_record(self._lineage_parents(kid), "nursery", params, seed=self.seed)
        metrics: dict[str, Any] = {}
        if kid.measurement is not None:
            metrics["measurements"] = [kid.measurement]
        if kid.vigor is not None:
            metrics["vigor"] = kid.vigor
        ckpt.metrics = metrics
        return ckpt

    def keep(self, kid: Kid, folder: str | Path) -> Path:
        """Save the child into ``folder`` and mark it kept (the log says where)."""
        import time

        from studio.fsutil import sha256_file
        from studio.model.checkpoint import save_checkpoint

        ckpt = self.finished_child(kid)
        path = save_checkpoint(ckpt, Path(folder) / f"{ckpt.name}-{int(time.time())}.pt")
        kid.kept, kid.kept_sha256 = str(path), sha256_file(path)
        self.save_log()
        return path

    def _lineage_parents(self, kid: Kid) -> list[ArtistCheckpoint]:
        """The child's direct parents where they are files (A, B, or a kept child);
        a parent that was never kept is stood in for by A and B, the genome says the rest."""
        from studio.model.checkpoint import load_checkpoint

        parents: list[ArtistCheckpoint] = []
        for node in (kid.genome["a"], kid.genome["b"]):
            if node == "A":
                found = [self.a]
            elif node == "B":
                found = [self.b]
            else:
                held = self._kept_kid(node)
                found = [load_checkpoint(held.kept)] if held is not None and held.kept else [self.a, self.b]
            for p in found:
                if all(p.sha256 != q.sha256 for q in parents):
                    parents.append(p)
        return parents

    def _kept_kid(self, genome: dict) -> Kid | None:
        for litter in self.litters:
            for kid in litter.kids:
                if kid.genome is genome and kid.kept and Path(kid.kept).exists():
                    return kid
        return None

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
            "parents": [
                {"name": p.name, "sha256": p.sha256, "path": str(p.path) if p.path else None} for p in (self.a, self.b)
            ],
            "recipe": self.recipe.to_dict(),
            "seed": self.seed,
            **({"align": True} if self.alignment is not None else {}),
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
    def from_log(
        cls,
        path: str | Path,
        a: ArtistCheckpoint | None = None,
        b: ArtistCheckpoint | None = None,
        trust: bool = False,
        heldout: Any = None,
    ) -> Nursery:
        """A session again from its log (the parents from their recorded files unless given;
        ``heldout`` as for a new session, to judge the litters bred from here on)."""
        from studio.breed.nursery_log import read_log
        from studio.model.checkpoint import load_checkpoint

        data = read_log(path)  # checked against the log's schema: one sentence if it is not one
        parents = data["parents"]
        litters = data["litters"]
        loaded = []
        for given, info in zip((a, b), parents):
            if given is None:
                if not info.get("path") or not Path(info["path"]).exists():
                    raise StudioError(
                        f"{path}: its parent {info.get('name')!r} is not at {info.get('path')!r}; give it with --a/--b"
                    )
                given = load_checkpoint(info["path"], trust=trust)
            if info.get("sha256") and given.sha256 != info["sha256"]:
                raise StudioError(
                    f"{path}: the parent {given.name!r} given is not the file the session bred from "
                    "(its sha256 differs)"
                )
            loaded.append(given)
        nursery = cls(
            loaded[0],
            loaded[1],
            BreedRecipe.from_dict(data["recipe"]),
            seed=int(data.get("seed", 0)),
            heldout=heldout,
            align=bool(data.get("align", False)),
        )
        nursery.started = data.get("started", nursery.started)
        places: dict[str, dict] = {}
        for raw in litters:
            kids = []
            for k in raw["kids"]:
                genome = {"a": _resolve(k["a"], places), "b": _resolve(k["b"], places), "recipe": k["recipe"]}
                kid = Kid(
                    int(k["index"]),
                    genome,
                    k.get("measurement"),
                    k.get("vigor"),
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
            nursery.litters.append(litter)
            for kid in kids:
                places[f"g{litter.generation}#{kid.index + 1}"] = kid.genome
        nursery.log_path = Path(path)
        return nursery

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
    return {"a": _resolve(node["a"], places), "b": _resolve(node["b"], places), "recipe": node["recipe"]}
