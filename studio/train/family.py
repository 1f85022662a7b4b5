"""The bundled family: one command that trains every artist in ``checkpoints/``.

    python -m studio.train.family [--out checkpoints] [--scale 1.0] [--force]

Layout (the card's snapshot layout, so the folder carries the genealogy):

    ancestor/model.pt              shared ancestor, conditional, whole built-in corpus
    apehex/styleA/model.pt         fork of the ancestor, group A (creatures & nature)
    apehex/styleB/model.pt         fork of the ancestor, group B (objects & tech)
    uncond/styleA/model.pt         fork of the ancestor, group A, unconditional framing
    uncond/styleB/model.pt         fork of the ancestor, group B, unconditional framing
    independent/indA/model.pt      from scratch (own seed), group A: no shared ancestor
    independent/indB/model.pt      from scratch (other seed), group B
    smith-experiment/ngpt/model.pt standard residual   } matched init (same seed),
    smith-experiment/smith/model.pt geodesic residual  } data and schedule

Size: dim 96, depth 4, heads 4 x 24 (~0.46M params), context 128. The card's
artists are dim 256 (3.2M); on 2 CPU cores that size would need many hours, so the
bundled family is smaller and trains in about 50 minutes (a GPU does it in a few).
Each model is skipped when its file exists (``--force`` retrains), so an
interrupted run continues where it stopped.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from studio.model.checkpoint import ArtistCheckpoint, load_checkpoint
from studio.model.engine import Engine
from studio.model.sampler import SampleSettings, sample_gallery
from studio.model.vocab import CONDITIONAL, UNCONDITIONAL
from studio.model.judge import Measurement
from studio.train.corpus import GROUP_A, GROUP_B, build_corpus, split_pieces
from studio.train.heldout import stratified
from studio.train.training import ModelShape, TrainConfig, TrainProgress, train

SHAPE = ModelShape(dim=96, depth=4, heads=4, dim_head=24)
CONTEXT = 128
BATCH = 32


@dataclass(frozen=True)
class Member:
    path: str
    classes: tuple[str, ...]
    framing: str
    steps: int
    seed: int
    parent: str | None = None  # trained on from this member's checkpoint
    variant: str = "standard"
    lr: float = 3e-3
    about: str = ""


FAMILY = (
    Member("ancestor/model.pt", GROUP_A + GROUP_B, CONDITIONAL, 800, 0, about="shared ancestor of the styleA/styleB forks"),
    Member("apehex/styleA/model.pt", GROUP_A, CONDITIONAL, 250, 1, parent="ancestor/model.pt", lr=1.5e-3, about="creatures & nature"),
    Member("apehex/styleB/model.pt", GROUP_B, CONDITIONAL, 250, 2, parent="ancestor/model.pt", lr=1.5e-3, about="objects & tech"),
    Member("uncond/styleA/model.pt", GROUP_A, UNCONDITIONAL, 250, 3, parent="ancestor/model.pt", lr=1.5e-3, about="creatures & nature, no label channel"),
    Member("uncond/styleB/model.pt", GROUP_B, UNCONDITIONAL, 250, 4, parent="ancestor/model.pt", lr=1.5e-3, about="objects & tech, no label channel"),
    Member("independent/indA/model.pt", GROUP_A, CONDITIONAL, 500, 101, about="independently initialised, creatures & nature"),
    Member("independent/indB/model.pt", GROUP_B, CONDITIONAL, 500, 202, about="independently initialised, objects & tech"),
    # The experiment's "train instead of breed" control: the ancestor trained on the
    # union for as many steps as the two forks together (the compute a pair of forks cost).
    Member("controls/ancestor-union/model.pt", GROUP_A + GROUP_B, CONDITIONAL, 500, 5, parent="ancestor/model.pt", lr=1.5e-3,
           about="control: the ancestor trained on both groups for 500 steps (styleA + styleB's budget)"),
    Member("smith-experiment/ngpt/model.pt", GROUP_A + GROUP_B, CONDITIONAL, 300, 7, about="ablation: nGPT normalized-lerp residual"),
    Member("smith-experiment/smith/model.pt", GROUP_A + GROUP_B, CONDITIONAL, 300, 7, variant="smith", about="ablation: exact-geodesic residual, matched to ngpt"),
)


def _samples(ckpt: ArtistCheckpoint, classes) -> str:
    engine = Engine.from_checkpoint(ckpt)
    blocks = []
    labels = list(classes) if ckpt.framing == CONDITIONAL else [None] * 3
    for i, label in enumerate(labels):
        settings = SampleSettings(label=label, count=1, temperature=0.6, top_k=20, seed=i, max_chars=600)
        art = sample_gallery(engine, ckpt.vocab, ckpt.framing, settings)[0]
        title = label or f"seed {i}"
        blocks.append(f"{title}{'' if art.complete else ' (incomplete)'}:\n\n```\n{art.text}\n```")
    return "\n\n".join(blocks)


def _readme(member: Member, ckpt: ArtistCheckpoint, seconds: float) -> str:
    m = ckpt.metrics
    measured = m.get("measurements") or []
    val = Measurement.from_dict(measured[0]).describe() if measured else "not measured"
    return (
        f"# {member.path.rsplit('/model.pt', 1)[0]}\n\n"
        f"{member.about}.\n\n"
        f"- framing: {member.framing}; classes: {', '.join(member.classes)}\n"
        f"- model: nGPT {member.variant}, dim {SHAPE.dim}, depth {SHAPE.depth}, heads {SHAPE.heads} x {SHAPE.dim_head}, "
        f"{ckpt.num_params / 1e6:.2f}M params, vocab {len(ckpt.vocab)} chars\n"
        f"- recipe: {'fork of ' + member.parent.rsplit('/model.pt', 1)[0] + ', ' if member.parent else 'from scratch, '}"
        f"{member.steps} steps x {BATCH} windows x {CONTEXT} chars, AdamW lr {member.lr} (warm-up, cosine), seed {member.seed}\n"
        f"- final: stream_loss {m.get('stream_loss')}, acc {m.get('acc')} (trained in {seconds / 60:.1f} min on 2 CPU cores)\n"
        f"- val: {val}\n"
        f"- training pieces: the train split of the global piece-level split (`studio.train.corpus.piece_split`), "
        "so no val or test piece of any built-in corpus was seen in training\n"
        f"- made by: `python -m studio.train.family` (see studio/train/family.py)\n\n"
        f"## Samples (T=0.6, top-k 20)\n\n{_samples(ckpt, member.classes)}\n"
    )


def train_family(out: Path, force: bool = False, scale: float = 1.0, only: list[str] | None = None) -> None:
    corpus = {}
    for member in FAMILY:
        if only and not any(o in member.path for o in only):
            continue
        target = out / member.path
        if target.exists() and not force:
            print(f"skip {member.path} (exists)", flush=True)
            continue
        key = member.classes
        if key not in corpus:
            corpus[key] = build_corpus(member.classes, per_class=400)
        pieces = corpus[key]
        start = load_checkpoint(out / member.parent) if member.parent else None
        steps = max(1, int(member.steps * scale))
        config = TrainConfig(steps=steps, batch_size=BATCH, context=CONTEXT, lr=member.lr, warmup=min(50, steps // 5 + 1),
                             seed=member.seed, checkpoint_every=100)
        shape = ModelShape(**{**asdict(SHAPE), "variant": member.variant})
        began = time.perf_counter()

        def show(p: TrainProgress, path=member.path) -> None:
            if p.step % 25 == 0 or p.step == p.total_steps:
                print(f"{path}: step {p.step}/{p.total_steps} loss {p.loss:.3f} acc {p.acc:.3f} "
                      f"{p.chars_per_s:.0f} chars/s eta {p.eta_s / 60:.1f} min", flush=True)

        corpus_name = "builtin" if member.classes == GROUP_A + GROUP_B else ("builtin-a" if member.classes == GROUP_A else "builtin-b")
        heldout = stratified(pieces, name=corpus_name, split="val", framing=member.framing)
        result = train(split_pieces(pieces)["train"], target, config=config, shape=shape, framing=member.framing,
                       start=start, heldout=heldout, corpus_name=corpus_name, progress=show, resume=False)
        seconds = time.perf_counter() - began
        state = target.with_name(target.name + ".state")
        state.unlink(missing_ok=True)  # the sidecar is for resuming; the bundle ships weights only
        (target.parent / "README.md").write_text(_readme(member, load_checkpoint(target), seconds), encoding="utf-8")
        print(f"done {member.path} in {seconds / 60:.1f} min: {json.dumps(result.checkpoint.metrics)}", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m studio.train.family", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("checkpoints"))
    parser.add_argument("--force", action="store_true", help="retrain members whose file exists")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every member's steps (e.g. 0.1 for a smoke run)")
    parser.add_argument("--only", nargs="*", help="train only members whose path contains one of these")
    args = parser.parse_args(argv)
    train_family(args.out, force=args.force, scale=args.scale, only=args.only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
