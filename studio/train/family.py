"""A family of artists from one corpus, in one command: the card's family structure.

    darwascii family --corpus system-art -o DIR [--size auto|small|card] [--replicates N]

Layout (the card's snapshot layout, so the folder carries the genealogy; FORKS is
``apehex`` for the built-in corpus, as the bundled family has always been laid out,
and the corpus's name otherwise):

    ancestor/model.pt              shared ancestor, conditional, the whole corpus
    FORKS/styleA/model.pt          fork of the ancestor, creatures & nature half
    FORKS/styleB/model.pt          fork of the ancestor, objects & tech half
    uncond/styleA/model.pt         fork of the ancestor, creatures & nature, unconditional
    uncond/styleB/model.pt         fork of the ancestor, objects & tech, unconditional
    independent/indA/model.pt      from scratch (own seed), creatures & nature
    independent/indB/model.pt      from scratch (other seed), objects & tech
    controls/ancestor-union/model.pt  the ancestor trained on the whole corpus for the
                                   forks' budget ("train instead of breed")
    smith-experiment/{ngpt,smith}  (built-in corpus only) standard vs geodesic residual,
                                   matched init, data and schedule
    replicates/seedK/...           with --replicates N: the forks and the independents
                                   trained again with other seeds (K = 1 .. N-1), for
                                   experiments that replicate over retrained parents

Sizes: ``card`` is the card's artists (dim 256, depth 4, 4 heads x 64, 3.2M params),
``small`` is dim 96, depth 4, 4 x 24 (0.46M), what 2 CPU cores train in minutes per
artist; ``auto`` takes card on a GPU and small otherwise. The context is the corpus's
(``training.default_context``), capped at 512 for small models on a CPU.

Nothing is lost: a member whose file exists is skipped, an interrupted one resumes
from its ``.state`` sidecar, so running the same command again continues. Progress
reports each member's step, and an ETA for the whole family from the rate measured
so far.

``python -m studio.train.family`` (no options) rebuilds the bundled family in
``checkpoints/``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from studio.errors import Cancelled, StudioError
from studio.model.vocab import CONDITIONAL, UNCONDITIONAL

SMALL = {"dim": 96, "depth": 4, "heads": 4, "dim_head": 24}
CARD = {"dim": 256, "depth": 4, "heads": 4, "dim_head": 64}
SIZES = {"small": SMALL, "card": CARD}
BATCH = {"small": 16, "card": 64}  # small: 16 x 512 chars, about half a second a step on 2 CPU cores
CPU_CONTEXT_CAP = 512


@dataclass(frozen=True)
class Member:
    path: str  # relative to the family folder, with FORKS for the forks' folder
    part: str | None  # None: the whole corpus; "creatures" or "objects": one half
    framing: str
    steps: int
    seed: int
    parent: str | None = None  # trained on from this member's checkpoint
    variant: str = "standard"
    lr: float = 3e-3
    about: str = ""
    builtin_only: bool = False


MEMBERS: tuple[Member, ...] = (
    Member("ancestor/model.pt", None, CONDITIONAL, 800, 0, about="shared ancestor of the styleA/styleB forks"),
    Member(
        "FORKS/styleA/model.pt",
        "creatures",
        CONDITIONAL,
        250,
        1,
        "ancestor/model.pt",
        lr=1.5e-3,
        about="creatures & nature",
    ),
    Member(
        "FORKS/styleB/model.pt", "objects", CONDITIONAL, 250, 2, "ancestor/model.pt", lr=1.5e-3, about="objects & tech"
    ),
    Member(
        "uncond/styleA/model.pt",
        "creatures",
        UNCONDITIONAL,
        250,
        3,
        "ancestor/model.pt",
        lr=1.5e-3,
        about="creatures & nature, no label channel",
    ),
    Member(
        "uncond/styleB/model.pt",
        "objects",
        UNCONDITIONAL,
        250,
        4,
        "ancestor/model.pt",
        lr=1.5e-3,
        about="objects & tech, no label channel",
    ),
    Member(
        "independent/indA/model.pt",
        "creatures",
        CONDITIONAL,
        500,
        101,
        about="independently initialised, creatures & nature",
    ),
    Member(
        "independent/indB/model.pt", "objects", CONDITIONAL, 500, 202, about="independently initialised, objects & tech"
    ),
    # The experiment's "train instead of breed" control: the ancestor trained on the whole
    # corpus for as many steps as the two forks together (the compute a pair of forks cost).
    Member(
        "controls/ancestor-union/model.pt",
        None,
        CONDITIONAL,
        500,
        5,
        "ancestor/model.pt",
        lr=1.5e-3,
        about="control: the ancestor trained on the whole corpus for as many steps as styleA and styleB together",
    ),
    Member(
        "smith-experiment/ngpt/model.pt",
        None,
        CONDITIONAL,
        300,
        7,
        about="ablation: nGPT normalized-lerp residual",
        builtin_only=True,
    ),
    Member(
        "smith-experiment/smith/model.pt",
        None,
        CONDITIONAL,
        300,
        7,
        variant="smith",
        about="ablation: exact-geodesic residual, matched to ngpt",
        builtin_only=True,
    ),
)
# Replicated with other seeds by --replicates (fork seeds 1/2, independent seeds 101/202, + 1000 K).
REPLICATED = (
    "FORKS/styleA/model.pt",
    "FORKS/styleB/model.pt",
    "independent/indA/model.pt",
    "independent/indB/model.pt",
)


def forks_folder(corpus_name: str) -> str:
    """``apehex`` for the built-in corpus (the bundled layout); the corpus's name otherwise."""
    base = corpus_name.split(":")[0]
    if base.startswith("builtin"):
        return "apehex"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", Path(base).name).strip("-.") or "artists"


