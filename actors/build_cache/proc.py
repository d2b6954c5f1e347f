"""Running build commands: output to a log, the whole process group killed on cancel."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Sequence
from pathlib import Path


class CommandFailed(Exception):
    def __init__(self, cmd: Sequence[str], code: int, output: str):
        super().__init__(f"{' '.join(map(str, cmd))} exited with {code}: {output[-2000:]}")
        self.code = code
        self.output = output


async def run(
    cmd: Sequence[str | os.PathLike],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    log: Path | None = None,
    check: bool = True,
) -> tuple[int, str]:
    """Run `cmd`; its output is appended to `log` (if given) and returned as text."""
    proc = await asyncio.create_subprocess_exec(
        *map(str, cmd),
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        out, _ = await proc.communicate()
    except asyncio.CancelledError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
        raise
    text = out.decode(errors="replace")
    if log is not None:
        with log.open("a") as f:
            f.write(text)
    if check and proc.returncode:
        raise CommandFailed(cmd, proc.returncode, text)
    return proc.returncode, text
