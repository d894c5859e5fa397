"""The line-prefix table: every form the kernel and vendors print, caller
ids, bit rot, and bounded time.  Every example line is copied from a real
console in tests/data/consoles (file named beside it)."""

import time

import pytest

from harvester import analysis
from harvester.prefixes import split_prefix, strip_prefix

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
]

# Bit rot in the timestamp (samsung-bitrot, qualcomm-oplus-bitrot): "["
# read as "S", "," for ".", "'" and "(" for digits, "$" and "_" for "]".
ROTTEN = [
    ("S    4,416971]  [4:   \x00       init:    1] init: procesCing actaon "
     "(post-fs)", "T1", "init: procesCing actaon (post-fs)"),
    ("[   4'.(082s9]  [3:provider@4.0-se: 1806] @r/cess prgvider@4.0-sa "
     "(pid: 1806, stack limiT = 0x0000000096723914)", "T1806",
     "@r/cess prgvider@4.0-sa (pid: 1806, stack limiT = 0x0000000096723914)"),
    ("[    4.5003$3_  (6)[422:kworker/6:3][OPLUS_CHG][oplus_chg_parse_charger"
     "_dt]usb_high_than_bat_decidegc:100", "T422",
     "[OPLUS_CHG][oplus_chg_parse_charger_dt]usb_high_than_bat_decidegc:100"),
    ("[ $  4.508421]  *7-_422:kworker/6:3][OPLUS_CHG]", None,
     " *7-_422:kworker/6:3][OPLUS_CHG]"),
    # flipped bits as the old prefix regex already tolerated them
    ("<4>\x1b   12.345678] Kernel panic - not syncing: x", None,
     "Kernel panic - not syncing: x"),
    ("<4>[   12.34\x005678\ufffd [T7] Oops: 0002 [#1]", "T7", "Oops: 0002 [#1]"),
]


@pytest.mark.parametrize("line,caller,text", REAL + ROTTEN)
def test_prefix_forms(line, caller, text):
    assert split_prefix(line) == (caller, text)
    assert strip_prefix(line) == text


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
])
def test_a_64k_line_takes_constant_time(line):
    start = time.perf_counter()
    for _ in range(20):
        split_prefix(line)
    assert time.perf_counter() - start < 0.05


def test_a_mib_of_prefixed_lines_is_fast():
    line = "<0>[    2.232206]  [4:           init:    1] Kernel panic\n"
    text = line * (1 << 20 // len(line))
    start = time.perf_counter()
    texts = [strip_prefix(l) for l in text.splitlines()]
    assert time.perf_counter() - start < 0.5
    assert set(texts) == {"Kernel panic"}


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
        assert line.endswith(text)
        assert caller is None or (caller[0] in "TC" and caller[1:].isdigit())

    check()
