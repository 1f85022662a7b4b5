"""Corpora by name: what ``--corpus`` accepts, in the CLI and the app, and how to load it.

A corpus spec is one of

    builtin, builtin-a, builtin-b      the procedural corpus (studio.train.procedural)
    system-art                         hand-drawn art from installed packages (studio.train.system_art)
    PATH                               the apehex dataset folder (parquet shards), a folder of
                                       .txt pieces, a .jsonl or a .parquet file
    SPEC:creatures, SPEC:objects       one of the card's two halves of a corpus
                                       (creatures & nature, objects & tech)

``LoadedCorpus.source`` is the spec that loads the same corpus again (a path made
absolute): training records it, and the judge reloads it to score an artist on the
held-out split of its own data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from studio.errors import StudioError
from studio.train.corpus import BUILTIN_CORPORA, Piece, load_builtin

SYSTEM_ART = "system-art"
HALVES: dict[str, str] = {"creatures": "creatures & nature", "objects": "objects & tech"}
# builtin's halves have names of their own (and every recorded recipe uses them)
_BUILTIN_HALVES = {"creatures": "builtin-a", "objects": "builtin-b"}


@dataclass
class LoadedCorpus:
    """A corpus named on the command line or in the app: its pieces and what was skipped."""

    pieces: list[Piece]
    name: str  # short, for people: "builtin-a", "system-art:objects", "ascii-art"
    source: str  # the spec that loads it again (built-in name, system-art[:half], absolute path[:half])
    kind: str = "builtin"  # builtin | system-art | apehex | folder | jsonl | parquet
    half: str | None = None
    skipped: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def whole(self) -> str:
        """The spec of the whole corpus this one is a part of (itself when it is whole)."""
        return base_corpus(self.source) or self.source

    def skipped_note(self) -> str | None:
        """One line about the rows that were skipped, or None when none were."""
        if not self.skipped:
            return None
        return f"skipped {self.skipped} bad pieces of {self.name}, e.g. {self.problems[0]}"


def split_spec(spec: str) -> tuple[str, str | None]:
    """(the whole corpus, the half asked for or None): "x:objects" -> ("x", "objects").

    Only a known half name after the last colon counts, so a path with a colon in it
    stays a path.
    """
    head, sep, tail = spec.rpartition(":")
    if sep and head and tail in HALVES:
        return head, tail
    for half, name in _BUILTIN_HALVES.items():
        if spec == name:
            return "builtin", half
    return spec, None


def base_corpus(spec: str | None) -> str | None:
    """The whole corpus a spec is a part of: builtin-a -> builtin, "x:objects" -> x."""
    if spec is None:
        return None
    return split_spec(spec)[0]


def _system_art(half: str | None) -> LoadedCorpus:
    from studio.train import system_art

    found = system_art.load_system_art()
    if not found.pieces:
        raise StudioError(
            f"{SYSTEM_ART}: none of its packages is installed ({', '.join(found.missing)}); install them with: "
            f"{found.install_line}"
        )
    pieces = found.pieces
    if half is not None:
        keep = set(system_art.CREATURES_AND_NATURE if half == "creatures" else system_art.OBJECTS_AND_TECH)
        pieces = [p for p in pieces if p.label in keep]
    notes = [found.summary()]
    if found.missing:
        notes.append(f"not installed: {', '.join(found.missing)} ({found.install_line})")
    name = SYSTEM_ART + (f":{half}" if half else "")
    return LoadedCorpus(pieces, name, name, SYSTEM_ART, half, notes=notes)


def _from_path(path: Path, half: str | None) -> LoadedCorpus:
    from studio.train import apehex
    from studio.train.importers import pieces_from_any

    source = str(path.resolve()) + (f":{half}" if half else "")
    name = path.name + (f":{half}" if half else "")
    if path.is_dir() and apehex.shards(path):
        result = apehex.import_apehex(path, half)
        return LoadedCorpus(result.pieces, name, source, "apehex", half, result.skipped, result.problems)
    if half is not None:
        raise StudioError(
            f"{path}: only the apehex dataset, builtin and {SYSTEM_ART} know their halves; "
            "pick classes with --classes instead"
        )
    result = pieces_from_any(path)
    kind = "folder" if path.is_dir() else path.suffix.lstrip(".").lower()
    return LoadedCorpus(result.pieces, name, source, kind, None, result.skipped, result.problems)


def load_corpus(spec: str) -> LoadedCorpus:
    """The corpus ``spec`` names (see the module's docstring). Bad rows are skipped and
    reported in the result, never printed; a spec that names nothing is one sentence."""
    base, half = split_spec(spec)
    if base in BUILTIN_CORPORA:
        if half is not None and base != "builtin":
            raise StudioError(f"{spec}: {base} is already one half of builtin")
        name = _BUILTIN_HALVES[half] if half else base
        _, own_half = split_spec(name)
        return LoadedCorpus(load_builtin(name), name, name, "builtin", own_half)
    if base == SYSTEM_ART:
        return _system_art(half)
    path = Path(base).expanduser()
    if not path.exists():
        known = ", ".join([*BUILTIN_CORPORA, SYSTEM_ART])
        raise StudioError(f"unknown corpus {spec!r}: neither a known corpus ({known}) nor a file or folder")
    return _from_path(path, half)
