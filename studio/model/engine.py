"""The fast inference engine: nGPT's forward math, with weights normalized once.

nGPT-pytorch re-normalizes every weight on every forward (a parametrization) and has
no KV cache, so the card's sampler recomputes the whole prefix for each new char.
``Engine`` reads the already-normalized weights out of an nGPT module once, folds
the constant scales into them, and runs incremental decoding with a KV cache.

Forward math, per block (matches nGPT-pytorch to float tolerance; see tests):

    q, k, v = x Wq, x Wk, x Wv               split into heads
    v       = (v + v_first_layer) / 2         value residual, layers after the first
    q, k    = l2norm(rotary(q)), l2norm(rotary(k))
    q       = q * qk_scale * sqrt(dim_head)   (nGPT uses sqrt(dk), not 1/sqrt(dk))
    a       = softmax(q k^T, causal) v  Wo
    x       = l2norm(lerp(x, l2norm(a), alpha_attn))        (smith: geodesic step)
    h, g    = x Wh * s_h, x Wg * s_g * sqrt(dim)
    x       = l2norm(lerp(x, l2norm((silu(g) * h) Wo_ff), alpha_ff))
    logits  = x Wlogits * s_logit

Rotary positions rotate interleaved pairs (x1, x2) by the position's angle, which
is a complex multiplication of x1 + i x2 by e^{i angle}: one op per tensor.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Sequence

import torch
import torch.nn.functional as F

from studio.errors import StudioError
from studio.model import compat


@dataclass
class _Layer:
    w_qkv: torch.Tensor  # (3 * inner, dim): q, k, v rows
    qk_weight: torch.Tensor  # (heads, 2, 1, dim_head): q's qk_scale (sqrt(dim_head) folded in), then ones for k
    w_attn_out: torch.Tensor  # (dim, inner)
    alpha_attn: torch.Tensor  # (dim,)
    w_ff_in: torch.Tensor  # (2 * ff_inner, dim): hidden and gate rows, scales folded in
    w_ff_out: torch.Tensor  # (dim, ff_inner)
    alpha_ff: torch.Tensor  # (dim,)


def _project(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """``x @ weight.T`` for (B, T, in) activations.

    For the few rows of a decode step, BLAS streams the weight faster as
    ``weight @ x.T`` than as ``x @ weight.T`` (measured 1.2-1.8x on CPU for 4-16
    rows); for many rows (prefill, evaluation) plain ``linear`` is as good.
    """
    rows = x.shape[0] * x.shape[1]
    if rows > 64:
        return F.linear(x, weight)
    return torch.mm(weight, x.reshape(rows, x.shape[2]).t()).t().reshape(x.shape[0], x.shape[1], weight.shape[0])


# (config, variant) -> an nGPT module that engines of that architecture are read from
_TEMPLATES: dict[tuple[str, str], torch.nn.Module] = {}
_TEMPLATES_LOCK = threading.Lock()


def _value_residual(enabled: bool, first_values, v: torch.Tensor):
    """(first layer's values, this layer's values mixed with them).

    nGPT mixes ``(v + v_first) / 2``; the half is dropped here. Attention and the output
    projection are linear in v and the branch is normalised right after them, and halving
    is exact in floating point, so the result is bitwise the same with one product fewer.
    """
    if not enabled:
        return first_values, v
    if first_values is None:
        return v, v
    return first_values, v + first_values


class KVCache:
    """Keys and values per layer for a batch of sequences, grown as needed."""

    def __init__(self, layers: int, batch: int, heads: int, dim_head: int, capacity: int, device, dtype):
        shape = (batch, heads, max(capacity, 1), dim_head)
        self.keys = [torch.empty(shape, device=device, dtype=dtype) for _ in range(layers)]
        self.values = [torch.empty(shape, device=device, dtype=dtype) for _ in range(layers)]
        self.length = 0

    @property
    def capacity(self) -> int:
        return self.keys[0].shape[2]

    @property
    def batch(self) -> int:
        return self.keys[0].shape[0]

    def reserve(self, needed: int) -> None:
        """Make room for ``needed`` positions (doubling, so growth is amortized)."""
        if needed <= self.capacity:
            return
        new_capacity = max(needed, 2 * self.capacity)
        for store in (self.keys, self.values):
            for i, t in enumerate(store):
                grown = t.new_empty((t.shape[0], t.shape[1], new_capacity, t.shape[3]))
                grown[:, :, : self.length] = t[:, :, : self.length]
                store[i] = grown

    def keep_rows(self, rows: torch.Tensor) -> None:
        """Drop finished sequences from the batch (rows: indices to keep)."""
        for store in (self.keys, self.values):
            for i, t in enumerate(store):
                store[i] = t.index_select(0, rows)


class Engine:
    """Inference over one model's weights, normalized once, with a KV cache."""

    def __init__(
        self,
        model: torch.nn.Module,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float32,
        window: int | None = None,
        line_limit: int | None = None,
    ):
        # NormLinear.scale is 1 / num_hyperspheres; grouped hyperspheres normalize
        # per group, which this engine does not implement.
        if model.token_embed.scale != 1.0:
            raise StudioError("the fast engine supports only num_hyperspheres=1")
        self.device = torch.device(device)
        self.dtype = dtype
        # Decoding attends to at most the last ``window`` positions (the training context):
        # a piece longer than the context is drawn as the model was trained, on windows
        # of that many chars, not on an attention span it never saw. None: all of them.
        self.window = window
        # The sampler ends a line this wide (``studio.model.facts.line_limit``); None: never.
        self.line_limit = line_limit
        self.heads = model.heads
        self.dim_head = model.dim_head
        self.dim = model.dim
        self.num_tokens = model.num_tokens
        self.add_value_residual = model.add_value_residual
        first_attn = model.layers[0][0].fn
        self.norm_qk = first_attn.norm_qk
        self.smith = isinstance(model.layers[0][0], compat.SmithResidual)
        self._update = compat.geodesic_update if self.smith else compat.nlerp_update

        def put(t: torch.Tensor) -> torch.Tensor:
            # a copy, never a view of the module's tensors (modules are reused for other weights)
            return t.detach().to(device=self.device, dtype=dtype).clone(memory_format=torch.contiguous_format)

        with torch.no_grad():
            self.embed = put(model.token_embed.weight)
            self.layers: list[_Layer] = []
            for attn_res, ff_res in model.layers:
                attn, ff = attn_res.fn, ff_res.fn
                w_qkv = torch.cat((attn.to_q.weight, attn.to_k.weight, attn.to_v.weight))
                qk_scale = attn.qk_scale().view(self.heads, 1, self.dim_head) * attn.attn_scale
                # q and k are normalised in one call and scaled in one product; k's factor is 1
                qk_weight = torch.stack((qk_scale, torch.ones_like(qk_scale)), dim=1)
                hidden = ff.to_hidden.weight * ff.hidden_scale()[:, None]
                gate = ff.to_gate.weight * (ff.gate_scale() * ff.dim**0.5)[:, None]
                self.layers.append(
                    _Layer(
                        w_qkv=put(w_qkv),
                        qk_weight=put(qk_weight),
                        w_attn_out=put(attn.to_out.weight),
                        alpha_attn=put(attn_res.branch_scale()),
                        w_ff_in=put(torch.cat((hidden, gate))),
                        w_ff_out=put(ff.to_out.weight),
                        alpha_ff=put(ff_res.branch_scale()),
                    )
                )
            logits_weight = model.to_logits.weight if model.to_logits is not None else model.token_embed.weight
            self.w_logits = put(logits_weight * model.logit_scale()[:, None])
            self._inv_freq = model.rotary_embed.freqs.detach().to(self.device, torch.float32).clone()
        self._rotations = torch.empty(0, dtype=torch.complex64)
        self._grow_rotary(1024)

    # -- construction ----------------------------------------------------------

    @classmethod
    def from_checkpoint(cls, ckpt, device: str | torch.device = "cpu") -> "Engine":
        """The engine of a checkpoint. Building nGPT-pytorch's module is most of the cost of
        a small model's engine (~60 ms of ~70 for a dim-96 artist: every NormLinear registers
        a parametrization), so one module per architecture is kept and each checkpoint's
        weights are loaded into it; the engine copies what it reads, so nothing is shared.
        It decodes within the checkpoint's training context when it records one, and its
        sampler ends a line at the widest line the artist was trained on (``line_limit``)."""
        from studio.model.facts import line_limit, training_facts

        key = (json.dumps(ckpt.config, sort_keys=True, default=str), ckpt.variant)
        with _TEMPLATES_LOCK:
            template = _TEMPLATES.get(key)
            if template is not None:
                try:
                    compat.load_weights(template, ckpt.state_dict)
                except StudioError:
                    template = None  # build_model says what is wrong, with the file's name
            if template is None:
                template = ckpt.build_model("cpu")
                if len(_TEMPLATES) >= 4:
                    _TEMPLATES.pop(next(iter(_TEMPLATES)))
                _TEMPLATES[key] = template
            return cls(template, device=device, window=training_facts(ckpt).context, line_limit=line_limit(ckpt))

    @property
    def inner(self) -> int:
        return self.heads * self.dim_head

    def _grow_rotary(self, length: int) -> None:
        """Unit complex numbers e^{i * position * freq}, (positions, dim_head / 2)."""
        if self._rotations.shape[0] >= length:
            return
        length = max(length, 2 * self._rotations.shape[0])
        positions = torch.arange(length, device=self.device, dtype=torch.float32)
        angles = torch.outer(positions, self._inv_freq)
        self._rotations = torch.polar(torch.ones_like(angles), angles)

    def new_cache(self, batch: int, capacity: int) -> KVCache:
        return KVCache(len(self.layers), batch, self.heads, self.dim_head, capacity, self.device, self.dtype)

    def static_decoder(self, rows: int, length: int, graph: bool | None = None) -> "StaticDecoder":
        """A static-cache decoder for at least ``rows`` rows and ``length`` positions, reset.

        One per (batch, capacity) bucket, built on first use and kept; on CUDA its step
        is a CUDA graph (``graph=None``: CUDA graphs exactly when the engine is on CUDA).
        """
        graph = self.device.type == "cuda" if graph is None else graph
        key = (batch_bucket(rows), capacity_bucket(length), graph)
        decoders = self.__dict__.setdefault("_decoders", {})
        if key not in decoders:
            decoders[key] = StaticDecoder(self, key[0], key[1], graph=graph)
        decoder = decoders[key]
        decoder.reset()
        return decoder

    # -- forward -----------------------------------------------------------------

    @torch.inference_mode()
    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Logits for every position of ``ids`` (B, T), no cache: nGPT's ``model(ids)``.

        The same computation as a :class:`Population` of this one model (so a model scored
        alone and scored with others gets the same numbers).
        """
        return self.stack().forward(ids)[0]

    def stack(self) -> "Population":
        """This model as a population of one (views of its weights, made once)."""
        if "_stack" not in self.__dict__:
            self._stack = Population([self])
        return self._stack

    @torch.inference_mode()
    def step(self, ids: torch.Tensor, cache: KVCache, last_only: bool = True) -> torch.Tensor:
        """Feed new tokens (B, T) after what ``cache`` holds; logits of the last (or all) new positions."""
        return self._run(ids.to(self.device), cache=cache, last_only=last_only)

    def _qkv(self, layer, x: torch.Tensor, rotations: torch.Tensor, first_values):
        """q, k, v (B, heads, T, dim_head) of one layer, rotated, value-mixed and normed, and
        the first layer's values for the value residual: the one definition both the dynamic
        forward and the static-cache decoder use."""
        batch, length = x.shape[:2]
        # complex views need the pair dimension contiguous
        fused = _project(x, layer.w_qkv).contiguous()
        fused = fused.view(batch, length, 3, self.heads, self.dim_head // 2, 2).transpose(1, 3)
        # fused: (B, heads, 3, T, dim_head / 2, 2); pairs rotate as complex numbers, q and k together
        qk = torch.view_as_real(torch.view_as_complex(fused[:, :, :2]) * rotations).flatten(-2)
        if self.norm_qk:
            qk = F.normalize(qk, dim=-1)  # q and k in one normalisation
        qk = qk * layer.qk_weight  # q's scale, k's ones: one product
        v = fused[:, :, 2].flatten(-2)
        first_values, v = _value_residual(self.add_value_residual, first_values, v)
        return qk[:, :, 0], qk[:, :, 1], v, first_values

    def _run(self, ids: torch.Tensor, cache: KVCache | None, last_only: bool = False) -> torch.Tensor:
        batch, length = ids.shape
        start = cache.length if cache is not None else 0
        end = start + length
        self._grow_rotary(end)
        rotations = self._rotations[start:end]
        if cache is not None:
            cache.reserve(end)

        inner = self.inner
        x = F.embedding(ids, self.embed)
        first_values = None
        for index, layer in enumerate(self.layers):
            q, k, v, first_values = self._qkv(layer, x, rotations, first_values)
            if cache is not None:
                cache.keys[index][:, :, start:end] = k
                cache.values[index][:, :, start:end] = v
                # one new token past the window: attend to the last ``window`` positions only
                first = end - self.window if length == 1 and self.window and end > self.window else 0
                keys = cache.keys[index][:, :, first:end]
                values = cache.values[index][:, :, first:end]
            else:
                keys, values = k, v
            if length == 1:
                attended = F.scaled_dot_product_attention(q, keys, values, scale=1.0)
            elif start == 0:
                attended = F.scaled_dot_product_attention(q, keys, values, is_causal=True, scale=1.0)
            else:
                mask = torch.ones(length, end, dtype=torch.bool, device=self.device).tril(diagonal=start)
                attended = F.scaled_dot_product_attention(q, keys, values, attn_mask=mask, scale=1.0)
            attended = attended.transpose(1, 2).reshape(batch, length, inner)
            branch = F.normalize(_project(attended, layer.w_attn_out), dim=-1)
            x = self._update(x, branch, layer.alpha_attn)

            hidden, gate = _project(x, layer.w_ff_in).chunk(2, dim=-1)
            branch = F.normalize(_project(F.silu(gate) * hidden, layer.w_ff_out), dim=-1)
            x = self._update(x, branch, layer.alpha_ff)
        if cache is not None:
            cache.length = end
        if last_only:
            return _project(x[:, -1:], self.w_logits)[:, 0]
        return _project(x, self.w_logits)


@dataclass
class _StackedLayer:
    """One layer's weights for K models, stacked on a leading model dimension."""

    w_qkv: torch.Tensor  # (K, 3 * inner, dim)
    qk_weight: torch.Tensor  # (K, 1, 1, 2, heads, dim_head)
    w_attn_out: torch.Tensor  # (K, dim, inner)
    alpha_attn: torch.Tensor  # (K, 1, dim)
    w_ff_in: torch.Tensor  # (K, 2 * ff_inner, dim)
    w_ff_out: torch.Tensor  # (K, dim, ff_inner)
    alpha_ff: torch.Tensor  # (K, 1, dim)


