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


def run_cli(*argv, cwd: Path | None = None, env: dict | None = None, memory: int = MEMORY_LIMIT,
            timeout: float = TIMEOUT_S, repo: Path = REPO, stdin=subprocess.DEVNULL) -> Run:
    """``python -m studio.cli ARGV`` in a memory-limited child; exit code, output, time and peak RSS."""
    child_env = {**os.environ, "PYTHONPATH": str(repo), "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    child_env.pop("DARWASCII_DEBUG", None)
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "studio.cli", *[str(a) for a in argv]],
            cwd=str(cwd or repo), env=child_env, stdin=stdin, stdout=out_file, stderr=err_file,
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
