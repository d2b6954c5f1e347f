"""Fixtures for the agent's tests: a small kernel-like tree, a bug record, its report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agent_testkit import BUGGY_C, HEADER, SECRET_COMMIT, SECRET_FIX, SECRET_INJECT, TITLE

from kgym.models import BugSpec, CrashReport, Frame
from kgym.settings import Settings


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "mm").mkdir(parents=True)
    (root / "mm" / "opt.c").write_text(BUGGY_C)
    (root / "mm" / "opt.h").write_text(HEADER)
    (root / "Makefile").write_text("obj-y += mm/\n")
    return root


@pytest.fixture
def bug(tmp_path: Path) -> BugSpec:
    d = tmp_path / "bug"
    d.mkdir()
    (d / "repro.c").write_text('int main(void) { return mount("x", "/", "tmpfs", 0, 0); }\n')
    (d / "fix.patch").write_text(SECRET_FIX)
    (d / "inject.patch").write_text(SECRET_INJECT)
    (d / "bug.json").write_text(
        json.dumps(
            {
                "id": "opt-bug",
                "title": TITLE,
                "source": {"kind": "dir", "path": "/nonexistent"},
                "reproducer": {"type": "c", "file": "repro.c"},
                "fix": {"file": "fix.patch", "modified_files": ["mm/opt.c"]},
                "origin": {"kind": "planted", "fix_commit": SECRET_COMMIT},
            }
        )
    )
    return BugSpec.load(d)


@pytest.fixture
def report() -> CrashReport:
    frames = [
        Frame(function="kasan_report", offset="0x10/0x20"),
        Frame(function="parse_opt", offset="0x92/0xb0"),
        Frame(function="check_mode", offset="0x1/0x8"),
        Frame(function="do_syscall_64"),
    ]
    return CrashReport(
        crashed=True,
        title=TITLE,
        type="KASAN",
        frames=frames,
        guilty_file="mm/opt.c",
        report="BUG: KASAN: slab-out-of-bounds in parse_opt+0x92/0xb0\nWrite of size 1\n",
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture
def tree_bug(tmp_path: Path, tree: Path) -> BugSpec:
    """A bug whose source is the `tree` directory itself (so the platform's code tools work)."""
    d = tmp_path / "tree-bug"
    d.mkdir()
    (d / "repro.c").write_text("int main(void) { return 0; }\n")
    (d / "bug.json").write_text(
        json.dumps(
            {
                "id": "opt-bug",
                "title": TITLE,
                "source": {"kind": "dir", "path": str(tree)},
                "inject": None,
                "reproducer": {"type": "c", "file": "repro.c"},
            }
        )
    )
    return BugSpec.load(d)


@pytest.fixture
async def platform(settings: Settings):
    """The real local platform (only its build cache's code tools are used without a kernel)."""
    from actors.platforms.local_platform import LocalPlatform

    async with LocalPlatform(settings) as p:
        yield p
