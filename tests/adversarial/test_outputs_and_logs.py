"""Outputs never replace inputs (item 5); nursery logs are checked against a schema
before use (items 3 and 8): malformed logs are one sentence, a genome graph cannot
expand without bound (issue 22)."""

import copy
import json

import pytest

from hostile import one_sentence, run_cli, run_main, save_tiny


@pytest.fixture
def parents(tmp_path):
    return save_tiny(tmp_path / "A.pt", seed=1), save_tiny(tmp_path / "B.pt", seed=2)


@pytest.fixture
def log(tmp_path, parents):
    """A real nursery session's log: a first litter and a second bred from a star."""
    from studio.breed.litters import NurseryPlan
    from studio.breed.nursery import Nursery
    from studio.breed.recipe import BreedRecipe
    from studio.model.checkpoint import load_checkpoint

    a, b = (load_checkpoint(p) for p in parents)
    nursery = Nursery(a, b, BreedRecipe("slerp", t=0.3), seed=4, log_path=tmp_path / "nursery.json")
    first = nursery.first_litter(size=2, spread=0.1)
    first.kids[0].starred = True
    nursery.next_litter(NurseryPlan(mode="parents", size=2))
    return tmp_path / "nursery.json"


# -- 5. outputs that replace inputs ------------------------------------------------------


def test_darwin_refuses_a_champion_path_that_is_a_parent(tmp_path, capsys, parents):
    folder = tmp_path / "run"
    a = save_tiny(folder / "champion.pt", seed=1)
    before = a.read_bytes()
    text = tmp_path / "t.txt"
    text.write_text("=^.^= cats " * 40)
    code, out, err = run_main(
        capsys, "darwin", a, parents[1], "--text", text, "--population", "2", "--generations", "1", "-o", folder
    )
    assert code == 2 and one_sentence(err) and "champion.pt" in err and "--force" in err, err
    assert a.read_bytes() == before


def test_nursery_rebuild_refuses_to_write_onto_a_parent_the_log_names(tmp_path, capsys, log, parents):
    before = parents[0].read_bytes()
    code, out, err = run_main(capsys, "nursery-rebuild", log, "g1#1", "-o", parents[0])
    assert code == 2 and one_sentence(err) and "A.pt" in err and "--force" in err, err
    assert parents[0].read_bytes() == before


def test_corpus_import_refuses_to_rewrite_its_input(tmp_path, capsys):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"label": "Cats", "art": "=^.^="}) + "\nnot json\n")
    before = corpus.read_bytes()
    code, out, err = run_main(capsys, "corpus", "import", corpus, "-o", corpus)
    assert code == 2 and one_sentence(err) and "--force" in err, err
    assert corpus.read_bytes() == before  # the bad row is still there: nothing was dropped


# -- 8. malformed nursery logs: one sentence each ----------------------------------------


def _set(path, value):
    def edit(log):
        target = log
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return log

    return edit


_KINDS = {
    "top-level list": lambda log: [log],
    "parents string": _set(["parents"], "mum and dad"),
    "parent number": _set(["parents", 0], 5),
    "parent path number": _set(["parents", 0, "path"], 5),
    "parent sha not hex": _set(["parents", 0, "sha256"], "zz"),
    "litter without kids": lambda log: (log["litters"][0].pop("kids"), log)[1],
    "generation text": _set(["litters", 0, "generation"], "1"),
    "kid index text": _set(["litters", 0, "kids", 0, "index"], "0"),
    "kid parent list": _set(["litters", 1, "kids", 0, "a"], [1]),
    "kid parent later": _set(["litters", 0, "kids", 0, "a"], "g9#1"),
    "kid parent None": _set(["litters", 0, "kids", 0, "b"], None),
    "bpc text": _set(["litters", 0, "kids", 0, "measurement"], {"bpc": "low"}),
    "recipe unknown method": _set(["litters", 0, "kids", 0, "recipe"], {"method": "teleport"}),
    "recipe t text": _set(["recipe"], {"method": "slerp", "t": "half"}),
    "seed 2**70": _set(["seed"], 2**70),
    "settings top_k text": _set(["settings"], {"top_k": "many"}),
    "inline genome 100 deep": lambda log: _deep_inline(log, 100),
}


def _deep_inline(log, depth):
    node = "A"
    for _ in range(depth):
        node = {"a": node, "b": "B", "recipe": {"method": "slerp", "t": 0.5}}
    log["litters"][0]["kids"][0]["a"] = node
    return log


@pytest.mark.parametrize("kind", sorted(_KINDS))
def test_malformed_logs_are_one_sentence(tmp_path, capsys, log, kind):
    data = json.loads(log.read_text())
    data = _KINDS[kind](copy.deepcopy(data))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    code, out, err = run_main(capsys, "nursery-rebuild", bad, "g1#1", "-o", tmp_path / "x.pt")
    assert code == 2 and one_sentence(err) and "bad.json" in err, err
    assert not (tmp_path / "x.pt").exists()


def test_a_log_with_a_settings_object_and_extra_keys_still_rebuilds(tmp_path, capsys, log):
    data = json.loads(log.read_text())
    settings = {"label": "Cats", "temperature": 0.6, "top_k": 20, "top_p": None, "max_chars": 400, "seed": 3}
    data["settings"] = settings
    data["litters"][0]["settings"] = settings
    data["litters"][0]["colour"] = "blue"  # unknown keys are allowed
    log.write_text(json.dumps(data))
    code, out, err = run_main(capsys, "nursery-rebuild", log, "g2#1", "-o", tmp_path / "x.pt")
    assert code == 0, err


# -- 3. a genome graph that expands exponentially ----------------------------------------


def test_a_genome_that_doubles_every_litter_is_refused_before_any_work(tmp_path, log):
    data = json.loads(log.read_text())
    first = data["litters"][0]
    kid = first["kids"][0]
    for generation in range(2, 61):  # each child names the one before as both parents: 2**60 nodes written out
        data["litters"].append(
            {
                **first,
                "generation": generation,
                "kids": [{**kid, "a": f"g{generation - 1}#1", "b": f"g{generation - 1}#1"}],
            }
        )
    data["litters"] = [first] + data["litters"][2:]
    bad = tmp_path / "dag.json"
    bad.write_text(json.dumps(data))
    run = run_cli("nursery-rebuild", bad, "g60#1", "-o", tmp_path / "x.pt", cwd=tmp_path, timeout=60)
    assert run.code == 2 and run.one_sentence and "genome" in run.err, run.err
    assert run.seconds < 30 and run.peak_rss_mb < 800  # before: killed at the 60 s timeout
    assert not (tmp_path / "x.pt").exists()
