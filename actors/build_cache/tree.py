"""A warm build tree of one (source, config, toolchain): patch, build, restore.

    trees/<key>/src/             the pristine tree, hard-linked (files are replaced, never written)
    trees/<key>/build/           the O= build directory
    trees/<key>/fragment.config  the requested options, as merged
    trees/<key>/config.ok        the checked .config (present once configuring succeeded)
    trees/<key>/built            present once a full build succeeded
    trees/<key>/dirty.json       the files a patch touched, until they are restored
    trees/<key>/clean            present while src is known equal to the pristine source
    trees/<key>/scratch/         a throwaway copy of build/ for a patch that changes how the
                                 tree builds (Makefiles, Kconfig, scripts)
    trees/<key>/lock             flock: one user of the tree at a time, across processes

Patched builds reuse the tree: apply the patch to src, build, then put the
touched files back from the pristine tree with a fresh mtime, so the next
build recompiles exactly them. `dirty.json` is written before the patch, so a
crash mid-build is repaired by the next user, who then also compares src with the pristine
tree file by file (a dead user's journal may not name everything it wrote).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import filecmp
import json
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from actors.build_cache import kconfig, patch
from actors.build_cache.proc import run
from actors.build_cache.sources import Source
from kgym import sandbox as sb
from kgym.log import get_logger

ARCH = "x86_64"
BZIMAGE = "arch/x86/boot/bzImage"
MTIME_TICK_S = 0.02
HOST_PROGRAM_DIRS = ("scripts", "tools", "usr")  # sources of programs the build runs on the host
_A_DIRECTORY = "path is a directory, not a file"

log = get_logger("build_cache.tree")


class Tree:
    def __init__(
        self,
        root: Path,
        source: Source,
        wanted: dict[str, str],
        env: dict[str, str],
        jobs: int,
        lock: asyncio.Lock,
        ccache: Path | None = None,
    ):
        self.root = root
        self.source = source
        self.wanted = wanted
        self.env = env
        self.jobs = jobs
        self.src = root / "src"
        self.build = root / "build"
        self.lock = lock
        self.ccache = ccache
        self.scratch: Path | None = None  # set: make writes a throwaway copy of build/

    @property
    def built(self) -> bool:
        return (self.root / "built").exists()

    @contextlib.asynccontextmanager
    async def locked(self) -> AsyncIterator[Tree]:
        """Hold the tree (in this process and across processes), with any earlier patch undone;
        after an unclean exit, src is checked against the pristine source file by file."""
        async with self.lock:
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
                await asyncio.to_thread(self.restore, True)
                await asyncio.to_thread(shutil.rmtree, self.root / "scratch", True)  # a dead user's
                yield self
            finally:
                os.close(fd)

    def sandbox(self) -> sb.Sandbox:
        """Where make runs: the tree readable, only the build dir and ccache writable.
        In scratch mode make sees the scratch copy at build/'s path and a read-only ccache."""
        ccache = [self.ccache] if self.ccache else []
        if self.scratch is None:
            return sb.Sandbox(readable=[self.root], writable=[self.build, *ccache], env=self.env)
        env = {**self.env, "CCACHE_READONLY": "1", "CCACHE_TEMPDIR": "/tmp"}
        return sb.Sandbox(readable=[self.root, *ccache], binds={self.build: self.scratch}, env=env)

    @property
    def out(self) -> Path:
        """Where this build's outputs are on the host: build/, or its scratch copy."""
        return self.scratch or self.build

    @contextlib.asynccontextmanager
    async def scratch_build(self, wanted: bool) -> AsyncIterator[None]:
        """If `wanted`, make works on a copy of build/ (and cannot write the ccache), thrown
        away afterwards: for patches that change how the tree builds (Makefiles, Kconfig,
        scripts), whose commands could otherwise leave files in the shared build dir or
        entries in the ccache that later builds would trust."""
        if not wanted:
            yield
            return
        scratch = self.root / "scratch"
        await asyncio.to_thread(shutil.rmtree, scratch, True)
        await run(["cp", "-a", self.build, scratch])
        self.scratch = scratch
        try:
            yield
        finally:
            self.scratch = None
            await asyncio.to_thread(shutil.rmtree, scratch, True)

    async def prepare(self, log: Path) -> None:
        """Make src and a checked .config; raises kconfig.ConfigFailed naming dropped options."""
        if not self.src.exists():
            tmp = Path(tempfile.mkdtemp(dir=self.root, prefix=".src-"))
            tmp.rmdir()
            await run(["cp", "-al" if self.source.owned else "-a", self.source.root, tmp])
            await run(["chmod", "-R", "a+rX", tmp])  # readable by the build user
            tmp.rename(self.src)
            (self.root / "clean").touch()
        os.chmod(self.src, 0o755)  # readable by the build user
        self.build.mkdir(exist_ok=True)
        if (self.root / "config.ok").exists():
            return
        fragment = self.root / "fragment.config"
        fragment.write_text(kconfig.canonical(self.wanted))
        await self.make(["tinyconfig"], log)
        script = self.src / "scripts/kconfig/merge_config.sh"
        merge = [script, "-m", "-O", self.build, self.build / ".config", fragment]
        await self._run(merge, log, check=True)
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
            return await self._run([*cmd, *targets], log, check)
        finally:
            await self._clock_past_outputs()

    async def _run(self, cmd: list, log: Path, check: bool) -> tuple[int, str]:
        """`cmd` in the sandbox, once what it may write belongs to the build user."""
        box = self.sandbox()
        await asyncio.to_thread(sb.give, *box.writable, *box.binds.values())
        return await run(cmd, cwd=self.build, log=log, check=check, sandbox=box)

    async def _clock_past_outputs(self) -> None:
        """File times come from a coarse clock (a jiffy, longer under load): wait until a
        file written now is strictly newer than anything make wrote, so that the files a
        patch or a restore writes next are always seen as changed."""
        probe = self.out / ".kgym-clock"
        probe.unlink(missing_ok=True)
        probe.touch()
        made = probe.stat().st_mtime_ns
        while True:
            await asyncio.sleep(MTIME_TICK_S)
            probe.touch()
            if probe.stat().st_mtime_ns > made:
                return

    def apply(self, changes: dict[str, str | None]) -> None:
        """Write a patch's changes into src, journalled for `restore`; raises
        patch.PatchFailed (writing nothing) if a target cannot be a file of the tree."""
        errors = [
            patch.PatchError(file=p, message=why)
            for p in sorted(changes)
            if (why := patch.target_problem(self.src, p))
        ] + patch.check_changes(changes)
        if errors:
            raise patch.PatchFailed(errors)
        (self.root / "clean").unlink(missing_ok=True)
        _write_json(self.root / "dirty.json", sorted(changes))
        patch.write(self.src, changes)

    def restore(self, recovering: bool = False) -> None:
        """Put the files of the last patch back as in the pristine tree, with a fresh mtime.
        A journal that cannot be trusted (unreadable, naming impossible paths), or one left
        by a user that died (`recovering`: found when taking the lock), or a tree not known
        clean, is checked against the pristine source file by file and repaired, logged."""
        dirty, clean = self.root / "dirty.json", self.root / "clean"
        trusted = not recovering or (clean.exists() and not dirty.exists())
        if dirty.exists():
            try:
                paths = json.loads(dirty.read_text())
                assert isinstance(paths, list) and all(isinstance(p, str) for p in paths)
            except (ValueError, AssertionError, OSError):
                log.warning("tree.journal_bad", tree=str(self.root))
                paths, trusted = [], False
            for path in paths:
                try:
                    self._restore_file(path)
                except (OSError, ValueError) as e:
                    log.warning("tree.restore_failed", tree=str(self.root), path=path, error=str(e))
                    trusted = False
        if self.src.exists() and not trusted:
            fixed = repair(self.src, self.source.root)
            log.warning("tree.checked", tree=str(self.root), repaired=len(fixed), some=fixed[:10])
        ok = self.root / "config.ok"
        if ok.exists() and (self.build / ".config").read_text() != ok.read_text():
            shutil.copyfile(ok, self.build / ".config")  # a patched Kconfig may have changed it
        dirty.unlink(missing_ok=True)
        if self.src.exists():
            clean.touch()

    def _restore_file(self, path: str) -> None:
        """One journalled path back to pristine; ValueError if the tree around it is not as
        a patch we validated could have left it."""
        if patch.target_problem(self.source.root, path) not in (None, _A_DIRECTORY):
            raise ValueError("not a path a patch could have written")
        parts = Path(path).parts
        for i in range(1, len(parts)):
            st = _lstat(self.src.joinpath(*parts[:i]))
            if st is None:
                return  # nothing was written there
            if not stat.S_ISDIR(st.st_mode):
                raise ValueError(f"{'/'.join(parts[:i])} is not a directory")
        _put_back(self.src, self.source.root, path)
        _prune_dirs(self.src, self.source.root, Path(path).parent)

    def artifacts(self) -> dict[str, Path]:
        return {
            "bzimage": self.out / BZIMAGE,
            "vmlinux": self.out / "vmlinux",
            "config": self.out / ".config",
        }


