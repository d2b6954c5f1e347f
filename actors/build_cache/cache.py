"""BuildCache: source + config + patches -> a built kernel, cached by content.

A build key hashes (source id, requested options, the files the patches
produce, gcc version). Identical concurrent requests build once; a patched
build reuses the warm tree of its (source, config) and recompiles only what
the patches touch. Failures come back as a BuildResult naming the stage and
the errors, never as an exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from actors.build_cache import diagnostics, kconfig, patch
from actors.build_cache.checkpatch import checkpatch
from actors.build_cache.proc import CommandFailed, run
from actors.build_cache.sources import Source, SourceFailed, Sources
from actors.build_cache.store import ArtifactStore, Locks, SingleFlight, publish
from actors.build_cache.tree import Tree, changes_the_build
from kgym import sandbox
from kgym.log import get_logger
from kgym.models import (
    BuildRequest,
    BuildResult,
    BuildStage,
    CheckpatchResult,
    Diagnostic,
    PatchError,
)
from kgym.sandbox import SandboxError
from kgym.settings import Settings
from kgym.settings import settings as default_settings

LOG_TAIL = 4000
MAX_CHECKOUTS = 32
BUILD_ENV = {
    "KBUILD_BUILD_TIMESTAMP": "2024-01-01",
    "KBUILD_BUILD_USER": "kgym",
    "KBUILD_BUILD_HOST": "kgym",
    "LANG": "C.UTF-8",
    "CCACHE_NOHASHDIR": "1",
}


@dataclass(frozen=True)
class Plan:
    """What a request means, worked out before anything is written."""

    source: Source
    wanted: dict[str, str]
    changes: dict[str, str | None]
    changes_hash: str
    tree_key: str
    key: str


class Stop(Exception):
    """A request that fails at `stage`; `fields` go into the BuildResult."""

    def __init__(self, stage: BuildStage, **fields):
        super().__init__(stage)
        self.stage = stage
        self.fields = fields

    def result(self) -> BuildResult:
        return BuildResult(**{"key": "", **self.fields, "ok": False, "failed_stage": self.stage})


class BuildCache:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or default_settings()
        home = self.settings.home
        self.sources = Sources(self.settings.sources_dir)
        self.store = ArtifactStore(self.settings.store_dir, int(self.settings.store_max_gb * 2**30))
        self.checkouts_dir = home / "checkouts"
        self.flight = SingleFlight()
        self.log = get_logger("build_cache")
        self.env = sandbox.safe_env(  # what make sees of the host's environment
            {
                **BUILD_ENV,
                "CCACHE_DIR": str(self.settings.ccache_dir),
                "CCACHE_BASEDIR": str(home),
                "CCACHE_MAXSIZE": f"{self.settings.ccache_max_gb}G",
            }
        )
        self._toolchain: str | None = None
        self._tree_locks = Locks()

    # --- public API ---------------------------------------------------------------

    async def build(self, request: BuildRequest) -> BuildResult:
        """Build the kernel of `request`, or fetch it from the store."""
        t0 = time.monotonic()
        try:
            plan = await self._plan(request)
            if art := self.store.get(plan.key):
                self.log.info("build.cache_hit", key=plan.key)
                return BuildResult(
                    ok=True,
                    key=plan.key,
                    artifacts=art,
                    cache_hit=True,
                    duration_s=time.monotonic() - t0,
                )
            result = await self.flight.do(plan.key, lambda: self._build(plan))
        except Stop as s:
            result = s.result()
        except (OSError, SandboxError) as e:
            result = _host_failure(e)
        return result.model_copy(update={"duration_s": time.monotonic() - t0})

    async def compile_check(self, request: BuildRequest, files: list[str]) -> BuildResult:
        """Apply the patches and compile only the objects of `files` (.c or .S) in a warm tree."""
        t0 = time.monotonic()
        try:
            plan = await self._plan(request)
            targets = self._objects(plan, files)
            result = await self._in_tree(plan, targets)
        except Stop as s:
            result = s.result()
        except (OSError, SandboxError) as e:
            result = _host_failure(e)
        return result.model_copy(update={"duration_s": time.monotonic() - t0})

    async def compile_warnings(self, request: BuildRequest, files: list[str]) -> BuildResult:
        """Compile the objects of `files` afresh (removed first, so the compiler really
        speaks) with the patches applied: the diagnostics of exactly these files."""
        t0 = time.monotonic()
        try:
            plan = await self._plan(request)
            result = await self._in_tree(plan, self._objects(plan, files), fresh=True)
        except Stop as s:
            result = s.result()
        return result.model_copy(update={"duration_s": time.monotonic() - t0})

    async def checkpatch(
        self, request: BuildRequest, patch_text: str, timeout_s: float = 120.0
    ) -> CheckpatchResult:
        """The tree's scripts/checkpatch.pl on `patch_text`, in the checkout of `request`."""
        try:
            tree = await self.checkout(request)
        except ValueError as e:
            return CheckpatchResult(ok=False, failure=f"no tree to check against: {e}")
        return await checkpatch(Path(tree), patch_text, timeout_s)

    async def holds(self, request: BuildRequest) -> str | None:
        """What this cache holds for `request`: "artifact" (its kernel is in the store),
        "tree" (the warm tree of its source and config), or None. Cheap: it never
        unpacks or fetches a source."""
        try:
            source = await self.sources.present(request.source)
            if source is None:
                return None
            plan = await self._plan(request, source=source)
        except (Stop, SourceFailed, CommandFailed):
            return None
        if (self.settings.store_dir / plan.key / "meta.json").is_file():
            return "artifact"
        if (self.settings.trees_dir / plan.tree_key / "built").exists():
            return "tree"
        return None

    async def tree_key(self, request: BuildRequest) -> str:
        """The name of the warm tree `request` builds in (`trees/<key>`)."""
        try:
            return (await self._plan(request)).tree_key
        except Stop as s:
            raise ValueError("; ".join(s.result().error_messages())) from None

    async def checkout(self, request: BuildRequest) -> str:
        """A tree of the source with the patches applied (for reading); raises ValueError if bad."""
        try:
            plan = await self._plan(request, config=False)
        except Stop as s:
            raise ValueError("; ".join(s.result().error_messages())) from None
        return await self._checkout(plan)

    async def tree(self, request: BuildRequest) -> tuple[Source, list[str], Path]:
        """The source of `request`, the files its patches change, and the patched tree."""
        try:
            plan = await self._plan(request, config=False)
        except Stop as s:
            raise ValueError("; ".join(s.result().error_messages())) from None
        return plan.source, sorted(plan.changes), Path(await self._checkout(plan))

    # --- planning -----------------------------------------------------------------

    async def _plan(
        self, request: BuildRequest, config: bool = True, source: Source | None = None
    ) -> Plan:
        if source is None:
            with self._stage("source", request=request.source.kind):
                try:
                    source = await self.sources.resolve(request.source)
                except (SourceFailed, CommandFailed) as e:
                    raise Stop(BuildStage.SOURCE, log_tail=str(e)) from None
            with self._stage("patch", patches=len(request.patches)):
                changes = await asyncio.to_thread(_changes, request.patches, source.root)
        else:  # a quiet plan (holds): no stage events
            changes = await asyncio.to_thread(_changes, request.patches, source.root)
        wanted: dict[str, str] = {}
        if config:
            try:
                wanted = kconfig.requested(kconfig.fragment(request.config_fragment))
            except kconfig.ConfigFailed as e:
                raise Stop(BuildStage.CONFIG, config_errors=e.errors) from None
        toolchain = await self._gcc()
        changes_hash = _hash(
            {p: None if t is None else _hash(t) for p, t in sorted(changes.items())}
        )
        tree_key = f"{source.id}-{_hash([source.id, kconfig.digest(wanted), toolchain])[:12]}"
        return Plan(
            source, wanted, changes, changes_hash, tree_key, _hash([tree_key, changes_hash])[:24]
        )

    def _objects(self, plan: Plan, files: list[str]) -> list[str]:
        """The object targets of `files`; Stop(BUILD) naming any that is not a source file."""

        def present(f: str) -> bool:
            return (
                plan.changes[f] is not None
                if f in plan.changes
                else (plan.source.root / f).is_file()
            )

        bad = [
            Diagnostic(file=f, message="not a .c or .S file of the patched tree")
            for f in files
            if not f.endswith((".c", ".S"))
            or patch.check_paths([patch.FilePatch(f, f)], plan.source.root)
            or not present(f)
        ]
        if bad or not files:
            raise Stop(
                BuildStage.BUILD,
                diagnostics=bad,
                log_tail="no files to compile" if not files else "",
            )
        return [f[:-2] + ".o" for f in files]

    # --- building -----------------------------------------------------------------

    async def _build(self, plan: Plan) -> BuildResult:
        checkout = asyncio.ensure_future(self._checkout(plan))  # I/O, alongside the compiler
        try:
            return await self._in_tree(plan, ["bzImage", "vmlinux"], checkout)
        finally:
            await asyncio.gather(checkout, return_exceptions=True)

    async def _in_tree(
        self,
        plan: Plan,
        targets: list[str],
        checkout: asyncio.Future | None = None,
        fresh: bool = False,
    ) -> BuildResult:
        """Build `targets` in the warm tree with the patch applied; store if `checkout` is given."""
        store = checkout is not None
        root = self.settings.trees_dir / plan.tree_key
        lock = self._tree_locks(root)
        tree = Tree(
            root, plan.source, plan.wanted, self.env, self.settings.jobs, lock,
            ccache=self.settings.ccache_dir,
        )  # fmt: skip
        waited = time.monotonic()
        async with tree.locked():
            waited = round(time.monotonic() - waited, 3)
            self.log.info("build.stage", stage="lock", tree=plan.tree_key, duration_s=waited)
            if store and (art := self.store.get(plan.key)):
                return BuildResult(ok=True, key=plan.key, artifacts=art, cache_hit=True)
            log = tree.root / "build.log"
            log.write_text("")
            with self._stage("config", tree=plan.tree_key):
                try:
                    await tree.prepare(log)
                except kconfig.ConfigFailed as e:
                    raise Stop(
                        BuildStage.CONFIG, key=plan.key, config_errors=e.errors, log_tail=_tail(log)
                    ) from None
                except CommandFailed as e:
                    if _host_trouble(e.output):
                        raise OSError(f"configuring: {_host_trouble(e.output)}") from None
                    raise Stop(
                        BuildStage.CONFIG,
                        key=plan.key,
                        config_errors=["configuring failed (see the log tail)"],
                        log_tail=_tail(log),
                    ) from None
            incremental = tree.built
            try:
                try:
                    tree.apply(plan.changes)
                except patch.PatchFailed as e:
                    raise Stop(BuildStage.PATCH, key=plan.key, patch_errors=e.errors) from None
                for target in targets if fresh else []:
                    (tree.build / target).unlink(missing_ok=True)
                scratch = changes_the_build(list(plan.changes))
                async with tree.scratch_build(scratch):
                    result = await self._make(plan, tree, targets, log, incremental, checkout)
                if store and result.ok and not scratch:
                    (tree.root / "built").touch()  # build/ itself holds a full build now
                return result
            finally:
                await asyncio.to_thread(tree.restore)

    async def _make(
        self,
        plan: Plan,
        tree: Tree,
        targets: list[str],
        log: Path,
        incremental: bool,
        checkout: asyncio.Future | None,
    ) -> BuildResult:
        """make `targets` in the patched tree; the result, stored if `checkout` is given."""
        with self._stage(
            "build", key=plan.key, targets=targets, incremental=incremental,
            scratch=tree.scratch is not None,
        ) as event:  # fmt: skip
            code, out = await tree.make(targets, log, check=False)
            event["ok"] = code == 0
        diags = diagnostics.parse(out, tree.src, tree.build)
        if code and (trouble := _host_trouble(out)):
            raise OSError(f"make: {trouble}")
        result = BuildResult(
            ok=code == 0,
            key=plan.key,
            failed_stage=BuildStage.BUILD if code else None,
            incremental=incremental,
            diagnostics=diags,
            log_tail=out[-LOG_TAIL:],
        )
        if checkout is not None and result.ok:
            with self._stage("store", key=plan.key):
                files = {**tree.artifacts(), "build_log": log}
                result.artifacts = await asyncio.to_thread(
                    self.store.put, plan.key, files, await checkout
                )
        return result

    async def _checkout(self, plan: Plan) -> str:
        if not plan.changes:
            return str(plan.source.root)
        final = self.checkouts_dir / f"{plan.source.id}-{plan.changes_hash[:16]}"

        async def make() -> str:
            if final.exists():
                os.utime(final)
                return str(final)
            self.checkouts_dir.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(dir=self.checkouts_dir, prefix=".tmp-"))
            tmp.rmdir()
            with self._stage("checkout", path=str(final)):
                await run(["cp", "-al" if plan.source.owned else "-a", plan.source.root, tmp])
                await asyncio.to_thread(patch.write, tmp, plan.changes)
                publish(tmp, final)
            await asyncio.to_thread(self._evict_checkouts, final)
            return str(final)

        return await self.flight.do(f"checkout:{final}", make)

    def _evict_checkouts(self, keep: Path) -> None:
        """Keep the MAX_CHECKOUTS most recently used checkouts. A `.tmp-` directory is
        another checkout being made (it may be renamed away while we look): left alone."""
        used = []
        for entry in self.checkouts_dir.iterdir():
            if entry.name.startswith("."):
                continue
            with contextlib.suppress(FileNotFoundError):  # evicted by another process
                used.append((entry.stat().st_mtime, entry))
        used.sort(reverse=True)
        for _, old in used[MAX_CHECKOUTS:]:
            if old != keep:
                shutil.rmtree(old, ignore_errors=True)

    async def _gcc(self) -> str:
        if self._toolchain is None:
            _, out = await run(["gcc", "--version"])
            self._toolchain = out.splitlines()[0]
        return self._toolchain

    @contextlib.contextmanager
    def _stage(self, stage: str, **fields):
        """Log one `build.stage` event with its duration; the body may add fields to it."""
        t0 = time.monotonic()
        try:
            yield fields
        except Stop as s:
            fields.update(ok=False, failed=s.stage)
            raise
        finally:
            fields.setdefault("ok", True)
            duration = round(time.monotonic() - t0, 3)
            self.log.info("build.stage", stage=stage, duration_s=duration, **fields)


