"""What a checkpoint says about its training: its context and classes, its corpus.

Read from its recipe (a trained artist) or from what a bred child inherited
(``extra["training"]``, written by ``inherited_training``). The engine decodes within
the training context; the judge scores at it and picks a pair's data by the classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence


@dataclass(frozen=True)
class TrainingFacts:
    context: int | None  # training window in chars
    classes: tuple[str, ...]  # classes it was trained on (empty: unknown)
    corpus: str | None  # corpus name or path of its recipe
    steps: int | None = None  # optimizer steps of its recipe (a bred child has none)
    widest_line: int | None = None  # the widest line of any piece it was trained on, in chars


def training_facts(ckpt: Any) -> TrainingFacts:
    """What the checkpoint says about its training: its recipe, or what a bred child inherited."""
    extra = ckpt.extra if isinstance(getattr(ckpt, "extra", None), dict) else {}
    recipe = extra.get("recipe") if isinstance(extra.get("recipe"), dict) else {}
    inherited = extra.get("training") if isinstance(extra.get("training"), dict) else {}
    train = recipe.get("train") if isinstance(recipe.get("train"), dict) else {}
    context = train.get("context", inherited.get("context"))
    classes = recipe.get("classes") or inherited.get("classes") or []
    if not classes and getattr(ckpt, "framing", None) == "conditional":
        classes = list(getattr(ckpt, "labels", []) or [])
    # the spec that loads the corpus again, when recorded (newer recipes); else its name
    corpus = recipe.get("corpus_source") or recipe.get("corpus") or inherited.get("corpus")
    steps = train.get("steps")
    widest = recipe.get("widest_line", inherited.get("widest_line"))
    return TrainingFacts(
        int(context) if isinstance(context, (int, float)) and context >= 2 else None,
        tuple(str(c) for c in classes),
        str(corpus) if corpus else None,
        steps if isinstance(steps, int) and steps > 0 else None,
        widest if isinstance(widest, int) and widest > 0 else None,
    )


# Art is drawn at most this wide when the artist records no widest line of its own
# (checkpoints from before recipes recorded it, the card's): the gallery's width, wider
# than any piece of the built-in corpus (78) or the card's apehex art (80 columns).
DEFAULT_LINE_LIMIT = 100


def line_limit(ckpt: Any) -> int | None:
    """How wide a line the sampler lets an artist draw: the widest line it was trained on
    (``DEFAULT_LINE_LIMIT`` when it records none); None for text models, whose lines are
    paragraphs. A small model loses count of its columns and runs a line of spaces off to
    the side, hundreds of columns past anything it saw; at its widest line the line ends."""
    if getattr(ckpt, "framing", None) == "text":
        return None
    return training_facts(ckpt).widest_line or DEFAULT_LINE_LIMIT


def inherited_training(parents: Sequence[Any]) -> dict[str, Any]:
    """The ``extra["training"]`` a child carries: the union of its parents' classes, the
    shortest training context, and their corpus when they share one."""
    facts = [training_facts(p) for p in parents]
    contexts = [f.context for f in facts if f.context]
    widest = [f.widest_line for f in facts]
    corpora = {f.corpus for f in facts}
    out: dict[str, Any] = {"classes": list(dict.fromkeys(c for f in facts for c in f.classes))}
    if contexts:
        out["context"] = min(contexts)
    if widest and None not in widest:
        out["widest_line"] = max(widest)
    if len(corpora) == 1 and None not in corpora:
        out["corpus"] = corpora.pop()
    return out
