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

    first = library.save_gallery(
        styleA.id, {"label": "Cats", "count": 3, "temperature": 0.6, "top_k": 20, "seed": 10}, _arts("Cats")
    )
    second = library.save_gallery(styleA.id, SampleSettings(label="Fish", count=2, seed=5), _arts("Fish", n=2, seed=5))

    assert [g.id for g in library.galleries(styleA.id)] == [second.id, first.id]  # newest first
    assert library.latest_gallery(styleA.id) == second
    assert second.settings["label"] == "Fish" and second.settings["count"] == 2
    assert [p.text for p in first.pieces] == [a.text for a in _arts("Cats")]  # whitespace kept
    assert [(p.index, p.seed, p.complete, p.pinned) for p in first.pieces] == [
        (0, 10, True, False),
        (1, 11, False, False),
        (2, 12, True, False),
    ]
    assert ("gallery_saved", second) in events

    pinned = library.set_pinned(first.pieces[1].id, True)
    rerolled = library.replace_piece(first.pieces[1].id, Art(1, "Cats", 99, "new cat", True))
    assert pinned.pinned and rerolled.pinned and rerolled.index == 1
    assert (rerolled.seed, rerolled.text, rerolled.complete) == (99, "new cat", True)
    assert [p.text for p in library.galleries(styleA.id)[1].pieces] == [
        first.pieces[0].text,
        "new cat",
        first.pieces[2].text,
    ]
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


def _measured(bpc, data="d1", context=128, split="val"):
    return {
        "bpc": bpc,
        "context": context,
        "stride": context // 2,
        "caption": f"{split} · ctx {context}",
        "data": {"sha256": data, "split": split, "name": "builtin"},
    }


def test_measurements_are_kept_by_data_and_never_overwrite_each_other(library):
    styleA = library.find_by_name("apehex/styleA")
    events = []
    library.subscribe(lambda event, payload: events.append((event, payload)))
    own = library.add_measurement(styleA.id, _measured(0.41))
    assert own.key_metric == ("bpc", 0.41) and own.headline["bpc"] == 0.41
    # a figure on the pair's data (a breed) is kept beside it; the headline stays its own
    beside = library.add_measurement(styleA.id, _measured(0.55, data="union", split="test"))
    assert beside.headline["bpc"] == 0.41 and [m["bpc"] for m in beside.measurements] == [0.41, 0.55]
    # the same data, context and stride: a re-measurement replaces the old figure
    again = library.add_measurement(styleA.id, _measured(0.56, data="union", split="test"))
    assert [m["bpc"] for m in again.measurements] == [0.41, 0.56]
    # another context is another figure
    longer = library.add_measurement(styleA.id, _measured(0.6, data="union", context=256, split="test"))
    assert len(longer.measurements) == 3 and longer.headline["bpc"] == 0.41
    # a figure made for a pair it was bred in is never its headline, even when it has none
    styleB = library.find_by_name("apehex/styleB")
    for_pair = library.add_measurement(styleB.id, {**_measured(0.7), "measured_for": "breeding styleA × styleB"})
    assert for_pair.headline is None and len(for_pair.measurements) == 1
    framed = library.set_framing(styleA.id, "unconditional")
    assert framed.framing == "unconditional" and framed.framing_source == "user"
    assert [e for e, _ in events] == ["checkpoint_updated"] * 6 and events[-1][1] == framed
    with pytest.raises(StudioError):
        library.set_framing(styleA.id, "sideways")
    with pytest.raises(KeyError):
        library.add_measurement(10_000, _measured(1.0))


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
