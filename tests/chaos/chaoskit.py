"""Helpers of the chaos suite: which processes are still alive."""

from __future__ import annotations

import os


def live_processes(text: str) -> list[str]:
    """Live (not zombie) processes whose command line contains `text`, other than us."""
    found = []
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) == os.getpid():
            continue
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{p}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in cmd and state != "Z":
            found.append(f"{p}: {cmd[:200]}")
    return found


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
