"""Small filesystem helpers: atomic writes, input checks, content hashes, and the name a file gives its model.

Every file the studio writes goes through ``atomic_write``: the bytes land in a
temporary file in the target folder, are flushed to disk, and are renamed over the
target. A crash leaves either the old file or the new one, never half of one. The
file gets the mode a plain ``open()`` would give it (the umask's), or keeps the mode
of the file it replaces; a failed write is one sentence (``WriteError``).

Every file the studio reads on a person's say-so goes through ``check_input_file``
first: it must be a regular file (not a FIFO, a device, a folder) no larger than
``max_file_bytes()`` (``DARWASCII_MAX_FILE_MB``, default 2048 MB). Text (corpora,
texts to score) is read by ``read_text_input`` / ``text_lines``: at most
``max_text_bytes()`` (``DARWASCII_MAX_TEXT_MB``, default 128 MB), in chunks, and a
NUL byte ends the read (text has none; a sparse or binary file is all of them), so
neither a huge sparse file nor one endless line is ever read whole.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import tempfile
from pathlib import Path, PurePath
from typing import IO, Callable, Iterator

from studio.errors import StudioError

DEFAULT_MAX_FILE_MB = 2048
# Text held in memory as Python strings (up to 4 bytes a char): 128 MB of text is
# more than any corpus of ASCII art, and leaves a desktop room to work with it.
DEFAULT_MAX_TEXT_MB = 128
_TEXT_CHUNK = 1 << 20


class WriteError(StudioError, OSError):
    """A file that could not be written (read-only folder, disk full, a folder in the way)."""


class InputFileError(StudioError):
    """An input that is not a readable regular file of a sane size."""


def _megabytes(variable: str, default: float) -> int:
    raw = os.environ.get(variable, "").strip()
    try:
        mb = float(raw) if raw else default
    except ValueError:
        mb = default
    if not mb > 0 or mb != mb or mb == float("inf"):
        mb = default
    return int(mb * (1 << 20))


def max_file_bytes() -> int:
    """The largest input file the studio reads: ``DARWASCII_MAX_FILE_MB`` megabytes (default 2048)."""
    return _megabytes("DARWASCII_MAX_FILE_MB", DEFAULT_MAX_FILE_MB)


def max_text_bytes() -> int:
    """The most text the studio reads from one file: ``DARWASCII_MAX_TEXT_MB`` megabytes (default 128)."""
    return min(_megabytes("DARWASCII_MAX_TEXT_MB", DEFAULT_MAX_TEXT_MB), max_file_bytes())


def check_text_file(path: str | os.PathLike, what: str = "text file") -> os.stat_result:
    """``check_input_file``, and no larger than ``max_text_bytes()`` (from ``stat``: nothing is read)."""
    info = check_input_file(path, what)
    cap = max_text_bytes()
    if info.st_size > cap:
        raise InputFileError(
            f"{path}: is {info.st_size / (1 << 20):,.0f} MB, over the {cap / (1 << 20):,.0f} MB of text "
            "the studio reads from one file (set DARWASCII_MAX_TEXT_MB to raise it)"
        )
    return info


def _not_text(path) -> InputFileError:
    return InputFileError(f"{path}: holds NUL bytes, so it is not text (a binary or sparse file?)")


def read_text_input(path: str | os.PathLike, what: str = "text file") -> str:
    """A UTF-8 text file, read in chunks within ``max_text_bytes()``; one sentence if it is not text."""
    import codecs

    check_text_file(path, what)
    decoder = codecs.getincrementaldecoder("utf-8")()
    parts: list[str] = []
    total = 0
    cap = max_text_bytes()
    with open_input(path, "rb", what) as handle:
        while chunk := handle.read(_TEXT_CHUNK):
            if b"\0" in chunk:
                raise _not_text(path)
            total += len(chunk)
            if total > cap:  # it grew since it was checked
                raise InputFileError(f"{path}: grew past {cap / (1 << 20):,.0f} MB while it was read")
            try:
                parts.append(decoder.decode(chunk))
            except UnicodeDecodeError:
                raise InputFileError(f"{path}: is not UTF-8 text") from None
        try:
            parts.append(decoder.decode(b"", final=True))
        except UnicodeDecodeError:
            raise InputFileError(f"{path}: is not UTF-8 text") from None
    return "".join(parts)


def text_lines(
    path: str | os.PathLike, max_line_chars: int, what: str = "text file"
) -> Iterator[tuple[int, str | None]]:
    """``(number, line)`` for each line of a UTF-8 text file, read in chunks within
    ``max_text_bytes()``; a line longer than ``max_line_chars`` is ``(number, None)``
    and is skipped over without being kept. A NUL byte or bad UTF-8 is InputFileError."""
    import codecs

    check_text_file(path, what)
    decoder = codecs.getincrementaldecoder("utf-8")()
    cap = max_text_bytes()
    total = 0
    number = 1
    pending: list[str] = []
    pending_chars = 0
    too_long = False
    with open_input(path, "rb", what) as handle:
        while True:
            chunk = handle.read(_TEXT_CHUNK)
            if b"\0" in chunk:
                raise _not_text(path)
            total += len(chunk)
            if total > cap:
                raise InputFileError(f"{path}: grew past {cap / (1 << 20):,.0f} MB while it was read")
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                raise InputFileError(f"{path}: is not UTF-8 text (line {number})") from None
            pieces = text.split("\n")
            for end, piece in enumerate(pieces):
                last = end == len(pieces) - 1
                if not too_long:
                    pending.append(piece)
                    pending_chars += len(piece)
                    if pending_chars > max_line_chars:
                        too_long, pending, pending_chars = True, [], 0
                if last:
                    break
                yield number, (None if too_long else "".join(pending))
                number, pending, pending_chars, too_long = number + 1, [], 0, False
            if not chunk:
                if too_long or pending_chars:
                    yield number, (None if too_long else "".join(pending))
                return


def check_input_file(path: str | os.PathLike, what: str = "file") -> os.stat_result:
    """``stat()`` an input before opening it: a regular file within the size cap, or one sentence."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputFileError(f"{path}: is a symbolic link that loops") from None
        raise InputFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputFileError(f"{path}: is a folder, not a {what}")
    if not stat.S_ISREG(info.st_mode):
        raise InputFileError(f"{path}: is not a regular file (a pipe, device or socket), so it is not read")
    cap = max_file_bytes()
    if info.st_size > cap:
        raise InputFileError(
            f"{path}: is {info.st_size / (1 << 20):,.0f} MB, over the {cap / (1 << 20):,.0f} MB limit "
            "(set DARWASCII_MAX_FILE_MB to raise it)"
        )
    return info


