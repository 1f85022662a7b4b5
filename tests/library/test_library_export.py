"""Exports: gallery text in the CLI's format, pieces exactly as drawn, checkpoints the card can load."""

import importlib

import pytest
import torch
from library_fixtures import save, tiny
from library_fixtures import snapshot  # noqa: F401  (the fixture)

from studio.errors import CheckpointError
from studio.fsutil import sha256_file
from studio.library import Library
from studio.library.export import (
    default_export_name,
    export_checkpoint,
    export_gallery_txt,
    export_piece_txt,
    gallery_to_text,
)
from studio.model.checkpoint import lineage_record, load_checkpoint
from studio.model.art import gallery_text
from studio.model.sampler import Art, SampleSettings

CAT = " /\\_/\\  \n( o.o ) \n > ^ <\n\n"


@pytest.fixture
def library(snapshot):
    library = Library(":memory:")
    library.import_folder(snapshot)
    return library


def _card_snippet_loads(path):
    """The model card's own loading code (after our hash patch, which studio.model applies)."""
    nGPT = importlib.import_module("nGPT_pytorch").nGPT
    ck = torch.load(path, map_location="cpu", weights_only=False)
    model = nGPT(**ck["config"])
    model.load_state_dict(ck["model"])
    return ck


def test_gallery_and_piece_text(library, tmp_path):
    styleA = library.find_by_name("apehex/styleA")
    settings = {
        "label": "Cats", "count": 2, "temperature": 0.6, "top_k": 20, "seed": 3, "temper_spaces": False,
        "engine": "ours",
    }  # fmt: skip
    gallery = library.save_gallery(
        styleA.id, settings, [Art(0, "Cats", 3, CAT, True), Art(1, "Cats", 4, "half a c", False)]
    )

    folder = tmp_path / "exports"
    out = export_gallery_txt(
        folder / default_export_name(styleA, "gallery", "Cats"), styleA.name, gallery.settings, gallery.pieces
    )

    expected = gallery_text(
        "styleA",
        SampleSettings(label="Cats", count=2, temperature=0.6, top_k=20, seed=3),
        [Art(0, "Cats", 3, CAT, True), Art(1, "Cats", 4, "half a c", False)],
    )
    assert out.name == "styleA-cats-gallery.txt" and out.read_bytes().decode() == expected
    assert expected.startswith("=== styleA #0 label=Cats seed=3 T=0.6 top_k=20 (complete) ===\n" + CAT)
    assert gallery_to_text("styleA", settings, gallery.pieces) == expected
    # A gallery stored before spaces kept their odds was drawn with them tempered, and says so.
    legacy = {k: v for k, v in settings.items() if k != "temper_spaces"}
    assert "top_k=20 spaces=tempered (complete)" in gallery_to_text("styleA", legacy, gallery.pieces)

    piece = export_piece_txt(folder / default_export_name(styleA, "piece", index=0), gallery.pieces[0])
    assert piece.name == "styleA-piece-0.txt" and piece.read_bytes() == (CAT + "\n").encode()
    assert sorted(p.name for p in folder.iterdir()) == [
        "styleA-cats-gallery.txt",
        "styleA-piece-0.txt",
    ]  # no temp files


def test_checkpoint_in_card_format_is_copied_byte_for_byte(library, tmp_path):
    child = library.find_by_name("apehex/breed/child_slerp")
    folder = tmp_path / "exports"
    out = export_checkpoint(child, folder / default_export_name(child, "checkpoint"))
    assert out.name == "child_slerp.pt" and sha256_file(out) == child.sha256
    _card_snippet_loads(out)
    assert [p.name for p in folder.iterdir()] == ["child_slerp.pt"]  # no temp file left behind


def test_a_file_not_in_card_format_is_resaved_with_its_lineage(tmp_path):
    parent = save(tiny(1), tmp_path / "A" / "model.pt")
    legacy = tiny(2)
    payload = {
        "config": {**legacy.model_kwargs, "framing": "conditional", "lr": 3e-4},  # metadata in config
        "model": legacy.state_dict,
        "itos": list(legacy.vocab.chars),
        "lineage": lineage_record([parent], "slerp", {"t": 0.5}),
    }
    source = tmp_path / "legacy.pt"
    torch.save(payload, source)
    with pytest.raises(TypeError):
        _card_snippet_loads(source)  # why it must be re-saved

    out = export_checkpoint(source, tmp_path / "export" / "legacy.pt")

    ck = _card_snippet_loads(out)
    assert ck["lineage"]["parents"][0]["sha256"] == parent.sha256 and ck["config_extra"]["lr"] == 3e-4
    key = "token_embed.linear.parametrizations.weight.original"
    assert torch.equal(load_checkpoint(out).state_dict[key], legacy.state_dict[key])


def test_a_failed_export_leaves_the_destination_alone(library, tmp_path):
    dest = tmp_path / "keep.pt"
    dest.write_bytes(b"the user's old file")
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"garbage")
    with pytest.raises(CheckpointError):
        export_checkpoint(broken, dest)
    placeholder = library.find_by_name("enwik8-darwin/forkL")
    with pytest.raises(CheckpointError, match="no file"):
        export_checkpoint(placeholder, dest)
    assert dest.read_bytes() == b"the user's old file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.pt", "keep.pt", "snapshot"]


def test_default_export_names(library):
    styleA = library.find_by_name("apehex/styleA")
    assert default_export_name(styleA, "gallery", "Cats") == "styleA-cats-gallery.txt"
    assert default_export_name(styleA, "gallery") == "styleA-gallery.txt"
    assert default_export_name(styleA, "piece", index=3) == "styleA-piece-3.txt"
    assert default_export_name(styleA, "png", "Big Cats/2") == "styleA-big-cats-2-gallery.png"
    assert default_export_name(styleA, "checkpoint") == "styleA.pt"
    assert default_export_name("/x/kid: one.pt", "checkpoint") == "kid-one.pt"
    with pytest.raises(ValueError):
        default_export_name(styleA, "zip")
