"""The definition of "same drawing", on cases with a known answer."""

from studio.model.variety import distinct_drawings, drawing_distance, drawing_groups, drawing_of

CAT = " /\\_/\\\n( o.o )\n > ^ <"
HOUSE = "   _\n  / \\\n /___\\\n |   |\n |_|_|"


def test_margin_and_trailing_spaces_do_not_make_a_new_drawing():
    shifted = "\n".join("      " + line + "   " for line in CAT.split("\n"))
    assert drawing_of(shifted) == CAT
    assert drawing_distance(CAT, shifted) == 0.0
    assert distinct_drawings([CAT, shifted, "\n\n" + shifted + "\n"]) == 1


def test_a_changed_detail_is_the_same_drawing_and_another_subject_is_not():
    other_eyes = CAT.replace("o.o", "^.^")  # 2 of 21 chars changed: 0.095
    assert drawing_distance(CAT, other_eyes) < 0.2
    assert drawing_distance(CAT, HOUSE) > 0.5
    assert distinct_drawings([CAT, other_eyes, HOUSE]) == 2
    assert drawing_groups([CAT, HOUSE, other_eyes]) == [0, 1, 0]


def test_known_distance_and_empty_pieces():
    assert drawing_distance("abcde", "abcdX") == 0.2  # one substitution in five chars
    assert distinct_drawings(["abcde", "abcdX"]) == 2  # 0.2 is not below the threshold
    assert distinct_drawings(["", "   ", CAT]) == 1
    assert distinct_drawings([]) == 0


def test_nearest_drawing_finds_a_shifted_copy_and_measures_a_new_one():
    from studio.model.variety import nearest_drawings

    shifted_house = "\n".join("    " + line for line in HOUSE.split("\n"))
    found = list(nearest_drawings([shifted_house, "abcdX", "", CAT], [CAT, HOUSE, "abcde"]))
    assert found[0] == (1, 0.0)  # the house, margin ignored
    assert found[1] == (2, 0.2)  # one substitution in five chars
    assert found[2] == (-1, 1.0)  # nothing drawn: nothing copied
    assert found[3] == (0, 0.0)
    assert list(nearest_drawings([CAT], [])) == [(-1, 1.0)]


def test_two_blank_canvases_with_a_few_unlike_marks_are_not_copies_of_each_other():
    from studio.model.variety import ink_of, nearest_drawings

    scatter = "/" + " " * 40 + "\\\n" + " " * 20 + "|"
    sparse = "#" + " " * 40 + "#\n" + " " * 20 + "@"
    assert drawing_distance(scatter, sparse) < 0.2  # the whole drawings: mostly matching spaces
    assert ink_of(scatter) == "/ \\\n |" and ink_of(sparse) == "# #\n @"
    assert list(nearest_drawings([scatter], [sparse])) == [(0, 0.5)]  # 3 of 6 marks differ
