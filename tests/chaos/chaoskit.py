"""Helpers of the chaos suite: which processes are still alive."""

from __future__ import annotations

import os

from procs import live_processes

__all__ = ["live_processes", "our_qemus"]


def our_qemus() -> list[str]:
    """QEMU processes of this test session (tagged by tests/conftest.py), still alive."""
    tag = f"KGYM_TEST_SESSION={os.environ.get('KGYM_TEST_SESSION', '')}".encode()
    found = []
    for line in live_processes("qemu-system"):
        pid = line.split(":", 1)[0]
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if tag in f.read().split(b"\0"):
                    found.append(line)
        except OSError:
            continue
    return found
