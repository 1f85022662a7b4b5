"""Builders of bad files for the adversarial tests, and a bounded way to run the CLI.

Nothing hostile is committed: every file is made in the test's tmp_path. The CLI runs
in a child with an address-space limit (``RLIMIT_AS``) and a generous timeout, so a
regression costs a failed test, not the machine's memory.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
MEMORY_LIMIT = 3 << 30  # 3 GiB of address space for the child
TIMEOUT_S = 60


@dataclass
class Run:
    code: int
    out: str
    err: str
    seconds: float
    peak_rss_mb: float

    @property
    def one_sentence(self) -> bool:
        lines = self.err.strip().splitlines()
        return len(lines) == 1 and lines[0].startswith("darwascii: ") and "Traceback" not in self.err


def _limit_memory(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def run_cli(
    *argv,
    cwd: Path | None = None,
    env: dict | None = None,
    memory: int = MEMORY_LIMIT,
    timeout: float = TIMEOUT_S,
    repo: Path = REPO,
    stdin=subprocess.DEVNULL,
) -> Run:
    """``python -m studio.cli ARGV`` in a memory-limited child; exit code, output, time and peak RSS."""
    child_env = {**os.environ, "PYTHONPATH": str(repo), "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    child_env.pop("DARWASCII_DEBUG", None)
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "studio.cli", *[str(a) for a in argv]],
            cwd=str(cwd or repo),
            env=child_env,
            stdin=stdin,
            stdout=out_file,
            stderr=err_file,
            preexec_fn=_limit_memory(memory),
        )
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak RSS
        finally:
            timer.cancel()
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out_file.seek(0)
        err_file.seek(0)
        out = out_file.read().decode("utf-8", "replace")
        err = err_file.read().decode("utf-8", "replace")
    if code == -9 and seconds >= timeout:
        err += "\n[timed out]"
    return Run(code, out, err, seconds, usage.ru_maxrss / 1024)


# ---------------------------------------------------------------------------
# checkpoints


def tiny(seed: int = 1, **kwargs):
    from studio.model.synthetic import random_checkpoint

    kwargs.setdefault("dim", 32)
    kwargs.setdefault("depth", 1)
    ckpt = random_checkpoint(seed=seed, **kwargs)
    ckpt.labels = ["Cats", "Fish"]
    return ckpt


def save_tiny(path: Path, seed: int = 1, **kwargs) -> Path:
    from studio.model.checkpoint import save_checkpoint

    return save_checkpoint(tiny(seed, **kwargs), path)


def save_payload(path: Path, edit=None, seed: int = 1) -> Path:
    """A tiny checkpoint's payload, changed by ``edit(payload)``, written with torch.save."""
    payload = tiny(seed).to_payload()
    if edit is not None:
        payload = edit(payload) or payload
    torch.save(payload, path)
    return path


def with_config(**changes):
    def edit(payload):
        payload["config"] = {**payload["config"], **changes}

    return edit


def torch_zip(path: Path, pickle_bytes: bytes, extra=()) -> Path:
    """A file laid out as torch.save's zip, with our own ``data.pkl`` (and extra entries)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", pickle_bytes)
        archive.writestr("archive/byteorder", "little")
        archive.writestr("archive/version", "3\n")
        for name, data, compress_type in extra:
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=compress_type)
    return path


def zip_bomb(path: Path, unpacked_mb: int = 300) -> Path:
    """A small torch zip whose one storage entry is ``unpacked_mb`` MB of deflated zeros.

    The pickle refers to that storage, so a loader that trusts the entry's size
    allocates all of it.
    """
    import io
    import zlib

    buffer = io.BytesIO()
    torch.save({"config": {}, "model": {"w": torch.zeros(4)}}, buffer)
    buffer.seek(0)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        entries = [(i.filename, source.read(i.filename)) for i in source.infolist()]
        storage = next(name for name, _ in entries if name.endswith("/data/0"))
        for name, data in entries:
            if name != storage:
                archive.writestr(name, data)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\0" * (1 << 20)
    deflated = b"".join(compressor.compress(chunk) for _ in range(unpacked_mb)) + compressor.flush()
    _append_raw_deflated(path, storage, deflated, unpacked_mb << 20)
    return path


def _append_raw_deflated(path: Path, name: str, deflated: bytes, size: int) -> None:
    """Add an already-deflated entry to a zip (zipfile can only compress what it is given)."""
    import binascii

    crc = 0
    block = b"\0" * (1 << 20)
    for _ in range(size >> 20):
        crc = binascii.crc32(block, crc)
    with zipfile.ZipFile(path, "a") as archive:
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.file_size = size
        info.compress_size = len(deflated)
        info.CRC = crc
        archive.fp.seek(archive.start_dir)
        header_offset = archive.fp.tell()
        info.header_offset = header_offset
        archive.fp.write(info.FileHeader(zip64=size > zipfile.ZIP64_LIMIT))
        archive.fp.write(deflated)
        archive.start_dir = archive.fp.tell()
        archive.filelist.append(info)
        archive.NameToInfo[name] = info
        archive._didModify = True


def deep_labels_checkpoint(path: Path, depth: int = 200_000) -> Path:
    """A valid tiny checkpoint whose one label is a list nested ``depth`` deep.

    torch.save cannot pickle that (recursion), so a placeholder label is swapped for
    the nested list's opcodes in ``data.pkl`` (lists built iteratively: ``]`` ... ``a``).
    """
    import io

    payload = tiny().to_payload()
    payload["labels"] = ["DEEPDEEP"]
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    buffer.seek(0)
    placeholder = b"X\x08\x00\x00\x00DEEPDEEP"
    nested = b"]" * depth + b"a" * (depth - 1)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.endswith("data.pkl"):
                assert data.count(placeholder) == 1
                data = data.replace(placeholder, nested)
            archive.writestr(info.filename, data)
    return path


def run_main(capsys, *argv):
    """The CLI in-process: (exit code, stdout, stderr)."""
    from studio.cli import main

    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_sentence(err: str) -> bool:
    """stderr is one line, the CLI's "darwascii: ..." sentence, and no traceback."""
    lines = err.strip().splitlines()
    return len(lines) == 1 and lines[0].startswith("darwascii: ") and "Traceback" not in err


