"""How the app writes the judge's figures: a number, its interval, and what it was measured on.

Pure functions over what the core produces (``Measurement.to_dict``, the judge's
``VigorReport`` or its JSON as a checkpoint's metrics carry it, a scan's ``to_dict``),
so widgets never format a bare bpc. The vigor report names and orders its own
comparisons (``VigorReport.comparisons``): here they get colours and HTML.
"""

from __future__ import annotations

from html import escape
from typing import Any, Mapping

from studio.app import palette
from studio.model.vigor import Comparison, Versus, VigorReport
from studio.model.vocab import class_name

GOOD, BAD, NEUTRAL = palette.GOOD, palette.BAD, palette.TEXT_DIM
STANDING_COLOURS = {"better": GOOD, "worse": BAD, "same": NEUTRAL}  # VigorReport.standing()
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
        what = (
            f"{data.get('name')} {data.get('split')} split, {len(classes)} classes "
            f"({', '.join(classes)}), {data.get('pieces', 0)} pieces, {data.get('chars', 0):,} chars, stratified"
        )
    lines = [
        bpc_text(measurement, 4),
        f"on {what}",
        f"context {measurement.get('context')} ({measurement.get('context_note', '')}), stride "
        f"{measurement.get('stride')}",
        "95% interval: stratified per-piece bootstrap",
    ]
    if measurement.get("skipped_chars"):
        lines.append(f"{measurement['skipped_chars']} unknown chars dropped")
    return "\n".join(lines)


def vigor_badge(vigor: VigorReport | Mapping[str, Any]) -> tuple[str, str]:
    """(text, colour) of the badge: vigor against the best parent with its interval (the
    headline puts the strongest control beside it: ``headline_html``)."""
    best = VigorReport.from_dict(vigor).versus_best
    return f"vigor {best.interval_text()}", colour_of(best)


def what_holds(vigor: VigorReport | Mapping[str, Any]) -> tuple[str, str]:
    """(verdict, colour) over every comparison (``VigorReport.standing``): green only when the
    child beats the best parent and every control beyond noise; red when it is worse than any."""
    verdict, standing = VigorReport.from_dict(vigor).standing()
    return verdict, STANDING_COLOURS[standing]


def headline_html(vigor: VigorReport | Mapping[str, Any], compact: bool = False) -> str:
    """The card's vigor against the best parent, beside the strongest control, each in the
    colour of its own interval, then what holds over all of them (in its colour).
    ``compact``: the control by its short name and no verdict (a nursery card; its tooltip
    has the rest)."""
    report = VigorReport.from_dict(vigor)
    badge, colour = vigor_badge(report)
    text = f"<span style='color:{colour}'>{escape(badge)}</span>"
    strongest = report.strongest()
    if strongest.key != "best_parent":
        versus = strongest.versus
        shown = (
            f"vs {escape(strongest.short)} {versus.value:+.3f}"
            if compact
            else (f"vs {escape(strongest.name)} {versus.interval_text()}")
        )
        text += f" · <span style='color:{colour_of(versus)}'>{shown}</span>"
    if compact:
        return text
    verdict, verdict_colour = what_holds(report)
    return f"{text} <span style='color:{verdict_colour}'>({escape(verdict)})</span>"


def vigor_lines(vigor: VigorReport | Mapping[str, Any]) -> list[str]:
    """A tooltip's lines: vigor against the best parent in words, the strongest control, what holds."""
    report = VigorReport.from_dict(vigor)
    lines = [f"{vigor_badge(report)[0]} bpc: {report.best_parent_verdict()}"]
    strongest = report.strongest()
    if strongest.key != "best_parent":
        lines.append(f"vs {strongest.name}: {strongest.versus.interval_text()} bpc")
    lines.append("overall: " + report.standing()[0])
    return lines


def tree_badge(vigor: VigorReport | Mapping[str, Any]) -> tuple[str, str]:
    """(text, colour) for a node: the comparison the child does worst in, coloured by what holds."""
    strongest = VigorReport.from_dict(vigor).strongest()
    short = {"own classes": "own", "ancestor": "anc"}.get(strongest.short, strongest.short)  # a node has ~12 chars
    return f"{short} {strongest.versus.value:+.3f}", what_holds(vigor)[1]


def colour_of(versus: Versus) -> str:
    """Green when the child is better than the baseline beyond noise, red when worse."""
    return GOOD if versus.positive else (BAD if versus.worse else NEUTRAL)


def _row(comparison: Comparison) -> str:
    v = comparison.versus
    return (
        f"<tr><td>{escape(comparison.row)}</td><td align='right'>{v.baseline_bpc:.4f}</td>"
        f"<td align='right'>{v.child_bpc:.4f}</td>"
        f"<td align='right' style='color:{colour_of(v)}'>{v.interval_text(4)}</td></tr>"
    )


def vigor_table_html(vigor: VigorReport | Mapping[str, Any], measured_on: str = "") -> str:
    """The full table behind the badge: every baseline, then every class."""
    report = VigorReport.from_dict(vigor)
    rows = [_row(c) for c in report.comparisons()]
    parents = list(report.parents)
    head = "".join(f"<th>{escape(p)}</th>" for p in parents)
    classes = []
    for row in report.per_class:
        owners = ", ".join(row.trained_by) or "–"
        cells = "".join(f"<td align='right'>{row.parents[p]:.3f}</td>" for p in parents)
        classes.append(
            f"<tr><td>{escape(class_name(row.label))}</td><td>{escape(owners)}</td>{cells}"
            f"<td align='right'>{row.child:.3f}</td></tr>"
        )
    return (
        "<p><b>Vigor = baseline bpc − child bpc</b> on the same pieces (positive: the child is better); "
        f"95% interval from {RESAMPLES_TEXT}.</p>"
        + (f"<p>Measured {escape(measured_on)}.</p>" if measured_on else "")
        + "<table cellspacing='0' cellpadding='4' border='1'><tr><th>baseline</th><th>baseline bpc</th>"
        "<th>child bpc</th><th>vigor [95% interval]</th></tr>"
        + "".join(rows)
        + "</table>"
        + "<p><b>Per class</b> (bpc)</p><table cellspacing='0' cellpadding='3' border='1'><tr><th>class</th>"
        f"<th>trained by</th>{head}<th>child</th></tr>" + "".join(classes) + "</table>"
    )


def barrier_text(scan: Mapping[str, Any]) -> str:
    interval = scan.get("interval") or {}
    mid = scan.get("midpoint_excess")
    mid_text = f"; midpoint excess {mid:+.3f}" if mid is not None else ""
    bounds = f" [{interval['low']:+.3f}, {interval['high']:+.3f}]" if interval else ""
    return (
        f"Path barrier <b>{scan['barrier']:+.3f}</b>{bounds} bpc at t={scan['barrier_at']:.2f}{mid_text}: "
        f"{escape(scan['verdict'])}."
    )
