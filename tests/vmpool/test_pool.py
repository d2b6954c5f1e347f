"""The pool on a real kernel: boot, SSH, run reproducers, every outcome, no QEMU left.

At most two VMs at once (the pool's size); one pool for the module.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from actors.crash_parser import contains_crash
from kgym.models import ReproducerSpec, RunOutcome, RunRequest
from kgym.settings import settings
from vmpool import Pool, reaper

pytestmark = [pytest.mark.vm, pytest.mark.timeout(1800)]

REPROS = Path(__file__).parent / "repros"


def request(bzimage: Path, file: str, **spec: object) -> RunRequest:
    kind = "c" if file.endswith(".c") else "sh"
    return RunRequest(
        bzimage=str(bzimage),
        reproducer=ReproducerSpec(type=kind, file=file, **spec),
        reproducer_dir=str(REPROS),
        run_id=f"test-vmpool-{Path(file).stem}",
    )


def qemu_children() -> list[int]:
    """QEMU processes whose parent is this test process."""
    me, found = str(os.getpid()), []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            comm = stat.read_text().split("(", 1)[1].rsplit(")", 1)[0]
        except OSError:
            continue
        if fields[1] == me and comm.startswith("qemu-system"):
            found.append(int(stat.parent.name))
    return found


@pytest.fixture(scope="module")
async def pool():
    p = Pool(settings().model_copy(update={"vm_pool_size": 2}), contains_crash)
    yield p
    await p.close()
    assert not reaper.live()
    assert not qemu_children()


def explain(result) -> str:
    log = Path(result.console_log).read_text(errors="replace")[-3000:] if result.console_log else ""
    return f"{result!r}\n--- console tail ---\n{log}"


async def test_noop_runs_without_crash_and_the_vm_is_reused(pool, test_kernel) -> None:
    first = await pool.run(request(test_kernel, "noop.c", repeats=2))
    assert first.outcome is RunOutcome.NO_CRASH, explain(first)
    assert first.accelerator in ("kvm", "tcg")
    assert first.boot_s and first.boot_s > 0
    assert first.run_s is not None
    console = Path(first.console_log)
    assert console.is_file() and console.is_relative_to(settings().runs_dir)
    assert b"kgym-guest: network up" in console.read_bytes()
    out = (console.parent / "reproducer.out").read_text()
    assert "=== run 1: exit 0" in out and "=== run 2: exit 0" in out
    assert first.exit_code == 0
    again = await pool.run(request(test_kernel, "noop.c"))
    assert again.outcome is RunOutcome.NO_CRASH, explain(again)
    assert again.boot_s == 0.0  # the idle VM of the same kernel was reused


async def test_the_reproducers_exit_code_is_in_the_result(pool, test_kernel) -> None:
    result = await pool.run(request(test_kernel, "exit3.sh"))
    assert result.outcome is RunOutcome.NO_CRASH and result.exit_code == 3, explain(result)


@pytest.mark.parametrize("repro", ["silent_spin.c", "halt.c"])
async def test_a_guest_silenced_or_halted_by_the_reproducer_is_no_output(
    pool, test_kernel, repro
) -> None:
    """The console goes off and every CPU spins at SCHED_FIFO 99, or the kernel halts
    (QEMU keeps running): SSH stops answering, nothing is printed. The guest had booted
    and started the reproducer, so the judge makes this a crash, not an infra error."""
    result = await pool.run(request(test_kernel, repro, timeout_s=15))
    assert result.outcome is RunOutcome.NO_OUTPUT, explain(result)
    assert result.booted, explain(result)
    assert result.message == "the guest stopped answering, silently"


async def test_a_fresh_boot_reports_its_warnings_and_a_reused_vm_does_not(
    pool, test_kernel
) -> None:
    first = await pool.run(request(test_kernel, "noop.c"))
    assert first.outcome is RunOutcome.NO_CRASH and first.booted, explain(first)
    assert first.boot_warnings is not None, explain(first)
    dmesg = (Path(first.console_log).parent / "boot.dmesg").read_text()
    assert "<6>" in dmesg and "Linux version" in dmesg  # the raw ring buffer, with levels
    again = await pool.run(request(test_kernel, "noop.c"))
    assert again.boot_s == 0.0 and again.boot_warnings is None, explain(again)


async def test_killing_init_is_a_crash_and_qemu_exits(pool, test_kernel) -> None:
    result = await pool.run(request(test_kernel, "kill_init.c"))
    assert result.outcome is RunOutcome.CRASHED, explain(result)
    assert "Attempted to kill init" in Path(result.console_log).read_text(errors="replace")


async def test_a_reproducer_that_never_ends_times_out(pool, test_kernel) -> None:
    result = await pool.run(request(test_kernel, "sleep.sh", timeout_s=5))
    assert result.outcome is RunOutcome.TIMEOUT, explain(result)
    assert "still running after 5 s" in result.message


async def test_a_guest_that_resets_is_a_lost_connection(pool, test_kernel) -> None:
    result = await pool.run(request(test_kernel, "reboot.sh"))
    assert result.outcome is RunOutcome.LOST_CONNECTION, explain(result)  # QEMU exit 0: the guest


async def test_qemu_killed_on_the_host_is_an_infra_error(pool, test_kernel) -> None:
    before = {vm.id: vm.runs for vm in pool._vms}  # idle VMs of earlier tests

    async def kill_when_running() -> None:
        while not (vms := [v for v in pool._vms if v.runs > before.get(v.id, 0) and not v.exited]):
            await asyncio.sleep(0.2)
        await asyncio.sleep(2.0)
        os.kill(vms[0].proc.pid, 9)

    killer = asyncio.create_task(kill_when_running())
    result = await pool.run(request(test_kernel, "sleep.sh", timeout_s=60))
    await killer
    assert result.outcome is RunOutcome.INFRA_ERROR, explain(result)
    assert "QEMU was killed on the host (signal 9)" in result.message


async def test_garbage_kernel_is_a_boot_failure(pool, tmp_path) -> None:
    garbage = tmp_path / "bzImage"
    garbage.write_bytes(os.urandom(1 << 20))
    result = await pool.run(request(garbage, "noop.c"))
    assert result.outcome is RunOutcome.BOOT_FAILURE, explain(result)
    assert result.message


async def test_missing_kernel_and_bad_reproducer_are_infra_errors(pool, test_kernel) -> None:
    missing = await pool.run(request(Path("/nonexistent/bzImage"), "noop.c"))
    assert missing.outcome is RunOutcome.INFRA_ERROR
    assert "/nonexistent/bzImage: bzImage not found" in missing.message
    bad = await pool.run(request(test_kernel, "nothere.c"))
    assert bad.outcome is RunOutcome.INFRA_ERROR
    assert "nothere.c: reproducer file not found" in bad.message


async def test_two_runs_at_once_and_cancellation_leave_no_qemu(pool, test_kernel) -> None:
    results = await asyncio.gather(
        pool.run(request(test_kernel, "noop.c")), pool.run(request(test_kernel, "noop.c"))
    )
    assert [r.outcome for r in results] == [RunOutcome.NO_CRASH] * 2, explain(results[1])
    task = asyncio.create_task(pool.run(request(test_kernel, "sleep.sh", timeout_s=600)))
    await asyncio.sleep(3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    counts = pool.counts()
    assert counts["leased"] == 0  # the cancelled run's VM was killed, not left leased
    assert len(qemu_children()) == counts["idle"]
