"""How the worker does what the app asks: one handler per request (``execute``).

Only the app's worker thread imports this module: the handlers run the core (PyTorch
included) and report through the job context ``ctx`` (``progress(fraction, message)``,
``partial(payload)``, ``cancelled()``, ``device``, ``engine(ckpt)``). Nothing here
touches Qt; results travel back as the plain objects of ``studio.work.requests``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from studio.breed.align import align as align_to
from studio.breed.align import record_alignment, stand_in
from studio.breed.darwin import DarwinSettings, Evolution, save_log
from studio.breed.litters import Litter
from studio.breed.nursery import Nursery
from studio.breed.pair import copy_note, framing_note, prepare_pair
from studio.breed.pair_judge import PairJudge
from studio.breed.scan import scan_path
from studio.errors import Cancelled, CheckpointError, NoHeldOutData, StudioError, UntrustedCheckpointError
from studio.library import ImportReport
from studio.library.export import export_checkpoint
from studio.library.store import innermost_folder_data
from studio.model.art import Art, SampleSettings
from studio.model.checkpoint import ArtistCheckpoint, load_checkpoint, save_checkpoint, shared_ancestor
from studio.model.judge import scoring_context
from studio.model.sampler import sample_gallery
from studio.train.corpora import load_corpus
from studio.train.evaluate import evaluate as evaluate_on
from studio.train.evaluate import heldout_for_eval
from studio.train.family import build_family as train_family
from studio.train.heldout import heldout_for
from studio.train.originality import originality, training_corpus
from studio.train.training import ModelShape, TrainConfig, train_on_corpus
from studio.work import requests as rq
from studio.work import state

STREAM_INTERVAL_S = 1 / 30  # the gallery repaints at most ~30 times a second


def execute(request: Any, ctx) -> Any:
    """Run ``request`` (one of ``studio.work.requests``) with the job context ``ctx``."""
    handler = HANDLERS.get(type(request))
    if handler is None:
        raise TypeError(f"the worker has no handler for {type(request).__name__}")
    return handler(request, ctx)


# -- what every handler uses ---------------------------------------------------------------------


def load(path: str, framing: str | None = None) -> ArtistCheckpoint:
    """A checkpoint, trusted when its bytes are ones the user trusted this session."""
    return load_checkpoint(path, trust=frozenset(state.TRUSTED_SHA256), framing=framing)


def folder_data(checkpoints) -> str | None:
    """The held-out data the user gave these checkpoints' folder (a corpus spec or a text
    file), for checkpoints that record none of their own."""
    found = [innermost_folder_data(getattr(c, "path", None), state.FOLDER_DATA) for c in checkpoints]
    return next((data for _, data in filter(None, found)), None)


def is_plain_text(data: str) -> bool:
    """Folder data that is a text file scored as it is, not a corpus of pieces."""
    return Path(data).suffix.lower() not in ("", ".jsonl", ".json", ".parquet")


def heldout_data(checkpoints, split: str, **options):
    """The judge's data for these checkpoints (``studio.train.heldout.heldout_for``), with
    the data the user gave their folder when they record none of their own."""
    fallback = folder_data(checkpoints)
    if fallback is not None and is_plain_text(fallback):
        return heldout_for(checkpoints, split, text=Path(fallback), **options)
    return heldout_for(checkpoints, split, fallback=fallback, **options)


def ancestor_of(a: ArtistCheckpoint, b: ArtistCheckpoint) -> ArtistCheckpoint | None:
    """The parents' shared ancestor when its file is at hand (from their lineage)."""
    path = shared_ancestor(a, b)
    return load(str(path)) if path is not None else None


def check_cancel(ctx) -> None:
    if ctx.cancelled():
        raise Cancelled()


class Streamer:
    """Chars streamed to the GUI as ``{index: new_text}`` (``wrap`` the payload), at most
    ~30 times a second."""

    def __init__(self, ctx, wrap: Callable[[dict[int, str]], Any] = lambda chunk: chunk):
        self.ctx, self.wrap = ctx, wrap
        self.pending: dict[int, str] = {}
        self.last = time.monotonic()

    def add(self, index: int, char: str) -> bool:
        """Queue a char; True when the chunk went out."""
        self.pending[index] = self.pending.get(index, "") + char
        if time.monotonic() - self.last >= STREAM_INTERVAL_S:
            self.last = time.monotonic()
            self.flush()
            return True
        return False

    def flush(self) -> None:
        if self.pending:
            self.ctx.partial(self.wrap(dict(self.pending)))
            self.pending.clear()


