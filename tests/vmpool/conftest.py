"""Fixtures for vmpool tests: the kernel to boot."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def test_kernel(demo_kernel) -> Path:
    """A bzImage of the base config: the demo bug's kernel, built through the build cache."""
    return Path(demo_kernel.bzimage)
