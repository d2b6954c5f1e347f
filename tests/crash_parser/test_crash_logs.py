"""Logs of the kind kgym's own kernels print (Linux 6.1, KASAN, lockdep, kmemleak,
panic_on_warn=1), the public helpers, and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from actors.crash_parser import CrashParser, contains_crash, parse
from kgym.models import CrashReport

KASAN_61 = """\
[   24.901234][  T512] random: crng init done
[   25.100001][  T640] ==================================================================
[   25.100002][  T640] BUG: KASAN: use-after-free in watch_queue_set_filter+0x5a4/0x620
[   25.100003][  T640] Read of size 4 at addr ffff88801e0a3c18 by task repro/640
[   25.100004][  T640]
[   25.100005][  T640] CPU: 1 PID: 640 Comm: repro Not tainted 6.1.0 #1
[   25.100006][  T640] Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2 04/01/2014
[   25.100007][  T640] Call Trace:
[   25.100008][  T640]  <TASK>
[   25.100009][  T640]  dump_stack_lvl+0x49/0x63
[   25.100010][  T640]  print_report+0x171/0x4a8
[   25.100011][  T640]  ? __virt_addr_valid+0xe1/0x160
[   25.100012][  T641] sshd[641]: interleaved line from another task
[   25.100013][  T640]  kasan_report+0xb1/0x130
[   25.100014][  T640]  ? watch_queue_set_filter+0x5a4/0x620
[   25.100015][  T640]  watch_queue_set_filter+0x5a4/0x620
[   25.100016][  T640]  pipe_ioctl+0x2c2/0x3a0
[   25.100017][  T640]  __x64_sys_ioctl+0xf3/0x130
[   25.100018][  T640]  do_syscall_64+0x3b/0x90
[   25.100019][  T640]  entry_SYSCALL_64_after_hwframe+0x63/0xcd
[   25.100020][  T640] RIP: 0033:0x44e9f9
[   25.100021][  T640] RSP: 002b:00007ffd1c5a3e58 EFLAGS: 00000246 ORIG_RAX: 0000000000000010
[   25.100022][  T640]  </TASK>
[   25.100023][  T640]
[   25.100024][  T640] Allocated by task 640:
[   25.100025][  T640]  kasan_save_stack+0x1e/0x40
[   25.100026][  T640]  kasan_set_track+0x21/0x30
[   25.100027][  T640]  __kasan_kmalloc+0x7e/0x90
[   25.100028][  T640]  __kmalloc+0x5a/0x190
[   25.100029][  T640]  watch_queue_set_filter+0x1b0/0x620
[   25.100030][  T640]  pipe_ioctl+0x2c2/0x3a0
[   25.100031][  T640]  __x64_sys_ioctl+0xf3/0x130
[   25.100032][  T640]  do_syscall_64+0x3b/0x90
[   25.100033][  T640]  entry_SYSCALL_64_after_hwframe+0x63/0xcd
[   25.100034][  T640]
[   25.100035][  T640] Freed by task 640:
[   25.100036][  T640]  kasan_save_stack+0x1e/0x40
[   25.100037][  T640]  kasan_set_track+0x21/0x30
[   25.100038][  T640]  kasan_save_free_info+0x2a/0x40
[   25.100039][  T640]  ____kasan_slab_free+0x1c5/0x220
[   25.100040][  T640]  __kmem_cache_free+0xcb/0x360
[   25.100041][  T640]  watch_queue_set_filter+0x3e1/0x620
[   25.100042][  T640]  pipe_ioctl+0x2c2/0x3a0
[   25.100043][  T640]  __x64_sys_ioctl+0xf3/0x130
[   25.100044][  T640]  do_syscall_64+0x3b/0x90
[   25.100045][  T640]  entry_SYSCALL_64_after_hwframe+0x63/0xcd
[   25.100046][  T640]
[   25.100047][  T640] The buggy address belongs to the object at ffff88801e0a3c00
[   25.100048][  T640]  which belongs to the cache kmalloc-32 of size 32
[   25.100049][  T640] ==================================================================
[   25.100050][  T640] Kernel panic - not syncing: KASAN: panic_on_warn set ...
[   25.100051][  T640] CPU: 1 PID: 640 Comm: repro Not tainted 6.1.0 #1
[   25.100052][  T640] Call Trace:
[   25.100053][  T640]  <TASK>
[   25.100054][  T640]  dump_stack_lvl+0x49/0x63
[   25.100055][  T640]  panic+0x2d8/0x5e0
[   25.100056][  T640]  end_report+0xf3/0x120
[   25.100057][  T640]  kasan_report+0xc1/0x130
[   25.100058][  T640]  watch_queue_set_filter+0x5a4/0x620
[   25.100059][  T640]  </TASK>
[   25.100060][  T640] Kernel Offset: disabled
[   25.100061][  T640] Rebooting in 86400 seconds..
"""

LEAK_61 = """\
[   40.200000] random: crng init done
BUG: memory leak
unreferenced object 0xffff888012345600 (size 64):
  comm "repro", pid 1234, jiffies 4294942123 (age 12.340s)
  hex dump (first 32 bytes):
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................
  backtrace:
    [<ffffffff81a1b2c3>] __kmalloc+0x49/0x190
    [<ffffffff81f0a1b2>] watch_queue_set_size+0x1a2/0x2f0
    [<ffffffff81b0c1d2>] pipe_ioctl+0x12c/0x3a0
    [<ffffffff81b2e3f4>] __x64_sys_ioctl+0xf3/0x130
    [<ffffffff83a1b2c3>] do_syscall_64+0x3b/0x90
    [<ffffffff83c0006a>] entry_SYSCALL_64_after_hwframe+0x63/0xcd