@dataclass(frozen=True)
class Entry:
    """What `find` says of one path: type (f, d, l, ...), inode, size, mtime, mode."""

    kind: str
    inode: int
    size: int
    mtime: str
    mode: str


def changes_the_build(paths: list[str]) -> bool:
    """Does a patch touch more than kernel C/assembly sources and headers: a Makefile, Kconfig,
    a script, or a source under scripts/, tools/ or usr/ (host programs that the build runs)?
    A heuristic: other host programs (lib/gen_*.c, ...) also run, but only in the sandbox."""
    for p in paths:
        parts = Path(p).parts
        if not p.endswith((".c", ".h", ".S")) or parts[0] in HOST_PROGRAM_DIRS or "tools" in parts:
            return True
    return False


def repair(src: Path, pristine: Path) -> list[str]:
    """Make `src` equal to `pristine` (files, links, directories); the paths it changed.
    Files that differ are rewritten with a fresh mtime so that make rebuilds from them."""
    fixed: list[str] = []
    mine, theirs = _entries(src), _entries(pristine)
    same_fs = os.stat(src).st_dev == os.stat(pristine).st_dev
    for rel in sorted(set(mine) - set(theirs), key=len):
        if _lstat(src / rel) is not None:  # not inside a directory removed already
            _remove(src / rel)
            fixed.append(rel)
    for rel in sorted(theirs):
        want, have = theirs[rel], mine.get(rel)
        if have is not None and _same(src / rel, pristine / rel, have, want, same_fs):
            continue
        if want.kind == "d":
            _remove(src / rel)
            (src / rel).mkdir(mode=0o755)
        else:
            _put_back(src, pristine, rel)
        fixed.append(rel)
    return fixed


