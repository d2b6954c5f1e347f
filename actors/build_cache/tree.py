"""A warm build tree of one (source, config, toolchain): patch, build, restore.

    trees/<key>/src/             the pristine tree, hard-linked (files are replaced, never written)
    trees/<key>/build/           the O= build directory
    trees/<key>/fragment.config  the requested options, as merged
    trees/<key>/config.ok        the checked .config (present once configuring succeeded)
    trees/<key>/built            present once a full build succeeded
    trees/<key>/dirty.json       the files a patch touched, until they are restored
    trees/<key>/lock             flock: one user of the tree at a time, across processes

Patched builds reuse the tree: apply the patch to src, build, then put the
touched files back from the pristine tree with a fresh mtime, so the next
build recompiles exactly them. `dirty.json` is written before the patch, so a
crash mid-build is repaired by the next user.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from actors.build_cache import kconfig, patch
from actors.build_cache.proc import run
from actors.build_cache.sources import Source

ARCH = "x86_64"
BZIMAGE = "arch/x86/boot/bzImage"
MTIME_TICK_S = 0.02


class Tree:
    def __init__(
        self,
        root: Path,
        source: Source,
        wanted: dict[str, str],
        env: dict[str, str],
        jobs: int,
        lock: asyncio.Lock,
    ):
        self.root = root
        self.source = source
        self.wanted = wanted
        self.env = env
        self.jobs = jobs
        self.src = root / "src"
        self.build = root / "build"
        self.lock = lock

    @property
    def built(self) -> bool:
        return (self.root / "built").exists()

    @contextlib.asynccontextmanager
    async def locked(self) -> AsyncIterator[Tree]:
        """Hold the tree (in this process and across processes), with any earlier patch undone."""
        async with self.lock:
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
                await asyncio.to_thread(self.restore)
                yield self
            finally:
                os.close(fd)

    async def prepare(self, log: Path) -> None:
        """Make src and a checked .config; raises kconfig.ConfigFailed naming dropped options."""
        if not self.src.exists():
            tmp = Path(tempfile.mkdtemp(dir=self.root, prefix=".src-"))
            tmp.rmdir()
            await run(["cp", "-al" if self.source.owned else "-a", self.source.root, tmp])
            tmp.rename(self.src)
        if (self.root / "config.ok").exists():
            return
        self.build.mkdir(exist_ok=True)
        fragment = self.root / "fragment.config"
        fragment.write_text(kconfig.canonical(self.wanted))
        await self.make(["tinyconfig"], log)
        await run(
            ["src/scripts/kconfig/merge_config.sh", "-m", "-O", "build", "build/.config", fragment],
            cwd=self.root,
            env=self.env,
            log=log,
        )
        await self.make(["olddefconfig"], log)
        config = (self.build / ".config").read_text()
        if errors := kconfig.check(config, self.wanted):
            raise kconfig.ConfigFailed(errors)
        (self.root / "config.ok").write_text(config)

    async def make(self, targets: list[str], log: Path, check: bool = True) -> tuple[int, str]:
        cmd = [
            "make",
            "-C",
            self.src,
            f"O={self.build}",
            f"ARCH={ARCH}",
            "CC=ccache gcc",
            f"-j{self.jobs}",
        ]
        try:
            return await run([*cmd, *targets], env=self.env, log=log, check=check)
        finally:
            await self._clock_past_outputs()

    async def _clock_past_outputs(self) -> None:
        """File times come from a coarse clock (a jiffy, longer under load): wait until a
        file written now is strictly newer than anything make wrote, so that the files a
        patch or a restore writes next are always seen as changed."""
        probe = self.build / ".kgym-clock"
        probe.touch()
        made = probe.stat().st_mtime_ns
        while True:
            await asyncio.sleep(MTIME_TICK_S)
            probe.touch()
            if probe.stat().st_mtime_ns > made:
                return

    def apply(self, changes: dict[str, str | None]) -> None:
        """Write a patch's changes into src, journalled for `restore`."""
        (self.root / "dirty.json").write_text(json.dumps(sorted(changes)))
        patch.write(self.src, changes)

    def restore(self) -> None:
        """Put the files of the last patch back as in the pristine tree, with a fresh mtime."""
        dirty = self.root / "dirty.json"
        if not dirty.exists():
            return
        for path in json.loads(dirty.read_text()):
            target, original = self.src / path, self.source.root / path
            if original.is_file():
                fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".kgym-")
                os.close(fd)
                shutil.copyfile(original, tmp)
                os.chmod(tmp, original.stat().st_mode & 0o7777)
                os.replace(tmp, target)
            else:
                target.unlink(missing_ok=True)
        ok = self.root / "config.ok"
        if ok.exists() and (self.build / ".config").read_text() != ok.read_text():
            shutil.copyfile(ok, self.build / ".config")  # a patched Kconfig may have changed it
        dirty.unlink()

    def artifacts(self) -> dict[str, Path]:
        return {
            "bzimage": self.build / BZIMAGE,
            "vmlinux": self.build / "vmlinux",
            "config": self.build / ".config",
        }
