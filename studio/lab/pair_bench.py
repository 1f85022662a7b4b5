"""Benchmark suites over a pair of parents (``darwascii bench darwin``, ``nursery``, ``eval``):
they breed and judge children on the held-out data of ``studio.train``, so they sit
above both (``studio.lab.bench`` runs them by name)."""

from __future__ import annotations

from studio.breed.darwin import DarwinSettings, Evolution
from studio.model.checkpoint import load_checkpoint
from studio.train.heldout import heldout_for

# -- `darwascii bench darwin` ---------------------------------------------------------------------


def bench_darwin(report, quick: bool) -> None:
    """Darwin, exhaustive (the reference: every child on all the fitness data) vs racing
    (ours: successive halving on stratified slices), same seed, in one run.

    1. The bundled pair apehex/styleA x styleB on the builtin corpus (fitness: val,
       report: test), a full Darwin run each way; the racing champion is compared with
       the exhaustive champion's report figure and its 95% bootstrap interval.
    2. The issue's target case (not with --quick): one 16-child generation of 3.2M-param
       parents on 100k chars. The parents are a random card-sized "ancestor" plus small
       independent perturbations (5% of each tensor's spread), a cheap stand-in for two
       forks of one ancestor; the text is the builtin corpus's train split.
    """
    import torch

    from studio.bench import timed
    from studio.model.judge import heldout_from_text
    from studio.model.synthetic import CARD_ARTIST_CONFIG, random_checkpoint
    from studio.model.vocab import frame_piece
    from studio.shipped import shipped_dir
    from studio.train.corpus import split_pieces
    from studio.train.corpora import load_corpus

    import time

    started = time.perf_counter()
    family = shipped_dir("checkpoints")
    if family is not None and (family / "apehex/styleA/model.pt").exists():
        a = load_checkpoint(family / "apehex/styleA/model.pt")
        b = load_checkpoint(family / "apehex/styleB/model.pt")
        data_s, (fitness, test) = timed(lambda: (heldout_for([a, b], "val"), heldout_for([a, b], "test")))
        report.add("darwin: held-out val and test data of the pair (one corpus load)", data_s)
        population, generations = (8, 2) if quick else (16, 2)
        _darwin_pair(
            report,
            f"styleA x styleB, {population} x {generations} gens",
            a,
            b,
            fitness,
            test,
            DarwinSettings(population=population, generations=generations, seed=0),
        )
        report.note(
            f"darwin: the styleA x styleB suite took {time.perf_counter() - started:.1f} s in all "
            "(data, warm-up run, the three timed runs)"
        )
    else:
        report.note("darwin: the bundled checkpoints are not installed; the styleA x styleB comparison is skipped")
    if quick:
        return
    ancestor = random_checkpoint(**CARD_ARTIST_CONFIG, seed=0, name="ancestor")
    forks = []
    for seed, name in ((1, "forkA"), (2, "forkB")):
        fork = random_checkpoint(**CARD_ARTIST_CONFIG, seed=0, name=name)
        generator = torch.Generator().manual_seed(seed)
        fork.state_dict = {
            k: v + 0.05 * v.std(unbiased=False) * torch.randn(v.shape, generator=generator)
            if v.is_floating_point() and v.numel() > 1
            else v
            for k, v in ancestor.state_dict.items()
        }
        forks.append(fork)
    pieces = split_pieces(load_corpus("builtin").pieces)["train"]
    text = "".join(frame_piece(p.art, None, "unconditional") for p in pieces)
    text = "".join(c for c in text if c in set(ancestor.vocab.chars))
    fitness = heldout_from_text(text[:100_000], "builtin-train-100k")
    test = heldout_from_text(text[100_000:110_000], "builtin-train-next-10k")
    _darwin_pair(
        report,
        "3.2M-param forks, 16 children x 1 gen, 100k chars",
        *forks,
        fitness,
        test,
        DarwinSettings(population=16, generations=1, seed=0, context=256),
    )


