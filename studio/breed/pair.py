"""Two parents made ready to breed: compatible, aligned by character, precomputed.

``prepare_pair(a, b)`` checks that the parents can breed, aligns their
vocabularies (the child's vocabulary is the union: A's chars, then the chars only
B knows), and keeps both state dicts over that union. A char that only one parent
knows gets that parent's row on both sides, so every method leaves it untouched.
``AlignedPair.child(recipe)`` then makes children quickly: the angles between
matching unit vectors are computed once per pair, not once per child.
"""

from __future__ import annotations

from functools import cached_property

import torch

from studio.breed.anatomy import TensorRole, role_of
from studio.breed.recipe import BreedRecipe
from studio.breed.sphere import SphereLerp
from studio.errors import IncompatibleParentsError
from studio.model import compat
from studio.model.checkpoint import ArtistCheckpoint, lineage_record
from studio.model.facts import inherited_training
from studio.model.vocab import Vocab

_SHAPE_KEYS = ("dim", "depth", "heads", "dim_head", "ff_inner", "tied_embedding", "num_hyperspheres")


def check_compatible(a: ArtistCheckpoint, b: ArtistCheckpoint) -> None:
    """Raise IncompatibleParentsError naming what differs between the parents."""
    where = f"cannot breed {a.display_path} with {b.display_path}"
    arch_a, arch_b = a.arch, b.arch
    for key in _SHAPE_KEYS:
        if arch_a[key] != arch_b[key]:
            raise IncompatibleParentsError(f"{where}: {key.replace('_', ' ')} differs ({arch_a[key]} vs {arch_b[key]})")
    if a.variant != b.variant:
        raise IncompatibleParentsError(f"{where}: the variant differs ({a.variant} vs {b.variant})")
    if a.vocab.byte_level != b.vocab.byte_level:
        raise IncompatibleParentsError(f"{where}: one is byte-level and the other char-level")


def union_vocab(a: Vocab, b: Vocab) -> Vocab:
    if a.byte_level:
        return a
    known = set(a.chars)
    return Vocab(a.chars + tuple(c for c in b.chars if c not in known))


def _align_rows(
    tensor_a: torch.Tensor, tensor_b: torch.Tensor, vocab: Vocab, va: Vocab, vb: Vocab
) -> tuple[torch.Tensor, torch.Tensor]:
    """Token-indexed tensors of both parents over the union vocabulary."""
    ia, ib = va.stoi, vb.stoi
    rows_a, rows_b = [], []
    for char in vocab.chars:
        ra = tensor_a[ia[char]] if char in ia else tensor_b[ib[char]]
        rb = tensor_b[ib[char]] if char in ib else tensor_a[ia[char]]
        rows_a.append(ra)
        rows_b.append(rb)
    return torch.stack(rows_a), torch.stack(rows_b)


