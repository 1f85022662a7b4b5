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
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F
from torch.nn.utils import parametrize

from studio.errors import Cancelled, StudioError
from studio.fsutil import atomic_write, default_name, remove_stale_temp_files, sha256_file
from studio.limits import MAX_CONTEXT, MAX_TRAIN_CHARS_PER_STEP
from studio.model import compat
from studio.model.checkpoint import ArtistCheckpoint, lineage_record, save_checkpoint
from studio.model.engine import Engine, pick_device
from studio.model.facts import training_facts
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
    # Accelerator speed: "bf16" runs the forward under bfloat16 autocast (weights, optimizer and
    # loss stay float32), "fp32" does not, "auto" is bf16 on a CUDA device that supports it.
    precision: str = "auto"
    # "on" compiles the forward and loss (torch.compile), "off" does not, "auto" is on for CUDA
    # only (on the CPU the compile's warm-up outweighs what a studio-sized run gains).
    compile: str = "auto"

    def validate(self) -> None:
        for name, high in (("steps", 10**9), ("batch_size", 65536), ("context", MAX_CONTEXT)):
            value = getattr(self, name)
            if not 1 <= value <= high:
                raise StudioError(f"{name.replace('_', ' ')} must be between 1 and {high:,}, not {value}")
        if self.batch_size * self.context > MAX_TRAIN_CHARS_PER_STEP:
            raise StudioError(
                f"batch size x context is {self.batch_size * self.context:,} chars a step, over the "
                f"{MAX_TRAIN_CHARS_PER_STEP:,} that one step's memory allows; lower --batch-size or --context"
            )
        for name in ("checkpoint_every", "eval_every", "warmup"):
            if getattr(self, name) < 0:
                raise StudioError(f"{name.replace('_', ' ')} must be 0 or more, not {getattr(self, name)}")
        if not math.isfinite(self.lr) or self.lr <= 0:
            raise StudioError(f"the learning rate must be a positive finite number, not {self.lr}")
        if not math.isfinite(self.min_lr_fraction) or not 0 <= self.min_lr_fraction <= 1:
            raise StudioError(f"the minimum learning-rate fraction must be in [0, 1], not {self.min_lr_fraction}")
        if not math.isfinite(self.weight_decay) or self.weight_decay < 0:
            raise StudioError(f"weight decay must be a finite number, 0 or more, not {self.weight_decay}")
        if self.precision not in PRECISIONS:
            raise StudioError(f"the precision must be one of {', '.join(PRECISIONS)}, not {self.precision!r}")
        if self.compile not in COMPILE_MODES:
            raise StudioError(f"compile must be one of {', '.join(COMPILE_MODES)}, not {self.compile!r}")


PRECISIONS = ("auto", "fp32", "bf16")
COMPILE_MODES = ("auto", "on", "off")


@dataclass
class AcceleratorPlan:
    """How a run uses its device: what the config asked for, resolved for this device."""

    bf16: bool  # forward under bfloat16 autocast
    fused_optimizer: bool  # AdamW's fused kernels (CUDA)
    compiled: bool  # the forward and loss through torch.compile
    note: str = ""  # why a part is off, when it was asked for

    @classmethod
    def for_device(cls, config: TrainConfig, device: torch.device) -> "AcceleratorPlan":
        cuda = device.type == "cuda"
        bf16_ok = (cuda and torch.cuda.is_bf16_supported()) or device.type == "cpu"
        if config.precision == "bf16" and not bf16_ok:
            raise StudioError(f"bf16 training is not supported on {device}; use --precision fp32")
        bf16 = config.precision == "bf16" or (config.precision == "auto" and cuda and bf16_ok)
        compiled = config.compile == "on" or (config.compile == "auto" and cuda)
        return cls(bf16=bf16, fused_optimizer=cuda, compiled=compiled)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


def _check_same_data(
    out: Path, previous: ArtistCheckpoint, state: dict[str, Any], pieces: Sequence[Piece], vocab: Vocab, framing: str
) -> None:
    """A resumed run trains on the corpus, alphabet and framing it started with.

    The same number of chars is not enough: another corpus of as many chars would map
    every token id to another char and go on training, silently, on the wrong alphabet.
    """
    recipe = previous.extra.get("recipe") if isinstance(previous.extra.get("recipe"), dict) else {}
    recorded = state.get("corpus_sha256") or recipe.get("corpus_sha256")
    if recorded is not None and recorded != corpus_hash(pieces):
        raise StudioError(
            f"{out}: was trained on another corpus ({recipe.get('corpus', 'sha256 ' + str(recorded)[:12])}), so this "
            "one cannot resume it; give the same --corpus, or train again without --resume"
        )
    chars = state.get("vocab")
    chars = tuple(chars) if isinstance(chars, list) else previous.vocab.chars
    if chars != vocab.chars or previous.vocab.chars != vocab.chars:
        raise StudioError(
            f"{out}: its vocabulary ({len(previous.vocab)} chars) is not this corpus's ({len(vocab)} chars, "
            "or the same number of other chars), so resuming would train on the wrong alphabet"
        )
    if state.get("framing", previous.framing) != framing:
        raise StudioError(f"{out}: was trained {previous.framing}, not {framing}; give the same --framing to resume")


