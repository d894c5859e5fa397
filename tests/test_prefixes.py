"""The line-prefix table: every form the kernel and vendors print, caller
ids, bit rot, and bounded time.  Every example line is copied from a real
console in tests/data/consoles (file named beside it)."""

import os
import time

import pytest

from harvester.crash import analysis
from harvester.crash.prefixes import split_prefix, strip_prefix

DATA = os.path.join(os.path.dirname(__file__), "data")

# (line, caller id, text after the prefix)
REAL = [
    # plain mainline (xiaomi-apq8064.last_kmsg)
    ("[    2.697845] Kernel panic - not syncing: VFS: Unable to mount root fs "
     "on unknown-block(0,0)", None,
     "Kernel panic - not syncing: VFS: Unable to mount root fs on "
     "unknown-block(0,0)"),
    # Android GKI caller ids (gki-mediatek-oplus, gki-qualcomm)
    ("[    6.383367][ T1222] Unable to handle kernel paging request at "
     "virtual address fffffffffffffffe", "T1222",
     "Unable to handle kernel paging request at virtual address "
     "fffffffffffffffe"),
    ("[    6.389437][ T1222]  ipanic_die+0x20/0x34 "
     "[mrdump d3bc449aeacfeb4b6fef0326e2c6631033b5442d]", "T1222",
     " ipanic_die+0x20/0x34 [mrdump d3bc449aeacfeb4b6fef0326e2c6631033b5442d]"),
    ("[ 1273.462196][    C1] Kernel panic - not syncing: kernel stack overflow",
     "C1", "Kernel panic - not syncing: kernel stack overflow"),
    # MediaTek, interrupts on and off (mediatek-mt6853.console-ramoops)
    ("[    6.319127]  (6)[1019:mtk_agpsd]Unable to handle kernel NULL pointer "
     "dereference at virtual address 00000108", "T1019",
     "Unable to handle kernel NULL pointer dereference at virtual address "
     "00000108"),
    ("[    6.319225] -(6)[1019:mtk_agpsd]Internal error: Oops: 96000005 [#1] "
     "PREEMPT SMP", "T1019", "Internal error: Oops: 96000005 [#1] PREEMPT SMP"),
    ("<0>[    1.310150] -(6)[1:init]Internal error: Oops: 96000006 [#1] "
     "PREEMPT SMP", "T1", "Internal error: Oops: 96000006 [#1] PREEMPT SMP"),
    # the form of the issue, and a rotten CPU (mediatek-mt6765-bitrot)
    ("[  120.756205] -(0)[0:swapper/0]Har$ Reset", "T0", "Har$ Reset"),
    ("[  120.75>331] -( )[0:swapper/0]Internal error: Oops - BUG: 0 [#1] "
     "PREEMPT SMP", "T0", "Internal error: Oops - BUG: 0 [#1] PREEMPT SMP"),
    # MediaTek/Meizu cpu:pid:comm (meizu-sm8550.console-ramoops-0)
    ("[    0.691373][7:1:init] Kernel panic - not syncing: Attempted to kill "
     "init! exitcode=0x00007f00", "T1",
     "Kernel panic - not syncing: Attempted to kill init! exitcode=0x00007f00"),
    # Qualcomm/OPLUS (qualcomm-oplus-bitrot.console-ramoops-0)
    ("[    4.500346]  (6)[422:kworker/6:3][OPLUS_CHG][oplus_chg_parse_charger_"
     "dt] CONFIG_HIGH_TEMP_VERSION disabled", "T422",
     "[OPLUS_CHG][oplus_chg_parse_charger_dt] CONFIG_HIGH_TEMP_VERSION "
     "disabled"),
    # Samsung, task and interrupt context, a comm holding ':'
    # (samsung-exynos9611.last_kmsg, samsung-exynos990.last_kmsg)
    ("<0>[    2.232206]  [4:           init:    1] Kernel panic - not "
     "syncing: Attempted to kill init task group! exitcode=0x00007f00", "T1",
     "Kernel panic - not syncing: Attempted to kill init task group! "
     "exitcode=0x00007f00"),
    ("<2>[    2.232408] I[5:      swapper/5:    0] CPU5: stopping", "C5",
     "CPU5: stopping"),
    ("<0>[    0.629928] I[7:      swapper/0:    1] Kernel panic - not "
     "syncing: Asynchronous SError Interrupt", "C7",       # samsung-sm7125-serror
     "Kernel panic - not syncing: Asynchronous SError Interrupt"),
    ("<0>[ 2514.900650]  [1:proxy-server-po:20809] Internal error: Oops: "
     "96000046 [#1] PREEMPT SMP", "T20809",                # samsung-sm7125
     "Internal error: Oops: 96000046 [#1] PREEMPT SMP"),
    ("<4>[    5.774761]  [0:    kworker/0:1:   16]  dump_backtrace+0x0/0x1c0",
     "T16", " dump_backtrace+0x0/0x1c0"),
    # HiSilicon, with its "s" after the seconds (hisilicon-kirin)
    ("[    0.000000s][pid:0,cpu0,swapper][E/sensorhub] light sensor read tp "
     "color is 120, 0x78", "T0",
     "[E/sensorhub] light sensor read tp color is 120, 0x78"),
    ("[   59.563232s][pid:1,cpu0,init]Restarting system with command "
     "'recovery'.", "T1", "Restarting system with command 'recovery'."),
    # Honor "[pid:comm]" without a timestamp (tests/data/realworld/
    # arm64-vendor-prefix-queue_oom_reaper): the caller, not a rotten time
    ("[3701:11_see]Internal error: Oops: 96000005 [#1] PREEMPT SMP", "T3701",
     "Internal error: Oops: 96000005 [#1] PREEMPT SMP"),
    ("[3701:11_see] queue_oom_reaper+0x30/0x170", "T3701",
     "queue_oom_reaper+0x30/0x170"),
    # HiSilicon's newer form, interrupt context, the wall clock
    # (hisilicon-kirin990, hisilicon-kirin990-2)
    ("<0>[  123.176391s][pid:6550,cpu6,lshw-bak,4]Kernel panic - not "
     "syncing: Fatal exception", "T6550",
     "Kernel panic - not syncing: Fatal exception"),
    ("<3>[  114.234069s][pid:488,cpu0,in irq,0]ufshcd f8200000.ufs: : "
     "UFSSYS_HC_DEBUG:                0x00000000", "C0",
     "ufshcd f8200000.ufs: : UFSSYS_HC_DEBUG:                0x00000000"),
    ("<6>[ 1129.341491s][2023:11:30 17:19:27][pid:2071,cpu6,kworker/u17:2,9]"
     "sp805-wdt fe026000.watchdog0: watchdog kick now", "T2071",
     "sp805-wdt fe026000.watchdog0: watchdog kick now"),
    # Logs read back from syslog or the journal (GitHub issues:
    # raspberrypi/linux#2557, #6792, koverstreet/bcachefs#345): the
    # syslog part goes, the kernel's own prefix after it too.
    ("May 17 18:48:11 kernel: [ 6141.921740] INFO: task kworker/u8:0:5 "
     "blocked for more than 120 seconds.", None,
     "INFO: task kworker/u8:0:5 blocked for more than 120 seconds."),
    ("Apr 15 13:58:08.549417 raspberrypi kernel: pc : __arch_copy_to_user"
     "+0xd8/0x240", None, "pc : __arch_copy_to_user+0xd8/0x240"),
    ("2022-01-15T23:50:16.582448+01:00 zserwerek kernel: [25151.554700] "
     "Code: 48 08", None, "Code: 48 08"),
    ("Jun  9 11:11:21 rzx kernel: [  7.1][ T42] Oops [#1]", "T42",
     "Oops [#1]"),
    # journalctl -o short-monotonic (linux-btrfs, Chris Murphy, 5.18)
    ("[24755.774787] kernel: WARNING: CPU: 18 PID: 139605 at", None,
     "WARNING: CPU: 18 PID: 139605 at"),
    ("[ 7.250001] myhost kernel: Call Trace:", None, "Call Trace:"),
    # Unisoc's CPU mark after the timestamp (tests/data/realworld4/arm32-
    # logcat-prefix-sched-atomic-regulator_disable, whose log collector's
    # date the analysis takes off first): it goes, naming no caller
    ("<4>[ 2.177356] c1 [<c0545824>] (mutex_lock+0x0/"
     "0x7c) from [<c024ae48>] (regulator_disable+0x24/0x58)", None,
     "[<c0545824>] (mutex_lock+0x0/0x7c) from [<c024ae48>] "
     "(regulator_disable+0x24/0x58)"),
    # Broadcom's CPU and padded comm (tests/data/realworld4/arm32-vendor-
    # prefix-repeated-sched-atomic-cpu_idle): no pid, so no caller
    ("<4>[26578.636900] C1 [ swapper/1] Modules linked in: bcm15500_i2c_ts",
     None, "Modules linked in: bcm15500_i2c_ts"),
    # another program's line keeps its syslog part
    ("May 17 18:48:11 host sshd[12]: kernel: x", None,
     "May 17 18:48:11 host sshd[12]: kernel: x"),
]