def _darwin_pair(report, what: str, a, b, fitness, test, settings) -> None:
    """Exhaustive and racing, after one untimed warm-up run of the same pair and data (so
    both find the parents' scores and the CPU thread choice already made, as a second run
    in one process does); then racing once more with the memo of the parents' scores
    emptied, which is what the first run in a fresh process pays."""
    from dataclasses import replace

    from studio.bench import timed
    from studio.breed import darwin

    Evolution(a, b, fitness, replace(settings, population=2, generations=1), report=test).run()
    runs = {}
    for racing in (False, True):
        evolution = Evolution(a, b, fitness, replace(settings, racing=racing), report=test)
        seconds, log = timed(evolution.run)
        runs[racing] = (seconds, log)
    (slow, full), (fast, raced) = runs[False], runs[True]
    figure = full["report"]["measurements"]["champion"]
    ours = raced["report"]["measurements"]["champion"]["bpc"]
    interval = figure["interval"]
    same = full["champion"]["genome"] == raced["champion"]["genome"]
    within = interval["low"] <= ours <= interval["high"]
    generation = [g["forward_chars"] for g in full["generations"]], [g["forward_chars"] for g in raced["generations"]]
    report.add(
        f"darwin {what}: exhaustive vs racing",
        fast,
        slow,
        forward_chars=f"{full['fitness_forward_chars']:,} vs {raced['fitness_forward_chars']:,}",
        fewer_chars=f"{full['fitness_forward_chars'] / raced['fitness_forward_chars']:.1f}x",
        gen_chars_ratio="/".join(f"{x / y:.1f}x" for x, y in zip(*generation)),
        champion_test_bpc=f"{figure['bpc']:.4f} [{interval['low']:.4f}, {interval['high']:.4f}] vs {ours:.4f}",
        same_champion=same,
        within_interval=within,
    )
    darwin._REFERENCE_SCORES.clear()
    cold, log = timed(Evolution(a, b, fitness, replace(settings, racing=True), report=test).run)
    report.add(
        f"darwin {what}: racing, parents not yet scored in this process (ours only)",
        cold,
        same_log=_same_log(log, raced),
    )
    report.note(
        "darwin: exhaustive and racing rows ran after a warm-up run of the pair (parents' scores and the "
        "CPU thread choice kept in the process); the 'not yet scored' row is a first run's cost"
    )


def _same_log(first: dict, second: dict) -> bool:
    return {k: v for k, v in first.items() if k != "elapsed_s"} == {k: v for k, v in second.items() if k != "elapsed_s"}


