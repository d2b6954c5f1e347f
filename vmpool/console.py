"""A VM's serial console: captured from QEMU's stdout into memory and a file."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path


class Console:
    """Everything the guest printed so far, mirrored to `path` as it arrives."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data = bytearray()
        self.eof = False
        self.last_output = time.monotonic()

    async def pump(self, stream: asyncio.StreamReader) -> None:
        """Copy `stream` into the console (and its file) until EOF."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self.path.open("wb") as f:
                while chunk := await stream.read(65536):
                    self.data += chunk
                    self.last_output = time.monotonic()
                    f.write(chunk)
                    f.flush()
        finally:
            self.eof = True

    def since(self, offset: int) -> bytes:
        return bytes(self.data[offset:])

    def silent_for(self) -> float:
        """Seconds since the guest last printed anything."""
        return time.monotonic() - self.last_output

    def tail(self, n: int = 2000) -> str:
        return self.data[-n:].decode("utf-8", "replace")

    def save(self, path: Path, note: bytes = b"") -> Path:
        """Write everything so far (plus `note`, e.g. a kmemleak report) to `path`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bytes(self.data) + note)
        return path
