"""The rules that read a family tree out of paths and lineage (no database)."""

from pathlib import PurePosixPath as P

from studio.library import genealogy as g


def test_qualified_names_drop_generic_file_names_and_suffix():
    root = P("/data/snapshot")
    assert g.qualified_name(root / "apehex/breed/child_slerp/model.pt", root) == "apehex/breed/child_slerp"
    assert (
        g.qualified_name(root / "enwik8-darwin/offspring_forkL__x__forkR.pt", root)
        == "enwik8-darwin/offspring_forkL__x__forkR"
    )
    assert g.qualified_name(root / "model.pt", root) == "snapshot"
    assert g.single_file_root(P("/a/styleA/model.pt")) == P("/a")
    assert g.single_file_root(P("/a/bred/kid.pt")) == P("/a/bred")


def test_breed_folder_names_the_method():
    assert g.layout_method("child_slerp") == "slerp"
    assert g.layout_method("child_slerp_frozenattn") == "frozen-attn"
    assert g.layout_method("child_discrete") == "discrete"
    assert g.layout_method("child_lerp") == "lerp"
    assert g.layout_method("something") == "bred"
    assert g.breed_family(P("/s/apehex/breed/child_slerp/model.pt")) == (P("/s/apehex"), "slerp")
    assert g.breed_family(P("/s/apehex/breed/child_lerp.pt")) == (P("/s/apehex"), "lerp")
    assert g.breed_family(P("/home/breed/x/y/z/model.pt")) is None  # only directly under breed/


def test_family_artists_are_the_models_directly_in_the_family_folder():
    family = P("/s/apehex")
    assert g.is_family_artist(P("/s/apehex/styleA/model.pt"), family)
    assert g.is_family_artist(P("/s/apehex/styleC.pt"), family)
    assert not g.is_family_artist(P("/s/apehex/breed/child_slerp/model.pt"), family)
    assert not g.is_family_artist(P("/s/uncond/styleA/model.pt"), family)


def test_crossed_names():
    assert g.crossed_names(P("/s/enwik8-darwin/offspring_forkL__x__forkR.pt")) == (["forkL", "forkR"], "darwin")
    assert g.crossed_names(P("/s/kids/domA__x__domB/model.pt")) == (["domA", "domB"], "bred")
    assert g.crossed_names(P("/s/A__x__B/deeper/model.pt")) is None  # not the file's own name
    assert g.name_variants("run3_forkL", leading=True) == ["run3_forkL", "forkL"]
    assert g.name_variants("forkR_gen4", leading=False) == ["forkR_gen4", "forkR"]


def test_roles_follow_the_card():
    fork = {"parents": [{"name": "ancestor", "sha256": "ab"}], "method": "fork"}
    two = {"parents": [{"name": "a"}, {"name": "b"}], "method": "slerp"}
    assert g.infer_role(P("/s/apehex/styleA/model.pt"), framing="conditional", lineage=fork) == "artist"
    assert g.infer_role(P("/s/bred/kid.pt"), framing="conditional", lineage=two) == "bred"
    assert g.infer_role(P("/s/apehex/breed/child_slerp/model.pt"), framing="conditional", lineage=None) == "bred"
    assert g.infer_role(P("/s/e/offspring_a__x__b.pt"), framing="text", lineage=None) == "bred"
    assert g.infer_role(P("/s/smith-experiment/smith/model.pt"), framing="conditional", lineage=None) == "ablation"
    assert g.infer_role(P("/s/resonance/standard_g1/model.pt"), framing="conditional", lineage=None) == "sweep"
    assert g.infer_role(P("/s/enwik8/forkL.pt"), framing="text", lineage=None) == "text"
    assert g.infer_role(P("/s/uncond/styleA/model.pt"), framing="unconditional", lineage=None) == "artist"


def test_lineage_parents_tolerate_odd_entries():
    lineage = {"parents": [{"name": "a", "sha256": "1"}, "b", 3, {"path": "x"}], "method": "darwin"}
    assert g.lineage_parents(lineage) == [
        {"name": "a", "sha256": "1", "path": None},
        {"name": "b", "sha256": None, "path": None},
    ]
    assert g.lineage_parents(None) == [] and g.lineage_method({"method": "fork"}) == "fork"
