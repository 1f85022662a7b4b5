"""The engine must match nGPT-pytorch: logits within 1e-4, greedy text identical."""

import pytest
import torch

from studio.model.engine import Engine
from studio.model.sampler import SampleSettings, naive_sample, sample_gallery
from studio.model.synthetic import random_checkpoint
from studio.model.vocab import CONDITIONAL, UNCONDITIONAL

VARIANTS = ["standard", "smith"]


@pytest.fixture(params=[(v, n) for v in VARIANTS for n in (106, 109)], ids=lambda p: f"{p[0]}-{p[1]}")
def model_and_engine(request):
    variant, vocab_size = request.param
    ckpt = random_checkpoint(
        vocab_size=vocab_size, dim=48, depth=2, heads=3, dim_head=16, variant=variant, seed=vocab_size, scale_jitter=0.5
    )
    model = ckpt.build_model()
    return ckpt, model, Engine(model)


def test_logits_match_ngpt_forward_at_every_position(model_and_engine):
    ckpt, model, engine = model_and_engine
    ids = torch.randint(0, len(ckpt.vocab), (3, 57), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        reference = model(ids)
    assert (engine.forward(ids) - reference).abs().max().item() < 1e-4


def test_incremental_decoding_matches_full_forward(model_and_engine):
    ckpt, model, engine = model_and_engine
    ids = torch.randint(0, len(ckpt.vocab), (2, 40), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        reference = model(ids)
    cache = engine.new_cache(2, capacity=4)  # small on purpose: exercises growth
    chunks = [engine.step(ids[:, :13], cache, last_only=False)]
    chunks.append(engine.step(ids[:, 13:20], cache, last_only=False))  # a multi-token step after a prefix
    chunks += [engine.step(ids[:, t : t + 1], cache, last_only=False) for t in range(20, 40)]
    assert (torch.cat(chunks, dim=1) - reference).abs().max().item() < 1e-4


@pytest.mark.parametrize("framing", [CONDITIONAL, UNCONDITIONAL])
def test_greedy_gallery_equals_the_cards_naive_loop(model_and_engine, framing):
    ckpt, model, engine = model_and_engine
    label = "Cats" if framing == CONDITIONAL else None
    arts = sample_gallery(engine, ckpt.vocab, framing, SampleSettings(label=label, count=2, top_k=1, max_chars=60))
    expected = naive_sample(model, ckpt.vocab, framing, label, max_chars=60)
    assert arts[0].text == expected
    assert arts[1].text == expected  # greedy ignores the seed


def test_plain_key_form_model_matches_too():
    ckpt = random_checkpoint(dim=32, depth=1, manual_norm_weights=True, seed=3, scale_jitter=0.3)
    assert any(k.endswith(".linear.weight") for k in ckpt.state_dict)
    model = ckpt.build_model()
    ids = torch.randint(0, len(ckpt.vocab), (1, 20))
    with torch.no_grad():
        assert (Engine(model).forward(ids) - model(ids)).abs().max().item() < 1e-4


# -- the static-capacity cache (the CUDA-graph path, run eagerly here; issue 15) ---------------


def test_static_cache_decoding_matches_ngpt_forward(model_and_engine):
    ckpt, model, engine = model_and_engine
    # 140 steps cross the attention windows' edges (64 and 128 slots of the 256)
    ids = torch.randint(0, len(ckpt.vocab), (3, 140), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        reference = model(ids)
    decoder = engine.static_decoder(3, 140, graph=False)
    assert decoder.batch == 4 and decoder.capacity == 256  # bucketed: padding row, room to spare
    assert decoder.windows == [64, 128, 256]
    feed = torch.zeros(4, dtype=torch.long)
    steps = []
    for t in range(140):
        feed[:3] = ids[:, t]
        steps.append(decoder.step(feed)[:3])
    assert (torch.stack(steps, dim=1) - reference).abs().max().item() < 1e-4
    # the same decoder, reset, decodes a new batch from scratch (old cache entries are masked)
    again = engine.static_decoder(3, 40, graph=False)
    assert again is decoder
    feed[:3] = ids[:, 0]
    assert (again.step(feed)[:3] - reference[:, 0]).abs().max().item() < 1e-4


@pytest.mark.parametrize("framing", [CONDITIONAL, UNCONDITIONAL])
def test_static_greedy_gallery_equals_the_cards_naive_loop(model_and_engine, framing):
    ckpt, model, engine = model_and_engine
    label = "Cats" if framing == CONDITIONAL else None
    settings = SampleSettings(label=label, count=3, top_k=1, max_chars=60)
    arts = sample_gallery(engine, ckpt.vocab, framing, settings, static=True)
    expected = naive_sample(model, ckpt.vocab, framing, label, max_chars=60)
    assert [a.text for a in arts] == [expected] * 3


def test_static_and_dynamic_caches_draw_the_same_sampled_gallery():
    ckpt = random_checkpoint(dim=32, depth=2, heads=2, dim_head=16, seed=5, scale_jitter=0.3)
    engine = Engine(ckpt.build_model())
    settings = SampleSettings(label="Cats", count=5, temperature=0.8, top_k=20, max_chars=80, seed=3)
    dynamic = sample_gallery(engine, ckpt.vocab, CONDITIONAL, settings, static=False)
    static = sample_gallery(engine, ckpt.vocab, CONDITIONAL, settings, static=True)
    assert [(a.text, a.complete) for a in static] == [(a.text, a.complete) for a in dynamic]


def test_static_cache_refuses_to_overflow():
    ckpt = random_checkpoint(dim=32, depth=1, seed=3)
    decoder = Engine(ckpt.build_model()).static_decoder(1, 2, graph=False)
    for _ in range(decoder.capacity):
        decoder.step(torch.zeros(1, dtype=torch.long))
    with pytest.raises(Exception, match="static cache"):
        decoder.step(torch.zeros(1, dtype=torch.long))


def test_decoding_past_the_training_context_attends_to_the_last_window():
    """With one layer, a step that attends to the last W cached positions computes exactly
    what a fresh forward over those W tokens does (rotary attention is relative), in the
    growing cache and in the static decoder alike; a checkpoint's engine takes W from its
    recorded training context."""
    ckpt = random_checkpoint(dim=32, depth=1, heads=2, dim_head=16, seed=5)
    ckpt.extra = {"recipe": {"train": {"context": 8}}}
    engine = Engine.from_checkpoint(ckpt)
    assert engine.window == 8
    ids = torch.randint(0, 100, (1, 20), generator=torch.Generator().manual_seed(0))
    cache = engine.new_cache(1, 32)
    for position in range(20):
        logits = engine.step(ids[:, position : position + 1], cache)
    fresh = engine.forward(ids[:, -8:])[:, -1]
    assert torch.allclose(logits, fresh, atol=1e-5)
    decoder = engine.static_decoder(1, 32)
    for position in range(20):
        static_logits = decoder.step(ids[:, position])[:1]
    assert torch.allclose(static_logits, fresh, atol=1e-5)
    # without a recorded context, every position is attended to (the card's checkpoints)
    assert Engine.from_checkpoint(random_checkpoint(dim=32, depth=1, heads=2, dim_head=16)).window is None