# A tool's prefix before the kernel's line, one line per form of
# TOOL_FORMS, written after the tools' printf formats (util-linux dmesg.c
# print_record, systemd logs-show.c output_short, printk.c
# info_print_ext_header; tests/test_log_forms.py runs every log through them)
TOOLS = [
    ("[Tue Jan  2 03:04:17 2024]  dump_stack+0x1c/0x24", None,    # dmesg -T
     " dump_stack+0x1c/0x24"),
    ("[Tue Jan  2 03:04:17 2024] [  T4242] Oops [#1]", "T4242", "Oops [#1]"),
    ("[Jan 2 03:04] Oops [#1]", None, "Oops [#1]"),                 # dmesg -e
    ("[   12.345678 <    0.000013>] Oops [#1]", None, "Oops [#1]"),  # dmesg -d
    ("kern  :warn  : [   12.345678] Oops [#1]", None, "Oops [#1]"),  # dmesg -x
    ("kern  :emerg : Oops [#1]", None, "Oops [#1]"),
    ("2024-01-02T03:04:17,345678+01:00 Oops [#1]", None, "Oops [#1]"),
    ("Tue 2024-01-02 03:04:17 CET host kernel: Oops [#1]", None,  # -o short-full
     "Oops [#1]"),
    ("1704164657.345678 host kernel: Oops [#1]", None, "Oops [#1]"),  # short-unix
    ("[   12.345678 <    0.000013 >] host kernel: Oops [#1]", None,  # short-delta
     "Oops [#1]"),
    ("f\u00e9vr.  3 03:04:17 host kernel: Oops [#1]", None, "Oops [#1]"),
    ("Jan 02 03:04:17.345678 host kernel:  dump_stack+0x1c/0x24", None,
     " dump_stack+0x1c/0x24"),                                    # short-precise
    ("4,1000,12345678,-; dump_stack+0x1c/0x24", None,             # /dev/kmsg
     " dump_stack+0x1c/0x24"),
    ("0,1001,12345679,-,caller=C1;Kernel panic - not syncing: a\\x5cb "
     "\\xc3\\xa9", "C1", "Kernel panic - not syncing: a\\b \u00e9"),
    ('- {"dt": "2019-09-09T17:46:48.674914", "lvl": "target", "msg": '     # LAVA
     '"[    1.146063] WARNING: CPU: 0 PID: 1 at \\"x\\" f+0x3c4/0x3c8"}', None,
     'WARNING: CPU: 0 PID: 1 at "x" f+0x3c4/0x3c8'),
    ("03-13 15:18:38.123  [   12.345678] Oops [#1]", None, "Oops [#1]"),
    ("03-13 15:18:38 <4>[   12.345678] Oops [#1]", None, "Oops [#1]"),
    # words that only look like a tool's: left alone
    ("Jan 02 03:04:17 host sshd[1]: Oops", None,
     "Jan 02 03:04:17 host sshd[1]: Oops"),
    ("1234 pages reserved", None, "1234 pages reserved"),
    ("CPU: 0 PID: 1 Comm: init Not tainted 6.1.0 #1", None,
     "CPU: 0 PID: 1 Comm: init Not tainted 6.1.0 #1"),
]

