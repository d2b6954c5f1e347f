"""Files shipped inside the packages (prompts, suites, guest files, the base config,
the web UI), found through importlib.resources so that an installed wheel finds them
as a checkout does."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def package_path(package: str, *parts: str) -> Path:
    """The path of `parts` inside `package` (a directory or file shipped with it)."""
    found = resources.files(package).joinpath(*parts)
    if not isinstance(found, Path):
        raise RuntimeError(f"{package}/{'/'.join(parts)}: packaged data must be on disk")
    return found
