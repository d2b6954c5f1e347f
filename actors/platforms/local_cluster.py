"""A real multi-node Ray cluster on one machine: for tests, measurements and trying it out.

Each node is its own `ray start` (the head, then `ray start --address`), with its
own `KGYM_HOME` and resources, its own ports (never Ray's defaults, which another
cluster on the machine may hold), one temp dir for the cluster, and its own
token (RAY_AUTH_MODE=token, RAY_AUTH_TOKEN: nothing written to ~/.ray). Several
raylets on one machine need RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=1 and
--node-ip-address=127.0.0.1. `stop()` ends only this cluster's processes (and
builds started under its nodes' homes); it never runs `ray stop`.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

RAY = str(Path(sys.executable).with_name("ray"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LocalNode:
    name: str
    home: Path
    manager_port: int
    env: dict[str, str]
    resources: dict[str, float]


@dataclass
class LocalCluster:
    root: Path
    cpus_per_node: int = 2
    nodes: list[LocalNode] = field(default_factory=list)
    address: str = ""
    dashboard: str = ""

    def __post_init__(self) -> None:
        # Ray's socket paths live under its temp dir and must stay short (AF_UNIX: 107
        # bytes): a short directory under /tmp, not one under `root`.
        self.temp_dir = Path(tempfile.mkdtemp(prefix="kgr-", dir="/tmp"))
        self.token = secrets.token_hex(32)

    def base_env(self) -> dict[str, str]:
        """The environment every process of this cluster (and its drivers) uses."""
        env = {
            **os.environ,
            "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "1",
            "RAY_USAGE_STATS_ENABLED": "0",
            "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": self.token,
        }
        env.pop("RAY_ADDRESS", None)
        return env

    def driver_env(self, **extra: str) -> dict[str, str]:
        """For a driver of this cluster: RAY_ADDRESS set, as `ray job submit` does."""
        return {**self.base_env(), "RAY_ADDRESS": self.address, **extra}

    def add_node(
        self, name: str, home: Path, resources: dict[str, float], env: dict[str, str] | None = None
    ) -> LocalNode:
        """Start one node (the first is the head, with the job server) under `KGYM_HOME=home`."""
        node_env = {**self.base_env(), "KGYM_HOME": str(home), **(env or {})}
        manager = free_port()
        cmd = [
            RAY, "start", "--node-ip-address=127.0.0.1", f"--num-cpus={self.cpus_per_node}",
            f"--resources={json.dumps(resources)}", f"--node-manager-port={manager}",
            f"--object-manager-port={free_port()}", "--disable-usage-stats",
            f"--dashboard-agent-listen-port={free_port()}",
            f"--dashboard-agent-grpc-port={free_port()}",
            f"--runtime-env-agent-port={free_port()}", f"--metrics-export-port={free_port()}",
            "--object-store-memory=100000000",
        ]  # fmt: skip
        if not self.nodes:
            gcs, dash = free_port(), free_port()
            cmd += [
                "--head", f"--port={gcs}", f"--temp-dir={self.temp_dir}",
                "--include-dashboard=true", "--dashboard-host=127.0.0.1",
                f"--dashboard-port={dash}", f"--ray-client-server-port={free_port()}",
            ]  # fmt: skip
            self.address, self.dashboard = f"127.0.0.1:{gcs}", f"http://127.0.0.1:{dash}"
        else:
            cmd += [f"--address={self.address}"]
        home.mkdir(parents=True, exist_ok=True)
        out = subprocess.run(cmd, env=node_env, capture_output=True, text=True, timeout=300)
        if out.returncode:
            raise RuntimeError(
                f"ray start ({name}) failed:\n{out.stdout[-2000:]}{out.stderr[-3000:]}"
            )
        node = LocalNode(name, home, manager, node_env, resources)
        self.nodes.append(node)
        return node

    def node_ids(self) -> dict[str, str]:
        """Each live node's Ray node id, by the name given to `add_node`."""
        probe = (
            "import json, ray; ray.init(); print(json.dumps({n['NodeManagerPort']: n['NodeID'] "
            "for n in ray.nodes() if n['Alive']}))"
        )
        out = subprocess.run(
            [sys.executable, "-c", probe],
            env=self.driver_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        by_port: dict[str, str] = json.loads(out.stdout.strip().splitlines()[-1])
        return {
            n.name: by_port[str(n.manager_port)]
            for n in self.nodes
            if str(n.manager_port) in by_port
        }

    def raylet_pid(self, node: LocalNode) -> int:
        """The PID of `node`'s raylet (found by its node manager port)."""
        for pid, argv in _processes():
            if b"raylet" in argv[0] and f"--node_manager_port={node.manager_port}".encode() in argv:
                return pid
        raise LookupError(f"no raylet with node manager port {node.manager_port}")

    def kill_node(self, node: LocalNode) -> int:
        """SIGKILL `node`'s raylet, as a machine that dies; returns its PID."""
        pid = self.raylet_pid(node)
        os.kill(pid, signal.SIGKILL)
        return pid

    def wait_alive(self, count: int, timeout_s: float = 120.0) -> None:
        """Until `count` nodes are alive (asked through a short-lived driver)."""
        probe = "import ray; ray.init(); print(sum(n['Alive'] for n in ray.nodes()))"
        deadline = time.monotonic() + timeout_s
        while True:
            out = subprocess.run(
                [sys.executable, "-c", probe],
                env=self.driver_env(),
                capture_output=True,
                text=True,
                timeout=120,
            )
            lines = out.stdout.strip().splitlines()
            if lines and lines[-1].isdigit() and int(lines[-1]) >= count:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{count} nodes not alive: {out.stdout[-500:]}{out.stderr[-1500:]}"
                )
            time.sleep(1)

    def stop(self) -> None:
        """Kill every process of this cluster and whatever they started (builds, VMs):
        each carries this cluster's token in its environment."""
        for pid in self._ours():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while self._ours() and time.monotonic() < deadline:
            time.sleep(0.2)  # dying processes still write logs into the temp dir
        shutil.rmtree(self.temp_dir, ignore_errors=True)

    def leftovers(self) -> list[str]:
        """Processes of this cluster still alive (after `stop`, there should be none)."""
        out = []
        for pid in self._ours():
            with contextlib.suppress(OSError):
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                out.append(f"{pid}: {argv[:200].decode(errors='replace')}")
        return out

    def _ours(self) -> list[int]:
        mark = f"RAY_AUTH_TOKEN={self.token}".encode()
        found = []
        for pid, _ in _processes():
            if pid == os.getpid():
                continue
            try:
                environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if mark in environ:
                found.append(pid)
        return found


def _processes() -> list[tuple[int, list[bytes]]]:
    out = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0]:
            out.append((int(proc.name), argv))
    return out
