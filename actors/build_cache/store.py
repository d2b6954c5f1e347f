"""The artifact store: one directory per build key, a size cap, least-recently-used eviction.

    store/<key>/bzImage, vmlinux, .config, build.log, meta.json

An entry appears atomically (built in a temporary directory, then renamed);
reading an entry marks it used (the directory's mtime). The paths an entry hands out
are those of where it is read, not where it was written: the store may be reached
through another path (a linked KGYM_HOME, a moved cache).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import weakref
from collections.abc import Awaitable, Callable
from pathlib import Path

from kgym.models import KernelArtifacts

FILES = {"bzimage": "bzImage", "vmlinux": "vmlinux", "config": ".config", "build_log": "build.log"}


class ArtifactStore:
    def __init__(self, root: Path, max_bytes: int):
        self.root = root
        self.max_bytes = max_bytes
        root.mkdir(parents=True, exist_ok=True)

    def get(self, key: str) -> KernelArtifacts | None:
        """The entry of `key` (marked as just used), or None."""
        entry = self.root / key
        meta = entry / "meta.json"
        if not meta.is_file():
            return None
        os.utime(entry)
        written = KernelArtifacts.model_validate_json(meta.read_text())
        return self._artifacts(key, written.source_dir)

    def _artifacts(self, key: str, source_dir: str | None) -> KernelArtifacts:
        entry = self.root / key
        return KernelArtifacts(
            key=key,
            dir=str(entry),
            source_dir=source_dir,
            **{name: str(entry / FILES[name]) for name in FILES},
        )

    def put(
        self, key: str, files: dict[str, Path], source_dir: str | None = None
    ) -> KernelArtifacts:
        """Copy `files` (KernelArtifacts field -> path) in as the entry of `key`; then evict."""
        entry = self.root / key
        tmp = Path(tempfile.mkdtemp(dir=self.root, prefix=".tmp-"))
        art = self._artifacts(key, source_dir)
        try:
            for name, path in files.items():
                shutil.copy(path, tmp / FILES[name])
            (tmp / "meta.json").write_text(art.model_dump_json(indent=2))
        except BaseException:  # a full disk: no half entry is left behind
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        publish(tmp, entry)
        self.evict(keep={key})
        return art

    def entries(self) -> list[tuple[float, int, Path]]:
        """(last used, size in bytes, dir) of every entry, least recently used first."""
        out = []
        for entry in self.root.iterdir():
            if entry.name.startswith(".") or not (entry / "meta.json").is_file():
                continue
            size = sum(f.stat().st_size for f in entry.iterdir())
            out.append((entry.stat().st_mtime, size, entry))
        return sorted(out)

    def evict(self, keep: set[str] = frozenset()) -> list[str]:
        """Remove least recently used entries (never those in `keep`) until under the cap."""
        entries = self.entries()
        total = sum(size for _, size, _ in entries)
        removed = []
        for _, size, entry in entries:
            if total <= self.max_bytes:
                break
            if entry.name in keep:
                continue
            shutil.rmtree(entry, ignore_errors=True)
            total -= size
            removed.append(entry.name)
        return removed


def publish(tmp: Path, final: Path) -> None:
    """Rename the finished directory `tmp` to `final`; if another process won, drop ours."""
    try:
        tmp.rename(final)
    except OSError:
        if not final.exists():
            raise
        shutil.rmtree(tmp, ignore_errors=True)


class SingleFlight:
    """Concurrent calls with the same key share one run of the work (per event loop)."""

    def __init__(self) -> None:
        self._running: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    async def do(self, key: str, work: Callable[[], Awaitable]):
        running = self._running.setdefault(asyncio.get_running_loop(), {})
        task = running.get(key)
        if task is None:
            task = asyncio.ensure_future(work())
            running[key] = task
            task.add_done_callback(lambda _: running.pop(key, None))
        return await asyncio.shield(task)


class Locks:
    """asyncio locks by name; one set per event loop, since a lock belongs to one loop."""

    def __init__(self) -> None:
        self._locks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __call__(self, name: object) -> asyncio.Lock:
        table = self._locks.setdefault(asyncio.get_running_loop(), {})
        return table.setdefault(name, asyncio.Lock())
