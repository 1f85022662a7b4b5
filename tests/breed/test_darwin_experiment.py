"""darwin-experiment replicates over retrained parents and says what racing changed."""

import json

from studio.cli import main
from studio.model.checkpoint import save_checkpoint
from studio.model.synthetic import random_checkpoint


def _artist(seed, classes):
    ckpt = random_checkpoint(dim=32, depth=1, heads=2, dim_head=16, seed=seed)
    ckpt.labels = list(classes)
    ckpt.extra = {"recipe": {"corpus": "builtin", "classes": list(classes), "train": {"context": 64}}}
    return ckpt


def test_the_experiment_replicates_over_training_seeds_and_compares_racing(tmp_path, capsys):
    family = tmp_path / "family"
    save_checkpoint(_artist(0, ("Cats", "Houses")), family / "ancestor/model.pt")
    for k, root in enumerate((family, family / "replicates/seed1")):
        for path, seed, classes in (
            ("apehex/styleA", 1, ("Cats",)),
            ("apehex/styleB", 2, ("Houses",)),
            ("independent/indA", 3, ("Cats",)),
            ("independent/indB", 4, ("Houses",)),
        ):
            save_checkpoint(_artist(seed + 10 * k, classes), root / path / "model.pt")
    out = tmp_path / "out"
    assert (
        main(
            [
                "darwin-experiment",
                "--family",
                str(family),
                "--replicates",
                "2",
                "--seeds",
                "1",
                "--population",
                "4",
                "--generations",
                "1",
                "--elite",
                "2",
                "-o",
                str(out),
                "--json",
            ]
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["training_seeds"] == [0, 1]
    for arm in summary["arms"].values():
        assert [r["training_seed"] for r in arm["replicates"]] == [0, 1]
        assert len(arm["champion"]["values"]) == 2  # one run per training seed, pooled
        # the two replicates are different parents: their figures differ
        assert arm["replicates"][0]["parents"] != arm["replicates"][1]["parents"]
        race = arm["racing_vs_exhaustive"]
        assert [r["training_seed"] for r in race] == [0, 1]
        assert all(isinstance(r["same_champion"], bool) for r in race)
    assert (out / "darwin_log_shared_train1_seed0.json").exists()
    assert (out / "champion_shared.pt").exists()
