"""Corpora (built-in and imported), training, evaluation and held-out data; the bundled family."""
