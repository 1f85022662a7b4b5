"""The sampler: galleries of pieces from one model, batched, seeded and streamed.

A gallery is ``count`` pieces primed the same way (``SOL label SEP`` or ``SOL``).
All pieces run as one batch through the engine's KV cache; a piece that draws EOA
leaves the batch. Piece ``i`` of a gallery with seed ``s`` has seed ``s + i`` and
its own random stream, so re-rolling one card reproduces it alone (up to float
rounding between batch sizes).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable, Iterable

import torch

from studio.errors import CancelCheck, Cancelled, StudioError, cancel_check
from studio.model.art import Art, SampleSettings  # re-exported: the sampler's inputs and outputs
from studio.model.engine import Engine
from studio.model.scoring import ThreadChoice
from studio.model.vocab import EOA, TEXT, Vocab, describe_char, prompt_for

CharCallback = Callable[[int, str], None]

# Decode steps are their own workload (a few rows, no long products): their thread choice is
# measured apart from the scoring forwards'. Measured on 2 shared cores, a litter of 8 pieces
# of 400 chars: 47 s at PyTorch's two threads.
DECODE_THREADS = ThreadChoice()


@dataclass
class _Stream:
    """Per-piece random numbers, drawn in blocks from the piece's own generator."""

    generator: torch.Generator
    buffer: list[float] = field(default_factory=list)

    def next(self) -> float:
        if not self.buffer:
            self.buffer = torch.rand(256, generator=self.generator, dtype=torch.float64).tolist()[::-1]
        return self.buffer.pop()


def filter_logits(logits: torch.Tensor, top_k: int | None, top_p: float | None) -> torch.Tensor:
    """Mask all but the top-k tokens, then all beyond the top-p nucleus, with -inf."""
    if top_k is not None and top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1.0:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
        # drop a token when the mass before it already reaches top_p (keeps the first)
        drop_sorted = (cumulative - sorted_logits.softmax(dim=-1)) >= top_p
        drop = drop_sorted.scatter(-1, order, drop_sorted)
        logits = logits.masked_fill(drop, float("-inf"))
    return logits


def end_lines(logits: torch.Tensor, rows: list[int], allowed: list[int]) -> torch.Tensor:
    """``logits`` with every token but ``allowed`` masked (-inf) in ``rows``."""
    logits = logits.clone()
    keep = logits[rows][:, allowed]
    logits[rows] = float("-inf")
    logits[torch.tensor(rows, device=logits.device)[:, None], torch.tensor(allowed, device=logits.device)] = keep
    return logits


def token_probabilities(logits: torch.Tensor, settings: SampleSettings, space: int | None = None) -> torch.Tensor:
    """The distribution a row's next token is drawn from (T > 0).

    Text, or art with ``settings.temper_spaces`` (the card's sampler): every token is
    tempered, then top-k and top-p pick the candidates. Art (a ``space`` token id): whether
    the next char is a space is the model's call, at exactly its probability; the
    temperature, top-k and top-p shape only which mark fills the rest. Art is mostly
    spaces, and the space is the likeliest char almost everywhere: tempered, it grows
    likelier at every step and runs of blanks grow geometrically longer as T falls (a weak
    artist's T 0.6 gallery: lines of spaces to the line limit); cut by a nucleus, it is
    often the only candidate, and a top-p 0.8 gallery never draws a mark at all.
    """
    logits = logits.float()  # once: bf16 logits on a GPU would be converted twice
    if space is None or settings.temper_spaces:
        return filter_logits(logits / settings.temperature, settings.top_k, settings.top_p).softmax(dim=-1)
    space_share = logits.softmax(dim=-1)[:, space : space + 1]
    marks = logits / settings.temperature  # a new tensor: the caller's logits stay as they were
    marks[:, space] = float("-inf")
    marks = filter_logits(marks, settings.top_k, settings.top_p)
    # A row with no mark left (only the space is possible): softmax of all -inf is NaN.
    probabilities = marks.softmax(dim=-1).nan_to_num_(0.0) * (1.0 - space_share)
    probabilities[:, space] = space_share[:, 0]
    return probabilities