# Bit rot (samsung-bitrot, qualcomm-oplus-bitrot, mediatek-mt6765-bitrot):
# in the timestamp "[" read as "S", "," for ".", "'" and "(" for digits,
# "$" and "_" for "]"; in the vendor part as below.
ROTTEN = [
    ("S    4,416971]  [4:   \x00       init:    1] init: procesCing actaon "
     "(post-fs)", "T1", "init: procesCing actaon (post-fs)"),
    ("[   4'.(082s9]  [3:provider@4.0-se: 1806] @r/cess prgvider@4.0-sa "
     "(pid: 1806, stack limiT = 0x0000000096723914)", "T1806",
     "@r/cess prgvider@4.0-sa (pid: 1806, stack limiT = 0x0000000096723914)"),
    ("[    4.5003$3_  (6)[422:kworker/6:3][OPLUS_CHG][oplus_chg_parse_charger"
     "_dt]usb_high_than_bat_decidegc:100", "T422",
     "[OPLUS_CHG][oplus_chg_parse_charger_dt]usb_high_than_bat_decidegc:100"),
    # flipped bits in the vendor part too: removed, naming no caller
    ("[ $  4.508421]  *7-_422:kworker/6:3][OPLUS_CHG]", None, "[OPLUS_CHG]"),
    ("[ \" 41>717664_ \ufffd(\ufffd+[1:init]init: Untracked pid 794 recekved "
     "signa| ;", None, "init: Untracked pid 794 recekved signa| ;"),
    ("[  !41.71757>] \ufffdh1+_1:init]init:`Untrack\ufffdd pkd 778 ex\ufffd"
     "\ufffded wit\ufffd status 0", None,
     "init:`Untrack\ufffdd pkd 778 ex\ufffd\ufffded wit\ufffd status 0"),
    # the oops line of samsung-bitrot, "[" read as "Y" and ":" as ^Z
    ("[   45.808082]  Y3\x1aprovider@4.0-se: 1806] Unable to handle kernel "
     "NULL pointer dereference at virtual address 000000000 000008", None,
     "Unable to handle kernel NULL pointer dereference at virtual address "
     "000000000 000008"),
    ("[   47.808096]\x00 [3:provider@4.\x10-se: 1806] Lem abort info:", None,
     "Lem abort info:"),
    # mediatek-mt6765-bitrot: ")" read as a tab, "]" as "\\"
    ("[  120.756270] -(0\t[0:sw`Pper/0\\Kernel BUG at 04000000134cad11 "
     "\x1bverbose debtg iffo un!vaila\"le]", None,
     "Kernel BUG at 04000000134cad11 \x1bverbose debtg iffo un!vaila\"le]"),
    ("[  120.777623] -(0\t[0:cwapper/0]Call trace2", None, "Call trace2"),
    # two bits flipped in one character ("[" read as "J") are not taken
    ("[   47.811\x1698]  J38p2/vi\ufffdeb@4.0%se: 1806]  dma_buf_detach"
     "+0x3c/0xa0", None,
     " J38p2/vi\ufffdeb@4.0%se: 1806]  dma_buf_detach+0x3c/0xa0"),
    # flipped bits as the old prefix regex already tolerated them
    ("<4>\x1b   12.345678] Kernel panic - not syncing: x", None,
     "Kernel panic - not syncing: x"),
    ("<4>[   12.34\x005678\ufffd [T7] Oops: 0002 [#1]", "T7", "Oops: 0002 [#1]"),
]


