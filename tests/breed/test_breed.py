"""Breeding: identities, the sphere, units that move whole, vocab alignment, lineage."""

import subprocess
import sys
import textwrap

import pytest
import torch
import torch.nn.functional as F

from studio.breed import METHODS, BreedRecipe, breed, scan_path
from studio.model.judge import heldout_from_text
from studio.breed.anatomy import role_of
from studio.cli import main
from studio.errors import IncompatibleParentsError
from studio.model.checkpoint import load_checkpoint, save_checkpoint
from studio.model.engine import Engine
from studio.model.sampler import SampleSettings, sample_gallery
from studio.model.synthetic import random_checkpoint

SHAPE = dict(dim=32, depth=2, heads=2, dim_head=16)


@pytest.fixture(scope="module")
def parents(tmp_path_factory):
    folder = tmp_path_factory.mktemp("parents")
    a = random_checkpoint(**SHAPE, vocab_size=106, seed=1, scale_jitter=0.3)
    b = random_checkpoint(**SHAPE, vocab_size=109, seed=2, scale_jitter=0.3)
    a = load_checkpoint(save_checkpoint(a, folder / "A" / "model.pt"))
    b = load_checkpoint(save_checkpoint(b, folder / "B" / "model.pt"))
    return a, b


@pytest.fixture(scope="module")
def same_vocab_parents():
    a = random_checkpoint(**SHAPE, seed=3, scale_jitter=0.3)
    b = random_checkpoint(**SHAPE, seed=4, scale_jitter=0.3)
    return a, b


def _logits(ckpt, ids):
    return Engine.from_checkpoint(ckpt).forward(ids)


@pytest.mark.parametrize("method", ["slerp", "lerp", "frozen-attn"])
def test_t0_is_parent_a_and_t1_is_parent_b(same_vocab_parents, method):
    a, b = same_vocab_parents
    ids = torch.randint(0, len(a.vocab), (2, 20))
    attn = {"frozen-attn": {"attn_from": "a"}}.get(method, {})
    child0 = breed(a, b, BreedRecipe(method=method, t=0.0, **attn))
    assert (_logits(child0, ids) - _logits(a, ids)).abs().max() < 1e-5
    child1 = breed(a, b, BreedRecipe(method=method, t=1.0, attn_from="b"))
    assert (_logits(child1, ids) - _logits(b, ids)).abs().max() < 1e-5
    if method == "slerp":
        assert all(torch.equal(child0.state_dict[k], a.state_dict[k]) for k in a.state_dict)


@pytest.mark.parametrize("method", list(METHODS))
def test_every_unit_vector_stays_on_the_sphere(parents, method):
    child = breed(*parents, BreedRecipe(method=method, t=0.37, t_layers=(0.2, 0.8), seed=5))
    for key, tensor in child.state_dict.items():
        role = role_of(key)
        if role.kind in ("rows", "cols"):
            norms = tensor.norm(dim=0 if role.kind == "cols" else -1)
            assert torch.allclose(norms, torch.ones_like(norms), atol=1e-5), key


def test_slerp_midpoint_is_on_the_great_circle():
    a = F.normalize(torch.randn(5, 8), dim=-1)
    b = F.normalize(torch.randn(5, 8), dim=-1)
    from studio.breed.sphere import slerp_rows

    mid = slerp_rows(a, b, 0.5)
    # the midpoint of a great-circle arc is equidistant from both ends
    assert torch.allclose((mid * a).sum(-1), (mid * b).sum(-1), atol=1e-5)
    assert torch.allclose(slerp_rows(a, a, 0.3), a, atol=1e-6)  # parallel: fallback
    assert torch.allclose(slerp_rows(a, -a, 0.3), a, atol=1e-6)  # antiparallel: nearer end


@pytest.mark.parametrize("attn_from", ["a", "b"])
def test_frozen_attention_is_the_chosen_parent_bit_for_bit(same_vocab_parents, attn_from):
    a, b = same_vocab_parents
    source = a if attn_from == "a" else b
    child = breed(a, b, BreedRecipe(method="frozen-attn", t=0.5, attn_from=attn_from))
    attn_keys = [k for k in child.state_dict if role_of(k).part == "attn"]
    assert attn_keys and any("to_q" in k for k in attn_keys) and any("branch_scale" in k for k in attn_keys)
    for key in attn_keys:
        assert torch.equal(child.state_dict[key], source.state_dict[key]), key
    ff_key = next(k for k in child.state_dict if "to_hidden" in k)
    assert not torch.equal(child.state_dict[ff_key], a.state_dict[ff_key])


def _key(state, fragment, layer=0):
    return next(k for k in state if k.startswith(f"layers.{layer}.") and fragment in k)


