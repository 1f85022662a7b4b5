"""darwASCIInGPT Studio: breed, sample and train small char-level nGPT ASCII artists."""

__version__ = "0.1.0"
