"""The bay's headline carries the strongest comparison, not the kindest (known answers)."""

from studio.app import figures
from studio.model.vigor import VigorReport


def _entry(value, low, high, **extra):
    return {"value": value, "low": low, "high": high, "positive": low > 0, "baseline_bpc": 1.0,
            "child_bpc": 1.0 - value, **extra}  # fmt: skip


def _report(best, own=None, ancestor=None, oracle=None):
    report = {"best_parent": {"name": "styleB", **best}, "own_classes": own or {}}
    if ancestor is not None:
        report["ancestor"] = {"name": "ancestor", **ancestor}
    if oracle is not None:
        report["routed_oracle"] = {"routing": {}, **oracle}
    return report


def test_a_child_better_than_the_best_parent_but_worse_than_the_oracle_is_red():
    # the case: +0.165 against the best parent, worse than each control
    vigor = _report(
        _entry(0.165, 0.12, 0.21),
        own={"styleA": _entry(-0.05, -0.08, -0.02, classes=["Cats"]),
             "styleB": _entry(-0.03, -0.06, 0.01, classes=["Cars"])},
        ancestor=_entry(-0.10, -0.14, -0.06),
        oracle=_entry(-0.21, -0.25, -0.17),
    )  # fmt: skip
    strongest = VigorReport.from_dict(vigor).strongest()
    assert (strongest.short, strongest.versus.value) == ("oracle", -0.21) and "oracle" in strongest.name
    verdict, colour = figures.what_holds(vigor)
    assert colour == figures.BAD and verdict == "worse than the routed-parent oracle beyond noise"
    html = figures.headline_html(vigor)
    assert "vigor +0.165" in html and "vs the routed-parent oracle -0.210 [-0.250, -0.170]" in html
    assert html.index("vigor +0.165") < html.index("routed-parent oracle")  # beside the card's vigor
    assert figures.tree_badge(vigor) == ("oracle -0.210", figures.BAD)
    assert "vs oracle -0.210" in figures.headline_html(vigor, compact=True)


def test_green_only_when_every_comparison_holds():
    vigor = _report(_entry(0.05, 0.02, 0.08), ancestor=_entry(0.09, 0.05, 0.12), oracle=_entry(0.03, 0.01, 0.05))
    assert VigorReport.from_dict(vigor).strongest().short == "oracle"  # the smallest upper bound is the hardest test
    assert figures.what_holds(vigor) == ("better than the best parent and every control beyond noise", figures.GOOD)
    assert figures.tree_badge(vigor)[1] == figures.GOOD


def test_a_tie_within_noise_is_neutral_and_a_report_without_controls_is_the_best_parent():
    vigor = _report(_entry(0.05, 0.02, 0.08), oracle=_entry(0.0, -0.02, 0.02))
    assert figures.what_holds(vigor) == ("not distinguishable from the routed-parent oracle", figures.NEUTRAL)
    alone = _report(_entry(-0.01, -0.03, 0.01))
    assert VigorReport.from_dict(alone).strongest().short == "vigor" and figures.tree_badge(alone) == (
        "vigor -0.010",
        figures.NEUTRAL,
    )
    assert "vs" not in figures.headline_html(alone)
