"""The nursery log's schema: checked before a session is rebuilt from it.

A log is JSON anyone can edit, and ``Nursery.from_log`` / ``darwascii nursery-rebuild``
act on it: load the parents it names, rebuild children from its genomes, write
their lineage. Every field they use is checked here first, so a malformed log is
one sentence naming the file and the field (never a traceback), and a genome
cannot make them compute without bound: a child may name an earlier child as a
parent ("g1#3"), so genomes form a graph in which every reference is shared; the
lineage a kept child carries writes it out as a tree, whose size is checked
(``genome_size``) before it is built.

The shape (unknown extra keys are allowed and ignored)::

    {"version": 1, "started": str, "seed": int,
     "parents": [{"name": str, "sha256": str|null, "path": str|null}, x2],
     "recipe": {"method": str, ...},
     "settings": {label, temperature, top_k, top_p, max_chars, seed}   (optional)
     "litters": [{"generation": int, "how": str, "label": str|null, "seed": int,
                  "settings": {...} (optional),
                  "kids": [{"index": int, "a": NODE, "b": NODE, "recipe": {...},
                            "measurement": {"bpc": number, ...}|null, "vigor": {...}|null,
                            "piece": str, "starred": bool, "kept": str|null,
                            "kept_sha256": str|null}]}]}
    NODE = "A" | "B" | "gN#K" (an earlier child) | {"a": NODE, "b": NODE, "recipe": {...}}
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any, Mapping

from studio.errors import StudioError
from studio.limits import MAX_PIECE_CHARS, MAX_SEED

# A log is a few hundred bytes a child; 64 MB is tens of thousands of litters.
MAX_LOG_BYTES = 64 << 20
MAX_LITTERS = 10_000
MAX_KIDS_PER_LITTER = 256
# A genome written out in full (a kept child's lineage): nodes of the tree. Each
# paired generation doubles it, so 65,536 is 16 generations of pairs; past that a
# child's lineage would be megabytes of JSON, and a crafted log (a chain of children
# each naming the one before twice) would be 2**n nodes after n litters.
MAX_GENOME_NODES = 1 << 16
# Inline genomes (a dict in place of a "gN#K" reference) nest at most this deep.
MAX_INLINE_DEPTH = 64

_PLACE = re.compile(r"g([1-9][0-9]{0,5})#([1-9][0-9]{0,5})")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class NurseryLogError(StudioError):
    """A nursery log that does not follow the schema (one sentence naming the file)."""


def read_log(path: str | Path) -> dict[str, Any]:
    """The log at ``path``, read through the checked open and validated."""
    from studio.fsutil import InputFileError, check_input_file, open_input

    path = Path(path)
    try:
        info = check_input_file(path, "nursery log")
        if info.st_size > MAX_LOG_BYTES:
            raise NurseryLogError(
                f"{path}: is {info.st_size:,} bytes, more than a nursery log holds ({MAX_LOG_BYTES:,})"
            )
        with open_input(path, "r", what="nursery log", encoding="utf-8") as handle:
            data = json.load(handle)
    except InputFileError as exc:
        raise NurseryLogError(str(exc)) from None
    except UnicodeDecodeError:
        raise NurseryLogError(f"{path}: not a nursery log (it is not UTF-8 text)") from None
    except (ValueError, RecursionError) as exc:
        raise NurseryLogError(f"{path}: not a nursery log ({str(exc)[:120] or 'nested too deeply'})") from None
    except OSError as exc:
        raise NurseryLogError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    validate_log(data, str(path))
    return data


def validate_log(data: Any, where: str = "nursery log") -> None:
    """Raise NurseryLogError naming the first field of ``data`` that the nursery cannot use."""
    check = _Checker(where)
    check.mapping(data, "the log")
    check.optional(data, "version", int)
    check.optional(data, "started", str)
    check.seed(data.get("seed", 0), "its 'seed'")
    parents = data.get("parents")
    if not isinstance(parents, list) or len(parents) != 2:
        check.fail("its 'parents' is not a list of the two parents")
    for number, parent in enumerate(parents, start=1):
        what = f"parent {number}"
        check.mapping(parent, what)
        for key in ("name", "path"):
            check.optional(parent, key, str, what)
        check.sha256(parent.get("sha256"), f"{what}'s 'sha256'")
    check.recipe(data.get("recipe"), "its 'recipe'")
    if data.get("settings") is not None:
        check.settings(data["settings"], "its 'settings'")
    litters = data.get("litters")
    if not isinstance(litters, list):
        check.fail("its 'litters' is not a list")
    if len(litters) > MAX_LITTERS:
        check.fail(f"it has {len(litters):,} litters, more than {MAX_LITTERS:,}")
    places: dict[str, int] = {}  # place -> expanded size of its genome
    for litter in litters:
        check.mapping(litter, "a litter")
        generation = litter.get("generation")
        if not isinstance(generation, int) or isinstance(generation, bool) or not 1 <= generation <= MAX_LITTERS:
            check.fail(f"a litter's 'generation' is {_shown(generation)}, not a whole number from 1")
        what = f"litter {generation}"
        check.optional(litter, "how", str, what)
        check.optional(litter, "label", str, what)
        check.seed(litter.get("seed", 0), f"{what}'s 'seed'")
        if litter.get("settings") is not None:
            check.settings(litter["settings"], f"{what}'s 'settings'")
        kids = litter.get("kids")
        if not isinstance(kids, list) or not kids:
            check.fail(f"{what}'s 'kids' is not a list of children")
        if len(kids) > MAX_KIDS_PER_LITTER:
            check.fail(f"{what} has {len(kids):,} children, more than {MAX_KIDS_PER_LITTER}")
        new_places = {}
        for kid in kids:
            check.mapping(kid, f"a child of {what}")
            index = kid.get("index")
            if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < MAX_KIDS_PER_LITTER:
                check.fail(f"a child of {what} has the index {_shown(index)}, not a whole number from 0")
            place = f"g{generation}#{index + 1}"
            if place in places or place in new_places:
                check.fail(f"it lists the child {place} twice")
            size = (
                1
                + check.node(kid.get("a"), places, f"{place}'s 'a'")
                + check.node(kid.get("b"), places, f"{place}'s 'b'")
            )
            check.recipe(kid.get("recipe"), f"{place}'s 'recipe'")
            measurement = kid.get("measurement")
            if measurement is not None:
                check.mapping(measurement, f"{place}'s 'measurement'")
                check.number(measurement.get("bpc"), f"{place}'s measured 'bpc'")
            if kid.get("vigor") is not None:
                check.mapping(kid["vigor"], f"{place}'s 'vigor'")
            check.optional(kid, "piece", str, place)
            check.optional(kid, "starred", bool, place)
            check.optional(kid, "kept", str, place)
            check.sha256(kid.get("kept_sha256"), f"{place}'s 'kept_sha256'")
            new_places[place] = size
        places.update(new_places)


def genome_size(node: Any, memo: dict[int, int] | None = None) -> int:
    """Nodes of ``node`` written out as a tree (shared children counted each time they
    appear), computed over the shared graph: linear in its distinct nodes."""
    memo = {} if memo is None else memo
    if not isinstance(node, Mapping):
        return 1
    key = id(node)
    if key not in memo:
        memo[key] = 1 + genome_size(node.get("a"), memo) + genome_size(node.get("b"), memo)
    return memo[key]


def check_genome_size(node: Any, what: str) -> None:
    """Refuse to write out a genome whose tree would exceed MAX_GENOME_NODES."""
    size = genome_size(node)
    if size > MAX_GENOME_NODES:
        raise StudioError(
            f"{what}'s genome written out in full has {size:,} nodes, more than the {MAX_GENOME_NODES:,} "
            "a lineage holds; keep an earlier child and breed on from it"
        )


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class _Checker:
    def __init__(self, where: str):
        self.where = where

    def fail(self, problem: str):
        raise NurseryLogError(f"{self.where}: not a usable nursery log ({problem})")

    def mapping(self, value: Any, what: str) -> None:
        if not isinstance(value, dict):
            self.fail(f"{what} is {type(value).__name__}, not an object")

    def optional(self, data: Mapping, key: str, kind: type, what: str = "the log") -> None:
        value = data.get(key)
        if value is None:
            return
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.fail(f"{what}'s '{key}' is {_shown(value)}, not {kind.__name__}")

    def number(self, value: Any, what: str) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.fail(f"{what} is {_shown(value)}, not a finite number")

    def seed(self, value: Any, what: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
            self.fail(f"{what} is {_shown(value)}, not a whole number from 0 to 2**63-1")

    def sha256(self, value: Any, what: str) -> None:
        if value is not None and (not isinstance(value, str) or not _SHA256.fullmatch(value)):
            self.fail(f"{what} is {_shown(value)}, not a sha256 digest")

    def recipe(self, value: Any, what: str) -> None:
        from studio.breed.recipe import BreedRecipe

        self.mapping(value, what)
        try:
            BreedRecipe.from_dict(value).validate()
        except (StudioError, TypeError, ValueError, AttributeError) as exc:
            self.fail(f"{what} is not a recipe: {str(exc)[:100]}")

    def settings(self, value: Any, what: str) -> None:
        """The sampling settings the nursery drew with (per session or per litter)."""
        self.mapping(value, what)
        for key, kinds in (("label", (str,)), ("temperature", (int, float)), ("top_p", (int, float))):
            item = value.get(key)
            if item is not None and (isinstance(item, bool) or not isinstance(item, kinds)):
                self.fail(f"{what} has {key} {_shown(item)}")
        for key in ("temperature", "top_p"):
            if value.get(key) is not None and not math.isfinite(value[key]):
                self.fail(f"{what} has {key} {_shown(value[key])}")
        for key, high in (("top_k", 1 << 20), ("max_chars", MAX_PIECE_CHARS), ("seed", MAX_SEED)):
            item = value.get(key)
            if item is not None and (isinstance(item, bool) or not isinstance(item, int) or not 0 <= item <= high):
                self.fail(f"{what} has {key} {_shown(item)}, not a whole number from 0 to {high:,}")

    def node(self, node: Any, places: Mapping[str, int], what: str) -> int:
        """Check a genome node; returns its size written out (MAX_GENOME_NODES caps it)."""
        stack = [(node, 0)]
        total = 0
        while stack:
            item, depth = stack.pop()
            if item in ("A", "B"):
                total += 1
            elif isinstance(item, str):
                if not _PLACE.fullmatch(item):
                    self.fail(f"{what} names {_shown(item)}, which is neither A, B nor a child like g1#3")
                if item not in places:
                    self.fail(f"{what} names {item} before that child is bred")
                total += places[item]
            elif isinstance(item, dict):
                if depth >= MAX_INLINE_DEPTH:
                    self.fail(f"{what} nests more than {MAX_INLINE_DEPTH} levels deep")
                self.recipe(item.get("recipe"), f"{what} (inline)")
                total += 1
                stack.append((item.get("a"), depth + 1))
                stack.append((item.get("b"), depth + 1))
            else:
                self.fail(f"{what} is {_shown(item)}, not A, B, a child like g1#3 or a genome")
            if total > MAX_GENOME_NODES:
                return total  # the caller refuses it when it is written out
        return total