def _changes(patches: list[str], root: Path) -> dict[str, str | None]:
    """Parse, check and apply (in memory) the patches; raises Stop(PATCH) with every error."""
    try:
        parsed = []
        for n, text in enumerate(patches, 1):
            if not text.strip():
                raise patch.PatchFailed([PatchError(message=f"patch {n} is empty")])
            parsed.append(patch.parse(text))
        if errors := [e for files in parsed for e in patch.check_paths(files, root)]:
            raise patch.PatchFailed(errors)
        changes = patch.apply(parsed, patch.read_file(root))
        if errors := patch.check_changes(changes):
            raise patch.PatchFailed(errors)
        return changes
    except patch.PatchFailed as e:
        raise Stop(BuildStage.PATCH, patch_errors=e.errors) from None


HOST_TROUBLE = ("No space left on device", "Disk quota exceeded")


def _host_trouble(output: str) -> str | None:
    """The host's problem a failed command reports (not the patch's), if any."""
    return next((t for t in HOST_TROUBLE if t in output), None)


def _host_failure(e: Exception) -> BuildResult:
    """A build the host could not do (disk full, no sandbox): the stage is `host`."""
    get_logger("build_cache").warning("build.host_failure", error=str(e))
    return BuildResult(ok=False, key="", failed_stage=BuildStage.HOST, log_tail=f"host: {e}")


def _hash(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return hashlib.sha256(text.encode(errors="surrogateescape")).hexdigest()


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-LOG_TAIL:]
