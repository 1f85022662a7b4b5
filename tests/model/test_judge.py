"""The judge's statistics, each checked on a case whose answer is known."""

import math

import numpy as np
import pytest

from studio.model.judge import (
    LN2,
    Measurement,
    PieceScores,
    barrier_of,
    barrier_with_interval,
    bootstrap_weights,
    bpc_interval,
    heldout_from_text,
    measure,
    paired_difference,
)
from studio.model.synthetic import random_checkpoint
from studio.model.vigor import VigorReport, vigor_report


def scores_from_bpc(bpc_per_piece, classes, chars=100):
    """PieceScores whose pieces have exactly these bpc values (``chars`` predictions each)."""
    bpc = np.asarray(bpc_per_piece, dtype=float)
    n = np.full(len(bpc), float(chars))
    return PieceScores(bpc * n * LN2, n, list(classes), context=128, stride=64)


# -- barrier ---------------------------------------------------------------------------------


def test_barrier_is_the_height_above_the_chord():
    barrier = barrier_of([0, 0.25, 0.5, 0.75, 1], [1.0, 1.2, 1.5, 1.1, 0.5])
    # chord at t: 1 - 0.5 t; excess 0.325 at 0.25, 0.75 at 0.5, 0.475 at 0.75
    assert barrier.value == pytest.approx(0.75) and barrier.at == 0.5
    assert barrier.midpoint_excess == pytest.approx(0.75)
    assert "high barrier" in barrier.verdict


def test_a_monotone_path_below_the_chord_has_no_barrier():
    # A -> B rises monotonically but bows below the line between the ends: one basin.
    # (max minus the mean of the ends, the old definition, would call this +0.25.)
    barrier = barrier_of([0, 0.25, 0.5, 0.75, 1], [0.5, 0.52, 0.55, 0.7, 1.0])
    assert barrier.value == 0.0
    assert barrier.midpoint_excess == pytest.approx(0.55 - 0.75)
    assert barrier.verdict.startswith("no barrier")


def test_barrier_interval_brackets_a_known_bump():
    rng = np.random.default_rng(1)
    classes = ["x"] * 200
    base = rng.normal(1.0, 0.2, 200)
    ts = [0, 0.5, 1]
    path = [
        scores_from_bpc(base, classes),
        scores_from_bpc(base + 0.3 + rng.normal(0, 0.05, 200), classes),
        scores_from_bpc(base, classes),
    ]
    barrier = barrier_with_interval(ts, path)
    assert barrier.value == pytest.approx(0.3, abs=0.02)
    assert barrier.interval.low <= barrier.value <= barrier.interval.high
    assert barrier.interval.positive and barrier.interval.high - barrier.interval.low < 0.05


# -- bootstrap --------------------------------------------------------------------------------


def test_bootstrap_weights_keep_every_class_count():
    classes = ["a"] * 5 + ["b"] * 3 + ["c"] * 7
    w = bootstrap_weights(classes, resamples=50, seed=3)
    labels = np.array(classes)
    for label, count in (("a", 5), ("b", 3), ("c", 7)):
        assert np.all(w[:, labels == label].sum(axis=1) == count)
    assert np.array_equal(w, bootstrap_weights(classes, resamples=50, seed=3))  # seeded


def test_paired_interval_matches_the_normal_theory_width():
    # 400 pieces, per-piece difference ~ N(0.1, 0.5): the 95% interval of the mean is
    # about mean +- 1.96 * sd / sqrt(400).
    rng = np.random.default_rng(7)
    n, classes = 400, ["x"] * 400
    base = rng.uniform(0.5, 2.0, n)
    diff = rng.normal(0.1, 0.5, n)
    first, second = scores_from_bpc(base + diff, classes), scores_from_bpc(base, classes)
    interval = paired_difference(first, second, resamples=2000)
    assert interval.value == pytest.approx(diff.mean())
    expected_half = 1.96 * diff.std(ddof=1) / math.sqrt(n)
    assert (interval.high - interval.low) / 2 == pytest.approx(expected_half, rel=0.12)
    assert interval.low < diff.mean() < interval.high