@pytest.mark.parametrize("line,caller,text", REAL + ROTTEN + TOOLS)
def test_prefix_forms(line, caller, text):
    assert split_prefix(line) == (caller, text)
    assert strip_prefix(line) == text


@pytest.mark.parametrize("line,rotten,intact", [
    ("<4>[   12.34\x005678{0} [T7] Oops: 0002 [#1]", ("T7", "Oops: 0002 [#1]"),
     (None, "\x80 [T7] Oops: 0002 [#1]")),
    ("[ \" 41>717664_ {0}({0}+[1:init]init: Untracked",
     (None, "init: Untracked"), (None, "\x80(\x80+[1:init]init: Untracked"))])
def test_u0080_is_no_rotten_byte(line, rotten, intact):
    """A byte over 0x7f alone decodes to U+FFFD, never to U+0080 (two
    bytes, C2 80): where U+FFFD is a rotten prefix, U+0080 is text (the
    compiled patterns hold U+0080 for U+FFFD, swapped in the line)."""
    assert split_prefix(line.format("\ufffd")) == rotten
    assert split_prefix(line.format("\x80")) == intact


# (timestamp, vendor part, its comm, text) of real lines, one per vendor form
VENDOR_LINES = [
    ("[    6.319127] ", " (6)[1019:mtk_agpsd]", "mtk_agpsd",
     "Unable to handle kernel NULL pointer dereference"),
    ("[  120.756205] ", "-(0)[0:swapper/0]", "swapper/0", "Har$ Reset"),
    ("[    4.500346] ", " (6)[422:kworker/6:3]", "kworker/6:3",
     "[OPLUS_CHG][oplus_chg_parse_charger_dt] CONFIG_HIGH_TEMP_VERSION"),
    ("[    0.691373]", "[7:1:init] ", "init", "Kernel panic - not syncing"),
    ("<0>[    2.232206] ", " [4:           init:    1] ", "init",
     "Kernel panic - not syncing: Attempted to kill init task group!"),
    ("<0>[ 2514.900650] ", " [1:proxy-server-po:20809] ", "proxy-server-po",
     "Internal error: Oops: 96000046 [#1] PREEMPT SMP"),
    ("<2>[    2.232408] ", "I[5:      swapper/5:    0] ", "swapper/5",
     "CPU5: stopping"),
    ("[   59.563232s]", "[pid:1,cpu0,init]", "init",
     "Restarting system with command 'recovery'."),
    ("<0>[  123.176391s]", "[pid:6550,cpu6,lshw-bak,4]", "lshw-bak",
     "Kernel panic - not syncing: Fatal exception"),
]


