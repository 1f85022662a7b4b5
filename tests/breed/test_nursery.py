"""The nursery: litters drawn around a recipe, next litters from stars, undo, keep, rebuild."""

import json

import pytest
import torch

from studio.breed.methods import METHODS
from studio.breed.litters import NurseryPlan, recipe_around
from studio.breed.nursery import Nursery
from studio.breed.recipe import BreedRecipe, RecipeDraw
from studio.cli import main
from studio.errors import StudioError
from studio.model.art import SampleSettings
from studio.model.checkpoint import load_checkpoint, save_checkpoint
from studio.model.synthetic import random_checkpoint
from studio.model.variety import drawing_of
from studio.train.heldout import heldout_for


@pytest.fixture(scope="module")
def parent_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("parents")
    paths = []
    for seed, name in ((1, "A"), (2, "B")):
        ckpt = random_checkpoint(dim=32, depth=2, heads=2, dim_head=16, seed=seed, name=name)
        ckpt.labels = ["Cats", "Fish"]
        # trained (they say) on builtin: the judge scores its held-out Cats and Fish
        ckpt.extra = {"recipe": {"corpus": "builtin", "classes": ["Cats", "Fish"], "train": {"context": 64}}}
        paths.append(save_checkpoint(ckpt, folder / f"{name}.pt"))
    return paths


@pytest.fixture
def nursery(parent_files, tmp_path):
    a, b = (load_checkpoint(p) for p in parent_files)
    return Nursery(
        a,
        b,
        BreedRecipe("slerp", t=0.3),
        seed=4,
        log_path=tmp_path / "nursery.json",
        heldout=lambda: heldout_for([a, b], "val"),
    )


def _same_weights(x, y) -> bool:
    return all(torch.equal(x.state_dict[k], y.state_dict[k]) for k in x.state_dict)


@pytest.mark.parametrize("method", list(METHODS))
def test_recipes_are_drawn_around_the_users_recipe(method):
    import random

    base = {
        "slerp": BreedRecipe("slerp", t=0.3),
        "frozen-attn": BreedRecipe("frozen-attn", t=0.3, attn_from="b"),
        "discrete": BreedRecipe("discrete", granularity="head"),
        "lerp": BreedRecipe("lerp", t=0.3),
    }[method]
    draw = RecipeDraw(random.Random(0), center=0.3, spread=0.1, depth=2)
    for _ in range(20):
        recipe = recipe_around(base, draw)
        assert recipe.method == method
        for name, value in recipe.options.items():
            if isinstance(value, float):
                assert 0.2 - 1e-9 <= value <= 0.4 + 1e-9, (name, value)
            if isinstance(value, tuple):
                assert all(0.2 - 1e-9 <= v <= 0.4 + 1e-9 for v in value)
            if isinstance(value, str):  # choices stay as the user set them
                assert value == base.options[name]


def test_a_two_generation_session_with_stars_undo_keep_and_rebuild(nursery, tmp_path):
    first = nursery.first_litter(size=4, spread=0.1, label="Cats", sample_seed=3)
    assert first.generation == 1 and len(first.kids) == 4
    # A litter started without settings logs today's rule: spaces at the model's odds (a
    # log without the key would be read as one from before, drawn with spaces tempered).
    assert first.settings["temper_spaces"] is False and not first.sample_settings().temper_spaces
    assert {k.genome["a"] for k in first.kids} == {"A"} and {k.genome["b"] for k in first.kids} == {"B"}
    settings = SampleSettings(label="Cats", count=1, seed=3, max_chars=40)
    for kid in first.kids:
        nursery.draw(kid, settings)
        measured = nursery.judge(kid)
        assert measured["bpc"] > 0 and measured["interval"]["low"] <= measured["bpc"] <= measured["interval"]["high"]
        assert kid.vigor is not None
    with pytest.raises(StudioError, match="star at least one"):
        nursery.next_litter(NurseryPlan(size=4))
    first.kids[0].starred = first.kids[2].starred = True
    second = nursery.next_litter(NurseryPlan(mode="pairs", size=4, spread=0.1))
    assert second.generation == 2 and second.label == "Cats" and second.seed == 3
    starred = {id(first.kids[0].genome), id(first.kids[2].genome)}
    for kid in second.kids:
        assert id(kid.genome["a"]) in starred
    # undo, then the same stars breed the same litter (seeded by generation and choice)
    recipes = [k.genome["recipe"] for k in second.kids]
    assert nursery.undo() is first
    again = nursery.next_litter(NurseryPlan(mode="pairs", size=4, spread=0.1))
    assert [k.genome["recipe"] for k in again.kids] == recipes
    # each with a parent: the second parent is A or B
    nursery.undo()
    back = nursery.next_litter(NurseryPlan(mode="parents", size=4, spread=0.1))
    assert all(k.genome["b"] in ("A", "B") for k in back.kids)

    kid = back.kids[1]
    nursery.judge(kid)
    path = nursery.keep(kid, tmp_path / "kept")
    kept = load_checkpoint(path)
    assert kept.lineage["method"] == "nursery"
    assert {p["name"] for p in kept.lineage["parents"]} == {"A", "B"}  # the gen-1 parent was never kept
    assert kept.lineage["params"]["litter"] == "g2#2"
    assert kept.metrics["measurements"][0]["bpc"] == kid.measurement["bpc"]
    assert _same_weights(kept, nursery.build(kid))
    # only the kept child was written: the rest live in the log as recipes
    assert [p.name for p in (tmp_path / "kept").iterdir()] == [path.name]
    log = json.loads((tmp_path / "nursery.json").read_text())
    assert [len(lt["kids"]) for lt in log["litters"]] == [4, 4]
    assert log["litters"][1]["kids"][0]["a"].startswith("g1#")

    # any child rebuilds from the log alone, to the same weights
    again = Nursery.from_log(tmp_path / "nursery.json")
    other = back.kids[3]
    assert _same_weights(again.build(again.find("g2#4")), nursery.build(other))
    out = tmp_path / "rebuilt.pt"
    assert main(["nursery-rebuild", str(tmp_path / "nursery.json"), "g2#4", "-o", str(out)]) == 0
    assert _same_weights(load_checkpoint(out), nursery.build(other))


