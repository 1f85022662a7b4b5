"""How the app writes the judge's figures: a number, its interval, and what it was measured on.

Pure functions over the dicts the core produces (``Measurement.to_dict``, the
judge's vigor report, a scan's ``to_dict``), so widgets never format a bare bpc.
"""

from __future__ import annotations

from html import escape
from typing import Any, Mapping

from studio.app import palette

GOOD, BAD, NEUTRAL = palette.GOOD, palette.BAD, palette.TEXT_DIM
RESAMPLES_TEXT = "1000 paired per-piece bootstrap resamples, stratified by class"


def caption(measurement: Mapping[str, Any]) -> str:
    """``val · 7 classes · ctx 128`` (what the number was measured on)."""
    if measurement.get("caption"):
        return str(measurement["caption"])
    data = measurement.get("data", {})
    return f"{data.get('split') or data.get('name', '?')} · ctx {measurement.get('context')}"


def bpc_text(measurement: Mapping[str, Any], digits: int = 3) -> str:
    interval = measurement.get("interval")
    bounds = f" [{interval['low']:.{digits}f}, {interval['high']:.{digits}f}]" if isinstance(interval, Mapping) else ""
    return f"{measurement['bpc']:.{digits}f}{bounds} bpc"


def describe(measurement: Mapping[str, Any]) -> str:
    """A tooltip: the data, the context and stride, the interval's method, the CLI line."""
    data = measurement.get("data", {})
    if data.get("source") == "text":
        what = f"text {data.get('name')} ({data.get('chars', 0):,} chars, sha256 {str(data.get('sha256', ''))[:12]})"
    else:
        classes = data.get("classes", [])
        what = (f"{data.get('name')} {data.get('split')} split, {len(classes)} classes "
                f"({', '.join(classes)}), {data.get('pieces', 0)} pieces, {data.get('chars', 0):,} chars, stratified")
    lines = [
        bpc_text(measurement, 4),
        f"on {what}",
        f"context {measurement.get('context')} ({measurement.get('context_note', '')}), stride {measurement.get('stride')}",
        "95% interval: stratified per-piece bootstrap",
    ]
    if measurement.get("skipped_chars"):
        lines.append(f"{measurement['skipped_chars']} unknown chars dropped")
    return "\n".join(lines)


def vigor_badge(vigor: Mapping[str, Any]) -> tuple[str, str]:
    """(text, colour) of the badge: vigor against the best parent with its interval (the
    headline puts the strongest control beside it: ``headline_html``)."""
    best = vigor["best_parent"]
    return f"vigor {_interval(best)}", _colour(best)


def vigor_verdict(vigor: Mapping[str, Any]) -> str:
    best = vigor["best_parent"]
    if best["positive"]:
        return f"better than the best parent ({best['name']}) beyond noise"
    if best["high"] < 0:
        return f"worse than the best parent ({best['name']}) beyond noise"
    return f"not distinguishable from the best parent ({best['name']})"


