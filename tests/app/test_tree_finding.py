"""The family tree: the filter brings matches into view, Fit keeps the first generation,
edge labels say each thing once."""

import pytest
from PySide6.QtCore import QRectF

from studio.library.records import CheckpointRecord, Edge


def record(node_id: int, name: str, role: str = "artist") -> CheckpointRecord:
    return CheckpointRecord(
        id=node_id, path=None, sha256=None, name=name, qualified_name=f"fam/{name}", role=role,
        framing="conditional", variant="standard", config={}, metrics={}, labels=[], lineage=None,
        read_only=True, source_root=None, added_at="",
    )  # fmt: skip


@pytest.fixture
def tree(qtbot):
    from studio.app.main import make_app
    from studio.app.tree_view import FamilyTreeView

    make_app()
    view = FamilyTreeView()
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show()
    qtbot.waitExposed(view)
    return view


def big_family():
    """An ancestor, 30 forks of it, and a child of every pair of neighbouring forks, then
    a grandchild of the last two children: four generations, far more than a view holds."""
    records = [record(0, "ancestor", "ancestor")] + [record(i, f"fork{i:02d}") for i in range(1, 31)]
    edges = [Edge(0, i, "fork", {}) for i in range(1, 31)]
    for i in range(1, 30):
        records.append(record(100 + i, f"child{i:02d}", "bred"))
        edges += [Edge(i, 100 + i, "slerp", {}), Edge(i + 1, 100 + i, "slerp", {})]
    records.append(record(200, "grandchild", "bred"))
    edges += [Edge(128, 200, "darwin", {}), Edge(129, 200, "darwin", {})]
    return records, edges


def visible_scene(view) -> QRectF:
    return view.mapToScene(view.viewport().rect()).boundingRect()


def test_the_filter_centres_its_matches(tree):
    tree.set_family(*big_family())
    tree.set_zoom(1.0)
    tree.centerOn(0, 0)
    far = tree.nodes[15].sceneBoundingRect()  # fork15: halfway down the long second generation
    assert not visible_scene(tree).intersects(far)
    tree.apply_filter("fork15")
    assert [item.record.id for item in tree.matches()] == [15]
    assert visible_scene(tree).contains(far)
    assert (visible_scene(tree).center() - far.center()).manhattanLength() < 2  # centred, not only dimmed
    # more matches than the view holds: the first is centred (Enter steps on)
    tree.centerOn(0, 0)
    tree.apply_filter("child1")  # child10 … child19, a run of ten down the third generation
    assert len(tree.matches()) == 10 and visible_scene(tree).contains(tree.matches()[0].sceneBoundingRect())


def test_enter_in_the_filter_steps_through_the_matches(tree, qtbot):
    tree.set_family(*big_family())
    tree.set_zoom(1.0)
    tree.apply_filter("fork2")  # fork20 … fork29
    with qtbot.waitSignal(tree.checkpointSelected) as selected:
        tree.next_match()
    assert selected.args == [20] and visible_scene(tree).contains(tree.nodes[20].sceneBoundingRect())
    tree.next_match()
    assert tree.selected_id() == 21 and visible_scene(tree).contains(tree.nodes[21].sceneBoundingRect())


def test_fit_never_cuts_the_first_generation(tree):
    tree.set_family(*big_family())
    tree.select(129)  # a node far down, in the third generation
    tree.fit()
    assert tree.zoom_level() >= tree.READABLE_ZOOM
    shown = visible_scene(tree)
    assert shown.left() <= tree.nodes[0].sceneBoundingRect().left()  # the first generation's left edge shows
    # a small family fits whole, at no more than 1.2×
    records, edges = big_family()
    tree.set_family(records[:3], edges[:2])
    tree.fit()
    assert tree.zoom_level() <= 1.2
    for item in tree.nodes.values():
        assert visible_scene(tree).contains(item.sceneBoundingRect())


def test_edges_saying_the_same_thing_share_one_label(tree):
    tree.set_family(*big_family())
    texts = [text for _rect, text in tree.edge_layer.labels]
    assert texts.count("fork ×30") == 1 and "fork" not in texts  # one label for the ancestor's fan
    assert texts.count("darwin") == 1  # the grandchild's two parents, one label
    assert texts.count("slerp") <= 29  # at most one per child, never one per edge
    rects = [rect for rect, _text in tree.edge_layer.labels]
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1 :])
    nodes = [item.sceneBoundingRect() for item in tree.nodes.values()]
    assert not any(rect.intersects(node) for rect in rects for node in nodes)
    # the child's tooltip still says how it was made
    assert "made by: slerp" in tree.nodes[101].toolTip()


def test_a_long_label_is_elided():
    from studio.app.tree_view import EdgeLayer
    from PySide6.QtCore import QPointF

    layer = EdgeLayer([(QPointF(0, 0), QPointF(400, 0), "a-method-with-a-very-long-name-indeed")])
    assert layer.labels and layer.labels[0][1].endswith("…")


def test_long_names_drop_whole_folders_so_the_seed_and_the_name_stay(qtbot):
    """Eliding characters in the middle cut "replicates/seed1/independent/indA" to
    "replicates…ndent/indA", losing which seed it was. Folders most names share go first."""
    from collections import Counter

    from PySide6.QtGui import QFont, QFontMetrics

    from studio.app.main import make_app
    from studio.app.tree_view import elide_path

    make_app()
    metrics = QFontMetrics(QFont())
    fits = metrics.horizontalAdvance
    name = "replicates/seed1/independent/indA"
    shared = Counter({"replicates": 8, "independent": 6, "apehex": 6, "seed1": 4})
    assert elide_path(name, metrics, fits(name), shared) == name
    assert elide_path(name, metrics, fits("…/seed1/independent/indA"), shared) == "…/seed1/independent/indA"
    assert elide_path(name, metrics, fits("…/seed1/…/indA"), shared) == "…/seed1/…/indA"
    # Knowing nothing of the family: the folders nearest the name go first.
    assert elide_path(name, metrics, fits("replicates/seed1/…/indA")) == "replicates/seed1/…/indA"
    assert elide_path(name, metrics, fits("…/indA"), shared) == "…/indA"
    assert fits(elide_path(name, metrics, 20, shared)) <= 20