def bench_nursery(report, quick: bool) -> None:
    """One nursery litter of the bundled pair apehex/styleA x styleB: every child draws
    one piece (label Birds, seed 0, T 0.6, top-k 20, up to 400 chars) and is judged on
    the pair's val data. On CUDA the reference is eager decoding and ours the CUDA-graph
    decoder (the default for a piece); on the CPU there is one way, timed alone.
    """
    import time

    import torch

    from studio.bench import timed
    from studio.breed.nursery import Nursery
    from studio.breed.recipe import BreedRecipe
    from studio.model.art import SampleSettings
    from studio.shipped import shipped_dir

    family = shipped_dir("checkpoints")
    if family is None or not (family / "apehex/styleA/model.pt").exists():
        report.note("nursery: the bundled checkpoints are not installed; skipped")
        return
    a = load_checkpoint(family / "apehex/styleA/model.pt")
    b = load_checkpoint(family / "apehex/styleB/model.pt")
    size = 8  # the litter; --quick changes nothing here
    settings = SampleSettings(label="Birds", count=1, seed=0, temperature=0.6, top_k=20, max_chars=400)
    heldout = heldout_for([a, b], "val")

    def litter(device: str, eager: bool = False, judge_all: bool = True) -> tuple[float, float, list[str]]:
        nursery = Nursery(a, b, BreedRecipe("slerp", t=0.5), heldout=heldout)
        kids = nursery.first_litter(size=size, label="Birds").kids
        nursery.pair_judge.baseline_scores(nursery.judge_data(), device=device)  # once per session, not per litter
        sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

        def draw_all() -> None:
            for kid in kids:
                nursery.draw(kid, settings, device=device, static=False if eager else None)
            sync()

        def judge() -> None:
            if judge_all:
                nursery.judge_all(kids, device=device)
            else:
                for kid in kids:
                    nursery.judge(kid, device=device)
            sync()

        sync()
        draw_s, _ = timed(draw_all)
        judge_s, _ = timed(judge)
        return draw_s, judge_s, [k.piece for k in kids]

    def todays_judging() -> float:
        """A litter judged as before issue 23: one child after another, each with a freshly
        built nGPT module, the forward of then, PyTorch's thread setting, fresh bootstrap weights."""
        import os

        from studio.model.engine import Engine
        from studio.model.judge import _bootstrap_weights, score_pieces
        from studio.train.bench import todays_forward

        nursery = Nursery(a, b, BreedRecipe("slerp", t=0.5), heldout=heldout)
        kids = nursery.first_litter(size=size, label="Birds").kids
        data, judge = nursery.judge_data(), nursery.pair_judge
        baselines = judge.baseline_scores(data, device="cpu")
        for kid in kids:
            nursery.build(kid)
        os.environ["DARWASCII_CPU_THREADS"] = "fixed"
        start = time.perf_counter()
        try:
            for kid in kids:
                ckpt = nursery.build(kid)
                engine = Engine(ckpt.build_model())
                scores = score_pieces(
                    lambda ids, engine=engine: todays_forward(engine, ids),
                    ckpt.vocab,
                    data,
                    context=judge.context,
                    stride=judge.stride,
                )
                _bootstrap_weights.cache_clear()
                judged = judge.verdict(scores, data, baselines)
                kid.measurement, kid.vigor = judged.measurement.to_dict(), judged.vigor
        finally:
            del os.environ["DARWASCII_CPU_THREADS"]
        return time.perf_counter() - start

    draw_s, judge_s, cpu_pieces = litter("cpu")
    today_s = todays_judging()
    # alternate and keep the best of two: on shared cores the load swings within a minute
    one_by_one_s = litter("cpu", judge_all=False)[1]
    judge_s = min(judge_s, litter("cpu")[1])
    one_by_one_s = min(one_by_one_s, litter("cpu", judge_all=False)[1])
    report.add(f"nursery litter of {size} on the CPU: draw one piece each", draw_s)
    report.add(
        f"nursery litter of {size} on the CPU: judge (val, {heldout.identity.chars} chars), "
        "one by one vs one pass (both ours)",
        judge_s,
        one_by_one_s,
    )
    report.add(f"nursery litter of {size} on the CPU: judge, today's path vs ours", judge_s, today_s)
    report.note(
        "nursery: today's path = before issue 23: each child judged alone with a freshly built nGPT "
        "module, the forward of then at PyTorch's thread setting, bootstrap weights made per interval "
        "(the bootstrap's vectorisation is in both)"
    )
    if not torch.cuda.is_available():
        report.note("nursery: CUDA not available: no eager-vs-graph rows")
        return
    litter("cuda")  # warm-up: CUDA context, kernels
    eager_draw, eager_judge, eager_pieces = litter("cuda", eager=True)
    draw_s, judge_s, pieces = litter("cuda")
    report.add(f"nursery litter of {size} on CUDA: draw one piece each, eager vs CUDA graph", draw_s, eager_draw)
    report.add(f"nursery litter of {size} on CUDA: judge each", judge_s, eager_judge)
    report.note(
        f"nursery: pieces equal to the CPU's: CUDA graph {sum(x == y for x, y in zip(pieces, cpu_pieces))}"
        f"/{size}, CUDA eager {sum(x == y for x, y in zip(eager_pieces, cpu_pieces))}/{size}"
    )


# -- `darwascii bench eval` -----------------------------------------------------------------------


def bench_eval(report, quick: bool) -> None:
    """The judge's forward on a bundled dim-96 artist and a population of its children, then
    ``studio.train.bench.bench_eval``'s card-sized row (plain nGPT-pytorch vs ours)."""
    from studio.train import bench as train_bench

    _artist_rows(report, quick)
    train_bench.bench_eval(report, quick)