# ---------------------------------------------------------------------------
# issue 22: trust, amplification, geometry


def evil_checkpoint(path: Path, marker: Path) -> Path:
    """A torch zip whose pickle runs ``touch MARKER`` when fully unpickled (and only then)."""
    command = f"touch {marker}".encode()
    pickle_bytes = (
        b"\x80\x02}(X\x06\x00\x00\x00configcposix\nsystem\nX"
        + len(command).to_bytes(4, "little")
        + command
        + b"\x85RX\x05\x00\x00\x00model}u."
    )
    return torch_zip(path, pickle_bytes)


class Opaque:
    """A class the safe loader does not know: a checkpoint holding one needs full unpickling."""

    def __init__(self, value=1):
        self.value = value


def needs_trust_checkpoint(path: Path, seed: int = 1) -> Path:
    """A valid tiny checkpoint with an extra entry only full unpickling can read."""
    import argparse

    def edit(payload):
        payload["notes"] = argparse.Namespace(value=1)

    return save_payload(path, edit, seed=seed)


class Reduce:
    """Pickles as ``func(*args)``: a way to write the calls a hostile file makes."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def numpy_metric_checkpoint(path: Path, value) -> Path:
    """A tiny checkpoint whose metrics hold ``value`` (e.g. a hostile numpy scalar)."""

    def edit(payload):
        payload["metrics"] = {"loss": value}

    return save_payload(path, edit)


def numpy_scalar(dtype_name: str, data: bytes):
    """What a pickle of ``numpy.core.multiarray.scalar(numpy.dtype(NAME), DATA)`` calls."""
    import numpy as np

    try:
        from numpy._core.multiarray import scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import scalar
    return Reduce(scalar, Reduce(np.dtype, dtype_name, False, True), data)


def rewrite_pickle(path: Path, old: bytes, new: bytes) -> Path:
    """Replace ``old`` by ``new`` in a torch zip's ``data.pkl`` (e.g. a global's module name)."""
    import io

    buffer = io.BytesIO(path.read_bytes())
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.endswith("data.pkl"):
                assert old in data, old
                data = data.replace(old, new)
            archive.writestr(info.filename, data)
    return path


def legacy_numpy_metric_checkpoint(path: Path, value) -> Path:
    """As numpy_metric_checkpoint, with the global named as numpy < 2 names it (what old files hold)."""
    numpy_metric_checkpoint(path, value)
    return rewrite_pickle(path, b"numpy._core.multiarray\nscalar", b"numpy.core.multiarray\nscalar")


def amplifying_numpy_pickle(path: Path, width: int = 100, levels: int = 4, cls: bytes = b"numpy\nfloat64") -> Path:
    """A ~700-byte torch zip whose metrics call ``numpy.float64(T)`` on a tuple nested
    ``levels`` deep, each level ``width`` references to the one below (pickle's memo):
    numpy turns it into an array of width**levels floats (800 MB for 100**4)."""
    # each level: MARK, the level below built in place (and memoised), width-1 BINGETs of it, TUPLE, BINPUT
    ops = b"(" + b"K\x00" * width + b"tq\x00"
    for level in range(1, levels):
        ops = b"(" + ops + bytes([0x68, level - 1]) * (width - 1) + b"t" + bytes([0x71, level])
    pickle_bytes = (
        b"\x80\x02}(X\x06\x00\x00\x00config}X\x05\x00\x00\x00model}X\x07\x00\x00\x00metrics}X\x04\x00\x00\x00loss"
        + b"c"
        + cls
        + b"\n"
        + ops
        + b"\x85Rsu."
    )
    return torch_zip(path, pickle_bytes)


def first_weight(payload) -> str:
    return next(k for k in payload["model"] if k.endswith("weight.original"))


def broadcast_weight(payload, rows: int = 100_000, cols: int = 100_000):
    """One weight replaced by a stride-0 view: rows x cols values on a one-element storage."""
    payload["model"][first_weight(payload)] = torch.zeros(1).expand(rows, cols)


def float8_weights(payload):
    payload["model"] = {
        k: v.to(torch.float8_e4m3fn) if v.is_floating_point() else v for k, v in payload["model"].items()
    }


def long_vocab_entry(payload, length: int = 100_000):
    itos = dict(payload["itos"])
    itos[5] = "x" * length
    payload["itos"] = itos
    payload.pop("stoi", None)


def none_named_parent(payload):
    payload["lineage"] = {"parents": [{"name": None, "sha256": None, "path": None}], "method": "slerp"}


def parquet_bomb(path: Path, rows: int = 1000, chars: int = 1_600_000) -> Path:
    """A parquet corpus of ``rows`` rows that all hold one ``chars``-long string: dictionary
    encoded and zstd-compressed, about a kilobyte on disk for 1,000 x 1.6 MB."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    # built as a dictionary directly: the test process itself never holds the decoded rows
    # (a forked child's peak RSS starts from its parent's)
    content = pa.DictionaryArray.from_arrays(pa.array([0] * rows, pa.int32()), pa.array(["x" * chars]))
    table = pa.table({"content": content, "labels": [["Cats"]] * rows})
    pq.write_table(table, path, compression="zstd", compression_level=22, use_dictionary=True)
    return path
