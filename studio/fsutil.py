"""Small filesystem helpers: atomic writes, content hashes, and the name a file gives its model.

Every file the studio writes goes through ``atomic_write``: the bytes land in a
temporary file in the target folder, are flushed to disk, and are renamed over the
target. A crash leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path, PurePath
from typing import IO, Callable, Iterator

# File stems that say nothing about the model: ``X/model.pt`` is named after ``X``.
GENERIC_STEMS = frozenset({"model", "checkpoint", "ckpt", "final"})


def default_name(path: PurePath) -> str:
    """The short name a file gives its model: the folder for ``X/model.pt``, else the stem."""
    if path.stem in GENERIC_STEMS and path.parent.name:
        return path.parent.name
    return path.stem


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb", encoding: str | None = None) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on clean exit rename it onto ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def atomic_write(path: str | os.PathLike, writer: Callable[[IO[bytes]], None]) -> None:
    """Call ``writer(binary_file)`` and move the result onto ``path`` atomically."""
    with atomic_open(path, "wb") as handle:
        writer(handle)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def sha256_file(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()
