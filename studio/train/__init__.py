"""Corpora, training, evaluation and the Darwin experiment."""