def plan(corpus_name: str, builtin: bool, replicates: int = 1, only: list[str] | None = None) -> list[Member]:
    """The members to train, in order (a fork after the ancestor it forks)."""
    folder = forks_folder(corpus_name)

    def placed(member: Member, path: str | None = None, **changes: Any) -> Member:
        values = {**asdict(member), **changes, "path": (path or member.path).replace("FORKS", folder)}
        if values["parent"]:
            values["parent"] = values["parent"].replace("FORKS", folder)
        return Member(**values)

    members = [placed(m) for m in MEMBERS if builtin or not m.builtin_only]
    for k in range(1, max(1, replicates)):
        for m in MEMBERS:
            if m.path in REPLICATED:
                members.append(
                    placed(
                        m,
                        f"replicates/seed{k}/{m.path}",
                        seed=m.seed + 1000 * k,
                        about=f"{m.about} (replicate, training seed {m.seed + 1000 * k})",
                    )
                )
    if only:
        members = [m for m in members if any(o in m.path for o in only)]
    return members


def steps_scale_of(family: Path) -> float:
    """The ``--scale`` a family was built with, read from its styleA fork's recipe (the
    steps it trained over the plan's steps), so members trained later into the same
    family (replicates) get the budget the family's own members had; 1.0 when unknown."""
    from studio.model.checkpoint import load_checkpoint
    from studio.model.facts import training_facts

    planned = next(m.steps for m in MEMBERS if m.path == "FORKS/styleA/model.pt")
    for path in sorted(family.glob("*/styleA/model.pt")):  # FORKS/styleA, never uncond/styleA
        if path.parent.parent.name == "uncond":
            continue
        try:
            steps = training_facts(load_checkpoint(path)).steps
        except StudioError:
            continue
        if steps:
            return steps / planned
    return 1.0


@dataclass
class FamilyProgress:
    member: str
    index: int  # 0-based member being trained
    members: int
    step: int
    steps: int
    loss: float
    chars_per_s: float
    eta_s: float | None  # the whole family's remaining time, from the rate measured so far
    fraction: float = 0.0  # of the whole family's training chars


@dataclass
class MemberResult:
    path: str
    status: str  # trained | skipped | resumed
    seconds: float = 0.0
    metrics: dict[str, Any] = field(default_factory=dict)
    val: str = ""


def _progress_line(p: FamilyProgress) -> str:
    eta = f", family eta {p.eta_s / 60:.1f} min" if p.eta_s is not None else ""
    return (
        f"[{p.index + 1}/{p.members}] {p.member}: step {p.step}/{p.steps} loss {p.loss:.3f} "
        f"{p.chars_per_s:,.0f} chars/s{eta}"
    )