def choose_tokens(
    logits: torch.Tensor, settings: SampleSettings, uniforms: torch.Tensor, space: int | None = None
) -> torch.Tensor:
    """One token per row: greedy for T=0 or top-k 1, else inverse-CDF with ``uniforms``
    over ``token_probabilities``."""
    if settings.temperature == 0 or settings.top_k == 1:
        return logits.argmax(dim=-1)
    cdf = token_probabilities(logits, settings, space).cumsum(dim=-1)
    targets = (uniforms.to(cdf.dtype) * cdf[:, -1]).unsqueeze(-1)
    picks = torch.searchsorted(cdf, targets).squeeze(-1)
    return picks.clamp_(max=logits.shape[-1] - 1)


def encode_prompt(vocab: Vocab, framing: str, label: str | None, where: str = "this model") -> list[int]:
    """Token ids that prime ``framing``; a label with unknown chars is a StudioError."""
    prompt = prompt_for(label, framing)
    unknown = vocab.unknown_chars(prompt)
    if unknown:
        names = ", ".join(describe_char(c) for c in unknown)
        raise StudioError(f"the label {label!r} uses characters {where} does not know: {names}")
    if not prompt and framing == TEXT:
        raise StudioError("a text model needs a prompt to continue (give one as the label)")
    return vocab.encode(prompt)


# Above this many pieces the growing cache wins on CUDA too: the graph saves kernel
# launches, which stop mattering once a step is real work, while static rows keep
# decoding after they finish. H100, card-sized model, 400 chars (``bench sample``):
# graph / eager 2.6x faster at 16 pieces, 2.3x at 64, 1.4x at 256, 0.9x at 1024.
STATIC_MAX_ROWS = 256


