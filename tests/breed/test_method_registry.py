"""A merge method is one module plus one registry line: a toy method registered here
shows up in the CLI's breed flags, Darwin's recipe space, the genealogy and the bay."""

import os
import random
from pathlib import PurePath

import pytest

from studio.breed.darwin import DarwinSettings, Evolution
from studio.breed.methods import METHODS, evolvable
from studio.breed.recipe import BreedRecipe, Option, RecipeDraw
from studio.cli import build_parser, main
from studio.errors import StudioError
from studio.library.genealogy import infer_role, is_breeding_method, layout_method
from studio.model.checkpoint import load_checkpoint, save_checkpoint
from studio.model.judge import heldout_from_text
from studio.model.synthetic import random_checkpoint


class Toy:
    """Keeps parent A, except that every tensor moves ``mix`` of the way to B."""

    name = "toy"
    summary = "a test method"
    options = (
        Option("mix", type=float, default=0.25, low=0.0, high=1.0, help="how much of B"),
        Option("flavour", type=str, default="sweet", choices=("sweet", "sour"), help="no effect"),
    )

    def merge(self, pair, recipe):
        return {k: pair.tensors_a[k] + recipe.mix * (pair.tensors_b[k] - pair.tensors_a[k]) for k in pair.keys}

    def random_recipe(self, draw: RecipeDraw) -> BreedRecipe:
        return BreedRecipe(self.name, mix=draw.amount(), flavour=draw.choice(("sweet", "sour")))


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.setitem(METHODS, "toy", Toy())
    return METHODS["toy"]


@pytest.fixture(scope="module")
def parents():
    shape = dict(dim=32, depth=1, heads=2, dim_head=16)
    return random_checkpoint(**shape, seed=1, name="A"), random_checkpoint(**shape, seed=2, name="B")


def test_the_recipe_takes_the_toy_options_with_their_defaults_and_ranges(toy):
    recipe = BreedRecipe("toy", mix=0.5)
    assert recipe.options == {"mix": 0.5, "flavour": "sweet"}
    assert BreedRecipe.from_dict(recipe.to_dict()) == recipe
    assert BreedRecipe("toy", t=0.3) == BreedRecipe("toy")  # another method's option is dropped
    with pytest.raises(StudioError, match="mix must be between 0 and 1"):
        BreedRecipe("toy", mix=2.0).validate()
    with pytest.raises(StudioError, match="flavour must be one of sweet, sour"):
        BreedRecipe("toy", flavour="bitter").validate()
    with pytest.raises(StudioError, match="no breeding method takes"):
        BreedRecipe("toy", nonsense=1)


def test_the_cli_has_the_toy_flags_and_breeds_with_them(toy, parents, tmp_path, capsys):
    breed_parser = build_parser()._subparsers._group_actions[0].choices["breed"]
    help_text = breed_parser.format_help()
    assert "toy" in help_text and "--mix" in help_text and "--flavour" in help_text
    a, b = (save_checkpoint(p, tmp_path / f"{p.name}.pt") for p in parents)
    out = tmp_path / "child.pt"
    assert main(["breed", str(a), str(b), "--method", "toy", "--mix", "0.75", "--flavour", "sour", "-o", str(out)]) == 0
    child = load_checkpoint(out)
    assert child.lineage["method"] == "toy"
    assert child.lineage["params"] == {"method": "toy", "mix": 0.75, "flavour": "sour"}
    # a flag the chosen method does not take is an error, not silently ignored
    assert main(["breed", str(a), str(b), "--method", "toy", "--granularity", "head", "-o", str(out)]) == 2
    assert "--granularity is not an option of toy" in capsys.readouterr().err


def test_darwin_draws_toy_recipes(toy, parents):
    assert "toy" in evolvable() and "toy" in DarwinSettings().search_methods
    fitness = heldout_from_text("/\\_/\\\n( o.o )\n > ^ <\n" * 8, "text")
    evolution = Evolution(*parents, fitness, DarwinSettings(population=2, generations=1, methods=("toy",)))
    recipes = [evolution.random_recipe() for _ in range(5)]
    assert {r.method for r in recipes} == {"toy"}
    assert all(0.0 <= r.mix <= 1.0 and r.flavour in ("sweet", "sour") for r in recipes)
    drawn = Toy().random_recipe(RecipeDraw(random.Random(0), center=0.5, spread=0.0, depth=1))
    assert drawn.mix == 0.5


def test_the_genealogy_knows_the_toy(toy):
    assert is_breeding_method("toy")
    assert layout_method("child_toy") == "toy"
    lineage = {"method": "toy", "parents": [{"name": "A"}]}
    assert infer_role(PurePath("x/child.pt"), framing="conditional", lineage=lineage) == "bred"


def test_the_bay_shows_the_toy_options(toy, qtbot):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from studio.app.breeding_bay import BreedingBay

    bay = BreedingBay()
    qtbot.addWidget(bay)
    bay.show()
    index = bay.method.findData("toy")
    assert index >= 0
    bay.method.setCurrentIndex(index)
    assert bay.fields["mix"].widget.isVisible() and bay.fields["flavour"].widget.isVisible()
    assert not bay.fields["granularity"].widget.isVisible()
    bay.fields["mix"].editor.setValue(60)  # the slider of an amount in [0, 1]
    bay.fields["flavour"].editor.setCurrentText("sour")
    assert bay.recipe() == BreedRecipe("toy", mix=0.6, flavour="sour")
    # the built-in methods still give the recipes they gave
    bay.method.setCurrentIndex(bay.method.findData("discrete"))
    assert bay.recipe() == BreedRecipe("discrete", granularity="neuron", seed=0)
