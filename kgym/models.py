"""The data every part shares: pydantic models that serialise to JSON.

What crosses an actor boundary is one of these. Big blobs (kernels, console
logs) travel as paths into the artifact store, never by value.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field


class Model(BaseModel):
    """Base: strict about unknown fields so a typo in a record is an error."""

    model_config = ConfigDict(extra="forbid")


# --- sources, builds ---------------------------------------------------------


class SourceSpec(Model):
    """Where a kernel tree comes from."""

    kind: Literal["debian-linux-source", "git", "dir"]
    version: str | None = None  # debian-linux-source: e.g. "6.1"
    url: str | None = None  # git: a URL or a local mirror path
    commit: str | None = None  # git
    path: str | None = None  # dir


class BuildRequest(Model):
    """Build `source` with the base config + `config_fragment`, after `patches` in order."""

    source: SourceSpec
    config_fragment: str = ""
    patches: list[str] = Field(default_factory=list)


class PatchError(Model):
    """A patch that cannot be used: where and why."""

    file: str | None = None
    hunk: int | None = None  # 1-based hunk number within `file`
    message: str


class Diagnostic(Model):
    """One compiler or linker diagnostic."""

    file: str
    line: int | None = None
    column: int | None = None
    severity: Literal["error", "warning", "fatal error", "note"] = "error"
    message: str


class KernelArtifacts(Model):
    """A built kernel in the artifact store (paths on the node that built it)."""

    key: str
    dir: str
    bzimage: str
    vmlinux: str
    config: str
    build_log: str
    source_dir: str | None = None  # the (patched) tree the kernel was built from


class BuildStage(StrEnum):
    SOURCE = "source"
    PATCH = "patch"
    CONFIG = "config"
    BUILD = "build"
    HOST = "host"  # the host failed (disk full, sandbox missing): says nothing about the patch


class BuildResult(Model):
    """The outcome of BuildCache.build: artifacts, or the stage that failed and why."""

    ok: bool
    key: str
    artifacts: KernelArtifacts | None = None
    cache_hit: bool = False
    incremental: bool = False
    duration_s: float = 0.0
    failed_stage: BuildStage | None = None
    patch_errors: list[PatchError] = Field(default_factory=list)
    config_errors: list[str] = Field(default_factory=list)
    diagnostics: list[Diagnostic] = Field(default_factory=list)
    log_tail: str = ""
    node: str | None = None  # the Ray node id that built it (None: in this process)

    @property
    def applied(self) -> bool:
        return self.failed_stage not in (BuildStage.SOURCE, BuildStage.PATCH, BuildStage.HOST)

    def error_messages(self) -> list[str]:
        """One line per problem, for people and for the agent."""
        out = [
            f"patch: {e.file or '?'}" + (f" hunk #{e.hunk}" if e.hunk else "") + f": {e.message}"
            for e in self.patch_errors
        ]
        out += [f"config: {m}" for m in self.config_errors]
        out += [
            f"build: {d.file}:{d.line or 0}: {d.severity}: {d.message}"
            for d in self.diagnostics
            if d.severity in ("error", "fatal error")
        ]
        if not out and not self.ok:
            out.append(f"{self.failed_stage}: failed; log tail:\n{self.log_tail[-2000:]}")
        return out


# --- crash reports -------------------------------------------------------------


class Frame(Model):
    """One stack frame of a report."""

    function: str
    offset: str | None = None  # "0x92/0xb0"
    module: str | None = None
    file: str | None = None  # from symbolisation
    line: int | None = None
    inline: bool = False


class CrashReport(Model):
    """A console log read the way syzbot reads it."""

    crashed: bool
    title: str | None = None
    alt_titles: list[str] = Field(default_factory=list)
    type: str | None = None
    frames: list[Frame] = Field(default_factory=list)
    guilty_file: str | None = None
    corrupted: bool = False
    corrupted_reason: str | None = None
    suppressed: bool = False
    report: str = ""

    def titles(self) -> set[str]:
        return {t for t in [self.title, *self.alt_titles] if t}

    def same_bug(self, other: CrashReport | str) -> bool:
        """syzbot's deduplication rule: the title sets (title + alt titles) intersect."""
        theirs = {other} if isinstance(other, str) else other.titles()
        return bool(self.titles() & theirs)


