"""Galleries and pieces, label history, metrics, framing, removal, and their events."""

import pytest
from library_fixtures import edge_names
from library_fixtures import snapshot  # noqa: F401  (the fixture)

from studio.errors import StudioError
from studio.library import Library
from studio.model.sampler import Art, SampleSettings


@pytest.fixture
def library(snapshot):
    library = Library(":memory:")
    library.import_folder(snapshot)
    return library


def _arts(label, n=3, seed=10):
    return [Art(i, label, seed + i, f" /\\_/\\\n( o.o ) {label} {i}\n  ", i != 1) for i in range(n)]


def test_save_load_pin_and_reroll(library):
    styleA = library.find_by_name("apehex/styleA")
    events = []
    library.subscribe(lambda event, payload: events.append((event, payload)))

    first = library.save_gallery(styleA.id, {"label": "Cats", "count": 3, "temperature": 0.6, "top_k": 20, "seed": 10}, _arts("Cats"))
    second = library.save_gallery(styleA.id, SampleSettings(label="Fish", count=2, seed=5), _arts("Fish", n=2, seed=5))

    assert [g.id for g in library.galleries(styleA.id)] == [second.id, first.id]  # newest first
    assert library.latest_gallery(styleA.id) == second
    assert second.settings["label"] == "Fish" and second.settings["count"] == 2
    assert [p.text for p in first.pieces] == [a.text for a in _arts("Cats")]  # whitespace kept
    assert [(p.index, p.seed, p.complete, p.pinned) for p in first.pieces] == [(0, 10, True, False), (1, 11, False, False), (2, 12, True, False)]
    assert ("gallery_saved", second) in events

    pinned = library.set_pinned(first.pieces[1].id, True)
    rerolled = library.replace_piece(first.pieces[1].id, Art(1, "Cats", 99, "new cat", True))
    assert pinned.pinned and rerolled.pinned and rerolled.index == 1
    assert (rerolled.seed, rerolled.text, rerolled.complete) == (99, "new cat", True)
    assert [p.text for p in library.galleries(styleA.id)[1].pieces] == [first.pieces[0].text, "new cat", first.pieces[2].text]
    assert [e for e, _ in events].count("piece_updated") == 2
    assert library.latest_gallery(library.find_by_name("apehex/styleB").id) is None
    with pytest.raises(KeyError):
        library.set_pinned(10_000, True)
    with pytest.raises(KeyError):
        library.save_gallery(10_000, {}, [])


def test_label_history_most_recent_first(library):
    styleA = library.find_by_name("apehex/styleA")
    for label in ("Cats", "Fish", "Cats", "Trees"):
        library.save_gallery(styleA.id, {"label": label}, _arts(label, n=1))
    library.save_gallery(styleA.id, {"label": None}, _arts("", n=1))  # unconditional pieces have no label
    assert library.label_history(styleA.id) == ["Trees", "Cats", "Fish"]
    assert library.label_history(library.find_by_name("apehex/styleB").id) == []


def test_metrics_merge_and_framing_override(library):
    styleA = library.find_by_name("apehex/styleA")
    events = []
    library.subscribe(lambda event, payload: events.append((event, payload)))
    updated = library.update_metrics(styleA.id, bpc=2.31, bpc_source="builtin val")
    assert updated.metrics["bpc"] == 2.31 and updated.key_metric == ("bpc", 2.31)
    assert library.update_metrics(styleA.id, bpc_source=None).metrics.get("bpc_source") is None
    framed = library.set_framing(styleA.id, "unconditional")
    assert framed.framing == "unconditional" and framed.framing_source == "user"
    assert [e for e, _ in events] == ["checkpoint_updated"] * 3 and events[-1][1] == framed
    with pytest.raises(StudioError):
        library.set_framing(styleA.id, "sideways")
    with pytest.raises(KeyError):
        library.update_metrics(10_000, bpc=1.0)


def test_remove_forgets_record_edges_galleries_and_lonely_placeholders(library, snapshot):
    offspring = library.find_by_name("enwik8-darwin/offspring_forkL__x__forkR")
    library.save_gallery(offspring.id, {"label": "The "}, _arts("The ", n=2))
    events = []
    library.subscribe(lambda event, payload: events.append((event, payload)))

    library.remove(offspring.id)

    names = {r.qualified_name for r in library.checkpoints()}
    assert not {"enwik8-darwin/offspring_forkL__x__forkR", "enwik8-darwin/forkL", "enwik8-darwin/forkR"} & names
    assert not any("enwik8" in child for _, child, _ in edge_names(library))
    assert library.galleries(offspring.id) == []
    assert (snapshot / "enwik8-darwin" / "offspring_forkL__x__forkR.pt").exists()  # the file stays
    removed = [p for e, p in events if e == "checkpoint_removed"]
    assert removed[0] == offspring.id and len(removed) == 3 and ("edges_changed", None) in events
    with pytest.raises(KeyError):
        library.remove(offspring.id)
    with pytest.raises(KeyError):
        library.get(offspring.id)
