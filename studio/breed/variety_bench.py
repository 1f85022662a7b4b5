"""``darwascii bench variety``: how many visibly different drawings a litter and a gallery hold.

Counted with the one definition of "same drawing" (``studio.model.variety``: normalised
edit distance < 0.2 after the margin is removed), on the bundled pair apehex/styleA x
apehex/styleB with the studio's default sampling (T 0.6, top-k 20, up to 800 chars):

- a nursery litter of 8 slerp children around t = 0.5 (spread 0.15), one litter per
  label of the pair (13 labels; 6 with --quick), litter i drawing label i with seed i
  and session seed i. "before" is the nursery's old way (one piece per child, every
  child the same seed); "after" is ``Nursery.draw_litter`` (a child that repeats an
  earlier child's drawing is bred again with a recipe spread further, then drawn with
  the next seeds). Both from the same run, on the same litters' first recipes.
- a 16-piece gallery (seeds 0-15) of each parent and of the t = 0.5 slerp child, per label,
  drawn twice: spaces tempered like every char (the card's sampler, the reference) and
  spaces at the model's odds (the studio's default, ``sampler.token_probabilities``).

Variety is not speed: the rows' time columns say what each way cost (before as the
reference), the details carry the counts.
"""

from __future__ import annotations

import statistics
import time

LITTER = 8
GALLERY = 16


def bench_variety(report, quick: bool) -> None:
    import torch

    threads = torch.get_num_threads()
    # one piece at a time on a 0.46M-parameter model: more threads only wait on each other
    torch.set_num_threads(1)
    try:
        _bench_variety(report, quick)
    finally:
        torch.set_num_threads(threads)


def _bench_variety(report, quick: bool) -> None:
    from studio.breed.litters import RECIPE_TRIES, SEED_TRIES
    from studio.breed.nursery import Nursery
    from studio.breed.recipe import BreedRecipe
    from studio.model.art import SampleSettings
    from studio.model.checkpoint import load_checkpoint
    from studio.model.engine import Engine
    from studio.model.variety import distinct_drawings
    from studio.shipped import shipped_dir

    family = shipped_dir("checkpoints")
    if family is None or not (family / "apehex/styleA/model.pt").exists():
        report.note("variety: the bundled checkpoints are not installed; skipped")
        return
    a = load_checkpoint(family / "apehex/styleA/model.pt")
    b = load_checkpoint(family / "apehex/styleB/model.pt")
    labels = [x for x in a.labels if x] + [x for x in b.labels if x not in a.labels]
    if quick:
        labels = labels[::2][:6]
    base = SampleSettings(temperature=0.6, top_k=20, max_chars=800, count=1)

    def litters(recipe_tries: int, seed_tries: int) -> tuple[float, list[int], int, list[int]]:
        counts, drawn, complete = [], 0, []
        start = time.perf_counter()
        for i, label in enumerate(labels):
            settings = SampleSettings(**{**base.to_dict(), "label": label, "seed": i})
            nursery = Nursery(a, b, BreedRecipe("slerp", t=0.5), seed=i)
            litter = nursery.first_litter(size=LITTER, settings=settings)
            drawn += nursery.draw_litter(litter, settings, recipe_tries=recipe_tries, seed_tries=seed_tries)
            counts.append(distinct_drawings([k.piece for k in litter.kids]))
            # a piece shorter than max chars ended with EOA: a whole drawing
            complete.append(distinct_drawings([k.piece for k in litter.kids if len(k.piece) < settings.max_chars]))
        return time.perf_counter() - start, counts, drawn, complete

    before_s, before, before_drawn, before_complete = litters(1, 0)
    after_s, after, after_drawn, after_complete = litters(RECIPE_TRIES, SEED_TRIES)
    report.add(
        f"nursery litter of {LITTER}: distinct drawings, {len(labels)} litters (before = one piece a child)",
        after_s,
        before_s,
        before_median=statistics.median(before),
        after_median=statistics.median(after),
        before=" ".join(map(str, before)),
        after=" ".join(map(str, after)),
        pieces_drawn=f"{before_drawn} vs {after_drawn}",
        complete_median=f"{statistics.median(before_complete)} vs {statistics.median(after_complete)}",
    )

    pair = Nursery(a, b, BreedRecipe("slerp", t=0.5)).pair
    child = pair.child(BreedRecipe("slerp", t=0.5))
    child.name = "slerp t=0.5 child"
    for artist in (a, b, child):
        engine = Engine.from_checkpoint(artist, device="cpu")
        own = [x for x in labels if x in (artist.labels or labels)]

        # The reference tempers spaces like every char (the card's sampler); ours keeps their odds.
        tempered_s, tempered, tempered_finished = _galleries(engine, artist, own, base, temper_spaces=True)
        kept_s, counts, finished = _galleries(engine, artist, own, base, temper_spaces=False)
        report.add(
            f"gallery of {GALLERY} ({artist.name}): distinct drawings per label (reference: spaces tempered)",
            kept_s,
            tempered_s,
            median=f"{statistics.median(tempered)} vs {statistics.median(counts)}",
            median_complete=f"{statistics.median(tempered_finished)} vs {statistics.median(finished)}",
            counts=" ".join(f"{label}:{n}" for label, n in zip(own, counts)),
            complete=" ".join(f"{label}:{n}" for label, n in zip(own, finished)),
            counts_tempered=" ".join(f"{label}:{n}" for label, n in zip(own, tempered)),
            complete_tempered=" ".join(f"{label}:{n}" for label, n in zip(own, tempered_finished)),
        )
    report.note(
        "variety: distinct = studio.model.variety (normalised edit distance < 0.2 after the margin); complete = "
        "distinct among the pieces that ended (EOA) within max chars; "
        f"T {base.temperature}, top-k {base.top_k}, max {base.max_chars} chars, CPU, one thread"
    )


def _galleries(engine, artist, labels, base, temper_spaces: bool) -> tuple[float, list[int], list[int]]:
    """A 16-piece gallery per label: (seconds, different drawings, different complete ones)."""
    from studio.model.art import SampleSettings
    from studio.model.sampler import sample_gallery
    from studio.model.variety import distinct_drawings

    counts, finished = [], []
    start = time.perf_counter()
    for label in labels:
        settings = SampleSettings(
            **{**base.to_dict(), "label": label, "count": GALLERY, "seed": 0, "temper_spaces": temper_spaces}
        )
        pieces = sample_gallery(engine, artist.vocab, artist.framing, settings)
        counts.append(distinct_drawings([p.text for p in pieces]))
        # a piece cut at max chars (whitespace drift, a run of slashes) is not a drawing
        # a person wants: the complete pieces are counted on their own
        finished.append(distinct_drawings([p.text for p in pieces if p.complete]))
    return time.perf_counter() - start, counts, finished
