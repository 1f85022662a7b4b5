"""Sampler: seeds reproduce, labels are checked, cancellation is prompt."""

import threading

import pytest
import torch

from studio.errors import Cancelled, StudioError
from studio.model.engine import Engine
from studio.model.sampler import SampleSettings, choose_tokens, filter_logits, sample_gallery
from studio.model.synthetic import random_checkpoint
from studio.model.vocab import CONDITIONAL, EOA, UNCONDITIONAL


@pytest.fixture(scope="module")
def artist():
    ckpt = random_checkpoint(dim=32, depth=1, seed=11, scale_jitter=0.3)
    return ckpt, Engine.from_checkpoint(ckpt)


def test_same_seed_same_gallery_and_different_seed_differs(artist):
    ckpt, engine = artist
    settings = SampleSettings(label="Cats", count=4, temperature=1.0, top_k=None, max_chars=50, seed=3)
    first = sample_gallery(engine, ckpt.vocab, CONDITIONAL, settings)
    again = sample_gallery(engine, ckpt.vocab, CONDITIONAL, settings)
    other = sample_gallery(engine, ckpt.vocab, CONDITIONAL, SampleSettings(**{**settings.to_dict(), "seed": 4}))
    assert [a.text for a in first] == [a.text for a in again]
    assert [a.text for a in first] != [a.text for a in other]
    assert [a.seed for a in first] == [3, 4, 5, 6]


def test_one_piece_rerolled_alone_reproduces_its_gallery_card(artist):
    ckpt, engine = artist
    settings = SampleSettings(label="Fish", count=5, temperature=0.9, top_k=30, max_chars=40, seed=10)
    gallery = sample_gallery(engine, ckpt.vocab, CONDITIONAL, settings)
    alone = sample_gallery(engine, ckpt.vocab, CONDITIONAL, settings, indices=[3])
    assert alone[0].index == 3 and alone[0].text == gallery[3].text


def test_streamed_chars_are_exactly_the_text(artist):
    ckpt, engine = artist
    streamed: dict[int, str] = {}
    arts = sample_gallery(
        engine,
        ckpt.vocab,
        UNCONDITIONAL,
        SampleSettings(count=3, temperature=1.0, max_chars=30),
        on_char=lambda i, c: streamed.__setitem__(i, streamed.get(i, "") + c),
    )
    for art in arts:
        assert streamed.get(art.index, "") == art.text
        assert EOA not in art.text
        assert art.complete == (len(art.text) < 30) or art.complete


def test_incomplete_when_max_chars_reached(artist):
    ckpt, engine = artist
    arts = sample_gallery(
        engine, ckpt.vocab, CONDITIONAL, SampleSettings(label="x", count=2, max_chars=3, temperature=1.0, top_k=None)
    )
    for art in arts:
        assert len(art.text) <= 3
        assert art.complete or len(art.text) == 3


def test_label_with_unknown_chars_names_them(artist):
    ckpt, engine = artist
    with pytest.raises(StudioError, match="'€'"):
        sample_gallery(engine, ckpt.vocab, CONDITIONAL, SampleSettings(label="Cats€", count=1))


def test_cancellation_stops_promptly(artist):
    ckpt, engine = artist
    cancel = threading.Event()
    seen = []

    def on_char(index, char):
        seen.append(char)
        if len(seen) >= 10:
            cancel.set()

    with pytest.raises(Cancelled):
        sample_gallery(
            engine,
            ckpt.vocab,
            CONDITIONAL,
            SampleSettings(label="a", count=4, max_chars=3000, temperature=2.0, top_k=None),
            on_char=on_char,
            cancel=cancel,
        )
    assert len(seen) < 10 + 4  # stopped within one step of the request


def test_top_k_and_top_p_filtering():
    logits = torch.tensor([[4.0, 3.0, 2.0, 1.0, 0.0]])
    assert torch.isinf(filter_logits(logits, 2, None)).tolist() == [[False, False, True, True, True]]
    probs = logits.softmax(-1)[0]
    # nucleus of 0.8 keeps the fewest top tokens whose mass reaches 0.8
    kept = (~torch.isinf(filter_logits(logits, None, 0.8))).sum().item()
    assert probs[: kept - 1].sum() < 0.8 <= probs[:kept].sum()
    settings = SampleSettings(temperature=1.0, top_k=None)
    # inverse-CDF: u just above the first token's mass picks the second token
    u = torch.tensor([probs[0].item() + 1e-4], dtype=torch.float64)
    assert choose_tokens(logits, settings, u).item() == 1


