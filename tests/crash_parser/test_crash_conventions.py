"""syzbot's title conventions, one synthetic console log per report kind: the header as
the kernel's printing code builds it (the function is named in each case), a task line,
registers where the kernel prints them, and a call trace. The expected titles are
syzbot's conventions (README.md says where they were learned), not any log's label."""

from __future__ import annotations

import pytest

from actors.crash_parser import parse
from actors.crash_parser.skip import generic
from actors.crash_parser.titles import names


def console(*lines: str) -> str:
    """A console log of kgym's 6.1 shape: boot lines, then `lines` with printk prefixes."""
    boot = ["Linux version 6.1.0 (kgym@builder) #1 SMP PREEMPT_DYNAMIC", "Run /sbin/init"]
    out = [f"[    1.{i:06d}][    T1] {line}" for i, line in enumerate(boot)]
    out += [f"[   52.{i:06d}][ T5123] {line}" for i, line in enumerate(lines)]
    return "\n".join(out) + "\n"


TASK = "CPU: 1 PID: 5123 Comm: syz-executor.0 Not tainted 6.1.0 #1"
HW = "Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2 04/01/2014"
REGS = "RSP: 0018:ffffc90003c77b10 EFLAGS: 00010246"


def trace(*functions: str) -> list[str]:
    """A 6.1 call trace of `functions`, innermost first."""
    frames = [f" {f}+0x{16 * (i + 1):x}/0x{512:x}" for i, f in enumerate(functions)]
    return ["Call Trace:", " <TASK>", *frames, " </TASK>"]


def oops(header: str, rip: str, *functions: str) -> str:
    """An x86 trap: header, task line, faulting IP, registers, trace, end marker."""
    return console(
        header, TASK, HW, f"RIP: 0010:{rip}+0x1a/0x80", REGS, *trace(*functions),
        "---[ end trace 0000000000000000 ]---",
    )  # fmt: skip


def warn(file: str, func: str, *functions: str) -> str:
    """kernel/panic.c __warn(): "WARNING: CPU: %d PID: %d at %pS" with the file."""
    return console(
        f"WARNING: CPU: 1 PID: 5123 at {file}:123 {func}+0x1a/0x80", "Modules linked in:",
        TASK, HW, f"RIP: 0010:{func}+0x1a/0x80", REGS, *trace(*functions),
        "---[ end trace 0000000000000000 ]---",
    )  # fmt: skip


SYSCALL = ("__x64_sys_ioctl", "do_syscall_64", "entry_SYSCALL_64_after_hwframe")

