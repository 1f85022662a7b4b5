"""Checkpoint format: both key forms, round trip through the card's snippet, bad files."""

import importlib
import io
import subprocess
import sys
import textwrap

import pytest
import torch

from studio.errors import CheckpointError, UntrustedCheckpointError
from studio.model import compat
from studio.model.checkpoint import load_checkpoint, save_checkpoint
from studio.model.engine import Engine
from studio.model.synthetic import random_checkpoint
from studio.model.vocab import CONDITIONAL, TEXT, UNCONDITIONAL, Vocab


def _write_raw(path, payload):
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(payload, path)
    return path


def _card_like_payload(manual=False, itos_as_list=False, **config):
    ckpt = random_checkpoint(vocab_size=109, dim=32, depth=1, manual_norm_weights=manual, seed=5, **config)
    itos = list(ckpt.vocab.chars) if itos_as_list else ckpt.vocab.itos
    return {
        "config": ckpt.model_kwargs,
        "model": ckpt.state_dict,
        "stoi": ckpt.vocab.stoi,
        "itos": itos,
        "step": 1200,
        "stream_loss": 0.031,
    }


@pytest.mark.parametrize("manual", [False, True], ids=["parametrized-keys", "plain-keys"])
@pytest.mark.parametrize("itos_as_list", [False, True], ids=["itos-dict", "itos-list"])
def test_reads_card_files_in_every_form(tmp_path, manual, itos_as_list):
    payload = _card_like_payload(manual=manual, itos_as_list=itos_as_list)
    path = _write_raw(tmp_path / "apehex" / "styleA" / "model.pt", payload)
    ckpt = load_checkpoint(path)
    assert ckpt.name == "styleA"
    assert len(ckpt.vocab) == 109
    assert ckpt.framing == CONDITIONAL and ckpt.framing_source == "inferred"
    assert ckpt.metrics["stream_loss"] == pytest.approx(0.031)
    assert ckpt.extra["step"] == 1200  # unknown keys are kept for the round trip
    model = ckpt.build_model()
    reference = compat.build_model(payload["config"])
    reference.load_state_dict(payload["model"])
    ids = torch.randint(0, 109, (1, 16))
    with torch.no_grad():
        assert torch.allclose(model(ids), reference(ids), atol=1e-6)


def test_framing_is_inferred_from_uncond_folder_and_can_be_overridden(tmp_path):
    path = _write_raw(tmp_path / "uncond" / "styleB" / "model.pt", _card_like_payload())
    assert load_checkpoint(path).framing == UNCONDITIONAL
    assert load_checkpoint(path, framing=CONDITIONAL).framing == CONDITIONAL


def test_metadata_keys_in_config_are_kept_not_passed_to_ngpt(tmp_path):
    payload = _card_like_payload()
    payload["config"] = {**payload["config"], "block_size": 256, "dataset": "apehex"}
    ckpt = load_checkpoint(_write_raw(tmp_path / "m.pt", payload))
    ckpt.build_model()
    assert ckpt.config_metadata == {"block_size": 256, "dataset": "apehex"}
    out = save_checkpoint(ckpt, tmp_path / "out.pt")
    raw = torch.load(out, weights_only=True)
    assert "block_size" not in raw["config"]  # the card's snippet calls nGPT(**config)
    assert load_checkpoint(out).config_metadata == {"block_size": 256, "dataset": "apehex"}


def test_round_trip_loads_with_the_cards_own_snippet(tmp_path):
    ckpt = random_checkpoint(vocab_size=106, dim=32, depth=2, seed=7, scale_jitter=0.2)
    ckpt.labels = ["Cats", "Swords"]
    path = save_checkpoint(ckpt, tmp_path / "child" / "model.pt")
    ids = torch.randint(0, 106, (1, 24), generator=torch.Generator().manual_seed(0))
    expected = Engine.from_checkpoint(ckpt).forward(ids)
    torch.save(ids, tmp_path / "ids.pt")
    # The card's snippet, in a fresh interpreter: plain nGPT-pytorch plus the hash patch.
    snippet = textwrap.dedent(
        f"""
        import torch
        from nGPT_pytorch import nGPT
        import studio.model.compat  # stands in for the card's `import ngpt_patch`
        ck = torch.load({str(path)!r}, map_location="cpu", weights_only=False)
        model = nGPT(**ck["config"]); model.load_state_dict(ck["model"]); model.eval()
        stoi, itos = ck["stoi"], ck["itos"]
        assert len(stoi) == len(itos) == 106
        ids = torch.load({str(tmp_path / "ids.pt")!r})
        with torch.no_grad():
            torch.save(model(ids), {str(tmp_path / "logits.pt")!r})
        """
    )
    subprocess.run([sys.executable, "-c", snippet], check=True)
    logits = torch.load(tmp_path / "logits.pt")
    assert (logits - expected).abs().max().item() < 1e-5
    again = load_checkpoint(path)
    assert again.labels == ["Cats", "Swords"]
    assert again.vocab == ckpt.vocab


