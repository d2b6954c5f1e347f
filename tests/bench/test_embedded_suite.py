"""The embedded suite kbench-6.1, checked without building a kernel: every bug is
well-formed, its inject patch applies to the pristine Debian source and its fix on
top, its reproducer compiles, it is the kBench bug it names, and the suite README
shows it validated. (Reproduction itself: `kgym bench validate kbench-6.1`.)
The written candidates not yet validated (bench/candidates/kbench-6.1, not a suite
root) get the same structural checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from datapaths import needs_data

from actors.build_cache import patch
from actors.build_cache.sources import Sources
from bench.kbench import find_record
from bench.suites import load_suite, suite_dir
from kgym.models import BugSpec, SourceSpec
from kgym.settings import settings
from vmpool.reproducer import prepare

SUITE = "kbench-6.1"
BUGS = load_suite(SUITE)
CANDIDATES_DIR = Path(__file__).resolve().parents[2] / "bench" / "candidates" / SUITE
CANDIDATES = sorted(
    (BugSpec.load(p.parent) for p in CANDIDATES_DIR.glob("*/bug.json")), key=lambda b: b.id
)
ALL = BUGS + CANDIDATES


@pytest.fixture(scope="module")
async def pristine():
    source = await Sources(settings().sources_dir).resolve(SourceSpec(kind="debian-linux-source"))
    return patch.read_file(source.root)


def test_the_suite_has_twenty_bugs_in_twelve_crash_classes() -> None:
    assert len(BUGS) >= 20, [b.id for b in BUGS]
    assert len({b.crash_class for b in BUGS}) >= 12


def test_candidates_are_not_shipped() -> None:
    assert not {b.id for b in CANDIDATES} & {b.id for b in BUGS}


def test_every_shipped_bug_passed_validation() -> None:
    readme = (suite_dir(SUITE) / "README.md").read_text()
    table = readme.split("<!-- kgym bench validate: begin -->")[1].split("<!-- kgym")[0]
    verdicts = dict(re.findall(r"^\| ([\w.-]+) \|.*\| (pass|FAIL) \| [\d.]+ \|$", table, re.M))
    assert verdicts == {b.id: "pass" for b in BUGS}


@pytest.mark.parametrize("bug", ALL, ids=lambda b: b.id)
async def test_bug_patches_apply_in_order(bug, pristine) -> None:
    inject = patch.parse(bug.read(bug.inject))
    fix = patch.parse(bug.read(bug.fix.file))
    buggy = patch.apply([inject], pristine)
    assert buggy, "the inject patch changes nothing"
    fixed = patch.apply([inject, fix], pristine)
    assert all(fixed[path] == pristine(path) for path in fixed), "fix does not undo inject"
    assert sorted(fixed) == sorted(bug.fix.modified_files)


@pytest.mark.parametrize("bug", ALL, ids=lambda b: b.id)
async def test_bug_reproducer_compiles(bug, tmp_path) -> None:
    prepared = await prepare(bug.reproducer, bug.dir, tmp_path)
    assert prepared.data


@needs_data(settings().kbench_dir, "kBench records")
@pytest.mark.parametrize("bug", ALL, ids=lambda b: b.id)
def test_bug_is_the_kbench_bug_it_names(bug) -> None:
    record = find_record(bug.origin.kbench_id)
    assert record.title == bug.title
    assert bug.origin.fix_commit in {c.hash for c in record.fix_commits}
    assert sorted(record.patch_modified_files) == sorted(bug.fix.modified_files)
