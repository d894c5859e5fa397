"""The kdump source (issue 17): kdump's crash directories become one
KernelCrash report per crash, kdump's files stay exactly as they were,
re-runs add nothing, the crash pstore and kdump both hold is one report,
and bad input gets a clear message within the caps.

Ground truth: the public fixtures' labels (tests/data/kdump/NOTICE, read
from each log before any run), the QEMU samples' serial consoles
(samples/README.md, kdump section), and each directory's name (its Date,
computed here with time.strptime, not by the code under test).
"""

import hashlib
import json
import os
import re
import shutil
import stat
import sys
import time

import pytest

from harvester import cli
from harvester.sources import kdump as kdump_source
from harvester.sources import makedumpfile
from parsers import kdump
from tests.apport_format import load as load_report

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
FIXTURES = os.path.join(HERE, "data", "kdump")
SAMPLES = os.path.join(TOP, "samples")
IS_ROOT = os.geteuid() == 0

# (directory with crash directories, label: what Title must say)
CASES = [
    (os.path.join(FIXTURES, "ubuntu"), "kernel panic: sysrq triggered crash"),
    (os.path.join(FIXTURES, "rhel"),
     "BUG: unable to handle kernel paging request in source_load"),
    (os.path.join(SAMPLES, "kdump-6.1-debian", "var", "crash"),
     "kernel panic: sysrq triggered crash"),
    (os.path.join(SAMPLES, "kdump-6.1-fedora-layout", "var", "crash"),
     "BUG: unable to handle kernel NULL pointer dereference in "
     "oops_harvest_init [oops1]"),
]