def _one_bit_flips(char):
    for bit in range(8):
        code = ord(char) ^ (1 << bit)
        flipped = chr(code) if code < 0x80 else "\ufffd"   # as decoded
        if flipped != "\n":                 # that one splits the line
            yield flipped


@pytest.mark.parametrize("stamp,vendor,comm,text", VENDOR_LINES)
def test_a_vendor_part_with_any_fixed_character_flipped_is_removed(
        stamp, vendor, comm, text):
    """Each bracket, separator, letter of "pid"/"cpu" and digit of the
    vendor part, flipped one bit at a time in every way: the text is still
    found, and the caller is the line's or unknown.  (The comm is free
    text; a flip there is just another comm.)"""
    start = vendor.index(comm)
    fixed = [i for i in range(len(vendor.rstrip(" ")))
             if not start <= i < start + len(comm)]
    callers = {split_prefix(stamp + vendor + text)[0], None}
    tried = 0
    for i in fixed:
        for flipped in _one_bit_flips(vendor[i]):
            if vendor[i] == "]" and flipped in "MUY_" and set(comm) & set(
                    "MUY_"):
                continue        # ambiguous: where does "mtk_agpsd" end?
            line = stamp + vendor[:i] + flipped + vendor[i + 1:] + text
            caller, rest = split_prefix(line)
            assert rest.lstrip(" ") == text, repr(line)
            assert caller in callers or caller[1:].isdigit(), repr(line)
            tried += 1
    assert tried >= 7 * len(fixed)


