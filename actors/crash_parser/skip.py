"""Generic frames: functions that are on the stack of many unrelated bugs, so a title
naming them would name no bug. A title names the first frame that is not generic.

Each group says why its functions are generic. A name is generic when it equals an
entry of NAMES or starts with an entry of PREFIXES (after compiler suffixes such as
`.isra.0` are dropped, see frames.base_name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Group:
    why: str
    names: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    # Also generic when the name contains one of these: families of wrappers whose
    # members are named around a shared word (sock_kmalloc, devm_kzalloc, kvcalloc;
    # _raw_spin_lock_irqsave, rcu_read_lock_sched). syzbot passes over the same words.
    contains: tuple[str, ...] = ()
    # Also generic when it is the function a memory-safety report says made the bad
    # access: helpers that access memory on their caller's behalf. An allocator, a
    # wait queue or a reference drop that touches freed memory is named (the object
    # it was handed is its own business).
    accessor: bool = True
    # Also generic when a WARN fired in it (the function a WARNING line names): checks
    # of how the caller used it (a bad argument, a reference or lock misused) blame the
    # caller. Code that only gets the CPU somewhere (entry, interrupt and worker
    # plumbing) checks its own state: a WARN there names it.
    checks_caller: bool = True


# fmt: off
GROUPS: tuple[Group, ...] = (
    Group(
        "they print the report itself: stack dumps, printk, the oops and warning paths",
        names=("dump_stack", "dump_stack_lvl", "show_stack", "show_regs", "show_trace_log_lvl",
               "printk", "vprintk", "_printk", "panic", "warn_slowpath_fmt", "warn_slowpath_null",
               "warn_slowpath_common", "report_bug", "handle_bug", "die", "oops_end",
               "do_error_trap", "do_trap", "do_invalid_op", "invalid_op", "exc_invalid_op",
               "asm_exc_invalid_op", "check_panic_on_warn", "end_report", "print_report",
               "print_address_description", "describe_object", "bug_handler", "do_debug",
               "print_usage_bug", "print_circular_bug", "print_bad_irq_dependency",
               "print_unlock_imbalance_bug", "debug_print_object", "lockdep_rcu_suspicious",
               "__might_sleep", "___might_sleep", "__might_resched", "__might_fault",
               "might_fault", "__schedule_bug", "schedule_debug", "check_preemption_disabled",
               "debug_smp_processor_id", "__this_cpu_preempt_check", "spin_dump", "spin_bug",
               "rwlock_bug", "bad_page", "free_pages_check_bad", "check_new_page_bad",
               "usercopy_abort", "usercopy_warn", "check_stack_object", "__check_object_size",
               "check_object_size", "check_heap_object", "refcount_warn_saturate",
               "__warn_printk", "fortify_panic", "__stack_chk_fail", "stackleak_check_alloca",
               "__list_add_valid", "__list_del_entry_valid", "bug", "__bug", "__warn", "fixup_bug",
               "do_tag_check_fault", "do_tag_recovery", "report_tag_fault",
               "kernel_fpu_begin_mask", "kernel_fpu_begin", "__kernel_fpu_begin",
               "__check_heap_object", "skb_panic", "skb_over_panic", "skb_under_panic"),
        prefixes=("dump_backtrace", "show_stack", "__dump_stack", "warn_", "__warn_", "printk_",
                  "vprintk", "console_", "print_", "debug_object", "__debug_object",
                  "debug_check_no_", "__debug_check_no_", "lockdep_", "__lockdep_",
                  "refcount_", "__refcount_", "walk_stack", "__dev_printk",
                  "dev_printk", "_dev_"),
        # panics and printk by any prefix; device printk (dev_err() and friends, also
        # netdev_err()); lockdep's own report paths; what prints a taint
        contains=("panic", "printk", "dump_stack", "dump_backtrace", "report_bug",
                  "print_usage_bug", "print_unlock", "imbalance_bug", "lockdep", "va_format",
                  "dev_err", "dev_warn", "dev_info", "dev_notice", "dev_alert", "dev_crit",
                  "dev_emerg", "print_tainted", "get_taint"),
    ),
    Group(
        "sanitizer runtimes: KASAN, KMSAN, KCSAN, UBSAN, KFENCE check and report in their "
        "own code, called from the access they check; the compiler's memory helpers are "
        "the instrumented copies of memcpy and friends",
        names=("check_memory_region", "check_memory_region_inline", "memory_is_poisoned",
               "__memcpy", "memcpy", "memset", "__memset", "memmove", "__memmove",
               "memcpy_erms", "memcpy_orig", "memset_erms", "memset_orig", "memcmp", "bcmp"),
        prefixes=("kasan_", "__kasan_", "____kasan_", "__asan_", "asan_", "kmsan_", "__kmsan_",
                  "__msan_", "kcsan_", "__kcsan_", "__tsan_", "ubsan_", "__ubsan_", "kfence_",
                  "__kfence_", "check_memory_region", "kmemleak_", "__kmemleak"),
        # the instrumentation's names wherever they sit (hwasan, __msan_*, kasan_*), the
        # accessors that read memory without KASAN's check on purpose, SLUB's object checks
        contains=("kasan", "kmsan", "hwasan", "__asan", "__msan", "__sanitizer",
                  "read_word_at_a_time",
                  "nocheck", "check_object"),
    ),
    Group(
        "memory allocators and frees: every subsystem allocates; the caller is the bug",
        accessor=False,
        names=("kmalloc", "__kmalloc", "kzalloc", "kcalloc", "krealloc", "__krealloc",
               "kmemdup", "kstrdup", "kstrndup", "kmemdup_nul", "kfree", "kvfree", "kzfree",
               "kfree_sensitive", "kvmalloc", "kvzalloc", "kvmalloc_node", "kvfree_call_rcu",
               "vmalloc", "vzalloc", "vfree", "__vmalloc", "vmalloc_user", "free_percpu",
               "__alloc_percpu", "__alloc_percpu_gfp", "alloc_pages", "__alloc_pages",
               "alloc_pages_current", "alloc_pages_vma", "free_pages", "__free_pages",
               "get_free_pages", "__get_free_pages", "page_frag_alloc", "memdup_user",
               "strndup_user", "vmemdup_user", "kasprintf", "kvasprintf", "free_pcppages_bulk",
               "get_page_from_freelist", "prep_new_page", "__put_page", "put_page",
               "post_alloc_hook", "__set_page_owner", "set_page_owner", "free_pages_prepare",
               "__free_one_page", "free_one_page", "release_pages", "__pagevec_release",
               "__vunmap", "vunmap", "__page_cache_release", "free_page_is_bad",
               "free_page_is_bad_report", "check_new_pages", "check_free_page",
               "memdup_user_nul", "__folio_put", "folio_put", "free_unref_folios",
               "folios_put_refs", "folio_alloc", "__folio_alloc", "vma_alloc_folio",
               # the page cache and LRU hand pages around for their callers
               "folio_batch_move_lru", "lru_add_drain", "lru_add_drain_cpu",
               "__pagevec_lru_add", "__filemap_get_folio", "pagecache_get_page",
               "find_or_create_page", "grab_cache_page_write_begin", "page_frag_free",
               "__page_frag_cache_drain", "folio_add_lru", "lru_cache_add"),
        prefixes=("kmem_cache_", "__kmem_cache_", "kmalloc_", "__kmalloc_", "slab_", "__slab_",
                  "___slab_", "cache_alloc", "cache_free", "____cache_alloc", "__cache_free",
                  "kfree_", "__kfree", "__vmalloc_", "vmalloc_", "__vfree", "vfree_",
                  "alloc_pages_", "__alloc_pages_", "free_pages_", "__free_pages_",
                  "free_unref_page", "free_the_page", "pcpu_", "mempool_", "kvmalloc_",
                  "kvfree_", "__kvmalloc", "setup_object", "init_object", "alloc_debug_processing",
                  "free_debug_processing", "on_freelist", "object_err", "slab_err", "qlist_",
                  "qlink_", "quarantine_", "page_pool_", "__page_pool_", "folio_alloc",
                  "__folio_alloc", "allocate_slab"),
        # every wrapper of kmalloc/kzalloc/kcalloc/vmalloc (sock_kmalloc, devm_kzalloc,
        # kvcalloc, bpf_map_kmalloc_node), of the page allocator, of the page cache's
        # lookups, and of the string duplicators; slab internals by any prefix
        contains=("malloc", "zalloc", "calloc", "krealloc", "alloc_page", "kmem_cache",
                  "slab_", "folio_unlock", "read_cache_folio", "read_cache_page", "strdup",
                  "strndup", "memdup", "kasprintf", "kfree_skb"),
    ),
    Group(
        "locking and RCU primitives: a lock is taken on behalf of its caller",
        names=("lock_acquire", "lock_release", "lock_acquired", "lock_contended",
               "__lock_acquire", "__lock_release", "lock_is_held", "lock_is_held_type",
               "mutex_lock", "mutex_unlock", "mutex_trylock", "mutex_lock_nested",
               "mutex_lock_interruptible", "mutex_lock_killable", "mutex_lock_io_nested",
               "mutex_lock_interruptible_nested", "mutex_lock_killable_nested",
               "down", "up", "down_read", "down_write", "up_read", "up_write",
               "down_read_nested", "down_write_nested", "down_read_killable",
               "down_write_killable", "down_interruptible", "down_killable", "down_trylock",
               "down_read_trylock", "down_write_trylock", "downgrade_write",
               "rcu_read_lock", "rcu_read_unlock", "rcu_lock_acquire", "rcu_lock_release",
               "__rcu_read_lock", "__rcu_read_unlock", "rcu_barrier",
               "debug_lockdep_rcu_enabled", "rcu_read_lock_held", "rcu_read_lock_sched_held",
               "rcu_read_lock_bh_held", "rcu_lockdep_current_cpu_online",
               "queued_spin_lock_slowpath", "native_queued_spin_lock_slowpath",
               "queued_read_lock_slowpath", "queued_write_lock_slowpath", "check_noncircular",
               "check_prev_add", "check_prevs_add", "validate_chain", "check_deadlock",
               "mark_lock", "mark_usage", "mark_held_locks", "find_held_lock",
               "register_lock_class", "look_up_lock_class", "lockdep_init_map",
               "mark_lock_irq", "check_usage", "check_irq_usage", "check_usage_forwards",
               "check_usage_backwards", "print_lock_invalid_wait_context",
               "check_wait_context", "hlock_class", "add_lock_to_list",
               "trace_hardirqs_on", "trace_hardirqs_off", "trace_hardirqs_on_thunk",
               "trace_hardirqs_off_thunk", "trace_hardirqs_on_caller",
               "trace_hardirqs_off_caller", "lockdep_hardirqs_on", "lockdep_hardirqs_off",
               "preempt_count_add", "preempt_count_sub", "local_bh_enable",
               "__local_bh_enable_ip", "_local_bh_enable", "local_bh_disable"),
        prefixes=("_raw_spin_", "__raw_spin_", "raw_spin_", "do_raw_spin_", "spin_lock",
                  "spin_unlock", "_raw_read_", "__raw_read_", "_raw_write_", "__raw_write_",
                  "do_raw_read_", "do_raw_write_", "read_lock", "read_unlock", "write_lock",
                  "write_unlock", "__mutex_", "mutex_lock_", "mutex_unlock_", "__down",
                  "__up", "rwsem_", "__rwsem_", "rt_mutex_", "__rt_mutex_", "rt_spin_",
                  "percpu_down_", "percpu_up_", "__percpu_down_", "__percpu_up_",
                  "percpu_rwsem_", "ww_mutex_", "__ww_mutex_", "osq_", "seqcount_",
                  "write_seqcount", "read_seqcount", "__read_seqcount", "local_lock",
                  "lock_sock", "release_sock", "_atomic_dec_and_lock",
                  "call_rwsem_", "context_switch", "__switch_to", "finish_task_switch",
                  "__lock_sock", "__release_sock",
                  "__lock_page", "lock_page", "unlock_page", "atomic_", "arch_atomic",
                  "atomic64_", "__atomic", "raw_atomic", "mutex_"),
        # lock operations under any wrapper's name (_raw_spin_lock_irqsave,
        # rcu_read_lock_sched, down_read_killable), lockdep's class and held-lock
        # bookkeeping, the bit operations that are atomics too
        contains=("spin_lock", "spin_unlock", "spin_trylock", "read_lock", "read_unlock",
                  "read_trylock", "write_lock", "write_unlock", "write_trylock", "down_read",
                  "down_write", "up_read", "up_write", "raw_spin_rq", "owner_on_cpu",
                  "lock_class", "held_locks", "mark_lock", "bh_enable", "bh_disable",
                  "set_bit", "clear_bit", "change_bit", "test_bit", "seqprop_assert"),
    ),
    Group(
        "string, bit and copy helpers of lib/: they work on what their caller gives them",
        names=("strlen", "strnlen", "strcpy", "strncpy", "strlcpy", "strscpy", "strcmp",
               "strncmp", "strcat", "strncat", "strchr", "strrchr", "strstr", "strsep",
               "sprintf", "snprintf", "vsnprintf", "scnprintf", "vscnprintf", "sscanf",
               "vsscanf", "kstrtoull", "kstrtoll", "kstrtouint", "kstrtoint",
               "copy_from_user", "copy_to_user", "_copy_from_user", "_copy_to_user",
               "__copy_from_user", "__copy_to_user", "raw_copy_from_user",
               "raw_copy_to_user", "copyin", "copyout", "copy_user_generic_unrolled",
               "copy_user_generic_string", "copy_user_enhanced_fast_string",
               "rep_movs_alternative", "__get_user_1", "__get_user_2", "__get_user_4",
               "__get_user_8", "__put_user_1", "__put_user_2", "__put_user_4", "__put_user_8",
               "strncpy_from_user", "strnlen_user", "clear_user", "__clear_user",
               "find_next_bit", "find_first_bit", "_find_next_bit", "_find_first_bit",
               "find_next_zero_bit", "__bitmap_weight", "bitmap_weight", "memchr",
               "memchr_inv", "memscan", "sort", "list_sort", "bsearch", "hex_dump_to_buffer",
               "print_hex_dump", "string", "pointer", "number", "format_decode",
               "idr_alloc", "idr_find", "idr_remove", "xa_load", "xas_load", "strnstr",
               "crc16", "crc32_le", "crc32c", "aes_encrypt", "aes_decrypt", "ref_tracker_free",
               "ref_tracker_alloc", "rb_next", "rb_prev", "rb_first", "rb_last",
               "__raw_readb", "__raw_readw", "__raw_readl", "__raw_readq", "__raw_writeb",
               "__raw_writew", "__raw_writel", "__raw_writeq"),
        prefixes=("copy_user_", "__copy_user", "_copy_", "__memcpy_", "memcpy_", "memset_",
                  "__memset_", "bitmap_", "__bitmap_", "csum_partial", "crc32", "__crc32",
                  "rb_insert", "rb_erase", "__rb_", "list_add", "list_del", "__list_",
                  "hlist_", "__hlist_", "radix_tree_", "xa_", "__xa_", "xas_", "idr_",
                  "ida_", "string_", "fortify_", "__fortify_", "klist_", "__x86_indirect_thunk",
                  "__x86_return_thunk"),
        # the mem*/str* and user-copy families under any prefix (memcpy_toio,
        # strscpy_pad, copy_page_to_iter, __put_user_nocheck_4), vsprintf's pointer()
        # printers (pointer_string), list splicing, hash
        # table lookups, MMIO accessors, CRCs, retpoline thunks, physical-address helpers
        contains=("memcpy", "memset", "memmove", "memcmp", "memchr", "strcmp", "strncmp",
                  "strcpy", "strlcpy", "strncpy", "strscpy", "strlen", "strnlen", "strstr",
                  "strchr", "copy_to_user", "copy_from_user", "copy_to_iter", "copy_from_iter",
                  "copy_page_to_iter", "copy_page_from_iter", "copy_folio_to_iter",
                  "put_user", "get_user", "list_add", "list_del", "list_replace", "list_move",
                  "list_splice", "rhashtable_lookup", "hex_dump", "snprintf", "pointer",
                  "crc_itu_t",
                  "__phys_addr", "_indirect_thunk_", "extract_user_to_sg",
                  "extract_iter_to_sg"),
    ),
    Group(
        "scheduling and waiting: a hung or stuck task is found in these, its caller waits",
        accessor=False,
        names=("schedule", "__schedule", "schedule_timeout", "schedule_preempt_disabled",
               "io_schedule", "io_schedule_timeout", "preempt_schedule",
               "preempt_schedule_common", "preempt_schedule_irq", "preempt_schedule_notrace",
               "preempt_schedule_thunk", "_cond_resched", "__cond_resched", "cond_resched",
               "wait_for_completion", "__wait_for_common", "wait_for_common",
               "do_wait_for_common", "wait_for_common_io", "finish_wait", "prepare_to_wait",
               "prepare_to_wait_event", "prepare_to_wait_exclusive", "autoremove_wake_function",
               "__wake_up", "__wake_up_common", "__wake_up_common_lock", "wake_up_process",
               "try_to_wake_up", "wait_woken", "woken_wake_function", "bit_wait",
               "bit_wait_io", "out_of_line_wait_on_bit", "__wait_on_bit", "__wait_on_bit_lock",
               "out_of_line_wait_on_bit_lock", "wait_on_page_bit", "wait_on_page_bit_common",
               "__lock_page_killable", "put_and_wait_on_page_locked", "folio_wait_bit_common",
               "folio_wait_bit", "__folio_lock", "folio_wait_writeback", "wait_on_page_writeback",
               "__filemap_fdatawait_range", "filemap_fdatawait_range",
               "filemap_fdatawait_keep_errors", "filemap_write_and_wait_range",
               "__filemap_fdatawrite_range", "filemap_fdatawrite", "filemap_fdatawait",
               "fdatawait_one_bdev", "fdatawrite_one_bdev", "rcu_sync_enter",
               "schedule_hrtimeout_range", "schedule_hrtimeout_range_clock",
               "schedule_hrtimeout", "freezable_schedule", "do_nanosleep", "msleep",
               "usleep_range", "usleep_range_state", "schedule_timeout_uninterruptible",
               "schedule_timeout_interruptible", "schedule_timeout_killable",
               "flush_work", "__flush_work", "flush_workqueue", "__flush_workqueue",
               "drain_workqueue", "synchronize_rcu_tasks",
               "wait_rcu_gp", "__wait_rcu_gp", "synchronize_net", "kthread_stop",
               "wait_on_bit", "wait_on_bit_io", "wait_event_interruptible"),
        prefixes=("wait_for_completion", "__wait_event", "wait_event", "___wait_event",
                  "schedule_timeout"),
        contains=("__wake_up", "finish_wait", "might_sleep", "might_fault"),
    ),
    Group(
        "entry, interrupt and worker plumbing: how the CPU got into the kernel, not what "
        "it did there",
        checks_caller=False,
        # x64_sys_call and its siblings: the switch over the syscall table that 6.1-stable
        # (arch/x86/entry/syscall_*.c) calls instead of an indirect jump.
        names=("x64_sys_call", "ia32_sys_call", "x32_sys_call",
               "do_syscall_64", "do_syscall_x64", "do_syscall_32_irqs_on", "do_fast_syscall_32",
               "do_int80_syscall_32", "entry_SYSCALL_64", "entry_SYSCALL_64_fastpath",
               "entry_SYSCALL_64_after_hwframe", "entry_SYSENTER_compat",
               "entry_SYSENTER_compat_after_hwframe", "entry_INT80_compat", "entry_SYSCALL_compat",
               "syscall_return_slowpath", "syscall_exit_to_user_mode", "exit_to_user_mode",
               "exit_to_user_mode_loop", "exit_to_usermode_loop", "prepare_exit_to_usermode",
               "ret_from_fork", "ret_from_fork_asm", "kthread", "worker_thread", "process_one_work",
               "process_scheduled_works", "rescuer_thread", "smpboot_thread_fn",
               "irq_exit", "irq_exit_rcu", "__irq_exit_rcu", "do_softirq", "__do_softirq",
               "do_softirq_own_stack", "invoke_softirq", "run_ksoftirqd", "irq_enter",
               "irq_enter_rcu", "handle_softirqs", "apic_timer_interrupt",
               "smp_apic_timer_interrupt",
               "local_apic_timer_interrupt", "hrtimer_interrupt", "__hrtimer_run_queues",
               "__run_hrtimer", "tick_sched_timer", "tick_sched_handle", "update_process_times",
               "run_timer_softirq", "__run_timers", "call_timer_fn", "expire_timers",
               "rcu_core", "rcu_core_si", "rcu_do_batch", "rcu_process_callbacks",
               "rcu_check_callbacks", "rcu_sched_clock_irq", "rcu_pending", "print_cpu_stall",
               "print_other_cpu_stall", "check_cpu_stall", "rcu_dump_cpu_stacks",
               "sched_show_task", "_sched_show_task", "show_state_filter",
               "nmi_cpu_backtrace", "nmi_trigger_cpumask_backtrace",
               "arch_trigger_cpumask_backtrace",
               "trigger_single_cpu_backtrace", "rcu_dump_cpu_stacks", "nmi_handle",
               "default_do_nmi", "do_nmi", "exc_nmi", "end_repeat_nmi", "nmi",
               "common_interrupt", "asm_common_interrupt", "do_IRQ", "handle_irq",
               "handle_edge_irq", "handle_fasteoi_irq", "handle_level_irq", "generic_handle_irq",
               "handle_irq_event", "handle_irq_event_percpu", "__handle_irq_event_percpu",
               "el0_svc", "el0_svc_common", "el0_svc_handler", "el1_sync", "el1h_64_sync",
               "el1h_64_sync_handler", "el0t_64_sync", "el0t_64_sync_handler", "do_el0_svc",
               "invoke_syscall", "el0_sync", "el0_sync_handler", "el0_da", "el1_abort",
               "el1_da", "do_mem_abort", "do_page_fault", "__do_page_fault", "do_translation_fault",
               "do_user_addr_fault", "exc_page_fault", "asm_exc_page_fault", "page_fault",
               "handle_page_fault", "__do_kernel_fault", "do_kernel_fault", "do_kern_addr_fault",
               "kernelmode_fixup_or_oops", "no_context", "__bad_area_nosemaphore",
               "bad_area_nosemaphore", "page_fault_oops", "async_page_fault",
               "exc_general_protection", "asm_exc_general_protection", "general_protection",
               "do_general_protection", "die_addr", "do_divide_error", "divide_error",
               "exc_divide_error", "asm_exc_divide_error",
               "rcu_nocb_cb_kthread", "task_work_run", "ret_from_intr", "retint_kernel",
               "restore_regs_and_return_to_kernel", "entry_SYSCALL_64_after_swapgs",
               "sysenter_dispatch", "int_ret_from_sys_call", "system_call_fastpath",
               "ia32_sysenter_target", "ia32_do_call", "sysenter_do_call", "cstar_dispatch",
               "ret_from_sys_call", "ret_fast_syscall", "__prepare_exit_to_usermode",
               "exit_to_usermode_loop", "idtentry_enter_cond_rcu", "idtentry_exit_cond_rcu",
               "do_group_exit", "get_signal", "do_signal", "arch_do_signal_or_restart",
               "syscall_exit_to_user_mode_prepare"),
        prefixes=("sysvec_", "asm_sysvec_", "__sysvec_", "smp_call_function_interrupt",
                  "generic_smp_call_function", "flush_smp_call_function", "asm_exc_",
                  "entry_SYSCALL", "entry_SYSENTER", "entry_INT80", "ret_from_",
                  "__do_softirq", "irq_exit", "run_ksoftirqd", "hrtimer_", "__hrtimer",
                  "nmi_", "do_nmi", "apic_", "smp_apic_", "x86_", "do_syscall_",
                  "__entry_text", "__irqentry_text", "irqentry_", "__sysvec", "el0_", "el1_",
                  "do_el0_", "irq_work_", "call_on_stack", "run_on_irqstack",
                  "__run_on_irqstack", "asm_call_", "do_softirq", "__local_bh"),
    ),
    Group(
        "MMIO accessors (include/asm-generic/io.h, arch/x86/include/asm/io.h): a driver "
        "reads or writes its device's registers through them",
        names=tuple(f"{lead}{op}{width}" for lead in ("", "_", "__", "__raw_")
                    for op in ("read", "write") for width in "bwlq"),
    ),
    Group(
        "the driver core, sysfs and reference drops: every driver calls them; dropping "
        "the last reference runs the release code of whoever owned the object",
        accessor=False,
        names=("device_del", "device_unregister", "device_add", "kobject_get", "kobject_put",
               "kobject_del", "kobject_release", "kref_put", "kref_get", "dput", "fast_dput",
               "iput", "iput_final", "ihold", "fput", "__fput", "____fput", "sysfs_remove_group",
               "sysfs_remove_file_ns", "sysfs_remove_groups", "sysfs_remove_link",
               "usb_kill_urb", "destroy_workqueue", "init_timer_key", "__init_timer",
               "get_device_parent", "get_device", "put_device", "__cancel_work_timer",
               "cancel_work_sync", "cancel_delayed_work_sync", "flush_delayed_work",
               "queue_work_on", "__queue_work", "mod_delayed_work_on", "call_rcu", "__call_rcu",
               "complete", "complete_all", "kill_fasync", "tty_unregister_device",
               "tty_register_device", "i2c_del_adapter", "filemap_alloc_folio",
               "__page_cache_alloc", "skb_push", "skb_put", "skb_pull", "__skb_push",
               "__skb_put", "__skb_pull", "__kill_fasync", "lock_timer_base",
               "__mod_timer", "mod_timer", "del_timer", "del_timer_sync", "add_timer",
               "try_to_del_timer_sync", "logic_inb", "logic_inw", "logic_inl", "logic_outb",
               "logic_outw", "logic_outl",
               "cleanup_srcu_struct", "_cleanup_srcu_struct", "debug_check_no_obj_freed"),
        prefixes=("kobject_", "__kobject_", "device_", "__device_", "dpm_", "driver_",
                  "bus_remove_", "bus_add_", "crypto_", "__crypto_", "aesti_", "aes_",
                  "cipher_", "skcipher_", "xts_", "ecb_", "cbc_", "call_rcu",
                  "__call_rcu", "kref_"),
        # the teardown and deferral helpers any driver goes through: work queueing and
        # cancelling, timers, uevents, device and netdev unregistration, USB transfer
        # submission and killing, the last iput/dput, page truncation
        contains=("queue_work", "insert_work", "queue_delayed_work", "try_to_grab_pending",
                  "kthread_stop",
                  "flush_work", "cancel_work", "del_timer", "timer_delete_sync",
                  "sk_stop_timer_sync", "is_static_object", "add_uevent_var",
                  "devres_release_all", "hwrng_unregister", "__unregister_client",
                  "rollback_registered", "unregister_netdev", "sysfs_remove",
                  "usb_kill_urb", "usb_kill_anchored_urbs", "usb_control_msg",
                  "usb_hcd_submit_urb", "usb_submit_urb", "dummy_urb_enqueue", "dput",
                  "mark_buffer_dirty", "drop_nlink", "find_lock_entries",
                  "truncate_inode_pages_range", "assertfail"),
    ),
    Group(
        "instrumentation hooks that wrap arbitrary code: tracing, fault injection, coverage",
        names=("__sanitizer_cov_trace_pc", "write_comp_data", "should_fail",
               "should_failslab", "should_fail_alloc_page", "fail_dump", "__should_failslab",
               "stack_trace_save", "save_stack", "set_track", "save_stack_trace",
               "__save_stack_trace", "arch_stack_walk", "stack_trace_consume_entry",
               "unwind_next_frame", "__unwind_start", "ftrace_graph_caller"),
        prefixes=("__sanitizer_", "trace_", "__trace_", "perf_trace_", "__bpf_trace_",
                  "stack_depot_", "stack_trace_", "unwind_", "__unwind", "__tracepoint"),
    ),
)

# fmt: on

_NAMES = frozenset(n for g in GROUPS for n in g.names)
_PREFIXES = tuple(p for g in GROUPS for p in g.prefixes)


def _contains(groups: object) -> re.Pattern[str]:
    words = sorted({c for g in groups for c in g.contains})  # type: ignore[attr-defined]
    return re.compile("|".join(map(re.escape, words)) or r"(?!)")


_CONTAINS = _contains(GROUPS).search
# (a family word is generic even for the function that made a bad access: a test's
# test_kmalloc_oob_write is named by its caller, as syzbot does)
_ACCESS_CONTAINS = _CONTAINS
_CHECK_CONTAINS = _contains(g for g in GROUPS if g.checks_caller).search


_ACCESS_NAMES = frozenset(n for g in GROUPS if g.accessor for n in g.names)
_ACCESS_PREFIXES = tuple(p for g in GROUPS if g.accessor for p in g.prefixes)


@lru_cache(maxsize=8192)  # names repeat across reports and logs
def generic(function: str) -> bool:
    """Whether a frame of `function` names no bug (see GROUPS for why)."""
    return function in _NAMES or function.startswith(_PREFIXES) or _CONTAINS(function) is not None


_CHECK_NAMES = frozenset(n for g in GROUPS if g.checks_caller for n in g.names)
_CHECK_PREFIXES = tuple(p for g in GROUPS if g.checks_caller for p in g.prefixes)


@lru_cache(maxsize=8192)  # names repeat across reports and logs
def generic_checker(function: str) -> bool:
    """Whether `function`, named as the one a WARN fired in, names no bug: it checked
    how its caller used it (see Group.checks_caller)."""
    return (
        function in _CHECK_NAMES
        or function.startswith(_CHECK_PREFIXES)
        or _CHECK_CONTAINS(function) is not None
    )


@lru_cache(maxsize=8192)  # names repeat across reports and logs
def generic_accessor(function: str) -> bool:
    """Whether `function`, named as the one that made a bad memory access, names no bug:
    it accessed memory on its caller's behalf (see Group.accessor)."""
    return (
        function in _ACCESS_NAMES
        or function.startswith(_ACCESS_PREFIXES)
        or _ACCESS_CONTAINS(function) is not None
    )