# --- VM runs -------------------------------------------------------------------


class RunOutcome(StrEnum):
    CRASHED = "crashed"
    NO_CRASH = "no_crash"
    BOOT_FAILURE = "boot_failure"
    NO_OUTPUT = "no_output"
    LOST_CONNECTION = "lost_connection"
    TIMEOUT = "timeout"
    INFRA_ERROR = "infra_error"


class ReproducerSpec(Model):
    """How to run a reproducer: a C program (compiled static on the host) or a shell script."""

    type: Literal["c", "sh"]
    file: str
    repeats: int = Field(default=1, ge=1, le=10_000)  # times the guest runs it per VM run
    timeout_s: float = Field(default=60.0, gt=0, le=24 * 3600)
    leak_check: bool = False  # scan kmemleak after the runs (slow: for memory-leak bugs)


class RunRequest(Model):
    """Boot `bzimage` and run the reproducer once (it may loop `repeats` times inside)."""

    bzimage: str
    reproducer: ReproducerSpec
    reproducer_dir: str  # where `reproducer.file` lives on the host
    vmlinux: str | None = None  # to symbolise the report
    run_id: str = ""


class RunResult(Model):
    """One VM run: what happened, and where its console log is."""

    outcome: RunOutcome
    accelerator: Literal["kvm", "tcg"] | None = None
    console_log: str | None = None  # path on the node
    boot_s: float | None = None
    run_s: float | None = None
    message: str = ""  # what went wrong, for infra errors and boot failures
    report: CrashReport | None = None
    exit_code: int | None = None  # the reproducer's exit status (last repeat that completed)
    retried_after: str = ""  # this run is the retry of one that failed on the host: why
    booted: bool = False  # the guest came up and the reproducer was started
    boot_warnings: list[str] | None = None  # a fresh boot's warning lines (kgym.quality)
    node: str | None = None  # the Ray node id whose VM ran it (None: in this process)


# --- bugs ----------------------------------------------------------------------


class FixSpec(Model):
    file: str = "fix.patch"
    modified_files: list[str] = Field(default_factory=list)


class OriginSpec(Model):
    # upstream: a kBench bug imported at its own commit (the fix's parent), nothing reverted
    kind: Literal["reverted-upstream-fix", "planted", "upstream"]
    kbench_id: str | None = None
    fix_commit: str | None = None


class ReproductionFigures(Model):
    """A suite's measured reproduction of a bug (`kgym bench validate`): the prior of
    its rate until this machine has recorded runs of its own (kgym.rates)."""

    runs: int = Field(ge=1)
    reproduced: int = Field(ge=0)


