"""The newc writer: GNU cpio reads back what it wrote."""

from __future__ import annotations

import subprocess

from vmpool import cpio


def test_gnu_cpio_lists_members_with_modes_and_link_targets(tmp_path) -> None:
    data = cpio.gzipped(
        [
            cpio.directory("etc"),
            cpio.directory("root/.ssh", 0o700),
            cpio.file("etc/odd-length", b"hello", 0o600),
            cpio.file("init", b"#!/bin/sh\n", 0o755),
            cpio.symlink("bin/sh", "busybox"),
        ]
    )
    archive = tmp_path / "a.cpio.gz"
    archive.write_bytes(data)
    listing = subprocess.run(
        f"zcat {archive} | cpio -itv", shell=True, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    modes = {}
    for line in listing:
        fields = line.split(" -> ")[0].split()
        modes[fields[-1]] = fields[0]
    assert modes == {
        "etc": "drwxr-xr-x",
        "root/.ssh": "drwx------",
        "etc/odd-length": "-rw-------",
        "init": "-rwxr-xr-x",
        "bin/sh": "lrwxrwxrwx",
    }
    extracted = tmp_path / "x"
    extracted.mkdir()
    subprocess.run(f"zcat {archive} | cpio -id --quiet", shell=True, cwd=extracted, check=True)
    assert (extracted / "etc/odd-length").read_bytes() == b"hello"
    assert (extracted / "init").read_bytes() == b"#!/bin/sh\n"
    assert (extracted / "bin/sh").readlink().name == "busybox"
    assert (extracted / "root/.ssh").stat().st_mode & 0o777 == 0o700


def test_archive_is_reproducible() -> None:
    entries = [cpio.directory("a"), cpio.file("a/b", b"x")]
    assert cpio.gzipped(entries) == cpio.gzipped(entries)
    assert cpio.archive(entries).endswith(b"TRAILER!!!\0\0\0\0")
