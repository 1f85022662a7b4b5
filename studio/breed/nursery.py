"""The nursery: breeding by eye, a litter at a time (the part with weights).

The session's litters, stars and log are ``studio.breed.litters.NurseryState`` (no
PyTorch: the app's GUI thread holds and shows it); :class:`Nursery` adds the parents'
weights and builds, draws and judges the children, in the app's worker.

Every child draws one piece with the litter's settings (label, seed, temperature, ...);
a child whose drawing is the same as an earlier child's (``studio.model.variety``) is
bred again with a recipe spread further, then drawn with the next seeds, so a litter
offers real choice (``draw_litter``; what still repeats is folded together by the
view). Children are judged by the pair judge (``studio.breed.pair_judge``) on the
breeding bay's data, against the same baselines as a child bred in the bay.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from studio.breed.litters import MAX_SPREAD, RECIPE_TRIES, SEED_TRIES, Kid, Litter, NurseryState, recipe_around
from studio.breed.recipe import BreedRecipe, RecipeDraw
from studio.errors import StudioError

if TYPE_CHECKING:
    from studio.model.checkpoint import ArtistCheckpoint

# PyTorch is imported inside the methods that build or score children.


class Nursery(NurseryState):
    """A breeding-by-eye session over one pair of parents, with their weights."""

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
        ancestor: ArtistCheckpoint | None = None,
    ):
        """``heldout``: the judge's data (a HeldOut, or a function that makes it when the
        first child is judged), e.g. ``studio.train.heldout.heldout_for([a, b], "val")``,
        the breeding bay's data. Without it children are drawn and bred, not judged.
        ``align``: breed from B aligned to A (its heads, feed-forward units and residual
        stream re-ordered to match A; the same function), as the breeding bay's "align B to A";
        the log and every kept child's lineage say so, and ``nursery-rebuild`` aligns again.
        ``ancestor``: the parents' shared ancestor, a baseline of the judge as in the bay."""
        from studio.breed.pair import prepare_pair
        from studio.breed.pair_judge import PairJudge

        self.a, self.b = a, b
        self._heldout = heldout
        self._data = None
        self.alignment = None
        if align:
            from studio.breed.align import align as align_to, stand_in

            self.alignment = align_to(a, b, residual=True)
            b = stand_in(b, self.alignment)
        self.pair = prepare_pair(a, b)  # raises IncompatibleParentsError
        depth = self.pair.a.arch["depth"]
        recipe.validate(depth=depth)
        parents = [
            {"name": p.name, "sha256": p.sha256, "path": str(p.path) if p.path else None} for p in (self.a, self.b)
        ]
        super().__init__(
            parents,
            recipe,
            seed=seed,
            depth=depth,
            log_path=log_path,
            aligned=align,
            labels=self.pair.labels,
        )
        self.pair_judge = PairJudge(a, b, pair=self.pair, ancestor=ancestor)
        self.parent_a, self.parent_b = (
            self.pair_judge.parent_a,
            self.pair_judge.parent_b,
        )  # over the union vocabulary, exact
        self._weights: dict[int, ArtistCheckpoint] = {}  # id(genome) -> built child, for the latest litters

    def _forget_weights(self) -> None:
        # Built weights of the last two litters stay in memory (the next litter's parents
        # and the one undo returns to); older children are rebuilt from their genomes.
        keep = {id(k.genome) for litter in self.litters[-2:] for k in litter.kids}
        self._weights = {key: ckpt for key, ckpt in self._weights.items() if key in keep}

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

    def judge(self, kid: Kid, device: Any = "cpu", cancel: Callable[[], bool] | None = None) -> dict[str, Any]:
        """Score the child on the pair's held-out data (as the breeding bay does): its
        measurement with an interval, and vigor against its baselines on the same pieces."""
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
        from studio.model.scoring import scoring_job

        if not kids:
            return
        with scoring_job(device):
            data = self.judge_data()
            children = [self.build(kid) for kid in kids]

            def judged(index: int, judgement) -> None:
                kid = kids[index]
                kid.measurement, kid.vigor = judgement.measurement.to_dict(), judgement.vigor
                if on_judged is not None:
                    on_judged(kid)

            self.pair_judge.judge(children, data, device=device, cancel=cancel, on_judged=judged)

    def judge_data(self):
        """The judge's data (made once a session, when the first child is judged)."""
        if self._data is None:
            self._data = self._heldout() if callable(self._heldout) else self._heldout
            if self._data is None:
                raise StudioError("this nursery was given no held-out data to judge its children on")
        return self._data

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
            metrics["vigor"] = kid.vigor.to_dict()
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

    @classmethod
    def from_log(
        cls,
        path: str | Path,
        a: ArtistCheckpoint | None = None,
        b: ArtistCheckpoint | None = None,
        trust: bool = False,
        heldout: Any = None,
        ancestor: ArtistCheckpoint | Callable[[ArtistCheckpoint, ArtistCheckpoint], Any] | None = None,
    ) -> Nursery:
        """A session again from its log (the parents from their recorded files unless given;
        ``heldout`` and ``ancestor`` as for a new session, to judge the litters bred from here
        on; ``ancestor`` may be a function of the two parents that finds it)."""
        from studio.breed.nursery_log import read_log
        from studio.model.checkpoint import load_checkpoint

        data = read_log(path)  # checked against the log's schema: one sentence if it is not one
        parents = data["parents"]
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
        if callable(ancestor):
            ancestor = ancestor(loaded[0], loaded[1])
        nursery = cls(
            loaded[0],
            loaded[1],
            BreedRecipe.from_dict(data["recipe"]),
            seed=int(data.get("seed", 0)),
            heldout=heldout,
            align=bool(data.get("align", False)),
            ancestor=ancestor,
        )
        nursery.adopt_litters(data)
        nursery.log_path = Path(path)
        return nursery
