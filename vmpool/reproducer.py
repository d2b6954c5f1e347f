"""Reproducers prepared on the host: C compiled static (cached by content), shell as is.

The compiler runs in the sandbox (kgym.sandbox) on a copy of the source in a fresh
directory, the only one it sees besides the system's, so `#include "/etc/shadow"`
or a path into KGYM_HOME or the bug's directory reads nothing of the host's.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kgym import sandbox as sb
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
    out_dir = Path(tempfile.mkdtemp(dir=cache_dir, prefix=".cc-"))
    try:
        staged = out_dir / "repro.c"  # a copy: the build user may not read the bug's directory
        staged.write_bytes(text)
        sb.give(out_dir)
        box = sb.Sandbox(writable=[out_dir], env=sb.safe_env({}))
        done = await sb.run([*CC, "-o", out_dir / "repro", "-x", "c", staged], box, cwd=out_dir)
        if done.code != 0:
            message = done.output.replace(str(staged), str(source))[-3000:]
            raise ReproducerError(f"{source}: does not compile:\n{message}")
        (out_dir / "repro").replace(binary)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    return binary


async def prepare(spec: ReproducerSpec, directory: str, cache_dir: Path) -> Prepared:
    """Read (and for C, compile) the reproducer `spec.file` found in `directory`."""
    source = Path(directory) / spec.file
    base = Path(directory).resolve()
    if base not in source.resolve().parents:
        raise ReproducerError(f"{source}: reproducer path leaves its directory {base}")
    if not source.is_file():
        raise ReproducerError(f"{source}: reproducer file not found")
    if source.stat().st_size == 0:
        raise ReproducerError(f"{source}: reproducer file is empty")
    if spec.repeats < 1 or spec.timeout_s <= 0:
        raise ReproducerError(f"{source}: repeats must be >= 1 and timeout_s > 0")
    path = await compile_c(source, cache_dir) if spec.type == "c" else source
    return Prepared(path.read_bytes(), _COMMANDS[spec.type])