def test_a_child_of_a_kept_child_names_it_as_parent(nursery, tmp_path):
    first = nursery.first_litter(size=3, spread=0.1)
    kept = nursery.keep(first.kids[0], tmp_path)
    first.kids[0].starred = True
    second = nursery.next_litter(NurseryPlan(mode="parents", size=2))
    child = load_checkpoint(nursery.keep(second.kids[0], tmp_path))
    names = [p["name"] for p in child.lineage["parents"]]
    assert load_checkpoint(kept).name in names


def test_blend_lets_bpc_choose_when_nothing_is_starred(nursery):
    first = nursery.first_litter(size=4, spread=0.2)
    with pytest.raises(StudioError, match="no bpc yet"):
        nursery.next_litter(NurseryPlan(blend=1.0, size=4))
    for kid in first.kids:
        nursery.judge(kid)
    best = {id(k.genome) for k in first.ranked()[:2]}
    second = nursery.next_litter(NurseryPlan(blend=1.0, size=6))
    assert all(id(k.genome["a"]) in best for k in second.kids)


def test_plans_out_of_range_are_one_sentence():
    for plan in (NurseryPlan(mode="x"), NurseryPlan(blend=2), NurseryPlan(size=0), NurseryPlan(spread=0.9)):
        with pytest.raises(StudioError):
            plan.validate()


def test_rebuild_cli_refuses_bad_input_with_exit_2(tmp_path, capsys):
    bad = tmp_path / "log.json"
    bad.write_text("{not json")
    assert main(["nursery-rebuild", str(bad), "g1#1", "-o", str(tmp_path / "x.pt")]) == 2
    assert "not a nursery log" in capsys.readouterr().err


def _scripted_draws(nursery, monkeypatch, pieces):
    """Replace drawing by a script: ``pieces(kid, seed)`` is what the child draws."""
    calls = []

    def draw(kid, settings, device="cpu", on_char=None, cancel=None, static=None):
        calls.append((kid.index, json.dumps(kid.genome["recipe"], sort_keys=True), settings.seed))
        kid.piece = pieces(kid, settings.seed)
        return kid.piece

    monkeypatch.setattr(nursery, "draw", draw)
    return calls


CAT, HOUSE, BOAT = " /\\_/\\\n( o.o )\n > ^ <", "  /\\\n /  \\\n|[]  |\n|____|", "   |\\\n   | \\\n___|__\\_\n\\______/"


