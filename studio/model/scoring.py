"""Bits per char: the one definition used by eval, path scans and Darwin fitness.

For ids c[0..n-1] within one context window, bpc is exactly

    -1/(n-1) * sum_{i=0}^{n-2} log2 p(c[i+1] | c[0..i])

(no framing is added). Longer sequences are cut into windows of ``context`` tokens
with ``stride``: the first window scores all of its predictions, each later window
starts ``stride`` tokens after the previous one and scores only the predictions
not scored yet (its last ``stride``), so every char after the first is scored
once, with at least ``context - stride`` chars of left context.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import torch

from studio.errors import Cancelled, StudioError

LN2 = math.log(2.0)


@dataclass(frozen=True)
class Window:
    start: int  # first token of the window
    length: int  # tokens in the window
    score_from: int  # first prediction (within the window) that counts


def plan_windows(n: int, context: int, stride: int | None = None) -> list[Window]:
    """Windows covering ``n`` tokens; each prediction of tokens 1..n-1 counted once."""
    if n < 2:
        raise StudioError("a text needs at least 2 chars to score")
    if context < 2:
        raise StudioError(f"the context must be at least 2 chars, not {context}")
    stride = stride or max(1, context // 2)
    if not 0 < stride <= context - 1:
        raise StudioError(f"the stride must be between 1 and context-1 ({context - 1}), not {stride}")
    windows = [Window(0, min(context, n), 0)]
    scored_until = windows[0].length  # predictions for tokens < scored_until are done
    start = 0
    while scored_until < n:
        start += stride
        end = min(start + context, n)
        start = end - context if end - context > start else start
        windows.append(Window(start, end - start, scored_until - 1 - start))
        scored_until = end
    return windows


def window_chars(tokens: int, context: int, stride: int | None = None) -> int:
    """Chars a forward pass sees to score ``tokens`` tokens (windows overlap by ``context - stride``)."""
    return sum(w.length for w in plan_windows(tokens, context, stride))


def population_nats(
    forward: Callable[[torch.Tensor], torch.Tensor],
    ids: Sequence[int] | torch.Tensor,
    *,
    models: int,
    context: int = 256,
    stride: int | None = None,
    batch_size: int = 16,
    device: torch.device | str = "cpu",
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> torch.Tensor:
    """Nats of every prediction of ``models`` models at once: entry ``[k, j]`` is model k's
    ``-ln p(ids[j+1] | window before it)``; the per-token form lets callers attribute loss
    to the piece each predicted char belongs to (the judge's per-piece bootstrap).
    ``forward`` maps windows (B, T) to every model's logits (models, B, T, vocab), e.g.
    ``Population.forward``. Returns (models, n-1)."""
    ids = torch.as_tensor(ids, dtype=torch.long)
    windows = plan_windows(len(ids), context, stride)
    out = torch.empty(models, len(ids) - 1, dtype=torch.float64)
    device = torch.device(device)
    threads = CPU_THREADS if device.type == "cpu" else None
    # Windows of equal length batch together; only the last one can be shorter.
    for first in range(0, len(windows), batch_size):
        if cancel is not None and cancel():
            raise Cancelled()
        group = windows[first : first + batch_size]
        by_length: dict[int, list[Window]] = {}
        for window in group:
            by_length.setdefault(window.length, []).append(window)
        for length, same in by_length.items():
            batch = torch.stack([ids[w.start : w.start + length] for w in same]).to(device)

            def nats_of(batch=batch) -> torch.Tensor:
                with torch.inference_mode():
                    logits = forward(batch)[:, :, :-1].float()
                    # cross entropy: -log softmax at each target (over the last, contiguous dim)
                    targets = batch[:, 1:].expand(models, -1, -1).unsqueeze(-1)
                    return -torch.log_softmax(logits, dim=-1).gather(-1, targets).squeeze(-1).double().cpu()

            nats = nats_of() if threads is None else threads.run(nats_of, work=models * batch.numel())
            for row, window in enumerate(same):
                # prediction i of the window predicts token window.start + i + 1
                first_pred = window.start + window.score_from
                out[:, first_pred : window.start + length - 1] = nats[:, row, window.score_from :]
        if progress is not None:
            progress(min(first + batch_size, len(windows)), len(windows))
    return out


class ThreadChoice:
    """How many CPU threads each scoring forward uses, chosen by timing the forwards themselves.

    On cores shared with other busy processes, every operation split over several threads
    waits for the slowest of them at its end; a small model's forward is a few hundred
    such operations. Measured on 2 cores shared with other jobs (dim-96 artist, 16 windows
    of 128 chars): 41 ms with one thread, 600 ms with two. On a quiet machine more threads
    win. So the loop measures: it runs a batch with each candidate (one thread, then
    however many PyTorch was set to use), keeps the faster per unit of work, and measures
    the other again every ``retry_every`` batches, as the load changes.

    Inside ``job()`` (a Darwin run, a litter, a scan) the faster count also stays set
    between forwards, for the breeding and engine building around them; outside, every
    forward restores PyTorch's setting. The numbers do not depend on the thread count
    (``tests/model/test_population.py`` checks a score under one thread and under two).
    ``DARWASCII_CPU_THREADS=fixed`` keeps PyTorch's setting as it is.
    """

    def __init__(self, retry_every: int = 32):
        self.retry_every = retry_every
        self.cost: dict[int, float] = {}  # threads -> seconds per unit of work, last measured
        self.calls = 0
        self._jobs = 0
        self._base = 1  # PyTorch's setting when the outermost job began

    def candidates(self) -> tuple[int, ...]:
        current = self._base if self._jobs else torch.get_num_threads()
        if current <= 1 or os.environ.get("DARWASCII_CPU_THREADS", "auto") == "fixed":
            return (current,)
        return (1, current)

    def best(self) -> int | None:
        """The faster thread count measured so far (None before both were measured)."""
        candidates = self.candidates()
        if any(n not in self.cost for n in candidates):
            return None
        return min(candidates, key=lambda n: self.cost[n])

    def pick(self) -> int:
        candidates = self.candidates()
        untried = [n for n in candidates if n not in self.cost]
        if untried:
            return untried[0]
        best = min(candidates, key=lambda n: self.cost[n])
        if len(candidates) > 1 and self.calls % self.retry_every == 0:
            return next(n for n in candidates if n != best)
        return best

    def run(self, fn: Callable[[], torch.Tensor], work: int) -> torch.Tensor:
        threads = self.pick()
        previous = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            start = time.perf_counter()
            out = fn()
            if self.calls:  # the process's first forward also pays one-time set-up: not a fair measure
                self.cost[threads] = (time.perf_counter() - start) / max(work, 1)
            self.calls += 1
        finally:
            torch.set_num_threads((self.best() or self._base) if self._jobs else previous)
        return out

    @contextlib.contextmanager
    def job(self) -> Iterator[None]:
        """A long job on the CPU: between forwards, the faster thread count stays set."""
        if self._jobs == 0:
            self._base = torch.get_num_threads()
            torch.set_num_threads(self.best() or self._base)
        self._jobs += 1
        try:
            yield
        finally:
            self._jobs -= 1
            if self._jobs == 0:
                torch.set_num_threads(self._base)


# One for the process: what it learns about the load carries from one scoring loop to the next.
CPU_THREADS = ThreadChoice()


def scoring_job(device: torch.device | str) -> contextlib.AbstractContextManager:
    """Context for a long scoring job (``ThreadChoice.job`` on the CPU, nothing elsewhere)."""
    return CPU_THREADS.job() if torch.device(device).type == "cpu" else contextlib.nullcontext()