def controls(vigor: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
    """The vigor report's comparisons beyond the best parent, as (short name, name, entry):
    each parent on its own classes, the shared ancestor, the routed-parent oracle."""
    found = []
    for name, entry in vigor.get("own_classes", {}).items():
        found.append(("own classes", f"{name} on its own {len(entry['classes'])} classes", entry))
    if "ancestor" in vigor:
        found.append(("ancestor", f"the shared ancestor ({vigor['ancestor']['name']})", vigor["ancestor"]))
    if "routed_oracle" in vigor:
        found.append(("oracle", "the routed-parent oracle", vigor["routed_oracle"]))
    return found


def strongest(vigor: Mapping[str, Any]) -> tuple[str, str, Mapping[str, Any]]:
    """The comparison the child does worst in (lowest upper bound, then lowest vigor), the
    best parent included: the headline carries it, not the kindest one."""
    best = vigor["best_parent"]
    every = [("vigor", f"the best parent ({best['name']})", best), *controls(vigor)]
    return min(every, key=lambda c: (c[2]["high"], c[2]["value"]))


def what_holds(vigor: Mapping[str, Any]) -> tuple[str, str]:
    """(verdict, colour) over every comparison: green only when the child beats the best
    parent and every control beyond noise; red when it is worse than any of them."""
    _short, name, entry = strongest(vigor)
    if entry["positive"]:
        every = " and every control" if controls(vigor) else ""
        return f"better than the best parent{every} beyond noise", GOOD
    if entry["high"] < 0:
        return f"worse than {name} beyond noise", BAD
    return f"not distinguishable from {name}", NEUTRAL


def headline_html(vigor: Mapping[str, Any], compact: bool = False) -> str:
    """The card's vigor against the best parent, beside the strongest control, each in the
    colour of its own interval, then what holds over all of them (in its colour).
    ``compact``: the control by its short name and no verdict (a nursery card; its tooltip
    has the rest)."""
    badge, colour = vigor_badge(vigor)
    text = f"<span style='color:{colour}'>{escape(badge)}</span>"
    short, name, entry = strongest(vigor)
    if short != "vigor":
        shown = f"vs {escape(short)} {entry['value']:+.3f}" if compact else f"vs {escape(name)} {_interval(entry)}"
        text += f" · <span style='color:{_colour(entry)}'>{shown}</span>"
    if compact:
        return text
    verdict, verdict_colour = what_holds(vigor)
    return f"{text} <span style='color:{verdict_colour}'>({escape(verdict)})</span>"


def tree_badge(vigor: Mapping[str, Any]) -> tuple[str, str]:
    """(text, colour) for a node: the comparison the child does worst in, coloured by what holds."""
    short, _name, entry = strongest(vigor)
    short = {"own classes": "own", "ancestor": "anc"}.get(short, short)  # a node has room for ~12 chars
    return f"{short} {entry['value']:+.3f}", what_holds(vigor)[1]


def _colour(entry: Mapping[str, Any]) -> str:
    return GOOD if entry["positive"] else (BAD if entry["high"] < 0 else NEUTRAL)


def _interval(entry: Mapping[str, Any]) -> str:
    return f"{entry['value']:+.3f} [{entry['low']:+.3f}, {entry['high']:+.3f}]"


def _row(name: str, entry: Mapping[str, Any]) -> str:
    colour = GOOD if entry["positive"] else (BAD if entry["high"] < 0 else NEUTRAL)
    return (f"<tr><td>{escape(name)}</td><td align='right'>{entry['baseline_bpc']:.4f}</td>"
            f"<td align='right'>{entry['child_bpc']:.4f}</td>"
            f"<td align='right' style='color:{colour}'>{entry['value']:+.4f} [{entry['low']:+.4f}, {entry['high']:+.4f}]</td></tr>")


def vigor_table_html(vigor: Mapping[str, Any], measured_on: str = "") -> str:
    """The full table behind the badge: every baseline, then every class."""
    rows = [_row(f"best parent ({vigor['best_parent']['name']}), all classes", vigor["best_parent"])]
    for name, entry in vigor.get("own_classes", {}).items():
        rows.append(_row(f"{name} on its own {len(entry['classes'])} classes", entry))
    if "ancestor" in vigor:
        rows.append(_row(f"shared ancestor ({vigor['ancestor']['name']})", vigor["ancestor"]))
    if "routed_oracle" in vigor:
        rows.append(_row("routed-parent oracle (each class by the parent trained on it)", vigor["routed_oracle"]))
    parents = list(vigor.get("parents", {}))
    head = "".join(f"<th>{escape(p)}</th>" for p in parents)
    classes = []
    for row in vigor.get("per_class", []):
        owners = ", ".join(row.get("trained_by", [])) or "–"
        cells = "".join(f"<td align='right'>{row[p]:.3f}</td>" for p in parents)
        classes.append(f"<tr><td>{escape(row['class'])}</td><td>{escape(owners)}</td>{cells}"
                       f"<td align='right'>{row['child']:.3f}</td></tr>")
    return (
        "<p><b>Vigor = baseline bpc − child bpc</b> on the same pieces (positive: the child is better); "
        f"95% interval from {RESAMPLES_TEXT}.</p>"
        + (f"<p>Measured {escape(measured_on)}.</p>" if measured_on else "")
        + "<table cellspacing='0' cellpadding='4' border='1'><tr><th>baseline</th><th>baseline bpc</th><th>child bpc</th>"
        "<th>vigor [95% interval]</th></tr>" + "".join(rows) + "</table>"
        + "<p><b>Per class</b> (bpc)</p><table cellspacing='0' cellpadding='3' border='1'><tr><th>class</th>"
        f"<th>trained by</th>{head}<th>child</th></tr>" + "".join(classes) + "</table>"
    )


def barrier_text(scan: Mapping[str, Any]) -> str:
    interval = scan.get("interval") or {}
    mid = scan.get("midpoint_excess")
    mid_text = f"; midpoint excess {mid:+.3f}" if mid is not None else ""
    bounds = f" [{interval['low']:+.3f}, {interval['high']:+.3f}]" if interval else ""
    return (f"Path barrier <b>{scan['barrier']:+.3f}</b>{bounds} bpc at t={scan['barrier_at']:.2f}{mid_text}: "
            f"{escape(scan['verdict'])}.")
