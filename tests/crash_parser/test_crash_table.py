"""The frame grammar, one line per stack shape; the kinds table; title normalisation."""

from __future__ import annotations

import re

import pytest

from actors.crash_parser.frames import UNRELIABLE, base_name, demangled, parse_frame, read_plain
from actors.crash_parser.kinds import KINDS, match_header
from actors.crash_parser.skip import generic
from actors.crash_parser.titles import names, normalise

# (line as printed without the printk prefix, function, offset, module, file, line,
#  inline, unreliable)
FRAME_LINES = [
    # x86-64 since 4.x: no address, "?" for unreliable frames
    (" hash_sendmsg+0xc2/0x340", "hash_sendmsg", "0xc2/0x340", None, None, None, False, False),
    (" ? hash_sendmsg+0xc2/0x340", "hash_sendmsg", "0xc2/0x340", None, None, None, False, True),
    # module symbol
    (" nft_do_chain+0x1a/0x40 [nf_tables]", "nft_do_chain", "0x1a/0x40", "nf_tables", None,
     None, False, False),
    # x86 before 4.x: [<address>], "?" after it; <IRQ> on the same line
    (" [<ffffffff813a0886>] _sched_show_task+0x2a6/0x4f0", "_sched_show_task",
     "0x2a6/0x4f0", None, None, None, False, False),
    (" [<ffffffff813a0691>] ? _sched_show_task+0xb1/0x4f0", "_sched_show_task",
     "0xb1/0x4f0", None, None, None, False, True),
    (" <IRQ>  [<ffffffff813a0886>] _sched_show_task+0x2a6/0x4f0", "_sched_show_task",
     "0x2a6/0x4f0", None, None, None, False, False),
    # symbolised (decode_stacktrace.sh / syzbot): file:line, inlined callees
    (" kasan_report+0x1/0x2 mm/kasan/report.c:12", "kasan_report", "0x1/0x2", None,
     "mm/kasan/report.c", 12, False, False),
    (" __read_once_size include/linux/compiler.h:250 [inline]", "__read_once_size", None,
     None, "include/linux/compiler.h", 250, True, False),
    # faulting IP lines
    ("RIP: 0010:io_serial_in+0x6b/0x90", "io_serial_in", "0x6b/0x90", None, None, None,
     False, False),
    ("RIP: 0010:[<ffffffff8134a1b2>]  [<ffffffff8134a1b2>] ext4_xattr+0x1/0x2", "ext4_xattr",
     "0x1/0x2", None, None, None, False, False),
    ("IP: skb_release_data+0x258/0x470", "skb_release_data", "0x258/0x470", None, None, None,
     False, False),
    # arm64: symbolised and "pc : " / "lr : "
    (" dump_backtrace+0x0/0x4c0 arch/arm64/kernel/traps.c:101", "dump_backtrace",
     "0x0/0x4c0", None, "arch/arm64/kernel/traps.c", 101, False, False),
    ("pc : simple_xattr_alloc+0x34/0x88", "simple_xattr_alloc", "0x34/0x88", None, None, None,
     False, False),
    # arm32: "(name+off/size) from [<...>]"
    ("[<8010b7a8>] (show_stack+0x10/0x14)", "show_stack", "0x10/0x14", None, None, None,
     False, False),
    # riscv
    ("epc : schedule_tail+0x72/0xb2", "schedule_tail", "0x72/0xb2", None, None, None, False,
     False),
    # compiler copies keep their suffix in the frame (titles drop it)
    (" do_ipv6_setsockopt.isra.0+0x4a8/0x4738", "do_ipv6_setsockopt.isra.0", "0x4a8/0x4738",
     None, None, None, False, False),
    # Rust (v0 mangling) and C++ symbols are demangled
    (" _RNvMNtCsaRjsM4q5aXJ_6kernel4fileNtB2_4File3get+0x1/0x2", "<kernel::file::File>::get",
     "0x1/0x2", None, None, None, False, False),
    (" _ZN6kernel5print11call_printk17hdeadbeefdeadbeefE+0x10/0x20",
     "kernel::print::call_printk", "0x10/0x20", None, None, None, False, False),
]  # fmt: skip


@pytest.mark.parametrize("row", FRAME_LINES, ids=lambda r: r[0].strip()[:40])
def test_frame_grammar(row):
    text, function, offset, module, file, line, inline, unreliable = row
    parsed = parse_frame(text)
    assert parsed is not None
    f = parsed.frame
    assert (f.function, f.offset, f.module, f.file, f.line, f.inline) == (
        function, offset, module, file, line, inline)  # fmt: skip
    assert parsed.unreliable == unreliable


