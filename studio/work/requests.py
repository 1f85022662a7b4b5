"""What the app asks of its worker (plain dataclasses), and what comes back.

The GUI thread builds a request and submits it (``Worker.submit(title, request)``);
``studio.work.handlers.execute`` runs it in the worker thread. A request holds paths,
library records, recipes and settings, and the library where a result is registered;
the handlers load the files. Nothing here imports PyTorch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.breed.litters import Kid, Litter, NurseryPlan, NurseryState
from studio.breed.recipe import BreedRecipe
from studio.library.records import CheckpointRecord
from studio.model.art import SampleSettings
from studio.model.judge import Measurement
from studio.model.vigor import VigorReport

# -- requests ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """Draw a gallery (the art, a list), streaming chars as ``{index: new_text}`` partials;
    ``indices``: which pieces of the settings' gallery (None: all)."""

    path: str
    framing: str | None
    settings: SampleSettings
    indices: list[int] | None = None


@dataclass(frozen=True)
class CompareWithTraining:
    """Each drawing's nearest piece in the train split of the artist's own corpus (an
    ``studio.train.originality.Originality``), or None when no training data is known."""

    path: str
    texts: tuple[str, ...]


@dataclass(frozen=True)
class Breed:
    """Breed, judge, save and register the child (a BreedOutcome)."""

    library: Any  # studio.library.Library: the child is registered there
    a: CheckpointRecord
    b: CheckpointRecord
    recipe: BreedRecipe
    out_dir: Path
    name: str | None = None
    align: bool = False  # breed from B aligned to A


@dataclass(frozen=True)
class ExportCheckpoint:
    """Write a record's checkpoint to ``dest`` (the path written)."""

    record: CheckpointRecord
    dest: str


@dataclass(frozen=True)
class Scan:
    """bpc along the slerp path from A to B (a ScanOutcome); ``align``: and with B aligned to A."""

    path_a: str
    path_b: str
    points: int = 9
    align: bool = False


@dataclass(frozen=True)
class Evaluate:
    """bpc on a corpus split, a text file, or (neither) the artist's own training data (a
    Measurement); ``skip_unknown``: drop chars the model does not know (default: only for a
    text file)."""

    path: str
    corpus: str | None
    split: str
    text_file: str | None
    skip_unknown: bool | None = None


@dataclass(frozen=True)
class Train:
    """Train an artist named ``name`` (the path written); a cancel saves the step reached."""

    corpus: str
    out: Path
    framing: str
    steps: int
    start_path: str | None
    shape: dict
    name: str | None = None


@dataclass(frozen=True)
class Darwin:
    """Evolve, save the champion and register it (a DarwinOutcome); ``align``: breed from B
    aligned to A (as ``darwin --align --align-residual``)."""

    library: Any
    a: CheckpointRecord
    b: CheckpointRecord
    out_dir: Path
    population: int
    generations: int
    seed: int
    align: bool = False


@dataclass(frozen=True)
class OpenPaths:
    """Import folders and files into the library (an ImportReport each); files that need full
    unpickling are reported (with their sha256), not loaded."""

    library: Any
    paths: list[str]
    read_only: bool = False


@dataclass(frozen=True)
class ImportFile:
    """Import one file (its record); ``trust``: the sha256 of the contents the user agreed to
    fully unpickle (only bytes with that hash are, and later jobs load them trusted too)."""

    library: Any
    path: str
    trust: str | None = None
    read_only: bool = False
    display_name: str | None = None


@dataclass(frozen=True)
class BuildFamily:
    """Train a family of artists (``studio.train.family.build_family``; its results);
    ``options`` go to it as they are."""

    corpus: str
    out: str
    size: str = "auto"
    replicates: int = 1
    options: dict | None = None


# -- the nursery ----------------------------------------------------------------------------------
# A litter's job breeds it, then streams every child's piece (``{"text": {index: chars}}``,
# ``{"piece": {index: text}}`` when a try starts again) and says when each is judged
# (``{"judged": index}``); the first partial is ``{"litter": LitterOutcome}``.


@dataclass(frozen=True)
class NewLitter:
    """A new session of A and B around ``recipe``, and its first litter (a LitterOutcome)."""

    a_path: str
    b_path: str
    recipe: BreedRecipe
    log_path: Path
    settings: SampleSettings  # what every child draws with; its seed seeds the session
    size: int
    spread: float
    align: bool = False


@dataclass(frozen=True)
class NextLitter:
    """The session's next litter from its last one's stars."""

    session: NurseryState
    plan: NurseryPlan
    settings: SampleSettings


@dataclass(frozen=True)
class UndoLitter:
    session: NurseryState


@dataclass(frozen=True)
class ResumeNursery:
    """A session again from its log (a LitterOutcome with its last litter)."""

    log_path: str


@dataclass(frozen=True)
class KeepChild:
    """Save a child and register it with its piece as its first gallery (its record)."""

    library: Any
    session: NurseryState
    litter: Litter
    kid: Kid
    out_dir: Path


# -- outcomes --------------------------------------------------------------------------------------


@dataclass
class ChildJudgement:
    """A child judged against its parents on held-out data chosen for the pair."""

    child: Measurement
    parents: tuple[Measurement, Measurement]  # A and B on the same data
    vigor: VigorReport


@dataclass
class BreedOutcome:
    path: str
    record: CheckpointRecord  # the child's, registered in the library by the job
    judgement: ChildJudgement | None  # None: no held-out data is known for the parents
    note: str | None = None  # what breeding parents of different framings did
    unjudged: str | None = None  # why there is no judgement


@dataclass
class ScanOutcome:
    raw: Any  # studio.breed.scan.ScanResult of A -> B
    aligned: Any = None  # of A -> (B aligned to A), when asked for


@dataclass
class DarwinOutcome:
    path: str  # the champion's file
    log: dict[str, Any]  # the run's log (studio.breed.darwin), as saved beside it
    record: CheckpointRecord  # the champion's, registered in the library


@dataclass
class LitterOutcome:
    session: NurseryState  # made, bred and judged only by the worker's handlers
    litter: Litter | None  # the litter shown now (None after undoing the first)
