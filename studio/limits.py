"""Upper bounds on the counts a person can type, each derived from memory or time.

A count without a bound lets one option ask for terabytes or centuries (``sample -n
100000000`` allocated its batch and ran until killed). Each limit here is well above
what real use asks for and well below what would exhaust a desktop (16 GB, CPU),
and is stated in its option's help; the CLI refuses a value beyond it in one
sentence, exit status 2 (``studio.cliutil.bounded_int``).
"""

from __future__ import annotations

# Seeds: torch.Generator.manual_seed takes at most 2**64 - 1, and torch.manual_seed
# reads a signed 64-bit value; every seed the studio takes stays within the latter.
MAX_SEED = 2**63 - 1

# sample -n: pieces are rows of one decoding batch. 1,024 is the largest gallery the
# benches measure; past it the KV cache (below) is the binding limit anyway.
MAX_PIECES = 1024
# sample --max-chars: the card's pieces are under 3,000 chars; 20,000 chars is about a
# minute of decoding for one piece of the card's model on a CPU.
MAX_PIECE_CHARS = 20_000
# --label: a class name; it is the prompt of every piece, so its length is cache too.
MAX_LABEL_CHARS = 1000
# One gallery's KV cache: pieces x positions x layers x 2 (k, v) x heads x dim_head x 4 B.
# 2 GiB holds 1,024 pieces of 256 chars, or 16 pieces of 16,000, at the card's size
# (4 layers of 4 heads x 64), so -n and --max-chars are also checked together.
KV_CACHE_BUDGET_BYTES = 2 << 30

# scan --points: each point scores the whole held-out set once (seconds each);
# 101 points (t in steps of 0.01) is finer than any barrier needs.
MAX_SCAN_POINTS = 101
# align --max-sweeps: the alignment converges in a handful of sweeps.
MAX_ALIGN_SWEEPS = 1000

# darwin --population: each child is built and scored (one model in memory at a time,
# about a second each at the card's size); 256 children x 1,000 generations is days.
MAX_POPULATION = 256
MAX_GENERATIONS = 1000
MAX_EXPERIMENT_SEEDS = 100

# corpus build --per-class: the procedural generators run out of distinct pieces near
# 10,000 a class, which takes about 30 s for the built-in corpus's 8 classes.
MAX_PER_CLASS = 10_000

# One piece of a corpus: the card's pieces are under 3,000 chars; a "piece" of 100,000
# chars is not art, and every window over it would be one piece. Longer rows are skipped.
MAX_CORPUS_PIECE_CHARS = 100_000
# A JSONL line holds one piece and its label (escaped: up to 6 chars a char).
MAX_JSONL_LINE_CHARS = 6 * MAX_CORPUS_PIECE_CHARS + 4096

# Scoring and training windows. Attention holds batch x heads x context^2 floats per
# layer; at 8,192 chars and the judge's batch of 16 windows that is already 16 GB on
# a CPU that computes attention in full, so the scoring context stops at 4,096 (the
# card's models are trained at 128-256).
MAX_CONTEXT = 4096
# --chars-per-class: more than any built-in or imported corpus holds per class.
MAX_CHARS_PER_CLASS = 100_000_000
# train: chars per step (batch x context) at most 262,144, so one step's activations
# stay within a few GB at the largest shapes a desktop trains (dim 512, depth 8).
MAX_TRAIN_CHARS_PER_STEP = 1 << 18


def kv_cache_bytes(arch: dict, pieces: int, positions: int) -> int:
    """Bytes of KV cache (float32) that ``pieces`` rows of ``positions`` take for a model
    of architecture ``arch`` (``ArtistCheckpoint.arch``: depth, heads, dim_head)."""
    return pieces * positions * int(arch["depth"]) * 2 * int(arch["heads"]) * int(arch["dim_head"]) * 4