def _artist_rows(report, quick: bool) -> None:
    """The judge's forward on a bundled dim-96 artist (16 windows of its 128-char context),
    today's path vs ours; then eight children of the bundled pair, one by one vs together."""
    import os

    import torch

    from studio.breed.pair import prepare_pair
    from studio.breed.recipe import BreedRecipe
    from studio.model.checkpoint import load_checkpoint
    from studio.model.engine import Engine, Population
    from studio.model.scoring import CPU_THREADS
    from studio.shipped import shipped_dir
    from studio.train.bench import _batch, _best_of, todays_forward

    family = shipped_dir("checkpoints")
    if family is None or not (family / "apehex/styleA/model.pt").exists():
        report.note("eval: the bundled checkpoints are not installed; no dim-96 artist rows")
        return
    a = load_checkpoint(family / "apehex/styleA/model.pt")
    b = load_checkpoint(family / "apehex/styleB/model.pt")
    engine = Engine.from_checkpoint(a)
    ids = _batch(len(a.vocab), 16, 128)[:, :-1]
    chars = ids.numel()
    assert (todays_forward(engine, ids) - engine.forward(ids)).abs().max() < 1e-4
    runs = 3 if quick else 5
    threads = torch.get_num_threads()

    def ours():
        return CPU_THREADS.run(lambda: engine.forward(ids), chars)

    today_s, ours_s = _best_of(runs, lambda: todays_forward(engine, ids), ours)
    report.add(
        "judge forward, styleA (dim 96) 16x128: today's path vs ours",
        ours_s,
        today_s,
        chars_per_s=round(chars / ours_s),
        reference_chars_per_s=round(chars / today_s),
        ours_threads=CPU_THREADS.best() or threads,
    )
    # the rest at one thread for both sides: on shared cores two threads' timings swing tenfold
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    os.environ["DARWASCII_CPU_THREADS"] = "fixed"
    try:
        today_s, ours_s = _best_of(runs, lambda: todays_forward(engine, ids), ours)
        report.add(
            "judge forward, styleA, both at 1 thread: today's path vs ours",
            ours_s,
            today_s,
            chars_per_s=round(chars / ours_s),
            reference_chars_per_s=round(chars / today_s),
        )
        # a population: eight children of the pair, each forward alone vs one batched forward
        pair = prepare_pair(a, b)
        engines = [Engine.from_checkpoint(pair.child(BreedRecipe("slerp", t=i / 7))) for i in range(8)]
        population = Population(engines)
        ids = _batch(len(pair.vocab), 16, 128)[:, :-1]
        together = population.forward(ids)
        assert all(torch.equal(together[i], e.forward(ids)) for i, e in enumerate(engines))
        alone_s, together_s = _best_of(runs, lambda: [e.forward(ids) for e in engines], lambda: population.forward(ids))
        report.add(
            "judge forward, 8 children of styleA x styleB, 16x128, 1 thread: one by one vs one population",
            together_s,
            alone_s,
            chars_per_s=round(8 * chars / together_s),
        )
        if not quick:
            _compiled_row(report, engine, _batch(len(a.vocab), 16, 128)[:, :-1], runs)
    finally:
        del os.environ["DARWASCII_CPU_THREADS"]
        torch.set_num_threads(previous)
    report.note(
        f"eval: today's path = the judge's forward before issue 23 at PyTorch's {threads} threads; ours "
        "picks its CPU threads by timing its forwards (ours_threads: the count it chose)"
    )


def _compiled_row(report, engine, ids, runs: int) -> None:
    """Eager vs torch.compile'd forward (DARWASCII_COMPILE=1), the compile's warm-up apart."""
    from studio.bench import timed
    from studio.model.engine import Population
    from studio.train.bench import _best_of

    eager, compiled = Population([engine]), Population([engine]).compile()
    warm_s, got = timed(lambda: compiled.forward(ids))
    if compiled.compile_note:
        report.note(f"eval: no compiled row: {compiled.compile_note}")
        return
    assert (got - eager.forward(ids)).abs().max() < 1e-4
    eager_s, compiled_s = _best_of(runs, lambda: eager.forward(ids), lambda: compiled.forward(ids))
    chars = ids.numel()
    report.add(
        "judge forward, styleA, 1 thread: eager vs compiled (DARWASCII_COMPILE=1)",
        compiled_s,
        eager_s,
        chars_per_s=round(chars / compiled_s),
        first_call_with_compile_s=round(warm_s, 1),
        max_logit_diff=f"{(got - eager.forward(ids)).abs().max().item():.1e}",
    )
