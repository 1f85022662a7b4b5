"""A population (several models stacked, one batched forward) gives each model exactly
what it gets alone, and matches nGPT-pytorch."""

import pytest
import torch

from studio.errors import StudioError
from studio.model.engine import Engine, Population
from studio.model.synthetic import random_checkpoint


@pytest.mark.parametrize("variant", ["standard", "smith"])
def test_population_forward_is_each_models_own_forward(variant):
    ckpts = [
        random_checkpoint(vocab_size=40, dim=48, depth=2, heads=3, dim_head=16, variant=variant, seed=s,
                          scale_jitter=0.5)
        for s in range(3)
    ]
    models = [c.build_model() for c in ckpts]
    engines = [Engine(m) for m in models]
    ids = torch.randint(0, 40, (4, 33), generator=torch.Generator().manual_seed(0))
    together = Population(engines).forward(ids)
    assert together.shape == (3, 4, 33, 40)
    for i, (engine, model) in enumerate(zip(engines, models)):
        # the same operations per slice: bitwise the same numbers as the model alone
        assert torch.equal(together[i], engine.forward(ids))
        with torch.no_grad():
            assert (together[i] - model(ids)).abs().max().item() < 1e-4


def test_population_refuses_models_of_different_shapes():
    small = Engine(random_checkpoint(dim=32, depth=1, seed=0).build_model())
    deeper = Engine(random_checkpoint(dim=32, depth=2, seed=1).build_model())
    with pytest.raises(StudioError, match="share architecture"):
        Population([small, deeper])
    with pytest.raises(StudioError, match="at least one"):
        Population([])
