"""``darwascii bench sample``: the card's naive sampler vs our engine, one run.

The naive reference is the card's way: nGPT-pytorch ``model(ids)`` on the whole
prefix for every new char, one piece at a time. Both sides draw the same number
of chars at T=0.6, top-k 20 from the same randomly initialised card-sized model
(dim 256, depth 4, heads 4 x 64, 106 chars), with stopping at EOA disabled so
every piece has exactly the requested length.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import torch

from studio.bench import BenchReport, peak_rss_mb, timed
from studio.model.checkpoint import load_checkpoint, save_checkpoint
from studio.model.engine import Engine
from studio.model.sampler import STATIC_MAX_ROWS, SampleSettings, filter_logits, sample_gallery
from studio.model.synthetic import CARD_ARTIST_CONFIG, random_checkpoint
from studio.model.vocab import TEXT


def _naive_pieces(model, prompt_ids: list[int], pieces: int, length: int, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _ in range(pieces):
            ids = list(prompt_ids)
            for _ in range(length):
                logits = model(torch.tensor([ids]))[0, -1] / 0.6
                probs = filter_logits(logits, 20, None).softmax(-1)
                ids.append(int(torch.multinomial(probs, 1, generator=generator)))


def bench_sample(report: BenchReport, quick: bool) -> None:
    ckpt = random_checkpoint(**CARD_ARTIST_CONFIG, vocab_size=106, seed=0)
    report.note(
        f"sample: random card-sized model, {ckpt.num_params / 1e6:.2f}M params, T=0.6 top-k 20, EOA stop disabled"
    )
    model = ckpt.build_model()
    engine = Engine(model)
    prompt = "Cats"  # TEXT framing: the prompt is used as is and nothing stops early
    prompt_ids = ckpt.vocab.encode(prompt)

    pieces, length = (2, 100) if quick else (4, 200)
    naive_s, _ = timed(lambda: _naive_pieces(model, prompt_ids, pieces, length, seed=0))
    settings = SampleSettings(label=prompt, count=pieces, max_chars=length, seed=0)
    ours_s, _ = timed(lambda: sample_gallery(engine, ckpt.vocab, TEXT, settings))
    report.add(f"{pieces} pieces x {length} chars", ours_s, naive_s, chars_per_s=round(pieces * length / ours_s))

    pieces, length = (8, 200) if quick else (16, 400)
    first_char: list[float] = []
    start = time.perf_counter()

    def on_char(index: int, char: str) -> None:
        if not first_char:
            first_char.append(time.perf_counter() - start)

    settings = SampleSettings(label=prompt, count=pieces, max_chars=length, seed=1)
    gallery_s, _ = timed(lambda: sample_gallery(engine, ckpt.vocab, TEXT, settings, on_char=on_char))
    report.add(
        f"gallery {pieces} x {length} chars (ours only)",
        gallery_s,
        chars_per_s=round(pieces * length / gallery_s),
        first_char_ms=round(first_char[0] * 1000, 1),
        peak_rss_mb=round(peak_rss_mb()),
    )

    _static_rows(report, model, ckpt.vocab, prompt, engine, quick)

    with tempfile.TemporaryDirectory() as folder:
        path = save_checkpoint(ckpt, Path(folder) / "model.pt")
        size_mb = round(path.stat().st_size / 1e6, 1)
        load_s, _ = timed(lambda: load_checkpoint(path))
        engine_s, _ = timed(lambda: Engine.from_checkpoint(load_checkpoint(path)))
    report.add("load 3.2M-param checkpoint", load_s, file_mb=size_mb)
    report.add("load + build engine", engine_s)


def _gallery(engine: Engine, vocab, prompt: str, pieces: int, length: int, static: bool) -> tuple[float, float]:
    """(seconds, ms to the first streamed char) of one gallery, after everything is on the device."""
    first: list[float] = []
    settings = SampleSettings(label=prompt, count=pieces, max_chars=length, seed=1)
    sync = torch.cuda.synchronize if engine.device.type == "cuda" else (lambda: None)
    sync()
    start = time.perf_counter()

    def on_char(index: int, char: str) -> None:
        if not first:
            first.append(time.perf_counter() - start)

    sample_gallery(engine, vocab, TEXT, settings, on_char=on_char, static=static)
    sync()
    return time.perf_counter() - start, round(first[0] * 1000, 1)


def _static_rows(report: BenchReport, model, vocab, prompt: str, engine: Engine, quick: bool) -> None:
    """Static-capacity cache vs the growing one: on the CPU here, and on CUDA eager vs CUDA graph."""
    pieces, length = (8, 200) if quick else (16, 400)
    dynamic_s, _ = _gallery(engine, vocab, prompt, pieces, length, static=False)
    static_s, first_ms = _gallery(engine, vocab, prompt, pieces, length, static=True)
    report.add(
        f"CPU gallery {pieces} x {length}: growing cache vs static cache", static_s, dynamic_s, first_char_ms=first_ms
    )
    if not torch.cuda.is_available():
        report.note(
            "sample: CUDA not available: no eager-vs-graph rows (the static cache above is the graph's "
            "path, run eagerly on the CPU)"
        )
        return
    report.note(
        f"sample: on CUDA, galleries of up to {STATIC_MAX_ROWS} pieces use the CUDA graph by default, "
        "larger ones the growing cache"
    )
    gpu = Engine(model, device="cuda")
    for pieces in (16, 64, 256, 1024):
        eager_s, _ = _gallery(gpu, vocab, prompt, pieces, length, static=False)
        capture_s, _ = _gallery(gpu, vocab, prompt, pieces, length, static=True)  # first use captures the graph
        graph_s, first_ms = _gallery(gpu, vocab, prompt, pieces, length, static=True)
        report.add(
            f"CUDA gallery {pieces} x {length}: eager vs CUDA graph",
            graph_s,
            eager_s,
            chars_per_s=round(pieces * length / graph_s),
            first_char_ms=first_ms,
            first_use_with_capture_s=round(capture_s, 3),
            gpu=torch.cuda.get_device_name(0),
        )
