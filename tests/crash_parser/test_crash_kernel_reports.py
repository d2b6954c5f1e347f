"""Whole reports built from the kernel's printk format strings (Linux 6.1 unless said
otherwise), one per kind or convention, with the title and corruption syzbot gives
them: the table and the anatomy follow the kernel and syzbot's conventions, not only
the labelled logs. Each case names the function whose output it is."""

from __future__ import annotations

import pytest

from actors.crash_parser import parse


def console(*lines: str, caller: str | None = "T100") -> str:
    """Lines as printk writes them to the console: timestamp, caller id, text."""
    who = f"[{caller:>6}]" if caller else ""
    return "".join(f"[   10.{i:06d}]{who} {line}\n" for i, line in enumerate(lines))


TASK = "CPU: 0 PID: 100 Comm: syz-executor.0 Not tainted 6.1.0 #1"
HARDWARE = "Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2 04/01/2014"
SYSCALL = (" __x64_sys_ioctl+0x19/0x20", " do_syscall_64+0x35/0x80",
           " entry_SYSCALL_64_after_hwframe+0x63/0xcd", " </TASK>")  # fmt: skip

# (name, log, title, corrupted)
CASES = [
    # rust/kernel/lib.rs panic(): the message on the line after "panicked at", then BUG()
    ("rust-panic", console(
        "rust_kernel: panicked at rust/kernel/sync/arc.rs:120:9:",
        "attempt to subtract with overflow",
        "------------[ cut here ]------------",
        "kernel BUG at rust/helpers.c:34!",
        "invalid opcode: 0000 [#1] PREEMPT SMP KASAN",
        TASK, HARDWARE,
        "RIP: 0010:rust_helper_BUG+0x9/0x10",
        "Call Trace:", " <TASK>",
        " rust_begin_unwind+0x5c/0x60",
        " _RNvNtCs1234_4core9panicking9panic_fmt+0x2c/0x30",
        " binder_thread_release+0x1a/0x40", *SYSCALL,
    ), "attempt to subtract with overflow in binder_thread_release", False),
    # Trusty's assert (drivers/trusty, out of tree), and its other panics
    ("trusty-assert", console(
        "trusty: panic (caller 0xffffffffe000fbb8): ASSERT FAILED at "
        "(trusty/kernel/lib/trusty/ipc.c:472): !list_in_list(&chan->node)",
        "trusty: HALT: (reason = 9)", caller=None,
    ), "trusty: ASSERT FAILED: !list_in_list(&chan->node)", False),
    ("trusty-panic", console(
        "trusty: panic (caller 0xffffffffe000fbb8): out of heap", caller=None,
    ), "trusty: panic: out of heap", False),
    # mm/slub.c slab_bug() for a kmalloc cache: titled by the line itself
    ("slub-kmalloc", console(
        "=" * 77,
        "BUG kmalloc-64 (Tainted: G    B            ): Redzone overwritten",
        "-" * 77,
        "0xffff888012345678-0xffff888012345679 @offset=72. First byte 0x6b instead of 0xcc",
    ), "BUG kmalloc-NUM (Tainted: G B ): Redzone overwritten", False),
    # mm/kasan/report.c: a report cut before its access line ("Read of size ...") is
    # titled by its header's text and is corrupted
    ("kasan-no-access", console(
        "BUG: KASAN: slab-out-of-bounds in memcpy+0x1a/0x40",
        "** 12 printk messages dropped **",
    ), "KASAN: slab-out-of-bounds in memcpy", True),
    # the 4.x header ("... at addr ADDR") with its access line is an ordinary KASAN title
    ("kasan-4.x", console(
        "BUG: KASAN: use-after-free in hash_sendmsg+0xc2/0x340 at addr ffff88801234abcd",
        "Read of size 4 by task syz-executor.0/100",
        TASK, HARDWARE, "Call Trace:",
        " [<ffffffff81234567>] dump_stack+0x1a/0x40",
        " [<ffffffff81234567>] kasan_report+0x1a/0x40",
        " [<ffffffff81234567>] hash_sendmsg+0xc2/0x340",
        " [<ffffffff81234567>] sock_sendmsg+0xc2/0x340",
    ), "KASAN: use-after-free Read in hash_sendmsg", False),
    # lib/bug.c report_bug() in a socket-buffer helper: named by its caller
    ("kernel-bug-skb", console(
        "skbuff: skb_over_panic: text:ffffffff8a000000 len:120 put:64 head:ffff8880 "
        "data:ffff8880 tail:0x100 end:0xc0 dev:<NULL>",
        "------------[ cut here ]------------",
        "kernel BUG at net/core/skbuff.c:113!",
        "invalid opcode: 0000 [#1] PREEMPT SMP KASAN",
        TASK, HARDWARE,
        "RIP: 0010:skb_panic+0x16c/0x16e",
        "Call Trace:", " <TASK>",
        " skb_over_panic+0x1a/0x20", " skb_put+0x151/0x160",
        " tun_build_skb+0x40/0x100", " tun_get_user+0x1a/0x400", *SYSCALL,
    ), "kernel BUG in tun_build_skb", False),
    # kernel/panic.c __warn() in lib/list_debug.c (no BUG_ON_DATA_CORRUPTION): a plain
    # WARNING named past the list helpers
    ("warn-list-debug", console(
        "------------[ cut here ]------------",
        "list_add corruption. prev->next should be next (ffff888012345678), but was "
        "0000000000000000. (prev=ffff888012345600).",
        "WARNING: CPU: 0 PID: 100 at lib/list_debug.c:30 __list_add_valid+0xa1/0xd0",
        "Modules linked in:", TASK, HARDWARE,
        "RIP: 0010:__list_add_valid+0xa1/0xd0",
        "Call Trace:", " <TASK>", " team_add_slave+0x1a/0x40", *SYSCALL,
    ), "WARNING in team_add_slave", False),
    # lib/fault-inject.c fail_dump() from another task while a WARNING is printed, with
    # no caller ids to tell the lines apart: the report ends where the dump starts
    ("fault-injection-mixed-in", console(
        "WARNING: CPU: 1 PID: 27333 at mm/slab_common.c:1012 kmalloc_slab+0x5d/0x70",
        "Kernel panic - not syncing: panic_on_warn set ...",
        "FAULT_INJECTION: forcing a failure.",
        "name failslab, interval 1, probability 0, space 0, times 0",
        TASK, HARDWARE, "Call Trace:",
        " dump_stack+0x194/0x24d", " should_fail+0x914/0xae0",
        " should_failslab+0xec/0x120", " xfrm_add_sa+0x1b15/0x3440", caller=None,
    ), "WARNING: kmalloc bug in corrupted", True),
    # should_fail() frames in the stack that names a report: fault injection's dump
    # is mixed in, its frames may be the ones found (syzbot's convention)
    ("fault-injection-frames", console(
        "INFO: task syz-executor.0:100 blocked for more than 143 seconds.",
        "      Not tainted 6.1.0 #1",
        "task:syz-executor.0 state:D stack:0 pid:100 ppid:1 flags:0x00004004",
        "Call Trace:", " <TASK>", " __schedule+0x8a1/0x2410", " schedule+0xc3/0x180",
        " should_fail+0x914/0xae0", " p9_fd_close+0x8a/0x300", *SYSCALL, caller=None,
    ), "INFO: task hung in corrupted", True),
    # arm64 frames ("Call trace:", no addresses) of a WARNING
    ("arm64-warning", console(
        "WARNING: CPU: 1 PID: 100 at net/core/dev.c:12 dev_foo+0x1/0x2",
        "Modules linked in:", TASK, HARDWARE,
        "pstate: 60400005 (nZCv daif +PAN -UAO -TCO -DIT -SSBS BTYPE=--)",
        "pc : dev_foo+0x1/0x2", "lr : dev_foo+0x1/0x2",
        "sp : ffff80000a0c3a50", "x29: ffff80000a0c3a50 x28: 0000000000000000",
        "Call trace:", " dev_foo+0x1/0x2", " dev_ioctl+0x1a/0x40",
        " invoke_syscall+0x6c/0x260", " el0_svc_common.constprop.0+0xc4/0x254",
        " do_el0_svc+0x50/0x1c0", " el0_svc+0x58/0x17c",
    ), "WARNING in dev_foo", False),
]  # fmt: skip


