"""kBench records -> runnable bug directories (DESIGN.md, 'Bug records').

A record names its texts by dashboard links (`/text?tag=ReproC&x=...`). `Links`
downloads them from a base URL (the syzbot dashboard by default) into a cache,
so a second import, or one without a network, reads them from disk.

An imported bug is the upstream kernel at the parent of its fix commit (a `git`
source; `git_url` can point at a local mirror), with the crash's syzbot config as
its config fragment, the C reproducer, and the upstream fix as `fix.patch`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import aiohttp

from bench.kbench import KBenchRecord
from kgym.models import BugSpec, FixSpec, OriginSpec, ReproducerSpec, SourceSpec
from kgym.settings import settings

DASHBOARD = "https://syzkaller.appspot.com"
LINUX_GIT = "git://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git"
REPRO_TIMEOUT_S = 300.0

# file in the bug directory <- the crash's link field
LINKED_FILES = {
    "repro.c": "c_reproducer",
    "config": "kernel_config",
    "crash-report.txt": "crash_report_link",
}


class ImportFailed(Exception):
    """A record that cannot become a runnable bug; the message says which and why."""


class Links:
    """Dashboard texts by link, cached under `cache_dir` (default `$KGYM_HOME/kbench-cache`)."""

    def __init__(
        self,
        base_url: str = DASHBOARD,
        cache_dir: Path | None = None,
        offline: bool = False,
        timeout_s: float = 60.0,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.cache_dir = cache_dir or settings().home / "kbench-cache"
        self.offline = offline
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    def cache_path(self, link: str) -> Path:
        """`<tag>/<x>` for dashboard text links, else a hash of the link."""
        query = parse_qs(urlsplit(link).query)
        tag, x = query.get("tag", [""])[0], query.get("x", [""])[0]
        if tag.isalnum() and x.isalnum():
            return self.cache_dir / tag / x
        return self.cache_dir / "other" / hashlib.sha256(link.encode()).hexdigest()[:32]

    async def get(self, link: str) -> str:
        """The text behind `link`, from the cache or downloaded (then cached)."""
        path = self.cache_path(link)
        if path.is_file():
            return path.read_text(errors="replace")
        if self.offline:
            raise ImportFailed(f"{link}: not in the cache ({path}) and downloads are off")
        url = urljoin(self.base_url, link.lstrip("/"))
        try:
            async with self._client().get(url) as response:
                if response.status != 200:
                    raise ImportFailed(f"{url}: HTTP {response.status}")
                text = await response.text(errors="replace")
        except (aiohttp.ClientError, TimeoutError) as e:
            raise ImportFailed(f"{url}: cannot download: {e or type(e).__name__}") from e
        _write_atomic(path, text)
        return text

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> Links:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


@dataclass
class Imported:
    """What became of one record: a bug directory, or why not."""

    record_id: str
    bug: BugSpec | None = None
    error: str | None = None


def repo_url(record: KBenchRecord) -> str:
    """The git repository of the record's fix (where its parent commit lives)."""
    return next((c.repo for c in record.fix_commits if c.repo), None) or LINUX_GIT


async def import_record(
    record: KBenchRecord, out_dir: Path, links: Links, git_url: str | None = None
) -> BugSpec:
    """Write `out_dir/<record id>/` (bug.json, repro.c, config, crash-report.txt, fix.patch)."""
    crash = record.c_crash()
    if crash is None:
        raise ImportFailed(f"{record.id}: no crash with a C reproducer (syz-only reproducers)")
    try:
        texts = {n: await links.get(getattr(crash, f)) for n, f in LINKED_FILES.items()}
    except ImportFailed as e:
        raise ImportFailed(f"{record.id}: {e}") from e
    fix_hashes = record.fix_hashes
    url = git_url or repo_url(record)
    spec = BugSpec(
        id=record.id,
        title=record.title,
        subsystems=record.subsystems,
        crash_class=record.crash_class,
        source=SourceSpec(kind="git", url=url, commit=record.parent_of_fix_commit),
        inject=None,
        reproducer=ReproducerSpec(type="c", file="repro.c", timeout_s=REPRO_TIMEOUT_S),
        config="config",
        fix=FixSpec(file="fix.patch", modified_files=record.patch_modified_files),
        origin=OriginSpec(
            kind="upstream", kbench_id=record.id, fix_commit=fix_hashes[0] if fix_hashes else None
        ),
    )
    bug_dir = out_dir / record.id
    bug_dir.mkdir(parents=True, exist_ok=True)
    for name, text in {**texts, "fix.patch": record.patch}.items():
        _write_atomic(bug_dir / name, text)
    _write_atomic(bug_dir / "bug.json", json.dumps(spec.model_dump(mode="json"), indent=2) + "\n")
    return BugSpec.load(bug_dir)


async def import_records(
    records: list[KBenchRecord],
    out_dir: Path,
    links: Links,
    git_url: str | None = None,
    concurrency: int = 4,
) -> list[Imported]:
    """Import every record (a few downloads at once); failures are reported, not raised."""
    gate = asyncio.Semaphore(concurrency)

    async def one(record: KBenchRecord) -> Imported:
        async with gate:
            try:
                return Imported(record.id, bug=await import_record(record, out_dir, links, git_url))
            except ImportFailed as e:
                return Imported(record.id, error=str(e))

    return list(await asyncio.gather(*(one(r) for r in records)))


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)