def test_smith_variant_round_trips(tmp_path):
    ckpt = random_checkpoint(dim=32, depth=1, variant="smith", seed=2)
    loaded = load_checkpoint(save_checkpoint(ckpt, tmp_path / "smith" / "model.pt"))
    assert loaded.variant == "smith"
    assert isinstance(loaded.build_model().layers[0][0], compat.SmithResidual)


def test_byte_level_text_checkpoint_without_vocab(tmp_path):
    ckpt = random_checkpoint(vocab=Vocab.bytes256(), dim=32, depth=1)
    payload = {"config": ckpt.model_kwargs, "model": ckpt.state_dict}
    loaded = load_checkpoint(_write_raw(tmp_path / "enwik8-darwin" / "offspring_forkL__x__forkR.pt", payload))
    assert loaded.vocab.byte_level and len(loaded.vocab) == 256
    assert loaded.framing == TEXT
    assert loaded.name == "offspring_forkL__x__forkR"


def test_unknown_variant_is_named(tmp_path):
    payload = {**_card_like_payload(), "variant": "hyperbolic"}
    with pytest.raises(CheckpointError, match="hyperbolic"):
        load_checkpoint(_write_raw(tmp_path / "m.pt", payload))


# -- bad files: one clear sentence each -------------------------------------------


def _bad_files(tmp_path):
    good = _card_like_payload()
    data = io.BytesIO()
    torch.save(good, data)
    raw = data.getvalue()
    (tmp_path / "truncated.pt").write_bytes(raw[: len(raw) // 2])
    (tmp_path / "garbage.pt").write_bytes(b"this is not a checkpoint\n" * 10)
    (tmp_path / "empty.pt").write_bytes(b"")
    _write_raw(tmp_path / "list.pt", [1, 2, 3])
    _write_raw(tmp_path / "nomodel.pt", {"config": good["config"]})
    wrong = dict(good)
    wrong["config"] = {**good["config"], "dim": 64}
    _write_raw(tmp_path / "wrongshape.pt", wrong)
    missing = dict(good)
    missing["model"] = {k: v for k, v in good["model"].items() if "to_q" not in k}
    _write_raw(tmp_path / "missingkey.pt", missing)
    return {
        "truncated.pt": "truncated or corrupt",
        "garbage.pt": "corrupt",
        "empty.pt": "is empty",
        "list.pt": "not a checkpoint",
        "nomodel.pt": "no 'model' entry",
        "wrongshape.pt": "has shape",
        "missingkey.pt": "lack",
        "absent.pt": "no such file",
    }


def test_bad_files_give_one_sentence(tmp_path):
    for name, fragment in _bad_files(tmp_path).items():
        with pytest.raises(CheckpointError) as info:
            load_checkpoint(tmp_path / name)
        message = str(info.value)
        assert fragment in message, (name, message)
        assert str(tmp_path / name) in message
        assert "\n" not in message


class _Payload:
    """Pickles into a call of a function that leaves a trace on disk."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (importlib.import_module("pathlib").Path.touch, (importlib.import_module("pathlib").Path(self.marker),))


def test_pickle_that_runs_code_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    payload = {**_card_like_payload(), "evil": _Payload(str(marker))}
    path = tmp_path / "evil.pt"
    with open(path, "wb") as handle:
        torch.save(payload, handle)
    assert not marker.exists()
    with pytest.raises(UntrustedCheckpointError, match="--trust"):
        load_checkpoint(path)
    assert not marker.exists()
    # explicit trust runs it (which is why it must be explicit)
    load_checkpoint(path, trust=True)
    assert marker.exists()


def test_save_is_atomic_no_partial_file_on_failure(tmp_path, monkeypatch):
    ckpt = random_checkpoint(dim=32, depth=1)
    target = tmp_path / "m.pt"
    save_checkpoint(ckpt, target)
    before = target.read_bytes()

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", explode)
    with pytest.raises(OSError):
        save_checkpoint(ckpt, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]