def test_ordinary_text_is_never_taken_for_a_rotten_prefix():
    """No line of the dev set's logs (real kernels, mainline prefixes) nor
    of the consoles without bit rot takes one of the rotten forms."""
    from harvester.crash.prefixes import _prefix_match
    folders = [os.path.join(DATA, "syzkaller"), os.path.join(DATA, "consoles")]
    lines = 0
    for folder in folders:
        for name in sorted(os.listdir(folder)):
            if name == "NOTICE" or "bitrot" in name:
                continue
            with open(os.path.join(folder, name), "rb") as f:
                text = f.read().decode("utf-8", "replace")
            for line in text.splitlines():
                lines += 1
                assert _prefix_match(line).group("rotten") is None, repr(line)
    assert lines > 50000

@pytest.mark.parametrize("frame", [
    # mips show_backtrace(): " [<%p>] %pS\n" (older: "[<%08lx>] %pS")
    "[<80016084>] show_stack+0x48/0x70",
    # arm32 dump_backtrace_entry(): "[<%08lx>] (%ps) from [<%08lx>] (%pS)\n"
    "[<80016084>] (unwind_backtrace) from [<80011644>] (show_stack+0x10/0x14)",
    # x86 before 4.14, printk_address(): " [<%p>] %s%pB\n"
    "[<81166084>] warn_slowpath_common+0x7d/0xa0",
])
def test_a_frame_address_of_decimal_digits_is_no_rotten_caller(frame):
    """A frame's "[<80016084>]" whose address has only decimal digits
    fits a rotten vendor caller form ("<" a flipped "4", "8" a flipped
    ":", "_" or "]" ending a comm): it is the line's text, kept whole."""
    assert split_prefix("[   76.080000] " + frame) == (None, frame)
    assert split_prefix("<4>[   76.080000] " + frame) == (None, frame)


def test_a_dump_read_at_boot_never_compiles_the_tool_forms():
    """No line of the real kernels' pstore dumps (nor their "Oops#1 Part1"
    headers) may hold a tool's prefix: the boot path never compiles
    ``_TOOL``, which only pasted logs need."""
    from harvester import events
    from harvester.crash.prefixes import _maybe_tool
    from harvester.sources import load, parse_spec
    samples = os.path.join(os.path.dirname(__file__), os.pardir, "samples")
    lines = 0
    for name in sorted(os.listdir(samples)):
        path = os.path.join(samples, name, "pstore")
        if not os.path.isdir(path):
            continue
        loaded = load(parse_spec("pstore:" + path))
        for event in events.group(loaded.result.records):
            for line in event.log().decode("utf-8", "replace").splitlines():
                lines += 1
                assert not _maybe_tool(line), (name, line)
    assert lines > 1000


def test_analysis_uses_the_table():
    assert analysis.strip_prefix is strip_prefix


@pytest.mark.parametrize("line", [
    "    dump_stack+0x1c/0x24",                 # no timestamp: indent stays
    "  [<c010e948>] (unwind_backtrace+0x0/0xec) from [<c08b0950>]",
    "Call trace:",
    "[sec_input] gpio_keys_gpio_report_event: 114 (0)",
    "(6)[sic] a word in parentheses",
])
def test_text_without_a_prefix_is_left_alone(line):
    """The old regex took an indent for a timestamp (a trace without
    timestamps then had no frames)."""
    assert split_prefix(line) == (None, line)


