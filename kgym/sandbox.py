"""A sandbox for host commands that run untrusted input (patched kernel trees, reproducers).

bubblewrap (`bwrap`) puts the command in fresh mount, PID, network, IPC and UTS
namespaces. Only the system directories (/usr, /etc and the /bin-style links)
are visible, read-only, plus the paths a command is given: `readable`
(read-only) and `writable`. /root, /home, /tmp, KGYM_HOME and everything else
are not there. The network is a lone loopback device.

Started by root, bwrap keeps real root only to set up the mounts and then the
command drops to the dedicated system user `kgym-build` (created on first use)
with no capabilities and no_new_privs, so it cannot read what that user cannot
(/etc/shadow, root's keys). Started by another user, bwrap runs unprivileged in
a user namespace as that same user.

The command dies with its parent (bwrap --die-with-parent, and PR_SET_PDEATHSIG
on bwrap itself), runs in its own process group, and has limits: CPU time,
address space, file size, processes, captured output and wall time. `run`
returns only once every process of the group has exited.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import grp
import os
import pwd
import resource
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

BWRAP = "bwrap"
BUILD_USER = "kgym-build"
SYSTEM_DIRS = ("/usr", "/etc")
SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
SAFE_ENV = ("PATH", "LANG", "TERM", "SOURCE_DATE_EPOCH")
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
_PR_SET_PDEATHSIG = 1
_user_lock = threading.Lock()


class SandboxError(RuntimeError):
    """The sandbox cannot be set up (bwrap missing, user not creatable)."""


@dataclass(frozen=True)
class Limits:
    """Per-process rlimits and per-command caps."""

    cpu_s: int = 3 * 3600  # CPU seconds per process
    memory_bytes: int = 8 << 30  # address space per process
    file_bytes: int = 4 << 30  # largest file a process may write
    processes: int = 2048  # processes of the build user (root mode only)
    output_bytes: int = 32 << 20  # captured stdout+stderr; beyond it the command is killed
    wall_s: float = 4 * 3600.0
    tmp_bytes: int = 2 << 30  # the sandbox's private /tmp


@dataclass(frozen=True)
class Sandbox:
    """What a sandboxed command sees: `readable` and `writable` host paths, bound at the
    same place; environment `env` (nothing else of the host's)."""

    readable: Sequence[Path] = ()
    writable: Sequence[Path] = ()
    env: dict[str, str] = field(default_factory=dict)
    limits: Limits = Limits()
    binds: dict[Path, Path] = field(default_factory=dict)  # inside path -> host dir, read-write

    def argv(self, cmd: Sequence[str | os.PathLike], cwd: Path | None) -> list[str]:
        """The bwrap command line that runs `cmd` in this sandbox."""
        if shutil.which(BWRAP) is None:
            raise SandboxError("bubblewrap is not installed (apt-get install bubblewrap)")
        args = [BWRAP, "--die-with-parent", "--unshare-pid", "--unshare-net", "--unshare-ipc"]
        args += ["--unshare-uts", "--unshare-cgroup-try", "--hostname", "kgym-sandbox"]
        args += ["--dev", "/dev", "--proc", "/proc"]
        args += ["--perms", "1777", "--size", str(self.limits.tmp_bytes), "--tmpfs", "/tmp"]
        for d in SYSTEM_DIRS:
            args += ["--ro-bind", d, d]
        for link in SYSTEM_LINKS:
            if os.path.islink(link):
                args += ["--symlink", os.readlink(link), link]
            elif os.path.isdir(link):
                args += ["--ro-bind", link, link]
        for p in self.readable:
            args += ["--ro-bind", str(p), str(p)]
        for p in self.writable:
            args += ["--bind", str(p), str(p)]
        for inside, host in self.binds.items():
            args += ["--bind", str(host), str(inside)]
        for d in _skeleton([*self.readable, *self.writable, *self.binds]):
            args += ["--chmod", "0755", d]  # bwrap copies the host's modes (/root: 0700)
        if cwd is not None:
            args += ["--chdir", str(cwd)]
        args += ["--clearenv"]
        for k, v in {"PATH": DEFAULT_PATH, "HOME": "/tmp", **self.env}.items():
            args += ["--setenv", k, v]
        ids = build_ids()
        if ids is None:  # not root: an unprivileged user namespace, as ourselves
            return [*args, "--unshare-user", "--", *map(str, cmd)]
        uid, gid = ids
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--"]
        drop = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups"]
        drop += ["--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
        return [*args, *drop, *map(str, cmd)]

    def preexec(self) -> None:
        """In the child before exec: die with the parent, apply the rlimits."""
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        lim = self.limits
        for what, value in (
            (resource.RLIMIT_CPU, lim.cpu_s),
            (resource.RLIMIT_AS, lim.memory_bytes),
            (resource.RLIMIT_FSIZE, lim.file_bytes),
            (resource.RLIMIT_CORE, 0),
        ):
            resource.setrlimit(what, (value, value))
        if os.geteuid() == 0:  # counted per real uid: the build user's processes only
            resource.setrlimit(resource.RLIMIT_NPROC, (lim.processes, lim.processes))


def _skeleton(bound: Sequence[Path]) -> list[str]:
    """The directories bwrap creates to hold the bound paths (ancestors outside every bound
    path and every system directory), parents first."""
    roots = [Path(p) for p in (*SYSTEM_DIRS, "/dev", "/proc", *map(str, bound))]
    out: list[str] = []
    for p in bound:
        for a in reversed(Path(p).parents):
            inside = any(a == r or r in a.parents for r in roots)
            if a not in (Path("/"), Path("/tmp")) and not inside and str(a) not in out:
                out.append(str(a))
    return out


def safe_env(extra: dict[str, str]) -> dict[str, str]:
    """The host environment a sandboxed command may see: a few harmless variables + `extra`."""
    base = {k: os.environ[k] for k in SAFE_ENV if k in os.environ}
    return {**base, **extra}


def build_ids() -> tuple[int, int] | None:
    """(uid, gid) of the build user when we are root (creating the user once); else None."""
    if os.geteuid() != 0:
        return None
    with _user_lock:
        try:
            pw = pwd.getpwnam(BUILD_USER)
        except KeyError:
            _create_user()
            pw = pwd.getpwnam(BUILD_USER)
    return pw.pw_uid, pw.pw_gid


def _create_user() -> None:
    cmd = ["useradd", "--system", "--user-group", "--no-create-home"]
    cmd += ["--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", BUILD_USER]
    done = subprocess.run(cmd, capture_output=True, text=True)
    with contextlib.suppress(KeyError):
        pwd.getpwnam(BUILD_USER)
        grp.getgrnam(BUILD_USER)
        return  # made by us, or by a concurrent kgym
    raise SandboxError(f"cannot create the build user {BUILD_USER}: {done.stderr.strip()}")


def give(*paths: Path) -> None:
    """Make `paths` (recursively) owned by the build user, so a sandboxed command may write
    them. Only what is not already its own is changed; no-op unless root."""
    ids = build_ids()
    if ids is None:
        return
    uid, gid = ids
    for top in paths:
        top.mkdir(parents=True, exist_ok=True)
        for dirpath, dirnames, filenames in os.walk(top):
            for name in (".", *dirnames, *filenames):
                p = os.path.join(dirpath, name)
                st = os.lstat(p)
                if st.st_uid != uid or st.st_gid != gid:
                    os.lchown(p, uid, gid)


@dataclass
class Completed:
    code: int
    output: str
    killed: str = ""  # why the sandbox killed the command (output cap, wall time), if it did


async def run(
    cmd: Sequence[str | os.PathLike],
    sandbox: Sandbox | None,
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    log: Path | None = None,
) -> Completed:
    """Run `cmd` (in `sandbox`, unless None: then as is, with `env`), output to `log` too.
    Cancelling kills the whole process group; returns after every process of it is gone."""
    if sandbox is not None:
        argv, env, preexec, limits = sandbox.argv(cmd, cwd), None, sandbox.preexec, sandbox.limits
        cwd = None
    else:
        argv, preexec, limits = [str(c) for c in cmd], _die_with_parent, Limits()
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=preexec,
    )
    chunks: list[bytes] = []
    killed = ""
    try:
        killed = await asyncio.wait_for(_read(proc, chunks, log, limits), limits.wall_s)
    except TimeoutError:
        killed = f"killed after {limits.wall_s:g} s (wall time limit)"
    finally:
        if killed or proc.returncode is None:
            _killpg(proc.pid)
        await asyncio.shield(_reap(proc))
    text = b"".join(chunks).decode(errors="replace")
    if killed:
        text += f"\nkgym: {killed}\n"
    code = proc.returncode if proc.returncode is not None else -9
    return Completed(code or -9 if killed else code, text, killed)


async def _read(proc, chunks: list[bytes], log: Path | None, limits: Limits) -> str:
    assert proc.stdout is not None
    total = 0
    with log.open("ab") if log is not None else contextlib.nullcontext() as f:
        while chunk := await proc.stdout.read(1 << 16):
            total += len(chunk)
            if total > limits.output_bytes:
                return f"killed: output exceeded {limits.output_bytes} bytes"
            chunks.append(chunk)
            if f is not None:
                f.write(chunk)
    await proc.wait()
    return ""


async def _reap(proc) -> None:
    """Wait for the leader, then until no process of its group is left. What is left in the
    pipe is read and dropped first: asyncio's wait() returns only once the pipe is closed,
    and a reader that stopped at the output cap would otherwise never see it close."""
    if proc.stdout is not None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_drain(proc.stdout), 30.0)
    await proc.wait()
    deadline = time.monotonic() + 30.0
    while group_alive(proc.pid) and time.monotonic() < deadline:
        _killpg(proc.pid)
        await asyncio.sleep(0.05)


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.read(1 << 16):
        pass


def group_alive(pgid: int) -> bool:
    """Is a live (not zombie) process left in process group `pgid`?"""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return bool(group_members(pgid))


def group_members(pgid: int) -> list[int]:
    """The pids of the live (not zombie) processes of process group `pgid`."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] not in "ZX" and int(fields[2]) == pgid:
            found.append(int(name))
    return found


def _killpg(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