def tree(path):
    """Every file and directory under ``path``: mode, owner, size, mtime
    and content hash (kdump's files must come out byte-identical)."""
    found = {}
    for folder, dirs, files in os.walk(path):
        for name in dirs + files:
            full = os.path.join(folder, name)
            st = os.lstat(full)
            digest = None
            if stat.S_ISREG(st.st_mode):
                with open(full, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
            found[os.path.relpath(full, path)] = (
                st.st_mode, st.st_uid, st.st_size, st.st_mtime_ns, digest)
    return found


def copy_crashes(src, dst):
    shutil.copytree(src, dst, symlinks=True)
    for folder, dirs, _ in os.walk(dst):
        for name in dirs:
            os.chmod(os.path.join(folder, name), 0o755)
    os.chmod(dst, 0o755)
    return dst


def collect(tmp, *specs, config=None):
    args = ["--collect", "--output-dir", str(tmp / "out"),
            "--state-dir", str(tmp / "state")]
    for spec in specs:
        args += ["--source", spec]
    if config:
        path = tmp / "config.yaml"
        path.write_text(config)
        args += ["--config", str(path)]
    return cli.main(args)


def reports(tmp):
    out = tmp / "out"
    if not out.is_dir():
        return {}
    found = {}
    for name in sorted(os.listdir(out)):
        if name.endswith(".crash"):
            with open(out / name, "rb") as f:
                found[name] = load_report(f.read())[0]
    return found


def stamp_date(name):
    """apport's Date for a directory name, read with strptime."""
    for form, text in (("%Y%m%d%H%M", name[-12:]),
                       ("%Y-%m-%d-%H:%M:%S", name[-19:])):
        try:
            return time.asctime(time.strptime(text, form))
        except ValueError:
            continue
    raise AssertionError(name)


# --- the real directories ----------------------------------------------------

@pytest.mark.parametrize("src,label", CASES,
                         ids=["ubuntu", "rhel", "qemu-debian", "qemu-fedora"])
def test_one_report_per_crash_and_kdumps_files_untouched(tmp_path, src, label,
                                                          capsys):
    crash = copy_crashes(src, str(tmp_path / "crash"))
    before = tree(crash)
    assert collect(tmp_path, "kdump:" + crash) == 0
    found = reports(tmp_path)
    assert len(found) == 1
    (name, fields), = found.items()
    st = os.stat(tmp_path / "out" / name)
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == os.geteuid()
    assert fields["ProblemType"] == "KernelCrash"
    assert fields["Title"] == label
    directory, = os.listdir(crash)
    assert fields["Date"] == stamp_date(directory)
    assert directory in fields["DateSource"]
    assert fields["KdumpDir"] == os.path.join(crash, directory)
    dump = [n for n in os.listdir(os.path.join(crash, directory))
            if n.startswith(("dump.", "vmcore"))
            and not n.startswith("vmcore-dmesg")][0]
    assert fields["VmCoreSize"] == str(os.path.getsize(
        os.path.join(crash, directory, dump)))
    log = [n for n in os.listdir(os.path.join(crash, directory))
           if n.startswith("dmesg.") or n == "vmcore-dmesg.txt"][0]
    with open(os.path.join(crash, directory, log), "rb") as f:
        text = f.read().decode()
    assert fields["VmCoreDmesg"] == text.rstrip("\n") or \
        fields["VmCoreDmesg"] == text
    assert "KernelLog" not in fields and "PstoreRecord1" not in fields
    for _ in range(3):
        assert collect(tmp_path, "kdump:" + crash) == 0
        assert reports(tmp_path).keys() == found.keys()
    assert tree(crash) == before
    capsys.readouterr()


def test_a_kdump_tools_crash_is_named_as_apport_names_it(tmp_path):
    crash = copy_crashes(os.path.join(FIXTURES, "ubuntu"),
                         str(tmp_path / "crash"))
    assert collect(tmp_path, "kdump:" + crash) == 0
    assert list(reports(tmp_path)) == [
        "linux-image-%s-202511011541.crash" % os.uname().release]


def test_list_and_show_name_the_directory(tmp_path, capsys):
    crash = copy_crashes(os.path.join(FIXTURES, "rhel"),
                         str(tmp_path / "crash"))
    assert cli.main(["--list", "--source", "kdump:" + crash]) == 0
    out = capsys.readouterr().out
    assert "127.0.0.1-2015-03-27-08:50:24/vmcore-dmesg.txt" in out
    assert "source_load" in out
    assert cli.main(["--list", "--json", "--source", "kdump:" + crash]) == 0
    row, = json.loads(capsys.readouterr().out)
    assert row["source"] == "kdump:" + crash
    assert row["kdump"]["directory"] == os.path.join(
        crash, "127.0.0.1-2015-03-27-08:50:24")
    assert row["kdump"]["log"].endswith("/vmcore-dmesg.txt")
    assert row["kdump"]["dump"]["size"] == 0 and row["kdump"]["dump"]["complete"]
    assert {f["name"] for f in row["kdump"]["files"]} == {
        "vmcore", "vmcore-dmesg.txt"}


def test_show_prints_the_dmesg(tmp_path, capfdbinary):
    crash = copy_crashes(os.path.join(FIXTURES, "rhel"),
                         str(tmp_path / "crash"))
    rid = "127.0.0.1-2015-03-27-08:50:24/vmcore-dmesg.txt"
    assert cli.main(["--show", rid, "--source", "kdump:" + crash]) == 0
    with open(os.path.join(crash, rid), "rb") as f:
        assert capfdbinary.readouterr().out == f.read()


# --- the crash in both pstore and kdump --------------------------------------

def test_the_crash_pstore_and_kdump_both_hold_is_one_report(tmp_path):
    sample = os.path.join(SAMPLES, "kdump-6.1-ramoops-post-notifiers")
    crash = copy_crashes(os.path.join(sample, "var", "crash"),
                         str(tmp_path / "crash"))
    pstore = str(tmp_path / "pstore")
    shutil.copytree(os.path.join(sample, "pstore"), pstore)
    before = tree(crash)
    specs = ("pstore:" + pstore, "kdump:" + crash)
    assert collect(tmp_path, *specs) == 0
    found = reports(tmp_path)
    # Oops#1 (survived, earlier) and the panic: two crashes, two reports.
    assert len(found) == 2
    panics = [f for f in found.values()
              if "sysrq triggered crash" in f["Title"]]
    assert len(panics) == 1
    panic, = panics
    assert panic["ProblemType"] == "KernelCrash"
    assert panic["PstoreRecords"].startswith("dmesg-ramoops-1 ")
    assert "PstoreRecord1" in panic and "PstoreRecord2" not in panic
    assert "Kernel panic - not syncing: sysrq triggered crash" in \
        panic["VmCoreDmesg"]
    assert "Kernel panic - not syncing: sysrq triggered crash" in \
        panic["KernelLog"]
    oops, = [f for f in found.values() if f is not panic]
    assert oops["ProblemType"] == "KernelOops"
    assert "oops_harvest_init" in oops["Title"]
    for _ in range(3):
        assert collect(tmp_path, *specs) == 0
        assert reports(tmp_path).keys() == found.keys()
    assert tree(crash) == before


def test_a_pstore_dump_of_another_boot_is_not_joined(tmp_path):
    """The same panic text at another timestamp is another crash."""
    sample = os.path.join(SAMPLES, "kdump-6.1-ramoops-post-notifiers")
    crash = copy_crashes(os.path.join(sample, "var", "crash"),
                         str(tmp_path / "crash"))
    pstore = tmp_path / "pstore"
    pstore.mkdir()
    with open(os.path.join(sample, "pstore", "dmesg-ramoops-1"), "rb") as f:
        data = re.sub(rb"\[ *[0-9.]+\] Kernel panic",
                      b"[ 9999.000000] Kernel panic", f.read())
    (pstore / "dmesg-ramoops-1").write_bytes(data)
    assert collect(tmp_path, "pstore:%s" % pstore, "kdump:" + crash) == 0
    assert len(reports(tmp_path)) == 2


# --- names --------------------------------------------------------------------

@pytest.mark.parametrize("name,layout,host,fields", [
    ("202511011541", "kdump-tools", None, (2025, 11, 1, 15, 41, 0)),
    ("192.168.1.7-202402291200", "kdump-tools", "192.168.1.7",
     (2024, 2, 29, 12, 0, 0)),
    ("web-01.example.org-202511011541", "kdump-tools", "web-01.example.org",
     (2025, 11, 1, 15, 41, 0)),
    ("127.0.0.1-2015-03-27-08:50:24", "kdump-utils", "127.0.0.1",
     (2015, 3, 27, 8, 50, 24)),
    ("2020-10-28-02:01", "kdump-utils", None, (2020, 10, 28, 2, 1, 0)),
])
def test_directory_names_of_each_form(name, layout, host, fields):
    stamp = kdump.parse_dir_name(name)
    assert (stamp.layout, stamp.host, stamp.fields) == (layout, host, fields)


@pytest.mark.parametrize("name", [
    "202513011200", "202302291200", "202504311200", "202511012400",
    "202511011260", "127.0.0.1-2015-13-27-08:50:24",
    "127.0.0.1-2015-03-27-08:50:60", "196912312359"])
def test_a_stamp_that_cannot_exist_is_refused(name):
    with pytest.raises(kdump.BadStampError, match="names no real time"):
        kdump.parse_dir_name(name)


@pytest.mark.parametrize("name", [
    "kexec_cmd", "kdump_lock", "20251101154", "2025110115411",
    "linux-image-6.8.0-87-generic-202511011541.crash", "-202511011541",
    "kdump-test-abc", "127.0.0.1-2015-03-27-08:50", "202511011541.old"])
def test_other_names_are_no_crash_directory(name):
    assert kdump.parse_dir_name(name) is None


# --- bad input ----------------------------------------------------------------

def one_crash(tmp_path, files, name="202511011541"):
    crash = tmp_path / "crash"
    (crash / name).mkdir(parents=True)
    os.chmod(crash, 0o755)
    os.chmod(crash / name, 0o755)
    for fname, data in files.items():
        (crash / name / fname).write_bytes(data)
    return str(crash)


def run_and_check(tmp_path, crash, capsys, status=0):
    before = tree(crash)
    assert collect(tmp_path, "kdump:" + crash) == status
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert tree(crash) == before
    return reports(tmp_path), err


@pytest.mark.parametrize("data,says", [
    (b"", "is empty"),
    (bytes(range(256)) * 256, "binary data"),
    (b"\x00" * 4096, "only zero bytes"),
])
def test_a_dmesg_that_is_no_log(tmp_path, capsys, data, says):
    crash = one_crash(tmp_path, {"dmesg.202511011541": data,
                                 "dump.202511011541": b"x" * 10})
    found, _ = run_and_check(tmp_path, crash, capsys)
    (_, fields), = found.items()        # the crash happened: it is reported
    assert says in fields["VmCoreDmesgMissing"]
    assert "VmCoreDmesg" not in fields
    assert fields["Date"] == stamp_date("202511011541")


def test_a_2gib_sparse_dmesg_is_read_from_its_end(tmp_path, capsys):
    crash = one_crash(tmp_path, {})
    with open(os.path.join(crash, "202511011541", "dmesg.202511011541"),
              "wb") as f:
        f.truncate(2 << 30)
    found, _ = run_and_check(tmp_path, crash, capsys)
    (_, fields), = found.items()
    assert "only zero bytes" in fields["VmCoreDmesgMissing"]
    assert "holds 2147483648 bytes; only its newest 1048576" in \
        fields["KdumpProblems"]


def test_a_large_dmesg_keeps_its_newest_end(tmp_path, capsys):
    with open(os.path.join(FIXTURES, "ubuntu", "202511011541",
                           "dmesg.202511011541"), "rb") as f:
        crash_lines = f.read()
    filler = b"".join(b"[    1.%06d] filler line %d\n" % (i % 10**6, i)
                      for i in range(60000))
    crash = one_crash(tmp_path, {"dmesg.202511011541": filler + crash_lines})
    found, _ = run_and_check(tmp_path, crash, capsys)
    (_, fields), = found.items()
    assert fields["Title"] == "kernel panic: sysrq triggered crash"
    assert "only its newest" in fields["KdumpProblems"]


def test_an_unfinished_dump_is_said(tmp_path, capsys):
    with open(os.path.join(FIXTURES, "ubuntu", "202511011541",
                           "dmesg.202511011541"), "rb") as f:
        log = f.read()
    crash = one_crash(tmp_path, {"dmesg.202511011541": log,
                                 "dump-incomplete.gz": b"x" * 123})
    found, _ = run_and_check(tmp_path, crash, capsys)
    (_, fields), = found.items()
    assert fields["Title"] == "kernel panic: sysrq triggered crash"
    assert fields["VmCoreSize"] == "123"
    assert "dump-incomplete.gz was not finished" in fields["KdumpProblems"]


def test_nothing_is_read_in_a_capture_kernel(tmp_path, capsys, monkeypatch):
    crash = copy_crashes(os.path.join(FIXTURES, "ubuntu"),
                         str(tmp_path / "crash"))
    marker = tmp_path / "vmcore"
    marker.write_bytes(b"")
    monkeypatch.setattr(kdump_source, "CAPTURE_KERNEL", str(marker))
    found, err = run_and_check(tmp_path, crash, capsys, status=1)
    assert not found and "this is a capture kernel" in err


def test_a_stamp_that_cannot_exist_is_refused_in_a_run(tmp_path, capsys):
    crash = copy_crashes(os.path.join(FIXTURES, "ubuntu"),
                         str(tmp_path / "crash"))
    os.mkdir(os.path.join(crash, "202513011200"), 0o755)
    found, err = run_and_check(tmp_path, crash, capsys, status=1)
    assert len(found) == 1
    assert "'202513011200' has the form of a kdump-tools crash directory " \
        "but names no real time" in err


def test_100000_stamp_directories(tmp_path, capsys):
    """Newest first, at most MAX_STAMP_DIRS read per run, the rest in later
    runs, each reported once."""
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else str(tmp_path)
    crash = os.path.join(base, "kdump-100k-%d" % os.getpid())
    os.mkdir(crash, 0o755)
    try:
        start = time.mktime((2020, 1, 1, 0, 0, 0, 0, 0, -1))
        names = [time.strftime("%Y%m%d%H%M", time.localtime(start + 60 * i))
                 for i in range(100000)]
        for name in names:
            os.mkdir(os.path.join(crash, name), 0o755)
        config = "max_reports_in_output_dir: 1000\n"
        assert collect(tmp_path, "kdump:" + crash, config=config) == 1
        err = capsys.readouterr().err
        assert "99936 crash directories left for a later run" in err
        first = {f["KdumpDir"] for f in reports(tmp_path).values()}
        assert first == {os.path.join(crash, n) for n in names[-64:]}
        assert all("no log was saved" in f["VmCoreDmesgMissing"]
                   for f in reports(tmp_path).values())
        assert collect(tmp_path, "kdump:" + crash, config=config) == 1
        second = {f["KdumpDir"] for f in reports(tmp_path).values()}
        assert second - first == {os.path.join(crash, n)
                                  for n in names[-128:-64]}
        assert "99872 crash directories left" in capsys.readouterr().err
    finally:
        shutil.rmtree(crash)


def test_a_directory_renamed_before_it_is_opened(tmp_path, capsys,
                                                 monkeypatch):
    crash = copy_crashes(os.path.join(FIXTURES, "ubuntu"),
                         str(tmp_path / "crash"))
    real = kdump_source._crash

    def renamed_first(dfd, name, *args):
        os.rename(os.path.join(crash, name), os.path.join(crash, name + "x"))
        return real(dfd, name, *args)
    monkeypatch.setattr(kdump_source, "_crash", renamed_first)
    assert collect(tmp_path, "kdump:" + crash) == 1
    assert "vanished while being read" in capsys.readouterr().err
    assert not reports(tmp_path)
    os.rename(os.path.join(crash, "202511011541x"),
              os.path.join(crash, "202511011541"))
    monkeypatch.undo()
    assert collect(tmp_path, "kdump:" + crash) == 0
    assert len(reports(tmp_path)) == 1


def test_a_directory_renamed_while_it_is_read(tmp_path, capsys, monkeypatch):
    """Read through its fd, so the crash is reported from what it held;
    moved aside (a name of no form), it is not looked at again."""
    crash = copy_crashes(os.path.join(FIXTURES, "ubuntu"),
                         str(tmp_path / "crash"))
    real = kdump_source._read

    def renamed_meanwhile(sfd, stamp, *args):
        os.rename(os.path.join(crash, stamp.name),
                  os.path.join(crash, stamp.name + ".old"))
        return real(sfd, stamp, *args)
    monkeypatch.setattr(kdump_source, "_read", renamed_meanwhile)
    assert collect(tmp_path, "kdump:" + crash) == 0
    monkeypatch.undo()
    (_, fields), = reports(tmp_path).items()
    assert fields["Title"] == "kernel panic: sysrq triggered crash"
    assert collect(tmp_path, "kdump:" + crash) == 0
    assert len(reports(tmp_path)) == 1


@pytest.mark.skipif(not IS_ROOT, reason="chown needs root")
@pytest.mark.parametrize("plant,says", [
    ("user-owned", "is owned by uid 65534, not by root"),
    ("world-writable", "is writable by group or others (mode 0777)"),
    ("symlink", "is a symlink, not a directory"),
    ("fifo-dmesg", "dmesg.202511011541 is a FIFO; refused, not opened"),
    ("device-dmesg", "dmesg.202511011541 is a character device; refused"),
    ("symlink-dmesg", "dmesg.202511011541 is a symlink; refused"),
])
def test_planted_directories_and_files_are_refused(tmp_path, capsys, plant,
                                                   says):
    crash = tmp_path / "crash"
    crash.mkdir()
    secret = tmp_path / "secret"
    secret.write_bytes(b"[    1.000000] SECRET root-only line\n")
    os.chmod(secret, 0o600)
    stamp = crash / "202511011541"
    if plant == "symlink":
        target = tmp_path / "elsewhere"
        target.mkdir()
        (target / "dmesg.202511011541").write_bytes(secret.read_bytes())
        os.symlink(target, stamp)
    else:
        stamp.mkdir()
        os.chmod(stamp, 0o755)
        dmesg = stamp / "dmesg.202511011541"
        if plant == "user-owned":
            dmesg.write_bytes(secret.read_bytes())
            os.chown(stamp, 65534, 65534)
        elif plant == "world-writable":
            dmesg.write_bytes(secret.read_bytes())
            os.chmod(stamp, 0o777)
        elif plant == "fifo-dmesg":
            os.mkfifo(dmesg)
        elif plant == "device-dmesg":
            os.mknod(dmesg, 0o600 | stat.S_IFCHR, os.makedev(1, 5))
        elif plant == "symlink-dmesg":
            os.symlink(secret, dmesg)
    before = tree(str(crash))
    status = collect(tmp_path, "kdump:%s" % crash)
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
    assert status == 1
    assert tree(str(crash)) == before
    for fields in reports(tmp_path).values():
        assert "SECRET" not in json.dumps(fields)


# --- makedumpfile --------------------------------------------------------------

def fedora_without_log(tmp_path):
    src = os.path.join(SAMPLES, "kdump-6.1-fedora-layout", "var", "crash")
    crash = copy_crashes(src, str(tmp_path / "crash"))
    name, = os.listdir(crash)
    os.unlink(os.path.join(crash, name, "vmcore-dmesg.txt"))
    return crash, name


def fake_tool(tmp_path, script):
    path = tmp_path / "bin" / "makedumpfile"
    path.parent.mkdir()
    os.chmod(path.parent, 0o755)
    path.write_text("#!/bin/sh\n" + script)
    os.chmod(path, 0o755)
    return str(path)


def test_without_makedumpfile_the_report_says_why(tmp_path, capsys,
                                                  monkeypatch):
    crash, _ = fedora_without_log(tmp_path)
    monkeypatch.setattr(makedumpfile, "PATHS", (str(tmp_path / "none"),))
    found, _ = run_and_check(tmp_path, crash, capsys)
    (_, fields), = found.items()
    assert "makedumpfile is not installed" in fields["VmCoreDmesgMissing"]
    assert fields["VmCoreSize"] == "8192"


@pytest.mark.skipif(makedumpfile.tool() is None,
                    reason="makedumpfile is not installed")
def test_real_makedumpfile_on_a_cut_dump_says_it_failed(tmp_path, capsys):
    crash, _ = fedora_without_log(tmp_path)
    found, _ = run_and_check(tmp_path, crash, capsys)
    (_, fields), = found.items()
    assert "makedumpfile --dump-dmesg failed (exit status 1)" in \
        fields["VmCoreDmesgMissing"]


@pytest.mark.skipif(not IS_ROOT, reason="the tool must be root's")
def test_the_helper_gets_the_dump_an_fd_a_clean_environment_and_limits(
        tmp_path, capsys, monkeypatch):
    """A stand-in at the tool's path: the log it writes is the dump's
    content (read through the fd we pass) followed by what it was given."""
    crash, name = fedora_without_log(tmp_path)
    with open(os.path.join(FIXTURES, "ubuntu", "202511011541",
                           "dmesg.202511011541"), "rb") as f:
        log = f.read()
    with open(os.path.join(crash, name, "vmcore"), "wb") as f:
        f.write(log)
    monkeypatch.setenv("OOPS_HARVEST_SECRET", "leak")
    tool = fake_tool(tmp_path, 'out="$4"\n{ cat "$3"\n'
                     '  echo "[    9.000000] ARGS $1 $2"\n'
                     '  env | sed "s/^/[    9.000000] ENV /"\n'
                     '  echo "[    9.000000] ULIMIT-V $(ulimit -v)"\n'
                     '} > "$out"\n')
    monkeypatch.setattr(makedumpfile, "PATHS", (tool,))
    found, _ = run_and_check(tmp_path, crash, capsys)
    (_, fields), = found.items()
    text = fields["VmCoreDmesg"]
    assert fields["Title"] == "kernel panic: sysrq triggered crash"
    assert "ARGS --dump-dmesg --" in text
    env = {line.split(" ENV ", 1)[1].split("=", 1)[0]
           for line in text.splitlines() if " ENV " in line}
    assert "OOPS_HARVEST_SECRET" not in env and "HOME" not in env
    assert {"PATH", "LC_ALL"} <= env
    assert "ULIMIT-V %d" % (makedumpfile.MEMORY_LIMIT // 1024) in text
    assert "log extracted from vmcore by makedumpfile" in \
        fields["KdumpProblems"]


@pytest.mark.skipif(not IS_ROOT, reason="the tool must be root's")
def test_a_helper_that_hangs_is_stopped(tmp_path, capsys, monkeypatch):
    crash, _ = fedora_without_log(tmp_path)
    monkeypatch.setattr(makedumpfile, "PATHS",
                        (fake_tool(tmp_path, "exec sleep 60\n"),))
    monkeypatch.setattr(makedumpfile, "TIME_LIMIT", 1)
    found, _ = run_and_check(tmp_path, crash, capsys)
    (_, fields), = found.items()
    assert "did not finish in 1 s" in fields["VmCoreDmesgMissing"]


@pytest.mark.skipif(not IS_ROOT, reason="the tool must be root's")
def test_a_tool_others_can_write_is_not_run(tmp_path, capsys, monkeypatch):
    crash, _ = fedora_without_log(tmp_path)
    tool = fake_tool(tmp_path, "touch %s\n" % (tmp_path / "ran"))
    os.chmod(tool, 0o777)
    monkeypatch.setattr(makedumpfile, "PATHS", (tool,))
    found, _ = run_and_check(tmp_path, crash, capsys)
    assert not (tmp_path / "ran").exists()
    (_, fields), = found.items()
    assert "makedumpfile is not installed" in fields["VmCoreDmesgMissing"]


def test_a_compressed_dump_is_not_unpacked(tmp_path, capsys):
    crash = one_crash(tmp_path, {"dump.202511011541.xz": b"\xfd7zXZ\0"})
    found, _ = run_and_check(tmp_path, crash, capsys)
    (_, fields), = found.items()
    assert "compressed with xz" in fields["VmCoreDmesgMissing"]


# --- ProcVersionSignature ------------------------------------------------------

def test_proc_version_signature_from_an_ubuntu_banner():
    from harvester.package import version_signature
    # The banner quoted in docs/kdump-facts.md, section 6.
    banner = (b"[    0.000000] Linux version 5.19.0-43-generic (buildd@lcy02-"
              b"amd64-028) (x86_64-linux-gnu-gcc (Ubuntu 11.3.0-1ubuntu1~22.04"
              b".1) 11.3.0, GNU ld (GNU Binutils for Ubuntu) 2.38) #44~22.04.1-"
              b"Ubuntu SMP PREEMPT_DYNAMIC Mon May 22 13:39:36 UTC 2 (Ubuntu "
              b"5.19.0-43.44~22.04.1-generic 5.19.17)\n")
    assert version_signature(banner, "5.19.0-43-generic", "#44~22.04.1-Ubuntu") \
        == "Ubuntu 5.19.0-43.44~22.04.1-generic 5.19.17"


def test_proc_version_signature_from_the_build_string_only(tmp_path, capsys):
    crash = copy_crashes(os.path.join(FIXTURES, "ubuntu"),
                         str(tmp_path / "crash"))
    assert collect(tmp_path, "kdump:" + crash) == 0
    (_, fields), = reports(tmp_path).items()
    # 6.8.0-87-generic #88-Ubuntu: the upstream version is not in the log.
    assert fields["ProcVersionSignature"] == "Ubuntu 6.8.0-87.88-generic"


def test_no_proc_version_signature_for_other_kernels(tmp_path):
    crash = copy_crashes(os.path.join(SAMPLES, "kdump-6.1-debian", "var",
                                      "crash"), str(tmp_path / "crash"))
    assert collect(tmp_path, "kdump:" + crash) == 0
    (_, fields), = reports(tmp_path).items()
    assert "ProcVersionSignature" not in fields
