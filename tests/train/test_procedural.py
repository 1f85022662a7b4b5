"""The procedural drawers: variety, clean pieces, real-art shapes, determinism."""

import statistics

import pytest

from studio.cli import main
from studio.model.variety import distinct_drawings, drawing_of
from studio.train.procedural import ALL_CLASSES, GROUP_A, GROUP_B, class_variety, distinct_count, render

RENDERS = 2100  # the first renders of each class, seeds 0..RENDERS-1
SAMPLE = 300  # renders whose visibly different drawings are counted with the 0.2 rule


@pytest.fixture(scope="module")
def renders():
    return {label: [render(label, seed) for seed in range(RENDERS)] for label in ALL_CLASSES}


def test_class_names_and_groups_are_the_cards():
    assert GROUP_A == ("Cats", "Fish", "Birds", "Trees", "Flowers", "Mountains", "Suns")
    assert GROUP_B == ("Houses", "Boats", "Rockets", "Swords", "Cars", "Robots")
    assert ALL_CLASSES == GROUP_A + GROUP_B


@pytest.mark.parametrize("label", ALL_CLASSES)
def test_each_class_draws_2000_different_drawings_not_counting_offset(renders, label):
    assert len({drawing_of(art) for art in renders[label]}) >= 2000


@pytest.mark.parametrize("label", ALL_CLASSES)
def test_nearly_every_sampled_piece_is_visibly_different(renders, label):
    # Measured (darwascii corpus variety --per-class 300): 284 (Swords) to 300 of 300.
    assert distinct_count(renders[label][:SAMPLE]) >= 280


def test_fast_count_is_the_one_definition_of_same_drawing(renders):
    # Known answers: a shifted copy and a one-char change are the same drawing; a cat
    # and a house are not; an empty piece is no drawing.
    cat = " /\\_/\\\n( o.o )\n > ^ <"
    assert distinct_count([cat, "   " + cat.replace("\n", "\n   "), cat.replace("o.o", "O.O"), "", "|__|\n/__\\"]) == 2
    # and on real pieces it agrees with studio.model.variety's reference count
    for label in ("Cats", "Mountains", "Robots"):
        sample = renders[label][:120]
        assert distinct_count(sample) == distinct_drawings(sample)


@pytest.mark.parametrize("label", ALL_CLASSES)
def test_pieces_are_clean(renders, label):
    for art in renders[label][:SAMPLE]:
        assert all(32 <= ord(c) < 127 or c == "\n" for c in art), art
        lines = art.split("\n")
        assert all(line == line.rstrip() for line in lines), art
        assert lines[0].strip() and lines[-1].strip(), art  # no blank edge lines


@pytest.mark.parametrize("label", ALL_CLASSES)
def test_pieces_have_the_shape_of_real_art(renders, label):
    arts = renders[label]
    lengths = sorted(len(a) for a in arts)
    widths = [max(len(line) for line in a.split("\n")) for a in arts]
    heights = [a.count("\n") + 1 for a in arts]
    assert 150 <= statistics.median(lengths) <= 420
    assert lengths[int(0.95 * len(lengths))] <= 820
    assert max(widths) <= 78 and max(heights) <= 25 and min(heights) >= 3
    assert sum(15 <= w <= 70 for w in widths) >= 0.9 * len(widths)
    assert sum(4 <= h <= 25 for h in heights) >= 0.99 * len(heights)


def test_rendering_is_deterministic_and_some_pieces_are_shifted(renders):
    for label in ALL_CLASSES:
        assert [render(label, s) for s in (0, 7, 1999)] == [renders[label][s] for s in (0, 7, 1999)]
        margins = [
            min(len(line) - len(line.lstrip(" ")) for line in a.split("\n") if line) for a in renders[label][:SAMPLE]
        ]
        assert max(margins) <= 6
    shifted = sum(drawing_of(a) != a for label in ALL_CLASSES for a in renders[label][:100])
    assert shifted > 100  # about 4 in 7 pieces get an offset of 1-6 spaces


def test_class_variety_counts_what_the_renders_hold():
    row = class_variety("Cats", 40)
    arts = [render("Cats", s) for s in range(40)]
    assert row.renders == 40 and row.exact == len({drawing_of(a) for a in arts})
    assert row.distinct == distinct_drawings(arts)
    assert row.max_height == max(a.count("\n") + 1 for a in arts)


def test_corpus_variety_command(capsys):
    assert main(["corpus", "variety", "Boats", "--per-class", "30"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("class") and "Boats" in out and "0.2" in out
    assert main(["corpus", "variety", "builtin-a", "--per-class", "5", "--json"]) == 0
    assert main(["corpus", "variety", "Dragons"]) == 2
    assert main(["corpus", "variety", "Cats", "--per-class", "0"]) == 2
