"""The family builder: the card's structure from one corpus, resumable, with progress."""

import pytest

from studio.cli import main
from studio.errors import Cancelled, StudioError
from studio.model.checkpoint import load_checkpoint
from studio.model.facts import training_facts
from studio.train.family import build_family, forks_folder, plan, steps_scale_of


def test_the_plan_is_the_cards_structure():
    paths = [m.path for m in plan("system-art", builtin=False)]
    assert paths[0] == "ancestor/model.pt"
    assert {
        "system-art/styleA/model.pt",
        "system-art/styleB/model.pt",
        "uncond/styleA/model.pt",
        "uncond/styleB/model.pt",
        "independent/indA/model.pt",
        "independent/indB/model.pt",
        "controls/ancestor-union/model.pt",
    } <= set(paths)
    assert not any("smith" in p for p in paths)  # the ablation pair belongs to the bundled family
    assert forks_folder("builtin") == "apehex" and forks_folder("/data/ascii-art") == "ascii-art"
    replicated = [m for m in plan("builtin", builtin=True, replicates=3) if m.path.startswith("replicates/")]
    assert len(replicated) == 8 and {m.seed for m in replicated if "styleA" in m.path} == {1001, 2001}
    forks = {m.path: m for m in plan("builtin", builtin=True)}
    assert forks["apehex/styleA/model.pt"].parent == "ancestor/model.pt"


def test_build_resume_and_skip(tmp_path):
    out = tmp_path / "family"
    only = ["ancestor/model", "apehex/styleA"]
    seen = []
    calls = [0]

    def cancel_after_a_few() -> bool:
        calls[0] += 1
        return calls[0] > 8  # twice before training, twice a step: in the ancestor's fourth step

    with pytest.raises(Cancelled):
        build_family(
            "builtin",
            out,
            size="small",
            device="cpu",
            steps_scale=0.01,
            context=64,
            only=only,
            readmes=False,
            cancel=cancel_after_a_few,
        )
    assert (out / "ancestor/model.pt").exists() and (out / "ancestor/model.pt.state").exists()
    results = build_family(
        "builtin",
        out,
        size="small",
        device="cpu",
        steps_scale=0.01,
        context=64,
        only=only,
        readmes=False,
        progress=seen.append,
    )
    assert [r.status for r in results] == ["resumed", "trained"]
    assert not (out / "ancestor/model.pt.state").exists()
    assert seen[-1].fraction == pytest.approx(1.0) and seen[-1].eta_s == pytest.approx(0.0, abs=1e-6)
    fork = load_checkpoint(out / "apehex/styleA/model.pt")
    assert fork.lineage["parents"][0]["name"] == "ancestor"
    assert training_facts(fork).corpus == "builtin-a" and training_facts(fork).context == 64
    again = build_family(
        "builtin", out, size="small", device="cpu", steps_scale=0.01, context=64, only=only, readmes=False
    )
    assert [r.status for r in again] == ["skipped", "skipped"]


def test_a_corpus_without_halves_is_one_sentence(tmp_path):
    corpus = tmp_path / "mine.jsonl"
    corpus.write_text('{"label": "x", "art": "/\\\\\\n\\\\/"}\n' * 3)
    with pytest.raises(StudioError, match="halves"):
        build_family(str(corpus), tmp_path / "f", device="cpu")
    assert main(["family", "--corpus", "builtin-a", "-o", str(tmp_path / "g")]) == 2


def test_replicates_get_the_familys_own_budget(tmp_path):
    """darwin-experiment trains missing replicates with the scale the family was built with
    (read from its styleA fork), so a retrained fork has the budget the bundled fork had."""
    from studio.lab import bundled_family

    bundled = bundled_family()
    fork_steps = load_checkpoint(bundled / "apehex/styleA/model.pt").extra["recipe"]["train"]["steps"]
    assert steps_scale_of(bundled) * 250 == fork_steps  # 250: the plan's styleA steps at scale 1
    assert steps_scale_of(tmp_path) == 1.0  # nothing to read: the plan as written