class BugSpec(Model):
    """A runnable bug: `bug.json` of DESIGN.md's bug-record format."""

    id: str
    title: str
    subsystems: list[str] = Field(default_factory=list)
    crash_class: str | None = None
    source: SourceSpec
    inject: str | None = "inject.patch"
    reproducer: ReproducerSpec
    config: str | None = None
    fix: FixSpec | None = None
    origin: OriginSpec | None = None
    reproduction: ReproductionFigures | None = None
    dir: str = Field(default="", exclude=True)  # where it was loaded from

    @classmethod
    def load(cls, bug_dir: str | Path) -> BugSpec:
        """Read `bug_dir/bug.json`; raises ValueError naming the file on bad input."""
        path = Path(bug_dir) / "bug.json"
        try:
            spec = cls.model_validate_json(path.read_text())
        except FileNotFoundError as e:
            raise ValueError(f"{path}: no such bug record") from e
        except ValueError as e:
            raise ValueError(f"{path}: malformed bug record: {e}") from e
        spec.dir = str(Path(bug_dir).resolve())
        return spec

    def path(self, name: str) -> Path:
        """`name` in the bug directory; ValueError if it leads out of it (`/etc/passwd`)."""
        base = Path(self.dir).resolve()
        path = (base / name).resolve()
        if base not in path.parents:
            raise ValueError(f"{self.dir}: {name!r} is outside the bug directory")
        return path

    def read(self, name: str | None) -> str:
        """The text of file `name` of the bug ("" for None); ValueError naming what is wrong."""
        if not name:
            return ""
        path = self.path(name)
        try:
            return path.read_text()
        except FileNotFoundError:
            raise ValueError(f"{path}: no such file (named in bug.json)") from None
        except (OSError, UnicodeDecodeError) as e:
            raise ValueError(f"{path}: cannot read it: {e}") from None

    def problems(self) -> list[str]:
        """What keeps this record from running: files missing, unreadable, empty or outside
        the bug directory (inject, config, reproducer)."""
        out = []
        for name in (self.inject, self.config, self.reproducer.file):
            if not name:
                continue
            try:
                if not self.read(name).strip() and name != self.config:
                    out.append(f"{self.path(name)}: file is empty")
            except ValueError as e:
                out.append(str(e))
        return out

    def check(self) -> BugSpec:
        """Self, or ValueError listing every problem (see `problems`)."""
        if problems := self.problems():
            raise ValueError("; ".join(problems))
        return self

    def config_fragment(self) -> str:
        return self.read(self.config)

    def inject_patches(self) -> list[str]:
        return [self.read(self.inject)] if self.inject else []


# --- placement ------------------------------------------------------------------


class Placement(Model):
    """Where a unit of work (a build plus its runs) ran, and how often it had to move."""

    node: str | None = None
    retries: int = 0
    retry_reasons: list[str] = Field(default_factory=list)
    placement_s: float = 0.0  # time spent choosing nodes


# --- verdicts ------------------------------------------------------------------


class Quality(Model):
    """Patch-quality checks beside a verdict (DESIGN.md, 'Verdicts'). A count is None
    when it could not be measured (the reason is in `notes`)."""

    hunks: int
    files: int
    checkpatch_errors: int | None = None
    checkpatch_warnings: int | None = None
    new_compiler_warnings: int | None = None
    new_boot_warnings: int | None = None
    silences_symptom: bool = False
    silencing_reason: str | None = None  # "<rule>: <what>", see kgym.quality
    checkpatch_messages: list[str] = Field(default_factory=list)
    compiler_warning_lines: list[str] = Field(default_factory=list)  # the new ones
    boot_warning_lines: list[str] = Field(default_factory=list)  # the new ones
    notes: list[str] = Field(default_factory=list)

    CONTRACT: ClassVar[tuple[str, ...]] = (
        "hunks",
        "files",
        "checkpatch_errors",
        "checkpatch_warnings",
        "new_compiler_warnings",
        "new_boot_warnings",
        "silences_symptom",
        "silencing_reason",
    )

    def contract(self) -> dict:
        """The keys of the `quality` object of `kgym verify --json` and results.jsonl."""
        return {k: getattr(self, k) for k in self.CONTRACT}


class CheckpatchResult(Model):
    """scripts/checkpatch.pl of the tree, run on a patch."""

    ok: bool  # the script ran and printed its summary
    errors: int = 0
    warnings: int = 0
    checks: int = 0
    messages: list[str] = Field(default_factory=list)  # "ERROR: ..." / "WARNING: ..." lines
    failure: str | None = None  # why it did not run

    @property
    def clean(self) -> bool:
        """It ran, and found no error and no warning."""
        return self.ok and self.errors == 0 and self.warnings == 0


