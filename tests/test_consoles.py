"""Console rescue on real Android and embedded consoles (tests/data/consoles,
sources in its NOTICE): each one whose boot ended in a panic or an oops
becomes a report whose Title names it, whatever vendor prefix its lines
carry; the others become none.  (The two HiSilicon files are dmesg-ramoops
dumps, collected as such.)  Consoles over max_record_bytes are read
from their newest end, and the report says so.

The labels below were written by reading each log, not from the code."""

import os
import re

import pytest

from harvester import cli, sources
from tests import apport_format

DATA = os.path.join(os.path.dirname(__file__), "data", "consoles")

# file: (prefix form, how the boot ended, phrases of which the Title must
# hold one: the oops kind or the panic message, numbers left out)
ENDED_IN_A_CRASH = {
    "samsung-exynos9611.last_kmsg": (
        "samsung", "panic", ["Attempted to kill init task group"]),
    "mediatek-mt6853.console-ramoops": (
        "mediatek -(6)[1019:mtk_agpsd]", "oops in mtk_agpsd",
        ["Unable to handle kernel NULL pointer dereference"]),
    "mediatek-mt6769.last_kmsg": (
        "mediatek (6)[1:init]", "oops in init (third boot in the file)",
        ["Unable to handle kernel NULL pointer dereference"]),
    "meizu-sm8550.console-ramoops-0": (
        "[7:1:init]", "panic", ["Attempted to kill init!"]),
    "gki-mediatek-oplus.console-ramoops-0": (
        "[ T1222]", "oops, other tasks' lines interleaved",
        ["Unable to handle kernel paging request"]),
    "gki-qualcomm.console-ramoops-0": (
        "[    C1]", "panic", ["kernel stack overflow"]),
    "qualcomm-sm7150-kernelsu.console-ramoops-0": (
        "plain", "oops, then panic", ["undefined instruction",
                                      "Attempted to kill init!"]),
    "xiaomi-sm7150.console-ramoops-0": (
        "plain", "RCU stall, then watchdog panic",
        ["Failed to cause a watchdog bite", "detected stall"]),
    "xiaomi-apq8064.last_kmsg": (
        "plain, arm32", "panic", ["VFS: Unable to mount root fs"]),
    "samsung-sm7125-serror.last_kmsg": (
        "samsung I[7:swapper/0:1], interrupt context", "panic",
        ["Asynchronous SError Interrupt"]),
    "samsung-sm7125.last_kmsg": (
        "samsung [1:proxy-server-po:20809]", "oops, then panic",
        ["Unable to handle kernel NULL pointer dereference",
         "Fatal exception"]),
    "mediatek-mt6765-bitrot.console-ramoops-0": (
        "mediatek -(0)[0:swapper/0], bit rot", "oops: BUG() in the "
        "Hard Reset key hook", ["Oops - BUG", "kernel BUG"]),
    "samsung-bitrot.console-ramoops-0": (
        "samsung, bit rot", "oops in provider@4.0-se",
        ["Unable to handle kernel NULL pointer dereference"]),
    # Two pstore dumps (the kernel's own record of the panic, kept under
    # their name) of one bug on a HiSilicon Kirin 990 laptop: lshw-bak
    # opening a framebuffer faults in mutex_lock, then "Fatal exception".
    "hisilicon-kirin990.dmesg-ramoops-0": (
        "hisilicon [pid:6550,cpu6,lshw-bak,9]", "oops, then panic",
        ["Unable to handle kernel paging request"]),
    "hisilicon-kirin990-2.dmesg-ramoops-0": (
        "hisilicon [pid:13760,cpu7,lshw-bak,6]", "oops, then panic",
        ["Unable to handle kernel paging request"]),
}
# Boots that went on (or rebooted on purpose): no report.
ENDED_WITHOUT_A_CRASH = {
    "samsung-exynos990.last_kmsg": "samsung; WARNING splats only",
    "qualcomm-oplus-bitrot.console-ramoops-0": "qualcomm (6)[422:kworker/6:3], bit rot",
    "hisilicon-kirin.console-ramoops": "hisilicon; reboot into recovery",
    "hisilicon-kirin-2.console-ramoops": "hisilicon; reboot into recovery",
    "ubports-mako.last_kmsg": "plain; BUG: using smp_processor_id() splats",
}


