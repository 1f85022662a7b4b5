"""The studio's colours, one name each: widgets, painters and the style sheet read them here.

resources/studio.qss names its colours ``${window}``, ``${text}``, … (the lower-case
names below); ``style_sheet`` fills them in, so the sheet and the painted parts (tree,
cards, plots, PNG exports) cannot drift apart. A colour the app needs is added here with
a name that says what it is for, never written as a literal in a widget.
"""

from __future__ import annotations

from string import Template

# Surfaces, darkest to lightest.
SURFACE = "#10141b"  # fields, cards, plots, the status bar: a step below the window
WINDOW = "#151922"  # the window's and the tree's background
PANEL = "#1a1f29"  # menus, dock titles, disabled buttons, job rows
ELEVATED = "#1e2430"  # tree nodes, tooltips
RAISED = "#232a36"  # buttons, dock separators, list borders
DIMMED = "#262c38"  # a node the filter leaves out, zoomed far out
ELEVATED_HOVER = "#263042"  # a node under the mouse
HOVER = "#2b3444"  # a button under the mouse
SELECTION = "#2b3a55"  # selected menu items, text and nodes

# Lines.
BORDER_FAINT = "#262e3b"  # job rows
BORDER = "#303848"  # fields, cards, scroll handles
BORDER_STRONG = "#3a4356"  # parent slots, nodes, tooltips
EDGE = "#4b5568"  # the tree's parent -> child edges

# Text, brightest to faintest.
TEXT = "#e6e9ef"
TEXT_SOFT = "#cbd2dd"  # the bay's result line
TEXT_DIM = "#9aa4b6"  # card titles, dock titles, axes, neutral figures
TEXT_FAINT = "#8b95a8"  # captions, hints, edge labels
TEXT_HINT = "#6b7280"  # an empty slot's hint
TEXT_DISABLED = "#5b6475"

# Accents and meanings.
ACCENT = "#4f9cf7"  # focus, progress, sliders, the scan's raw path
FOCUS = "#5b8def"  # the selected or focused card
PRIMARY = "#2f6fdb"  # the primary button
PRIMARY_HOVER = "#3b7cf0"
GOOD = "#34d399"  # a figure that holds beyond noise, a complete piece
BAD = "#f87171"  # worse beyond noise, an error, a piece cut at max chars
WARN = "#f59e0b"  # still drawing, cancelled, the aligned path, the loss curve
STAR = "#f5c518"  # a starred child
GEN0 = "#a78bfa"  # the gen-0 child's reference line in the Darwin plot
DANGER = "#7f1d1d"  # a failed job's border, the cancel button under the mouse
DANGER_BORDER = "#b91c1c"

# The family tree's roles (the node's stripe and badge, the bay's slot).
ROLE_COLORS = {
    "artist": ACCENT,
    "ancestor": "#a78bfa",
    "bred": WARN,
    "ablation": "#ec4899",
    "sweep": "#14b8a6",
    "text": "#94a3b8",
    "missing": TEXT_HINT,
}


def colours() -> dict[str, str]:
    """Every named colour by its style-sheet name (``TEXT_DIM`` -> ``text_dim``)."""
    return {name.lower(): value for name, value in globals().items() if name.isupper() and isinstance(value, str)}


def style_sheet(template: str) -> str:
    """The style sheet with its ``${name}`` colours filled in (KeyError names one it lacks)."""
    return Template(template).substitute(colours())
