"""Real art: system-art from installed packages, the apehex parquet layout, corpus specs,
honest splits, stratification on imbalanced corpora, and data that follows the artist."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from studio.cli import main
from studio.errors import StudioError
from studio.model.judge import LN2, PieceScores, bootstrap_weights, bpc_interval
from studio.model.synthetic import random_checkpoint
from studio.model.variety import distinct_drawings, drawing_of
from studio.train import system_art
from studio.train.corpora import load_corpus, split_spec
from studio.train.corpus import BUILTIN_CORPORA, Piece, split_pieces
from studio.train.heldout import heldout_for, stratified
from studio.train.training import default_context

PACKAGES_HERE = all(system_art.find_package(p.name) for p in system_art.PACKAGES)
needs_packages = pytest.mark.skipif(
    not PACKAGES_HERE,
    reason="system-art needs Debian's fortunes-mario, boxes and cowsay: apt-get install -y fortunes-mario boxes cowsay",
)


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DARWASCII_CACHE_DIR", str(tmp_path / "cache"))


# -- the readers, on files made here (known answers) ------------------------------------


COW = r"""##
## A test cow
##
$the_cow = <<"EOC";
        $thoughts   ^__^
         $thoughts  ($eyes)\\_______
            (__)\\       )\\/\\
             $tongue ||----w |
                ||     ||  \$1
EOC
"""

BOXES = """BOX plain
tags "simple, programming, box"
sample
    /***/
    /* */
    /***/
ends
END plain

BOX kitty
tags "artwork, box, sign"
sample
      /\\_/\\
     ( o.o )
      > ^ <
    +-------+
    | hello |
    +-------+
