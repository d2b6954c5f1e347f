"""Fixtures for vmpool tests: the kernel to boot (one place, to be replaced by a build)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

MANUAL_BZIMAGE = Path.home() / ".cache/kgym/trees/manual/build/arch/x86/boot/bzImage"


@pytest.fixture(scope="session")
def test_kernel() -> Path:
    """A bzImage built from the base config: $KGYM_TEST_BZIMAGE, else the manual build."""
    path = Path(os.environ.get("KGYM_TEST_BZIMAGE") or MANUAL_BZIMAGE)
    if not path.is_file():
        pytest.skip(f"no test kernel at {path} (set KGYM_TEST_BZIMAGE to a base-config bzImage)")
    return path