def _check_optimizer_fits(optimizer: torch.optim.Optimizer) -> None:
    """Each moment the restored optimizer holds has its parameter's shape (AdamW's
    load_state_dict does not check; the first step would fail deep in torch)."""
    for group in optimizer.param_groups:
        for param in group["params"]:
            for value in optimizer.state.get(param, {}).values():
                if isinstance(value, torch.Tensor) and value.dim() > 0 and value.shape != param.shape:
                    raise ValueError("optimizer state does not match the model")


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
    corpus_source: str | None = None,
    name: str | None = None,
    device: str | None = "auto",
    resume: bool = False,
    progress: Callable[[TrainProgress], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> TrainResult:
    """Train (or continue training ``start``) on ``pieces`` and write ``out``.

    ``corpus_name`` is what people read; ``corpus_source`` the spec that loads the
    corpus again (``studio.train.corpora``), recorded so the judge can score the artist
    on the held-out split of its own data."""
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
        model_config = {
            "num_tokens": len(vocab),
            "dim": shape.dim,
            "depth": shape.depth,
            "heads": shape.heads,
            "dim_head": shape.dim_head,
        }
        compat.validate_config(model_config)
        variant = shape.variant
        model = compat.build_model(model_config, variant).train()
    model.to(dev)
    plan = AcceleratorPlan.for_device(config, dev)
    optimizer = torch.optim.AdamW(
        model.parameters(),
        lr=config.lr,
        weight_decay=config.weight_decay,
        betas=(0.9, 0.95),
        fused=plan.fused_optimizer or None,
    )

    step_loss = forward_loss_fn(model, plan, dev)

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
        _check_same_data(out, previous, state, pieces, vocab, framing)
        try:
            compat.load_weights(model, previous.state_dict)
        except StudioError:
            raise StudioError(f"{out}: does not fit this run's model shape, so it cannot be resumed") from None
        try:
            optimizer.load_state_dict(state["optimizer"])
            _check_optimizer_fits(optimizer)
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
        **({"corpus_source": corpus_source} if corpus_source else {}),
        "corpus_sha256": corpus_hash(pieces),
        "pieces": len(pieces),
        # "" stands for the unlabelled pieces, when some were trained on (real corpora)
        "classes": sorted({p.label for p in pieces}),
        # the sampler draws no wider (studio.model.facts.line_limit); a fork keeps what its
        # start saw too
        "widest_line": max(
            [max(len(line) for line in p.art.split("\n")) for p in pieces]
            + ([training_facts(start).widest_line or 0] if start is not None else [])
        ),
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
            extra={"recipe": {**recipe, "accelerator": plan.to_dict()}},  # as it ran (a failed compile fell back)
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
            # what the run trains on: a resume on other data or another alphabet is refused
            "corpus_sha256": recipe["corpus_sha256"],
            "vocab": list(vocab.chars),
            "framing": framing,
            "history": history,
            "python_rng": _list_state(rng.getstate()),
            "torch_rng": torch.get_rng_state(),
        }
        atomic_write(state_file, lambda handle: torch.save(state, handle))
        return ckpt

    def validate(final: bool = False):
        """The judge's measurement on the held-out pieces (their split, at the training context).

        Cancelled while it scores (SIGINT in the final validation): the steps trained
        are saved first, then Cancelled goes on, so no step is lost."""
        if heldout is None or heldout.identity.chars < 2:
            return None
        model.eval()
        engine = Engine(model, device=dev)
        try:
            scores = score_pieces(
                engine.forward, vocab, heldout, context=config.context, skip_unknown=True, device=dev, cancel=cancel
            )
        except Cancelled:
            model.train()
            save({"step": step, "stream_loss": loss_value, "acc": acc_value})
            raise Cancelled(f"saved step {step} to {out}; its held-out measurement was cancelled") from None
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
        logits, loss = step_loss(inputs, targets)
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


