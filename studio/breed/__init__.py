"""Breeding: children of two parents by merging weights on the hypersphere.

    from studio.breed import BreedRecipe, breed
    child = breed(a, b, BreedRecipe(method="slerp", t=0.5))

No gradient step anywhere. See docs/design.md §3 and each method's module for the math.
The recipe and the method registry are light; the names that do tensor work load
their modules (and PyTorch) on first use (PEP 562), so the app can list the methods
without loading PyTorch.
"""

from __future__ import annotations

from studio.breed.methods import METHODS, MergeMethod
from studio.breed.recipe import BreedRecipe
from studio.lazy import lazy_attributes

_LAZY = {
    "AlignedPair": "pair",
    "breed": "pair",
    "check_compatible": "pair",
    "prepare_pair": "pair",
    "union_vocab": "pair",
    "ScanResult": "scan",
    "scan_path": "scan",
}

__getattr__ = lazy_attributes("studio.breed", _LAZY)

__all__ = ["METHODS", "BreedRecipe", "MergeMethod", *_LAZY]
