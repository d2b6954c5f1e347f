"""The tree's own scripts/checkpatch.pl, run on a patch (read on stdin, never executed).

A bare diff has no commit message or sign-off, so those checks are off; a mail
(`git format-patch` mbox, starting "From ") is checked whole, message and
sign-off included. The script runs with a timeout; its summary line gives the counts.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

from kgym.models import CheckpatchResult

SCRIPT = "scripts/checkpatch.pl"
IGNORED = "COMMIT_MESSAGE,GERRIT_CHANGE_ID,FILE_PATH_CHANGES,SPDX_LICENSE_TAG"
_TOTAL = re.compile(r"^total: (\d+) errors, (\d+) warnings, (?:(\d+) checks, )?\d+ lines checked")
_MESSAGE = re.compile(r"^(ERROR|WARNING|CHECK):")
MAX_MESSAGES = 50


async def checkpatch(tree: Path, patch: str, timeout_s: float = 120.0) -> CheckpatchResult:
    """Run `tree`/scripts/checkpatch.pl on `patch`; counts, or `failure` saying why not."""
    script = Path(tree) / SCRIPT
    if not script.is_file():
        return CheckpatchResult(ok=False, failure=f"{script}: no such script in the tree")
    mail = patch.startswith("From ")
    relaxed = [] if mail else ["--no-signoff", f"--ignore={IGNORED}"]
    cmd = ["perl", str(script), f"--root={tree}", *relaxed, "--show-types",
           "--color=never", "-"]  # fmt: skip
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=tree,
        env=env,
        start_new_session=True,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(patch.encode()), timeout_s)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return CheckpatchResult(ok=False, failure=f"checkpatch.pl ran over {timeout_s:g} s")
    return parse_output(out.decode(errors="replace"))


def parse_output(text: str) -> CheckpatchResult:
    """Counts and messages of checkpatch.pl's output."""
    messages = [line for line in text.splitlines() if _MESSAGE.match(line)]
    for line in text.splitlines():
        if m := _TOTAL.match(line):
            return CheckpatchResult(
                ok=True,
                errors=int(m[1]),
                warnings=int(m[2]),
                checks=int(m[3] or 0),
                messages=messages[:MAX_MESSAGES],
            )
    return CheckpatchResult(ok=False, failure=f"no summary from checkpatch.pl: {text[-500:]}")