# -- galleries, breeding, scans, evaluation, training ------------------------------------------------


def sample(request: rq.Sample, ctx) -> list:
    settings = request.settings
    ckpt = load(request.path, request.framing)
    engine = ctx.engine(ckpt)
    stream = Streamer(ctx)
    # The pieces are drawn side by side, one char each per step, so the longest one
    # measures the progress; a gallery ends sooner when every piece is complete.
    lengths: dict[int, int] = {}
    message = f"sampling, up to {settings.max_chars} chars a piece"

    def on_char(index: int, char: str) -> None:
        lengths[index] = lengths.get(index, 0) + 1
        if stream.add(index, char):
            ctx.progress(min(0.99, max(lengths.values()) / settings.max_chars), message)

    try:
        return sample_gallery(
            engine, ckpt.vocab, ckpt.framing, settings, on_char=on_char, cancel=ctx.cancelled, indices=request.indices
        )
    finally:
        stream.flush()


def compare_with_training(request: rq.CompareWithTraining, ctx):
    ckpt = load(request.path)
    fallback = folder_data([ckpt])
    corpus = training_corpus(ckpt, None if fallback is None or is_plain_text(fallback) else fallback)
    if corpus is None:
        return None  # no pieces to compare with: the cards say nothing rather than guess
    found = originality(request.texts, corpus, ctx.cancelled)
    if found is None:
        raise Cancelled()
    return found


def breed(request: rq.Breed, ctx) -> rq.BreedOutcome:
    """Breed, judge, save and register the child, all in the worker: the GUI gets its record."""
    a, b = load(request.a.path), load(request.b.path)
    check_cancel(ctx)
    ancestor = ancestor_of(a, b)
    alignment = None
    if request.align:  # B re-ordered to match A; same function, and the child's lineage says so
        ctx.progress(0.02, "aligning B to A")
        alignment = align_to(a, b, residual=True)
        b = stand_in(b, alignment)
    ctx.progress(0.05, "breeding")
    pair = prepare_pair(a, b)
    child = pair.child(request.recipe, name=request.name)
    copied = pair.copy_of(child)
    if alignment is not None:
        child.lineage = record_alignment(child.lineage, alignment)
    check_cancel(ctx)
    try:
        judgement = judge_child(ctx, PairJudge(a, b, pair=pair, ancestor=ancestor), child)
    except NoHeldOutData as exc:  # bred all the same; the bay says why there is no figure
        judgement, unjudged = None, str(exc)
    else:
        unjudged = None
        # The child's own figure and its vigor travel in its file, measured before it is written.
        child.metrics = {"measurements": [judgement.child.to_dict()], "vigor": judgement.vigor.to_dict()}
    target = Path(request.out_dir) / f"{child.name}-{int(time.time())}.pt"
    child.path = save_checkpoint(child, target)
    library = request.library
    record = library.add_bred_child(child, target)
    notes = [framing_note(a, b)]
    if copied is not None:  # said, never silent: the user asked for a cross
        notes.append(copy_note(child, copied, a if copied == "A" else b, request.recipe))
    if judgement is not None:
        # The parents' figures on the pair's data are kept beside their own, never over them.
        measured_for = f"breeding {request.a.name} × {request.b.name}"
        library.add_measurement(request.a.id, {**judgement.parents[0].to_dict(), "measured_for": measured_for})
        library.add_measurement(request.b.id, {**judgement.parents[1].to_dict(), "measured_for": measured_for})
    return rq.BreedOutcome(str(target), record, judgement, " ".join(n for n in notes if n) or None, unjudged)


def judge_child(ctx, judge: PairJudge, child: ArtistCheckpoint, split: str = "val") -> rq.ChildJudgement:
    """The child, its parents and (when its file is at hand) their shared ancestor, all on
    the same pieces of the pair's data; vigor with intervals."""
    data = heldout_data([judge.pair.a, judge.pair.b], split)
    ctx.progress(0.2, f"judging the child against {len(judge.baselines())} baselines")
    judged = judge.judge([child], data, device=ctx.device, cancel=ctx.cancelled)[0]
    parents = judge.parent_measurements(data, device=ctx.device)
    return rq.ChildJudgement(judged.measurement, parents, judged.vigor)


