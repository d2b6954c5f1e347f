"""Seeding a second node's KGYM_HOME from a first one: what is linked, copied, rewritten."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from actors.build_cache.seed import seed_home


def make_home(home: Path) -> Path:
    """A home with one warm tree (a Kbuild-like build dir naming its own path) and a kernel."""
    tree = home / "trees" / "src-1234"
    (tree / "src").mkdir(parents=True)
    (tree / "src" / "foo.c").write_text("int x;\n")
    build = tree / "build"
    (build / "kernel").mkdir(parents=True)
    (build / "kernel" / ".foo.o.cmd").write_text(
        f"cmd_kernel/foo.o := gcc -c {tree}/src/foo.c\ndeps := {tree}/src/foo.h\n"
    )
    (build / "Makefile").write_text(f"include {tree}/src/Makefile\n")
    (build / "kernel" / "foo.o").write_bytes(b"\x7fELF" + str(tree).encode())  # not rewritten
    (build / "source").symlink_to(tree / "src")
    for name in ("built", "config.ok", "fragment.config", "lock"):
        (tree / name).write_text("")
    entry = home / "store" / "key1"
    entry.mkdir(parents=True)
    (entry / "bzImage").write_bytes(b"kernel")
    meta = {"key": "key1", "dir": str(entry), "bzimage": str(entry / "bzImage"), "x": 1}
    (entry / "meta.json").write_text(json.dumps(meta))
    (home / "ccache" / "a").mkdir(parents=True)
    (home / "ccache" / "a" / "obj").write_text("cached")
    (home / "sources" / "src").mkdir(parents=True)
    (home / "sources" / "src" / "Makefile").write_text("all:\n")
    return tree


def test_seed_relocates_the_tree_and_keeps_the_first_home_intact(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    tree = make_home(first)
    cmd = tree / "build" / "kernel" / ".foo.o.cmd"
    mtime = cmd.stat().st_mtime_ns
    report = seed_home(first, second)

    new = second / "trees" / "src-1234"
    assert report.trees == ["src-1234"] and report.artifacts == ["key1"]
    assert report.relocated_files == 3  # the .cmd file, the Makefile, the symlink
    text = (new / "build" / "kernel" / ".foo.o.cmd").read_text()
    assert str(new) in text and str(tree) not in text
    assert (new / "build" / "kernel" / ".foo.o.cmd").stat().st_mtime_ns == mtime
    assert os.readlink(new / "build" / "source") == str(new / "src")
    assert (new / "built").exists() and not (new / "lock").exists()
    # the first home is untouched: its files still name its own paths
    assert str(tree) in cmd.read_text()
    assert json.loads((first / "store" / "key1" / "meta.json").read_text())["dir"].startswith(
        str(first)
    )
    # the second home's store entry names the second home; blobs are hard links
    meta = json.loads((second / "store" / "key1" / "meta.json").read_text())
    assert meta["bzimage"] == str(second / "store" / "key1" / "bzImage") and meta["x"] == 1
    assert (second / "store" / "key1" / "bzImage").stat().st_ino == (
        first / "store" / "key1" / "bzImage"
    ).stat().st_ino
    # the build dir is a real copy (make writes objects in place)
    assert (new / "build" / "kernel" / "foo.o").stat().st_ino != (
        tree / "build" / "kernel" / "foo.o"
    ).stat().st_ino
    assert (second / "ccache" / "a" / "obj").read_text() == "cached"
    assert seed_home(first, second).trees == ["src-1234"]  # again: nothing is overwritten


def test_seed_refuses_a_home_without_a_warm_tree_and_a_dirty_tree(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no warm tree"):
        seed_home(tmp_path / "empty", tmp_path / "x")
    tree = make_home(tmp_path / "dirty")
    (tree / "dirty.json").write_text('["foo.c"]')
    with pytest.raises(ValueError, match="patch is still applied"):
        seed_home(tmp_path / "dirty", tmp_path / "y")