def _entries(root: Path) -> dict[str, Entry]:
    """Every path under `root` (relative), from one `find` (a Python walk is 10x slower)."""
    out = subprocess.run(
        ["find", root, "-mindepth", "1", "-printf", r"%y %i %s %T@ %m %P\0"],
        capture_output=True,
        check=True,
    ).stdout
    entries = {}
    for record in out.split(b"\0"):
        if record:
            kind, inode, size, mtime, mode, rel = record.split(b" ", 5)
            entries[os.fsdecode(rel)] = Entry(
                kind.decode(), int(inode), int(size), mtime.decode(), mode.decode()
            )
    return entries


def _same(a: Path, b: Path, ea: Entry, eb: Entry, same_fs: bool) -> bool:
    if ea.kind != eb.kind:
        return False
    if ea.kind == "d":
        return True
    if ea.kind == "l":
        return os.readlink(a) == os.readlink(b)
    if same_fs and ea.inode == eb.inode:
        return True  # a hard link of the pristine file
    if ea.size != eb.size:
        return False
    if ea.mtime == eb.mtime and ea.mode == eb.mode:
        return True  # a `cp -a` copy
    return filecmp.cmp(a, b, shallow=False)


def _put_back(src: Path, pristine: Path, rel: str) -> None:
    """`src/rel` as in `pristine` (a fresh copy, fresh mtime), or gone if not there."""
    target, original = src / rel, pristine / rel
    st = _lstat(original)
    if st is None:
        _remove(target)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if stat.S_ISLNK(st.st_mode):
        _remove(target)
        os.symlink(os.readlink(original), target)
        return
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"{rel}: not a regular file in the pristine source")
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".kgym-")
    os.close(fd)
    shutil.copyfile(original, tmp)
    os.chmod(tmp, st.st_mode & 0o7777)
    if (t := _lstat(target)) is not None and stat.S_ISDIR(t.st_mode):
        shutil.rmtree(target)
    os.replace(tmp, target)


def _prune_dirs(src: Path, pristine: Path, rel: Path) -> None:
    """Remove the empty directories a patch created (those not in the pristine source)."""
    while rel.parts and not (pristine / rel).is_dir():
        with contextlib.suppress(FileNotFoundError, OSError):
            (src / rel).rmdir()
        rel = rel.parent


def _remove(p: Path) -> None:
    st = _lstat(p)
    if st is None:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(p)
    else:
        p.unlink()


def _lstat(p: Path) -> os.stat_result | None:
    try:
        return os.lstat(p)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _write_json(path: Path, value: object) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(value))
    os.replace(tmp, path)