def forward_loss_fn(model: torch.nn.Module, plan: AcceleratorPlan, device: torch.device) -> Callable:
    """``(inputs, targets) -> (logits, loss)`` for one training step, as the plan says: under
    bf16 autocast or not, compiled or not (the bench times the same function)."""

    def forward_loss(inputs: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # Normalize each parametrized weight once per step, not once per use.
        with parametrize.cached(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=plan.bf16):
            logits = model(inputs)
        loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1))
        return logits, loss

    if plan.bf16:
        _branches_in_float32(model)
    return _compiled(forward_loss, plan) if plan.compiled else forward_loss


def _branches_in_float32(model: torch.nn.Module) -> None:
    """Under bf16 autocast the branches' products run in bfloat16, but nGPT's residual step
    (``x.lerp(branch, alpha)`` on the unit sphere) mixes the float32 stream with the branch,
    which ``lerp`` refuses across dtypes: each branch's output joins the stream as float32."""

    def to_float32(_module, _inputs, out):
        if isinstance(out, tuple):
            return (out[0].float(), *out[1:])
        return out.float()

    for layer in model.layers:
        for residual in layer:
            residual.fn.register_forward_hook(to_float32)


def _compiled(forward_loss: Callable, plan: AcceleratorPlan) -> Callable:
    """``forward_loss`` through torch.compile; if compiling or the first compiled step fails
    (no compiler, an unsupported device), the eager function from then on, and the plan says so."""
    try:
        compiled = torch.compile(forward_loss)
    except Exception as exc:  # torch raises many types here
        plan.compiled, plan.note = False, f"compile unavailable ({type(exc).__name__}); eager"
        return forward_loss
    state = {"fn": compiled, "tried": False}

    def run(inputs: torch.Tensor, targets: torch.Tensor):
        if state["tried"]:
            return state["fn"](inputs, targets)
        state["tried"] = True
        try:
            return compiled(inputs, targets)
        except Exception as exc:  # fall back to the same computation, eagerly
            plan.compiled, plan.note = False, f"compile failed ({type(exc).__name__}); eager"
            state["fn"] = forward_loss
            return forward_loss(inputs, targets)

    return run


# The training context a new artist gets from its corpus: long enough for the 95th
# percentile piece (framed), in steps of 64, between these limits (attention cost grows
# with the square of the context; 1024 holds all but the longest real pieces).
CONTEXT_LIMITS = (64, 1024)
CONTEXT_PERCENTILE = 0.95


def default_context(pieces: Sequence[Piece], framing: str) -> int:
    """The context that holds the 95th-percentile piece of ``pieces`` whole, rounded up to
    a multiple of 64 and kept within ``CONTEXT_LIMITS``."""
    lengths = sorted(len(frame_piece(p.art, p.label, framing)) for p in pieces)
    if not lengths:
        return CONTEXT_LIMITS[0]
    wanted = lengths[min(len(lengths) - 1, int(CONTEXT_PERCENTILE * len(lengths)))]
    low, high = CONTEXT_LIMITS
    return max(low, min(high, -(-wanted // 64) * 64))


def train_on_corpus(corpus: Any, out: str | Path, *, config: TrainConfig, **options: Any) -> TrainResult:
    """Train on the train split of a loaded corpus (``studio.train.corpora.LoadedCorpus``),
    with its val split as the held-out data, recording where the corpus came from.

    ``config.context`` 0 means: the corpus's default (``default_context``). The CLI,
    the app and the family builder all train through here.
    """
    from studio.train.corpus import split_pieces
    from studio.train.heldout import stratified

    framing = options.get("framing", CONDITIONAL)
    if config.context == 0:
        start = options.get("start")
        inherited = training_facts(start).context if start is not None else None
        # a fork keeps its parent's context; a new artist gets one that fits its corpus
        config = replace(config, context=inherited or default_context(corpus.pieces, framing))
    heldout = stratified(corpus.pieces, name=corpus.source, split="val", framing=framing)
    return train(
        split_pieces(corpus.pieces)["train"],
        out,
        config=config,
        heldout=heldout,
        corpus_name=corpus.name,
        corpus_source=corpus.source,
        **options,
    )


def _list_state(state: Any) -> Any:
    """random.Random state as nested lists (weights_only torch.load reads lists, not tuples)."""
    if isinstance(state, tuple):
        return [_list_state(s) for s in state]
    return state


def _tuple_state(state: Any) -> Any:
    if isinstance(state, list):
        return tuple(_tuple_state(s) for s in state)
    return state