# Dispatch layers: code that hands work to whoever implements it. A stall is named by
# the outermost frame that is not generic and not dispatch (titles.pick): the unit of
# work the CPU was running (a driver's ioctl, a timer or work callback, a netlink
# handler, a syscall that is not a multiplexer).
DISPATCH = Group(
    "syscall multiplexers and the VFS, socket, netlink, block and packet layers they "
    "dispatch through, and the runners of deferred work",
    names=(
        "vfs_read",
        "vfs_write",
        "__vfs_read",
        "__vfs_write",
        "new_sync_read",
        "new_sync_write",
        "vfs_readv",
        "vfs_writev",
        "do_iter_write",
        "do_iter_read",
        "do_iter_readv_writev",
        "vfs_iter_write",
        "vfs_iter_read",
        "do_readv",
        "do_writev",
        "vfs_ioctl",
        "do_vfs_ioctl",
        "file_ioctl",
        "blkdev_ioctl",
        "compat_ptr_ioctl",
        "do_splice",
        "do_splice_direct",
        "splice_direct_to_actor",
        "do_sendfile",
        "sock_sendmsg",
        "sock_recvmsg",
        "sock_sendmsg_nosec",
        "____sys_sendmsg",
        "___sys_sendmsg",
        "__sys_sendmsg",
        "__sys_sendmmsg",
        "__sys_sendto",
        "__sys_recvfrom",
        "___sys_recvmsg",
        "__sys_recvmsg",
        "sock_write_iter",
        "sock_read_iter",
        "sock_ioctl",
        "sock_do_ioctl",
        "sock_common_setsockopt",
        "sock_common_getsockopt",
        "__sys_setsockopt",
        "__sys_getsockopt",
        "netlink_sendmsg",
        "netlink_unicast",
        "netlink_unicast_kernel",
        "netlink_rcv_skb",
        "rtnetlink_rcv",
        "rtnetlink_rcv_msg",
        "genl_rcv",
        "genl_rcv_msg",
        "genl_family_rcv_msg",
        "genl_family_rcv_msg_doit",
        "net_rx_action",
        "napi_poll",
        "__napi_poll",
        "process_backlog",
        "__netif_receive_skb",
        "__netif_receive_skb_core",
        "__netif_receive_skb_one_core",
        "netif_receive_skb",
        "netif_receive_skb_internal",
        "__netif_receive_skb_list_core",
        "process_one_work",
        "call_timer_fn",
        "__run_timers",
        "run_timer_softirq",
        "__hrtimer_run_queues",
        "hrtimer_run_softirq",
        "tasklet_action",
        "tasklet_action_common",
        "rcu_do_batch",
        "inet_sendmsg",
        "inet6_sendmsg",
        "inet_recvmsg",
        "inet6_recvmsg",
        "do_mmap",
        "do_mmap_pgoff",
        "mmap_region",
        "vm_mmap_pgoff",
        "ksys_mmap_pgoff",
        "ksys_read",
        "ksys_write",
        "ksys_ioctl",
        "ksys_pread64",
        "ksys_pwrite64",
        "vfs_fsync_range",
        "do_fsync",
    ),
    prefixes=("compat_", "__compat_"),
)
# Multiplexed syscalls: their name says nothing of the work (it is the file's, the
# socket's or the driver's).
MULTIPLEXED = frozenset((
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2",
    "pwritev2", "ioctl", "sendmsg", "sendmmsg", "recvmsg", "recvmmsg", "sendto", "recvfrom",
    "send", "recv", "setsockopt", "getsockopt", "splice", "sendfile", "sendfile64",
    "socketcall", "ipc", "fcntl", "fsync", "fdatasync", "mmap", "mmap_pgoff", "old_mmap",
))  # fmt: skip
# Spin-waits that name a stall when the stalled CPU was found in them: it was waiting
# for other CPUs (an IPI's completion), not working.
SPIN_WAITS = frozenset((
    "smp_call_function", "smp_call_function_single", "smp_call_function_many",
    "smp_call_function_many_cond", "csd_lock_wait", "on_each_cpu", "on_each_cpu_cond_mask",
))  # fmt: skip
_DISPATCH_NAMES = frozenset(DISPATCH.names)


