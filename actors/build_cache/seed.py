"""Give a new build host its first warm tree by copying another host's, not by a cold build.

`seed_home(src, dst)` copies what makes builds warm from one `KGYM_HOME` to another:
the unpacked sources, the warm trees (each under its flock, so no patch is half
applied), the artifact store and ccache. Files that are replaced but never
written in place (sources, a tree's `src/`, store entries) are hard-linked when
both homes share a file system; a tree's `build/` and ccache are copied.

A tree's build directory names its own absolute path (Kbuild's `.cmd` and `.d`
files, its Makefile): copied to another path it would rebuild every object, so
those files are rewritten to the new path. On a cluster whose nodes all use the
same `KGYM_HOME` path, an `rsync` of the same directories needs no rewriting.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

# Files of a Kbuild output directory that name the tree's path and that make reads.
_RELOCATED_SUFFIXES = (".cmd", ".d")
_RELOCATED_NAMES = ("Makefile",)
_SKIPPED_IN_TREE = {"lock", "dirty.json"}


@dataclass
class SeedReport:
    """What a seeding copied and how long each part took."""

    parts_s: dict[str, float] = field(default_factory=dict)
    trees: list[str] = field(default_factory=list)
    artifacts: list[str] = field(default_factory=list)
    relocated_files: int = 0

    @property
    def total_s(self) -> float:
        return round(sum(self.parts_s.values()), 3)


PARTS = ("sources", "trees", "store", "ccache")


def seed_home(
    src: Path, dst: Path, trees: list[str] | None = None, parts: tuple[str, ...] = PARTS
) -> SeedReport:
    """Copy `src`'s sources, warm trees (those named in `trees`, default all), artifact
    store and ccache (those of `parts`) into `dst`, keeping what `dst` has already.
    Raises ValueError if `src` has none of the warm trees asked for."""
    src, dst = src.resolve(), dst.resolve()
    if src == dst:
        raise ValueError(f"seeding {dst} from itself")
    if unknown := set(parts) - set(PARTS):
        raise ValueError(f"unknown parts {sorted(unknown)}; known: {', '.join(PARTS)}")
    warm = [t for t in sorted((src / "trees").glob("*")) if (t / "built").exists()]
    warm = [t for t in warm if trees is None or t.name in trees]
    if not warm:
        raise ValueError(f"{src}: no warm tree to copy (no trees/*/built of {trees or 'any'})")
    report = SeedReport()
    dst.mkdir(parents=True, exist_ok=True)
    if "sources" in parts:
        with _timed(report, "sources"):
            for source in sorted((src / "sources").glob("*")):
                if not source.name.startswith("."):
                    _copy(source, dst / "sources" / source.name, link=True)
    if "trees" in parts:
        with _timed(report, "trees"):
            for tree in warm:
                report.relocated_files += _copy_tree(tree, dst / "trees" / tree.name)
                report.trees.append(tree.name)
    if "store" in parts:
        with _timed(report, "store"):
            for entry in sorted((src / "store").glob("*")):
                if (entry / "meta.json").is_file() and not (dst / "store" / entry.name).exists():
                    _copy(entry, dst / "store" / entry.name, link=True)
                    _rewrite_meta(dst / "store" / entry.name / "meta.json", src, dst)
                    report.artifacts.append(entry.name)
    if "ccache" in parts and (src / "ccache").is_dir():
        with _timed(report, "ccache"):
            _copy(src / "ccache", dst / "ccache", link=False, merge=True)
    return report


class _timed:
    def __init__(self, report: SeedReport, part: str) -> None:
        self.report, self.part = report, part

    def __enter__(self) -> None:
        self.t0 = time.monotonic()

    def __exit__(self, *exc: object) -> None:
        self.report.parts_s[self.part] = round(time.monotonic() - self.t0, 3)


def _copy(src: Path, dst: Path, link: bool, merge: bool = False) -> None:
    """`cp -a` (hard links with `link`, when on one file system) into a fresh `dst`."""
    if dst.exists() and not merge:
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    same_fs = os.stat(src).st_dev == os.stat(dst.parent).st_dev
    flags = ["-al"] if link and same_fs else ["-a"]
    if merge and dst.exists():
        subprocess.run(["cp", *flags, "-T", "-n", str(src), str(dst)], check=True)
        return
    tmp = dst.with_name(f".seed-{dst.name}")
    shutil.rmtree(tmp, ignore_errors=True)
    subprocess.run(["cp", *flags, str(src), str(tmp)], check=True)
    tmp.rename(dst)


def _copy_tree(tree: Path, dst: Path) -> int:
    """Copy one warm tree under its lock; returns how many build files were rewritten."""
    if (dst / "built").exists():
        return 0
    fd = os.open(tree / "lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # no build or patch of the source's host meanwhile
        if (tree / "dirty.json").exists():
            raise ValueError(f"{tree}: a patch is still applied (dirty.json); build there first")
        tmp = dst.with_name(f".seed-{dst.name}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for item in tree.iterdir():
            if item.name in _SKIPPED_IN_TREE:
                continue
            link = item.name == "src"  # files replaced, never written: hard links are safe
            _copy(item, tmp / item.name, link=link)
    finally:
        os.close(fd)
    count = _relocate(tmp / "build", str(tree), str(dst))
    shutil.rmtree(dst, ignore_errors=True)
    tmp.rename(dst)
    return count


def _relocate(build: Path, old: str, new: str) -> int:
    """Point the build directory's make files and symlinks at the new tree path."""
    count = 0
    old_b, new_b = old.encode(), new.encode()
    for dirpath, dirnames, filenames in os.walk(build):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            path = Path(dirpath) / name
            if path.is_symlink():
                target = os.readlink(path)
                if target.startswith(old):
                    path.unlink()
                    path.symlink_to(new + target[len(old) :])
                    count += 1
                continue
            if not (name.endswith(_RELOCATED_SUFFIXES) or name in _RELOCATED_NAMES):
                continue
            data = path.read_bytes()
            if old_b in data:
                st = path.stat()
                path.write_bytes(data.replace(old_b, new_b))
                os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # make sees no change
                count += 1
    return count


def _rewrite_meta(meta: Path, src: Path, dst: Path) -> None:
    """A store entry's paths, moved from `src` to `dst` (the file is unlinked first: it
    may be a hard link to the source's entry)."""
    data = json.loads(meta.read_text())
    moved = {
        k: (str(dst) + v[len(str(src)) :]) if isinstance(v, str) and v.startswith(str(src)) else v
        for k, v in data.items()
    }
    meta.unlink()
    meta.write_text(json.dumps(moved, indent=2))
