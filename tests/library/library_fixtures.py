"""Tiny random checkpoints laid out like the released snapshot (fast: dim 32, depth 1).

Not a conftest.py: other test folders import their conftest by name (``from conftest
import ...``), and a second conftest module would shadow theirs in a full run. Test
modules here import the ``snapshot`` fixture from this module instead.
"""

import json

import pytest

from studio.model.checkpoint import load_checkpoint, save_checkpoint
from studio.model.synthetic import random_checkpoint
from studio.model.vocab import TEXT, Vocab

SHAPE = dict(dim=32, depth=1, heads=2, dim_head=16)


def tiny(seed, **kwargs):
    return random_checkpoint(**SHAPE, seed=seed, **kwargs)


def tiny_text(seed):
    return random_checkpoint(**SHAPE, seed=seed, vocab=Vocab.bytes256(), framing=TEXT)


def save(ckpt, path):
    """Save and read back, so the checkpoint knows its path and sha256 (as a parent does)."""
    return load_checkpoint(save_checkpoint(ckpt, path))


@pytest.fixture
def snapshot(tmp_path):
    """The card's layout: artists, breed/ children, an A__x__B offspring, an ablation."""
    root = tmp_path / "snapshot"
    save(tiny(1, labels=["Cats", "Fish"]), root / "apehex/styleA/model.pt")
    save(tiny(2, labels=["Swords", "Cars"]), root / "apehex/styleB/model.pt")
    save(tiny(3), root / "apehex/breed/child_slerp/model.pt")
    save(tiny(4), root / "apehex/breed/child_slerp_frozenattn/model.pt")
    save(tiny(5, framing="unconditional"), root / "uncond/styleA/model.pt")
    save(tiny(6, variant="smith"), root / "smith-experiment/smith/model.pt")
    save(tiny_text(7), root / "enwik8-darwin/offspring_forkL__x__forkR.pt")
    (root / "enwik8-darwin/darwin_log.json").write_text(json.dumps({"champion": {"bpc": 2.46}}))
    (root / "apehex/styleA/notes.json").write_text("{}")  # not a checkpoint: ignored
    return root


def edge_names(library):
    """Edges as (parent qualified name, child qualified name, method)."""
    names = {r.id: r.qualified_name for r in library.checkpoints()}
    return {(names[e.parent_id], names[e.child_id], e.method) for e in library.edges()}


def roles(library):
    return {r.qualified_name: r.role for r in library.checkpoints()}
