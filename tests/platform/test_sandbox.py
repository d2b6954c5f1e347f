"""kgym.sandbox: what a sandboxed command can see, write, reach and use, and that it is reaped."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from kgym import sandbox as sb

pytestmark = pytest.mark.skipif(not sb.shutil.which("bwrap"), reason="bubblewrap not installed")


async def sh(script: str, box: sb.Sandbox | None = None) -> sb.Completed:
    return await sb.run(["sh", "-c", script], box or sb.Sandbox(env=sb.safe_env({})))


async def test_host_secrets_are_not_readable():
    # run as root here, a user namespace alone would still read /etc/shadow (FIELD-NOTES)
    done = await sh("cat /etc/shadow; echo rc=$?; ls /root; echo rc=$?; id -u")
    lines = done.output.splitlines()
    assert "rc=1" in lines and "rc=2" in lines, done.output
    assert not any(line.startswith("root:") for line in lines)
    assert int(lines[-1]) != 0  # not root
    if os.geteuid() == 0:
        assert Path("/etc/shadow").read_text().startswith("root:")  # it is there, on the host


async def test_only_given_paths_are_visible_and_only_writable_ones_writable(tmp_path):
    ro, rw, hidden = tmp_path / "ro", tmp_path / "rw", tmp_path / "hidden"
    for d in (ro, rw, hidden):
        d.mkdir()
        (d / "f").write_text("x")
    sb.give(rw)
    box = sb.Sandbox(readable=[ro], writable=[rw], env=sb.safe_env({}))
    done = await sh(
        f"cat {ro}/f && echo read-ok; echo y > {ro}/g || echo ro-refused;"
        f" echo y > {rw}/g && echo rw-ok; cat {hidden}/f || echo hidden;"
        f" echo z > /usr/kgym-probe || echo usr-refused; ls /work /home /var 2>&1 | wc -l",
        box,
    )
    out = done.output
    for word in ("read-ok", "ro-refused", "rw-ok", "hidden", "usr-refused"):
        assert word in out, out
    assert (rw / "g").read_text() == "y\n" and not (ro / "g").exists()
    assert not Path("/usr/kgym-probe").exists()


async def test_no_network_and_no_host_environment(monkeypatch):
    monkeypatch.setenv("KGYM_LLM_API_KEY", "sekrit")
    done = await sh("cat /proc/net/dev | tail -n +3 | cut -d: -f1; env")
    assert "sekrit" not in done.output and "KGYM_LLM_API_KEY" not in done.output
    devices = [w.strip() for w in done.output.splitlines()[:3] if ":" not in w and "=" not in w]
    assert devices == ["lo"], done.output


async def test_output_cap_and_wall_time_kill_the_command():
    box = sb.Sandbox(env=sb.safe_env({}), limits=sb.Limits(output_bytes=100_000, wall_s=3))
    flood = await sh("yes flood", box)
    assert flood.killed.startswith("killed: output exceeded") and flood.code != 0
    assert len(flood.output) < 200_000
    t0 = time.monotonic()
    sleeper = await sh("sleep 60 & sleep 60", box)
    assert "wall time" in sleeper.killed and time.monotonic() - t0 < 10


async def test_output_cap_returns_while_other_commands_flood_the_same_loop():
    """Output piling up unread past the cap (busy loop) must not keep run() waiting: it hung
    when asyncio's own stdout pipe, paused by flow control, never saw its EOF."""
    box = sb.Sandbox(env=sb.safe_env({}), limits=sb.Limits(output_bytes=100_000, wall_s=30))
    floods = [sh("yes flood", box) for _ in range(6)]
    done = await asyncio.wait_for(asyncio.gather(*floods), 20)
    assert all(f.killed.startswith("killed: output exceeded") for f in done)
    assert all(len(f.output) < 200_000 for f in done)


async def test_output_held_by_a_process_outside_the_group_does_not_hold_run():
    """Unsandboxed, a process in its own session may keep the output pipe open: run()
    returns once the command's group is gone, not when that process lets go."""
    t0 = time.monotonic()
    done = await sb.run(["sh", "-c", "setsid sleep 313.57 & echo ok"], None)
    try:
        assert done.code == 0 and "ok" in done.output and time.monotonic() - t0 < 10
    finally:
        for pid in _sleepers():
            os.kill(int(pid), 9)


async def test_cpu_and_memory_limits():
    box = sb.Sandbox(env=sb.safe_env({}), limits=sb.Limits(cpu_s=1, memory_bytes=256 << 20))
    spin = await sh("while :; do :; done", box)
    assert spin.code != 0  # SIGXCPU/SIGKILL after 1 s of CPU
    hog = await sb.run(["python3", "-c", "b = bytearray(1 << 30)"], box)
    assert hog.code != 0 and "MemoryError" in hog.output


async def test_cancel_kills_every_process_of_the_command(tmp_path):
    task = asyncio.create_task(sh("sleep 313.57 & sleep 313.57 & echo started; wait"))
    await asyncio.sleep(1.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not _sleepers()


def _sleepers() -> list[str]:
    found = []
    for p in os.listdir("/proc"):
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                if f.read() == b"sleep\x00313.57\x00":
                    found.append(p)
        except OSError:
            continue
    return found


async def test_a_daemon_does_not_outlive_the_command():
    """What make leaves running (even in its own session) is gone when run() returns, so the
    build lock is only released once every child of the build has exited."""
    done = await sh("setsid sleep 313.57 </dev/null >/dev/null 2>&1 & nohup sleep 313.57 & echo ok")
    assert done.code == 0 and "ok" in done.output
    assert not _sleepers()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to start a process as the build user")
def test_started_by_an_unprivileged_user_it_sandboxes_as_that_user():
    """Not root: bwrap in a user namespace as the invoking user (here: the build user)."""
    import shutil
    import subprocess
    import tempfile

    uid, gid = sb.build_ids()
    work = Path(tempfile.mkdtemp(prefix="kgym-sbtest-"))
    try:
        work.chmod(0o755)
        shutil.copy(sb.__file__, work / "sandbox_copy.py")  # stdlib only: no venv needed
        (work / "probe.py").write_text(
            "import asyncio, sys\nsys.path.insert(0, sys.argv[1])\nimport sandbox_copy as sb\n"
            "box = sb.Sandbox(env=sb.safe_env({}))\n"
            "cmd = ['sh', '-c', 'id -u; cat /etc/shadow || echo no-shadow;"
            " ls /root || echo no-root']\n"
            "print(asyncio.run(sb.run(cmd, box)).output)\n"
        )
        done = subprocess.run(
            ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
             "/usr/bin/python3", work / "probe.py", work],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    finally:
        shutil.rmtree(work)
    lines = done.stdout.split()
    assert lines[0] == str(uid), (done.stdout, done.stderr)
    assert "no-shadow" in lines and "no-root" in lines and "root:" not in done.stdout