class AlignedPair:
    """Parents A and B over one vocabulary, ready to produce children."""

    def __init__(self, a: ArtistCheckpoint, b: ArtistCheckpoint):
        check_compatible(a, b)
        self.a, self.b = a, b
        self.vocab = union_vocab(a.vocab, b.vocab)
        same_vocab = a.vocab.chars == b.vocab.chars and len(a.vocab) == a.config["num_tokens"]
        state_b = compat.adapt_state_dict_keys(b.state_dict, a.state_dict.keys())
        self.keys = list(a.state_dict)
        missing = [k for k in self.keys if k not in state_b]
        if missing:
            raise IncompatibleParentsError(f"cannot breed {a.display_path} with {b.display_path}: B lacks {missing[0]}")
        self.roles: dict[str, TensorRole] = {k: role_of(k) for k in self.keys}
        self.tensors_a: dict[str, torch.Tensor] = {}
        self.tensors_b: dict[str, torch.Tensor] = {}
        for key in self.keys:
            ta, tb = a.state_dict[key], state_b[key]
            if self.roles[key].token_indexed and not same_vocab:
                ta, tb = _align_rows(ta, tb, self.vocab, a.vocab, b.vocab)
            self.tensors_a[key], self.tensors_b[key] = ta, tb
        self.config = {**a.config, "num_tokens": len(self.vocab)}
        self._spheres: dict[str, SphereLerp] = {}

    # -- shared helpers for the methods ----------------------------------------------

    def sphere(self, key: str) -> SphereLerp:
        """Angles between A's and B's unit vectors of ``key`` (columns for to_out)."""
        if key not in self._spheres:
            ta, tb = self.tensors_a[key], self.tensors_b[key]
            if self.roles[key].kind == "cols":
                ta, tb = ta.t(), tb.t()
            self._spheres[key] = SphereLerp(ta, tb)
        return self._spheres[key]

    def slerp(self, key: str, t: float) -> torch.Tensor:
        """The tensor ``key`` at t along the great circles (t=0: A and t=1: B, exactly)."""
        ta = self.tensors_a[key]
        if t == 0.0:
            return ta.clone()
        if t == 1.0:
            return self.tensors_b[key].clone()
        out = self.sphere(key).at(t)
        if self.roles[key].kind == "cols":
            out = out.t()
        return out.to(ta.dtype).contiguous()

    @cached_property
    def labels(self) -> list[str]:
        return list(dict.fromkeys(self.a.labels + self.b.labels))

    # -- children ------------------------------------------------------------------------

    def child(self, recipe: BreedRecipe, *, name: str | None = None) -> ArtistCheckpoint:
        from studio.breed.methods import METHODS

        recipe.validate(depth=self.a.arch["depth"])
        state = METHODS[recipe.method].merge(self, recipe)
        return ArtistCheckpoint(
            config=dict(self.config),
            state_dict=state,
            vocab=self.vocab,
            framing=self.a.framing,
            variant=self.a.variant,
            labels=self.labels,
            lineage=lineage_record([self.a, self.b], recipe.method, recipe.to_dict(), seed=recipe.seed),
            metrics={},
            # what the judge needs to score the child as its parents were trained
            extra={"training": inherited_training([self.a, self.b])},
            path=None,
            name=name or default_child_name(self.a, self.b, recipe.method),
            framing_source="file",
        )

    def parent(self, letter: str) -> ArtistCheckpoint:
        """Parent "A" or "B" over the pair's union vocabulary (exact: slerp at t = 0 or 1),
        named after it: the baseline its children are judged against."""
        parent = self.a if letter == "A" else self.b
        return self.child(BreedRecipe("slerp", t=0.0 if letter == "A" else 1.0), name=parent.name)

    def over_union(self, other: ArtistCheckpoint) -> ArtistCheckpoint:
        """Another model of the family (the shared ancestor) over the pair's vocabulary: exact
        for the chars it knows; a char only the pair knows takes A's row (or B's, for B's own)."""
        if other.vocab.chars == self.vocab.chars:
            return other
        return prepare_pair(other, self.parent("A")).child(BreedRecipe("slerp", t=0.0), name=other.name)

    def copy_of(self, child: ArtistCheckpoint) -> str | None:
        """ "A" or "B" when the child's weights are exactly that parent's (over the union
        vocabulary), e.g. a discrete child whose every coin fell on one side; else None."""
        for letter, tensors in (("A", self.tensors_a), ("B", self.tensors_b)):
            if all(torch.equal(child.state_dict[key], tensors[key]) for key in self.keys):
                return letter
        return None


def copy_note(child: ArtistCheckpoint, letter: str, parent: ArtistCheckpoint, recipe: BreedRecipe) -> str:
    """One sentence: the child is a copy of one parent, and what to change for a real cross."""
    how = "its seed" if recipe.seed is not None else "its amounts"
    extra = ""
    if recipe.method == "discrete" and recipe.options.get("granularity") == "layer":
        coins = parent.arch["depth"] + 1  # one per block, one for the embeddings
        extra = f" (at layer granularity the child is {coins} coins, all on one side 2 times in {2**coins})"
    return (
        f"{child.name} is an exact copy of parent {letter} ({parent.name}): every unit came from it{extra}; "
        f"change {how} (or the method) to breed a real cross."
    )


def default_child_name(a: ArtistCheckpoint, b: ArtistCheckpoint, method: str) -> str:
    """``A_x_B_method``; a child of parents with different framings says so in its name,
    so it never takes the name of the same pair's same-framing child."""
    name = f"{a.name}_x_{b.name}_{method}"
    return name if a.framing == b.framing else f"{name}_mixed-framing"


def framing_note(a: ArtistCheckpoint, b: ArtistCheckpoint) -> str | None:
    """What breeding parents of different framings did (None when they agree)."""
    if a.framing == b.framing:
        return None
    how = "on a label" if a.framing == "conditional" else "without a label"
    return (
        f"{a.name} is {a.framing} and {b.name} is {b.framing}: the child is {a.framing} like A (it draws {how}); "
        "swap A and B for the other framing."
    )


def prepare_pair(a: ArtistCheckpoint, b: ArtistCheckpoint) -> AlignedPair:
    return AlignedPair(a, b)


def breed(
    a: ArtistCheckpoint, b: ArtistCheckpoint, recipe: BreedRecipe, *, name: str | None = None
) -> ArtistCheckpoint:
    """One child of A and B (in memory: save it with save_checkpoint)."""
    return prepare_pair(a, b).child(recipe, name=name)


__all__ = [
    "AlignedPair",
    "breed",
    "check_compatible",
    "copy_note",
    "default_child_name",
    "framing_note",
    "prepare_pair",
    "union_vocab",
]