@pytest.mark.parametrize("row", FRAME_LINES, ids=lambda r: r[0].strip()[:40])
def test_the_stack_readers_fast_path_reads_as_the_grammar(row):
    # read_plain() reads a line of a frame alone in two steps: the same frame, or says
    # it is no such line (the stack reader then asks parse_frame)
    text = row[0]
    found = read_plain(text)
    if found is None:
        return
    parsed = parse_frame(text)
    assert parsed is not None
    assert found == (UNRELIABLE if parsed.unreliable else parsed.frame)


@pytest.mark.parametrize(
    "text", ["Call Trace:", " <TASK>", "RIP: 0033:0x44e9f9", "Code: 48 89 df", "", "+0x"]
)
def test_not_frames(text):
    assert parse_frame(text) is None
    assert read_plain(text) is None


def test_demangling():
    assert demangled("_ZNK3Foo6methodEi") == "Foo::method"
    assert demangled("hash_sendmsg") == "hash_sendmsg"
    assert demangled("_Rnot_really") == "_Rnot_really"  # not mangled: kept as printed
    assert base_name("foo.constprop.0") == "foo" and base_name("foo.cold") == "foo"


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_kind_templates_use_known_fields(kind):
    known = set(kind.header.groupindex) | {"frame", "access", "what", "msg", "with_frame", "suffix"}
    for template in (kind.title, *kind.alts):
        assert set(re.findall(r"\{(\w+)\}", template)) <= known, template


@pytest.mark.parametrize(
    "line, kind",
    [
        ("BUG: KASAN: use-after-free in watch_queue_set_filter+0x5a4/0x620", "kasan"),
        ("WARNING: CPU: 0 PID: 77 at net/sched/sch_api.c:1234 qdisc_create+0x99/0x500",
         "warning"),
        ("watchdog: BUG: soft lockup - CPU#0 stuck for 135s! [syz:3527]", "soft-lockup"),
        ("rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:", "rcu-stall"),
        ("Oops: general protection fault, probably for non-canonical address 0xdffffc0000000004:"
         " 0000 [#1]", "gpf"),
        ("INFO: task syz-executor.0:4321 blocked for more than 143 seconds.", "hung-task"),
        ("Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b", "panic"),
        ("WARNING: /etc/ssh/moduli does not exist, using fixed modulus", None),
        ("BUG: KASAN is fine", "other"),  # a BUG: line no kind knows is still a report
    ],
)  # fmt: skip
def test_headers(line, kind):
    header = match_header(line)
    assert (header.kind.name if header else None) == kind


def test_generic_frames_and_syscall_names():
    assert generic("kmem_cache_alloc_node") and generic("_raw_spin_lock_irqsave")
    assert not generic("watch_queue_set_filter")
    title, others = names("__se_sys_mremap")
    assert (title, sorted(others)) == ("mremap", ["__se_sys_mremap", "sys_mremap"])
    assert names("__x64_sys_ioctl") == ("sys_ioctl", ["__x64_sys_ioctl"])
    assert names("synchronize_sched") == ("synchronize_rcu", ["synchronize_sched"])


@pytest.mark.parametrize(
    "raw, title",
    [
        ("KASAN: slab-out-of-bounds in f at addr ffff88801234abcd",
         "KASAN: slab-out-of-bounds in f at addr ADDR"),
        ("kernel panic: bad 10.0.0.1 x 12,34", "kernel panic: bad IP x NUM,NUM"),
        ("possible deadlock in nl802154_add_llsec_key",
         "possible deadlock in nl802154_add_llsec_key"),
        # tabs are blanks, control and non-ASCII characters go, from the first 120 bytes
        ("a\tb  c\x01d" + "x" * 200, "a b cd" + "x" * 112),
        ("BUG: caf\u00e9 \x7f", "BUG: caf"),
        # the fuzzer's processes, file lines, offsets, CPUs, long digit runs
        ("BUG: task syz-executor.3/1234 at fs/inode.c:12:7 in fn+0x1a/0x40 on CPU#1",
         "BUG: task syz-executor at fs/inode.c:LINE in fn on CPU"),
        ("INFO: syzkaller12345:1 id1234567 v2.6 3", "INFO: syzkaller idNUM v2.NUM NUM"),
        # six hex digits after a non-alphanumeric are an address, digits or not
        ("BUG: pfn:1a2b3c obj_deface", "BUG: pfn:ADDR obj_ADDR"),
        ("10 things", "10 things"),  # a number is replaced only after a non-word character
    ],
)  # fmt: skip
def test_normalise(raw, title):
    assert normalise(raw) == title
