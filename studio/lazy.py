"""Package attributes that load their module on first use (PEP 562).

``studio.model`` and ``studio.breed`` export names whose modules import PyTorch; with
these, importing the package (or its torch-free modules) stays cheap, so the app's GUI
thread never loads PyTorch.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping


def lazy_attributes(package: str, modules: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that finds ``name`` in ``package.<modules[name]>``."""

    def __getattr__(name: str) -> Any:
        if name in modules:
            return getattr(importlib.import_module(f"{package}.{modules[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
