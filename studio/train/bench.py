"""``darwascii bench train|eval``: plain nGPT-pytorch and ours on the same batch and model.

train: the plain loop is ``loss = model(ids, return_loss=True); backward; step;
norm_weights_()``; ours is the studio's training step (the same, with each
parametrized weight normalized once per step instead of once per use).
eval: nGPT-pytorch's ``model(ids)`` vs the engine's forward (weights normalized once,
fused projections), both over the same windows, in chars scored per second.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.nn.utils import parametrize

from studio.bench import BenchReport, timed
from studio.model.engine import Engine
from studio.model.synthetic import CARD_ARTIST_CONFIG, random_checkpoint


def _batch(vocab_size: int, batch: int, context: int) -> torch.Tensor:
    return torch.randint(0, vocab_size, (batch, context + 1), generator=torch.Generator().manual_seed(0))


def bench_train(report: BenchReport, quick: bool) -> None:
    ckpt = random_checkpoint(**CARD_ARTIST_CONFIG, seed=0)
    batch, context, steps = (8, 128, 2) if quick else (16, 256, 3)
    ids = _batch(len(ckpt.vocab), batch, context)

    def plain() -> None:
        model = ckpt.build_model().train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        for _ in range(steps):
            loss = model(ids, return_loss=True)
            opt.zero_grad()
            loss.backward()
            opt.step()
            model.norm_weights_()

    def ours() -> None:
        model = ckpt.build_model().train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        for _ in range(steps):
            with parametrize.cached():
                logits = model(ids[:, :-1])
                loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            model.norm_weights_()

    # Alternate and keep each side's best run, so neither pays alone for warm-up.
    reference_s = timed(plain)[0]
    ours_s = timed(ours)[0]
    reference_s = min(reference_s, timed(plain)[0])
    ours_s = min(ours_s, timed(ours)[0])
    chars = steps * batch * context
    report.add(f"train {steps} steps x {batch}x{context} (3.2M params)", ours_s, reference_s,
               chars_per_s=round(chars / ours_s), reference_chars_per_s=round(chars / reference_s))


def bench_eval(report: BenchReport, quick: bool) -> None:
    ckpt = random_checkpoint(**CARD_ARTIST_CONFIG, seed=0)
    batch, context = (8, 128) if quick else (16, 256)
    ids = _batch(len(ckpt.vocab), batch, context)[:, :-1]
    model = ckpt.build_model()
    engine = Engine(model)

    def plain():
        with torch.no_grad():
            return model(ids)

    reference_s, expected = timed(plain)
    ours_s, got = timed(lambda: engine.forward(ids))
    reference_s = min(reference_s, timed(plain)[0])  # second runs: both warm
    ours_s = min(ours_s, timed(lambda: engine.forward(ids))[0])
    assert (expected - got).abs().max() < 1e-3  # the same numbers, or the timing means nothing
    chars = batch * context
    report.add(f"eval forward {batch}x{context} (3.2M params)", ours_s, reference_s,
               chars_per_s=round(chars / ours_s), reference_chars_per_s=round(chars / reference_s))