def export(request: rq.ExportCheckpoint, ctx) -> str:
    return str(export_checkpoint(request.record, request.dest))


def scan(request: rq.Scan, ctx) -> rq.ScanOutcome:
    a, b = load(request.path_a), load(request.path_b)
    heldout = heldout_data([a, b], "val")
    runs = 2 if request.align else 1
    points = request.points

    def progress(offset: int):
        return lambda i, n: ctx.progress((offset * n + i) / (runs * n), f"point {offset * n + i}/{runs * n}")

    raw = scan_path(a, b, heldout, points=points, device=ctx.device, progress=progress(0), cancel=ctx.cancelled)
    if not request.align:
        return rq.ScanOutcome(raw)
    b_aligned = stand_in(b, align_to(a, b, residual=True))
    aligned = scan_path(
        a, b_aligned, heldout, points=points, device=ctx.device, progress=progress(1), cancel=ctx.cancelled
    )
    return rq.ScanOutcome(raw, aligned)


def evaluate(request: rq.Evaluate, ctx):
    skip = bool(request.text_file) if request.skip_unknown is None else request.skip_unknown
    ckpt = load(request.path)
    if request.text_file:
        heldout = heldout_for_eval(ckpt, text=Path(request.text_file), split=request.split)
    elif request.corpus:
        heldout = heldout_for_eval(ckpt, corpus=request.corpus, split=request.split)
    else:  # its own classes from its own corpus
        heldout = heldout_data([ckpt], request.split)
    try:
        return evaluate_on(
            ckpt,
            heldout,
            device=str(ctx.device),
            skip_unknown=skip,
            progress=lambda i, n: ctx.progress(i / n, "scoring"),
            cancel=ctx.cancelled,
        )
    except StudioError as exc:  # the dialog's words, not the command line's
        raise StudioError(
            str(exc).replace(
                "pass --skip-unknown to drop them", "tick 'skip chars the model does not know' to drop them"
            )
        ) from None


