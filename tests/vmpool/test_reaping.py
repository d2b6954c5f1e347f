"""No QEMU outlives the process that started it: Ctrl-C, SIGTERM, even SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

pytestmark = [pytest.mark.vm, pytest.mark.timeout(300)]

# Boots a VM in a child interpreter, which logs the QEMU pid as JSON on stderr.
SCRIPT = """
import asyncio, sys
from pathlib import Path
from actors.crash_parser import contains_crash
from kgym.settings import settings
from vmpool import Pool

async def main():
    pool = Pool(settings(), contains_crash)
    async with pool.lease(sys.argv[1]):
        await asyncio.sleep(3600)

asyncio.run(main())
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=lambda s: s.name
)
def test_qemu_dies_with_its_parent(test_kernel, sig) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(test_kernel)],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        qemu = None
        for line in child.stderr:
            if '"vm.start"' in line:
                qemu = json.loads(line)["pid"]
                break
        assert qemu is not None and _alive(qemu)
        child.send_signal(sig)
        child.wait(60)
        deadline = time.monotonic() + 10
        while _alive(qemu) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(qemu), f"QEMU {qemu} outlived its parent after {sig.name}"
    finally:
        child.kill()
        child.wait()
