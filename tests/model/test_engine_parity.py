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
    ckpt = random_checkpoint(vocab_size=vocab_size, dim=48, depth=2, heads=3, dim_head=16, variant=variant, seed=vocab_size, scale_jitter=0.5)
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
