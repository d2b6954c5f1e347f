"""The guest is SMP: QEMU's -smp comes from settings.vm_cpus and the base kernel
finds every CPU it is given (ACPI's MADT; SeaBIOS's MP table lists only the boot CPU)."""

from __future__ import annotations

from pathlib import Path

import pytest

from actors.crash_parser import contains_crash
from kgym.models import ReproducerSpec, RunOutcome, RunRequest
from kgym.settings import settings
from vmpool import Pool, reaper

pytestmark = [pytest.mark.vm, pytest.mark.timeout(900)]

REPROS = Path(__file__).parent / "repros"


@pytest.mark.parametrize("cpus", [2, 1])
async def test_the_guest_reports_the_cpus_qemu_gives_it(test_kernel, cpus: int) -> None:
    pool = Pool(settings().model_copy(update={"vm_cpus": cpus, "vm_pool_size": 1}), contains_crash)
    try:
        result = await pool.run(
            RunRequest(
                bzimage=str(test_kernel),
                reproducer=ReproducerSpec(type="sh", file="cpus.sh"),
                reproducer_dir=str(REPROS),
                run_id=f"test-vmpool-smp-{cpus}",
            )
        )
    finally:
        await pool.close()
    assert not reaper.live()
    assert result.outcome is RunOutcome.NO_CRASH, result
    console = Path(result.console_log)
    out = (console.parent / "reproducer.out").read_text()
    assert f"processors={cpus}\n" in out, out
    assert ("online=0-1" if cpus == 2 else "online=0") in out, out
    plural = "CPUs" if cpus > 1 else "CPU"
    assert f"smp: Brought up 1 node, {cpus} {plural}" in console.read_text(errors="replace")
