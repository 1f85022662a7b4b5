"""The nursery: litters drawn around a recipe, next litters from stars, undo, keep, rebuild."""

import json

import pytest
import torch

from studio.breed.methods import METHODS
from studio.breed.nursery import Nursery, NurseryPlan, recipe_around
from studio.breed.recipe import BreedRecipe, RecipeDraw
from studio.cli import main
from studio.errors import StudioError
from studio.model.art import SampleSettings
from studio.model.checkpoint import load_checkpoint, save_checkpoint
from studio.model.synthetic import random_checkpoint
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
