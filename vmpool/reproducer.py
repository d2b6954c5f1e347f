"""Reproducers prepared on the host: C compiled static (cached by content), shell as is."""

from __future__ import annotations

import asyncio
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from kgym.models import ReproducerSpec

CC = ["gcc", "-static", "-O1", "-pthread"]


class ReproducerError(ValueError):
    """The reproducer cannot be used: missing file or it does not compile."""


@dataclass(frozen=True)
class Prepared:
    """What is copied into the guest, and the command that runs it there."""

    data: bytes
    command: str


GUEST_PATH = "/tmp/repro"
_COMMANDS = {"c": GUEST_PATH, "sh": f"/bin/sh {GUEST_PATH}"}


async def compile_c(source: Path, cache_dir: Path) -> Path:
    """The static binary of `source`, compiled once per content and compiler flags."""
    text = source.read_bytes()
    key = hashlib.sha256(" ".join(CC).encode() + b"\0" + text).hexdigest()[:16]
    binary = cache_dir / f"{key}.bin"
    if binary.is_file():
        return binary
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = binary.with_suffix(f".{os.getpid()}.tmp")
    proc = await asyncio.create_subprocess_exec(
        *CC, "-o", str(tmp), "-x", "c", str(source),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise ReproducerError(
            f"{source}: does not compile:\n{out.decode(errors='replace')[-3000:]}"
        )
    tmp.replace(binary)
    return binary


async def prepare(spec: ReproducerSpec, directory: str, cache_dir: Path) -> Prepared:
    """Read (and for C, compile) the reproducer `spec.file` found in `directory`."""
    source = Path(directory) / spec.file
    if not source.is_file():
        raise ReproducerError(f"{source}: reproducer file not found")
    if source.stat().st_size == 0:
        raise ReproducerError(f"{source}: reproducer file is empty")
    if spec.repeats < 1 or spec.timeout_s <= 0:
        raise ReproducerError(f"{source}: repeats must be >= 1 and timeout_s > 0")
    path = await compile_c(source, cache_dir) if spec.type == "c" else source
    return Prepared(path.read_bytes(), _COMMANDS[spec.type])
