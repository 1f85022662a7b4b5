"""Darwin scores a population in one pass and never scores a model twice on the same data
(issue 23), with the figures it had when every child was scored alone."""

import pytest

from studio.breed import pair_judge as pair_judge_module
from studio.breed.darwin import DarwinSettings, Evolution, weights_fingerprint
from studio.model.engine import Engine
from studio.model.judge import score_pieces
from studio.model.synthetic import random_checkpoint
from studio.train.corpus import build_corpus
from studio.train.heldout import stratified

PIECES = build_corpus(("Cats", "Fish"), per_class=30)
FITNESS = stratified(PIECES, name="tiny", split="train", framing="conditional", chars_per_class=300, seed=0)
REPORT = stratified(PIECES, name="tiny", split="train", framing="conditional", chars_per_class=300, seed=1)
SETTINGS = DarwinSettings(population=4, generations=2, elite=2, seed=5, context=64)


@pytest.fixture()
def parents():
    # fresh weights per test: the process-wide memo of the parents' scores starts empty for them
    seed = next(_seeds)
    a = random_checkpoint(dim=32, depth=2, heads=2, dim_head=16, seed=seed, name="A")
    b = random_checkpoint(dim=32, depth=2, heads=2, dim_head=16, seed=seed + 1, name="B")
    return a, b


_seeds = iter(range(100, 10_000, 2))


def _count_scored(monkeypatch) -> list[int]:
    """How many models each batched pass scored."""
    passes: list[int] = []
    real = pair_judge_module.score_models

    def counting(checkpoints, *args, **kwargs):
        passes.append(len(checkpoints))
        return real(checkpoints, *args, **kwargs)

    monkeypatch.setattr(pair_judge_module, "score_models", counting)
    return passes


def test_every_rung_and_the_report_are_one_pass_each(parents, monkeypatch):
    passes = _count_scored(monkeypatch)
    Evolution(*parents, FITNESS, SETTINGS, report=REPORT).run()
    # the parents; at most one pass per rung and generation (a rung with no new runner has none); the report's four
    assert passes[0] == 2 and passes[-1] == 4
    assert len(passes) <= 1 + 2 * 3 + 1
    assert passes[1] == SETTINGS.population  # every child of generation 0 on the first slice, together


def test_batched_figures_equal_each_child_scored_alone(parents):
    a, b = parents
    evolution = Evolution(a, b, FITNESS, SETTINGS, report=REPORT)
    log = evolution.run()
    champion = evolution.champion.checkpoint
    alone = score_pieces(Engine.from_checkpoint(champion).forward, champion.vocab, REPORT, context=64)
    assert log["report"]["measurements"]["champion"]["bpc"] == round(alone.bpc, 6)
    parent_a = evolution.parent_a
    alone_a = score_pieces(Engine.from_checkpoint(parent_a).forward, parent_a.vocab, FITNESS, context=64)
    assert log["parents"][0]["bpc"] == round(alone_a.bpc, 6)


def test_a_second_run_reuses_the_parents_scores_and_writes_the_same_log(parents, monkeypatch):
    first = Evolution(*parents, FITNESS, SETTINGS, report=REPORT).run()
    passes = _count_scored(monkeypatch)
    again = Evolution(*parents, FITNESS, SETTINGS, report=REPORT).run()
    assert passes[0] != 2  # the parents were not scored again, on either data
    assert passes[-1] == 2  # the report scored only the champion and the gen-0 child
    assert {k: v for k, v in first.items() if k != "elapsed_s"} == {k: v for k, v in again.items() if k != "elapsed_s"}


def test_the_fingerprint_tells_weights_apart(parents):
    a, b = parents
    assert weights_fingerprint(a) == weights_fingerprint(a)
    assert weights_fingerprint(a) != weights_fingerprint(b)


# -- nursery litters and path scans: one pass, the same figures ------------------------------


def test_a_litter_judged_together_has_each_childs_own_figures(parents):
    from studio.breed.nursery import Nursery
    from studio.breed.recipe import BreedRecipe

    a, b = parents
    together = Nursery(a, b, BreedRecipe("slerp", t=0.4), seed=2, heldout=FITNESS)
    kids = together.first_litter(size=3).kids
    seen = []
    together.judge_all(kids, on_judged=lambda kid: seen.append(kid.index))
    assert seen == [0, 1, 2]
    alone = Nursery(a, b, BreedRecipe("slerp", t=0.4), seed=2, heldout=FITNESS)
    for kid, again in zip(kids, alone.first_litter(size=3).kids):
        alone.judge(again)
        assert again.measurement == kid.measurement and again.vigor == kid.vigor


def test_a_scan_scores_each_point_as_it_would_alone(parents):
    from studio.breed.pair import prepare_pair
    from studio.breed.recipe import BreedRecipe
    from studio.breed.scan import scan_path

    a, b = parents
    result = scan_path(a, b, FITNESS, points=3, context=64)
    pair = prepare_pair(a, b)
    for t, bpc in result.points:
        child = pair.child(BreedRecipe("slerp", t=t))
        assert bpc == score_pieces(Engine.from_checkpoint(child).forward, pair.vocab, FITNESS, context=64).bpc
