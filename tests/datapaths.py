"""Data kept outside the repository (under KGYM_DATA_DIR), as test conditions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def needs_data(path: Path, what: str) -> pytest.MarkDecorator:
    """Skip when `path` (data kept outside the repo, under KGYM_DATA_DIR) is missing on a
    developer's machine; in CI it must be there, so the test runs and fails."""
    missing = not path.exists() and not os.environ.get("CI")
    return pytest.mark.skipif(missing, reason=f"{what} not at {path} (set KGYM_DATA_DIR)")