def test_a_litter_draws_until_its_children_differ(nursery, monkeypatch):
    from studio.breed.litters import RECIPE_TRIES, SEED_TRIES

    settings = SampleSettings(label="Cats", count=1, seed=7, temperature=0.8, top_k=12, max_chars=60)
    litter = nursery.first_litter(size=3, spread=0.1, settings=settings)
    firsts = [json.dumps(k.genome["recipe"], sort_keys=True) for k in litter.kids]
    # child 1 draws a cat; child 2 a cat with its first recipe, a house with any other;
    # child 3 a cat with every recipe and a boat only with seed 7 + 2
    seen = {}

    def pieces(kid, seed):
        key = json.dumps(kid.genome["recipe"], sort_keys=True)
        seen.setdefault(kid.index, []).append(key)
        if kid.index == 1 and key != firsts[1]:
            return HOUSE
        if kid.index == 2 and seed == 9:
            return "  " + BOAT.replace("\n", "\n  ")  # shifted: the margin is not the drawing
        return CAT + ("~" if kid.index else "")  # one char off: the same drawing

    calls = _scripted_draws(nursery, monkeypatch, pieces)
    drawn = nursery.draw_litter(litter, settings)
    assert [k.index for k in litter.kids] == [0, 1, 2]
    assert drawn == len(calls) == 1 + 2 + RECIPE_TRIES + 2
    # child 2: a second recipe, wider than the litter's spread allows, drawn with the litter's seed
    assert litter.kids[1].piece == HOUSE and litter.kids[1].seed is None and calls[2][2] == 7
    assert litter.kids[1].genome["recipe"] != json.loads(firsts[1])
    # child 3: every recipe repeated the cat, so its last recipe drew with seeds 8, then 9
    assert [c[2] for c in calls if c[0] == 2] == [7] * RECIPE_TRIES + [8, 9][:SEED_TRIES]
    assert litter.kids[2].seed == 9 and drawing_of(litter.kids[2].piece) == drawing_of(BOAT)
    assert litter.seed_of(litter.kids[2]) == 9 and litter.sample_settings(litter.kids[2]).seed == 9
    assert litter.same_as() == {}
    # the log says what every child drew with: the litter's settings, and a child's own seed
    log = json.loads(nursery.log_path.read_text())
    assert log["litters"][0]["settings"] == {
        "label": "Cats", "temperature": 0.8, "top_k": 12, "top_p": None, "max_chars": 60, "seed": 7,
        "temper_spaces": False,
    }  # fmt: skip
    assert [k.get("seed") for k in log["litters"][0]["kids"]] == [None, None, 9]
    again = Nursery.from_log(nursery.log_path)
    assert again.last.settings == log["litters"][0]["settings"] and again.last.kids[2].seed == 9
    assert again.last.sample_settings(again.last.kids[2]).temperature == 0.8
    assert not again.last.sample_settings(again.last.kids[2]).temper_spaces
    # A log from before spaces kept their odds says nothing of them: its children drew with
    # tempered spaces, and redraw so.
    del again.last.settings["temper_spaces"]
    assert again.last.sample_settings(again.last.kids[2]).temper_spaces


def test_a_child_that_repeats_after_every_try_keeps_its_first_recipe_and_is_folded(nursery, monkeypatch):
    settings = SampleSettings(label="Cats", count=1, seed=0, max_chars=40)
    litter = nursery.first_litter(size=3, spread=0.1, settings=settings)
    first = [k.genome["recipe"] for k in litter.kids]
    _scripted_draws(nursery, monkeypatch, lambda kid, seed: HOUSE if kid.index == 1 else CAT)
    nursery.draw_litter(litter, settings)
    assert [k.genome["recipe"] for k in litter.kids] == first  # #3 tried, and came back
    assert litter.kids[2].seed is None and litter.kids[2].piece == CAT
    assert litter.same_as() == {2: 0}  # "same as #1"


def test_one_try_a_child_is_the_old_nursery_and_redraws_are_seeded(nursery, monkeypatch):
    settings = SampleSettings(label="Cats", count=1, seed=0, max_chars=40)
    litter = nursery.first_litter(size=4, spread=0.1, settings=settings)
    calls = _scripted_draws(nursery, monkeypatch, lambda kid, seed: CAT)
    assert nursery.draw_litter(litter, settings, recipe_tries=1, seed_tries=0) == 4
    assert litter.same_as() == {1: 0, 2: 0, 3: 0}
    # the same litter redrawn twice tries the same recipes (undo, then the same stars, is the same litter)
    tries = list(calls)
    calls.clear()
    nursery.undo()
    again = nursery.first_litter(size=4, spread=0.1, settings=settings)
    nursery.draw_litter(again, settings)
    calls_a = list(calls)
    calls.clear()
    nursery.undo()
    third = nursery.first_litter(size=4, spread=0.1, settings=settings)
    nursery.draw_litter(third, settings)
    assert calls == calls_a and calls_a[:1] == tries[:1]


def test_an_aligned_nursery_breeds_from_b_aligned_and_rebuilds_so(parent_files, tmp_path):
    from studio.breed.align import align, stand_in
    from studio.breed.pair import prepare_pair

    a, b = (load_checkpoint(p) for p in parent_files)
    nursery = Nursery(a, b, BreedRecipe("slerp", t=0.5), seed=1, log_path=tmp_path / "n.json", align=True)
    litter = nursery.first_litter(size=2, spread=0.0)
    expected = prepare_pair(a, stand_in(b, align(a, b, residual=True))).child(BreedRecipe("slerp", t=0.5))
    plain = prepare_pair(a, b).child(BreedRecipe("slerp", t=0.5))
    built = nursery.build(litter.kids[0])
    assert _same_weights(built, expected) and not _same_weights(built, plain)
    kept = load_checkpoint(nursery.keep(litter.kids[0], tmp_path / "kept"))
    assert kept.lineage["params"]["align"]["b_to_a"] is True
    assert json.loads((tmp_path / "n.json").read_text())["align"] is True
    again = Nursery.from_log(tmp_path / "n.json")
    assert _same_weights(again.build(again.find("g1#2")), nursery.build(litter.kids[1]))
