"""The wheel is the product: installed into a fresh venv, run from outside the
checkout, it finds its prompts, suites, guest files and web UI, and parses logs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LOG = REPO / "tests" / "data" / "crash_samples" / "report" / "10"

pytestmark = [pytest.mark.wheel, pytest.mark.timeout(900)]


def _run(*args: str | Path, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-4000:])
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict]:
    """A fresh venv with only the built wheel (and its dependencies) in it."""
    uv = shutil.which("uv") or str(Path.home() / ".local/bin/uv")
    work = tmp_path_factory.mktemp("wheel")
    _run(uv, "build", "--wheel", "-o", work / "dist", cwd=REPO)
    (wheel,) = (work / "dist").glob("kgym-*.whl")
    _run(uv, "venv", "--python", "python3", work / "venv", cwd=work)
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "VIRTUAL_ENV": str(work / "venv")}
    env.pop("PYTHONPATH", None)
    _run(uv, "pip", "install", "--python", work / "venv/bin/python", wheel, cwd=work, env=env)
    env["KGYM_HOME"] = str(work / "home")
    return work, env


def test_installed_kgym_parses_a_log_from_outside_the_checkout(installed) -> None:
    work, env = installed
    done = _run(work / "venv/bin/kgym", "parse", LOG, "--json", cwd=work, env=env)
    report = json.loads(done.stdout.splitlines()[0])
    assert report["crashed"] and report["title"].startswith("BUG: unable to handle")


def test_installed_kgym_bench_import_help(installed) -> None:
    work, env = installed
    done = _run(work / "venv/bin/kgym", "bench", "import", "--help", cwd=work, env=env)
    assert "usage:" in done.stdout


def test_installed_packages_find_their_data(installed) -> None:
    """Prompts, suites, the base config, guest files and the UI load from site-packages."""
    work, env = installed
    probe = (
        "import json, graph.prompts, bench.suites, actors.build_cache.kconfig as k, "
        "vmpool.image as i, kgym.front.service.app as a\n"
        "paths = [graph.prompts.PROMPTS_DIR, bench.suites.SUITES_DIR, k.BASE_CONFIG, "
        "i.GUEST_FILES, a.STATIC_DIR]\n"
        "graph.prompts.sections('planner')\n"
        "bug = bench.suites.resolve_bug('kbench-6.1/mpol-parse-str')\n"
        "print(json.dumps([str(p) for p in paths] + [bug.title]))"
    )
    done = _run(work / "venv/bin/python", "-c", probe, cwd=work, env=env)
    *paths, title = json.loads(done.stdout)
    assert all("site-packages" in p and Path(p).exists() for p in paths), paths
    assert not any(p.startswith(str(REPO)) for p in paths)
    assert title == "KASAN: slab-out-of-bounds Write in mpol_parse_str"
