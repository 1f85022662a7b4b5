"""Jobs the worker runs: thin adapters from the core's callbacks to a JobContext.

Each ``*_job`` returns a callable for ``Worker.submit``. Nothing here touches Qt
widgets; results travel back as plain Python objects. The model code is imported
inside the callables, which run in the worker thread: the GUI thread never loads
PyTorch, so the window shows while the worker does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.breed import BreedRecipe
from studio.model.art import SampleSettings
from studio.model.vocab import frame_piece

STREAM_INTERVAL_S = 1 / 30  # the gallery repaints at most ~30 times a second


def load(path: str, framing: str | None = None, trust: bool = False):
    from studio.model.checkpoint import load_checkpoint

    return load_checkpoint(path, trust=trust, framing=framing)


def sample_job(path: str, framing: str | None, settings: SampleSettings, indices: list[int] | None = None):
    """Draw a gallery, streaming chars as ``{index: new_text}`` partials."""

    def run(ctx) -> list:
        from studio.model.sampler import sample_gallery

        ckpt = load(path, framing)
        engine = ctx.engine(ckpt)
        pending: dict[int, str] = {}
        last = [time.monotonic()]
        total = settings.max_chars * (len(indices) if indices is not None else settings.count)
        drawn = [0]

        def on_char(index: int, char: str) -> None:
            pending[index] = pending.get(index, "") + char
            drawn[0] += 1
            now = time.monotonic()
            if now - last[0] >= STREAM_INTERVAL_S:
                last[0] = now
                ctx.partial(dict(pending))
                pending.clear()
                ctx.progress(min(0.99, drawn[0] / max(1, total)), "sampling")

        try:
            arts = sample_gallery(engine, ckpt.vocab, ckpt.framing, settings, on_char=on_char, cancel=ctx.cancelled, indices=indices)
        finally:
            if pending:
                ctx.partial(dict(pending))
        return arts

    return run


def held_out_text(framing: str, max_chars: int = 20000, corpus: str = "builtin", split: str = "val") -> str:
    """A held-out split of a built-in corpus, framed like the models were trained."""
    from studio.train.corpus import load_builtin, split_pieces

    pieces = split_pieces(load_builtin(corpus))[split]
    return "".join(frame_piece(p.art, p.label, framing) for p in pieces)[:max_chars]


def bpc_of(ctx, ckpt, text: str) -> float:
    from studio.model.scoring import bits_per_char

    engine = ctx.engine(ckpt) if ckpt.path is not None else None
    if engine is None:
        from studio.model.engine import Engine

        engine = Engine(ckpt.build_model("cpu"), device=ctx.device)
    ids = ckpt.vocab.encode("".join(c for c in text if ckpt.vocab.token_id(c) is not None))
    bpc, _ = bits_per_char(engine.forward, ids, context=128, device=ctx.device, cancel=ctx.cancelled)
    return bpc


@dataclass
class BreedOutcome:
    path: str
    child: Any  # ArtistCheckpoint
    child_bpc: float
    parent_bpc: tuple[float, float]

    @property
    def vigor(self) -> float:
        return min(self.parent_bpc) - self.child_bpc


def breed_job(path_a: str, path_b: str, recipe: BreedRecipe, out_dir: Path, name: str | None = None):
    def run(ctx) -> BreedOutcome:
        from studio.breed import breed
        from studio.model.checkpoint import save_checkpoint

        a, b = load(path_a), load(path_b)
        ctx.progress(0.1, "breeding")
        child = breed(a, b, recipe, name=name)
        target = Path(out_dir) / f"{child.name}-{int(time.time())}.pt"
        save_checkpoint(child, target)
        child.path = target
        ctx.progress(0.4, "scoring child and parents")
        text = held_out_text(a.framing, 6000)
        parents = (bpc_of(ctx, a, text), bpc_of(ctx, b, text))
        child_bpc = bpc_of(ctx, load(str(target)), text)
        child.metrics = {"bpc": round(child_bpc, 5)}
        return BreedOutcome(str(target), child, child_bpc, parents)

    return run


def export_checkpoint_job(record, dest: str):
    def run(ctx) -> str:
        from studio.library.export import export_checkpoint

        return str(export_checkpoint(record, dest))

    return run


def scan_job(path_a: str, path_b: str, points: int = 9):
    def run(ctx):
        from studio.breed import scan_path

        a, b = load(path_a), load(path_b)
        text = held_out_text(a.framing, 4000)
        return scan_path(a, b, text, points=points, context=128, device=ctx.device, skip_unknown=True,
                         progress=lambda i, n: ctx.progress(i / n, f"point {i}/{n}"), cancel=ctx.cancelled)

    return run


def eval_job(path: str, corpus: str | None, split: str, text_file: str | None):
    def run(ctx):
        from studio.train.evaluate import evaluate, read_text_for

        ckpt = load(path)
        text = read_text_for(ckpt, Path(text_file), split)[0] if text_file else None
        return evaluate(ckpt, text=text, corpus=corpus if not text_file else None, split=split, device=str(ctx.device),
                        skip_unknown=True, progress=lambda i, n: ctx.progress(i / n, "scoring"), cancel=ctx.cancelled)

    return run


def train_job(corpus: str, out: Path, framing: str, steps: int, start_path: str | None, shape: dict):
    def run(ctx):
        from studio.train.commands import load_pieces
        from studio.train.corpus import split_pieces
        from studio.train.training import ModelShape, TrainConfig, train

        pieces, name = load_pieces(corpus)
        splits = split_pieces(pieces)
        start = load(start_path) if start_path else None
        config = TrainConfig(steps=steps, batch_size=16, context=128, checkpoint_every=max(50, steps // 4))

        def progress(p):
            ctx.progress(p.step / p.total_steps, f"step {p.step}/{p.total_steps}, loss {p.loss:.3f}, eta {p.eta_s:.0f}s")
            ctx.partial({"step": p.step, "loss": p.loss})

        result = train(splits["train"], out, config=config, shape=ModelShape(**shape), framing=framing, start=start,
                       val_pieces=splits["val"][:40], corpus_name=name, device=str(ctx.device), progress=progress, cancel=ctx.cancelled)
        return str(result.path)

    return run


def darwin_job(path_a: str, path_b: str, out_dir: Path, population: int, generations: int, seed: int):
    def run(ctx):
        from studio.train.darwin import DarwinSettings, Evolution, save_log

        a, b = load(path_a), load(path_b)
        fitness = held_out_text(a.framing, 8000, split="val")
        report = held_out_text(a.framing, 8000, split="test")
        seen_generations = set()

        def progress(p):
            ctx.progress(p.scored / max(1, p.total), f"{p.message}: {p.scored}/{p.total} children")
            if p.best_bpc is not None:
                ctx.partial({"generation": p.generation, "best_bpc": p.best_bpc})
            seen_generations.add(p.generation)

        settings = DarwinSettings(population=population, generations=generations, elite=max(1, population // 4), seed=seed, context=128)
        evolution = Evolution(a, b, fitness, settings, report_text=report, device=ctx.device, progress=progress, cancel=ctx.cancelled)
        log = evolution.run()
        target = Path(out_dir) / f"champion_{a.name}__x__{b.name}-{int(time.time())}.pt"
        evolution.save_champion(target)
        save_log(log, target.with_suffix(".json"))
        return {"path": str(target), "log": log, "champion": load(str(target))}

    return run
