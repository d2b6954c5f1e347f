"""A minimal writer of the "newc" cpio format the kernel unpacks as initramfs."""

from __future__ import annotations

import gzip
import stat
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    """One archive member: a directory, a regular file or a symlink (owned by root)."""

    path: str  # without a leading slash
    mode: int  # including the file type bits (stat.S_IFDIR | 0o755, ...)
    data: bytes = b""


def directory(path: str, perm: int = 0o755) -> Entry:
    return Entry(path, stat.S_IFDIR | perm)


def file(path: str, data: bytes, perm: int = 0o644) -> Entry:
    return Entry(path, stat.S_IFREG | perm, data)


def symlink(path: str, target: str) -> Entry:
    return Entry(path, stat.S_IFLNK | 0o777, target.encode())


def _pad(n: int) -> bytes:
    return b"\0" * (-n % 4)


def _member(ino: int, name: str, mode: int, data: bytes) -> bytes:
    raw = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(raw), 0]
    header = b"070701" + b"".join(b"%08X" % f for f in fields)
    return header + raw + _pad(len(header) + len(raw)) + data + _pad(len(data))


def archive(entries: list[Entry]) -> bytes:
    """The uncompressed newc archive of `entries`, in order, with its trailer."""
    out = [_member(i, e.path.lstrip("/"), e.mode, e.data) for i, e in enumerate(entries, 1)]
    out.append(_member(0, "TRAILER!!!", 0, b""))
    return b"".join(out)


def gzipped(entries: list[Entry]) -> bytes:
    """`archive(entries)` gzip-compressed, reproducibly (no timestamp)."""
    return gzip.compress(archive(entries), compresslevel=6, mtime=0)