def train(request: rq.Train, ctx) -> str:
    """A finished run removes its ``.state`` resume sidecar: nothing is left to resume; a
    cancel saves the step reached (the message says where)."""
    loaded = load_corpus(request.corpus)
    check_cancel(ctx)  # reading a corpus takes a while: a cancel need not wait for the first step
    if loaded.skipped_note():
        ctx.progress(0.0, loaded.skipped_note())
    start = load(request.start_path) if request.start_path else None
    steps = request.steps
    # context 0: the corpus's own (long enough for its 95th-percentile piece)
    config = TrainConfig(steps=steps, batch_size=16, context=0, checkpoint_every=max(50, steps // 4))

    def progress(p):
        message = f"step {p.step}/{p.total_steps}, loss {p.loss:.3f}"  # the panel adds the one ETA
        ctx.progress(p.step / p.total_steps, message)
        ctx.partial({"step": p.step, "loss": p.loss})

    result = train_on_corpus(
        loaded,
        request.out,
        config=config,
        shape=ModelShape(**request.shape),
        framing=request.framing,
        start=start,
        name=request.name,
        device=str(ctx.device),
        progress=progress,
        cancel=ctx.cancelled,
    )
    Path(str(result.path) + ".state").unlink(missing_ok=True)
    return str(result.path)


def darwin(request: rq.Darwin, ctx) -> rq.DarwinOutcome:
    """Evolve, save the champion and register it in the library; with ``align`` the log and
    the champion's lineage say B was aligned to A."""
    a, b = load(request.a.path), load(request.b.path)
    fitness, report = heldout_data([a, b], "val"), heldout_data([a, b], "test")
    ancestor = ancestor_of(a, b)
    aligned = {}
    if request.align:  # after the ancestor is found from B's own lineage, as the CLI does
        ctx.progress(0.0, "aligning B to A")
        alignment = align_to(a, b, residual=True)
        b = stand_in(b, alignment)
        aligned = {"align": {"b_to_a": True, **alignment.summary()}}
    context = scoring_context([a, b])[0]

    def progress(p):
        ctx.progress(p.scored / max(1, p.total), f"{p.message}: {p.scored}/{p.total} children")
        if p.best_bpc is not None:
            caption = f"fitness on {fitness.identity.caption()} · ctx {context}"
            ctx.partial(
                {
                    "generation": p.generation,
                    "best_bpc": p.best_bpc,
                    "caption": caption,
                    "parents_bpc": p.parents_bpc,
                    "gen0_bpc": p.gen0_bpc,
                }
            )

    settings = DarwinSettings(population=request.population, generations=request.generations, seed=request.seed)
    evolution = Evolution(
        a,
        b,
        fitness,
        settings,
        report=report,
        ancestor=ancestor,
        device=ctx.device,
        progress=progress,
        cancel=ctx.cancelled,
        scale_gen0=True,
    )
    log = evolution.run()
    log.update(aligned)
    target = Path(request.out_dir) / f"champion_{a.name}__x__{b.name}-{int(time.time())}.pt"
    evolution.champion.checkpoint.metrics = {"vigor": log["report"]["vigor"]}
    evolution.save_champion(target, extra_params=aligned)
    save_log(log, target.with_suffix(".json"))
    library = request.library
    record = library.add_bred_child(evolution.champion.checkpoint, target)
    pair = f"Darwin {request.a.name} × {request.b.name}"
    library.add_measurement(request.a.id, {**log["report"]["measurements"][a.name], "measured_for": pair})
    library.add_measurement(request.b.id, {**log["report"]["measurements"][b.name], "measured_for": pair})
    return rq.DarwinOutcome(str(target), log, record)


def open_paths(request: rq.OpenPaths, ctx) -> list:
    library, reports = request.library, []
    for path in request.paths:
        if Path(path).is_dir():
            progress = lambda i, n: ctx.progress(i / n, f"reading {i}/{n}")  # noqa: E731
            reports.append(library.import_folder(path, read_only=request.read_only, progress=progress))
            continue
        report = ImportReport()
        try:
            report.added.append(library.import_file(path, read_only=request.read_only))
        except UntrustedCheckpointError as exc:
            report.needs_trust.append(str(path))
            if exc.sha256:
                report.trust_sha256[str(path)] = exc.sha256
        except CheckpointError as exc:
            report.failed.append((str(path), str(exc)))
        reports.append(report)
    return reports


def import_file(request: rq.ImportFile, ctx):
    trusted = frozenset({request.trust}) if request.trust else frozenset()
    record = request.library.import_file(
        request.path, trust=trusted, read_only=request.read_only, display_name=request.display_name
    )
    if request.trust:
        state.remember_trust(request.trust)
    return record


def build_family(request: rq.BuildFamily, ctx) -> list:
    def progress(p):
        eta = f", family ETA {p.eta_s / 60:.0f} min" if p.eta_s is not None else ""
        ctx.progress(p.fraction, f"{p.member} ({p.index + 1}/{p.members}) step {p.step}/{p.steps}{eta}")

    return train_family(
        request.corpus,
        Path(request.out),
        size=request.size,
        device=str(ctx.device),
        replicates=request.replicates,
        progress=progress,
        cancel=ctx.cancelled,
        **(request.options or {}),
    )


# -- the nursery ------------------------------------------------------------------------------------


def new_litter(request: rq.NewLitter, ctx) -> rq.LitterOutcome:
    """A session is made here, in the worker: it loads the parents and builds children."""
    a, b = load(request.a_path), load(request.b_path)
    nursery = Nursery(
        a,
        b,
        request.recipe,
        seed=request.settings.seed,
        log_path=request.log_path,
        # the breeding bay's data: the union of the parents' classes, validation split
        heldout=lambda: heldout_data([a, b], "val"),
        align=request.align,
        ancestor=ancestor_of(a, b),  # a baseline of the judge, as in the bay
    )
    ctx.progress(0.01, "breeding the litter")
    litter = nursery.first_litter(size=request.size, spread=request.spread, settings=request.settings)
    return draw_and_judge(nursery, litter, request.settings, ctx)


def next_litter(request: rq.NextLitter, ctx) -> rq.LitterOutcome:
    nursery = _nursery(request.session)
    ctx.progress(0.01, "breeding the litter")
    litter = nursery.next_litter(request.plan, settings=request.settings)
    return draw_and_judge(nursery, litter, request.settings, ctx)


def undo_litter(request: rq.UndoLitter, ctx) -> rq.LitterOutcome:
    nursery = _nursery(request.session)
    return rq.LitterOutcome(nursery, nursery.undo())


def resume_nursery(request: rq.ResumeNursery, ctx) -> rq.LitterOutcome:
    nursery = Nursery.from_log(
        request.log_path, heldout=lambda: heldout_data([nursery.a, nursery.b], "val"), ancestor=ancestor_of
    )
    return rq.LitterOutcome(nursery, nursery.last)


def keep_child(request: rq.KeepChild, ctx):
    """Save a nursery child and register it (with its lineage) in the library, with the
    piece it drew in the litter as its first gallery (the same settings and seed), so the
    kept child shows, and re-draws, what was picked."""
    nursery, litter, kid = _nursery(request.session), request.litter, request.kid
    ctx.progress(0.1, f"saving child {kid.index + 1}")
    path = nursery.keep(kid, request.out_dir)
    record = request.library.add_bred_child(load(str(path)), path)
    if kid.piece:
        settings = litter.sample_settings(kid)
        art = Art(0, settings.label, settings.seed, kid.piece, complete=len(kid.piece) < settings.max_chars)
        request.library.save_gallery(record.id, settings.to_dict(), [art])
    return record


def _nursery(session) -> Nursery:
    if not isinstance(session, Nursery):  # the GUI hands back the session a handler gave it
        raise TypeError("a nursery request names a session the worker did not make")
    return session


def draw_and_judge(nursery: Nursery, litter: Litter, settings: SampleSettings, ctx) -> rq.LitterOutcome:
    """Every child of the litter draws its piece (streamed as ``{"text": {index: chars}}``),
    then the litter is judged (``{"judged": index}`` as each child's figures come)."""
    ctx.partial({"litter": rq.LitterOutcome(nursery, litter)})
    kids = litter.kids
    steps = 2 * len(kids)
    stream = Streamer(ctx, wrap=lambda chunk: {"text": chunk})

    def on_try(kid, attempt: int, why: str) -> None:
        # a new try replaces what the child streamed so far (-1: back to its first try)
        stream.pending.pop(kid.index, None)
        if attempt < 0:
            ctx.partial({"piece": {kid.index: kid.piece}})
            return
        ctx.partial({"piece": {kid.index: ""}})
        what = "a new recipe" if kid.seed is None else f"seed {kid.seed}"
        ctx.progress(kid.index / steps, f"child {kid.index + 1} draws again with {what}: {why}")

    def on_kid(index: int) -> None:
        stream.flush()
        ctx.progress(index / steps, f"child {index + 1} of {len(kids)} draws")

    for kid in kids:
        kid.piece = ""
    nursery.draw_litter(
        litter, settings, device=ctx.device, on_char=stream.add, on_try=on_try, on_kid=on_kid, cancel=ctx.cancelled
    )
    stream.flush()
    ctx.partial({"piece": {kid.index: kid.piece for kid in kids}, "drawn": True})
    # the whole litter in one batched pass (issue 23): each child's figures as if judged alone
    ctx.progress(len(kids) / steps, f"judging the {len(kids)} children")
    nursery.judge_all(
        kids, device=ctx.device, cancel=ctx.cancelled, on_judged=lambda kid: ctx.partial({"judged": kid.index})
    )
    nursery.save_log()  # the pieces and figures join the recipes in the log
    return rq.LitterOutcome(nursery, litter)


HANDLERS: dict[type, Callable[[Any, Any], Any]] = {
    rq.Sample: sample,
    rq.CompareWithTraining: compare_with_training,
    rq.Breed: breed,
    rq.ExportCheckpoint: export,
    rq.Scan: scan,
    rq.Evaluate: evaluate,
    rq.Train: train,
    rq.Darwin: darwin,
    rq.OpenPaths: open_paths,
    rq.ImportFile: import_file,
    rq.BuildFamily: build_family,
    rq.NewLitter: new_litter,
    rq.NextLitter: next_litter,
    rq.UndoLitter: undo_litter,
    rq.ResumeNursery: resume_nursery,
    rq.KeepChild: keep_child,
}