def open_input(path: str | os.PathLike, mode: str = "rb", what: str = "file", **kwargs) -> IO:
    """Open a checked input; the file opened is checked again (no swap to a FIFO in between)."""
    check_input_file(path, what)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_file_bytes():
            raise InputFileError(f"{path}: changed while it was being opened")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # no way to read it without setting it elsewhere
    os.umask(mask)
    return mask


def _mode_for(target: Path) -> int:
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _write_error(target: Path, exc: OSError) -> WriteError:
    if target.is_dir():
        return WriteError(f"{target}: is a folder, so the output cannot be written there")
    reason = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is exhausted",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
    }.get(exc.errno, exc.strerror or str(exc))
    return WriteError(f"{target}: cannot be written ({reason}); nothing was changed there")


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
    if target.is_dir():
        raise WriteError(f"{target}: is a folder, so the output cannot be written there")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _write_error(target, exc) from None
    try:
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), _mode_for(target))
        os.replace(tmp_name, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        if isinstance(exc, OSError) and not isinstance(exc, StudioError):
            raise _write_error(target, exc) from None
        if isinstance(exc, RuntimeError) and "write failed" in str(exc):  # torch's zip writer on a full disk
            raise WriteError(
                f"{target}: cannot be written (the disk is full or failing); nothing was changed there"
            ) from None
        raise


def atomic_write(path: str | os.PathLike, writer: Callable[[IO[bytes]], None]) -> None:
    """Call ``writer(binary_file)`` and move the result onto ``path`` atomically.

    The writer writes into memory first and the bytes go to disk in one place: a
    serializer that meets a full disk halfway (torch's zip writer swallows the error
    and fails later with "unexpected pos") cannot turn it into anything but WriteError.
    """
    import io

    buffer = io.BytesIO()
    writer(buffer)
    with atomic_open(path, "wb") as handle:
        handle.write(buffer.getbuffer())


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def stale_temp_files(target: str | os.PathLike) -> list[Path]:
    """Hidden temp files ``atomic_open`` left beside ``target`` (and its ``.state``) after a kill."""
    target = Path(target)
    try:
        pattern = f".{glob_escape(target.name)}.*.tmp"
        return [p for p in target.parent.glob(pattern) if p.is_file() and not p.is_symlink()]
    except OSError:
        return []


def remove_stale_temp_files(target: str | os.PathLike) -> int:
    """Remove what ``stale_temp_files`` finds; returns how many went."""
    removed = 0
    for path in stale_temp_files(target):
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
    return removed


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in name)


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths name the same existing file."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def sha256_file(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()
