"""Reproducers: C compiled static once per content, shell scripts run with /bin/sh."""

from __future__ import annotations

import subprocess

import pytest

from kgym.models import ReproducerSpec
from vmpool.reproducer import GUEST_PATH, ReproducerError, prepare


async def test_c_is_compiled_static_and_cached(tmp_path) -> None:
    (tmp_path / "r.c").write_text("int main(void) { return 0; }\n")
    spec = ReproducerSpec(type="c", file="r.c")
    first = await prepare(spec, str(tmp_path), tmp_path / "cache")
    assert first.data.startswith(b"\x7fELF")
    (tmp_path / "bin").write_bytes(first.data)
    headers = subprocess.run(["readelf", "-l", str(tmp_path / "bin")], capture_output=True,
                             text=True, check=True).stdout  # fmt: skip
    assert "LOAD" in headers and "INTERP" not in headers  # static: no dynamic loader
    assert first.command == GUEST_PATH
    binaries = list((tmp_path / "cache").iterdir())
    assert len(binaries) == 1
    again = await prepare(spec, str(tmp_path), tmp_path / "cache")
    assert again == first
    assert list((tmp_path / "cache").iterdir()) == binaries


async def test_compile_error_names_the_file_and_the_error(tmp_path) -> None:
    (tmp_path / "bad.c").write_text("int main(void) { return nope; }\n")
    with pytest.raises(ReproducerError, match=r"bad.c: does not compile:[\s\S]*nope"):
        await prepare(ReproducerSpec(type="c", file="bad.c"), str(tmp_path), tmp_path / "cache")


async def test_shell_reproducer_runs_with_sh(tmp_path) -> None:
    (tmp_path / "r.sh").write_text("echo hi\n")
    prepared = await prepare(ReproducerSpec(type="sh", file="r.sh"), str(tmp_path), tmp_path)
    assert prepared.data == b"echo hi\n"
    assert prepared.command == f"/bin/sh {GUEST_PATH}"


async def test_missing_file_and_bad_spec_are_clear_errors(tmp_path) -> None:
    with pytest.raises(ReproducerError, match="nothere.c: reproducer file not found"):
        await prepare(ReproducerSpec(type="c", file="nothere.c"), str(tmp_path), tmp_path)
    (tmp_path / "empty.sh").write_text("")
    with pytest.raises(ReproducerError, match="empty.sh: reproducer file is empty"):
        await prepare(ReproducerSpec(type="sh", file="empty.sh"), str(tmp_path), tmp_path)
    (tmp_path / "r.sh").write_text("true\n")
    with pytest.raises(ReproducerError, match="repeats"):
        await prepare(ReproducerSpec(type="sh", file="r.sh", repeats=0), str(tmp_path), tmp_path)