@pytest.mark.parametrize("granularity", ["neuron", "head", "layer"])
def test_discrete_units_come_whole_from_one_parent(same_vocab_parents, granularity):
    a, b = same_vocab_parents
    child = breed(a, b, BreedRecipe(method="discrete", granularity=granularity, seed=11)).state_dict
    A, B = a.state_dict, b.state_dict
    # feed-forward unit j: to_hidden row, to_gate row, scales, to_out column
    ff_inner = a.arch["ff_inner"]
    for j in range(ff_inner):
        parts = [
            (_key(A, "to_hidden"), lambda t: t[j]),
            (_key(A, "to_gate"), lambda t: t[j]),
            (_key(A, "hidden_scale"), lambda t: t[j]),
            (_key(A, "gate_scale"), lambda t: t[j]),
            (_key(A, "1.fn.to_out"), lambda t: t[:, j]),
        ]
        sources = {
            "a" if torch.equal(f(child[k]), f(A[k])) else "b" if torch.equal(f(child[k]), f(B[k])) else "?"
            for k, f in parts
        }
        assert len(sources) == 1 and "?" not in sources, (j, sources)
    # attention head h: q, k, v rows, qk_scale entries, out columns
    dh = a.arch["dim_head"]
    for h in range(a.arch["heads"]):
        rows = slice(h * dh, (h + 1) * dh)
        parts = [(_key(A, f"{m}."), lambda t: t[rows]) for m in ("to_q", "to_k", "to_v", "qk_scale")]
        parts.append((_key(A, "0.fn.to_out"), lambda t: t[:, rows]))
        sources = {
            "a" if torch.equal(f(child[k]), f(A[k])) else "b" if torch.equal(f(child[k]), f(B[k])) else "?"
            for k, f in parts
        }
        assert len(sources) == 1 and "?" not in sources, (h, sources)


def test_discrete_is_deterministic_by_seed_and_mixes_parents(same_vocab_parents):
    a, b = same_vocab_parents
    one = breed(a, b, BreedRecipe(method="discrete", seed=1)).state_dict
    again = breed(a, b, BreedRecipe(method="discrete", seed=1)).state_dict
    other = breed(a, b, BreedRecipe(method="discrete", seed=2)).state_dict
    assert all(torch.equal(one[k], again[k]) for k in one)
    assert any(not torch.equal(one[k], other[k]) for k in one)
    key = _key(one, "to_hidden")
    from_a = (one[key] == a.state_dict[key]).all(-1).sum().item()
    assert 0 < from_a < one[key].shape[0]


def test_vocab_alignment_matches_rows_by_character(parents):
    a, b = parents
    child0 = breed(a, b, BreedRecipe(t=0.0))
    child1 = breed(a, b, BreedRecipe(t=1.0))
    assert len(child0.vocab) == 109 and child0.vocab.chars[:106] == a.vocab.chars
    only_b = [c for c in b.vocab.chars if c not in a.vocab.stoi]
    assert only_b
    for key in (
        "token_embed.linear.parametrizations.weight.original",
        "to_logits.linear.parametrizations.weight.original",
    ):
        for char in (a.vocab.chars[10], only_b[0]):
            row = child0.vocab.stoi[char]
            parent = a if char in a.vocab.stoi else b
            assert torch.equal(child0.state_dict[key][row], parent.state_dict[key][parent.vocab.stoi[char]])
            common = a.vocab.chars[10]
            assert torch.equal(
                child1.state_dict[key][child1.vocab.stoi[common]], b.state_dict[key][b.vocab.stoi[common]]
            )
    # a char only B knows keeps B's row at any t
    mid = breed(a, b, BreedRecipe(t=0.5))
    key = "token_embed.linear.parametrizations.weight.original"
    assert torch.allclose(
        mid.state_dict[key][mid.vocab.stoi[only_b[0]]], b.state_dict[key][b.vocab.stoi[only_b[0]]], atol=1e-6
    )


def test_lineage_names_parents_and_their_hashes(parents):
    a, b = parents
    recipe = BreedRecipe(method="discrete", granularity="head", seed=9)
    child = breed(a, b, recipe)
    lineage = child.lineage
    assert [p["name"] for p in lineage["parents"]] == ["A", "B"]
    assert [p["sha256"] for p in lineage["parents"]] == [a.sha256, b.sha256]
    assert lineage["method"] == "discrete" and lineage["params"] == recipe.to_dict() and lineage["seed"] == 9
    assert {"date", "studio_version"} <= set(lineage)