def dispatch(function: str) -> bool:
    """Whether `function` only dispatches work (see DISPATCH), for stall titles."""
    return (
        function in _DISPATCH_NAMES
        or function.startswith(DISPATCH.prefixes)
        or "_compat_" in function  # a compat wrapper converts, then calls the real one
    )


# How a timer interrupt enters the kernel, on x86 since 5.8 (asm_sysvec_*), before it
# (apic_timer_interrupt, smp_apic_timer_interrupt*), and on arm/arm64 (GIC handlers).
INTERRUPT_ENTRIES = frozenset((
    "apic_timer_interrupt", "asm_sysvec_apic_timer_interrupt", "sysvec_apic_timer_interrupt",
    "__sysvec_apic_timer_interrupt", "interrupt_entry", "common_interrupt",
    "asm_common_interrupt", "__irq_svc", "gic_handle_irq", "el1_irq", "el1h_64_irq",
    "el1h_64_irq_handler", "el0_irq", "call_function_single_interrupt",
    "asm_sysvec_call_function_single", "sysvec_call_function_single",
    "__sysvec_call_function_single",
))  # fmt: skip
# Where a context that interrupted code can run in began: softirqs and their runners.
CONTEXT_ENTRIES = frozenset((
    "__do_softirq", "do_softirq", "do_softirq_own_stack", "irq_exit", "irq_exit_rcu",
    "__irq_exit_rcu", "invoke_softirq", "run_ksoftirqd", "asm_call_on_stack",
    "asm_call_irq_on_stack", "asm_call_sysvec_on_stack", "handle_softirqs", "call_on_stack",
    "irq_exit_rcu", "__local_bh_enable_ip", "do_softirq_own_stack",
))  # fmt: skip


