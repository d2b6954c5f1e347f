"""The accelerator probe: a real QEMU firmware boot; the answer is cached per host."""

from __future__ import annotations

import json
import socket

import pytest

from kgym.settings import load_settings
from vmpool import accel

pytestmark = pytest.mark.vm


async def test_tcg_boots_the_firmware() -> None:
    assert await accel.firmware_boot_s("tcg") is not None


async def test_probe_answers_once_and_caches_per_host(tmp_path) -> None:
    settings = load_settings({"KGYM_HOME": str(tmp_path)})
    answer = await accel.accelerator(settings)
    assert answer in ("kvm", "tcg")
    cached = tmp_path / "accel" / f"{socket.gethostname()}.json"
    assert json.loads(cached.read_text())["accelerator"] == answer
    cached.write_text(json.dumps({"accelerator": "kvm" if answer == "tcg" else "tcg"}))
    assert await accel.accelerator(settings) != answer  # read from the cache, not re-probed


async def test_forced_accelerator_is_not_probed(tmp_path) -> None:
    settings = load_settings({"KGYM_HOME": str(tmp_path), "KGYM_ACCELERATOR": "tcg"})
    assert await accel.accelerator(settings) == "tcg"
    assert not (tmp_path / "accel").exists()
