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
    with pytest.raises(ReproducerError, match="repeats"):  # a spec built without validation
        spec = ReproducerSpec.model_construct(type="sh", file="r.sh", repeats=0, timeout_s=1.0)
        await prepare(spec, str(tmp_path), tmp_path)
    for bad in ({"repeats": 0}, {"repeats": -3}, {"timeout_s": -1}, {"timeout_s": 0}):
        with pytest.raises(ValueError, match="repeats|timeout_s"):  # records are refused
            ReproducerSpec(type="sh", file="r.sh", **bad)


async def test_compiling_cannot_read_host_files(tmp_path) -> None:
    """issue 10: `#include "/etc/shadow"` put a line of it into the compiler error."""
    secret = tmp_path / "secret.txt"
    secret.write_text("kgym-secret-line\n")
    for target in ("/etc/shadow", str(secret), "/root/.bashrc"):
        (tmp_path / "evil.c").write_text(f'#include "{target}"\nint main(void) {{ return 0; }}\n')
        with pytest.raises(ReproducerError) as e:
            await prepare(ReproducerSpec(type="c", file="evil.c"), str(tmp_path), tmp_path / "c")
        message = str(e.value)
        assert "evil.c: does not compile" in message and target in message
        assert "root:" not in message and "kgym-secret-line" not in message
        assert "Permission denied" in message or "No such file" in message


async def test_a_reproducer_path_leaving_its_directory_is_refused(tmp_path) -> None:
    (tmp_path / "bug").mkdir()
    (tmp_path / "outside.sh").write_text("true\n")
    for name in ("../outside.sh", "/etc/passwd"):
        with pytest.raises(ReproducerError, match="leaves its directory"):
            await prepare(ReproducerSpec(type="sh", file=name), str(tmp_path / "bug"), tmp_path)