ends
shapes { }
END kitty
"""

FORTUNES = (
    "  /\\\n /  \\\n/____\\  jgs\n%\nThis is a joke told in words\nand only in words, nothing drawn.\n%\n"
    "  /\\\n /  \\\n/____\\  jgs\n%\n"
)


def _fake_packages(tmp_path: Path):
    fortunes = tmp_path / "usr/share/games/fortunes/art"
    fortunes.parent.mkdir(parents=True)
    fortunes.write_text(FORTUNES)
    (tmp_path / "usr/share/games/fortunes/art.dat").write_bytes(b"\0\1")
    boxes = tmp_path / "etc/boxes/boxes-config"
    boxes.parent.mkdir(parents=True)
    boxes.write_text(BOXES)
    cow = tmp_path / "usr/share/cowsay/cows/moose.cow"
    cow.parent.mkdir(parents=True)
    cow.write_text(COW)
    files = {"fortunes-mario": [fortunes], "boxes": [boxes], "cowsay": [cow]}
    licences = {"fortunes-mario": "GPL-2", "boxes": "GPL-3", "cowsay": "Artistic"}
    return lambda name: system_art.InstalledPackage(name, tuple(files[name]), licences[name], "dpkg")


def test_readers_on_files_with_known_contents(tmp_path):
    found = system_art.load_system_art(find=_fake_packages(tmp_path), use_cache=False)
    arts = {p.source.split(":")[0]: p for p in found.pieces}
    # the cow: escapes undone, eyes filled, the bubble's tail left out, \$ kept literal
    assert arts["cowsay"].art == (
        "            ^__^\n            (oo)\\_______\n            (__)\\       )\\/\\\n"
        "                ||----w |\n                ||     ||  $1"
    )
    assert arts["cowsay"].label == "animals" and arts["cowsay"].licence == "Artistic"  # "moose" names it
    # boxes: only the artwork design, its sample as drawn; named kitty -> animals
    assert arts["boxes"].art.startswith("      /\\_/\\") and arts["boxes"].label == "animals"
    # fortunes: the drawing once (its copy is a duplicate), the joke dropped as text
    assert [p.art for p in found.pieces if p.source.startswith("fortunes")] == ["  /\\\n /  \\\n/____\\  jgs"]
    assert found.dropped == {"text, not a drawing": 1, "duplicates": 1}
    assert "jgs" in found.pieces[0].art  # signatures are part of the art


def test_missing_packages_say_how_to_install(tmp_path, monkeypatch, capsys):
    nothing = system_art.load_system_art(find=lambda name: None)
    assert nothing.pieces == [] and nothing.install_line == "sudo apt-get install -y fortunes-mario boxes cowsay"
    monkeypatch.setattr(system_art, "find_package", lambda name, *a: None)
    with pytest.raises(StudioError, match="apt-get install -y fortunes-mario boxes cowsay"):
        load_corpus("system-art")
    assert main(["corpus", "list"]) == 0
    assert "install with: sudo apt-get install -y fortunes-mario boxes cowsay" in capsys.readouterr().out
    assert main(["train", "--corpus", "system-art", "-o", str(tmp_path / "x.pt")]) == 2


def test_dpkg_lists_and_copyright_are_read(tmp_path):
    info = tmp_path / "info"
    info.mkdir()
    (info / "cowsay.list").write_text("/.\n/usr/share/cowsay/cows/x.cow\n")
    package = system_art.find_package("cowsay", dpkg_info=info)
    assert package is not None and package.files == (Path("/usr/share/cowsay/cows/x.cow"),)
    copyright_file = tmp_path / "copyright"
    copyright_file.write_text("Files: debian/*\nLicense: GPL-2+\n\nFiles: *\nCopyright: x\nLicense: GPL-3\n")
    assert system_art._dep5_licence(copyright_file) == "GPL-3"
    assert system_art.find_package("no-such-package-here", dpkg_info=info) is None or system_art.shutil.which("rpm")


def test_classify_by_words_and_names():
    assert system_art.classify("  ___\n |   | my house", "") == "buildings"
    assert system_art.classify(" /\\_/\\\n( o.o )", "cat") == "animals"
    assert system_art.classify(" |||||\n |___|", "") == ""


# -- the real packages (skipped where they are not installed) ---------------------------------


@needs_packages
def test_system_art_has_2000_clean_deduplicated_signed_pieces():
    found = system_art.load_system_art()
    pieces = found.pieces
    assert len(pieces) >= system_art.MIN_PIECES_PROMISED
    assert set(found.installed) == {"fortunes-mario", "boxes", "cowsay"}
    assert all(p.source and p.licence for p in pieces)
    assert {p.label for p in pieces} <= set(system_art.CLASSES) | {""}
    assert all(system_art.rejection(p.art) is None for p in pieces)
    drawings = [drawing_of(p.art) for p in pieces]
    assert len(set(drawings)) == len(drawings)
    sample = random.Random(0).sample(pieces, 150)
    assert distinct_drawings([p.art for p in sample]) == 150
    assert sum("jgs" in p.art for p in pieces) >= 100  # Joan Stark's pieces keep her signature
    again = system_art.load_system_art()
    assert again.from_cache and again.pieces == pieces


@needs_packages
def test_system_art_halves_and_cli(tmp_path, capsys):
    creatures, objects = load_corpus("system-art:creatures"), load_corpus("system-art:objects")
    assert {p.label for p in creatures.pieces} == set(system_art.CREATURES_AND_NATURE)
    assert {p.label for p in objects.pieces} == set(system_art.OBJECTS_AND_TECH)
    assert main(["corpus", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["system-art"]
    assert listed["pieces"] >= 2000 and listed["missing"] == []


@pytest.mark.parametrize("name", [*BUILTIN_CORPORA, "system-art"])
def test_test_and_val_drawings_never_appear_in_train_even_shifted(name, tmp_path):
    if name == "system-art" and not PACKAGES_HERE:
        pytest.skip(
            "system-art needs fortunes-mario, boxes and cowsay (apt-get install -y fortunes-mario boxes cowsay)"
        )
    written = {}
    for split in ("train", "val", "test"):
        out = tmp_path / f"{split}.jsonl"
        assert main(["corpus", "build", name, "--split", split, "-o", str(out)]) == 0
        written[split] = [json.loads(line) for line in out.read_text().splitlines()]
        assert written[split], f"{name} {split} is empty"
    train = {drawing_of(row["art"]) for row in written["train"]}
    for held in ("val", "test"):
        assert not [row for row in written[held] if drawing_of(row["art"]) in train]
    whole = load_corpus(name).pieces
    assert sum(map(len, written.values())) == len(whole)


# -- the apehex dataset as published (small shards made here) ---------------------------------


def _apehex_folder(root: Path) -> Path:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = [
        ("Cat by jgs", " /\\_/\\\n( o.o )\n > ^ <   jgs", "Animals,Cats"),
        ("", "  __\n (oo)\n /||\\", "Animals,Cows"),
        ("Dragon", "   /\\\n  <  >=={\n   \\/", "Mythology,Dragons"),
        ("", "  /|\n / |\n/__|__\n\\____/", "Vehicles,Boats"),
        ("Sword", "o==[]::::::::::::>", "Weapons,Swords"),
        ("", "  ____\n_/__|_\\_\n-O----O-", "Vehicles,Cars"),
        ("no labels", ".--.\n|  |\n'--'", None),
    ]
    train = root / "asciiart" / "train"
    train.mkdir(parents=True)
    for shard, part in enumerate((rows[:4], rows[4:])):
        table = pa.table(
            {
                "caption": [r[0] for r in part],
                "content": [r[1] for r in part],
                "labels": [r[2] for r in part],
                "charsets": ["ASCII C0"] * len(part),
                "chartypes": ["Punctuations,Letters"] * len(part),
            }
        )
        pq.write_table(table, train / f"{shard:04d}.parquet")
    graffiti = root / "graffiti" / "train"
    graffiti.mkdir(parents=True)
    pq.write_table(pa.table({"content": ["FONT"], "labels": ["Fonts,Big"]}), graffiti / "0000.parquet")
    return root


def test_apehex_folder_reads_subcategory_labels_and_halves(tmp_path):
    root = _apehex_folder(tmp_path / "ascii-art")
    whole = load_corpus(str(root))
    assert whole.kind == "apehex" and whole.source == str(root.resolve())
    assert [p.label for p in whole.pieces] == ["Cats", "Cows", "Dragons", "Boats", "Swords", "Cars", ""]
    assert whole.pieces[0].source == "0000.parquet#1" and "AGPL" in whole.pieces[0].licence
    assert "jgs" in whole.pieces[0].art
    # the same corpus from asciiart/ or from the shards' folder
    for where in (root / "asciiart", root / "asciiart" / "train"):
        assert [p.art for p in load_corpus(str(where)).pieces] == [p.art for p in whole.pieces]
    creatures = load_corpus(f"{root}:creatures")
    assert [p.label for p in creatures.pieces] == ["Cats", "Cows", "Dragons"]
    assert creatures.source == f"{root.resolve()}:creatures" and split_spec(creatures.source)[1] == "creatures"
    objects = load_corpus(f"{root}:objects")
    assert [p.label for p in objects.pieces] == ["Boats", "Swords", "Cars", ""]
    with pytest.raises(StudioError, match="halves"):
        load_corpus(f"{root / 'asciiart' / 'train' / '0000.parquet'}:objects")


def test_corpus_build_writes_one_split_of_an_imported_corpus(tmp_path):
    root = _apehex_folder(tmp_path / "ascii-art")
    out = tmp_path / "all.jsonl"
    assert main(["corpus", "build", str(root), "-o", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["label"] for r in rows] == ["Cats", "Cows", "Dragons", "Boats", "Swords", "Cars", ""]
    assert rows[0]["source"] == "0000.parquet#1"
    again = load_corpus(str(out)).pieces
    assert again[0].source == "0000.parquet#1" and again[0].licence == rows[0].get("licence", "")
    assert main(["corpus", "build", str(root), "--per-class", "3", "-o", str(out)]) == 2


def test_corpus_build_keeps_short_pieces_in_the_split_they_have_in_the_whole(tmp_path):
    from studio.train.corpus import piece_split

    whole = tmp_path / "whole.jsonl"
    assert main(["corpus", "build", "builtin-a", "-o", str(whole)]) == 0
    short = tmp_path / "short.jsonl"
    assert main(["corpus", "build", "builtin-a", "--max-chars", "150", "-o", str(short)]) == 0
    rows = [json.loads(line) for line in short.read_text().splitlines()]
    everything = [json.loads(line) for line in whole.read_text().splitlines()]
    assert rows == [r for r in everything if len(r["art"]) <= 150] and 0 < len(rows) < len(everything)
    # read back, a piece keeps where it came from: the row's source, else the file and line
    assert {p.source for p in load_corpus(str(short)).pieces} == {f"short.jsonl:{i}" for i in range(1, len(rows) + 1)}
    test = tmp_path / "test.jsonl"
    assert main(["corpus", "build", "builtin-a", "--max-chars", "150", "--split", "test", "-o", str(test)]) == 0
    test_rows = [json.loads(line) for line in test.read_text().splitlines()]
    assert test_rows and all(piece_split(Piece(r["label"], r["art"])) == "test" for r in test_rows)
    assert main(["corpus", "build", "builtin-a", "--max-chars", "0", "-o", str(short)]) == 2


# -- stratification on an imbalanced corpus; the bootstrap on one-piece classes --------------


def _imbalanced() -> list[Piece]:
    pieces = [Piece("big", f"{'#' * (10 + i)}\n{i}") for i in range(400)]
    for label in ("small", "tiny"):
        pieces += [Piece(label, f"{label} {i}\n{'=' * (20 + i)}") for i in range(60)]
    return pieces


def test_every_class_is_represented_and_big_classes_are_capped_at_the_mean():
    pieces = _imbalanced()
    heldout = stratified(pieces, name="imbalanced", split="val", framing="conditional")
    counts = {c: heldout.classes.count(c) for c in ("big", "small", "tiny")}
    assert all(n >= 2 for n in counts.values())
    chars = dict(zip(heldout.identity.classes, heldout.identity.class_chars))
    in_split = {c: sum(len(p.art) + len(c) + 3 for p in split_pieces(pieces)["val"] if p.label == c) for c in chars}
    mean = sum(in_split.values()) / 3
    for label, total in in_split.items():
        if total <= mean:
            assert chars[label] == total  # a small class gives all it has
        else:
            assert mean <= chars[label] <= mean + 420  # capped at the mean, plus the piece that crossed it


def test_bootstrap_pools_one_piece_classes_so_an_interval_is_never_zero_width():
    weights = bootstrap_weights(["a", "b", "c", "d"], resamples=200, seed=0)
    assert weights.sum(axis=1).tolist() == [4.0] * 200 and weights.std(axis=0).min() > 0
    bpc, chars = np.array([0.5, 1.0, 1.5, 2.0]), np.full(4, 100.0)
    interval = bpc_interval(PieceScores(bpc * chars * LN2, chars, ["a", "b", "c", "d"], context=64, stride=32))
    assert interval.high - interval.low > 0.3
    # classes of two or more are resampled within themselves, as before
    two = bootstrap_weights(["a", "a", "b", "b"], resamples=50, seed=1)
    assert (two[:, :2].sum(axis=1) == 2).all() and (two[:, 2:].sum(axis=1) == 2).all()


def test_default_context_fits_the_95th_percentile_piece():
    pieces = [Piece("x", "a" * n) for n in range(1, 101)]  # framed: n + 4 chars
    assert default_context(pieces, "conditional") == 128  # p95 framed = 100 -> 128
    assert default_context([Piece("", "a" * 5000)] * 3, "unconditional") == 1024
    assert default_context([Piece("", "ab")] * 3, "unconditional") == 64


# -- the judge follows the artist's data ---------------------------------------------------------


def _artist(recipe=None, labels=("Cats", "Swords")):
    ckpt = random_checkpoint(dim=32, depth=1, seed=3)
    ckpt.name, ckpt.labels = "artist", list(labels)
    ckpt.extra = {"recipe": recipe} if recipe else {}
    return ckpt


def test_no_recorded_data_is_never_scored_on_builtin_pieces():
    card_like = _artist()  # labels that the built-in corpus also has, but no recipe
    with pytest.raises(StudioError, match="no training corpus is recorded"):
        heldout_for([card_like], "val")
    given = heldout_for([card_like], "val", fallback="builtin")
    assert given.identity.name == "builtin" and set(given.identity.classes) == {"Cats", "Swords"}


def test_recorded_source_is_used_and_a_missing_one_is_one_sentence(tmp_path):
    root = _apehex_folder(tmp_path / "ascii-art")
    trained = _artist(
        {
            "corpus": "ascii-art",
            "corpus_source": f"{root.resolve()}:objects",
            "classes": ["Boats", "Cars", "Swords"],
            "train": {"context": 64},
        }
    )
    data = heldout_for([trained], "val")
    assert data.identity.name == str(root.resolve())  # the whole corpus, its classes
    assert set(data.classes) <= {"Boats", "Cars", "Swords"}
    moved = _artist({"corpus": "gone", "corpus_source": str(tmp_path / "gone"), "classes": ["Cats"]})
    with pytest.raises(StudioError, match="cannot be read here"):
        heldout_for([moved], "val")


def test_training_records_where_its_corpus_came_from_and_the_unlabelled_class(tmp_path):
    from studio.model.checkpoint import load_checkpoint

    corpus = tmp_path / "mine.jsonl"
    rows = [{"label": ["Cats", "Boats", ""][i % 3], "art": f"/{'-' * (i % 17)}\\\n|{i:>4}|\n\\__/"} for i in range(90)]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "artist.pt"
    assert (
        main(
            [
                "train",
                "--corpus",
                str(corpus),
                "--steps",
                "2",
                "--dim",
                "32",
                "--depth",
                "1",
                "--heads",
                "2",
                "--dim-head",
                "16",
                "--batch-size",
                "2",
                "-o",
                str(out),
                "--json",
            ]
        )
        == 0
    )
    recipe = load_checkpoint(out).extra["recipe"]
    assert recipe["corpus_source"] == str(corpus.resolve()) and recipe["classes"] == ["", "Boats", "Cats"]
    assert recipe["train"]["context"] == 64  # the corpus's pieces are short: the smallest context
    # the widest line of its training pieces: the sampler draws no wider (split_pieces: its train split)
    train = split_pieces([Piece(r["label"], r["art"]) for r in rows])["train"]
    assert recipe["widest_line"] == max(len(line) for p in train for line in p.art.split("\n"))
    # its figures are on its own corpus, unlabelled pieces included
    data = heldout_for([load_checkpoint(out)], "val")
    assert data.identity.name == str(corpus.resolve()) and "" in data.classes


def test_eval_defaults_to_the_artists_own_corpus(tmp_path, capsys):
    from studio.model.checkpoint import save_checkpoint

    own = _artist({"corpus": "builtin-a", "classes": ["Cats", "Fish"], "train": {"context": 64}})
    path = tmp_path / "own.pt"
    save_checkpoint(own, path)
    assert main(["eval", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["data"]["name"] == "builtin" and set(result["data"]["classes"]) == {"Cats", "Fish"}
    bare = tmp_path / "bare.pt"
    save_checkpoint(_artist(), bare)
    assert main(["eval", str(bare)]) == 2
    assert "no training corpus is recorded" in capsys.readouterr().err


def test_library_remembers_a_folders_heldout_data(tmp_path):
    from studio.library import Library

    with Library(tmp_path / "lib.sqlite3") as library:
        library.set_folder_data(tmp_path / "snapshot", "system-art")
        library.set_folder_data(tmp_path / "snapshot" / "apehex", str(tmp_path / "ascii-art"))
        assert library.data_for(tmp_path / "snapshot" / "apehex" / "styleA" / "model.pt")[1] == str(
            tmp_path / "ascii-art"
        )
        assert library.data_for(tmp_path / "snapshot" / "uncond" / "model.pt")[1] == "system-art"
        assert library.data_for(tmp_path / "elsewhere" / "model.pt") is None
    with Library(tmp_path / "lib.sqlite3") as again:  # remembered across sessions
        assert again.folder_data()[str((tmp_path / "snapshot").resolve())] == "system-art"
        again.set_folder_data(tmp_path / "snapshot", None)
        assert str((tmp_path / "snapshot").resolve()) not in again.folder_data()


def test_bootstrap_without_one_piece_classes_is_unchanged():
    """The pooling of one-piece classes draws after every other class: data without such
    classes resamples exactly as before (every recorded interval stays the same)."""
    classes = ["a"] * 3 + ["b"] * 5
    rng = np.random.default_rng(7)
    labels = np.array(classes)
    before = np.zeros((20, 8))
    for label in dict.fromkeys(classes):
        members = np.flatnonzero(labels == label)
        draws = rng.integers(0, len(members), size=(20, len(members)))
        for row in range(20):
            before[row, members] += np.bincount(draws[row], minlength=len(members))
    assert (bootstrap_weights(classes, resamples=20, seed=7) == before).all()


# -- originality: drawing or copying? ----------------------------------------------------------


def _jsonl_artist(tmp_path: Path, rows) -> Path:
    from studio.model.checkpoint import save_checkpoint

    corpus = tmp_path / "mine.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    artist = _artist({"corpus": "mine.jsonl", "corpus_source": str(corpus.resolve()), "classes": ["Cats"]})
    path = tmp_path / "artist.pt"
    save_checkpoint(artist, path)
    return path


def test_originality_flags_a_shifted_copy_of_a_training_piece_and_not_a_new_drawing(tmp_path, capsys, monkeypatch):
    from studio.model.art import Art, SampleSettings

    rows = [{"label": "Cats", "art": f" /\\_/\\\n( {c}.{c} )\n > ^ <  {'~' * i}"} for i, c in enumerate("oxq^*-")]
    rows += [{"label": "Cats", "art": f"|{'=' * (8 + i)}|\n|{i:^{8 + i}}|"} for i in range(30)]
    path = _jsonl_artist(tmp_path, rows)
    train = [p.art for p in split_pieces(load_corpus(str(tmp_path / "mine.jsonl")).pieces)["train"]]
    copied = "\n".join("      " + line for line in train[0].split("\n"))  # shifted: the same drawing
    new = "  ____\n /    \\\n/______\\\n|  []  |"

    def fake_gallery(args, on_char=None):
        arts = [Art(0, "Cats", 0, copied, True), Art(1, "Cats", 1, new, True), Art(2, "Cats", 2, "", False)]
        return None, SampleSettings(label="Cats", count=3), arts, 0.1, "cpu"

    monkeypatch.setattr("studio.train.commands.draw_gallery", fake_gallery)
    assert main(["originality", str(path), "-n", "3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    first, second, empty = result["pieces"]
    assert first["distance"] == 0.0 and first["near_copy"]
    assert second["distance"] > 0.5 and not second["near_copy"]
    assert empty["nearest"] is None and not empty["near_copy"]
    summary = result["summary"]
    assert summary["near_copies"] == 1 and summary["distinct"] == 2 and summary["complete"] == 2
    assert summary["compared_with"] == f"the train split of mine.jsonl ({len(train)} pieces)"


def test_originality_draws_and_compares_end_to_end_and_needs_a_corpus(tmp_path, capsys):
    from studio.model.checkpoint import save_checkpoint

    rows = [{"label": "Cats", "art": f"/{'-' * (i % 17)}\\\n|{i:>4}|\n\\__/"} for i in range(40)]
    path = _jsonl_artist(tmp_path, rows)
    assert main(["originality", str(path), "-n", "2", "--max-chars", "40", "-l", "Cats"]) == 0
    out = capsys.readouterr().out
    assert "nearest drawing in the train split of mine.jsonl" in out and "2 pieces:" in out
    bare = tmp_path / "bare.pt"
    save_checkpoint(_artist(), bare)
    assert main(["originality", str(bare), "-n", "1"]) == 2
    assert "records no training corpus" in capsys.readouterr().err
    assert main(["originality", str(bare), "-n", "1", "--max-chars", "20", "--corpus", "builtin-a"]) == 0
    assert "the train split of builtin-a" in capsys.readouterr().out
