"""One QEMU virtual machine: process, console, SSH; booted means SSH answers."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
import uuid
from pathlib import Path

import asyncssh

from kgym.log import get_logger
from kgym.models import RunOutcome
from kgym.platform import CrashDetector
from vmpool import reaper
from vmpool.accel import CPU_FLAGS, QEMU, Accel
from vmpool.console import Console
from vmpool.image import GuestImage

CMDLINE = (
    "console=ttyS0 earlyprintk=serial nokaslr panic_on_warn=1 panic=-1 oops=panic "
    "random.trust_cpu=on pci=noacpi printk.time=1"
)
GUEST_UP = b"kgym-guest: network up"
_SSH_RETRY_S = 10.0  # try SSH this often even before the guest says its network is up
_CONNECT_TIMEOUT_S = 20.0
_PORT_RETRIES = 3
BOOT_SILENCE_S = 30.0  # a boot that times out after this much console silence has hung

log = get_logger("vmpool.qemu")


class BootError(Exception):
    """The VM did not come up: `outcome` says how (boot_failure, no_output, infra_error)."""

    def __init__(self, outcome: RunOutcome, message: str, console: Console | None) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.message = message
        self.console = console


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def qemu_args(
    bzimage: str, initramfs: Path, accel: Accel, port: int, memory_mb: int, cpus: int
) -> list[str]:
    return [
        QEMU, *CPU_FLAGS[accel], "-m", str(memory_mb), "-smp", str(cpus),
        "-kernel", bzimage, "-initrd", str(initramfs), "-append", CMDLINE,
        "-nodefaults", "-display", "none", "-no-reboot",
        "-chardev", "stdio,id=con,signal=off", "-serial", "chardev:con",
        "-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:{port}-:22",
        "-device", "e1000,netdev=n0",
    ]  # fmt: skip


class Vm:
    """A running QEMU. Create with `await Vm.boot(...)`; always `await vm.close()`."""

    def __init__(
        self,
        bzimage: str,
        image: GuestImage,
        accel: Accel,
        workdir: Path,
        detector: CrashDetector,
    ) -> None:
        self.id = uuid.uuid4().hex[:8]
        self.bzimage = bzimage
        self.image = image
        self.accel = accel
        self.detector = detector  # does console text hold a crash report?
        self.dir = workdir / f"vm-{self.id}"
        self.console = Console(self.dir / "console.log")
        self.port = 0
        self.boot_s: float | None = None
        self.proc: asyncio.subprocess.Process | None = None
        self.reusable = True  # cleared by anyone who leaves the guest in an unknown state
        self.kernel_key: tuple[object, ...] = ()  # set by the pool: which kernel this runs
        self.runs = 0  # reproducer runs so far (the pool counts)
        self.leak_baseline = False  # kmemleak: leaks from boot scanned and cleared
        self._pump: asyncio.Task[None] | None = None
        self._conn: asyncssh.SSHClientConnection | None = None

    @classmethod
    async def boot(
        cls,
        bzimage: str,
        image: GuestImage,
        accel: Accel,
        workdir: Path,
        detector: CrashDetector,
        *,
        memory_mb: int = 1024,
        cpus: int = 2,
        timeout_s: float = 180.0,
    ) -> Vm:
        """Start QEMU and wait until SSH answers; raises BootError (the VM is then closed)."""
        for attempt in range(_PORT_RETRIES):
            vm = cls(bzimage, image, accel, workdir, detector)
            try:
                await vm._start(memory_mb, cpus)
                await vm._wait_ssh(timeout_s)
                return vm
            except BootError as e:
                await vm.close()
                if "host forwarding" not in e.message or attempt == _PORT_RETRIES - 1:
                    raise
            except BaseException:
                await vm.close()
                raise
        raise AssertionError("unreachable")

    async def _start(self, memory_mb: int, cpus: int) -> None:
        self.port = free_port()
        args = qemu_args(self.bzimage, self.image.initramfs, self.accel, self.port, memory_mb, cpus)
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "qemu.cmd").write_text(" ".join(args) + "\n")
        self._started = time.monotonic()
        try:
            with (self.dir / "qemu.err").open("wb") as err:
                self.proc = await asyncio.create_subprocess_exec(
                    *args,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=err,
                    start_new_session=True,
                    preexec_fn=reaper.die_with_parent,
                )
        except OSError as e:
            raise BootError(RunOutcome.INFRA_ERROR, f"cannot start {QEMU}: {e}", None) from e
        reaper.track(self.proc.pid)
        assert self.proc.stdout is not None
        self._pump = asyncio.create_task(self.console.pump(self.proc.stdout))
        log.info("vm.start", vm=self.id, pid=self.proc.pid, port=self.port, accel=self.accel)

    @property
    def exited(self) -> bool:
        return self.proc is None or self.proc.returncode is not None

    async def host_fault(self) -> str | None:
        """Why QEMU itself ended, if the host ended it (a signal) or it failed (non-zero exit);
        None while it runs or after a guest-initiated exit (panic -> reboot -> exit 0)."""
        if self.proc is None or not await self.wait_exit(2.0):
            return None
        code = self.proc.returncode
        if code is None or code == 0:
            return None
        if code < 0:
            return f"QEMU was killed on the host (signal {-code})"
        return f"QEMU failed on the host (exit {code}): {self.qemu_stderr()[-500:]}"

    def qemu_stderr(self) -> str:
        path = self.dir / "qemu.err"
        return path.read_text(errors="replace").strip() if path.is_file() else ""

    async def wait_exit(self, timeout_s: float) -> bool:
        """Wait up to `timeout_s` for QEMU to exit and its output to drain."""
        assert self.proc is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.proc.wait()), timeout_s)
            if self._pump is not None:
                await asyncio.wait_for(asyncio.shield(self._pump), 2.0)
        return self.exited

    async def _wait_ssh(self, timeout_s: float) -> None:
        deadline = self._started + timeout_s
        last_try = -_SSH_RETRY_S
        while True:
            if await self.wait_exit(0.5):
                raise self._exit_error()
            now = time.monotonic()
            if now >= deadline:
                raise self._timeout_error(timeout_s)
            if GUEST_UP in self.console.data or now - last_try >= _SSH_RETRY_S:
                last_try = now
                with contextlib.suppress(OSError, asyncssh.Error, TimeoutError):
                    await self.ssh(min(_CONNECT_TIMEOUT_S, deadline - now))
                    break
        self.boot_s = time.monotonic() - self._started
        if self.detector(self.console.since(0)):
            raise BootError(
                RunOutcome.BOOT_FAILURE, "the kernel reported a crash during boot", self.console
            )
        log.info("vm.booted", vm=self.id, boot_s=round(self.boot_s, 2))

    def _exit_error(self) -> BootError:
        err = self.qemu_stderr()
        code = self.proc.returncode if self.proc is not None else None
        if code is not None and code < 0:
            msg = f"QEMU was killed on the host (signal {-code}) during boot"
            return BootError(RunOutcome.INFRA_ERROR, msg, self.console)
        if "host forwarding" in err or not self.console.data and "kernel" not in err:
            return BootError(RunOutcome.INFRA_ERROR, f"QEMU failed: {err[-1000:]}", self.console)
        if not self.console.data:
            return BootError(RunOutcome.BOOT_FAILURE, f"QEMU rejected the kernel: {err}", None)
        what = "crashed" if self.detector(self.console.since(0)) else "stopped"
        return BootError(
            RunOutcome.BOOT_FAILURE, f"the kernel {what} during boot (QEMU exited)", self.console
        )

    def _timeout_error(self, timeout_s: float) -> BootError:
        if not self.console.data:
            msg = f"no console output within {timeout_s:.0f} s of boot"
            return BootError(RunOutcome.NO_OUTPUT, msg, self.console)
        silent = self.console.silent_for()
        if silent >= BOOT_SILENCE_S:
            msg = f"the console fell silent during boot ({silent:.0f} s) and SSH never answered"
            return BootError(RunOutcome.NO_OUTPUT, msg, self.console)
        msg = f"SSH did not answer within {timeout_s:.0f} s of boot"
        return BootError(RunOutcome.BOOT_FAILURE, msg, self.console)

    async def ssh(self, timeout_s: float = _CONNECT_TIMEOUT_S) -> asyncssh.SSHClientConnection:
        """The SSH connection to the guest (opened on first use)."""
        if self._conn is None:
            host_key = asyncssh.import_public_key(self.image.host_key_pub.read_text())
            self._conn = await asyncssh.connect(
                "127.0.0.1",
                self.port,
                username="root",
                client_keys=[str(self.image.client_key)],
                known_hosts=([host_key], [], []),
                server_host_key_algs=["ssh-ed25519"],
                config=[],  # not the user's ~/.ssh/config
                agent_path=None,
                connect_timeout=timeout_s,
                keepalive_interval=0,
            )
        return self._conn

    async def healthy(self, timeout_s: float = 15.0) -> bool:
        """QEMU runs and the guest answers `true` over SSH."""
        if self.exited:
            return False
        try:
            conn = await self.ssh(timeout_s)
            result = await asyncio.wait_for(conn.run("true", check=False), timeout_s)
            return result.exit_status == 0
        except (OSError, asyncssh.Error, TimeoutError):
            self.drop_ssh()
            return False

    def drop_ssh(self) -> None:
        if self._conn is not None:
            self._conn.abort()
            self._conn = None

    async def close(self) -> None:
        """Kill QEMU (its whole process group) and wait for it; safe to call twice."""
        self.drop_ssh()
        if self.proc is not None:
            reaper.kill(self.proc.pid)
            await asyncio.shield(self.proc.wait())
        if self._pump is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._pump), 5.0)
        log.info("vm.closed", vm=self.id)
