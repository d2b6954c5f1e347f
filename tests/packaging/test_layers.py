"""The layers of DESIGN.md are an import-linter contract; a wrong import breaks it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("kgym", "actors", "vmpool", "graph", "bench")
LINT = Path(sys.executable).parent / "lint-imports"


def _lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for name in PACKAGES:
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


def test_the_contract_holds() -> None:
    done = _lint(REPO)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "BROKEN" not in done.stdout


def test_a_domain_module_importing_the_front_door_breaks_it(tmp_path) -> None:
    root = _copy(tmp_path)
    qemu = root / "vmpool" / "qemu.py"
    qemu.write_text(qemu.read_text() + "\nfrom kgym.front.commands import common  # wrong\n")
    done = _lint(root)
    assert done.returncode != 0
    assert "vmpool.qemu -> kgym.front.commands.common" in done.stdout


def test_the_foundation_importing_ray_breaks_it(tmp_path) -> None:
    root = _copy(tmp_path)
    models = root / "kgym" / "models.py"
    models.write_text(models.read_text() + "\nimport ray  # wrong\n")
    done = _lint(root)
    assert done.returncode != 0 and "kgym.models -> ray" in done.stdout


def test_every_foundation_module_is_in_a_layer() -> None:
    """kgym/*.py modules are listed one by one (a layer cannot contain another); a new
    module must join the foundation's layer, or it would be unchecked."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = " ".join(config["contracts"][0]["layers"])
    listed = {name.strip() for name in layers.replace("|", " ").replace(":", " ").split()}
    modules = {f"kgym.{p.stem}" for p in (REPO / "kgym").glob("*.py") if p.stem != "__init__"}
    assert modules <= listed, f"not in any layer: {sorted(modules - listed)}"