"""

WARN_61 = """\
[   12.000001] ------------[ cut here ]------------
[   12.000002] WARNING: CPU: 0 PID: 77 at net/sched/sch_api.c:1234 qdisc_create+0x99/0x500
[   12.000003] Modules linked in:
[   12.000004] CPU: 0 PID: 77 Comm: syz-executor.3 Not tainted 6.1.0 #1
[   12.000005] RIP: 0010:qdisc_create+0x99/0x500
[   12.000006] Code: 48 89 df e8 00 00 00 00 <0f> 0b eb 9a
[   12.000007] Call Trace:
[   12.000008]  <TASK>
[   12.000009]  tc_modify_qdisc+0x4a1/0x1a00
[   12.000010]  rtnetlink_rcv_msg+0x43d/0xd50
[   12.000011]  netlink_rcv_skb+0x165/0x440
[   12.000012]  netlink_unicast+0x547/0x7f0
[   12.000013]  </TASK>
[   12.000014] Kernel panic - not syncing: panic_on_warn set ...
"""


def test_kasan_then_panic_on_warn_gives_the_kasan_title():
    report = parse(KASAN_61)
    assert report.crashed
    assert report.title == "KASAN: use-after-free Read in watch_queue_set_filter"
    assert report.alt_titles == ["bad-access in watch_queue_set_filter"]
    assert report.type == "KASAN-USE-AFTER-FREE-READ"
    assert not report.corrupted, report.corrupted_reason
    assert "interleaved line" not in report.report  # another task's line
    assert "panic_on_warn" not in report.report  # the panic repeats the report's stack
    assert [f.function for f in report.frames][:4] == [
        "dump_stack_lvl",
        "print_report",
        "kasan_report",
        "watch_queue_set_filter",
    ]


def test_kmemleak_dump_after_marker_line():
    report = parse(LEAK_61)
    assert report.title == "memory leak in watch_queue_set_size"
    assert report.type == "LEAK"
    assert not report.corrupted
    assert report.report.startswith("BUG: memory leak\nunreferenced object")


def test_warning_with_syz_executor_and_panic():
    report = parse(WARN_61)
    assert report.title == "WARNING in qdisc_create"
    assert report.type == "WARNING"
    assert not report.corrupted, report.corrupted_reason


DENTRY_61 = """\
[   30.123456] BUG: Dentry 00000000a1b2c3d4{i=1,n=/}  still in use (2) [unmount of sysfs sysfs]
[   30.123999] ------------[ cut here ]------------
[   30.124000] WARNING: CPU: 1 PID: 1234 at fs/dcache.c:1675 umount_check+0x18d/0x1d0
[   30.124001] Modules linked in:
[   30.124002] CPU: 1 PID: 1234 Comm: repro Not tainted 6.1.192 #1
[   30.124003] Hardware name: QEMU Standard PC (i440FX + PIIX, 1996)
[   30.124004] RIP: 0010:umount_check+0x18d/0x1d0
[   30.124005] Call Trace:
[   30.124006]  <TASK>
[   30.124007]  d_walk+0x1a0/0x600
[   30.124008]  shrink_dcache_for_umount+0x8b/0x140
[   30.124009]  generic_shutdown_super+0x6a/0x3a0
[   30.124010]  kill_anon_super+0x36/0x60
[   30.124011]  kernfs_kill_sb+0x1b/0x30
[   30.124012]  sysfs_kill_sb+0x47/0x80
[   30.124013]  deactivate_locked_super+0xa0/0x110
[   30.124014]  cleanup_mnt+0x3e/0x1a0
[   30.124015]  task_work_run+0xe5/0x170
[   30.124016]  exit_to_user_mode_prepare+0x20a/0x210
[   30.124017]  syscall_exit_to_user_mode+0x1e/0x50
[   30.124018]  do_syscall_64+0x4c/0x90
[   30.124019]  entry_SYSCALL_64_after_hwframe+0x63/0xcd
[   30.124020]  </TASK>
[   30.124021] Kernel panic - not syncing: panic_on_warn set ...
"""


def test_dentry_still_in_use_keeps_the_unmounted_fs_as_its_alternative():
    # fs/dcache.c umount_check() prints the BUG line, then WARN_ON(1): the BUG names it
    report = parse(DENTRY_61)
    assert report.title == "BUG: Dentry still in use in unmount"
    assert report.alt_titles == ["BUG: Dentry still in use [unmount of sysfs sysfs]"]
    cut = parse("[   30.1] BUG: Dentry ffff888021a2b3c8{i=0,n=file0}  still in use\n")
    assert (cut.title, cut.alt_titles) == ("BUG: Dentry still in use in unmount", [])
    assert not report.corrupted, report.corrupted_reason
    assert report.report.startswith("BUG: Dentry")


@pytest.mark.parametrize(
    "line",
    [
        "BUG: unable to handle page fault for address: ffffffffffffffff",
        "general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000",
        "INFO: task syz-executor.0:4321 blocked for more than 143 seconds.",
    ],
)
def test_headers_alone_are_corrupted_crashes(line):
    report = parse(f"[   10.000000] {line}\n")
    assert report.crashed and contains_crash(line)
    assert report.corrupted


def test_no_crash():
    log = "[    0.000000] Linux version 6.1.0\n[    1.000000] Run /init as init process\n"
    assert not contains_crash(log)
    report = parse(log)
    assert report == CrashReport(crashed=False)
    assert parse(b"") == CrashReport(crashed=False)


def test_suppressed_lines_are_not_crashes():
    log = "[    5.000000] WARNING: /etc/ssh/moduli does not exist, using fixed modulus\n"
    assert not contains_crash(log)
    assert not parse(log).crashed


def test_bytes_and_carriage_returns():
    assert parse(KASAN_61.replace("\n", "\r\n").encode()).title == parse(KASAN_61).title
    assert parse(b"\xff\xfe" + LEAK_61.encode()).title == "memory leak in watch_queue_set_size"


def test_same_bug_by_title_or_alt_title():
    a = parse(KASAN_61)
    b = CrashReport(crashed=True, title="KASAN: use-after-free Write in x", alt_titles=[
        "bad-access in watch_queue_set_filter"])  # fmt: skip
    assert a.same_bug(b) and b.same_bug(a)
    assert a.same_bug("KASAN: use-after-free Read in watch_queue_set_filter")
    assert CrashReport(crashed=True, title="WARNING in foo").same_bug("WARNING in foo")
    assert not a.same_bug("WARNING in qdisc_create")
    assert not a.same_bug(CrashReport(crashed=False))


def test_parser_instance_parse_file(tmp_path):
    path = tmp_path / "console.log"
    path.write_text(WARN_61)
    parser = CrashParser()
    assert parser.parse_file(str(path)).title == "WARNING in qdisc_create"
    with pytest.raises(ValueError, match="cannot read console log"):
        parser.parse_file(str(tmp_path / "missing.log"))


def kgym(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kgym.front.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_json_one_line_per_file_in_order(tmp_path):
    files = []
    for name, text in [("warn", WARN_61), ("none", "hello\n"), ("kasan", KASAN_61)]:
        files.append(tmp_path / name)
        files[-1].write_text(text)
    done = kgym("parse", "--json", *map(str, files))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    objs = [json.loads(line) for line in lines]
    assert [o["file"] for o in objs] == [str(f) for f in files]
    assert set(objs[0]) == {
        "file", "crashed", "title", "alt_titles", "type", "frames", "guilty_file",
        "corrupted", "corrupted_reason", "suppressed", "report",
    }  # fmt: skip
    assert [o["title"] for o in objs] == [
        "WARNING in qdisc_create",
        None,
        "KASAN: use-after-free Read in watch_queue_set_filter",
    ]
    assert objs[1]["crashed"] is False


def test_cli_missing_file_is_a_clear_error(tmp_path):
    log = tmp_path / "leak"
    log.write_text(LEAK_61)
    done = kgym("parse", str(tmp_path / "nope"), str(log))
    assert done.returncode == 2
    assert "cannot read console log" in done.stderr
    assert "memory leak in watch_queue_set_size" in done.stdout


UBSAN_61 = """\
[   30.000001] ================================================================================
[   30.000002] UBSAN: shift-out-of-bounds in net/sched/sch_taprio.c:1234:45
[   30.000003] shift exponent 64 is too large for 64-bit type 'long long unsigned int'
[   30.000004] CPU: 0 PID: 300 Comm: repro Not tainted 6.1.0 #1
[   30.000005] Call Trace:
[   30.000006]  <TASK>
[   30.000007]  dump_stack_lvl+0x49/0x63
[   30.000008]  __ubsan_handle_shift_out_of_bounds.cold+0xb1/0x187
[   30.000009]  taprio_change+0x1f2a/0x2100
[   30.000010]  qdisc_create+0x4a1/0x1000
[   30.000011]  tc_modify_qdisc+0x4a1/0x1a00
[   30.000012]  </TASK>
[   30.000013] ================================================================================
[   30.000014] Kernel panic - not syncing: UBSAN: panic_on_warn set ...
[   30.000015] CPU: 0 PID: 300 Comm: repro Not tainted 6.1.0 #1
[   30.000016] Call Trace:
[   30.000017]  <TASK>
[   30.000018]  dump_stack_lvl+0x49/0x63
[   30.000019]  panic+0x2d8/0x5e0
[   30.000020]  check_panic_on_warn.cold+0x19/0x35
[   30.000021]  ubsan_epilogue+0x3e/0x40
[   30.000022]  </TASK>
"""


def test_ubsan_then_panic_on_warn_gives_the_ubsan_title():
    report = parse(UBSAN_61)
    assert report.title == "UBSAN: shift-out-of-bounds in taprio_change"
    assert report.type == "UBSAN"
    assert not report.corrupted, report.corrupted_reason
    assert report.guilty_file == "net/sched/sch_taprio.c"


NULL_DEREF_61 = """\
[   31.000001] ==================================================================
[   31.000002] BUG: KASAN: null-ptr-deref in __free_pages+0x1f/0x110
[   31.000003] Read of size 4 at addr 0000000000000034 by task repro/310
[   31.000004]
[   31.000005] CPU: 0 PID: 310 Comm: repro Not tainted 6.1.0 #1
[   31.000006] Call Trace:
[   31.000007]  <TASK>
[   31.000008]  dump_stack_lvl+0x49/0x63
[   31.000009]  kasan_report+0xb1/0x130
[   31.000010]  kasan_check_range+0x10e/0x1c0
[   31.000011]  __free_pages+0x1f/0x110
[   31.000012]  pipe_buf_release+0x2a/0x40
[   31.000013]  </TASK>
[   31.000014] ==================================================================
"""


def test_an_allocator_that_made_the_bad_access_is_named():
    """An allocator is generic as a caller, not as the function that faulted."""
    report = parse(NULL_DEREF_61)
    assert report.title == "KASAN: null-ptr-deref Read in __free_pages"
    assert report.type == "KASAN-NULL-POINTER-DEREFERENCE-READ"
    freed = NULL_DEREF_61.replace("null-ptr-deref in __free_pages", "double-free in kfree")
    freed = freed.replace("__free_pages+", "kfree+")
    freed = freed.replace("Read of size 4 at addr 0000000000000034 by", "Free of addr x by")
    # syzbot calls every bad free (double-free, invalid-free) an invalid free
    assert parse(freed).title == "KASAN: invalid-free in pipe_buf_release"


def _log(lines: str) -> str:
    return "".join(f"[   40.{i:06d}][  T501] {line}\n" for i, line in enumerate(lines.split("\n")))


NULL_PF_61 = _log("""\
BUG: kernel NULL pointer dereference, address: 0000000000000000
#PF: supervisor read access in kernel mode
#PF: error_code(0x0000) - not-present page
Oops: 0000 [#1] PREEMPT SMP KASAN
CPU: 0 PID: 501 Comm: repro Not tainted 6.1.0 #1
RIP: 0010:fifo_set_limit+0x1a/0x80
RSP: 0018:ffffc90000b2f7c8 EFLAGS: 00010246
Call Trace:
 <TASK>
 red_change+0x2e1/0x6a0
 qdisc_create+0x4a1/0x1000
 tc_modify_qdisc+0x4a1/0x1a00
 </TASK>""")

REFCOUNT_61 = _log("""\
------------[ cut here ]------------
refcount_t: underflow; use-after-free.
WARNING: CPU: 0 PID: 501 at lib/refcount.c:28 refcount_warn_saturate+0x13d/0x1a0
Modules linked in:
RIP: 0010:refcount_warn_saturate+0x13d/0x1a0
Call Trace:
 <TASK>
 qdisc_put+0x10f/0x130
 red_init+0x3b0/0x520
 qdisc_create+0x4a1/0x1000
 </TASK>""")

RCU_USAGE_61 = _log("""\
=============================
WARNING: suspicious RCU usage
6.1.0 #1 Not tainted
-----------------------------
net/ipv6/addrconf.c:5195 suspicious rcu_dereference_check() usage!

other info that might help us debug this:

1 lock held by repro/501:
 #0: ffffffff8d2b3c40 (rtnl_mutex){+.+.}-{3:3}, at: netlink_dump+0x5b/0xd50

stack backtrace:
CPU: 0 PID: 501 Comm: repro Not tainted 6.1.0 #1
Call Trace:
 <TASK>
 dump_stack_lvl+0x49/0x63
 lockdep_rcu_suspicious+0x1f/0x30
 in6_dump_addrs+0x121/0x1280
 inet6_dump_addr+0x8d7/0xa60
 netlink_dump+0x5b/0xd50
 </TASK>""")

STALL_61 = _log("""\
rcu: INFO: rcu_preempt self-detected stall on CPU
rcu: \t0-....: (10500 ticks this GP) idle=5ec/1/0x4000000000000000
CPU: 0 PID: 501 Comm: repro Not tainted 6.1.0 #1
Call Trace:
 <IRQ>
 dump_stack_lvl+0x49/0x63
 rcu_dump_cpu_stacks+0x1cc/0x2a0
 rcu_sched_clock_irq+0x7d0/0x1190
 update_process_times+0x11a/0x1a0
 tick_sched_timer+0x1ac/0x230
 __hrtimer_run_queues+0x1aa/0x4a0
 hrtimer_interrupt+0x2c5/0x680
 __sysvec_apic_timer_interrupt+0x1c7/0x2c0
 sysvec_apic_timer_interrupt+0x70/0x90
 </IRQ>
 <TASK>
 asm_sysvec_apic_timer_interrupt+0x16/0x20
RIP: 0010:taprio_dequeue_loop+0x44/0x90
RSP: 0018:ffffc90000b2f7c8 EFLAGS: 00000246
 taprio_change+0x1f2a/0x2100
 qdisc_create+0x4a1/0x1000
 tc_modify_qdisc+0x4a1/0x1a00
 rtnetlink_rcv_msg+0x43d/0xd50
 netlink_rcv_skb+0x165/0x440
 netlink_unicast+0x547/0x7f0
 netlink_sendmsg+0x91b/0xe10
 sock_sendmsg_nosec+0xbf/0xe0
 ____sys_sendmsg+0x5a8/0x990
 ___sys_sendmsg+0x115/0x1b0
 __sys_sendmsg+0xf4/0x1a0
 __x64_sys_sendmsg+0x4a/0x60
 do_syscall_64+0x3b/0x90
 entry_SYSCALL_64_after_hwframe+0x63/0xcd
 </TASK>""")


@pytest.mark.parametrize(
    "log, title, alts",
    [
        (NULL_PF_61, "BUG: unable to handle kernel NULL pointer dereference in fifo_set_limit",
         ["bad-access in fifo_set_limit"]),
        (REFCOUNT_61, "WARNING: refcount bug in qdisc_put", []),
        (RCU_USAGE_61, "WARNING: suspicious RCU usage in in6_dump_addrs", []),
        # a stall names the unit of work the interrupt stopped, past the netlink and
        # socket layers and the multiplexed sendmsg syscall
        (STALL_61, "INFO: rcu detected stall in tc_modify_qdisc",
         ["stall in tc_modify_qdisc"]),
    ],
    ids=["null-deref", "refcount", "rcu-usage", "stall"],
)  # fmt: skip
def test_kgym_kernel_reports(log, title, alts):
    report = parse(log)
    assert (report.title, report.alt_titles) == (title, alts)
    assert not report.corrupted, report.corrupted_reason


GPF_PLAIN = _log("""\
general protection fault, probably for non-canonical address 0xdffffc0000000002: 0000 [#1]
KASAN: null-ptr-deref in range [0x0000000000000010-0x0000000000000017]
CPU: 1 PID: 501 Comm: repro Not tainted 6.1.0 #1
RIP: 0010:af_alg_sendmsg+0x2c1/0x1a40
Call Trace:
 <TASK>
 ? __might_fault+0xe1/0x170
 hash_sendmsg+0xc2/0x340
 ? skcipher_sendmsg+0x10/0x10
 sock_sendmsg+0xde/0x190
 ____sys_sendmsg+0x71c/0x900
 </TASK>
Kernel panic - not syncing: Fatal exception""")


def test_plain_x86_64_trace_names_the_crash():
    """The stack shape of modern kernels: no [<address>], no file:line, "?" frames."""
    report = parse(GPF_PLAIN)
    assert report.title == "general protection fault in af_alg_sendmsg"
    assert not report.corrupted, report.corrupted_reason
    assert [f.function for f in report.frames] == [
        "af_alg_sendmsg", "hash_sendmsg", "sock_sendmsg", "____sys_sendmsg",
    ]  # fmt: skip
    panic = "".join(f"[    9.00000{i}] {t}\n" for i, t in enumerate([
        "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)",
        "CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0 #1",
    ]))  # fmt: skip
    assert (
        parse(panic).title == "kernel panic: VFS: Unable to mount root fs on unknown-block(NUM,NUM)"
    )


def test_anatomy_of_a_kasan_report():
    from actors.crash_parser import console
    from actors.crash_parser.anatomy import cut
    from actors.crash_parser.parser import first_header

    offset, header = first_header(KASAN_61)
    report = cut((console.split(x) for x in KASAN_61[offset:].split("\n")), header)
    text = list(report.lines)
    assert report.end == "separator" and text[-1].startswith("=====")
    assert set(report.parts) == {"access", "task", "hardware", "registers", "allocated", "freed"}
    assert text[report.parts["access"]].startswith("Read of size 4")
    assert text[report.parts["allocated"]] == "Allocated by task 640:"
    assert all("interleaved" not in t for t in text)  # another task's line
    stacks = sorted({f.stack for f in report.frames})
    assert len(stacks) == 3  # the call trace, "Allocated by", "Freed by"
    assert report.unreliable > 0  # "? f+0x1/0x2" frames: counted, not kept
    assert [f.frame.function for f in report.frames if f.stack == stacks[1]][-1] == (
        "entry_SYSCALL_64_after_hwframe"
    )


def test_another_tasks_dump_mixed_in_makes_the_frame_corrupted():
    # a hung-task report (kernel/hung_task.c prints no hardware line) with another
    # task's dump_stack() output mixed in, no caller ids to tell them apart
    log = (
        "[  247.18] INFO: task kworker/0:3:7985 blocked for more than 120 seconds.\n"
        "[  247.19] Hardware name: QEMU Standard PC (i440FX + PIIX, 1996)\n"
        "[  247.19] Call Trace:\n"
        "[  247.19]  dump_stack+0x1a7/0x27d\n"
        "[  247.19]  should_fail+0x914/0xae0\n"
        "[  247.20]       Not tainted 4.16.0+ #288\n"
        "[  247.21]  __schedule+0x8fb/0x1ec0\n"
        "[  247.22]  schedule+0xf5/0x430\n"
        "[  247.22]  linkwatch_event+0x27/0x60\n"
        "[  247.23]  worker_thread+0x223/0x1990\n"
    )
    got = parse(log)
    assert got.title == "INFO: task hung in corrupted"
    assert got.corrupted and "mixed in" in (got.corrupted_reason or "")
    # the same report with the task line the hardware line belongs to, and without
    # the fault-injection frame (another dump's, syzbot's convention), is whole
    whole = log.replace(
        "[  247.19] Hardware name:",
        "[  247.19] CPU: 0 PID: 7985 Comm: kworker/0:3\n[  247.19] Hardware name:",
    ).replace("[  247.19]  should_fail+0x914/0xae0\n", "")
    assert parse(whole).title == "INFO: task hung in linkwatch_event"
