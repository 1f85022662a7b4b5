"""The CLI contract: --json prints one object; bad input is one sentence and exit 2."""

import json

import pytest

from studio.cli import main
from studio.model.checkpoint import save_checkpoint
from studio.model.synthetic import random_checkpoint


@pytest.fixture(scope="module")
def ckpt_path(tmp_path_factory):
    ckpt = random_checkpoint(dim=32, depth=1, seed=1)
    ckpt.labels = ["Cats", "Fish"]
    return save_checkpoint(ckpt, tmp_path_factory.mktemp("ck") / "apehex" / "styleA" / "model.pt")


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_info_json(capsys, ckpt_path):
    code, out, err = run(capsys, "info", ckpt_path, "--json")
    assert code == 0 and err == ""
    info = json.loads(out)
    assert {
        "name",
        "path",
        "framing",
        "variant",
        "vocab_size",
        "num_params",
        "config",
        "labels",
        "lineage",
        "metrics",
    } <= set(info)
    assert info["name"] == "styleA" and info["labels"] == ["Cats", "Fish"] and info["vocab_size"] == 106


def test_sample_json_and_out_file(capsys, ckpt_path, tmp_path):
    out_file = tmp_path / "gallery.txt"
    code, out, err = run(
        capsys,
        "sample",
        ckpt_path,
        "--label",
        "Cats",
        "-n",
        "3",
        "--max-chars",
        "20",
        "--seed",
        "5",
        "--json",
        "--out",
        out_file,
    )
    assert code == 0
    result = json.loads(out)  # exactly one object on stdout
    assert set(result) == {"checkpoint", "settings", "arts", "elapsed_s"}
    assert [a["index"] for a in result["arts"]] == [0, 1, 2]
    assert [a["seed"] for a in result["arts"]] == [5, 6, 7]
    assert all(set(a) == {"index", "label", "seed", "text", "complete"} for a in result["arts"])
    text = out_file.read_text()
    assert text.count("=== styleA #") == 3
    for art in result["arts"]:
        assert art["text"] in text


def test_sample_human_output(capsys, ckpt_path):
    code, out, err = run(capsys, "sample", ckpt_path, "--label", "Fish", "-n", "2", "--max-chars", "10")
    assert code == 0 and out.count("=== styleA #") == 2


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["info", "{missing}"], "no such file"),
        (["sample", "{ckpt}", "--label", "Cats€"], "does not know"),
        (["sample", "{ckpt}", "-n", "0"], "count"),
        (["sample", "{ckpt}", "--device", "cuda:7"], "CUDA"),
        (["info", "{garbage}"], "corrupt"),
    ],
)
def test_bad_input_exits_2_with_one_sentence(capsys, ckpt_path, tmp_path, argv, fragment):
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"\x00" * 100)
    argv = [a.format(missing=tmp_path / "nope.pt", ckpt=ckpt_path, garbage=garbage) for a in argv]
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert fragment in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("devices", [0, 1])
def test_a_cuda_device_the_machine_lacks_exits_2(capsys, ckpt_path, monkeypatch, devices):
    """`--device cuda:7` on a machine with no CUDA, or with fewer GPUs, is one sentence and exit 2."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: devices > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: devices)
    code, out, err = run(capsys, "sample", ckpt_path, "--device", "cuda:7")
    assert code == 2 and out == ""
    assert "CUDA" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    if devices:
        assert "1 CUDA device " in err


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["sample"])
    assert info.value.code == 2