def interrupt_entry(function: str) -> bool:
    return function in INTERRUPT_ENTRIES or "apic_timer_interrupt" in function


def context_entry(function: str) -> bool:
    return function in CONTEXT_ENTRIES


# Frames that name no bug in one kind of report only: the helpers that kind's check
# runs in, or that every caller of the checked code goes through. Searched (not
# anchored) in a frame's base name; kinds.Kind.passes_over and kinds.WARN_SOURCES
# refer to them. syzbot skips the same helpers when it names these reports.
KIND_SKIPS: dict[str, str] = {
    # a page that was bad when freed: the page allocator's, page cache's and page
    # owner's routines handle every page; the stack is where the page was allocated
    "bad-page": r"(?:free|put|get|update|release)_page|free_unref|^_*folio|"
    r"truncate_inode_pages|page_frag_free|alloc|vmap|page_owner",
    # a leaked object: whatever allocated it on behalf of its caller (kmemleak's
    # backtrace starts in the allocator; string and idr helpers allocate too)
    "leak": r"alloc|kmem|slab|kmemleak|create_object|strn?dup|memdup|k?v?asprintf|"
    r"idr_get|list_lru_init|pcpu_create|mmap",
    # spinlock debugging fires inside the lock wrappers
    "spinlock-debug": r"spin_|_lock|_unlock",
    # check_preemption_disabled() is reached through the per-cpu accessors
    "preemptible": r"dump_stack|preempt|debug_|processor_id|this_cpu",
    # RCU's lockdep checks run in RCU's own accessors and in the allocators that use them
    "rcu-suspicious": r"rcu|kmem|slab",
    # lockdep registers a key for any lock, IRQ or stack-tracking primitive
    "lockdep-static-key": r"stack|lock|IRQ",
    # UBSAN's handlers and the overflow helpers (check_*_overflow) that call them
    "ubsan": r"ubsan|overflow",
    # KMSAN: an uninit value reaches the check through socket buffers, netlink replies,
    # crypto routines or a USB transfer; the code that made it is their caller
    "kmsan": r"alloc_skb|netlink_ack|netlink_rcv_skb|_encrypt$|^(?:crypto|cipher|drbg|rng)_|"
    r"^usb_(?:submit_urb|start_wait_urb|bulk_msg|interrupt_msg|control_msg)$",
    # KASAN's hardware tags (arm64 MTE) report from the fault path
    "kasan": r"kernel_fault|tag_check|mem_abort|^el1h?_",
    # a stack that overflowed is found in the overflow handler
    "stack-overflow": r"bad_stack",
    # the stack protector's failure path
    "stack-protector": r"stack_chk",
    # WARN sources (kinds.WARN_SOURCES): the checked objects' own helpers
    # debug objects: the lifecycle hooks of timers, work items, RCU heads, percpu
    # counters and kobjects, and the frees that check them
    "odebug": r"debug_|rcu|hrtimer_|timer_|work_|percpu_|vunmap|vfree|__free_|kobject_",
    "usercopy": r"usercopy|__check",
    "kobject": r"kobject_",
    "proc": r"proc_",
    "refcount": r"refcount|kobject_",
    "kmalloc": r"kmalloc|krealloc|slab|kmem",
    # workqueue code takes the locks of the work items it runs or flushes: a deadlock
    # seen there is the work item's
    "lockdep-circular": r"process_one_work|flush_workqueue|drain_workqueue|destroy_workqueue",
    # a hung task sleeps in the scheduler, in a lock, semaphore or completion it waits
    # on, in a kthread it waits to start or stop, in a grace period or a work item's
    # cancellation: the code that waited names it
    "hung-task": r"sched|_lock|_slowlock|down|rwsem|completion|kthread|wait|synchronize|"
    r"context_switch|__switch_to|cancel_delayed_work|rcu_barrier",
    # a BUG_ON() in a socket-buffer helper (skb_put(), skb_pull(), ...): the caller
    # handed it a bad buffer or length
    "kernel-bug": r"^skb_",
    # a Rust panic unwinds through the panic machinery and the C BUG() helper
    "rust-panic": r"rust_begin_unwind|^core::panicking|rust_helper_BUG",
    # a USB transfer's submission checks; the driver that submitted it names the bug
    "usb": r"^usb_(?:submit_urb|start_wait_urb|bulk_msg|interrupt_msg|control_msg)$",
}
