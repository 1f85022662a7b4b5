"""Training an artist: a stream of framed pieces, cut into windows, AdamW, nGPT norms.

Read top to bottom: build the stream, build the model, loop. The pieces (framed
``SOL label SEP art EOA`` or ``SOL art EOA``) are shuffled and concatenated into
one stream; each step draws ``batch_size`` windows of ``context + 1`` chars at
random offsets (the card's "stream_loss" is the loss on such windows). After every
optimizer step the weights are put back on the sphere (``model.norm_weights_()``),
the nGPT way. Learning rate: linear warm-up, then cosine decay to 10%.

Nothing is lost: the checkpoint (card format) and a sidecar with the optimizer and
RNG state (``OUT.pt.state``) are written every ``checkpoint_every`` steps, at the
end, and when the user cancels; ``resume=True`` continues from the sidecar.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F
from torch.nn.utils import parametrize

from studio.errors import Cancelled, StudioError
from studio.fsutil import atomic_write, default_name, remove_stale_temp_files, sha256_file
from studio.model import compat
from studio.model.checkpoint import ArtistCheckpoint, lineage_record, save_checkpoint
from studio.model.engine import Engine, pick_device
from studio.model.judge import HeldOut, measurement_of, score_pieces
from studio.model.vocab import CONDITIONAL, FRAMINGS, Vocab, frame_piece
from studio.train.corpus import Piece, corpus_hash


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 1000
    batch_size: int = 32
    context: int = 256
    lr: float = 2e-3
    min_lr_fraction: float = 0.1
    warmup: int = 50
    weight_decay: float = 0.0  # weights live on the sphere; decay would fight the norm
    seed: int = 0
    checkpoint_every: int = 250
    eval_every: int = 0  # 0: only at the end

    def validate(self) -> None:
        for name, high in (("steps", 10**9), ("batch_size", 65536), ("context", 1 << 20)):
            value = getattr(self, name)
            if not 1 <= value <= high:
                raise StudioError(f"{name.replace('_', ' ')} must be between 1 and {high:,}, not {value}")
        for name in ("checkpoint_every", "eval_every", "warmup"):
            if getattr(self, name) < 0:
                raise StudioError(f"{name.replace('_', ' ')} must be 0 or more, not {getattr(self, name)}")
        if not math.isfinite(self.lr) or self.lr <= 0:
            raise StudioError(f"the learning rate must be a positive finite number, not {self.lr}")
        if not math.isfinite(self.min_lr_fraction) or not 0 <= self.min_lr_fraction <= 1:
            raise StudioError(f"the minimum learning-rate fraction must be in [0, 1], not {self.min_lr_fraction}")
        if not math.isfinite(self.weight_decay) or self.weight_decay < 0:
            raise StudioError(f"weight decay must be a finite number, 0 or more, not {self.weight_decay}")


@dataclass(frozen=True)
class ModelShape:
    dim: int = 128
    depth: int = 4
    heads: int = 4
    dim_head: int = 32
    variant: str = compat.STANDARD

    def validate(self) -> None:
        for name in ("dim", "depth", "heads", "dim_head"):
            value = getattr(self, name)
            low, high = compat.SIZE_LIMITS[name]
            if not low <= value <= high:
                raise StudioError(f"--{name.replace('_', '-')} must be between {low} and {high}, not {value}")
        compat.normalize_variant(self.variant)


@dataclass
class TrainProgress:
    step: int
    total_steps: int
    loss: float
    acc: float
    chars_per_s: float
    eta_s: float
    val_bpc: float | None = None


@dataclass
class TrainResult:
    checkpoint: ArtistCheckpoint
    path: Path
    history: list[dict[str, float]] = field(default_factory=list)


def framed_stream(pieces: Sequence[Piece], framing: str, rng: random.Random) -> str:
    order = list(pieces)
    rng.shuffle(order)
    return "".join(frame_piece(p.art, p.label, framing) for p in order)


def learning_rate(step: int, config: TrainConfig) -> float:
    if step < config.warmup:
        return config.lr * (step + 1) / config.warmup
    progress = (step - config.warmup) / max(1, config.steps - config.warmup)
    floor = config.lr * config.min_lr_fraction
    return floor + (config.lr - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def _state_path(out: Path) -> Path:
    return out.with_name(out.name + ".state")


def _read_state(state_file: Path) -> dict[str, Any]:
    """The sidecar of an interrupted run, checked; every problem is one sentence."""
    from studio.fsutil import open_input

    problem = f"{state_file}: is truncated or corrupt, so the run cannot be resumed (train again without --resume)"
    try:
        with open_input(state_file, "rb", what="training state file") as handle:
            state = torch.load(handle, map_location="cpu", weights_only=True)
    except StudioError:
        raise
    except Exception:  # torch raises many types for a bad file
        raise StudioError(problem) from None
    if (
        not isinstance(state, dict)
        or not isinstance(state.get("optimizer"), dict)
        or not isinstance(state.get("step"), int)
        or isinstance(state.get("step"), bool)
        or state["step"] < 0
        or not isinstance(state.get("python_rng"), list)
        or not isinstance(state.get("torch_rng"), torch.Tensor)
        or not isinstance(state.get("history", []), list)
    ):
        raise StudioError(problem)
    return state


def _check_pair(out: Path, state_file: Path, checkpoint: ArtistCheckpoint, state: dict[str, Any]) -> None:
    """The checkpoint and its sidecar must come from the same save, or resuming trains a different model."""
    ck_step = checkpoint.metrics.get("step")
    recorded = state.get("checkpoint_sha256")
    if recorded is not None:
        matched = recorded == sha256_file(out)
    else:  # a sidecar written before the hash was recorded: the steps must agree
        matched = ck_step == state["step"]
    if not matched:
        raise StudioError(
            f"{out}: the checkpoint (step {ck_step}) and {state_file.name} (step {state['step']}) "
            "are not from the same "
            "save (one was interrupted), so resuming would train a different model; train again without --resume, "
            "or restore both files from a backup"
        )


def _labels(pieces: Sequence[Piece]) -> list[str]:
    return sorted({p.label for p in pieces if p.label})


def train(
    pieces: Sequence[Piece],
    out: str | Path,
    *,
    config: TrainConfig = TrainConfig(),
    shape: ModelShape = ModelShape(),
    framing: str = CONDITIONAL,
    start: ArtistCheckpoint | None = None,
    heldout: HeldOut | None = None,
    corpus_name: str = "custom",
    name: str | None = None,
    device: str | None = "auto",
    resume: bool = False,
    progress: Callable[[TrainProgress], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> TrainResult:
    """Train (or continue training ``start``) on ``pieces`` and write ``out``."""
    config.validate()
    if start is None:
        shape.validate()
    if framing not in FRAMINGS or framing == "text":
        raise StudioError(f"training needs a conditional or unconditional framing, not {framing!r}")
    if not pieces:
        raise StudioError("the corpus has no pieces to train on")
    out = Path(out)
    remove_stale_temp_files(out)  # left by a run that was killed mid-save
    dev = pick_device(device)
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)

    def stop_before_training() -> None:
        # cancelled before the first step: nothing was trained, so nothing is written
        if cancel is not None and cancel():
            raise Cancelled("stopped before the first step; nothing saved")

    texts = [frame_piece(p.art, p.label, framing) for p in pieces]
    stop_before_training()
    if start is not None:
        vocab = start.vocab
        unknown = sorted({c for t in texts for c in vocab.unknown_chars(t)})
        if unknown:
            raise StudioError(
                f"the corpus uses {len(unknown)} chars the starting checkpoint does not know (e.g. {unknown[0]!r})"
            )
        model_config = dict(start.config)
        variant = start.variant
        model = start.build_model("cpu").train()
    else:
        vocab = Vocab.for_corpus(texts)
        model_config = {"num_tokens": len(vocab), "dim": shape.dim, "depth": shape.depth, "heads": shape.heads,
                        "dim_head": shape.dim_head}
        compat.validate_config(model_config)
        variant = shape.variant
        model = compat.build_model(model_config, variant).train()
    model.to(dev)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay, betas=(0.9, 0.95))

    # The stream depends on the seed only, so a resumed run sees the same one.
    stream_ids = torch.tensor(vocab.encode(framed_stream(pieces, framing, rng)), dtype=torch.long)
    stop_before_training()
    step = 0
    history: list[dict[str, float]] = []
    state_file = _state_path(out)
    if resume:
        if not (out.exists() and state_file.exists()):
            raise StudioError(f"{out}: nothing to resume (no checkpoint with a {state_file.name} beside it)")
        from studio.model.checkpoint import load_checkpoint

        previous = load_checkpoint(out)
        state = _read_state(state_file)
        _check_pair(out, state_file, previous, state)
        compat.load_weights(model, previous.state_dict)
        try:
            optimizer.load_state_dict(state["optimizer"])
            rng.setstate(_tuple_state(state["python_rng"]))
            torch.set_rng_state(state["torch_rng"])
        except (ValueError, TypeError, KeyError, IndexError, RuntimeError):
            raise StudioError(f"{state_file}: does not fit this model and run, so it cannot be resumed") from None
        step = int(state["step"])
        history = list(state.get("history", []))

    if len(stream_ids) <= config.context + 1:
        raise StudioError(
            f"the corpus ({len(stream_ids)} chars) is shorter than one training window ({config.context + 1})"
        )

    recipe = {
        "train": asdict(config),
        "shape": asdict(shape) if start is None else {"from": start.name},
        "framing": framing,
        "corpus": corpus_name,
        "corpus_sha256": corpus_hash(pieces),
        "pieces": len(pieces),
        "classes": sorted({p.label for p in pieces if p.label}),
    }
    labels = _labels(pieces) if framing == CONDITIONAL else []
    lineage = None
    if start is not None:
        params = {"corpus": corpus_name, "steps": config.steps, "framing": framing}
        lineage = lineage_record([start], "fork", params, seed=config.seed)

    def snapshot(metrics: dict[str, Any]) -> ArtistCheckpoint:
        state_dict = {k: v.detach().to("cpu").clone() for k, v in model.state_dict().items()}
        return ArtistCheckpoint(
            config=model_config,
            state_dict=state_dict,
            vocab=vocab,
            framing=framing,
            variant=variant,
            labels=labels,
            lineage=lineage,
            metrics=metrics,
            extra={"recipe": recipe},
            name=name or default_name(out),
            framing_source="file",
        )

    def save(metrics: dict[str, Any]) -> ArtistCheckpoint:
        ckpt = snapshot(metrics)
        save_checkpoint(ckpt, out)
        # The sidecar names the checkpoint it belongs to: a pair torn by a kill or a
        # full disk between the two renames is refused on --resume, not trained on.
        state = {
            "optimizer": optimizer.state_dict(),
            "step": step,
            "checkpoint_step": metrics.get("step", step),
            "checkpoint_sha256": sha256_file(out),
            "history": history,
            "python_rng": _list_state(rng.getstate()),
            "torch_rng": torch.get_rng_state(),
        }
        atomic_write(state_file, lambda handle: torch.save(state, handle))
        return ckpt

    def validate(final: bool = False):
        """The judge's measurement on the held-out pieces (their split, at the training context)."""
        if heldout is None or heldout.identity.chars < 2:
            return None
        model.eval()
        engine = Engine(model, device=dev)
        scores = score_pieces(engine.forward, vocab, heldout, context=config.context, skip_unknown=True, device=dev,
                              cancel=cancel)
        model.train()
        return measurement_of(scores, heldout) if final else scores.bpc

    metrics: dict[str, Any] = {}
    started = time.perf_counter()
    start_step = step
    window = config.context + 1
    loss_value = acc_value = float("nan")
    def stop_if_cancelled() -> None:
        """Checked before a step and between its forward and backward passes, so a cancel
        waits for at most half a step (the weights are those of the last whole step)."""
        if cancel is None or not cancel():
            return
        if step == start_step and not resume:
            raise Cancelled("stopped before the first step; nothing saved")
        save({"step": step, "stream_loss": loss_value, "acc": acc_value})
        raise Cancelled(f"saved step {step} to {out}")

    while step < config.steps:
        stop_if_cancelled()
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, config)
        offsets = torch.randint(0, len(stream_ids) - window, (config.batch_size,))
        batch = torch.stack([stream_ids[o : o + window] for o in offsets.tolist()]).to(dev)
        inputs, targets = batch[:, :-1], batch[:, 1:]
        # Normalize each parametrized weight once per step, not once per use.
        with parametrize.cached():
            logits = model(inputs)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        stop_if_cancelled()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        model.norm_weights_()
        step += 1
        loss_value = loss.item()
        acc_value = float((logits.detach().argmax(-1) == targets).float().mean())
        elapsed = time.perf_counter() - started
        done = step - start_step
        chars_per_s = done * config.batch_size * config.context / max(elapsed, 1e-9)
        val_bpc = None
        if config.eval_every and step % config.eval_every == 0 and step < config.steps:
            val_bpc = validate()
        if step % 10 == 0 or step == config.steps:
            history.append({"step": step, "loss": round(loss_value, 5), "acc": round(acc_value, 5)})
        if progress is not None:
            eta = (config.steps - step) * elapsed / max(done, 1)
            progress(TrainProgress(step, config.steps, loss_value, acc_value, chars_per_s, eta, val_bpc))
        if config.checkpoint_every and step % config.checkpoint_every == 0 and step < config.steps:
            save({"step": step, "stream_loss": loss_value, "acc": acc_value})

    measurement = validate(final=True)
    metrics = {"step": step, "stream_loss": round(loss_value, 5), "acc": round(acc_value, 5)}
    if measurement is not None:
        # the scalar for the card's readers, the measurement (with its provenance) for ours
        metrics[f"{measurement.data.split or 'heldout'}_bpc"] = round(measurement.bpc, 5)
        metrics["measurements"] = [measurement.to_dict()]
    ckpt = save(metrics)
    ckpt.path = out
    return TrainResult(ckpt, out, history)


def _list_state(state: Any) -> Any:
    """random.Random state as nested lists (weights_only torch.load reads lists, not tuples)."""
    if isinstance(state, tuple):
        return [_list_state(s) for s in state]
    return state


def _tuple_state(state: Any) -> Any:
    if isinstance(state, list):
        return tuple(_tuple_state(s) for s in state)
    return state
