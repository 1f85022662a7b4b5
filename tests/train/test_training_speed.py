"""Training at accelerator speed (issue 23): bf16 autocast keeps the loss of the float32 path,
and a compile that cannot run falls back to the same computation, eagerly."""

import pytest
import torch

from studio.errors import StudioError
from studio.model.checkpoint import load_checkpoint
from studio.train.corpus import build_corpus
from studio.train.training import AcceleratorPlan, ModelShape, TrainConfig, train

PIECES = build_corpus(("Cats", "Fish"), per_class=40)
SHAPE = ModelShape(dim=32, depth=1, heads=2, dim_head=16)


@pytest.fixture
def one_thread():
    # tiny steps: on shared cores two threads only wait for each other (10x slower here)
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _losses(tmp_path, precision: str, steps: int = 200) -> list[float]:
    config = TrainConfig(
        steps=steps,
        batch_size=4,
        context=16,
        lr=5e-3,
        warmup=10,
        checkpoint_every=0,
        precision=precision,
        compile="off",
    )
    result = train(PIECES, tmp_path / f"{precision}.pt", config=config, shape=SHAPE, device="cpu")
    assert load_checkpoint(result.path).extra["recipe"]["accelerator"]["bf16"] == (precision == "bf16")
    return [h["loss"] for h in result.history]


def test_bf16_autocast_keeps_the_fp32_loss_over_200_steps(tmp_path, one_thread):
    fp32 = _losses(tmp_path, "fp32")
    bf16 = _losses(tmp_path, "bf16")
    assert len(fp32) == len(bf16) == 20  # every 10 steps
    # the same seed and batches: the curves agree to bf16 rounding, and both learn
    assert fp32[-1] < 0.6 * fp32[0]
    late_fp32, late_bf16 = sum(fp32[-5:]) / 5, sum(bf16[-5:]) / 5
    assert abs(late_bf16 - late_fp32) < 0.02 * late_fp32  # measured: 0.1%
    assert max(abs(x - y) for x, y in zip(fp32, bf16)) < 0.05  # measured: 0.01


def test_a_compile_that_fails_falls_back_to_eager(tmp_path, monkeypatch, one_thread):
    def broken(fn, *args, **kwargs):
        def run(*a, **k):
            raise RuntimeError("no compiler here")

        return run

    monkeypatch.setattr(torch, "compile", broken)
    config = TrainConfig(steps=5, batch_size=4, context=32, warmup=1, checkpoint_every=0, compile="on")
    result = train(PIECES, tmp_path / "eager.pt", config=config, shape=SHAPE, device="cpu")
    plan = load_checkpoint(result.path).extra["recipe"]["accelerator"]
    assert plan["compiled"] is False and "compile failed" in plan["note"]
    eager = train(
        PIECES,
        tmp_path / "plain.pt",
        config=TrainConfig(**{**config.__dict__, "compile": "off"}),
        shape=SHAPE,
        device="cpu",
    )
    assert result.history == eager.history  # the same computation


def test_the_plan_for_each_device_and_bad_settings():
    cpu = AcceleratorPlan.for_device(TrainConfig(), torch.device("cpu"))
    assert not cpu.bf16 and not cpu.compiled and not cpu.fused_optimizer  # auto: fp32, eager on the CPU
    assert AcceleratorPlan.for_device(TrainConfig(precision="bf16"), torch.device("cpu")).bf16
    with pytest.raises(StudioError, match="precision"):
        TrainConfig(precision="fp8").validate()
    with pytest.raises(StudioError, match="compile"):
        TrainConfig(compile="yes").validate()