@pytest.mark.parametrize("line", [
    "[" + "1" * 65536,
    "<4>[" + " " * 65536 + "]",
    "[    1.000000] " + " (" * 32768,
    "[    1.000000]  " + "[1:" * 21845,
    "[    1.000000] [pid:" + "1" * 65536,
    "[    1.000000]  [4:" + " " * 65536 + "init:    1]",
    "\ufffd" * 65536,
    # the rotten forms: every character a flipped bracket, digit or colon
    "[    1.000000] " + "\ufffd" * 65536,
    "[    1.000000] (0)[1:" + "_" * 65536,
    "[    1.000000] " + "Y3\x1a" * 21845,
    "[    1.000000] -(" + "0)[" * 21845,
    "[    1.000000] [pid:1,cpu0," + "M" * 65536,
    # the tools' prefixes (TOOL_FORMS) and a kmsg text of escapes
    "Jan  2 03:04:05 " + "h" * 65536,
    "2024-01-02T03:04:05 " + "h" * 65536,
    "1,2,3,-" + ",x" * 32768,
    "kern  :warn  : " * 4369,
    "[Tue Jan  2 03:04:05 2024] " + "[" * 65536,
    "[   12.345678 <" + " " * 65536,
    "[   12.345678] " + "kernel: " * 8192,
    "4,1,1,-;" + "\\x41" * 16384,
    '- {"dt": "' + "1" * 65536,
    '- {"dt": "2019-09-09T17:46:48", "lvl": "target", "msg": "' +
    '\\"' * 32768 + '"}',
])
def test_a_64k_line_takes_linear_time(line):
    """A 64 KiB line costs at most about 16 times what its first 4 KiB
    (with its end) cost: linear, never quadratic (which would be 256
    times).  Measured against each other, best of five, with a 3x margin,
    so a loaded machine slows both alike; the absolute speed is the
    benchmarks' (benchmarks/analysis.py)."""
    short = line[:4096] + line[-16:]
    assert _cost(split_prefix, line) < 48 * _cost(split_prefix, short) + 0.002


def _cost(function, arg, calls=20):
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(calls):
            function(arg)
        best = min(best, time.perf_counter() - start)
    return best


def test_prefixed_lines_take_linear_time():
    """8 times the lines cost about 8 times as much (at most 16: no
    quadratic term); the absolute speed is benchmarks/analysis.py's."""
    line = "<0>[    2.232206]  [4:           init:    1] Kernel panic\n"
    lines = (line * 2000).splitlines()
    assert {strip_prefix(l) for l in lines} == {"Kernel panic"}

    def strip_all(many):
        for l in many:
            strip_prefix(l)
    assert _cost(strip_all, lines * 8, calls=1) < \
        16 * _cost(strip_all, lines, calls=1) + 0.002


def test_any_line_gives_a_suffix_and_a_well_formed_caller():
    from hypothesis import given, settings, strategies as st
    parts = st.sampled_from(["<4>", "<", ">", "[", "]", " ", "  ", "-", "(",
                             ")", ":", ",", "I", "s", "T", "C", "pid:",
                             "cpu", "12.345678", "0", "7", "\x00", "\ufffd",
                             "init", "swapper/0", "\n"])
    lines = st.lists(st.one_of(parts, st.text(max_size=4)), max_size=30) \
        .map("".join)

    @settings(max_examples=3000, deadline=None)
    @given(lines)
    def check(line):
        caller, text = split_prefix(line)
        # a /dev/kmsg record's text has its "\\xNN" escapes undone
        assert line.endswith(text) or "\\x" in line
        assert caller is None or (caller[0] in "TC" and caller[1:].isdigit())

    check()
