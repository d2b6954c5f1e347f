"""Test helper: which processes are still alive."""

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
