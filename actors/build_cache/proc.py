"""Running build commands: output to a log, the whole process group killed on cancel.

Commands that run what a patch or a source tree contains (make, its scripts) go
through a `kgym.sandbox.Sandbox`; trusted tools (cp, tar, git) run as they are.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from kgym import sandbox as sb


class CommandFailed(Exception):
    def __init__(self, cmd: Sequence[str | os.PathLike], code: int, output: str):
        super().__init__(f"{' '.join(map(str, cmd))} exited with {code}: {output[-2000:]}")
        self.code = code
        self.output = output


async def run(
    cmd: Sequence[str | os.PathLike],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    log: Path | None = None,
    check: bool = True,
    sandbox: sb.Sandbox | None = None,
) -> tuple[int, str]:
    """Run `cmd`; its output is appended to `log` (if given) and returned as text."""
    done = await sb.run(cmd, sandbox, cwd=cwd, env=env, log=log)
    if check and done.code:
        raise CommandFailed(cmd, done.code, done.output)
    return done.code, done.output