def test_child_loads_with_the_cards_snippet_and_samples(parents, tmp_path):
    child = breed(*parents, BreedRecipe(method="slerp", t=0.3))
    path = save_checkpoint(child, tmp_path / "child.pt")
    snippet = textwrap.dedent(f"""
        import torch, studio.model.compat  # the card's `import ngpt_patch`
        from nGPT_pytorch import nGPT
        ck = torch.load({str(path)!r}, weights_only=False)
        m = nGPT(**ck["config"]); m.load_state_dict(ck["model"]); m.eval()
        assert len(ck["itos"]) == 109 and ck["lineage"]["method"] == "slerp"
    """)
    subprocess.run([sys.executable, "-c", snippet], check=True)
    loaded = load_checkpoint(path)
    arts = sample_gallery(
        Engine.from_checkpoint(loaded),
        loaded.vocab,
        loaded.framing,
        SampleSettings(label="Cats", count=2, max_chars=20),
    )
    assert len(arts) == 2


def test_mismatched_parents_are_refused_and_nothing_is_written(tmp_path, capsys):
    a = save_checkpoint(random_checkpoint(**SHAPE, seed=1), tmp_path / "a.pt")
    other = save_checkpoint(random_checkpoint(dim=64, depth=2, heads=2, dim_head=16, seed=2), tmp_path / "b.pt")
    with pytest.raises(IncompatibleParentsError, match="dim differs"):
        breed(load_checkpoint(a), load_checkpoint(other), BreedRecipe())
    code = main(["breed", str(a), str(other), "--method", "slerp", "-o", str(tmp_path / "child.pt")])
    assert code == 2 and "dim differs" in capsys.readouterr().err
    assert not (tmp_path / "child.pt").exists()
    smith = save_checkpoint(random_checkpoint(**SHAPE, seed=3, variant="smith"), tmp_path / "s.pt")
    assert main(["breed", str(a), str(smith), "-o", str(tmp_path / "child.pt")]) == 2
    assert "variant differs" in capsys.readouterr().err


def test_cli_breed_json(parents, tmp_path, capsys):
    a, b = parents
    code = main(
        [
            "breed",
            str(a.path),
            str(b.path),
            "--method",
            "frozen-attn",
            "--attn-from",
            "b",
            "--t",
            "0.25",
            "-o",
            str(tmp_path / "kid.pt"),
            "--json",
        ]
    )
    import json

    result = json.loads(capsys.readouterr().out)
    assert code == 0 and set(result) == {"child", "method", "params", "parents", "vocab_size"}
    assert result["vocab_size"] == 109 and result["params"]["attn_from"] == "b"
    assert load_checkpoint(tmp_path / "kid.pt").lineage["method"] == "frozen-attn"


TEXT = "/\\_/\\\n( o.o )\n > ^ <\n" * 8


def test_scan_of_a_model_with_itself_has_no_barrier(same_vocab_parents):
    a, _ = same_vocab_parents
    result = scan_path(a, a, heldout_from_text(TEXT, "t"), points=5, context=64)
    assert abs(result.barrier.value) < 1e-6 and result.barrier.verdict.startswith("no barrier")
    assert len(result.points) == 5 and result.context == 64 and result.stride == 32


def test_scan_of_independent_random_models_has_a_barrier(same_vocab_parents):
    result = scan_path(*same_vocab_parents, heldout_from_text(TEXT, "t"), points=5, context=64)
    assert result.barrier.value > 0 and result.barrier.interval.positive  # the bump is beyond noise
    ends = result.points[0][1], result.points[-1][1]
    assert result.barrier.midpoint_excess == pytest.approx(result.points[2][1] - sum(ends) / 2)


def test_a_child_that_is_a_copy_of_a_parent_is_said(parents, tmp_path, capsys):
    import json

    from studio.breed.pair import prepare_pair

    a, b = parents
    pair = prepare_pair(a, b)
    # known answers: t=0 is A and t=1 is B exactly; t=0.5 is neither
    assert pair.copy_of(pair.child(BreedRecipe("slerp", t=0.0))) == "A"
    assert pair.copy_of(pair.child(BreedRecipe("slerp", t=1.0))) == "B"
    assert pair.copy_of(pair.child(BreedRecipe("slerp", t=0.5))) is None
    # depth 2 at layer granularity: 3 coins (2 blocks, the embeddings), so some seed copies one parent whole
    copied = {}
    for seed in range(12):
        child = pair.child(BreedRecipe("discrete", granularity="layer", seed=seed))
        copied.setdefault(pair.copy_of(child), seed)
    assert {"A", "B", None} <= set(copied)
    seed = copied["B"]
    out = tmp_path / "child.pt"
    args = ["breed", str(a.path), str(b.path), "--method", "discrete", "--granularity", "layer"]
    assert main([*args, "--seed", str(seed), "-o", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["copy_of"] == "B" and "exact copy of parent B" in result["note"] and "2 times in 8" in result["note"]
    assert main([*args, "--seed", str(copied[None]), "-o", str(out), "--force"]) == 0
    assert "exact copy" not in capsys.readouterr().out
