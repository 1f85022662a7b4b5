"""Permutation alignment: B's function is unchanged, known answers are found, the CLI records it."""

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from studio.breed.align import Permutations, align, aligned_checkpoint, permute_state
from studio.cli import main
from studio.model.checkpoint import load_checkpoint, save_checkpoint
from studio.model.engine import Engine
from studio.model.synthetic import random_checkpoint

ROOT = Path(__file__).resolve().parents[2]
BUNDLED_A = ROOT / "checkpoints" / "independent" / "indA" / "model.pt"
BUNDLED_B = ROOT / "checkpoints" / "independent" / "indB" / "model.pt"


def _logits(ckpt, ids, dtype=torch.float64):
    """nGPT-pytorch's own forward."""
    model = ckpt.build_model().to(dtype)
    with torch.no_grad():
        return model(ids)


def _assert_same_function(before, after, vocab_size, tol=1e-5):
    """Same logits within ``tol``: in float64, where only the function can differ. In float32
    the studio's engine differs by summation order alone (~1e-5 on logits of size ~6, the
    same as reordering any matmul), so it is held to a relative 1e-5."""
    ids = torch.randint(0, vocab_size, (3, 48), generator=torch.Generator().manual_seed(0))
    assert (_logits(before, ids) - _logits(after, ids)).abs().max().item() <= tol
    x, y = Engine.from_checkpoint(before).forward(ids), Engine.from_checkpoint(after).forward(ids)
    assert (x - y).abs().max().item() <= tol * max(1.0, x.abs().max().item())


def _random_permutations(arch, residual, tied, seed=0, flips=False):
    rng = random.Random(seed)

    def shuffled(n):
        perm = list(range(n))
        rng.shuffle(perm)
        return perm

    if tied:
        heads = [shuffled(arch["heads"])] * arch["depth"]
    else:
        heads = [shuffled(arch["heads"]) for _ in range(arch["depth"])]
    return Permutations(
        heads=heads,
        ff=[shuffled(arch["ff_inner"]) for _ in range(arch["depth"])],
        residual=shuffled(arch["dim"]) if residual else None,
        residual_signs=[rng.choice((-1, 1)) for _ in range(arch["dim"])] if flips else None,
    )


