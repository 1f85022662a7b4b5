"""Vigor: a child against its baselines on the same pieces, the judge's typed report.

Vigor = best parent minus child on the same data (positive: the child is better),
"positive" only when the 95% interval of that difference excludes zero. Beside it the
controls: each parent on its own classes, the shared ancestor and the routed-parent
oracle (each class scored by the parent trained on it). Every difference is
``baseline - child`` in bpc with its paired, class-stratified bootstrap interval
(``studio.model.judge.paired_difference``).

:func:`vigor_report` measures a :class:`VigorReport`; ``to_dict`` is the JSON that logs
and checkpoints carry (``metrics["vigor"]``), ``from_dict`` reads it back (older or
partial reports too). :meth:`VigorReport.comparisons` lists every baseline in one order
with its names, so the front ends (``text`` here, ``studio.app.figures`` in the app)
format a new comparison without knowing it: adding one is this module (and the app's
figures only if it is to look different there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from studio.model.judge import (
    BOOTSTRAP_SEED,
    BPC_ROUNDING,
    RESAMPLES,
    PieceScores,
    paired_difference,
    routed,
)


@dataclass(frozen=True)
class Versus:
    """The child against one baseline on the same pieces: ``value`` = baseline bpc - child
    bpc (positive: the child is better), with its 95% interval [low, high]."""

    baseline_bpc: float
    child_bpc: float
    value: float
    low: float
    high: float
    resamples: int = RESAMPLES
    seed: int = BOOTSTRAP_SEED
    # better than the baseline beyond noise (the interval excludes zero from above); kept as
    # read from a report, whose bounds are rounded
    positive: bool = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.positive is None:
            # beyond float rounding too: the same model scored twice differs by ~1e-7 bpc, the
            # same way on every piece, which a bootstrap alone would call significant
            object.__setattr__(self, "positive", self.low > BPC_ROUNDING)

    @property
    def worse(self) -> bool:
        """Worse than the baseline beyond noise (and float rounding)."""
        return self.high < -BPC_ROUNDING

    def interval_text(self, digits: int = 3) -> str:
        """``+0.165 [+0.120, +0.210]``"""
        return f"{self.value:+.{digits}f} [{self.low:+.{digits}f}, {self.high:+.{digits}f}]"

    def to_dict(self) -> dict[str, Any]:
        return {
            "baseline_bpc": round(self.baseline_bpc, 6),
            "child_bpc": round(self.child_bpc, 6),
            "value": round(self.value, 6),
            "low": round(self.low, 6),
            "high": round(self.high, 6),
            "resamples": self.resamples,
            "seed": self.seed,
            "positive": self.positive,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Versus:
        value = float(data["value"])
        return cls(
            baseline_bpc=float(data.get("baseline_bpc", 0.0)),
            child_bpc=float(data.get("child_bpc", 0.0)),
            value=value,
            low=float(data.get("low", value)),
            high=float(data.get("high", value)),
            resamples=int(data.get("resamples", RESAMPLES)),
            seed=int(data.get("seed", BOOTSTRAP_SEED)),
            positive=bool(data["positive"]) if "positive" in data else None,  # type: ignore[arg-type]
        )

    @classmethod
    def measured(cls, baseline: PieceScores, child: PieceScores, resamples: int, seed: int) -> Versus:
        diff = paired_difference(baseline, child, resamples, seed)
        return cls(baseline.bpc, child.bpc, diff.value, diff.low, diff.high, resamples, seed)


@dataclass(frozen=True)
class Comparison:
    """One baseline of a report, with the names the front ends show it by."""

    key: str  # where it sits in the report's JSON: best_parent, own_classes, ancestor, routed_oracle
    short: str  # a badge's word: "vigor" (the best parent), "own classes", "ancestor", "oracle"
    name: str  # in a sentence: "the best parent (styleB)", "the routed-parent oracle"
    row: str  # a table's row: "best parent (styleB), all classes"
    versus: Versus


@dataclass(frozen=True)
class ClassRow:
    """Every model's bpc on one class of the data."""

    label: str
    trained_by: tuple[str, ...]  # the parents trained on it
    child: float
    parents: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "class": self.label,
            "trained_by": list(self.trained_by),
            "child": round(self.child, 6),
            **{n: round(v, 6) for n, v in self.parents.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClassRow:
        known = ("class", "trained_by", "child")
        parents = {k: float(v) for k, v in data.items() if k not in known}
        return cls(str(data["class"]), tuple(data.get("trained_by", ())), float(data["child"]), parents)


DEFINITION = (
    "baseline bpc - child bpc on the same pieces (positive: the child is better); 95% interval "
    "from {resamples} paired per-piece bootstrap resamples stratified by class (seed {seed})"
)


@dataclass
class VigorReport:
    """A child against the best parent, and against every control, on the same pieces."""

    child_bpc: float
    best_parent: str  # its name
    versus_best: Versus
    parents: dict[str, float]  # each parent's bpc on all the data
    own_classes: dict[str, tuple[tuple[str, ...], Versus]] = field(default_factory=dict)  # name -> (classes, vs)
    per_class: list[ClassRow] = field(default_factory=list)
    ancestor: tuple[str, Versus] | None = None  # (its name, vs)
    routed_oracle: tuple[dict[str, str], Versus] | None = None  # (class -> the parent it is routed to, vs)
    definition: str = ""

    def comparisons(self) -> list[Comparison]:
        """Every baseline: the best parent first, then the controls."""
        found = [
            Comparison(
                "best_parent",
                "vigor",
                f"the best parent ({self.best_parent})",
                f"best parent ({self.best_parent}), all classes",
                self.versus_best,
            )
        ]
        for name, (classes, versus) in self.own_classes.items():
            words = f"{name} on its own {len(classes)} classes"
            found.append(Comparison("own_classes", "own classes", words, words, versus))
        if self.ancestor is not None:
            name, versus = self.ancestor
            found.append(
                Comparison("ancestor", "ancestor", f"the shared ancestor ({name})", f"shared ancestor ({name})", versus)
            )
        if self.routed_oracle is not None:
            row = "routed-parent oracle (each class by the parent trained on it)"
            found.append(Comparison("routed_oracle", "oracle", "the routed-parent oracle", row, self.routed_oracle[1]))
        return found

    def controls(self) -> list[Comparison]:
        """The comparisons beyond the best parent."""
        return self.comparisons()[1:]

    def strongest(self) -> Comparison:
        """The comparison the child does worst in (lowest upper bound, then lowest vigor), the
        best parent included: a headline carries it, not the kindest one."""
        return min(self.comparisons(), key=lambda c: (c.versus.high, c.versus.value))

    def standing(self) -> tuple[str, str]:
        """(verdict, standing) over every comparison, standing ``better`` only when the child
        beats the best parent and every control beyond noise, ``worse`` when it is worse than
        any of them beyond noise, else ``same``."""
        strongest = self.strongest()
        if strongest.versus.positive:
            every = " and every control" if self.controls() else ""
            return f"better than the best parent{every} beyond noise", "better"
        if strongest.versus.worse:
            return f"worse than {strongest.name} beyond noise", "worse"
        return f"not distinguishable from {strongest.name}", "same"

    def best_parent_verdict(self) -> str:
        """The child against the best parent alone, in words."""
        best = self.versus_best
        if best.positive:
            return f"better than the best parent ({self.best_parent}) beyond noise"
        if best.worse:
            return f"worse than the best parent ({self.best_parent}) beyond noise"
        return f"not distinguishable from the best parent ({self.best_parent})"

    def text(self, child: str = "child") -> str:
        """The report for a terminal: every baseline with its difference and interval."""
        lines = [
            f"vigor = baseline - {child} (positive: the {child} is better), 95% paired per-piece bootstrap interval:"
        ]
        width = max(len(c.row) for c in self.comparisons())
        for c in self.comparisons():
            v = c.versus
            verdict = "positive" if v.positive else ("worse" if v.worse else "within noise")
            lines.append(
                f"  {c.row:<{width}}  {v.baseline_bpc:.4f} vs {v.child_bpc:.4f}  {v.interval_text(4)}  {verdict}"
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        report: dict[str, Any] = {
            "definition": self.definition,
            "child_bpc": round(self.child_bpc, 6),
            "best_parent": {"name": self.best_parent, **self.versus_best.to_dict()},
            "parents": {n: round(v, 6) for n, v in self.parents.items()},
            "own_classes": {
                name: {"classes": list(classes), **versus.to_dict()}
                for name, (classes, versus) in self.own_classes.items()
            },
            "per_class": [row.to_dict() for row in self.per_class],
        }
        if self.ancestor is not None:
            report["ancestor"] = {"name": self.ancestor[0], **self.ancestor[1].to_dict()}
        if self.routed_oracle is not None:
            report["routed_oracle"] = {"routing": dict(self.routed_oracle[0]), **self.routed_oracle[1].to_dict()}
        return report

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | VigorReport) -> VigorReport:
        """A report from its JSON (one that lacks the table or the definition reads too);
        a VigorReport is returned as it is."""
        if isinstance(data, VigorReport):
            return data
        best = data["best_parent"]
        versus_best = Versus.from_dict(best)
        ancestor = data.get("ancestor")
        oracle = data.get("routed_oracle")
        return cls(
            child_bpc=float(data.get("child_bpc", versus_best.child_bpc)),
            best_parent=str(best.get("name", "")),
            versus_best=versus_best,
            parents={str(n): float(v) for n, v in (data.get("parents") or {}).items()},
            own_classes={
                str(n): (tuple(e.get("classes", ())), Versus.from_dict(e))
                for n, e in (data.get("own_classes") or {}).items()
            },
            per_class=[ClassRow.from_dict(row) for row in data.get("per_class") or []],
            ancestor=(str(ancestor.get("name", "")), Versus.from_dict(ancestor)) if ancestor else None,
            routed_oracle=(dict(oracle.get("routing") or {}), Versus.from_dict(oracle)) if oracle else None,
            definition=str(data.get("definition", "")),
        )

    @staticmethod
    def readable(data: Any) -> bool:
        """Whether ``data`` (a checkpoint's or a record's ``metrics["vigor"]``) is a report."""
        return isinstance(data, VigorReport) or (
            isinstance(data, Mapping) and isinstance(data.get("best_parent"), Mapping)
        )


def vigor_report(
    child: PieceScores,
    parents: Mapping[str, PieceScores],
    parent_classes: Mapping[str, Sequence[str]],
    *,
    ancestor: tuple[str, PieceScores] | None = None,
    resamples: int = RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> VigorReport:
    """Vigor of ``child`` against (a) the best parent on all the data, (b) each parent on
    its own classes, (c) the shared ancestor, (d) the routed-parent oracle."""
    names = list(parents)
    best = min(names, key=lambda n: parents[n].bpc)

    def versus(baseline: PieceScores, kid: PieceScores) -> Versus:
        return Versus.measured(baseline, kid, resamples, seed)

    present = set(child.classes)
    own: dict[str, tuple[tuple[str, ...], Versus]] = {}
    for name in names:
        mine = [c for c in parent_classes.get(name, ()) if c in present]
        if mine and len(mine) < len(present):
            own[name] = (tuple(mine), versus(parents[name].select(mine), child.select(mine)))
    # per-class table: every model's bpc on each class, in the parents' class order
    # (A's classes, then B's), then any others
    child_classes = child.class_bpc()
    parent_tables = {n: s.class_bpc() for n, s in parents.items()}
    known = [c for n in names for c in parent_classes.get(n, ()) if c in present]
    table = [
        ClassRow(
            label,
            tuple(n for n in names if label in parent_classes.get(n, ())),
            child_classes[label],
            {n: parent_tables[n][label] for n in names},
        )
        for label in dict.fromkeys(known + list(child.classes))
    ]
    owner_of = {}
    for label in present:
        owners = [n for n in names if label in parent_classes.get(n, ())]
        if len(owners) == 1:
            owner_of[label] = owners[0]
    oracle = None
    if len(owner_of) == len(present) and len(set(owner_of.values())) > 1:
        oracle = (owner_of, versus(routed(parents, owner_of), child))
    return VigorReport(
        child_bpc=child.bpc,
        best_parent=best,
        versus_best=versus(parents[best], child),
        parents={n: s.bpc for n, s in parents.items()},
        own_classes=own,
        per_class=table,
        ancestor=(ancestor[0], versus(ancestor[1], child)) if ancestor is not None else None,
        routed_oracle=oracle,
        definition=DEFINITION.format(resamples=resamples, seed=seed),
    )
