"""Which accelerator really works here: KVM when it boots firmware fast, else TCG.

`/dev/kvm` existing is not enough: under broken nested virtualisation KVM guests
abort or run far slower than TCG. The probe boots QEMU's own firmware (SeaBIOS,
no disk) under each accelerator and times how long it takes to give up looking
for a boot device. The answer is cached per host under settings.home/accel/.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import tempfile
import time
from pathlib import Path
from typing import Literal

from kgym.log import get_logger
from kgym.settings import Settings
from vmpool import reaper

Accel = Literal["kvm", "tcg"]

QEMU = "qemu-system-x86_64"
CPU_FLAGS: dict[Accel, list[str]] = {
    "kvm": ["-accel", "kvm", "-cpu", "host"],
    "tcg": ["-accel", "tcg", "-cpu", "max"],
}
_FIRMWARE_DONE = b"No bootable device"
_PROBE_TIMEOUT_S = 20.0

log = get_logger("vmpool.accel")


async def firmware_boot_s(accel: Accel, timeout_s: float = _PROBE_TIMEOUT_S) -> float | None:
    """Seconds for SeaBIOS to finish under `accel`; None if QEMU failed or timed out."""
    with tempfile.TemporaryDirectory(prefix="kgym-accel-") as tmp:
        debug = Path(tmp) / "debugcon"
        debug.touch()
        args = [
            *CPU_FLAGS[accel], "-m", "64", "-nodefaults", "-display", "none", "-no-reboot",
            "-serial", "none", "-chardev", f"file,id=dbg,path={debug}",
            "-device", "isa-debugcon,iobase=0x402,chardev=dbg",
        ]  # fmt: skip
        start = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            QEMU, *args,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True, preexec_fn=reaper.die_with_parent,
        )  # fmt: skip
        reaper.track(proc.pid)
        try:
            while time.monotonic() - start < timeout_s and proc.returncode is None:
                if _FIRMWARE_DONE in debug.read_bytes():
                    return time.monotonic() - start
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(proc.wait(), 0.05)
            return None
        finally:
            reaper.kill(proc.pid)
            await proc.wait()


async def probe() -> dict[str, object]:
    """Time firmware under KVM and TCG; KVM wins only if it works and is not slower."""
    kvm_s = await firmware_boot_s("kvm") if os.access("/dev/kvm", os.R_OK | os.W_OK) else None
    tcg_s = await firmware_boot_s("tcg")
    use_kvm = kvm_s is not None and (tcg_s is None or kvm_s <= 1.5 * tcg_s + 0.5)
    return {"accelerator": "kvm" if use_kvm else "tcg", "kvm_s": kvm_s, "tcg_s": tcg_s}


async def accelerator(settings: Settings) -> Accel:
    """settings.accelerator if forced, else the answer cached for this host (probed once)."""
    if settings.accelerator != "auto":
        return settings.accelerator
    path = settings.home / "accel" / f"{socket.gethostname()}.json"
    if path.is_file():
        with contextlib.suppress(ValueError, KeyError):
            return json.loads(path.read_text())["accelerator"]
    result = await probe()
    log.info("vm.accel_probed", **result)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(result))
    tmp.replace(path)
    return result["accelerator"]  # type: ignore[return-value]