def test_spaces_keep_the_models_odds_and_temperature_top_k_top_p_share_the_rest_among_the_marks():
    """Token 0 is the space. Untempered it has 0.5; at T 0.5 it keeps 0.5, and the marks
    share 0.5 in the tempered odds among themselves (known answer by hand)."""
    from studio.model.sampler import token_probabilities

    p = torch.tensor([[0.5, 0.3, 0.15, 0.05]])
    logits = p.log()
    settings = SampleSettings(temperature=0.5, top_k=None)
    kept = token_probabilities(logits, settings, space=0)[0]
    marks = p[0, 1:] ** 2 / (p[0, 1:] ** 2).sum()  # T 0.5 squares the odds
    assert torch.allclose(kept, torch.cat([torch.tensor([0.5]), 0.5 * marks]), atol=1e-6)
    # Tempered like every char (the card's sampler), the space takes 0.25 / 0.3450 = 0.72.
    tempered = token_probabilities(logits, SampleSettings(temperature=0.5, top_k=None, temper_spaces=True), 0)[0]
    assert torch.allclose(tempered, p[0] ** 2 / (p[0] ** 2).sum(), atol=1e-6)
    assert torch.allclose(token_probabilities(logits, settings, space=None)[0], tempered, atol=1e-6)
    # Top-k and top-p choose among the marks; the space keeps 0.5 whatever they cut.
    top1 = token_probabilities(logits, SampleSettings(temperature=0.5, top_k=2), space=0)[0]
    assert torch.allclose(top1, torch.tensor([0.5, 0.5 * 0.8, 0.5 * 0.2, 0.0]), atol=1e-6)  # .09 : .0225
    # A nucleus of 0.6 of the marks' tempered odds (.7826, .1957, .0217) keeps one mark:
    # without the rule the space alone would make the nucleus, and no mark would be drawn.
    nucleus = token_probabilities(logits, SampleSettings(temperature=0.5, top_k=None, top_p=0.6), space=0)[0]
    assert torch.allclose(nucleus, torch.tensor([0.5, 0.5, 0.0, 0.0]), atol=1e-6)
    card = token_probabilities(logits, SampleSettings(temperature=0.5, top_k=None, top_p=0.6, temper_spaces=True), 0)
    assert card[0].tolist() == [1.0, 0.0, 0.0, 0.0]
    # The space is drawn at its odds even where it is not among the k likeliest chars.
    low = token_probabilities(logits[:, [2, 0, 1, 3]], SampleSettings(temperature=1.0, top_k=2), space=0)[0]
    assert torch.allclose(low, torch.tensor([0.15, 0.85 * 0.5 / 0.8, 0.85 * 0.3 / 0.8, 0.0]), atol=1e-6)
    # A row where only the space is possible (a masked row) draws the space.
    only = torch.tensor([[0.0, float("-inf"), float("-inf"), float("-inf")]])
    assert token_probabilities(only, settings, space=0)[0].tolist() == [1.0, 0.0, 0.0, 0.0]


def test_a_stored_gallery_without_temper_spaces_was_drawn_with_tempered_spaces():
    old = SampleSettings.from_record({"temperature": 0.6, "top_k": 20, "seed": 3, "unknown": 1})
    assert old.temper_spaces and old.seed == 3
    assert not SampleSettings.from_record(SampleSettings(seed=3).to_dict()).temper_spaces


@pytest.mark.parametrize(
    "bad", [dict(count=0), dict(temperature=-1), dict(top_k=0), dict(top_p=1.5), dict(max_chars=0)]
)
def test_bad_settings_are_user_errors(bad):
    with pytest.raises(StudioError):
        SampleSettings(**bad).validate()


def test_a_line_ends_at_the_widest_line_the_artist_was_trained_on():
    from studio.model.facts import DEFAULT_LINE_LIMIT, inherited_training, line_limit

    ckpt = random_checkpoint(dim=32, depth=1, seed=12, scale_jitter=0.3)
    settings = SampleSettings(label="Cats", count=6, temperature=1.0, top_k=None, max_chars=300, seed=1)
    free = Engine.from_checkpoint(ckpt)
    free.line_limit = None
    lines = [line for art in sample_gallery(free, ckpt.vocab, CONDITIONAL, settings) for line in art.text.split("\n")]
    assert max(map(len, lines)) > 7  # a random model rarely draws a newline
    ckpt.extra = {"recipe": {"widest_line": 7}}
    assert line_limit(ckpt) == 7
    engine = Engine.from_checkpoint(ckpt)
    arts = sample_gallery(engine, ckpt.vocab, CONDITIONAL, settings)
    lines = [line for art in arts for line in art.text.split("\n")]
    assert max(map(len, lines)) == 7 and sum(len(line) == 7 for line in lines) > 10
    # what it draws within a line is the free gallery's until a line first reaches the limit
    assert all(a.text[:7] == f.text[:7] for a, f in zip(arts, sample_gallery(free, ckpt.vocab, CONDITIONAL, settings)))
    # children inherit the widest of their parents' lines; no record: the gallery's width; text: no limit
    other = random_checkpoint(dim=32, depth=1, seed=13)
    other.extra = {"recipe": {"widest_line": 40}}
    assert inherited_training([ckpt, other])["widest_line"] == 40
    bare = random_checkpoint(dim=32, depth=1, seed=14)
    assert line_limit(bare) == DEFAULT_LINE_LIMIT and "widest_line" not in inherited_training([ckpt, bare])
    bare.framing = "text"
    assert line_limit(bare) is None