# (name, console log, syzbot's title, corrupted)
CASES = [
    # mm/kasan/report.c kasan_report_invalid_free(): every bad free is an invalid free,
    # named past the free path
    ("kasan-double-free", console(
        "BUG: KASAN: double-free in kfree+0x1a/0x80", "", TASK, HW,
        *trace("dump_stack_lvl", "print_report", "kasan_report_invalid_free",
               "____kasan_slab_free", "kfree", "sk_destruct", "__sk_free", *SYSCALL),
    ), "KASAN: invalid-free in sk_destruct", False),
    ("kasan-invalid-free-5.x", console(
        "BUG: KASAN: double-free or invalid-free in kfree+0x1a/0x80", "", TASK, HW,
        *trace("dump_stack_lvl", "kasan_report_invalid_free", "kfree", "tun_chr_close",
               *SYSCALL),
    ), "KASAN: invalid-free in tun_chr_close", False),
    # 4.x kasan_report_error() for a wild access: no function, the access kept
    ("kasan-wild-4.x", console(
        "==================================================================",
        "BUG: KASAN: wild-memory-access on address 1ffff11003e1e0a0",
        "Read of size 8 by task syz-executor.0/5123", TASK, HW,
        *trace("dump_stack", "kasan_report", "__asan_load8", "rds_recvmsg", *SYSCALL),
        "==================================================================",
    ), "KASAN: wild-memory-access Read", False),
    # a KASAN header of no known shape: what follows "KASAN:", corrupted
    ("kasan-cut", console(
        "==================================================================",
        "BUG: KASAN: slab-out-of-bounds", TASK, HW,
        *trace("dump_stack_lvl", "kasan_report", "nfc_llcp_sock_bind", *SYSCALL),
    ), "KASAN: slab-out-of-bounds", True),
    # arch/x86/kernel/traps.c do_error_trap(X86_TRAP_SS, "stack segment"), do_int3()
    ("stack-segment", oops(
        "stack segment: 0000 [#1] PREEMPT SMP KASAN", "ext4_xattr_set_entry",
        "ext4_xattr_set_handle", "ext4_xattr_set", *SYSCALL,
    ), "stack segment fault in ext4_xattr_set_entry", False),
    ("int3", oops(
        "int3: 0000 [#1] PREEMPT SMP KASAN", "bpf_prog_run_tramp", "bpf_trampoline_run",
        *SYSCALL,
    ), "int3 in bpf_prog_run_tramp", False),
    ("divide_error-3.x", oops(
        "divide_error: 0000 [#1] SMP", "tcp_select_window", "tcp_transmit_skb", *SYSCALL,
    ), "divide error in tcp_select_window", False),
    # arch/arm64/kernel/traps.c panic_bad_stack(): the work that recursed names it, as
    # for a stack guard page hit (the outermost frame that is not dispatch)
    ("panic-stack-overflow", console(
        "Insufficient stack space to handle exception!", TASK, HW,
        "Kernel panic - not syncing: kernel stack overflow",
        *trace("dump_backtrace", "show_stack", "dump_stack_lvl", "panic", "panic_bad_stack",
               "handle_bad_stack", "__bad_stack", "ovl_d_real", "ovl_d_real", "ovl_open",
               "do_dentry_open", "vfs_open", "path_openat", "do_filp_open", "do_sys_openat2",
               "__arm64_sys_openat", "el0_svc"),
    ), "kernel stack overflow in sys_openat", False),
    # arch/x86/kernel/unwind_frame.c unwind_next_frame(): the register stays when the
    # address is printed, goes when %p hashed it
    ("unwind-regs-bp", console(
        "WARNING: kernel stack regs at 00000000c3cc2a4e in syz-executor.0:5123 has bad 'bp'"
        " value 0000000000000001", "unwind stack type:0 next_sp:0000000000000000 mask:0x2",
    ), "WARNING: kernel stack regs has bad 'bp' value", False),
    ("unwind-regs-ptrval", console(
        "WARNING: kernel stack regs at         (ptrval) in syz-executor.0:5123 has bad 'bp'"
        " value         (ptrval)",
    ), "WARNING: kernel stack regs has bad value", False),
    # kernel/hung_task.c: a task asleep in io_schedule()
    ("hung-task-io-wait", console(
        "INFO: task syz-executor.0:5123 blocked in I/O wait for more than 143 seconds.",
        "      Not tainted 6.1.0 #1",
        "task:syz-executor.0  state:D stack:0 pid:5123 ppid:1 flags:0x00004004",
        *trace("__schedule", "schedule", "io_schedule", "folio_wait_bit_common",
               "jbd2_journal_commit_transaction", "kjournald2", "kthread", "ret_from_fork"),
    ), "INFO: task hung in jbd2_journal_commit_transaction", False),
    # kernel/fork.c check_mm() of 4.x
    ("check-mm-nr-ptes", console("BUG: non-zero nr_ptes on freeing mm: 2"),
     "BUG: non-zero nr_ptes on freeing mm", False),
    # mm/page_alloc.c bad_page(): named by page_owner's allocation stack
    ("bad-page-owner", console(
        "BUG: Bad page state in process syz-executor.0  pfn:7deea",
        "page:ffffea0001f7ba80 refcount:0 mapcount:0 mapping:0000000000000000 index:0x0",
        "page_owner tracks the page as freed",
        "page last allocated via order 0, migratetype Unmovable, gfp_mask 0x40c40(GFP_NOFS),"
        " pid 5096, tgid 5096 (syz-executor.0), ts 64771645974, free_ts 55604629154",
        " post_alloc_hook+0x1a/0x80", " get_page_from_freelist+0x1a/0x80",
        " __alloc_pages+0x1a/0x80", " folio_alloc+0x1a/0x80", " __filemap_get_folio+0x1a/0x80",
        " pagecache_get_page+0x1a/0x80", " __get_metapage+0x1a/0x80",
        " diRead+0x1a/0x80", "page last free pid 5083 tgid 5083 stack trace:",
        " free_unref_page+0x1a/0x80", " jfs_umount+0x1a/0x80",
        TASK, HW, *trace("dump_stack_lvl", "bad_page", "free_page_is_bad_report",
                         "free_unref_page_prepare", "free_unref_page", "release_pages",
                         *SYSCALL),
    ), "BUG: Bad page state in __get_metapage", False),
    ("bad-page-no-owner", console(
        "BUG: Bad page state in process syz-executor.0  pfn:7deea",
        "page:ffffea0001f7ba80 refcount:0 mapcount:0 mapping:0000000000000000 index:0x0",
        TASK, HW, *trace("dump_stack_lvl", "bad_page", "free_page_is_bad_report",
                         "free_unref_page", "skb_release_data", "kfree_skb_reason",
                         "xdp_test_run_batch", *SYSCALL),
    ), "BUG: Bad page state in corrupted", True),
    # mm/filemap.c filemap_unaccount_folio()
    ("bad-page-cache", console(
        "BUG: Bad page cache in process syz-executor.0  pfn:4a1b2",
        "page last allocated via order 0, migratetype Movable, gfp_mask 0x1100cca(GFP_HIGHUSER),"
        " pid 1, tgid 1 (init), ts 1, free_ts 0",
        " post_alloc_hook+0x1a/0x80", " __alloc_pages+0x1a/0x80", " shmem_alloc_folio+0x1a/0x80",
        " shmem_get_folio_gfp+0x1a/0x80", TASK, HW,
        *trace("dump_stack_lvl", "filemap_unaccount_folio", "__filemap_remove_folio",
               *SYSCALL),
    ), "BUG: Bad page cache in shmem_get_folio_gfp", False),
    # mm/memory.c print_bad_pte(): no function names it
    ("bad-page-map", console(
        "BUG: Bad page map in process syz-executor.0  pte:8000000012345067 pmd:12345067",
        "addr:0000000020000000 vm_flags:08100073 anon_vma:ffff888012345678 mapping:0",
        TASK, HW, *trace("dump_stack_lvl", "print_bad_pte", "zap_pte_range", "unmap_vmas",
                         "exit_mmap", "mmput", "do_exit"),
    ), "BUG: Bad page map", False),
    # fs/dcache.c umount_check(): neither the dentry nor the filesystem is kept
    ("dentry-in-use", console(
        "BUG: Dentry ffff888021a2b3c8{i=0,n=file0}  still in use (1) [unmount of tmpfs tmpfs]",
        "WARNING: CPU: 1 PID: 5123 at fs/dcache.c:1683 umount_check+0x1a/0x80", TASK, HW,
        *trace("d_walk", "do_one_tree", "shrink_dcache_for_umount", "generic_shutdown_super",
               "kill_litter_super", "deactivate_locked_super", "cleanup_mnt", "task_work_run"),
    ), "BUG: Dentry still in use in unmount", False),
    # fs/super.c generic_shutdown_super()
    ("busy-inodes", console(
        "VFS: Busy inodes after unmount of loop0 (ext4). Self-destruct in 5 seconds.  Have a"
        " nice day..."),
     "VFS: Busy inodes after unmount (use-after-free)", False),
    # lib/bug.c report_bug() without file and line
    ("kernel-BUG-noinfo", oops(
        "Kernel BUG at xfs_trans_cancel [verbose debug info unavailable]", "xfs_trans_cancel",
        "xfs_create", *SYSCALL,
    ), "kernel BUG at xfs_trans_cancel [verbose debug info unavailable]", False),
    # arch/arm/mm/fault.c do_DataAbort(), arch/arm/mm/alignment.c do_alignment()
    ("arm-unhandled-fault", console(
        "Unhandled fault: page domain fault (0x01b) at 0x00000004",
        "[00000004] *pgd=00000000", "Internal error: : 1b [#1] SMP ARM",
        "CPU: 1 PID: 5123 Comm: syz-executor.0 Not tainted 6.1.0 #1",
        "PC is at fuse_dev_do_read+0x1a/0x80", "LR is at fuse_dev_read+0x1a/0x80",
        "Backtrace: ",
        "[<80123456>] (fuse_dev_do_read) from [<80123460>] (fuse_dev_read+0x1a/0x80)",
        "[<80123460>] (fuse_dev_read) from [<80123470>] (vfs_read+0x1a/0x80)",
        "[<80123470>] (vfs_read) from [<80123480>] (ksys_read+0x1a/0x80)",
    ), "Unhandled fault in fuse_dev_do_read", False),
    # kernel/panic.c check_panic_on_warn(): the WARNING itself was lost
    ("panic-on-warn-alone", console("Kernel panic - not syncing: panic_on_warn set ..."),
     "kernel panic: panic_on_warn set", True),
    # a header cut after its first word
    ("bare-bug", console("BUG:", TASK), "BUG: corrupted", True),
    # WARN()s named by what warned (kinds.WARN_SOURCES), past the checked helpers
    ("warn-kobject", warn(
        "lib/kobject.c", "kobject_add_internal", "kobject_add_internal", "kobject_add",
        "device_add", "hci_register_dev", "vhci_create_device", *SYSCALL,
    ), "WARNING: kobject bug in hci_register_dev", False),
    ("warn-proc", warn(
        "fs/proc/generic.c", "proc_register", "proc_register", "proc_create_net_data",
        "rt_cache_init", *SYSCALL,
    ), "WARNING: proc registration bug in rt_cache_init", False),
    ("warn-kmalloc", warn(
        "mm/util.c", "kvmalloc_node", "kvmalloc_node", "xt_alloc_table_info", "do_replace",
        *SYSCALL,
    ), "WARNING: kmalloc bug in xt_alloc_table_info", False),
    ("warn-zero-vmalloc", warn(
        "mm/vmalloc.c", "__vmalloc_node_range", "__vmalloc_node_range", "__vmalloc_node",
        "vmalloc", "bpf_prog_alloc_jited_linfo", *SYSCALL,
    ), "WARNING: zero-size vmalloc in bpf_prog_alloc_jited_linfo", False),
    ("warn-usb-urb", warn(
        "drivers/usb/core/urb.c", "usb_submit_urb", "usb_submit_urb", "usb_start_wait_urb",
        "usb_control_msg", "ath9k_hif_usb_firmware_cb", "request_firmware_work_func",
        "process_one_work", "worker_thread", "kthread",
    ), "WARNING in ath9k_hif_usb_firmware_cb/usb_submit_urb", False),
    ("warn-odebug-timer", warn(
        "lib/debugobjects.c", "debug_print_object", "debug_print_object",
        "debug_check_no_obj_freed", "__hrtimer_init_debug", "slab_free_freelist_hook",
        "kfree", "nfc_llcp_local_put", "nfc_unregister_device", *SYSCALL,
    ), "WARNING: ODEBUG bug in nfc_llcp_local_put", False),
    # kernel/locking/lockdep.c: a DEBUG_LOCKS_WARN_ON() in lock_*() is a locking bug;
    # lockdep's other self-checks are plain WARNINGs
    ("warn-lockdep-lock", warn(
        "kernel/locking/lockdep.c", "__lock_acquire", "__lock_acquire", "lock_acquire",
        "_raw_spin_lock", "io_poll_remove_entries", *SYSCALL,
    ), "WARNING: locking bug in io_poll_remove_entries", False),
    ("warn-lockdep-flags", warn(
        "kernel/locking/lockdep.c", "check_flags", "check_flags", "lock_is_held_type",
        "rcu_read_lock_sched_held", "trace_hardirqs_on", "kvm_vcpu_ioctl", *SYSCALL,
    ), "WARNING in check_flags", False),
    # mm/slub.c print_track() of 4.x alone: what is left of a SLUB report
    ("slub-track-alone", console(
        "** 4491 printk messages dropped ** [   50.750742] INFO: Allocated in "
        "fasync_helper+0x29/0x90 age=1 cpu=1 pid=6024",
    ), "INFO: Allocated in fasync_helper age=NUM cpu=NUM pid=NUM", True),
    # mm/kmsan/report.c: a USB transfer's data, named by the driver that sent it
    ("kmsan-usb-infoleak", console(
        "=====================================================",
        "BUG: KMSAN: kernel-usb-infoleak in usb_submit_urb+0x1a/0x80",
        " usb_submit_urb+0x1a/0x80", " usb_start_wait_urb+0x1a/0x80",
        " usb_control_msg+0x1a/0x80", " hdpvr_probe+0x1a/0x80", " usb_probe_interface+0x1a/0x80",
        "", "Uninit was created at:", " __kmalloc+0x1a/0x80", " hdpvr_probe+0x1a/0x80",
        "", TASK, HW, "=====================================================",
    ), "KMSAN: kernel-usb-infoleak in hdpvr_probe", False),
    # mm/kmemleak.c: past everything that allocated for its caller (any "alloc" in a
    # name: nfc_allocate_device too)
    ("leak-strdup", console(
        "BUG: memory leak",
        "unreferenced object 0xffff888109a7c000 (size 32):",
        "  comm \"syz-executor.0\", pid 5123, jiffies 4294945312 (age 12.340s)",
        "  backtrace:",
        "    [<ffffffff81544d5c>] __kmalloc_node_track_caller+0x1a/0x80",
        "    [<ffffffff81489e21>] kstrdup+0x1a/0x80",
        "    [<ffffffff8219a2b1>] kvasprintf_const+0x1a/0x80",
        "    [<ffffffff8219a2b1>] nfc_allocate_device+0x1a/0x80",
        "    [<ffffffff8219a2b1>] nci_register_device+0x1a/0x80",
    ), "memory leak in nci_register_device", False),
    # kernel/locking/spinlock_debug.c spin_bug(): past the lock wrappers (anything with
    # "_lock" in its name, a caller's own *_locked helper too)
    ("spinlock-unlocked", console(
        "BUG: spinlock already unlocked on CPU#1, syz-executor.0/5123",
        " lock: 0xffff888012345678, .magic: dead4ead, .owner: <none>/-1, .owner_cpu: -1",
        TASK, HW, *trace("dump_stack_lvl", "do_raw_spin_unlock", "_raw_spin_unlock_irqrestore",
                         "snd_timer_close_locked", "snd_timer_close", *SYSCALL),
    ), "BUG: spinlock already unlocked in snd_timer_close", False),
]  # fmt: skip


