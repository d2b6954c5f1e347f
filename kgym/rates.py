"""The measured reproduction of each bug, per buggy build, under $KGYM_HOME/rates/.

Every `kgym.judge.reproduce` adds its runs (from `kgym repro --runs N`, the
benchmark's reproduction step, `kgym bench validate`), so the rate sharpens as a
bug is used; `kgym verify` reads it for the confidence of its verdict. A record is
keyed by bug id and the buggy kernel's build key (which hashes the source, the
config and the inject patch): a changed bug is measured afresh.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from collections.abc import Iterator
from pathlib import Path

from kgym.models import ReproductionRecord

MAX_BOOT_WARNINGS = 200


class RateStore:
    def __init__(self, home: Path) -> None:
        self.dir = Path(home) / "rates"

    def _path(self, bug: str, build_key: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", bug)[:100]
        if not re.fullmatch(r"[0-9a-f]{1,64}", build_key):
            raise ValueError(f"{build_key!r}: not a build key")
        return self.dir / f"{safe}-{build_key}.json"

    def get(self, bug: str, build_key: str) -> ReproductionRecord | None:
        path = self._path(bug, build_key)
        try:
            return ReproductionRecord.model_validate_json(path.read_text())
        except FileNotFoundError:
            return None
        except ValueError as e:
            raise ValueError(f"{path}: malformed reproduction record: {e}") from e

    def add(
        self,
        bug: str,
        build_key: str,
        runs: int,
        same_crash_runs: int,
        boot_warnings: list[list[str]] | None = None,
        stack_functions: list[str] | None = None,
    ) -> ReproductionRecord:
        """Add `runs` runs (of which `same_crash_runs` reproduced) and the warnings of
        fresh boots; returns the updated record. Safe across processes."""
        with self._locked():
            record = self.get(bug, build_key) or ReproductionRecord(bug=bug, build_key=build_key)
            record.runs += runs
            record.same_crash_runs += same_crash_runs
            for boot in boot_warnings or []:
                record.boots_seen += 1
                known = set(record.boot_warnings)
                record.boot_warnings += [w for w in dict.fromkeys(boot) if w not in known]
            record.boot_warnings = record.boot_warnings[:MAX_BOOT_WARNINGS]
            record.stack_functions = record.stack_functions or list(stack_functions or [])
            path = self._path(bug, build_key)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(record.model_dump_json(indent=1) + "\n")
            os.replace(tmp, path)
            return record

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)
