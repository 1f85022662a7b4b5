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

from studio.bench import BenchReport, timed
from studio.model.engine import Engine
from studio.model.synthetic import CARD_ARTIST_CONFIG, random_checkpoint


def _batch(vocab_size: int, batch: int, context: int) -> torch.Tensor:
    return torch.randint(0, vocab_size, (batch, context + 1), generator=torch.Generator().manual_seed(0))


def bench_train(report: BenchReport, quick: bool) -> None:
    from studio.train.training import AcceleratorPlan, TrainConfig, forward_loss_fn

    ckpt = random_checkpoint(**CARD_ARTIST_CONFIG, seed=0)
    batch, context, steps = (8, 128, 2) if quick else (16, 256, 3)
    ids = _batch(len(ckpt.vocab), batch, context)

    def plain(device: str = "cpu") -> float:
        model = ckpt.build_model(device).train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        batch_ids = ids.to(device)
        for _ in range(steps):
            loss = model(batch_ids, return_loss=True)
            opt.zero_grad()
            loss.backward()
            opt.step()
            model.norm_weights_()
        return float(loss.detach())

    def ours(device: str = "cpu", precision: str = "fp32", compile: str = "off") -> float:
        """The studio's step (studio.train.training.forward_loss_fn) with the plan asked for."""
        dev = torch.device(device)
        model = ckpt.build_model(device).train()
        plan = AcceleratorPlan.for_device(TrainConfig(precision=precision, compile=compile), dev)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, fused=plan.fused_optimizer or None)
        step = forward_loss_fn(model, plan, dev)
        batch_ids = ids.to(device)
        for _ in range(steps):
            _, loss = step(batch_ids[:, :-1], batch_ids[:, 1:])
            opt.zero_grad()
            loss.backward()
            opt.step()
            model.norm_weights_()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        return float(loss.detach())

    # Alternate and keep each side's best run, so neither pays alone for warm-up.
    reference_s = timed(plain)[0]
    ours_s = timed(ours)[0]
    reference_s = min(reference_s, timed(plain)[0])
    ours_s = min(ours_s, timed(ours)[0])
    chars = steps * batch * context
    report.add(
        f"train {steps} steps x {batch}x{context} (3.2M params)",
        ours_s,
        reference_s,
        chars_per_s=round(chars / ours_s),
        reference_chars_per_s=round(chars / reference_s),
    )
    fp32_s, fp32_loss = timed(ours)
    bf16_s, bf16_loss = timed(lambda: ours(precision="bf16"))
    report.add(
        f"train {steps} steps on the CPU: ours fp32 vs ours bf16 autocast",
        bf16_s,
        fp32_s,
        chars_per_s=round(chars / bf16_s),
        loss_fp32=round(fp32_loss, 4),
        loss_bf16=round(bf16_loss, 4),
    )
    if not torch.cuda.is_available():
        report.note(
            "train: CUDA not available: no rows for bf16 autocast + fused AdamW + compiled step on a GPU "
            "(the CPU row above is the same code under autocast; its loss parity over 200 steps is in "
            "tests/train/test_training_speed.py)"
        )
        return
    plain("cuda")  # CUDA context and kernels, for both sides
    reference_s, _ = timed(lambda: plain("cuda"))  # float(loss) waits for the device
    warm_s, _ = timed(lambda: ours("cuda", "auto", "auto"))  # the first compiled step compiles
    ours_s, loss = timed(lambda: ours("cuda", "auto", "auto"))
    report.add(
        f"train {steps} steps on CUDA: plain nGPT-pytorch fp32 vs ours (bf16, fused AdamW, compiled)",
        ours_s,
        reference_s,
        chars_per_s=round(chars / ours_s),
        reference_chars_per_s=round(chars / reference_s),
        first_run_with_compile_s=round(warm_s, 2),
        gpu=torch.cuda.get_device_name(0),
    )


def todays_forward(engine: Engine, ids: torch.Tensor) -> torch.Tensor:
    """The judge's forward as it was before issue 23 (the reference of ``bench eval``): q and k
    normalised one at a time, the value residual halved, every product ``F.linear``.
    Standard nGPT residuals only (the bundled artists)."""
    batch, length = ids.shape
    heads, dim_head = engine.heads, engine.dim_head
    engine._grow_rotary(length)
    rotations = engine._rotations[:length]
    with torch.inference_mode():
        x = F.embedding(ids, engine.embed)
        first_values = None
        for layer in engine.layers:
            fused = F.linear(x, layer.w_qkv).contiguous()
            fused = fused.view(batch, length, 3, heads, dim_head // 2, 2).transpose(1, 3)
            pairs = torch.view_as_complex(fused[:, :, :2]) * rotations
            q = torch.view_as_real(pairs[:, :, 0]).flatten(-2)
            k = torch.view_as_real(pairs[:, :, 1]).flatten(-2)
            v = fused[:, :, 2].flatten(-2)
            if engine.add_value_residual:
                if first_values is None:
                    first_values = v
                else:
                    v = 0.5 * (v + first_values)
            q = F.normalize(q, dim=-1) * layer.qk_weight[:, 0]
            k = F.normalize(k, dim=-1)
            attended = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=1.0)
            attended = attended.transpose(1, 2).reshape(batch, length, heads * dim_head)
            branch = F.normalize(F.linear(attended, layer.w_attn_out), dim=-1)
            x = F.normalize(x.lerp(branch, layer.alpha_attn), dim=-1)
            hidden, gate = F.linear(x, layer.w_ff_in).chunk(2, dim=-1)
            branch = F.normalize(F.linear(F.silu(gate) * hidden, layer.w_ff_out), dim=-1)
            x = F.normalize(x.lerp(branch, layer.alpha_ff), dim=-1)
        return F.linear(x, engine.w_logits)


def _best_of(runs: int, *fns):
    """Each function's best time over ``runs`` alternating rounds (no side pays warm-up alone)."""
    best = [float("inf")] * len(fns)
    for _ in range(runs):
        for i, fn in enumerate(fns):
            best[i] = min(best[i], timed(fn)[0])
    return best


def bench_eval(report: BenchReport, quick: bool) -> None:
    from studio.model.scoring import CPU_THREADS

    ckpt = random_checkpoint(**CARD_ARTIST_CONFIG, seed=0)
    batch, context = (8, 128) if quick else (16, 256)
    ids = _batch(len(ckpt.vocab), batch, context)[:, :-1]
    model = ckpt.build_model()
    engine = Engine(model)

    def plain():
        with torch.no_grad():
            return model(ids)

    reference_s, expected = timed(plain)
    ours_s, got = timed(lambda: CPU_THREADS.run(lambda: engine.forward(ids), ids.numel()))
    reference_s = min(reference_s, timed(plain)[0])  # second runs: both warm
    ours_s = min(ours_s, timed(lambda: CPU_THREADS.run(lambda: engine.forward(ids), ids.numel()))[0])
    assert (expected - got).abs().max() < 1e-3  # the same numbers, or the timing means nothing
    chars = batch * context
    report.add(
        f"eval forward {batch}x{context} (3.2M params): nGPT-pytorch vs ours",
        ours_s,
        reference_s,
        chars_per_s=round(chars / ours_s),
        reference_chars_per_s=round(chars / reference_s),
    )
