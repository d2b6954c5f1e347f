"""Kernel sources: resolve a SourceSpec to an id and a pristine tree that is never written.

    sources/debian-<package version>/   Debian's linux-source-<version> tarball, unpacked once
    sources/git-<commit>/               `git archive` of the commit
    sources/mirrors/<hash>.git          a bare mirror of a remote git URL

A `dir` source is used where it is; its id hashes its path and every file's
size and mtime, so an edited directory is a new source.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from actors.build_cache.proc import CommandFailed, run
from actors.build_cache.store import Locks, publish
from kgym.models import SourceSpec


class SourceFailed(Exception):
    """A source that cannot be had; the message says which and why."""


@dataclass(frozen=True)
class Source:
    id: str
    root: Path  # the pristine tree
    owned: bool  # True: ours (may be hard-linked); False: the user's directory


class Sources:
    def __init__(self, root: Path):
        self.root = root
        self._lock = Locks()

    async def resolve(self, spec: SourceSpec) -> Source:
        handler = {"debian-linux-source": self._debian, "git": self._git, "dir": self._dir}
        return await handler[spec.kind](spec)

    async def present(self, spec: SourceSpec) -> Source | None:
        """The source if it is here already (nothing unpacked, fetched or cloned), else None."""
        if spec.kind == "dir":
            return await self._dir(spec)
        if spec.kind == "git":
            return self._owned(f"git-{spec.commit}") if spec.commit else None
        package = f"linux-source-{spec.version or '6.1'}"
        code, out = await run(["dpkg-query", "-W", "-f", "${Version}", package], check=False)
        return None if code or not out.strip() else self._owned(f"debian-{out.strip()}")

    def _owned(self, sid: str) -> Source | None:
        root = self.root / sid
        return Source(sid, root, owned=True) if root.is_dir() else None

    async def repository(self, spec: SourceSpec) -> tuple[Path, str] | None:
        """The local git repository and commit sha of a git source; None when it has no history."""
        if spec.kind != "git":
            return None
        source = await self.resolve(spec)
        return await self._repository(spec.url or "", spec.commit or ""), source.id[len("git-") :]

    async def _debian(self, spec: SourceSpec) -> Source:
        version = spec.version or "6.1"
        package = f"linux-source-{version}"
        code, out = await run(["dpkg-query", "-W", "-f", "${Version}", package], check=False)
        tarball = Path(f"/usr/src/{package}.tar.xz")
        if code or not out.strip() or not tarball.is_file():
            raise SourceFailed(
                f"Debian package {package} is not installed (apt-get install {package})"
            )
        sid = f"debian-{out.strip()}"
        return Source(sid, await self._once(sid, self._untar(tarball)), owned=True)

    async def _git(self, spec: SourceSpec) -> Source:
        if not spec.url or not spec.commit:
            raise SourceFailed("a git source needs both `url` and `commit`")
        repo = await self._repository(spec.url, spec.commit)
        code, out = await run(
            ["git", "-C", repo, "rev-parse", "--verify", "--quiet", f"{spec.commit}^{{commit}}"],
            check=False,
        )
        if code:
            raise SourceFailed(f"git: commit {spec.commit!r} not found in {spec.url}")
        sha = out.strip()
        sid = f"git-{sha}"
        return Source(sid, await self._once(sid, self._archive(repo, sha)), owned=True)

    async def _dir(self, spec: SourceSpec) -> Source:
        path = Path(spec.path or "")
        if not spec.path or not (path / "Makefile").is_file():
            raise SourceFailed(f"dir source {spec.path!r} is not a directory with a Makefile")
        path = path.resolve()
        fingerprint = await asyncio.to_thread(_fingerprint, path)
        return Source(f"dir-{fingerprint[:20]}", path, owned=False)

    async def _repository(self, url: str, commit: str) -> Path:
        """A local repository holding `commit`: `url` itself if local, else our mirror of it."""
        local = Path(url)
        if local.is_dir():
            return local
        mirror = self.root / "mirrors" / (hashlib.sha256(url.encode()).hexdigest()[:16] + ".git")
        async with self._lock(str(mirror)):
            try:
                if not mirror.exists():
                    mirror.parent.mkdir(parents=True, exist_ok=True)
                    await run(["git", "clone", "--mirror", "--quiet", url, mirror])
                else:
                    have = await run(
                        ["git", "-C", mirror, "cat-file", "-e", f"{commit}^{{commit}}"], check=False
                    )
                    if have[0]:
                        await run(["git", "-C", mirror, "fetch", "--quiet", "--prune", "origin"])
            except CommandFailed as e:
                raise SourceFailed(f"git: cannot fetch {url}: {e.output.strip()[-500:]}") from e
        return mirror

    async def _once(self, sid: str, make) -> Path:
        """sources/<sid>, made by the coroutine `make(tmp_dir)` once, then renamed into place."""
        final = self.root / sid
        async with self._lock(sid):
            if not final.exists():
                self.root.mkdir(parents=True, exist_ok=True)
                tmp = Path(tempfile.mkdtemp(dir=self.root, prefix=f".{sid}-"))
                try:
                    await make(tmp)
                    await asyncio.to_thread(_read_only, tmp)
                    publish(tmp, final)
                except BaseException:
                    shutil.rmtree(tmp, ignore_errors=True)
                    raise
        return final

    def _untar(self, tarball: Path):
        async def make(tmp: Path) -> None:
            await run(["tar", "-xf", tarball, "-C", tmp, "--strip-components=1"])

        return make

    def _archive(self, repo: Path, sha: str):
        async def make(tmp: Path) -> None:
            await run(
                ["sh", "-c", 'git -C "$1" archive "$2" | tar -x -C "$3"', "sh", repo, sha, tmp]
            )

        return make


def _fingerprint(root: Path) -> str:
    h = hashlib.sha256(str(root).encode())
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for name in sorted(filenames):
            st = os.lstat(os.path.join(dirpath, name))
            h.update(
                f"{os.path.relpath(dirpath, root)}/{name}:{st.st_size}:{st.st_mtime_ns}\n".encode()
            )
    return h.hexdigest()


def _read_only(root: Path) -> None:
    """Mark every file read-only (directories stay writable so copies can replace files)."""
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            p = os.path.join(dirpath, name)
            if not os.path.islink(p):
                os.chmod(p, os.lstat(p).st_mode & ~0o222)
