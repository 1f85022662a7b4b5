"""Jobs the worker runs: thin adapters from the core's callbacks to a JobContext.

Each ``*_job`` returns a callable for ``Worker.submit``. Nothing here touches Qt
widgets; results travel back as plain Python objects. The model code is imported
inside the callables, which run in the worker thread: the GUI thread never loads
PyTorch, so the window shows while the worker does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.breed import BreedRecipe
from studio.model.art import SampleSettings

STREAM_INTERVAL_S = 1 / 30  # the gallery repaints at most ~30 times a second


# Contents the user said "Yes, trust this file" to, by sha256, for this session: every
# later job that loads the same bytes (sampling, breeding, scans) loads them trusted too.
# The digest is of the bytes the loader itself read (never of the path at another
# moment), so a file renamed onto a trusted path is not trusted.
TRUSTED_SHA256: set[str] = set()


def remember_trust(sha256: str) -> None:
    TRUSTED_SHA256.add(sha256)


# The held-out data the library remembers for folders of checkpoints that record no
# corpus (folder -> corpus spec or text file); the window keeps it current. Read by the
# worker's jobs through ``heldout_data``, so every figure of such an artist uses that data.
FOLDER_DATA: dict[str, str] = {}


def heldout_data(checkpoints, split: str, **options):
    """The judge's data for these checkpoints (``studio.train.heldout.heldout_for``), with
    the data the user gave their folder when they record none of their own."""
    from studio.library.store import innermost_folder_data
    from studio.train.heldout import heldout_for

    found = [innermost_folder_data(getattr(c, "path", None), FOLDER_DATA) for c in checkpoints]
    fallback = next((data for _, data in filter(None, found)), None)
    if fallback is not None and Path(fallback).suffix.lower() not in ("", ".jsonl", ".json", ".parquet"):
        return heldout_for(checkpoints, split, text=Path(fallback), **options)
    return heldout_for(checkpoints, split, fallback=fallback, **options)


def load(path: str, framing: str | None = None):
    from studio.model.checkpoint import load_checkpoint

    return load_checkpoint(path, trust=frozenset(TRUSTED_SHA256), framing=framing)


def sample_job(path: str, framing: str | None, settings: SampleSettings, indices: list[int] | None = None):
    """Draw a gallery, streaming chars as ``{index: new_text}`` partials."""

    def run(ctx) -> list:
        from studio.model.sampler import sample_gallery

        ckpt = load(path, framing)
        engine = ctx.engine(ckpt)
        pending: dict[int, str] = {}
        last = [time.monotonic()]
        # The pieces are drawn side by side, one char each per step, so the longest one
        # measures the progress; a gallery ends sooner when every piece is complete.
        lengths: dict[int, int] = {}
        message = f"sampling, up to {settings.max_chars} chars a piece"

        def on_char(index: int, char: str) -> None:
            pending[index] = pending.get(index, "") + char
            lengths[index] = lengths.get(index, 0) + 1
            now = time.monotonic()
            if now - last[0] >= STREAM_INTERVAL_S:
                last[0] = now
                ctx.partial(dict(pending))
                pending.clear()
                ctx.progress(min(0.99, max(lengths.values()) / settings.max_chars), message)

        try:
            arts = sample_gallery(engine, ckpt.vocab, ckpt.framing, settings, on_char=on_char, cancel=ctx.cancelled,
                                  indices=indices)
        finally:
            if pending:
                ctx.partial(dict(pending))
        return arts

    return run


@dataclass
class PairJudgement:
    """A child judged against its parents on held-out data chosen for the pair."""

    child: Any  # Measurement of the child
    parents: tuple[Any, Any]  # Measurements of A and B on the same data
    vigor: dict  # judge.vigor_report


def judge_child(ctx, a, b, child, split: str = "val") -> PairJudgement:
    """Score a child, its parents (over the child's vocabulary) and, when its file is at
    hand, their shared ancestor, all on the same pieces; vigor with intervals."""
    from studio.breed import BreedRecipe, prepare_pair
    from studio.model.checkpoint import load_checkpoint, shared_ancestor
    from studio.model.engine import Engine
    from studio.model.facts import training_facts
    from studio.model.judge import (
        default_stride,
        measurement_of,
        score_pieces,
        scoring_context,
        vigor_report,
    )

    heldout = heldout_data([a, b], split)
    context, note = scoring_context([a, b])
    stride = default_stride(context)
    pair = prepare_pair(a, b)
    models = {"child": child, a.name: pair.child(BreedRecipe(method="slerp", t=0.0)),
              b.name: pair.child(BreedRecipe(method="slerp", t=1.0))}
    ancestor_path = shared_ancestor(a, b)
    if ancestor_path is not None:
        ancestor = load_checkpoint(ancestor_path)
        models["ancestor"] = prepare_pair(ancestor, a).child(BreedRecipe(method="slerp", t=0.0))
        models["ancestor"].name = ancestor.name
    scores = {}
    for i, (key, model) in enumerate(models.items()):
        ctx.progress(0.2 + 0.75 * i / len(models), f"scoring {model.name if key != 'child' else 'the child'}")
        engine = Engine.from_checkpoint(model, device=ctx.device)
        scores[key] = score_pieces(engine.forward, model.vocab, heldout, context=context, stride=stride,
                                   device=ctx.device, cancel=ctx.cancelled)
    parents = {a.name: scores[a.name], b.name: scores[b.name]}
    classes = {a.name: list(training_facts(a).classes), b.name: list(training_facts(b).classes)}
    ancestor = (models["ancestor"].name, scores["ancestor"]) if "ancestor" in scores else None
    vigor = vigor_report(scores["child"], parents, classes, ancestor=ancestor)
    measured = [measurement_of(scores[k], heldout, context_note=note) for k in ("child", a.name, b.name)]
    measured[1].checkpoint, measured[1].checkpoint_sha256 = a.name, a.sha256
    measured[2].checkpoint, measured[2].checkpoint_sha256 = b.name, b.sha256
    return PairJudgement(measured[0], (measured[1], measured[2]), vigor)


@dataclass
class BreedOutcome:
    path: str
    record: Any  # the child's CheckpointRecord, registered in the library by the job
    judgement: PairJudgement | None  # None: no held-out data is known for the parents
    note: str | None = None  # what breeding parents of different framings did
    unjudged: str | None = None  # why there is no judgement


def check_cancel(ctx) -> None:
    from studio.errors import Cancelled

    if ctx.cancelled():
        raise Cancelled()


def breed_job(library, a_record, b_record, recipe: BreedRecipe, out_dir: Path, name: str | None = None,
              align: bool = False):
    """Breed, judge, save and register the child, all in the worker: the GUI gets its record."""

    def run(ctx) -> BreedOutcome:
        from studio.breed.pair import copy_note, framing_note, prepare_pair
        from studio.model.checkpoint import save_checkpoint

        a, b = load(a_record.path), load(b_record.path)
        check_cancel(ctx)
        alignment = None
        if align:  # B re-ordered to match A; same function, and the child's lineage says so
            from studio.breed.align import align as align_to, stand_in

            ctx.progress(0.02, "aligning B to A")
            alignment = align_to(a, b, residual=True)
            b = stand_in(b, alignment)
        ctx.progress(0.05, "breeding")
        pair = prepare_pair(a, b)
        child = pair.child(recipe, name=name)
        copied = pair.copy_of(child)
        if alignment is not None:
            from studio.breed.align import record_alignment

            child.lineage = record_alignment(child.lineage, alignment)
        check_cancel(ctx)
        from studio.errors import NoHeldOutData

        try:
            judgement = judge_child(ctx, a, b, child)
        except NoHeldOutData as exc:  # bred all the same; the bay says why there is no figure
            judgement, unjudged = None, str(exc)
        else:
            unjudged = None
            # The child's own figure and its vigor travel in its file, measured before it is written.
            child.metrics = {"measurements": [judgement.child.to_dict()], "vigor": judgement.vigor}
        target = Path(out_dir) / f"{child.name}-{int(time.time())}.pt"
        child.path = save_checkpoint(child, target)
        record = library.add_bred_child(child, target)
        notes = [framing_note(a, b)]
        if copied is not None:  # said, never silent: the user asked for a cross
            notes.append(copy_note(child, copied, a if copied == "A" else b, recipe))
        if judgement is not None:
            # The parents' figures on the pair's data are kept beside their own, never over them.
            measured_for = f"breeding {a_record.name} × {b_record.name}"
            library.add_measurement(a_record.id, {**judgement.parents[0].to_dict(), "measured_for": measured_for})
            library.add_measurement(b_record.id, {**judgement.parents[1].to_dict(), "measured_for": measured_for})
        return BreedOutcome(str(target), record, judgement, " ".join(n for n in notes if n) or None, unjudged)

    return run


def export_checkpoint_job(record, dest: str):
    def run(ctx) -> str:
        from studio.library.export import export_checkpoint

        return str(export_checkpoint(record, dest))

    return run


@dataclass
class ScanOutcome:
    raw: Any  # ScanResult of A -> B
    aligned: Any = None  # ScanResult of A -> (B aligned to A), when asked for


def scan_job(path_a: str, path_b: str, points: int = 9, align: bool = False):
    def run(ctx) -> ScanOutcome:
        from studio.breed import scan_path

        a, b = load(path_a), load(path_b)
        heldout = heldout_data([a, b], "val")
        runs = 2 if align else 1

        def progress(offset: int):
            return lambda i, n: ctx.progress((offset * n + i) / (runs * n), f"point {offset * n + i}/{runs * n}")

        raw = scan_path(a, b, heldout, points=points, device=ctx.device, progress=progress(0), cancel=ctx.cancelled)
        if not align:
            return ScanOutcome(raw)
        from studio.breed.align import align as align_to, stand_in

        b_aligned = stand_in(b, align_to(a, b, residual=True))
        aligned = scan_path(a, b_aligned, heldout, points=points, device=ctx.device, progress=progress(1),
                            cancel=ctx.cancelled)
        return ScanOutcome(raw, aligned)

    return run


def eval_job(path: str, corpus: str | None, split: str, text_file: str | None, skip_unknown: bool | None = None):
    """bpc on a corpus split, a text file, or (neither) the artist's own training data.
    ``skip_unknown``: drop chars the model does not know (default: only for a text file)."""
    skip = bool(text_file) if skip_unknown is None else skip_unknown

    def run(ctx):
        from studio.errors import StudioError
        from studio.train.evaluate import evaluate, heldout_for_eval

        ckpt = load(path)
        if text_file:
            heldout = heldout_for_eval(ckpt, text=Path(text_file), split=split)
        elif corpus:
            heldout = heldout_for_eval(ckpt, corpus=corpus, split=split)
        else:  # its own classes from its own corpus
            heldout = heldout_data([ckpt], split)
        try:
            return evaluate(ckpt, heldout, device=str(ctx.device), skip_unknown=skip,
                            progress=lambda i, n: ctx.progress(i / n, "scoring"), cancel=ctx.cancelled)
        except StudioError as exc:  # the dialog's words, not the command line's
            raise StudioError(str(exc).replace("pass --skip-unknown to drop them",
                                               "tick 'skip chars the model does not know' to drop them")) from None

    return run


def train_job(corpus: str, out: Path, framing: str, steps: int, start_path: str | None, shape: dict,
              name: str | None = None):
    """Train an artist named ``name``; a cancel saves the step reached (the message says
    where). A finished run removes its ``.state`` resume sidecar: nothing is left to resume."""

    def run(ctx):
        from studio.train.corpora import load_corpus
        from studio.train.training import ModelShape, TrainConfig, train_on_corpus

        loaded = load_corpus(corpus)
        check_cancel(ctx)  # reading a corpus takes a while: a cancel need not wait for the first step
        if loaded.skipped_note():
            ctx.progress(0.0, loaded.skipped_note())
        start = load(start_path) if start_path else None
        # context 0: the corpus's own (long enough for its 95th-percentile piece)
        config = TrainConfig(steps=steps, batch_size=16, context=0, checkpoint_every=max(50, steps // 4))

        def progress(p):
            message = f"step {p.step}/{p.total_steps}, loss {p.loss:.3f}"  # the panel adds the one ETA
            ctx.progress(p.step / p.total_steps, message)
            ctx.partial({"step": p.step, "loss": p.loss})

        result = train_on_corpus(loaded, out, config=config, shape=ModelShape(**shape), framing=framing, start=start,
                                 name=name, device=str(ctx.device), progress=progress, cancel=ctx.cancelled)
        Path(str(result.path) + ".state").unlink(missing_ok=True)
        return str(result.path)

    return run


def darwin_job(library, a_record, b_record, out_dir: Path, population: int, generations: int, seed: int,
               align: bool = False):
    """Evolve, save the champion and register it in the library, in the worker. ``align``:
    breed from B aligned to A (as ``darwin --align --align-residual``); the log and the
    champion's lineage say so."""
    path_a, path_b = a_record.path, b_record.path

    def run(ctx):
        from studio.breed.darwin import DarwinSettings, Evolution, save_log
        from studio.model.checkpoint import shared_ancestor
        from studio.model.judge import scoring_context

        a, b = load(path_a), load(path_b)
        fitness, report = heldout_data([a, b], "val"), heldout_data([a, b], "test")
        ancestor_path = shared_ancestor(a, b)
        ancestor = load(str(ancestor_path)) if ancestor_path else None
        aligned = {}
        if align:  # after the ancestor is found from B's own lineage, as the CLI does
            from studio.breed.align import align as align_to, stand_in

            ctx.progress(0.0, "aligning B to A")
            alignment = align_to(a, b, residual=True)
            b = stand_in(b, alignment)
            aligned = {"align": {"b_to_a": True, **alignment.summary()}}

        def progress(p):
            ctx.progress(p.scored / max(1, p.total), f"{p.message}: {p.scored}/{p.total} children")
            if p.best_bpc is not None:
                ctx.partial({"generation": p.generation, "best_bpc": p.best_bpc,
                             "caption": f"fitness on {fitness.identity.caption()} · ctx {evolution_context[0]}",
                             "parents_bpc": p.parents_bpc, "gen0_bpc": p.gen0_bpc})

        settings = DarwinSettings(population=population, generations=generations, seed=seed)
        evolution_context = scoring_context([a, b])
        evolution = Evolution(a, b, fitness, settings, report=report, ancestor=ancestor, device=ctx.device,
                              progress=progress, cancel=ctx.cancelled, scale_gen0=True)
        log = evolution.run()
        log.update(aligned)
        target = Path(out_dir) / f"champion_{a.name}__x__{b.name}-{int(time.time())}.pt"
        evolution.champion.checkpoint.metrics = {"vigor": log["report"]["vigor"]}
        evolution.save_champion(target, extra_params=aligned)
        save_log(log, target.with_suffix(".json"))
        record = library.add_bred_child(evolution.champion.checkpoint, target)
        pair = f"Darwin {a_record.name} × {b_record.name}"
        library.add_measurement(a_record.id, {**log["report"]["measurements"][a.name], "measured_for": pair})
        library.add_measurement(b_record.id, {**log["report"]["measurements"][b.name], "measured_for": pair})
        return {"path": str(target), "log": log, "record": record}

    return run


# -- the nursery --------------------------------------------------------------------------------


@dataclass
class LitterOutcome:
    nursery: Any  # the session (studio.breed.nursery.Nursery), owned by the worker's jobs
    litter: Any  # the litter shown now (None after undoing the first)


def litter_job(make_litter, settings: SampleSettings, nursery=None, make_nursery=None):
    """Breed a litter (``make_litter(nursery) -> Litter``), then draw every child's piece
    (streamed as ``{"text": {index: chars}}``) and judge it (``{"judged": index}``).

    The session is made here on the first litter (``make_nursery() -> Nursery``): it
    loads the parents and builds children, which is model code, so it stays in the worker.
    """

    def run(ctx) -> LitterOutcome:
        session = nursery if nursery is not None else make_nursery()
        ctx.progress(0.01, "breeding the litter")
        litter = make_litter(session)
        ctx.partial({"litter": LitterOutcome(session, litter)})
        kids = litter.kids
        steps = 2 * len(kids)
        pending: dict[int, str] = {}
        last = [time.monotonic()]

        def flush() -> None:
            if pending:
                ctx.partial({"text": dict(pending)})
                pending.clear()

        def on_char(index: int, char: str) -> None:
            pending[index] = pending.get(index, "") + char
            if time.monotonic() - last[0] >= STREAM_INTERVAL_S:
                last[0] = time.monotonic()
                flush()

        def on_try(kid, attempt: int, why: str) -> None:
            # a new try replaces what the child streamed so far (-1: back to its first try)
            pending.pop(kid.index, None)
            if attempt < 0:
                ctx.partial({"piece": {kid.index: kid.piece}})
                return
            ctx.partial({"piece": {kid.index: ""}})
            what = "a new recipe" if kid.seed is None else f"seed {kid.seed}"
            ctx.progress(kid.index / steps, f"child {kid.index + 1} draws again with {what}: {why}")

        def on_kid(index: int) -> None:
            flush()
            ctx.progress(index / steps, f"child {index + 1} of {len(kids)} draws")

        for kid in kids:
            kid.piece = ""
        session.draw_litter(
            litter, settings, device=ctx.device, on_char=on_char, on_try=on_try, on_kid=on_kid, cancel=ctx.cancelled
        )
        flush()
        ctx.partial({"piece": {kid.index: kid.piece for kid in kids}, "drawn": True})
        # the whole litter in one batched pass (issue 23): each child's figures as if judged alone
        ctx.progress(len(kids) / steps, f"judging the {len(kids)} children")
        session.judge_all(kids, device=ctx.device, cancel=ctx.cancelled,
                          on_judged=lambda kid: ctx.partial({"judged": kid.index}))
        session.save_log()  # the pieces and figures join the recipes in the log
        return LitterOutcome(session, litter)

    return run


def undo_litter_job(nursery):
    def run(ctx) -> LitterOutcome:
        return LitterOutcome(nursery, nursery.undo())

    return run


def keep_child_job(library, nursery, litter, kid, out_dir: Path):
    """Save a nursery child and register it (with its lineage) in the library, with the
    piece it drew in the litter as its first gallery (the same settings and seed), so the
    kept child shows, and re-draws, what was picked."""

    def run(ctx):
        from studio.model.art import Art

        ctx.progress(0.1, f"saving child {kid.index + 1}")
        path = nursery.keep(kid, out_dir)
        record = library.add_bred_child(load(str(path)), path)
        if kid.piece:
            settings = litter.sample_settings(kid)
            art = Art(0, settings.label, settings.seed, kid.piece, complete=len(kid.piece) < settings.max_chars)
            library.save_gallery(record.id, settings.to_dict(), [art])
        return record

    return run
