"""Report headers as Linux 6.1's printing code builds them (the format string's fields
filled in), each read as its kind: the table follows the kernel, not the logs we have.
Each row names the function whose format it is."""

from __future__ import annotations

import pytest

from actors.crash_parser import parse
from actors.crash_parser.kinds import match_header

# (a header line, the kind that reads it)
HEADERS = [
    # mm/kasan/report.c print_error_description(), kasan_report_async()
    ("BUG: KASAN: slab-use-after-free in hash_sendmsg+0xc2/0x340", "kasan"),
    ("BUG: KASAN: double-free in kfree+0x1/0x2", "kasan-free"),
    ("BUG: KASAN: invalid-access", "kasan-async"),
    # mm/kmsan/report.c kmsan_report(), mm/kfence/report.c kfence_report_error()
    ("BUG: KMSAN: kernel-infoleak in copyout+0x1/0x2", "kmsan"),
    ("BUG: KFENCE: use-after-free read in f+0x1/0x2", "kfence"),
    ("BUG: KFENCE: invalid free in f+0x1/0x2", "kfence"),
    # kernel/kcsan/report.c print_report(): both sides, or one
    ("BUG: KCSAN: data-race in f / g", "kcsan"),
    ("BUG: KCSAN: data-race in f+0x1/0x2", "kcsan-one"),
    # lib/ubsan.c ubsan_prologue()
    ("UBSAN: shift-out-of-bounds in net/core/dev.c:12:3", "ubsan"),
    # mm/kmemleak.c print_unreferenced()
    ("unreferenced object 0xffff888012345678 (size 64):", "leak"),
    # kernel/locking/lockdep.c
    ("WARNING: possible circular locking dependency detected", "lockdep-circular"),
    ("WARNING: possible recursive locking detected", "lockdep-recursive"),
    ("WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected", "lockdep-irq"),
    ("WARNING: possible irq lock inversion dependency detected", "lockdep-irq-inversion"),
    ("WARNING: inconsistent lock state", "lockdep-inconsistent"),
    ("WARNING: bad unlock balance detected!", "lockdep-unlock"),
    ("WARNING: held lock freed!", "lockdep-freed"),
    ("WARNING: lock held when returning to user space!", "lockdep-return"),
    ("WARNING: Nested lock was not taken", "lockdep-nested"),
    ("WARNING: syz exec/123 still has locks held!", "lockdep-held"),  # a comm with a blank
    ("WARNING: suspicious RCU usage", "rcu-suspicious"),
    ("BUG: MAX_LOCKDEP_CHAINS too low!", "lockdep-limit"),
    ("INFO: trying to register non-static key.", "lockdep-static-key"),
    # kernel/hung_task.c check_hung_task(): "task %s:%d", a comm may hold ':' and ' '
    ("INFO: task syz-executor:123 blocked for more than 143 seconds.", "hung-task"),
    ("INFO: task kworker/u4:2:77 blocked for more than 143 seconds.", "hung-task"),
    ("INFO: task a b:c:9 blocked for more than 143 seconds.", "hung-task"),
    # kernel/rcu/tree_stall.h, tree_exp.h, tasks.h (pr_fmt "rcu: ")
    ("rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:", "rcu-stall"),
    ("rcu: INFO: rcu_preempt self-detected stall on CPU", "rcu-stall"),
    ("rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: {", "rcu-stall"),
    ("INFO: rcu_tasks detected stalls on tasks:", "rcu-stall"),
    # kernel/watchdog.c watchdog_timer_fn() (pr_fmt "watchdog: ", 4.x "NMI watchdog: ")
    ("watchdog: BUG: soft lockup - CPU#1 stuck for 123s! [syz:1]", "soft-lockup"),
    ("NMI watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [syz:1]", "soft-lockup"),
    # kernel/sched/core.c, lib/smp_processor_id.c, kernel/locking/spinlock_debug.c
    ("BUG: scheduling while atomic: syz/123/0x00000002", "sched-atomic"),
    ("BUG: sleeping function called from invalid context at mm/slab.h:12", "might-sleep"),
    ("BUG: using smp_processor_id() in preemptible [00000000] code: syz/1", "preemptible"),
    ("BUG: spinlock bad magic on CPU#0, syz/1", "spinlock-debug"),
    # kernel/workqueue.c
    ("BUG: workqueue leaked lock or atomic: kworker/0:1/0x00000000/12", "workqueue-leak"),
    ("BUG: workqueue lockup - pool cpus=0 node=0 flags=0x0 nice=0 stuck for 30s!",
     "workqueue-lockup"),
    # kernel/fork.c check_mm(), mm/page_alloc.c bad_page(), mm/memory.c print_bad_pte()
    ("BUG: Bad rss-counter state mm:ffff type:MM_FILEPAGES val:1", "check-mm"),
    ("BUG: Bad page state in process syz  pfn:1234", "bad-page"),
    ("BUG: Bad page map in process syz  pte:00000000 pmd:00000000", "bad-page-map"),
    # mm/slub.c slab_bug(): "BUG %s (%s): %pV"
    ("BUG kmalloc-64 (Not tainted): Poison overwritten", "slub"),
    # arch/x86/kernel/traps.c, arch/x86/mm/fault.c (6.9+ prefix "Oops: ")
    ("BUG: TASK stack guard page was hit at ffffc90000000000 (stack is a..b)", "stack-guard"),
    ("BUG: kernel NULL pointer dereference, address: 0000000000000000", "page-fault"),
    ("BUG: unable to handle page fault for address: ffff88800000", "page-fault"),
    # arch/powerpc/mm/fault.c __bad_page_fault(): "BUG: %s on %s at 0x%08lx", "BUG: %s at"
    ("BUG: Kernel NULL pointer dereference on read at 0x00000000", "page-fault"),
    ("BUG: Kernel NULL pointer dereference at 0x00000010", "page-fault"),
    ("BUG: Unable to handle kernel data access on write at 0xc000000012345678", "page-fault"),
    ("general protection fault, probably for non-canonical address 0xdffffc0000000000: "
     "0000 [#1] PREEMPT SMP KASAN", "gpf"),
    ("Oops: general protection fault, probably for non-canonical address 0x1: 0000 [#1]",
     "gpf"),
    ("divide error: 0000 [#1] PREEMPT SMP KASAN", "trap"),
    ("Oops: invalid opcode: 0000 [#1] PREEMPT SMP KASAN NOPTI", "trap"),
    ("PANIC: double fault, error_code: 0x0", "double-fault"),
    # lib/bug.c report_bug(), kernel/panic.c __warn()
    ("kernel BUG at net/core/dev.c:12!", "bug"),
    ("WARNING: CPU: 0 PID: 1 at net/core/dev.c:12 dev_foo+0x1/0x2", "warning"),
    ("WARNING: CPU: 0 PID: 1 at dev_foo+0x1/0x2", "warning-nofile"),
    # arch/arm64/mm/fault.c die_kernel_fault(), arch/arm64/kernel/traps.c die()
    ("Unable to handle kernel paging request at virtual address dead", "arm-fault"),
    ("Internal error: Oops: 96000004 [#1] PREEMPT SMP", "arm-die"),
    # kernel/panic.c panic()
    ("Kernel panic - not syncing: hung_task: blocked tasks", "panic"),
]  # fmt: skip
# Lines the kernel prints that are not reports.
NOT_HEADERS = [
    "WARNING: Spectre-v2 mitigation is off, disabling ITS",  # arch/x86/kernel/cpu/bugs.c
    "INFO: lockdep is turned off.",  # kernel/locking/lockdep.c
    "BUG: not creating mapping for 0x1 at 0x2 - outside kernel range",  # arm64 mmu.c
    "WARNING: BIOS bug: CPU MTRRs don't cover all of memory, losing 1MB of RAM.",
]