@pytest.mark.parametrize(("log", "title", "corrupted"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_syzbot_title_convention(log, title, corrupted):
    report = parse(log)
    assert report.crashed
    assert report.title == title
    assert bool(report.corrupted) == corrupted, report.corrupted_reason


# A title names a syscall by its name, whichever wrapper or body is on the stack; the
# function's own name stays as an alternative.
SYSCALL_NAMES = [
    ("__se_sys_mremap", "mremap"),  # 4.17+ SYSCALL_DEFINE
    ("__do_sys_openat2", "openat2"),
    ("SyS_bpf", "bpf"),  # before 4.17
    ("SYSC_sendto", "sendto"),
    ("__x64_sys_ioctl", "sys_ioctl"),  # the syscall table's arch entry
    ("ksys_read", "read"),  # the body read(2) wraps
    ("__sys_sendmsg", "sendmsg"),
    ("____sys_sendmsg", "sendmsg"),
    ("compat_SyS_ioctl", "ioctl"),
    ("compat_sys_ioctl", "compat_sys_ioctl"),  # the compat entry is its own code
    ("__ia32_compat_sys_ioctl", "compat_sys_ioctl"),  # its arch entry: the arch goes
    ("__se_compat_sys_ioctl", "compat_sys_ioctl"),
    ("__do_compat_sys_ioctl", "__do_compat_sys_ioctl"),  # no known prefix: as printed
    ("sysfs_kf_write", "sysfs_kf_write"),  # not a syscall
]


@pytest.mark.parametrize(("function", "name"), SYSCALL_NAMES)
def test_a_title_names_the_syscall(function, name):
    title, others = names(function)
    assert title == name
    assert (function in others) == (name != function)


KASAN_UAF = [
    "BUG: KASAN: slab-use-after-free in nfc_llcp_sock_bind+0x1a/0x80",
    "Read of size 8 at addr ffff888012345678 by task syz-executor.0/5123", "", TASK, HW,
    *trace("dump_stack_lvl", "print_report", "kasan_report", "nfc_llcp_sock_bind", *SYSCALL),
    "", "Allocated by task 5123:", " kasan_save_stack+0x1a/0x80", " __kmalloc+0x1a/0x80",
    " nfc_llcp_local_get+0x1a/0x80", "", "Freed by task 5124:",
]  # fmt: skip
BUGGY_ADDRESS = [
    "", "The buggy address belongs to the object at ffff888012345600",
    " which belongs to the cache kmalloc-1k of size 1024",
    "The buggy address is located 120 bytes inside of", " freed 1024-byte region",
    "", "The buggy address belongs to the physical page:", "page:ffffea0000000000 refcount:1",
    "flags: 0xfff00000000200(slab|node=0|zone=1|lastcpupid=0x7ff)", "raw: 00fff0000000",
    "raw: 0000000000000000", "page dumped because: kasan: bad access detected", "",
    "Memory state around the buggy address:", " ffff888012345600: fa fb fb fb fb fb fb fb",
    ">ffff888012345680: fb fb fb fb fb fb fb fb", "                                ^",
    "==================================================================",
]  # fmt: skip


def test_a_stack_with_no_frames_is_corrupted():
    """syzbot: every stack a report opens has a frame soon after its first line."""
    frees = [" kasan_save_stack+0x1a/0x80", " kfree+0x1a/0x80", " nfc_llcp_local_put+0x1a/0x80"]
    whole = parse(console(*KASAN_UAF, *frees, *BUGGY_ADDRESS))
    assert whole.title == "KASAN: slab-use-after-free Read in nfc_llcp_sock_bind"
    assert not whole.corrupted, whole.corrupted_reason
    lost = parse(console(*KASAN_UAF, *BUGGY_ADDRESS))  # the free stack's lines were lost
    assert lost.title == whole.title
    assert lost.corrupted and lost.corrupted_reason == "a stack has no frames"


# Families of generic wrappers, by the word they share (skip.Group.contains), and
# functions that name bugs.
GENERIC = [
    ("sock_kmalloc", True), ("devm_kzalloc", True), ("kvcalloc", True),
    ("_raw_spin_lock_irqsave", True), ("rcu_read_lock_sched", True),
    ("down_read_killable", True), ("copy_page_to_iter", True), ("memcpy_toio", True),
    ("unregister_netdevice_many", True), ("__x86_indirect_thunk_rax", True),
    ("netdev_err", True), ("test_and_set_bit", True), ("test_kmalloc_oob_write", True),
    ("kunit_try_run_case", False), ("nfc_llcp_sock_bind", False),
    ("hci_register_dev", False), ("tun_chr_close", False),
]  # fmt: skip


@pytest.mark.parametrize(("function", "is_generic"), GENERIC)
def test_generic_families(function, is_generic):
    assert generic(function) == is_generic


def test_a_bad_access_in_a_wrapper_family_names_its_caller():
    """KFENCE in test_kmalloc_*(): named by the KUnit case that ran it."""
    log = console(
        "==================================================================",
        "BUG: KFENCE: out-of-bounds write in test_kmalloc_oob_write+0xef/0x184", "",
        "Out-of-bounds write at 0xffff8c2aae2b2ff9 (1B right of kfence-#88):",
        " test_kmalloc_oob_write+0xef/0x184", " kunit_try_run_case+0x51/0x90",
        " kunit_generic_run_threadfn_adapter+0x16/0x30", " kthread+0x166/0x1a0",
        " ret_from_fork+0x22/0x30", "", TASK, HW,
        "==================================================================",
    )  # fmt: skip
    assert parse(log).title == "KFENCE: out-of-bounds write in kunit_try_run_case"


def test_a_report_line_no_kind_knows_is_titled_by_itself():
    """syzbot: any BUG:/WARNING:/INFO: line is a report; unknown, its text is its title."""
    report = parse(console("BUG: unexpected frob state 12 in device frob0", TASK, HW))
    assert report.crashed and report.title == "BUG: unexpected frob state NUM in device frob0"
    assert not report.corrupted
    assert parse(console("INFO: lockdep is turned off.")).crashed is False
    assert parse(console("WARNING: BIOS bug: CPU MTRRs don't cover all of memory")).crashed is False
    # a program's line among printk-prefixed kernel lines is not the kernel's report
    assert parse(console("Run /sbin/init") + "WARNING: no tty for job control\n").crashed is False


def test_syzfatal():
    report = parse(console("SYZFATAL: executor 1 failed 11 times: exit status 67"))
    assert report.title == "SYZFATAL: executor NUM failed NUM times: exit status NUM"


UBSAN = [
    "================================================================================",
    "UBSAN: {bug} in net/sched/sch_fq.c:123:45", "index 9 is out of range for type 'u8[8]'",
    TASK, HW, *trace("dump_stack_lvl", "__ubsan_handle_out_of_bounds", "fq_dequeue",
                     "__qdisc_run", *SYSCALL),
    "================================================================================",
]  # fmt: skip


def test_an_array_index_out_of_bounds_is_a_bad_access():
    """lib/ubsan.c: syzbot gives only this UBSAN check the bad-access alternative."""
    oob = parse(console(*UBSAN).replace("{bug}", "array-index-out-of-bounds"))
    assert oob.title == "UBSAN: array-index-out-of-bounds in fq_dequeue"
    assert oob.alt_titles == ["bad-access in fq_dequeue"]
    shift = parse(console(*UBSAN).replace("{bug}", "shift-out-of-bounds"))
    assert shift.title == "UBSAN: shift-out-of-bounds in fq_dequeue"
    assert shift.alt_titles == []


# syzbot's crash type follows the title's first words.
TYPES = [
    (console(*UBSAN).replace("{bug}", "array-index-out-of-bounds"), "MEMORY_SAFETY_UBSAN"),
    (console("unregister_netdevice: waiting for batadv0 to become free. Usage count = 2"),
     "DoS"),
    (oops("kernel BUG at lib/list_debug.c:59!", "__list_del_entry_valid", "tipc_conn_close",
          *SYSCALL), "MEMORY_SAFETY_BUG"),
    (console("WARNING: unexpected frob state", TASK), "WARNING"),
    (console("BUG: unexpected frob state", TASK), None),
    (console("BUG: workqueue lockup - pool cpus=0 node=0 flags=0x0 nice=0 stuck for 30s!"),
     None),
]  # fmt: skip


@pytest.mark.parametrize(("log", "crash_type"), TYPES)
def test_crash_type_follows_the_title(log, crash_type):
    assert parse(log).type == crash_type
