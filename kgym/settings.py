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


def _default_home() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kgym"


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    home: Path = _default_home()
    # build cache
    jobs: int = os.cpu_count() or 2
    store_max_gb: float = 20.0
    ccache_max_gb: float = 20.0
    # VMs
    vm_pool_size: int = 2
    vm_memory_mb: int = 1024
    vm_cpus: int = 2
    accelerator: Literal["auto", "kvm", "tcg"] = "auto"
    boot_timeout_s: float = 180.0
    # judging
    verify_runs: int = 3
    # LLM
    llm_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_api_key: str | None = None
    llm_temperature: float = 0.2
    llm_timeout_s: float = 120.0
    llm_retries: int = 2
    # the service (`kgym serve`): directories whose bug directories jobs may name, besides
    # the installed suites (os.pathsep-separated)
    serve_bug_dirs: str = ""

    @property
    def ccache_dir(self) -> Path:
        return self.home / "ccache"

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
    def bug_dirs(self) -> list[Path]:
        """`serve_bug_dirs` as paths."""
        return [Path(p) for p in self.serve_bug_dirs.split(os.pathsep) if p.strip()]


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
    return Settings.model_validate(values)


@cache
def settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