SHAPES = [
    dict(dim=32, depth=1, heads=2, dim_head=16),
    dict(dim=48, depth=2, heads=3, dim_head=16),
    dict(dim=64, depth=2, heads=4, dim_head=16),
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("value_residual", [True, False])
def test_alignment_keeps_the_function_of_random_models(shape, residual, value_residual):
    a = random_checkpoint(**shape, seed=1, scale_jitter=0.3, add_value_residual=value_residual)
    b = random_checkpoint(**shape, seed=2, scale_jitter=0.3, add_value_residual=value_residual)
    alignment = align(a, b, residual=residual)
    assert alignment.converged and alignment.cosine_after > alignment.cosine_before
    assert alignment.head_permutation == ("global" if value_residual else "per layer")
    _assert_same_function(b, aligned_checkpoint(a, b, alignment), len(b.vocab))


def test_alignment_keeps_the_function_of_the_smith_variant():
    a = random_checkpoint(**SHAPES[1], seed=1, scale_jitter=0.3, variant="smith")
    b = random_checkpoint(**SHAPES[1], seed=2, scale_jitter=0.3, variant="smith")
    _assert_same_function(b, aligned_checkpoint(a, b, align(a, b, residual=True)), len(b.vocab))


@pytest.mark.parametrize("residual", [False, True])
def test_alignment_keeps_the_function_of_a_bundled_checkpoint(residual):
    a, b = load_checkpoint(BUNDLED_A), load_checkpoint(BUNDLED_B)  # vocabularies differ (56 and 48 chars)
    alignment = align(a, b, residual=residual)
    assert not alignment.permutations.is_identity()
    _assert_same_function(b, aligned_checkpoint(a, b, alignment), len(b.vocab))


def test_value_residual_ties_the_heads_of_every_layer():
    """Why one head permutation serves all layers: layer l mixes in layer 0's values head by
    head, so permuting the heads of one layer alone changes the function."""
    a = random_checkpoint(**SHAPES[1], seed=1, scale_jitter=0.3)
    arch = a.arch
    ids = torch.randint(0, len(a.vocab), (2, 32), generator=torch.Generator().manual_seed(1))
    one_layer = Permutations.identity(arch, residual=False)
    one_layer.heads[1] = [1, 2, 0]
    moved = replace(a, state_dict=permute_state(a.state_dict, arch, one_layer))
    assert (_logits(a, ids) - _logits(moved, ids)).abs().max().item() > 1e-3
    every_layer = Permutations.identity(arch, residual=False)
    every_layer.heads = [[1, 2, 0]] * arch["depth"]
    _assert_same_function(a, replace(a, state_dict=permute_state(a.state_dict, arch, every_layer)), len(a.vocab))
    # without the value residual, each layer's heads are free
    free = random_checkpoint(**SHAPES[1], seed=1, scale_jitter=0.3, add_value_residual=False)
    _assert_same_function(free, replace(free, state_dict=permute_state(free.state_dict, arch, one_layer)), len(a.vocab))


@pytest.mark.parametrize("residual", [False, True])
def test_aligning_a_model_to_itself_moves_nothing(residual):
    a = load_checkpoint(BUNDLED_A)
    alignment = align(a, a, residual=residual)
    assert alignment.permutations.is_identity() and alignment.sweeps == 1 and alignment.converged
    assert alignment.cosine_after == pytest.approx(1.0)
    assert all(torch.equal(alignment.state_dict[k], a.state_dict[k]) for k in a.state_dict)


@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("value_residual", [True, False])
def test_a_permuted_copy_is_put_back_exactly(residual, value_residual):
    """The known answer: shuffle A's heads, units (and residual stream); alignment undoes it."""
    a = random_checkpoint(
        dim=64, depth=2, heads=4, dim_head=16, seed=5, scale_jitter=0.3, add_value_residual=value_residual
    )
    arch = a.arch
    shuffled = replace(
        a, state_dict=permute_state(a.state_dict, arch, _random_permutations(arch, residual, tied=value_residual))
    )
    assert not all(torch.equal(shuffled.state_dict[k], a.state_dict[k]) for k in a.state_dict)
    alignment = align(a, shuffled, residual=residual)
    assert alignment.cosine_after == pytest.approx(1.0)
    assert all(torch.equal(alignment.state_dict[k], a.state_dict[k]) for k in a.state_dict)


def test_residual_sign_flips_keep_the_function_and_are_undone():
    a = random_checkpoint(dim=64, depth=2, heads=4, dim_head=16, seed=6, scale_jitter=0.3)
    flipped = replace(
        a, state_dict=permute_state(a.state_dict, a.arch, _random_permutations(a.arch, True, True, 4, True))
    )
    _assert_same_function(a, flipped, len(a.vocab))
    alignment = align(a, flipped, residual=True, flips=True)
    assert alignment.permutations.moved()["residual_flips"] > 0
    assert all(torch.allclose(alignment.state_dict[k], a.state_dict[k]) for k in a.state_dict)
    b = random_checkpoint(dim=64, depth=2, heads=4, dim_head=16, seed=7, scale_jitter=0.3)
    _assert_same_function(b, aligned_checkpoint(a, b, align(a, b, residual=True, flips=True)), len(b.vocab))


def test_a_permuted_bundled_checkpoint_is_put_back_exactly():
    a = load_checkpoint(BUNDLED_A)
    shuffled = replace(a, state_dict=permute_state(a.state_dict, a.arch, _random_permutations(a.arch, True, True, 3)))
    alignment = align(a, shuffled, residual=True)
    assert all(torch.equal(alignment.state_dict[k], a.state_dict[k]) for k in a.state_dict)


def test_residual_alignment_is_refused_for_grouped_hyperspheres():
    a = random_checkpoint(dim=32, depth=1, heads=2, dim_head=16, seed=1, num_hyperspheres=2)
    b = random_checkpoint(dim=32, depth=1, heads=2, dim_head=16, seed=2, num_hyperspheres=2)
    with pytest.raises(Exception, match="num_hyperspheres"):
        align(a, b, residual=True)
    alignment = align(a, b)  # heads and units are fine: their normalization is per unit
    with torch.no_grad():
        ids = torch.randint(0, len(a.vocab), (2, 16))
        before = b.build_model()(ids)
        after = aligned_checkpoint(a, b, alignment).build_model()(ids)
    assert (before - after).abs().max().item() <= 1e-5


# -- CLI ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("align")
    a = save_checkpoint(random_checkpoint(**SHAPES[1], vocab_size=100, seed=1, scale_jitter=0.3), folder / "a.pt")
    b = save_checkpoint(random_checkpoint(**SHAPES[1], vocab_size=106, seed=2, scale_jitter=0.3), folder / "b.pt")
    return a, b


def test_cli_align_writes_b_aligned_with_its_lineage(files, tmp_path, capsys):
    a, b = files
    out = tmp_path / "b_aligned.pt"
    assert main(["align", str(a), str(b), "-o", str(out), "--residual", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    aligned = load_checkpoint(out)
    lineage = aligned.lineage
    original = load_checkpoint(b)
    assert lineage["method"] == "align"
    assert [p["sha256"] for p in lineage["parents"]] == [original.sha256, load_checkpoint(a).sha256]
    params = lineage["params"]
    assert params["residual"] and params["digest"] == result["digest"]
    assert Permutations(**params["permutations"]).digest() == params["digest"]
    assert aligned.vocab.chars == original.vocab.chars
    _assert_same_function(original, aligned, len(original.vocab))


def test_cli_align_refuses_a_mismatch_and_writes_nothing(files, tmp_path, capsys):
    a, _ = files
    other = save_checkpoint(random_checkpoint(dim=64, depth=2, heads=4, dim_head=16, seed=3), tmp_path / "o.pt")
    assert main(["align", str(a), str(other), "-o", str(tmp_path / "x.pt")]) == 2
    assert "cannot align" in capsys.readouterr().err and not (tmp_path / "x.pt").exists()


def test_cli_breed_align_records_the_alignment(files, tmp_path, capsys):
    a, b = files
    out = tmp_path / "kid.pt"
    assert main(["breed", str(a), str(b), "--align", "-o", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["align"]["moved"]["ff_units"] > 0
    kid = load_checkpoint(out)
    # the child's parents are the files A and B; the params say B was aligned first, and how
    assert [p["sha256"] for p in kid.lineage["parents"]] == [load_checkpoint(a).sha256, load_checkpoint(b).sha256]
    assert kid.lineage["params"]["align"]["digest"] == result["align"]["digest"]
    assert kid.lineage["method"] == "slerp"
    # the aligned child differs from the raw one
    assert main(["breed", str(a), str(b), "-o", str(tmp_path / "raw.pt")]) == 0
    raw = load_checkpoint(tmp_path / "raw.pt")
    assert not all(torch.equal(raw.state_dict[k], kid.state_dict[k]) for k in raw.state_dict)
    assert main(["breed", str(a), str(b), "--align-residual", "-o", str(tmp_path / "y.pt")]) == 2
    assert "--align-residual goes with --align" in capsys.readouterr().err


def test_cli_darwin_align(files, tmp_path, capsys):
    a, b = files
    data = tmp_path / "data.txt"
    data.write_text("/\\_/\\\n( o.o )\n > ^ <\n" * 20)
    code = main(
        [
            "darwin",
            str(a),
            str(b),
            "--align",
            "--text",
            str(data),
            "--population",
            "3",
            "--generations",
            "1",
            "--elite",
            "1",
            "--context",
            "64",
            "-o",
            str(tmp_path / "run"),
            "--json",
        ]
    )
    assert code == 0, capsys.readouterr().err
    log = json.loads(capsys.readouterr().out)
    assert log["align"]["b_to_a"] and log["align"]["moved"]["ff_units"] > 0
    champion = load_checkpoint(tmp_path / "run" / "champion.pt")
    assert champion.lineage["params"]["align"]["digest"] == log["align"]["digest"]


def test_cli_scan_align_reports_the_alignment(files, tmp_path, capsys):
    a, b = files
    data = tmp_path / "data.txt"
    data.write_text("/\\_/\\\n( o.o )\n > ^ <\n" * 20)
    base = ["scan", str(a), str(b), "--text", str(data), "--points", "3", "--context", "64", "--json"]
    assert main(base + ["--align", "--align-residual"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["align"]["residual"] and len(result["points"]) == 3
