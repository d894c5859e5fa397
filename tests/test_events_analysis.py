from harvester import events
from harvester.crash import analysis
from parsers.records import Record


def part(reason, count, number, t, backend="efi"):
    text = b"%s#%d Part%d\n<4>[ %d.0] chunk %d of dump %d\n" % (
        reason.encode(), count, number, number, number, count)
    return Record(backend, "dmesg", (t * 100 + number) * 1000 + count, text,
                  reason=reason, count=count, part=number, time_ns=t * 10**9)


def test_parts_join_oldest_first_and_dumps_stay_apart():
    recs = [part("Oops", 1, p, 1000 + (p > 3)) for p in (1, 2, 3, 4, 5)]
    recs += [part("Panic", 2, p, 1002) for p in (1, 2)]
    recs += [part("Oops", 1, p, 5000) for p in (1, 2)]      # next boot
    recs += [part("Oops", 1, p, 1030) for p in (1, 2)]      # a quick reboot
    found = events.group(recs)
    assert sorted(len(e.records) for e in found) == [2, 2, 2, 5]
    oops = next(e for e in found if len(e.records) == 5)
    assert [r.part for r in oops.records] == [5, 4, 3, 2, 1]
    log = oops.log()
    assert log.startswith(b"Oops#1 Part5\n") and log.count(b"Part") == 1
    assert log.index(b"chunk 5") < log.index(b"chunk 1")
    assert len({e.id for e in found}) == 4


def test_event_ids_are_stable_and_missing_parts_noted():
    a = events.group([part("Oops", 1, p, 1000) for p in (1, 3)])
    b = events.group([part("Oops", 1, p, 1000) for p in (3, 1)])
    assert a[0].id == b[0].id
    assert a[0].problems == ["parts missing: 2"]



def test_console_records_of_different_boots_have_different_ids():
    """Every boot's console record is console-ramoops-0 with no counter or
    time (found in review: two crashes shared one id, so the second was
    shown and reported as the first)."""
    def console(text):
        return events.group([Record("ramoops", "console", 0, text)])[0].id
    first = console(b"<1>[ 1.0] BUG: first crash\n")
    assert first == console(b"<1>[ 1.0] BUG: first crash\n")
    assert first != console(b"<1>[ 7.0] BUG: another crash\n")


OOPS = """<1>[   12.345678] BUG: kernel NULL pointer dereference, address: 0000000000000008
<1>[   12.345700] #PF: supervisor read access in kernel mode
<4>[   12.345800] Oops: 0000 [#1] PREEMPT SMP NOPTI
<4>[   12.345900] CPU: 1 PID: {pid} Comm: modprobe Tainted: G           OE      6.1.0-56-amd64 #1  Debian 6.1.192-2
<4>[   12.346000] RIP: 0010:{func}+0x18/0x1000 [mymod]
<4>[   12.346100] RSP: 0018:ff830ae9005abd00 EFLAGS: 00000246
<4>[   12.346200] Call Trace:
<4>[   12.346300]  <TASK>
<4>[   12.346400]  ? __die+0x20/0x70
<4>[   12.346500]  do_one_initcall+0x{off}/0x220
<4>[   12.346600]  do_init_module+0x4a/0x1f0
<4>[   12.346700]  </TASK>
<4>[   12.346800] Modules linked in: mymod(OE+)
<4>[   12.346900] ---[ end trace 0000000000000000 ]---
"""


def test_signature_ignores_addresses_pids_and_offsets():
    one = analysis.analyse(OOPS.format(pid=100, func="bad_init", off="59"), "Oops")
    two = analysis.analyse(OOPS.replace("0000000000000008", "00000000deadbeef")
                           .format(pid=4242, func="bad_init", off="61"), "Oops")
    other = analysis.analyse(OOPS.format(pid=100, func="worse_init", off="59"), "Oops")
    assert one.signature == two.signature != other.signature
    assert one.function == "bad_init [mymod]"
    assert one.frames == ["do_one_initcall", "do_init_module"]
    assert one.release == "6.1.0-56-amd64" and one.taint == "G OE"
    assert one.comm == "modprobe"
    assert one.title == ("BUG: unable to handle kernel NULL pointer dereference "
                         "in bad_init [mymod]")
    assert one.block.startswith("BUG: kernel NULL") and one.block.endswith("]---")


def test_panic_after_oops_is_about_the_oops():
    lines = OOPS.format(pid=1, func="bad_init", off="1").splitlines(True)
    log = "".join(lines[:-1]) + \
        "<0>[   12.4] Kernel panic - not syncing: Fatal exception\n"
    result = analysis.analyse(log, "Panic")
    assert result.function == "bad_init [mymod]"
    assert result.panic_message == "Fatal exception"
    assert result.failure == "oops"


def test_arm64_and_warning_forms():
    arm = analysis.analyse(
        "[  5.0] Unable to handle kernel paging request at virtual address 0000dead\n"
        "[  5.0] Internal error: Oops: 96000005 [#1] SMP\n"
        "[  5.0] CPU: 0 PID: 1 Comm: sh Not tainted 6.12.1-arm64 #1 SMP Debian\n"
        "[  5.0] pc : crash_me+0x10/0x20 [m]\n"
        "[  5.0] Call trace:\n"
        "[  5.0]  crash_me+0x10/0x20 [m]\n"
        "[  5.0]  el0_svc+0x30/0x80\n", "Oops")
    assert arm.function == "crash_me [m]" and arm.release == "6.12.1-arm64"
    warn = analysis.analyse("<4>[ 1.0] WARNING: CPU: 0 PID: 1 at fs/x.c:12 f+0x1/0x2\n", "Oops")
    assert warn.failure == "warning"


def test_no_marker_still_gives_a_title():
    result = analysis.analyse(b"just text\n", "Shutdown")
    assert result.title and result.signature.startswith("kernel|unrecognised|")


def test_untrusted_release_strings_are_not_taken():
    line = ("<4>[ 1.0] CPU: 0 PID: 1 Comm: x Not tainted 6.1.0-$(reboot)/../x #1\n"
            "<1>[ 1.0] BUG: oops\n")
    assert analysis.analyse(line, "Oops").release is None
    assert analysis.analyse(line.replace("6.1.0-$(reboot)/../x", "6.1.0-56-amd64"),
                            "Oops").release == "6.1.0-56-amd64"


def test_cpu_line_while_a_capture_kernel_is_loaded():
    """With a kdump kernel loaded the CPU line has "Kdump: loaded " before
    the taint (lib/dump_stack.c; samples/kdump-6.1-*): still the release."""
    for line, comm, taint, release in (
            ("CPU: 0 PID: 113 Comm: initmod Kdump: loaded Tainted: G           OE"
             "      6.1.0-56-amd64 #1  Debian 6.1.192-2", "initmod", "G OE",
             "6.1.0-56-amd64"),
            ("CPU: 0 UID: 0 PID: 1 Comm: sh Kdump: loaded Not tainted "
             "6.12.117+deb12-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.12.117-1~bpo12+1",
             "sh", None, "6.12.117+deb12-amd64")):
        result = analysis.analyse("<1>[ 1.0] BUG: oops\n<4>[ 1.0] %s\n" % line, "Oops")
        assert (result.comm, result.taint, result.release) == (comm, taint, release)
