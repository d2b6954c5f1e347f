"""Settings: defaults, then an optional TOML file, then `KGYM_*` environment variables.

The TOML file is `$KGYM_CONFIG`, else `$KGYM_HOME/kgym.toml` when it exists.
Every field `name` reads the environment variable `KGYM_NAME`.
"""

from __future__ import annotations

import os
import tomllib
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict


def _default_data_dir() -> Path:
    """`shared/data` beside the checkout (a sibling of the repository): the documented
    default; an installed kgym sets KGYM_DATA_DIR."""
    return Path(__file__).resolve().parents[2] / "shared" / "data"


def _default_home() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kgym"


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    home: Path = _default_home()
    data_dir: Path = _default_data_dir()  # kBench records, labelled crash logs
    # build cache
    jobs: int = os.cpu_count() or 2
    store_max_gb: float = 20.0
    ccache_max_gb: float = 20.0
    build_slots: int | None = None  # builds at once on this node; None: cores // jobs
    ccache: Path | None = None  # the ccache directory; None: $CCACHE_DIR, else home/ccache
    # VMs
    vm_pool_size: int | None = None  # VMs at once on this node; None: from cores and memory
    vm_memory_mb: int = 1024
    vm_cpus: int = 2
    accelerator: Literal["auto", "kvm", "tcg"] = "auto"
    boot_timeout_s: float = 180.0
    # judging
    verify_runs: int = 3
    target_confidence: float = 0.99  # `kgym verify --runs auto` picks R for this
    max_verify_runs: int = 30  # the most runs `--runs auto` may choose
    rate_runs: int = 3  # buggy-kernel runs to measure the reproduction rate when none is known
    quality_checks: bool = True  # checkpatch, compiler and boot warnings beside verdicts
    checkpatch_timeout_s: float = 120.0
    # LLM
    llm_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_api_key: str | None = None
    llm_temperature: float = 0.2
    llm_timeout_s: float = 120.0
    llm_retries: int = 2
    llm_context_tokens: int = 128_000  # the model's context window: the agent compacts before it

    # scale-out
    unit_retries: int = 2  # moves of a unit of work to another node when its node dies

    # the service (`kgym serve`): directories whose bug directories jobs may name, besides
    # the installed suites (os.pathsep-separated)
    serve_bug_dirs: str = ""

    @property
    def ccache_dir(self) -> Path:
        return self.ccache or self.home / "ccache"

    def vm_slots(self) -> int:
        """VMs this node runs at once: `vm_pool_size`, else one per core that memory allows."""
        if self.vm_pool_size is not None:
            return self.vm_pool_size
        by_memory = _memory_mb() // (self.vm_memory_mb + VM_OVERHEAD_MB)
        return max(1, min(os.cpu_count() or 1, by_memory))

    def build_slot_count(self) -> int:
        """Builds this node runs at once: `build_slots`, else one per `jobs` cores."""
        if self.build_slots is not None:
            return self.build_slots
        return max(1, (os.cpu_count() or 1) // max(1, self.jobs))

    @property
    def sources_dir(self) -> Path:
        return self.home / "sources"

    @property
    def trees_dir(self) -> Path:
        return self.home / "trees"

    @property
    def store_dir(self) -> Path:
        return self.home / "store"

    @property
    def runs_dir(self) -> Path:
        return self.home / "runs"

    @property
    def kbench_dir(self) -> Path:
        """kBench's records (MIT), `Kernel_Benchmark/` and `Kernel_Benchmark_C_Repro/`."""
        return self.data_dir / "kbench"

    @property
    def crash_logs_dir(self) -> Path:
        """syzkaller's labelled crash logs (Apache-2.0): the parser's development set."""
        return self.data_dir / "syzkaller-linux-reports"

    @property
    def bug_dirs(self) -> list[Path]:
        """`serve_bug_dirs` as paths."""
        return [Path(p) for p in self.serve_bug_dirs.split(os.pathsep) if p.strip()]


VM_OVERHEAD_MB = 512  # QEMU's own memory beside the guest's, with room for the host


def _memory_mb() -> int:
    """Available memory of this machine in MiB (MemAvailable), or 0 if unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Build Settings from the TOML file and `KGYM_*` variables of `env` (default: os.environ)."""
    env = dict(os.environ if env is None else env)
    home = Path(env.get("KGYM_HOME") or _default_home())
    values: dict[str, object] = {}
    toml_path = Path(env["KGYM_CONFIG"]) if env.get("KGYM_CONFIG") else home / "kgym.toml"
    if toml_path.is_file():
        try:
            values.update(tomllib.loads(toml_path.read_text()))
        except tomllib.TOMLDecodeError as e:
            raise ValueError(f"{toml_path}: malformed settings file: {e}") from e
    for name in Settings.model_fields:
        key = f"KGYM_{name.upper()}"
        if env.get(key):
            values[name] = env[key]
    values.setdefault("home", home)
    if env.get("CCACHE_DIR"):
        values.setdefault("ccache", env["CCACHE_DIR"])
    return Settings.model_validate(values)


@cache
def settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