@pytest.mark.parametrize(("log", "title", "corrupted"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_kernel_report(log, title, corrupted):
    report = parse(log)
    assert report.title == title
    assert report.corrupted == corrupted, report.corrupted_reason


def test_a_slub_report_of_another_cache_is_no_report_by_itself():
    # syzbot reads only kmalloc caches' SLUB headers; the reports after one are the crash
    log = console("BUG skbuff_head_cache (Not tainted): Poison overwritten")
    assert not parse(log).crashed


def test_a_corrupted_list_bug_is_also_a_bad_access():
    log = console(
        "list_del corruption. next->prev should be ffff888012345678, but was dead000000000122",
        "------------[ cut here ]------------",
        "kernel BUG at lib/list_debug.c:62!",
        "invalid opcode: 0000 [#1] PREEMPT SMP KASAN",
        TASK, HARDWARE,
        "RIP: 0010:__list_del_entry_valid+0xe6/0x120",
        "Call Trace:", " <TASK>", " tipc_exit_net+0x1a/0x40", *SYSCALL,
    )  # fmt: skip
    report = parse(log)
    assert report.title == "BUG: corrupted list in tipc_exit_net"
    assert report.alt_titles == ["bad-access in tipc_exit_net"]


GPF = (
    "general protection fault, probably for non-canonical address 0xdffffc0000000000: "
    "0000 [#1] PREEMPT SMP KASAN", TASK, HARDWARE, "RIP: 0010:sock_poll+0x1a/0x40",
    "RSP: 0018:ffffc90000cc3e70 EFLAGS: 00010286", "Call Trace:", " <TASK>",
)  # fmt: skip


def test_unreliable_frames_are_no_frames_of_a_stack():
    # arch/x86/kernel/dumpstack.c prints "? f+0x1/0x2" for a return address found on
    # the stack; syzbot drops those lines, so a stack of only them has no frames ...
    unreliable = [f" ? helper_{n}+0x1a/0x40" for n in range(16)]
    only = parse(console(*GPF, *unreliable))
    assert only.title == "general protection fault in sock_poll"
    assert only.corrupted, "a stack of unreliable frames only"
    # ... and they do not count against the 15 lines in which a frame must come
    mixed = parse(console(*GPF, *unreliable, " smc_poll+0x211/0xdd0", *SYSCALL))
    assert not mixed.corrupted, mixed.corrupted_reason


def test_only_the_first_stack_of_a_kind_must_have_frames():
    # a second call trace (the panic's, cut by the reboot) does not make a report cut
    log = console(*GPF, " smc_poll+0x211/0xdd0", *SYSCALL, "Call Trace:", "Modules linked in:",
                  "Kernel Offset: disabled")  # fmt: skip
    report = parse(log)
    assert not report.corrupted, report.corrupted_reason


@pytest.mark.parametrize(
    ("line", "suppressed"),
    [
        # mm/oom_kill.c __oom_kill_process() (4.x: "Kill process") choosing the harness
        ("Out of memory: Killed process 4321 (syz-executor) total-vm:1000kB", True),
        ("Out of memory: Kill process 4321 (sshd) score 1 or sacrifice child", True),
        ("Out of memory: Killed process 4321 (repro) total-vm:1000kB", False),
        ("*** stack smashing detected ***: terminated", True),  # glibc's abort, a program's
    ],
)  # fmt: skip
def test_a_log_where_the_harness_failed_is_suppressed(line, suppressed):
    log = console(*GPF, " smc_poll+0x211/0xdd0", *SYSCALL) + f"[   11.000000] {line}\n"
    report = parse(log)
    assert report.title == "general protection fault in sock_poll"
    assert report.suppressed == suppressed


def hung_task(*functions: str) -> str:
    """kernel/hung_task.c check_hung_task()'s report of a task blocked in `functions`."""
    return console(
        "INFO: task syz-executor.0:100 blocked for more than 143 seconds.",
        "      Not tainted 6.1.0 #1",
        "task:syz-executor.0 state:D stack:0 pid:100 ppid:1 flags:0x00004004",
        "Call Trace:", " <TASK>", *(f" {f}+0x1a/0x40" for f in functions), *SYSCALL,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("functions", "name"),
    [
        # the RTNL and RCU grace periods name a hang wherever they are in the stack
        (("__schedule", "schedule", "__mutex_lock", "rtnl_lock", "tun_chr_close"), "rtnl_lock"),
        (("__schedule", "schedule", "wait_for_completion", "__wait_rcu_gp",
          "synchronize_rcu_expedited", "synchronize_net", "dev_close"), "synchronize_rcu"),
        (("__schedule", "schedule", "synchronize_srcu", "kvm_io_bus_unregister_dev"),
         "synchronize_rcu"),
        # else the code that waited: past the scheduler, locks, completions, kthreads
        (("__schedule", "schedule", "rwsem_down_write_slowpath", "down_write", "p9_fd_close"),
         "p9_fd_close"),
        (("__schedule", "schedule", "schedule_timeout", "__wait_for_common",
          "wait_for_completion_killable", "__kthread_create_on_node", "kthread_create_on_node",
          "loop_add"), "loop_add"),
        (("__schedule", "schedule", "rcu_barrier", "netdev_run_todo"), "netdev_run_todo"),
    ],
)  # fmt: skip
def test_a_hung_task_is_named_by_what_it_waited_in(functions, name):
    report = parse(hung_task(*functions))
    assert report.title == f"INFO: task hung in {name}"
    assert f"hang in {name}" in report.alt_titles


def test_rcu_tasks_trace_stalls_are_titled_by_their_line():
    # kernel/rcu/tasks.h: syzbot's rcu-stall title is for rcu_preempt/sched/bh/tasks only
    report = parse(console("INFO: rcu_tasks_trace detected stalls on tasks:"))
    assert report.title == "INFO: rcu_tasks_trace detected stalls on tasks:"


CIRCULAR = (
    "======================================================",
    "WARNING: possible circular locking dependency detected",
    "6.1.0 #1 Not tainted",
    "------------------------------------------------------",
    "syz-executor.0/100 is trying to acquire lock:",
    "ffff888012345678 (&mm->mmap_lock){++++}-{3:3}, at: {trying}+0xa1/0x170",
    "",
    "but task is already holding lock:",
    "ffff888012345600 (&pipe->mutex/1){+.+.}-{3:3}, at: {holding}+0x1a/0x40",
    "",
    "which lock already depends on the new lock.",
    "",
    "the existing dependency chain (in reverse order) is:",
    "",
    "-> #1 (&pipe->mutex/1){+.+.}-{3:3}:",
    "       lock_acquire+0x1a/0x40",
    "       __mutex_lock+0x1a/0x40",
    "       fifo_open+0x1a/0x40",
    "",
    "-> #0 (&mm->mmap_lock){++++}-{3:3}:",
    "       __lock_acquire+0x1a/0x40",
    "       lock_acquire+0x1a/0x40",
    "       __might_fault+0xa1/0x170",
    "       pipe_write+0x1a/0x40",
    "",
    "stack backtrace:",
    TASK, HARDWARE, "Call Trace:", " <TASK>", " dump_stack_lvl+0x1a/0x40",
    " check_noncircular+0x1a/0x40", " __might_fault+0xa1/0x170", " pipe_write+0x1a/0x40",
    *SYSCALL,
)  # fmt: skip


@pytest.mark.parametrize(
    ("trying", "holding", "name"),
    [
        ("pipe_write", "pipe_lock", "pipe_write"),  # where the task tried to take it
        ("__might_fault", "pipe_lock", "pipe_lock"),  # generic: where it holds the other
        ("__might_fault", "mutex_lock_nested", "fifo_open"),  # then the chains' frames
    ],
)
def test_a_circular_deadlock_is_named_by_its_places_then_its_chains(trying, holding, name):
    # kernel/locking/lockdep.c print_circular_bug_header() and friends
    lines = [line.replace("{trying}", trying).replace("{holding}", holding) for line in CIRCULAR]
    report = parse(console(*lines))
    assert report.title == f"possible deadlock in {name}"
    assert not report.corrupted, report.corrupted_reason


def test_a_recursive_deadlock_is_named_by_the_place_as_printed():
    # print_deadlock_bug(): the place the task tried to take the lock again, generic or not
    report = parse(console(
        "============================================",
        "WARNING: possible recursive locking detected",
        "6.1.0 #1 Not tainted",
        "--------------------------------------------",
        "kworker/0:1/12 is trying to acquire lock:",
        "ffff888012345678 (&wq->mutex){+.+.}-{3:3}, at: flush_workqueue+0x1a/0x40",
        "", "but task is already holding lock:",
        "ffff888012345600 (&wq->mutex){+.+.}-{3:3}, at: destroy_workqueue+0x1a/0x40",
        "", "stack backtrace:", TASK, HARDWARE, "Call Trace:", " <TASK>",
        " dump_stack_lvl+0x1a/0x40", " __lock_acquire+0x1a/0x40", " flush_workqueue+0x1a/0x40",
        " bond_destructor+0x1a/0x40", *SYSCALL,
    ))  # fmt: skip
    assert report.title == "possible deadlock in flush_workqueue"


def test_a_panic_needs_its_call_trace_unless_it_names_the_function():
    # kernel/panic.c panic() dumps the stack; the stack protector's names the function
    assert parse(console("Kernel panic - not syncing: Out of memory and no killable "
                         "processes...")).corrupted  # fmt: skip
    guarded = parse(console("Kernel panic - not syncing: stack-protector: Kernel stack is "
                            "corrupted in: udp4_lib_lookup2+0x7ea/0x7f0"))  # fmt: skip
    assert guarded.title == "kernel panic: stack is corrupted in udp4_lib_lookup2"
    assert not guarded.corrupted, guarded.corrupted_reason


def test_a_glued_call_trace_is_a_call_trace():
    log = console(*GPF[:-2], "RSP: 0018:ffffc90000cc3e70 EFLAGS: 00010286 dffffc0000000000"
                  "Call Trace:", " smc_poll+0x211/0xdd0", *SYSCALL)  # fmt: skip
    report = parse(log)
    assert not report.corrupted, report.corrupted_reason


@pytest.mark.parametrize(
    ("line", "title"),
    [
        # kernel/sched/core.c schedule_debug(), mm/mempool.c check_element(),
        # kernel/locking/lockdep.c look_up_lock_class(), lockdep_init_map_type(),
        # print_lock_contention_bug(): syzbot knows no kind of these, and titles each by
        # its own line
        ("BUG: scheduling in a non-blocking section: syz-executor.1/1234/1",
         "BUG: scheduling in a non-blocking section: syz-executor/NUM"),
        ("BUG: mempool element poison mismatch", "BUG: mempool element poison mismatch"),
        ("BUG: looking up invalid subclass: 8", "BUG: looking up invalid subclass: NUM"),
        ("BUG: key ffff888012345678 has not been registered!",
         "BUG: key ADDR has not been registered!"),
        ("WARNING: bad contention detected!", "WARNING: bad contention detected!"),
    ],
)  # fmt: skip
def test_a_check_syzbot_knows_no_kind_of_is_titled_by_its_line(line, title):
    stack = ("Call Trace:", " <TASK>", " dump_stack_lvl+0x1a/0x40", " foo_bar+0x1a/0x40")
    report = parse(console(line, TASK, HARDWARE, *stack, *SYSCALL))
    assert report.title == title
    assert not report.corrupted, report.corrupted_reason