def build_family(
    corpus: str,
    out: Path,
    *,
    size: str = "auto",
    device: str | None = "auto",
    replicates: int = 1,
    steps_scale: float = 1.0,
    context: int | None = None,
    only: list[str] | None = None,
    force: bool = False,
    readmes: bool = True,
    progress: Callable[[FamilyProgress], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> list[MemberResult]:
    """Train (or resume, or skip) every member of a family on ``corpus`` into ``out``."""
    from studio.model.checkpoint import load_checkpoint
    from studio.model.engine import pick_device
    from studio.train.corpora import load_corpus
    from studio.train.training import ModelShape, TrainConfig, TrainProgress, default_context, train_on_corpus

    if size not in ("auto", *SIZES):
        raise StudioError(f"--size must be auto, small or card, not {size!r}")
    if not 0 < steps_scale <= 100:
        raise StudioError(f"--steps-scale must be in (0, 100], not {steps_scale}")
    if not 1 <= replicates <= 10:
        raise StudioError(f"--replicates must be between 1 and 10, not {replicates}")
    dev = pick_device(device)
    if size == "auto":
        size = "card" if dev.type == "cuda" else "small"
    whole = load_corpus(corpus)
    builtin = whole.kind == "builtin"
    if whole.half is not None:
        raise StudioError(f"{corpus}: a family is built from a whole corpus (its forks take the halves)")
    if whole.kind not in ("builtin", "system-art", "apehex"):
        raise StudioError(
            f"{corpus}: the forks train on the corpus's two halves, which only builtin, system-art and the apehex "
            "dataset define; train artists one by one with darwascii train instead"
        )
    members = plan(whole.name, builtin, replicates, only)
    if not members:
        raise StudioError(f"no member of the family matches {', '.join(only or [])}")
    ctx = context or default_context(whole.pieces, CONDITIONAL)
    if context is None and size == "small" and dev.type == "cpu":
        ctx = min(ctx, CPU_CONTEXT_CAP)
    batch = BATCH[size]
    parts = {None: whole}
    out.mkdir(parents=True, exist_ok=True)

    def steps_of(member: Member) -> int:
        return max(1, round(member.steps * steps_scale))

    def remaining(member: Member) -> int:
        target = out / member.path
        if target.exists() and not force and not target.with_name(target.name + ".state").exists():
            return 0
        return steps_of(member)

    todo_chars = sum(remaining(m) for m in members) * batch * ctx
    done_chars = 0
    started = time.perf_counter()
    results: list[MemberResult] = []
    for index, member in enumerate(members):
        target = out / member.path
        state = target.with_name(target.name + ".state")
        if target.exists() and not force and not state.exists():
            results.append(MemberResult(member.path, "skipped"))
            continue
        resume = target.exists() and state.exists() and not force
        if member.part not in parts:
            parts[member.part] = load_corpus(f"{whole.source}:{member.part}")
        data = parts[member.part]
        start = load_checkpoint(out / member.parent) if member.parent else None
        steps = steps_of(member)
        config = TrainConfig(
            steps=steps,
            batch_size=batch,
            context=ctx,
            lr=member.lr,
            warmup=min(50, steps // 5 + 1),
            seed=member.seed,
            checkpoint_every=50,
        )
        shape = ModelShape(**SIZES[size], variant=member.variant)
        began = time.perf_counter()
        base_chars = done_chars

        def report(p: TrainProgress, member=member, index=index, base_chars=base_chars) -> None:
            nonlocal done_chars
            done_chars = base_chars + p.step * batch * ctx
            elapsed = time.perf_counter() - started
            rate = done_chars / elapsed if elapsed > 0 and done_chars else 0.0
            eta = (todo_chars - done_chars) / rate if rate else None
            if progress is not None:
                progress(
                    FamilyProgress(
                        member.path,
                        index,
                        len(members),
                        p.step,
                        p.total_steps,
                        p.loss,
                        p.chars_per_s,
                        eta,
                        done_chars / max(1, todo_chars),
                    )
                )

        result = train_on_corpus(
            data,
            target,
            config=config,
            shape=shape,
            framing=member.framing,
            start=start,
            device=str(dev),
            resume=resume,
            progress=report,
            cancel=cancel,
        )
        done_chars = base_chars + steps * batch * ctx
        seconds = time.perf_counter() - began
        state.unlink(missing_ok=True)  # the sidecar is for resuming; a finished member keeps weights only
        ckpt = load_checkpoint(target)
        measured = ckpt.metrics.get("measurements") or []
        val = _describe(measured[0]) if measured else "not measured"
        if readmes:
            (target.parent / "README.md").write_text(
                _readme(member, ckpt, data, seconds, dev, size, config), encoding="utf-8"
            )
        results.append(
            MemberResult(
                member.path,
                "resumed" if resume else "trained",
                seconds,
                {k: v for k, v in result.checkpoint.metrics.items() if k != "measurements"},
                val,
            )
        )
    return results


def _describe(measurement: dict[str, Any]) -> str:
    from studio.model.judge import Measurement

    return Measurement.from_dict(measurement).describe()


def _samples(ckpt, classes) -> str:
    from studio.model.engine import Engine
    from studio.model.sampler import SampleSettings, sample_gallery

    engine = Engine.from_checkpoint(ckpt)
    blocks = []
    labels = [c for c in classes if c][:8] if ckpt.framing == CONDITIONAL else [None] * 3
    for i, label in enumerate(labels):
        settings = SampleSettings(label=label, count=1, temperature=0.6, top_k=20, seed=i, max_chars=1500)
        art = sample_gallery(engine, ckpt.vocab, ckpt.framing, settings)[0]
        title = label or f"seed {i}"
        blocks.append(f"{title}{'' if art.complete else ' (incomplete)'}:\n\n```\n{art.text}\n```")
    return "\n\n".join(blocks)


def _readme(member: Member, ckpt, data, seconds: float, device, size: str, config) -> str:
    from studio.model.facts import training_facts

    m = ckpt.metrics
    measured = m.get("measurements") or []
    val = _describe(measured[0]) if measured else "not measured"
    shape = SIZES[size]
    classes = training_facts(ckpt).classes
    where = member.path.rsplit("/model.pt", 1)[0]
    return (
        f"# {where}\n\n"
        f"{member.about}.\n\n"
        f"- corpus: {data.name} ({len(data.pieces):,} pieces); framing {member.framing}; "
        f"classes: {', '.join(c or '(unlabelled)' for c in classes)}\n"
        f"- model: nGPT {member.variant}, dim {shape['dim']}, depth {shape['depth']}, heads {shape['heads']} x "
        f"{shape['dim_head']}, {ckpt.num_params / 1e6:.2f}M params, vocab {len(ckpt.vocab)} chars\n"
        f"- recipe: "
        f"{'fork of ' + member.parent.rsplit('/model.pt', 1)[0] + ', ' if member.parent else 'from scratch, '}"
        f"{config.steps} steps x {config.batch_size} windows x {config.context} chars, AdamW lr {member.lr} "
        f"(warm-up, cosine), seed {member.seed}\n"
        f"- final: stream_loss {m.get('stream_loss')}, acc {m.get('acc')} (trained in {seconds / 60:.1f} min on "
        f"{device})\n"
        f"- val: {val}\n"
        f"- training pieces: the train split of the piece-level split by drawing (`studio.train.corpus.piece_split`), "
        "so no val or test drawing, not even shifted, was seen in training\n"
        f"- made by: `darwascii family --corpus {data.source.split(':')[0]}` (studio/train/family.py)\n\n"
        f"## Samples (T=0.6, top-k 20; spaces at the model's odds)\n\n{_samples(ckpt, classes)}\n"
    )


def register(subparsers) -> None:
    from studio import cliutil

    f = subparsers.add_parser(
        "family",
        help="train the card's family of artists (ancestor, forks, independents, ...) on one corpus",
        description="Train an ancestor on a corpus, its forks on the corpus's two halves (creatures & nature, objects "
        "& tech), an unconditional pair, two independently initialised artists and a train-instead-of-breed control. "
        "Run it again to continue an interrupted build.",
    )
    f.add_argument("--corpus", required=True, help="builtin, system-art, or the apehex dataset folder")
    f.add_argument("-o", "--out", type=Path, required=True, metavar="DIR", help="the family's folder")
    f.add_argument(
        "--size",
        default="auto",
        choices=("auto", "small", "card"),
        help="card: dim 256/depth 4 (3.2M params); small: dim 96/depth 4 (0.46M); auto (default): card on "
        "a GPU, small otherwise",
    )
    f.add_argument(
        "--replicates",
        type=int,
        default=1,
        help="train the forks and independents this many times in all, with other seeds (default 1)",
    )
    f.add_argument(
        "--steps-scale",
        type=float,
        default=1.0,
        help="multiply every member's steps (default 1: ancestor 800, forks 250, independents 500)",
    )
    f.add_argument(
        "--context",
        type=int,
        help="training window (default: the corpus's 95th-percentile piece, at "
        f"most 1024; at most {CPU_CONTEXT_CAP} for small models on a CPU)",
    )
    f.add_argument("--only", nargs="*", help="train only members whose path contains one of these")
    f.add_argument("--force", action="store_true", help="retrain members whose file exists")
    f.add_argument("--json", action="store_true", help="print the members' results as JSON")
    cliutil.add_device_option(f)
    f.set_defaults(handler=cmd_family)


def cmd_family(args) -> None:
    from studio import cliutil
    from studio.train.commands import _stop_on_signals

    stop, restore = _stop_on_signals()
    tty = sys.stderr.isatty()
    last = [0.0]

    def show(p: FamilyProgress) -> None:
        if args.json:
            return
        now = time.monotonic()
        if tty and now - last[0] >= 0.1:
            sys.stderr.write("\r\033[K" + _progress_line(p))
            sys.stderr.flush()
            last[0] = now
        elif not tty and (now - last[0] >= 30 or p.step == p.steps):
            print(_progress_line(p), file=sys.stderr, flush=True)
            last[0] = now

    try:
        results = build_family(
            args.corpus,
            args.out,
            size=args.size,
            device=args.device,
            replicates=args.replicates,
            steps_scale=args.steps_scale,
            context=args.context,
            only=args.only,
            force=args.force,
            progress=show,
            cancel=stop.is_set,
        )
    except Cancelled as exc:
        cliutil.clear_progress()
        print(f"stopped: {exc}; run the same command again to continue", file=sys.stderr)
        raise SystemExit(130) from None
    finally:
        restore()
    if args.json:
        cliutil.emit_json({"family": str(args.out), "members": [asdict(r) for r in results]})
        return
    cliutil.clear_progress()
    for r in results:
        timing = f" in {r.seconds / 60:.1f} min" if r.status != "skipped" else " (exists)"
        loss = f", stream_loss {r.metrics.get('stream_loss')}" if r.metrics else ""
        print(f"{r.status:<8} {r.path}{timing}{loss}" + (f"\n         val {r.val}" if r.val else ""))
    print(f"family in {args.out}: open it with `darwascii-studio {args.out}`")


def main(argv=None) -> int:
    """The bundled family, rebuilt in place: ``python -m studio.train.family [--force]``."""
    parser = argparse.ArgumentParser(prog="python -m studio.train.family", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("checkpoints"))
    parser.add_argument("--force", action="store_true", help="retrain members whose file exists")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every member's steps")
    parser.add_argument("--only", nargs="*", help="train only members whose path contains one of these")
    parser.add_argument(
        "--replicates",
        type=int,
        default=1,
        help="also train the forks and independents again with other seeds, under replicates/ "
        "(not shipped: darwascii darwin-experiment trains them when they are missing)",
    )
    args = parser.parse_args(argv)

    def show(p: FamilyProgress) -> None:
        if p.step % 25 == 0 or p.step == p.steps:
            print(_progress_line(p), flush=True)

    for r in build_family(
        "builtin",
        args.out,
        size="small",
        device="cpu",
        steps_scale=args.scale,
        replicates=args.replicates,
        only=args.only,
        force=args.force,
        progress=show,
    ):
        print(f"{r.status} {r.path}: {json.dumps(r.metrics)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
