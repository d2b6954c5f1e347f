"""VM pool timings on one kernel: boot to SSH, a no-crash run (with the kmemleak
check), a run on a reused VM, a crash run, and where the no-crash time goes.

    uv run python bench/perf/vmpool_perf.py BZIMAGE

One run of each, on whatever else the machine is doing (load average printed).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path

from actors.crash_parser import contains_crash
from kgym.models import ReproducerSpec, RunRequest
from kgym.settings import settings
from vmpool import Pool
from vmpool.qemu import Vm

REPROS = Path(__file__).resolve().parents[2] / "tests/vmpool/repros"
GUEST_STEPS = {
    "ssh true": "true",
    "copy 1 MB": "cat > /tmp/blob",
    "kmemleak scan": "echo scan > /sys/kernel/debug/kmemleak",
    "kmemleak scan (again)": "echo scan > /sys/kernel/debug/kmemleak",
}


def request(bzimage: str, file: str) -> RunRequest:
    spec = ReproducerSpec(type="c" if file.endswith(".c") else "sh", file=file)
    return RunRequest(bzimage=bzimage, reproducer=spec, reproducer_dir=str(REPROS), run_id="perf")


async def steps(vm: Vm) -> None:
    conn = await vm.ssh()
    for name, command in GUEST_STEPS.items():
        t0 = time.monotonic()
        await conn.run(command, input=b"\0" * (1 << 20), encoding=None)
        print(f"  {name:24} {time.monotonic() - t0:6.2f} s")


async def main(bzimage: str) -> None:
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    async with Pool(settings(), contains_crash) as pool:
        for label, file in [("no crash (new VM)", "noop.c"), ("no crash (reused VM)", "noop.c"),
                            ("crash (kill init)", "kill_init.c")]:  # fmt: skip
            r = await pool.run(request(bzimage, file))
            print(f"{label:22} {r.outcome.value:10} accel={r.accelerator} "
                  f"boot_s={r.boot_s or 0:6.2f} run_s={r.run_s or 0:6.2f}")  # fmt: skip
        print("guest steps on a fresh VM:")
        async with pool.lease(bzimage) as vm:
            await steps(vm)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bzimage")
    asyncio.run(main(ap.parse_args().bzimage))
