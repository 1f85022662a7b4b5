"""Breeding: children of two parents by merging weights on the hypersphere.

    from studio.breed import BreedRecipe, breed
    child = breed(a, b, BreedRecipe(method="slerp", t=0.5))

No gradient step anywhere. See DESIGN.md §4 and each method's module for the math.
"""

from studio.breed.methods import METHODS, MergeMethod
from studio.breed.pair import AlignedPair, breed, check_compatible, prepare_pair, union_vocab
from studio.breed.recipe import BreedRecipe
from studio.breed.scan import ScanResult, scan_path

__all__ = [
    "METHODS",
    "AlignedPair",
    "BreedRecipe",
    "MergeMethod",
    "ScanResult",
    "breed",
    "check_compatible",
    "prepare_pair",
    "scan_path",
    "union_vocab",
]