class ReproductionRecord(Model):
    """The measured reproduction of one bug on one buggy build (kgym.rates)."""

    bug: str
    build_key: str
    runs: int = 0  # runs that booted and ran the reproducer
    same_crash_runs: int = 0  # of which crashed with the bug's title
    boot_warnings: list[str] = Field(default_factory=list)  # seen on the buggy kernel's boots
    boots_seen: int = 0  # fresh boots whose warnings are in `boot_warnings`
    stack_functions: list[str] = Field(default_factory=list)  # of a report naming the bug

    @property
    def rate(self) -> float | None:
        return self.same_crash_runs / self.runs if self.runs else None


class Verdict(Model):
    """The platform's judgement of a patch (DESIGN.md, 'Verdicts')."""

    bug: str
    applied: bool
    built: bool
    booted: bool
    runs: int
    crashed_runs: int
    resolved: bool
    title: str | None = None  # the crash title seen, if any
    same_crash_runs: int = 0  # crashes whose report names the bug (title sets intersect)
    infra_error: bool = False
    errors: list[str] = Field(default_factory=list)
    build: BuildResult | None = None
    run_results: list[RunResult] = Field(default_factory=list)
    duration_s: float = 0.0
    boot_failure: bool = False  # the patched kernel did not boot (`title` says how)
    reproduction_rate: float | None = None  # of the buggy kernel, measured
    reproduction_runs: int = 0  # the runs that rate was measured on
    confidence: float | None = None  # that the patched kernel is fixed (kgym.confidence)
    quality: Quality | None = None
    notes: list[str] = Field(default_factory=list)  # how figures were had (not problems)
    node: str | None = None  # the Ray node id that built and booted it (None: in this process)
    retries: int = 0  # times the work moved to another node (a node or its actors died)
    retry_reasons: list[str] = Field(default_factory=list)

    @property
    def accelerator(self) -> str | None:
        return next((r.accelerator for r in self.run_results if r.accelerator), None)


# --- code reading, history, submission (the agent's platform-side tools) --------


class CodeQuery(Model):
    """A question to a buggy tree's code index (or a bounded grep)."""

    kind: Literal["definition", "references", "callers", "struct", "grep"]
    name: str  # a C identifier; for grep, a regex (ripgrep syntax)
    path: str = "."  # the part of the tree to look in (relative to its root)
    limit: int = 40


class CodeHit(Model):
    file: str  # relative to the tree
    line: int
    text: str = ""
    kind: str | None = None  # ctags kind: function, struct, macro...
    scope: str | None = None  # the enclosing function (callers)
    end: int | None = None  # last line of a definition


class CodeAnswer(Model):
    hits: list[CodeHit] = Field(default_factory=list)
    truncated: bool = False
    note: str = ""  # e.g. "index built in 61.2 s", "stopped at 40 matches"
    text: str = ""  # struct: the definition's source


class HistoryQuery(Model):
    """A question to the tree's git history: log/blame of a function or lines, or Fixes:."""

    kind: Literal["log", "blame", "fixes"]
    file: str = ""
    function: str | None = None
    start: int | None = None
    end: int | None = None
    patch: str = ""  # fixes: the patch whose changed lines we look up
    limit: int = 10


class Commit(Model):
    sha: str
    subject: str
    author: str = ""
    date: str = ""


class HistoryAnswer(Model):
    available: bool  # False: the source has no history (Debian's tarball, a directory)
    note: str = ""
    commits: list[Commit] = Field(default_factory=list)
    text: str = ""  # blame: one line per source line, "sha12 N: code"
    fixes: str | None = None  # the `Fixes:` line, when one was found and checked


class Submission(Model):
    """What `git format-patch` needs besides the patch."""

    patch: str
    subject: str
    body: str  # the commit message body, trailers included
    author: str  # "Name <email>"
    to: list[str] = Field(default_factory=list)
    cc: list[str] = Field(default_factory=list)