@pytest.mark.parametrize(("line", "kind"), HEADERS)
def test_kernel_header_is_read_as_its_kind(line, kind):
    header = match_header(line)
    assert header is not None and header.kind.name == kind


@pytest.mark.parametrize("line", NOT_HEADERS)
def test_kernel_lines_that_are_not_reports(line):
    assert match_header(line) is None


HUNG = """\
[  143.100000][   T29] INFO: task {comm}:5123 blocked for more than 143 seconds.
[  143.100001][   T29]       Not tainted 6.1.0 #1
[  143.100002][   T29] task:{comm}  state:D stack:0 pid:5123 ppid:1 flags:0x00004004
[  143.100003][   T29] Call Trace:
[  143.100004][   T29]  <TASK>
[  143.100005][   T29]  __schedule+0x8a1/0x2410
[  143.100006][   T29]  schedule+0xc3/0x180
[  143.100007][   T29]  ? p9_fd_close+0x20/0x300
[  143.100008][   T29]  schedule_preempt_disabled+0x13/0x20
[  143.100009][   T29]  __mutex_lock+0x5b2/0xa30
[  143.100010][   T29]  p9_fd_close+0x8a/0x300
[  143.100011][   T29]  p9_client_destroy+0xb6/0x3c0
[  143.100012][   T29]  __x64_sys_close+0x38/0x80
[  143.100013][   T29]  do_syscall_64+0x35/0x80
[  143.100014][   T29]  entry_SYSCALL_64_after_hwframe+0x63/0xcd
[  143.100015][   T29]  </TASK>
"""


@pytest.mark.parametrize("comm", ["syz-executor", "kworker/u4:2", "a b:c"])
def test_a_hung_task_is_named_whatever_its_comm(comm):
    report = parse(HUNG.format(comm=comm))
    assert report.title == "INFO: task hung in p9_fd_close"
    assert not report.corrupted, report.corrupted_reason
