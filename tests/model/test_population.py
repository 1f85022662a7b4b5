"""A population (several models stacked, one batched forward) gives each model exactly
what it gets alone, and matches nGPT-pytorch."""

import numpy as np
import pytest
import torch

from studio.errors import StudioError
from studio.model.engine import Engine, Population
from studio.model.synthetic import random_checkpoint


@pytest.mark.parametrize("variant", ["standard", "smith"])
def test_population_forward_is_each_models_own_forward(variant):
    ckpts = [
        random_checkpoint(
            vocab_size=40, dim=48, depth=2, heads=3, dim_head=16, variant=variant, seed=s, scale_jitter=0.5
        )
        for s in range(3)
    ]
    models = [c.build_model() for c in ckpts]
    engines = [Engine(m) for m in models]
    ids = torch.randint(0, 40, (4, 33), generator=torch.Generator().manual_seed(0))
    together = Population(engines).forward(ids)
    assert together.shape == (3, 4, 33, 40)
    for i, (engine, model) in enumerate(zip(engines, models)):
        # the same operations per slice: bitwise the same numbers as the model alone
        assert torch.equal(together[i], engine.forward(ids))
        with torch.no_grad():
            assert (together[i] - model(ids)).abs().max().item() < 1e-4


def test_population_refuses_models_of_different_shapes():
    small = Engine(random_checkpoint(dim=32, depth=1, seed=0).build_model())
    deeper = Engine(random_checkpoint(dim=32, depth=2, seed=1).build_model())
    with pytest.raises(StudioError, match="share architecture"):
        Population([small, deeper])
    with pytest.raises(StudioError, match="at least one"):
        Population([])


# -- the judge scores a population in one pass ---------------------------------------------


def _heldout(vocab, chars: int = 900):
    from studio.model.judge import heldout_from_text

    rng = torch.Generator().manual_seed(7)
    usable = [c for c in vocab.chars if c.isprintable()]
    text = "".join(usable[int(i)] for i in torch.randint(0, len(usable), (chars,), generator=rng))
    return heldout_from_text(text, "random.txt")


def test_scoring_models_together_equals_scoring_each_alone():
    from studio.model.judge import score_models, score_pieces
    from studio.model.synthetic import ascii_vocab

    vocab = ascii_vocab(60)
    ckpts = [random_checkpoint(vocab=vocab, dim=32, depth=2, seed=s, scale_jitter=0.4) for s in range(3)]
    # a fourth model of another shape is scored in its own pass
    ckpts.append(random_checkpoint(vocab=vocab, dim=48, depth=1, heads=3, seed=9))
    heldout = _heldout(vocab)
    together = score_models(ckpts, heldout, context=64, batch_size=4)
    for ckpt, scores in zip(ckpts, together):
        alone = score_pieces(Engine(ckpt.build_model()).forward, vocab, heldout, context=64, batch_size=4)
        assert np.array_equal(scores.nats, alone.nats) and np.array_equal(scores.chars, alone.chars)
        assert scores.bpc == alone.bpc
    assert len({s.bpc for s in together}) == 4  # four different models, four different figures


def test_a_score_does_not_depend_on_the_cpu_threads():
    from studio.model.judge import score_pieces
    from studio.model.synthetic import ascii_vocab

    vocab = ascii_vocab(60)
    engine = Engine(random_checkpoint(vocab=vocab, dim=32, depth=2, seed=1).build_model())
    heldout = _heldout(vocab, 600)
    previous = torch.get_num_threads()
    try:
        runs = []
        for threads in (1, 2):
            torch.set_num_threads(threads)
            runs.append(score_pieces(engine.forward, vocab, heldout, context=64, batch_size=4).nats)
    finally:
        torch.set_num_threads(previous)
    # bitwise equal on the machines we measured; a tolerance keeps other BLAS builds honest
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-9, atol=0)


def test_thread_choice_keeps_the_faster_and_measures_the_other_again():
    from studio.model.scoring import ThreadChoice

    choice = ThreadChoice(retry_every=4)
    choice.candidates = lambda: (1, 2)
    choice.calls = 1  # past the warm-up call
    choice.cost = {1: 1.0, 2: 5.0}
    picks = []
    for _ in range(8):
        picks.append(choice.pick())
        choice.calls += 1
    assert picks == [1, 1, 1, 2, 1, 1, 1, 2]  # the slower is tried again every 4th call


def test_engines_of_one_architecture_share_no_weights():
    """Engines are read from one nGPT module per architecture: a later checkpoint's weights
    must not leak into an earlier engine."""
    first, second = (random_checkpoint(dim=32, depth=2, seed=s, scale_jitter=0.3) for s in (11, 12))
    plain = random_checkpoint(dim=32, depth=1, seed=13, manual_norm_weights=True)
    engines = [Engine.from_checkpoint(c) for c in (first, second, plain)]
    ids = torch.randint(0, len(first.vocab), (2, 20), generator=torch.Generator().manual_seed(3))
    Engine.from_checkpoint(random_checkpoint(dim=32, depth=1, seed=14, manual_norm_weights=True))
    for ckpt, engine in zip((first, second, plain), engines):
        assert torch.equal(engine.forward(ids), Engine(ckpt.build_model()).forward(ids))


# -- the compiled forward (opt-in) ---------------------------------------------------------------


@pytest.mark.slow
def test_compiled_forward_matches_ngpt_and_the_eager_forward():
    ckpt = random_checkpoint(vocab_size=40, dim=32, depth=1, heads=2, dim_head=16, seed=21, scale_jitter=0.4)
    model = ckpt.build_model()
    engine = Engine(model)
    ids = torch.randint(0, 40, (2, 24), generator=torch.Generator().manual_seed(0))
    compiled = Population([engine]).compile()
    got = compiled.forward(ids)[0]
    assert compiled.compile_note == ""  # it really compiled (a C++ compiler is at hand here)
    with torch.no_grad():
        assert (got - model(ids)).abs().max().item() < 1e-4
    assert (got - engine.forward(ids)).abs().max().item() < 1e-4
    # another shape runs eagerly (one compiled shape per population), exactly the eager numbers
    assert torch.equal(compiled.forward(ids[:1])[0], engine.forward(ids[:1]))


def test_a_compile_that_fails_falls_back_to_the_eager_forward(monkeypatch):
    engine = Engine(random_checkpoint(dim=32, depth=1, seed=22).build_model())
    ids = torch.randint(0, len(engine.embed), (2, 12), generator=torch.Generator().manual_seed(1))

    def broken(fn, **kwargs):
        def run(*args):
            raise RuntimeError("no C++ compiler")

        return run

    monkeypatch.setattr(torch, "compile", broken)
    population = Population([engine]).compile()
    assert torch.equal(population.forward(ids)[0], engine.forward(ids))
    assert "compile failed" in population.compile_note