def test_every_fixture_is_labelled_and_noticed():
    names = set(os.listdir(DATA)) - {"NOTICE"}
    assert names == set(ENDED_IN_A_CRASH) | set(ENDED_WITHOUT_A_CRASH)
    assert len(names) >= 15
    with open(os.path.join(DATA, "NOTICE")) as f:
        notice = f.read()
    assert all("\n%s | " % name in notice for name in names)


def rescue(tmp_path, data, config="", record="console-ramoops-0"):
    """``data`` as ``record``, alone in a pstore directory, through
    --collect; the reports' fields."""
    pstore = tmp_path / "pstore"
    pstore.mkdir()
    (pstore / record).write_bytes(data)
    conf = tmp_path / "config.yaml"
    conf.write_text("require_pstore_mount: false\n" + config)
    out = tmp_path / "crash"
    out.mkdir()
    rc = cli.main(["--collect", "--config", str(conf),
                   "--source", "pstore:%s" % pstore, "--output-dir", str(out),
                   "--state-dir", str(tmp_path / "state")])
    assert rc == 0
    return [apport_format.load((out / n).read_bytes())[0]
            for n in sorted(os.listdir(out)) if n.endswith(".crash")]


def _squash(text):
    return re.sub(r"\s+", " ", text).lower()


def read(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


def collect(tmp_path, name):
    """A fixture through --collect under its pstore name: a dump record
    as itself, anything else as console-ramoops-0."""
    record = name.rsplit(".", 1)[1]
    if not record.startswith("dmesg-"):
        record = "console-ramoops-0"
    return rescue(tmp_path, read(name), record=record)


@pytest.mark.parametrize("name", sorted(ENDED_IN_A_CRASH))
def test_a_console_that_ended_in_a_crash_is_reported(tmp_path, name):
    _, ended, _ = ENDED_IN_A_CRASH[name]
    (fields,) = collect(tmp_path, name)
    assert fields["Failure"] == ("panic" if "panic" in ended else "oops")


@pytest.mark.parametrize("name", sorted(ENDED_IN_A_CRASH))
def test_its_report_is_titled_by_the_crash(tmp_path, name):
    _, _, phrases = ENDED_IN_A_CRASH[name]
    (fields,) = collect(tmp_path, name)
    title = _squash(fields["Title"])
    assert any(_squash(p) in title for p in phrases), fields["Title"]


@pytest.mark.parametrize("name", sorted(ENDED_WITHOUT_A_CRASH))
def test_a_console_whose_boot_went_on_is_not_reported(tmp_path, name):
    assert rescue(tmp_path, read(name)) == []


def test_two_dumps_of_one_bug_share_a_signature(tmp_path):
    """Both HiSilicon dumps are lshw-bak faulting in mutex_lock called from
    fb_open (different boots, pids, CPUs, addresses and kernel builds)."""
    (tmp_path / "1").mkdir()
    (tmp_path / "2").mkdir()
    first, = collect(tmp_path / "1", "hisilicon-kirin990.dmesg-ramoops-0")
    second, = collect(tmp_path / "2", "hisilicon-kirin990-2.dmesg-ramoops-0")
    assert first["DuplicateSignature"] == second["DuplicateSignature"]
    assert "fb_open" in first["Title"]


def test_a_rotten_vendor_prefix_is_not_part_of_the_oops(tmp_path):
    """samsung-bitrot's oops line reads "Y3^Zprovider@4.0-se: 1806] Unable
    to handle kernel NULL pointer dereference ..." ("[" and ":" each one
    bit off): the report's oops text starts with the oops itself."""
    (fields,) = rescue(tmp_path, read("samsung-bitrot.console-ramoops-0"))
    assert fields["OopsText"].startswith(
        "Unable to handle kernel NULL pointer dereference at virtual "
        "address 000000000 000008\nLem abort info:\n")

def test_a_console_over_the_cap_is_read_from_its_newest_end(tmp_path):
    """1.4 MB, over the 1 MiB default: the oops near its end is reported
    and the report says what was left out."""
    data = read("gki-mediatek-oplus.console-ramoops-0")
    assert len(data) > 1 << 20
    (fields,) = rescue(tmp_path, data)
    assert fields["Failure"] == "oops"
    assert "Unable to handle kernel paging request" in fields["KernelLog"]
    kept = 1 << 20
    kept -= data[-kept:].index(b"\n") + 1      # from its first whole line
    assert "console-ramoops-0 holds %d bytes; only its newest %d are kept " \
        "(max_record_bytes)" % (len(data), kept) in fields["PstoreProblems"]
    assert fields["KernelLog"].rstrip("\n").endswith(
        data.splitlines()[-1].decode())


def test_the_cap_is_the_configured_one(tmp_path):
    data = read("meizu-sm8550.console-ramoops-0")   # panic 17616 bytes from the end
    (fields,) = rescue(tmp_path, data, "max_record_bytes: 32768\n")
    assert "Attempted to kill init!" in fields["Title"]
    assert "holds %d bytes" % len(data) in fields["PstoreProblems"]
    assert len(fields["KernelLog"].encode()) <= 32768


def test_a_ramoops_console_over_the_cap_keeps_its_newest_end(tmp_path):
    """In a raw image the console is a ring: its newest end is the end of
    the unwrapped text, which is what is kept."""
    from tests.kernelbuild import Ramoops
    data = read("meizu-sm8550.console-ramoops-0")
    built = Ramoops(0x40000, record_size=0x4000, console_size=0x10000)
    for start in range(0, len(data), 30000):   # 100 KB through a 64 KiB ring
        built.console.write(data[start:start + 30000])
    assert built.console.start != 0        # it wrapped
    image = tmp_path / "region.bin"
    image.write_bytes(bytes(built.image))
    conf = tmp_path / "config.yaml"
    conf.write_text("max_record_bytes: 32768\n")
    out = tmp_path / "crash"
    out.mkdir()
    assert cli.main(["--collect", "--config", str(conf), "--source",
                     "ramoops:%s" % image, "--output-dir", str(out),
                     "--state-dir", str(tmp_path / "state")]) == 0
    (name,) = [n for n in os.listdir(out) if n.endswith(".crash")]
    fields = apport_format.load((out / name).read_bytes())[0]
    assert "Attempted to kill init!" in fields["Title"]
    assert "console-ramoops-0 holds %d bytes" % built.console.buffer_size \
        in fields["PstoreProblems"]
    assert fields["KernelLog"].rstrip("\n").endswith(
        data.splitlines()[-1].decode())
    assert len(fields["KernelLog"].encode()) <= 32768


# --- the capped read itself ---------------------------------------------

def test_tail_read_starts_at_a_line_and_stays_under_the_cap(tmp_path):
    folder = tmp_path / "pstore"
    folder.mkdir()
    lines = b"".join(b"[%12.6f] line %d\n" % (i / 1000, i) for i in range(100000))
    (folder / "console-ramoops-0").write_bytes(lines)
    (folder / "dmesg-ramoops-0").write_bytes(lines)
    cut = {}
    files, problems, unreadable = sources.read_dir(
        str(folder), cap=1 << 16, tail=lambda n: n.startswith("console-"),
        cut=cut)
    data = files["console-ramoops-0"][0]
    assert len(data) <= 1 << 16 and lines.endswith(data)
    assert lines[len(lines) - len(data) - 1:][:1] == b"\n"
    assert cut == {"console-ramoops-0": len(lines)}
    assert unreadable == ["dmesg-ramoops-0"] and "cap" in problems[0]


def test_tail_read_still_refuses_links_and_fifos(tmp_path):
    secret = tmp_path / "secret"
    secret.write_bytes(b"root's secret\n" * 200000)
    folder = tmp_path / "pstore"
    folder.mkdir()
    os.symlink(secret, folder / "console-ramoops-0")
    os.mkfifo(folder / "console-ramoops-1")
    files, problems, unreadable = sources.read_dir(
        str(folder), cap=1 << 16, tail=lambda n: True, cut={})
    assert files == {} and len(problems) == 2
    assert sorted(unreadable) == ["console-ramoops-0", "console-ramoops-1"]
