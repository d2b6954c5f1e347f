"""`kgym bench import`: dashboard links through a local HTTP server (with a cache),
and the git source at the record's commit in a local repository."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from aiohttp import web

from actors.build_cache.sources import Sources
from bench.importer import ImportFailed, Links, import_record, import_records
from bench.kbench import KBenchRecord

TEXTS = {
    ("ReproC", "c1"): "int main(void) { return 0; }\n",
    ("KernelConfig", "k1"): "CONFIG_KASAN=y\n",
    ("CrashReport", "r1"): "BUG: KASAN: use-after-free Read in foo_read\n",
}


@pytest.fixture
async def dashboard():
    """A local dashboard serving TEXTS at /text?tag=..&x=..; counts requests."""
    hits: list[str] = []

    async def text(request: web.Request) -> web.Response:
        key = (request.query.get("tag", ""), request.query.get("x", ""))
        hits.append("/text?" + request.query_string)
        if key not in TEXTS:
            return web.Response(status=404, text="no such text")
        return web.Response(text=TEXTS[key])

    app = web.Application()
    app.router.add_get("/text", text)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", hits
    await runner.cleanup()


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def kernel_repo(tmp_path: Path) -> tuple[Path, str, str, str]:
    """A git repo with a buggy commit and its fix: (repo, parent, fix, fix diff)."""
    repo = tmp_path / "linux"
    (repo / "mm").mkdir(parents=True)
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "t@example.org")
    git(repo, "config", "user.name", "t")
    (repo / "Makefile").write_text("all:\n")
    (repo / "mm" / "foo.c").write_text("int foo(int *p)\n{\n\treturn p[4];\n}\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "mm: add foo")
    parent = git(repo, "rev-parse", "HEAD")
    (repo / "mm" / "foo.c").write_text("int foo(int *p)\n{\n\treturn p[3];\n}\n")
    git(repo, "commit", "-qam", "mm: fix foo")
    fix = git(repo, "rev-parse", "HEAD")
    return repo, parent, fix, git(repo, "diff", parent, fix) + "\n"


def make_record(parent: str, fix: str, patch: str, c_repro: str = "/text?tag=ReproC&x=c1"):
    crash = {
        "title": "",
        "syz-reproducer": "/text?tag=ReproSyz&x=s1",
        "c-reproducer": c_repro,
        "kernel-config": "/text?tag=KernelConfig&x=k1",
        "kernel-source-git": f"https://example.org/log/?id={parent}",
        "kernel-source-commit": parent,
        "syzkaller-git": "https://example.org/syzkaller",
        "syzkaller-commit": "0" * 40,
        "compiler-description": "gcc 12",
        "architecture": "amd64",
        "crash-report-link": "/text?tag=CrashReport&x=r1",
    }
    return KBenchRecord.model_validate(
        {
            "version": 1,
            "title": "KASAN: use-after-free Read in foo_read",
            "display-title": "KASAN: use-after-free Read in foo_read",
            "id": "f" * 40,
            "status": "fixed",
            "fix-commits": [
                {"title": "mm: fix foo", "hash": fix, "repo": "git://x/linux.git", "branch": "m"}
            ],
            "crashes": [crash],
            "subsystems": ["mm"],
            "parent_of_fix_commit": parent,
            "patch": patch,
            "patch_modified_files": ["mm/foo.c"],
        }
    )


async def test_import_downloads_once_then_uses_the_cache(dashboard, kernel_repo, tmp_path: Path):
    base_url, hits = dashboard
    repo, parent, fix, patch = kernel_repo
    record = make_record(parent, fix, patch)
    cache = tmp_path / "cache"
    async with Links(base_url, cache) as links:
        bug = await import_record(record, tmp_path / "suite", links, git_url=str(repo))
    assert sorted(hits) == sorted(
        ["/text?tag=ReproC&x=c1", "/text?tag=KernelConfig&x=k1", "/text?tag=CrashReport&x=r1"]
    )
    assert bug.id == record.id and bug.crash_class == "KASAN: use-after-free"
    assert bug.source.kind == "git" and bug.source.url == str(repo) and bug.source.commit == parent
    assert bug.inject_patches() == []
    assert bug.read("repro.c") == TEXTS[("ReproC", "c1")]
    assert bug.config_fragment() == TEXTS[("KernelConfig", "k1")]
    assert bug.origin and bug.origin.kind == "upstream" and bug.origin.fix_commit == fix
    assert (cache / "ReproC" / "c1").read_text() == TEXTS[("ReproC", "c1")]

    hits.clear()
    async with Links(base_url, cache) as links:
        await import_record(record, tmp_path / "again", links, git_url=str(repo))
    assert hits == []
    async with Links("http://127.0.0.1:9", cache, offline=True) as links:
        again = await import_record(record, tmp_path / "offline", links)
    assert again.read("crash-report.txt") == TEXTS[("CrashReport", "r1")]
    assert again.source.url == "git://x/linux.git"


async def test_import_failures_are_reported_per_record(dashboard, kernel_repo, tmp_path: Path):
    base_url, _ = dashboard
    _, parent, fix, patch = kernel_repo
    missing = make_record(parent, fix, patch, c_repro="/text?tag=ReproC&x=gone")
    no_c = make_record(parent, fix, patch, c_repro="")
    no_c_dict = no_c.model_dump(by_alias=True)
    no_c_dict["id"] = "e" * 40
    async with Links(base_url, tmp_path / "cache") as links:
        results = await import_records(
            [missing, KBenchRecord.model_validate(no_c_dict)], tmp_path / "suite", links
        )
    errors = {r.record_id: r.error for r in results}
    assert "HTTP 404" in errors["f" * 40]
    assert "no crash with a C reproducer" in errors["e" * 40]
    async with Links(base_url, tmp_path / "empty", offline=True) as links:
        with pytest.raises(ImportFailed, match="not in the cache"):
            await links.get("/text?tag=ReproC&x=c1")
    async with Links("http://127.0.0.1:9", tmp_path / "empty2") as links:
        with pytest.raises(ImportFailed, match="cannot download"):
            await links.get("/text?tag=ReproC&x=c1")


async def test_git_source_checks_out_the_commit_and_the_fix_applies(
    dashboard, kernel_repo, tmp_path: Path
):
    base_url, _ = dashboard
    repo, parent, fix, patch = kernel_repo
    async with Links(base_url, tmp_path / "cache") as links:
        bug = await import_record(make_record(parent, fix, patch), tmp_path / "s", links, str(repo))
    tree = tmp_path / "tree"
    tree.mkdir()
    subprocess.run(
        f"git -C {bug.source.url} archive {bug.source.commit} | tar -x -C {tree}",
        shell=True,
        check=True,
    )
    assert "p[4]" in (tree / "mm" / "foo.c").read_text()
    subprocess.run(
        ["patch", "-p1", "-F0", "-d", str(tree), "-i", str(bug.path("fix.patch"))],
        check=True,
        capture_output=True,
    )
    assert "p[3]" in (tree / "mm" / "foo.c").read_text()
    saved = json.loads(bug.path("bug.json").read_text())
    assert saved["source"] == {
        "kind": "git",
        "url": str(repo),
        "commit": parent,
        "version": None,
        "path": None,
    }


async def test_build_cache_git_source_resolves_the_imported_commit(
    dashboard, kernel_repo, tmp_path: Path
):
    base_url, _ = dashboard
    repo, parent, fix, patch = kernel_repo
    async with Links(base_url, tmp_path / "cache") as links:
        bug = await import_record(make_record(parent, fix, patch), tmp_path / "s", links, str(repo))
    source = await Sources(tmp_path / "sources").resolve(bug.source)
    assert source.id == f"git-{parent}"
    assert "p[4]" in (source.root / "mm" / "foo.c").read_text()
