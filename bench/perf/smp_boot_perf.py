"""Boot cost of a 2-CPU guest against a 1-CPU one, on one kernel.

    flock /tmp/kgym-heavy.lock uv run python bench/perf/smp_boot_perf.py BZIMAGE [--boots 3]

Each boot is a fresh pool of one VM (no reuse), running tests/vmpool/repros/cpus.sh,
which prints the CPUs the guest sees. Prints one JSON object on stdout: per CPU count
the boot seconds (QEMU start to SSH answering), their median, and the CPUs seen; and
the load average, since other work on the machine moves these figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
from pathlib import Path

from actors.crash_parser import contains_crash
from kgym.models import ReproducerSpec, RunOutcome, RunRequest
from kgym.settings import settings
from vmpool import Pool

REPROS = Path(__file__).resolve().parents[2] / "tests/vmpool/repros"


async def boot_once(bzimage: str, cpus: int, index: int) -> tuple[float, str]:
    """Boot seconds and the guest's `processors=N` line, from one fresh VM."""
    pool = Pool(settings().model_copy(update={"vm_cpus": cpus, "vm_pool_size": 1}), contains_crash)
    try:
        result = await pool.run(
            RunRequest(
                bzimage=bzimage,
                reproducer=ReproducerSpec(type="sh", file="cpus.sh"),
                reproducer_dir=str(REPROS),
                run_id=f"perf-smp-{cpus}-{index}",
            )
        )
    finally:
        await pool.close()
    if result.outcome is not RunOutcome.NO_CRASH or result.boot_s is None:
        raise RuntimeError(f"{cpus} CPU(s), boot {index}: {result.outcome}: {result.message}")
    out = (Path(result.console_log).parent / "reproducer.out").read_text()
    seen = next((line for line in out.splitlines() if line.startswith("processors=")), "?")
    return result.boot_s, seen


async def main(bzimage: str, boots: int) -> dict:
    figures: dict = {"load_average": os.getloadavg()}
    for cpus in (1, 2):
        runs = [await boot_once(bzimage, cpus, i) for i in range(boots)]
        times = [t for t, _ in runs]
        figures[f"cpus_{cpus}"] = {
            "boot_s": [round(t, 2) for t in times],
            "median_s": round(statistics.median(times), 2),
            "seen": sorted({seen for _, seen in runs}),
        }
    figures["cost_of_second_cpu_s"] = round(
        figures["cpus_2"]["median_s"] - figures["cpus_1"]["median_s"], 2
    )
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bzimage")
    parser.add_argument("--boots", type=int, default=3)
    args = parser.parse_args()
    if not Path(args.bzimage).is_file():
        parser.error(f"{args.bzimage}: no such kernel image")
    print(json.dumps(asyncio.run(main(args.bzimage, args.boots))))
