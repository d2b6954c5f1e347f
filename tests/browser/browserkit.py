"""Helpers of the browser tests: `kgym serve` in a subprocess, screenshots kept."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

TOKEN_LINE = re.compile(r"token \(in .*\): (\S+)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    """`kgym serve` in a subprocess: its URL, token and log."""

    def __init__(self, home: Path, env: dict[str, str], log: Path):
        self.home, self.env, self.log_path = home, env, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = ""
        self.proc: subprocess.Popen | None = None

    async def start(self) -> Service:
        self.log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kgym.front.cli", "serve", "--port", str(self.port)],
            env={**os.environ, "KGYM_HOME": str(self.home), **self.env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        for _ in range(600):
            text = self.log_path.read_text()
            if (m := TOKEN_LINE.search(text)) and _listening(self.port):
                self.token = m.group(1)
                return self
            if self.proc.poll() is not None:
                raise AssertionError(f"kgym serve exited: {text}")
            await asyncio.sleep(0.1)
        raise AssertionError(f"kgym serve did not start: {self.log_path.read_text()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # it cancels its jobs on the way out
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def copy_out(path: Path) -> None:
    """Also keep a screenshot under $KGYM_SCREENSHOTS (when set), for people to look at."""
    where = os.environ.get("KGYM_SCREENSHOTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(where) / path.name)
