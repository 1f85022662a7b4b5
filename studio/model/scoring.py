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

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
import torch.nn.functional as F

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


def token_nats(
    forward: Callable[[torch.Tensor], torch.Tensor],
    ids: Sequence[int] | torch.Tensor,
    *,
    context: int = 256,
    stride: int | None = None,
    batch_size: int = 16,
    device: torch.device | str = "cpu",
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> torch.Tensor:
    """Nats of every prediction: entry ``j`` is ``-ln p(ids[j+1] | window before it)``.

    The per-token form lets callers attribute loss to the piece each predicted char
    belongs to (the judge's per-piece bootstrap); ``bits_per_char`` is its mean.
    """
    ids = torch.as_tensor(ids, dtype=torch.long)
    windows = plan_windows(len(ids), context, stride)
    out = torch.empty(len(ids) - 1, dtype=torch.float64)
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
            with torch.inference_mode():
                logits = forward(batch)[:, :-1].float()
                targets = batch[:, 1:]
                nats = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none").double().cpu()
            for row, window in enumerate(same):
                # prediction i of the window predicts token window.start + i + 1
                first_pred = window.start + window.score_from
                out[first_pred : window.start + length - 1] = nats[row, window.score_from :]
        if progress is not None:
            progress(min(first + batch_size, len(windows)), len(windows))
    return out


def bits_per_char(forward: Callable[[torch.Tensor], torch.Tensor], ids: Sequence[int] | torch.Tensor,
                  **options) -> tuple[float, int]:
    """(bpc, number of scored chars) of ``ids`` under ``forward`` (ids -> logits);
    ``options`` as for :func:`token_nats` (context, stride, batch_size, device, ...).

    ``forward`` is ``Engine.forward`` normally; nGPT-pytorch's ``model`` works too,
    which is how tests check the engine against the reference.
    """
    nats = token_nats(forward, ids, **options)
    return float(nats.sum()) / len(nats) / LN2, len(nats)