def test_paired_interval_covers_the_truth_about_95_percent_of_the_time():
    rng = np.random.default_rng(11)
    true_mean, hits, trials = 0.05, 0, 120
    for trial in range(trials):
        classes = ["a"] * 40 + ["b"] * 40
        base = np.r_[rng.uniform(0.2, 0.6, 40), rng.uniform(1.5, 2.5, 40)]  # two very different classes
        diff = rng.normal(true_mean, 0.3, 80)
        interval = paired_difference(
            scores_from_bpc(base + diff, classes), scores_from_bpc(base, classes), resamples=400, seed=trial
        )
        hits += interval.low <= true_mean <= interval.high
    assert 0.86 <= hits / trials <= 0.99


def test_identical_models_have_a_zero_width_difference_and_no_vigor():
    s = scores_from_bpc(np.linspace(0.5, 1.5, 30), ["x"] * 15 + ["y"] * 15)
    interval = paired_difference(s, s)
    assert interval.value == interval.low == interval.high == 0.0
    assert not interval.positive and not interval.excludes_zero


def test_bpc_interval_brackets_the_pooled_bpc():
    s = scores_from_bpc(np.random.default_rng(2).uniform(0.2, 1.0, 60), ["x"] * 60)
    interval = bpc_interval(s)
    assert interval.low < s.bpc < interval.high


# -- vigor ------------------------------------------------------------------------------------


def test_vigor_sees_a_generalist_that_averages_two_specialists():
    # A knows X (1.0) and not Y (3.0); B the other way (3.0, 1.2); the child is 1.5 on both.
    classes = ["X"] * 50 + ["Y"] * 50
    noise = np.random.default_rng(5).normal(0, 0.05, 100)
    a = scores_from_bpc(np.r_[np.full(50, 1.0), np.full(50, 3.0)] + noise, classes)
    b = scores_from_bpc(np.r_[np.full(50, 3.0), np.full(50, 1.2)] + noise, classes)
    child = scores_from_bpc(np.full(100, 1.5) + noise, classes)
    typed = vigor_report(child, {"A": a, "B": b}, {"A": ["X"], "B": ["Y"]})
    report = typed.to_dict()
    assert VigorReport.from_dict(report).to_dict() == report  # the JSON logs and checkpoints carry reads back
    assert [c.short for c in typed.comparisons()] == ["vigor", "own classes", "own classes", "oracle"]
    assert typed.strongest().name == "A on its own 1 classes" and typed.standing()[1] == "worse"
    best = report["best_parent"]
    assert best["name"] == "A" and best["value"] == pytest.approx(2.0 - 1.5, abs=1e-6) and best["positive"]
    assert report["own_classes"]["A"]["value"] == pytest.approx(1.0 - 1.5, abs=1e-6)
    assert report["own_classes"]["B"]["value"] == pytest.approx(1.2 - 1.5, abs=1e-6)
    assert report["own_classes"]["A"]["high"] < 0 and report["own_classes"]["B"]["high"] < 0
    oracle = report["routed_oracle"]
    assert oracle["baseline_bpc"] == pytest.approx(1.1 + noise.mean(), abs=1e-5) and oracle["high"] < 0
    assert {row["class"]: row["trained_by"] for row in report["per_class"]} == {"X": ["A"], "Y": ["B"]}


# -- measurements -----------------------------------------------------------------------------


def test_measurement_says_what_it_was_measured_on_and_round_trips():
    ckpt = random_checkpoint(dim=32, depth=1, seed=3)
    heldout = heldout_from_text("( o.o )\n > ^ <\n" * 80, "cat.txt")
    measurement, scores = measure(ckpt, heldout, context=32)
    assert measurement.context == 32 and measurement.stride == 16
    assert measurement.context_note == "training context unknown"
    assert measurement.chars == len(heldout.text) - 1 == int(scores.chars.sum())
    assert "cat.txt" in measurement.caption() and "ctx 32" in measurement.caption()
    assert "--text cat.txt --context 32 --stride 16" in measurement.command("m.pt")
    again = Measurement.from_dict(measurement.to_dict())
    assert again.bpc == pytest.approx(measurement.bpc, abs=1e-6) and again.key == measurement.key