class Population:
    """Several models of one architecture run as one: their weights stacked on a leading
    model dimension, every product a batched one (``torch.matmul`` over the stack).

    ``forward(ids)`` gives every model's logits for the same windows, ``(K, B, T, vocab)``.
    Each model's numbers are what ``Engine.forward`` gives for it alone (the same
    operations, one model per slice; ``tests/model/test_population.py`` checks it), so
    scoring a litter, a Darwin generation or a path scan in one pass changes no figure.
    Built from engines on one device (their weights are copied into the stack; a
    population of one holds views).
    """

    def __init__(self, engines: Sequence["Engine"]):
        if not engines:
            raise StudioError("a population needs at least one model")
        first = engines[0]
        for other in engines[1:]:
            if population_key(other) != population_key(first):
                raise StudioError("a population's models must share architecture, vocabulary size and device")
        self.engines = list(engines)
        self.models = len(engines)
        self.device, self.dtype = first.device, first.dtype
        self.heads, self.dim_head, self.dim = first.heads, first.dim_head, first.dim
        self.num_tokens = first.num_tokens
        self.norm_qk, self.add_value_residual, self.smith = first.norm_qk, first.add_value_residual, first.smith
        self._update = first._update
        self._engine = first  # rotary tables
        self._compiled = None  # see compile()
        self.compiled_shape: dict[str, torch.Size] = {}
        self.compile_note = ""

        def stacked(tensors: list[torch.Tensor]) -> torch.Tensor:
            return tensors[0].unsqueeze(0) if len(tensors) == 1 else torch.stack(tensors)

        self.embed = stacked([e.embed for e in engines])
        self.w_logits = stacked([e.w_logits for e in engines])
        self.layers = []
        for layers in zip(*(e.layers for e in engines)):
            qk_weight = stacked([layer.qk_weight for layer in layers])  # (K, heads, 2, 1, dim_head)
            self.layers.append(
                _StackedLayer(
                    w_qkv=stacked([layer.w_qkv for layer in layers]),
                    qk_weight=qk_weight.permute(0, 3, 2, 1, 4).unsqueeze(1),
                    w_attn_out=stacked([layer.w_attn_out for layer in layers]),
                    alpha_attn=stacked([layer.alpha_attn for layer in layers]).unsqueeze(1),
                    w_ff_in=stacked([layer.w_ff_in for layer in layers]),
                    w_ff_out=stacked([layer.w_ff_out for layer in layers]),
                    alpha_ff=stacked([layer.alpha_ff for layer in layers]).unsqueeze(1),
                )
            )

    @torch.inference_mode()
    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Logits of every model at every position of ``ids`` (B, T): (K, B, T, vocab)."""
        ids = ids.to(self.device)
        length = ids.shape[1]
        self._engine._grow_rotary(length)
        rotations = self._engine._rotations[:length].view(length, 1, 1, self.dim_head // 2)
        if self._compiled is not None and ids.shape == self.compiled_shape.setdefault("ids", ids.shape):
            # one compiled shape (the full batches of windows); the rest (the last, smaller
            # batch) run eagerly rather than compile again for a single call
            try:
                return self._compiled(ids, rotations)
            except Exception as exc:  # torch raises many types; the eager forward is the same math
                self.compile_note = f"compile failed ({type(exc).__name__}: {exc}); eager"
                self._compiled = None
        return self._logits(ids, rotations)

    def compile(self) -> "Population":
        """Run ``forward`` through torch.compile from now on: inductor fuses each normalise-and-
        scale (and the residual steps around it) into a few kernels, on the CPU (C++) and CUDA
        (Triton). The first call of each shape compiles (tens of seconds on two shared cores, a
        few with inductor's cache warm), so only long jobs ask for it (``DARWASCII_COMPILE=1``);
        if compiling fails, the eager forward runs instead and ``compile_note`` says why."""
        if self._compiled is not None:
            return self
        try:
            self._compiled = torch.compile(self._logits, dynamic=False)
        except Exception as exc:
            self.compile_note = f"compile unavailable ({type(exc).__name__}); eager"
        return self

    def _logits(self, ids: torch.Tensor, rotations: torch.Tensor) -> torch.Tensor:
        batch, length = ids.shape
        models, heads, dim_head = self.models, self.heads, self.dim_head
        x = self.embed[:, ids].view(models, batch * length, self.dim)
        first_values = None
        for layer in self.layers:
            fused = torch.matmul(x, layer.w_qkv.mT).view(models, batch, length, 3, heads, dim_head // 2, 2)
            # q and k rotate together (complex pairs), are normalised in one call and scaled in one product
            qk = torch.view_as_real(torch.view_as_complex(fused[:, :, :, :2]) * rotations).flatten(-2)
            if self.norm_qk:
                qk = F.normalize(qk, dim=-1)
            qk = qk * layer.qk_weight  # (K, B, T, 2, heads, dim_head)
            shape = (models * batch, length, heads, dim_head)
            q = qk[:, :, :, 0].reshape(shape).transpose(1, 2)
            k = qk[:, :, :, 1].reshape(shape).transpose(1, 2)
            v = fused[:, :, :, 2].reshape(shape).transpose(1, 2)
            first_values, v = _value_residual(self.add_value_residual, first_values, v)
            attended = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=1.0)
            attended = attended.transpose(1, 2).reshape(models, batch * length, heads * dim_head)
            branch = F.normalize(torch.matmul(attended, layer.w_attn_out.mT), dim=-1)
            x = self._update(x, branch, layer.alpha_attn)
            hidden, gate = torch.matmul(x, layer.w_ff_in.mT).chunk(2, dim=-1)
            branch = F.normalize(torch.matmul(F.silu(gate) * hidden, layer.w_ff_out.mT), dim=-1)
            x = self._update(x, branch, layer.alpha_ff)
        return torch.matmul(x, self.w_logits.mT).view(models, batch, length, -1)


def population_key(engine: "Engine") -> tuple:
    """What models must share to run as one population."""
    layer = engine.layers[0]
    return (
        engine.device,
        engine.dtype,
        engine.dim,
        engine.heads,
        engine.dim_head,
        len(engine.layers),
        engine.num_tokens,
        tuple(layer.w_ff_in.shape),
        engine.norm_qk,
        engine.add_value_residual,
        engine.smith,
        tuple(engine.w_logits.shape),
    )


class StaticDecoder:
    """One-token decode steps over a static-capacity KV cache: every shape is fixed, so on
    CUDA the step is captured once in a CUDA graph and replayed (no kernel-launch cost
    per op). The same path runs eagerly on the CPU, where tests check it against
    nGPT-pytorch.

    The cache holds ``capacity`` positions for ``batch`` rows; attention reads the
    smallest power-of-two window of it (at least ``MIN_WINDOW`` slots) that holds every
    position written so far, and masks the slots of that window not written yet. One
    graph per window: attending over the whole capacity at every step made a
    1024-row gallery 1.6x slower than the growing cache on an H100 (``bench sample``;
    windows brought it to 0.9-1.0x, and such galleries decode eagerly by default).
    Rows never leave the batch (a finished row's outputs are ignored by the caller).
    Engines keep one decoder per (batch, capacity) bucket (``Engine.static_decoder``),
    its graphs captured when it is built.
    """

    def __init__(self, engine: "Engine", batch: int, capacity: int, graph: bool = False):
        self.engine = engine
        self.batch = batch
        self.capacity = capacity
        device, dtype = engine.device, engine.dtype
        shape = (batch, engine.heads, capacity, engine.dim_head)
        # zeros, not empty: masked positions get weight 0, and 0 * NaN would still be NaN
        self.keys = [torch.zeros(shape, device=device, dtype=dtype) for _ in engine.layers]
        self.values = [torch.zeros(shape, device=device, dtype=dtype) for _ in engine.layers]
        self.ids = torch.zeros(batch, 1, dtype=torch.long, device=device)
        self.position = torch.zeros(1, dtype=torch.long, device=device)
        self.slots = torch.arange(capacity, device=device)
        engine._grow_rotary(capacity)
        self.rotations = engine._rotations[:capacity]
        self.length = 0
        self.windows = [w for w in (MIN_WINDOW << i for i in range(capacity.bit_length())) if w < capacity]
        self.windows.append(capacity)
        # window -> (graph, its logits output); empty when decoding eagerly
        self.graphs: dict[int, tuple[torch.cuda.CUDAGraph, torch.Tensor]] = {}
        if graph:
            for window in self.windows:
                self._capture(window)

    def _capture(self, window: int) -> None:
        # Captured at position 0 with the ids buffer as it is: the slot written here
        # is written again by the first real step.
        stream = torch.cuda.Stream(device=self.engine.device)
        stream.wait_stream(torch.cuda.current_stream(self.engine.device))
        with torch.cuda.stream(stream), torch.inference_mode():
            for _ in range(2):  # warm-up (allocator, kernel selection)
                self._forward(window)
        torch.cuda.current_stream(self.engine.device).wait_stream(stream)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph), torch.inference_mode():
            logits = self._forward(window)
        self.graphs[window] = (graph, logits)

    @property
    def graph(self) -> bool:
        """Whether steps replay CUDA graphs."""
        return bool(self.graphs)

    def window_for(self, length: int) -> int:
        """The smallest window that holds ``length`` positions."""
        return next(w for w in self.windows if w >= length)

    def reset(self) -> None:
        """Start a new batch of sequences (old cache entries are masked, never read)."""
        self.length = 0

    @torch.inference_mode()
    def step(self, ids: torch.Tensor) -> torch.Tensor:
        """Feed one token per row (B,) or (B, 1) at the next position; logits (B, vocab)."""
        if self.length >= self.capacity:
            raise StudioError(f"the static cache holds {self.capacity} positions; ask for a larger one")
        self.ids.copy_(ids.reshape(self.batch, 1))
        self.position.fill_(self.length)
        window = self.window_for(self.length + 1)
        if window in self.graphs:
            graph, logits = self.graphs[window]
            graph.replay()
        else:
            logits = self._forward(window)
        self.length += 1
        return logits.clone()

    def _forward(self, window: int) -> torch.Tensor:
        e = self.engine
        batch = self.batch
        rotation = self.rotations.index_select(0, self.position)  # (1, dim_head / 2)
        mask = self.slots[:window] <= self.position
        if e.window:  # the training context, as in Engine._run
            mask = mask & (self.slots[:window] > self.position - e.window)
        mask = mask.view(1, 1, 1, window)
        x = F.embedding(self.ids, e.embed)
        first_values = None
        for index, layer in enumerate(e.layers):
            q, k, v, first_values = e._qkv(layer, x, rotation, first_values)
            self.keys[index].index_copy_(2, self.position, k)
            self.values[index].index_copy_(2, self.position, v)
            keys, values = self.keys[index][:, :, :window], self.values[index][:, :, :window]
            attended = F.scaled_dot_product_attention(q, keys, values, attn_mask=mask, scale=1.0)
            attended = attended.transpose(1, 2).reshape(batch, 1, e.inner)
            branch = F.normalize(_project(attended, layer.w_attn_out), dim=-1)
            x = e._update(x, branch, layer.alpha_attn)
            hidden, gate = _project(x, layer.w_ff_in).chunk(2, dim=-1)
            branch = F.normalize(_project(F.silu(gate) * hidden, layer.w_ff_out), dim=-1)
            x = e._update(x, branch, layer.alpha_ff)
        return _project(x, e.w_logits)[:, 0]


# The smallest attention window of a static decoder step, in cache slots.
MIN_WINDOW = 64


def batch_bucket(rows: int) -> int:
    """The batch size a static decoder is built for: the next power of two."""
    return 1 << max(0, rows - 1).bit_length()


def capacity_bucket(length: int) -> int:
    """The cache capacity a static decoder is built for: the next power of two, at least 256."""
    return max(256, 1 << max(0, length - 1).bit_length())


def pick_device(requested: str | None = None) -> torch.device:
    """``auto`` (or None) picks CUDA, then Apple's MPS, then the CPU."""
    if requested in (None, "", "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(requested)
    except RuntimeError:
        raise StudioError(f"unknown device {requested!r} (use auto, cpu, cuda or mps)") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise StudioError(f"device {requested!r} was asked for but CUDA is not available")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        count = torch.cuda.device_count()
        raise StudioError(
            f"device {requested!r} was asked for but this machine has {count} CUDA device"
            f"{'s' if count != 1 else ''} (cuda:0 to cuda:{count - 1})"
        )
    if device.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise StudioError(f"device {requested!r} was asked for but MPS is not available")
    return device