def sample_gallery(
    engine: Engine,
    vocab: Vocab,
    framing: str,
    settings: SampleSettings,
    on_char: CharCallback | None = None,
    cancel: threading.Event | CancelCheck | None = None,
    indices: Iterable[int] | None = None,
    static: bool | None = None,
) -> list[Art]:
    """Draw a gallery; ``on_char(index, char)`` streams every char as it is drawn.

    ``indices`` picks which pieces of the gallery to draw (default all ``count``):
    drawing only piece 3 reproduces piece 3 of the full gallery (re-roll a card).
    Raises ``Cancelled`` when ``cancel`` is set; ``on_char`` has by then seen
    everything drawn so far.

    ``static`` decodes over a static-capacity KV cache (``Engine.static_decoder``; a
    CUDA graph per batch bucket on CUDA) instead of the growing one; None: static
    when the engine is on CUDA and the gallery has at most ``STATIC_MAX_ROWS`` pieces.
    """
    settings.validate()
    is_cancelled = cancel_check(cancel)
    indices = list(range(settings.count)) if indices is None else list(indices)
    if not indices:
        return []
    prompt = encode_prompt(vocab, framing, settings.label)
    eoa = vocab.token_id(EOA) if framing != TEXT else None
    # A line as wide as the artist's widest training line ends there: only a newline (or
    # the end of the piece) may follow. Without it a small model that lost count of its
    # columns draws hundreds of spaces past anything it saw (studio.model.facts.line_limit).
    limit = engine.line_limit if framing != TEXT and "\n" in vocab.chars else None
    newline = vocab.token_id("\n") if limit else None
    line_enders = [newline, eoa] if limit else []
    # Spaces keep the model's odds in art (see token_probabilities); in text they separate
    # words and are tempered like any char.
    space = vocab.token_id(" ") if framing != TEXT and " " in vocab.chars else None

    streams = []
    for index in indices:
        generator = torch.Generator().manual_seed(settings.seed + index)
        streams.append(_Stream(generator))

    batch = len(indices)
    if static is None:
        static = engine.device.type == "cuda" and len(indices) <= STATIC_MAX_ROWS
    prompt_ids = torch.tensor([prompt] * batch, dtype=torch.long, device=engine.device)
    if static:
        # Rows never leave a static batch: finished (and padding) rows are fed EOA-free
        # filler and their logits ignored.
        decoder = engine.static_decoder(batch, len(prompt) + settings.max_chars)
        feed = torch.zeros(decoder.batch, dtype=torch.long, device=engine.device)
        for position in range(len(prompt)):
            feed[:batch] = prompt_ids[:, position]
            logits = decoder.step(feed)[:batch]
    else:
        # Room for the prompt and a typical piece; the cache doubles if a piece runs longer.
        cache = engine.new_cache(batch, min(len(prompt) + settings.max_chars, len(prompt) + 512))
        logits = engine.step(prompt_ids, cache)

    # On the CPU each decode step picks its thread count by timing (see scoring.ThreadChoice)
    step = DECODE_THREADS.run if engine.device.type == "cpu" else (lambda fn, work: fn())
    drawn: list[list[int]] = [[] for _ in indices]
    columns = [0] * batch  # chars since the last newline, per row
    complete = [False] * batch
    alive = list(range(batch))  # positions into `indices` of rows still drawing
    chars = vocab.chars
    # A model may have more token slots than its vocabulary names; never draw those.
    usable = len(vocab) if len(vocab) < engine.num_tokens else None
    for _ in range(settings.max_chars):
        if is_cancelled():
            raise Cancelled()
        uniforms = torch.tensor([streams[row].next() for row in alive], dtype=torch.float64)
        if usable is not None:
            logits = logits[:, :usable]
        if limit:
            full = [slot for slot, row in enumerate(alive) if columns[row] >= limit]
            if full:
                logits = end_lines(logits, full, line_enders)
        tokens = choose_tokens(logits, settings, uniforms.to(logits.device), space)
        token_list = tokens.tolist()
        finished_rows = []
        for slot, (row, token) in enumerate(zip(alive, token_list)):
            if token == eoa:
                complete[row] = True
                finished_rows.append(slot)
                continue
            drawn[row].append(token)
            columns[row] = 0 if token == newline else columns[row] + 1
            if on_char is not None:
                on_char(indices[row], chars[token])
        if finished_rows:
            keep = [slot for slot in range(len(alive)) if slot not in set(finished_rows)]
            alive = [alive[slot] for slot in keep]
            if not alive:
                break
            keep_index = torch.tensor(keep, dtype=torch.long, device=engine.device)
            tokens = tokens.index_select(0, keep_index)
            if not static:
                cache.keep_rows(keep_index)
        if static:
            rows = torch.tensor(alive, dtype=torch.long, device=engine.device)
            feed.zero_()
            feed.index_copy_(0, rows, tokens)
            logits = step(lambda: decoder.step(feed), len(alive)).index_select(0, rows)
        else:
            fed = tokens.unsqueeze(-1)
            logits = step(lambda: engine.step(fed, cache), len(alive))  # noqa: B023 (called at once)

    return [
        Art(
            index=indices[row],
            label=settings.label,
            seed=settings.seed + indices[row],
            text=vocab.decode(drawn[row]),
            complete=complete[row],
        )
        for row in range(batch)
    ]


def naive_sample(model: torch.nn.Module, vocab: Vocab, framing: str, label: str | None, max_chars: int) -> str:
    """The card's way, greedy: run nGPT-pytorch on the whole prefix for every char.

    Kept as the reference for parity tests and benchmarks, not for use.
    """
    ids = encode_prompt(vocab, framing, label)
    eoa = vocab.token_id(EOA)
    out: list[int] = []
    with torch.no_grad():
        for _ in range(max_chars):
            logits = model(torch.tensor([ids + out]))[0, -1]
            token = int(logits.argmax())
            if token == eoa:
                break
            out.append(token)
    return vocab.decode(out)
