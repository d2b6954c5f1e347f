"""The kBench loader on every published record, on Python-repr list fields, and on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from datapaths import needs_data

from bench.kbench import (
    crash_class,
    find_record,
    golden_images,
    load_record,
    record_paths,
)
from kgym.settings import settings

needs_records = needs_data(settings().kbench_dir / "Kernel_Benchmark", "kBench records")
ALL = record_paths() if (settings().kbench_dir / "Kernel_Benchmark").is_dir() else []


@needs_records
def test_both_sets_are_all_there() -> None:
    assert len(record_paths(sets=["syz"])) == 279
    assert len(record_paths(sets=["c"])) == 504
    assert len(ALL) == 783


@needs_records
@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name[-6:]}/{p.stem[:10]}")
def test_every_record_loads_and_round_trips(path: Path) -> None:
    raw = json.loads(path.read_text())
    record = load_record(path)
    assert record.id == path.stem
    assert record.crashes and record.fix_commits
    assert record.model_dump(mode="json", by_alias=True, exclude_unset=True) == raw


def test_python_repr_lists_are_read(tmp_path: Path) -> None:
    record = {
        "version": 1,
        "title": "KASAN: use-after-free Read in foo",
        "display-title": "KASAN: use-after-free Read in foo",
        "id": "abc",
        "status": "fixed",
        "fix-commits": "[{'title': 'foo: fix', 'hash': 'f00d', 'repo': 'r', 'branch': 'b'}]",
        "crashes": str(
            [
                {
                    "title": "",
                    "syz-reproducer": "/text?tag=ReproSyz&x=1",
                    "c-reproducer": "/text?tag=ReproC&x=2",
                    "kernel-config": "/text?tag=KernelConfig&x=3",
                    "kernel-source-git": "https://example/log/?id=beef",
                    "kernel-source-commit": "beef",
                    "syzkaller-git": "https://example/s",
                    "syzkaller-commit": "cafe",
                    "compiler-description": "gcc",
                    "architecture": "amd64",
                    "crash-report-link": "/text?tag=CrashReport&x=4",
                }
            ]
        ),
        "subsystems": "['mm', 'fs']",
        "parent_of_fix_commit": "beef",
        "patch": "",
        "patch_modified_files": '["mm/foo.c"]',
        "patch_modified_functions": "[['foo', 'mm/foo.c']]",
        "cause-commit": "{'title': 'foo: break', 'hash': 'dead'}",
    }
    path = tmp_path / "abc.json"
    path.write_text(json.dumps(record))
    loaded = load_record(path)
    assert loaded.fix_hashes == ["f00d"]
    assert loaded.subsystems == ["mm", "fs"]
    assert loaded.crashes[0].c_reproducer == "/text?tag=ReproC&x=2"
    assert loaded.patch_modified_functions == [("foo", "mm/foo.c")]
    assert loaded.cause_commit is not None and loaded.cause_commit.hash == "dead"
    assert loaded.crash_class == "KASAN: use-after-free"


def test_bad_records_name_the_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"id": "x", "subsystems": "not a list"}))
    with pytest.raises(ValueError, match=r"(?s)bad\.json: malformed kBench record.*subsystems"):
        load_record(path)
    path.write_text("{ truncated")
    with pytest.raises(ValueError, match=r"bad\.json: malformed"):
        load_record(path)
    with pytest.raises(ValueError, match="no such kBench record"):
        load_record(tmp_path / "missing.json")
    with pytest.raises(ValueError, match="unknown kBench set"):
        record_paths(tmp_path, ["nope"])


@pytest.mark.parametrize(
    ("title", "cls"),
    [
        ("KASAN: slab-out-of-bounds Write in mpol_parse_str", "KASAN: slab-out-of-bounds"),
        ("WARNING in alloc_pages_vma", "WARNING"),
        ("general protection fault in ext4_xattr_set_entry", "general protection fault"),
        ("kernel BUG at fs/f2fs/inode.c:LINE!", "kernel BUG"),
        ("memory leak in foo", "memory leak"),
        ("INFO: task hung in bar", "INFO: task hung"),
        ("possible deadlock in baz", "possible deadlock"),
    ],
)
def test_crash_class(title: str, cls: str) -> None:
    assert crash_class(title) == cls


@needs_records
def test_find_record_and_golden_images() -> None:
    record = find_record("3d67d693e05")
    assert record.title == "KASAN: slab-out-of-bounds Write in mpol_parse_str"
    with pytest.raises(ValueError, match="no kBench record"):
        find_record("zzzz")
    images = golden_images()
    assert set(images.values()) <= {"buildroot.raw", "bullseye.raw"} and len(images) > 500
