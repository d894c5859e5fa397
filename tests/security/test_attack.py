"""Regression tests for the independent attack on --collect and --list
(issue 13): one test (or more) per confirmed finding, each reproducing the
attack as the issue describes it.  The setup is the issue's: a copy of a
pstore tree as ``--source pstore:SRC``, an output directory of mode 1777
and ``require_pstore_mount: false``."""

import os
import shutil

import pytest

from tests.security.helpers import (SAMPLES, Env, complete_reports,
                                    load_report, our_reports, quiet_child)

BASIC = os.path.join(SAMPLES, "ramoops-6.1-basic", "pstore")
SHUTDOWN = os.path.join(SAMPLES, "ramoops-6.1-shutdown", "pstore")


def pstore_env(tmp_path, files, name="env"):
    """An Env whose pstore copy holds ``files``: {name: bytes or a sample
    path}; later names get later mtimes (a minute apart)."""
    env = Env(tmp_path / name, "pstore")
    shutil.rmtree(env.src)
    os.makedirs(env.src)
    when = 1_700_000_000
    for index, (fname, data) in enumerate(files.items()):
        path = os.path.join(env.src, fname)
        if isinstance(data, str):
            shutil.copyfile(data, path)
        else:
            with open(path, "wb") as f:
                f.write(data)
        os.utime(path, (when + 300 * index, when + 300 * index))
    return env


def saved_anywhere(env, needle):
    """Is ``needle`` in a complete report (any field, attachments
    decoded) or in a file of the state directory (archives)?"""
    for fields in complete_reports(env).values():
        for value in fields.values():
            data = value if isinstance(value, bytes) else value.encode()
            if needle in data:
                return True
    for name in os.listdir(env.state):
        with open(os.path.join(env.state, name), "rb") as f:
            if needle in f.read():
                return True
    return False


# --- 1: records attached to an archived (Shutdown) dump ----------------------

def test_f1_console_and_pmsg_of_an_archived_shutdown_dump_are_kept(tmp_path):
    console = b"console text 7f3a unique to this boot\n"
    pmsg = b"pmsg text 91bc unique to this boot\n"
    env = pstore_env(tmp_path, {
        "dmesg-ramoops-0": os.path.join(BASIC, "dmesg-ramoops-0"),
        "dmesg-ramoops-1": os.path.join(SHUTDOWN, "dmesg-ramoops-0"),
        "console-ramoops-0": console, "pmsg-ramoops-0": pmsg})
    assert env.collect() == 0
    assert env.source_files() == []            # everything was cleared...
    assert saved_anywhere(env, console)        # ...so it must be saved
    assert saved_anywhere(env, pmsg)


def killed_at(env, method):
    """Run --collect in a child that dies (like SIGKILL: no cleanup) when
    ``State.<method>`` is first called, i.e. after the side effects before
    it.  Returns the child's exit status (137 if it died there)."""
    from harvester import state

    def body():
        def die(*args, **kwargs):
            os._exit(137)
        setattr(state.State, method, die)
        return env.collect()
    _, status = os.waitpid(quiet_child(body), 0)
    return os.WEXITSTATUS(status)


# --- 2: recovery must compare the record set -------------------------------------

def test_f2_recovery_after_a_reboot_reports_the_new_console(tmp_path):
    old, new = b"console of boot 1, 5d1e\n", b"console of boot 2, 0a4c\n"
    env = pstore_env(tmp_path, {
        "dmesg-ramoops-0": os.path.join(BASIC, "dmesg-ramoops-0"),
        "console-ramoops-0": old})
    assert killed_at(env, "mark_done") == 137   # after link(), before the state
    (first,) = our_reports(env.out)
    with open(os.path.join(env.src, "console-ramoops-0"), "wb") as f:
        f.write(new)                             # the reboot's console
    assert env.collect() == 0
    assert env.source_files() == []
    assert saved_anywhere(env, new)              # not cleared unsaved
    assert first in our_reports(env.out)         # the pending one stays as is
    assert saved_anywhere(env, old)


def test_f2_recovery_with_the_same_records_writes_no_second_report(tmp_path):
    env = pstore_env(tmp_path, {
        "dmesg-ramoops-0": os.path.join(BASIC, "dmesg-ramoops-0"),
        "console-ramoops-0": b"console 77\n"})
    assert killed_at(env, "mark_done") == 137
    before = our_reports(env.out)
    assert env.collect() == 0
    assert our_reports(env.out) == before and env.source_files() == []


# --- 8: hard links to our reports ----------------------------------------------

def all_crash_files_we_own(out):
    """Every .crash name that is a regular file of ours, whatever its link
    count (a foreign hard link must not hide a report from the test)."""
    import stat as st_mod
    names = []
    for name in os.listdir(out):
        st = os.lstat(os.path.join(out, name))
        if name.endswith(".crash") and st_mod.S_ISREG(st.st_mode) \
                and st.st_uid == os.geteuid():
            names.append(name)
    return sorted(names)


def test_f8_a_hard_link_to_our_report_does_not_hide_it_from_the_cap(tmp_path):
    """With fs.protected_hardlinks=0 any user can link our reports; the
    link count of a report must not decide whether it counts."""
    env = Env(tmp_path / "env", "pstore")            # two dumps
    env.write_config("max_reports_in_output_dir: 1\n")
    assert env.collect() == 1                        # the cap: one written
    (report,) = all_crash_files_we_own(env.out)
    os.link(os.path.join(env.out, report), os.path.join(env.out, "planted"))
    assert env.collect() == 1
    assert all_crash_files_we_own(env.out) == [report]


def test_f8_hard_links_made_during_the_run_do_not_lift_the_cap(
        tmp_path, monkeypatch):
    """The issue's attacker links every name we create as soon as it
    appears (inotify); here each link() of ours is followed by one more."""
    env = Env(tmp_path / "env", "pstore")            # two dumps
    env.write_config("max_reports_in_output_dir: 1\n")
    real_link = os.link

    def link_then_plant(src, dst, *args, **kwargs):
        real_link(src, dst, *args, **kwargs)
        real_link(src, dst + ".planted", *args, **kwargs)
    monkeypatch.setattr(os, "link", link_then_plant)
    assert env.collect() == 1
    monkeypatch.undo()
    assert len(all_crash_files_we_own(env.out)) == 1


def test_f8_recovery_accepts_our_report_with_a_foreign_hard_link(tmp_path):
    env = Env(tmp_path / "env", "pstore")
    assert killed_at(env, "mark_done") == 137
    # A run links every report of its batch before marking any done.
    report = all_crash_files_we_own(env.out)[0]
    os.link(os.path.join(env.out, report), os.path.join(env.out, "planted"))
    assert env.collect() == 0
    events = [f["PstoreEvent"] for f in
              (load_report(os.path.join(env.out, n))[0]
               for n in all_crash_files_we_own(env.out))]
    assert len(events) == 2 and len(set(events)) == 2   # no duplicate


# --- 9: ENOSPC on the state file system -----------------------------------------

def test_f9_enospc_saving_the_state_leaves_no_temp_and_says_state(
        tmp_path, monkeypatch, capsys):
    import errno
    env = Env(tmp_path / "env", "pstore")
    n_files = len(env.source_files())
    real_write = os.write

    def full_state_fs(fd, data):
        target = os.readlink("/proc/self/fd/%d" % fd)
        if os.path.basename(target).startswith(".state.json."):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)
    from harvester import collector, log
    monkeypatch.setattr(collector, "Logger",
                        lambda: log.Logger(use_journal=False))
    monkeypatch.setattr(os, "write", full_state_fs)
    assert env.collect() == 1
    monkeypatch.setattr(os, "write", real_write)
    assert [n for n in os.listdir(env.state) if n.endswith(".tmp")] == []
    err = capsys.readouterr().err
    assert "state" in err and "cannot write report" not in err, err
    assert len(env.source_files()) == n_files
    assert env.collect() == 0 and len(our_reports(env.out)) == 2


# --- 7: files planted in the output directory cost nothing ------------------------

def test_f7_output_directory_is_never_listed_and_stat_is_bounded(
        tmp_path, monkeypatch):
    """300,000 files planted by `nobody` added 8.6 s and 81 MiB per event:
    the directory was listed and every name stat'ed for each event.  Now no
    listing at all, and a number of stat calls that does not grow with the
    files planted (a million would otherwise break MemoryMax=256M)."""
    calls = {}
    for planted in (0, 3000):
        env = Env(tmp_path / ("env%d" % planted), "pstore")   # two events
        for i in range(planted):
            open(os.path.join(env.out, "linux-image-9.%d.crash" % i),
                 "wb").close()
        out_ino = os.stat(env.out).st_ino
        listed, stats = [], [0]
        real_listdir, real_scandir, real_stat = os.listdir, os.scandir, os.stat

        def is_out(path):
            try:
                return real_stat(path).st_ino == out_ino
            except (OSError, TypeError):
                return False

        def listdir(path="."):
            listed.append(is_out(path))
            return real_listdir(path)

        def scandir(path="."):
            listed.append(is_out(path))
            return real_scandir(path)

        def counting_stat(path, *args, **kwargs):
            stats[0] += 1
            return real_stat(path, *args, **kwargs)
        monkeypatch.setattr(os, "listdir", listdir)
        monkeypatch.setattr(os, "scandir", scandir)
        monkeypatch.setattr(os, "stat", counting_stat)
        assert env.collect() == 0
        monkeypatch.undo()
        assert not any(listed)
        assert len([n for n in our_reports(env.out)
                    if n.startswith("linux-image-6.")]) == 2
        calls[planted] = stats[0]
    assert calls[3000] == calls[0] < 100, calls


# --- 3: max_report_bytes holds for every field ------------------------------------

def test_f3_a_huge_panic_line_keeps_the_report_and_memory_bounded(tmp_path):
    """A 4 KB dmesg-ramoops-0.enc.z whose panic line is 3.5 MiB of control
    bytes (each escaped to four) gave a 14 MB report at 295 MiB peak."""
    import zlib
    from tests.security.test_limits import RSS_LIMIT_MIB, run_measured
    line = b"<0>[    1.000000] Kernel panic - not syncing: " + \
        b"\x01" * (3584 << 10) + b"\n"
    env = pstore_env(tmp_path, {"dmesg-ramoops-0.enc.z": zlib.compress(
        b"Panic#1 Part1\n" + line, 9)})
    assert os.path.getsize(os.path.join(env.src, "dmesg-ramoops-0.enc.z")) < 8192
    rc, seconds, rss = run_measured(env.argv(), timeout=120)
    assert rc == 0
    (name,) = our_reports(env.out)
    assert os.path.getsize(os.path.join(env.out, name)) <= 8 << 20
    assert rss < RSS_LIMIT_MIB, rss
    fields = complete_reports(env)[name]
    assert fields["PanicMessage"].startswith("\\x01")


def test_f3_a_huge_part_number_keeps_the_report_within_the_cap(tmp_path):
    """``Oops#1 Part1500000``: the missing-parts problem was 12 MB, the
    report over the cap, KernelLog empty."""
    env = pstore_env(tmp_path, {"dmesg-ramoops-0":
                                b"Oops#1 Part1500000\n<1>[ 1.0] BUG: oops here\n"})
    assert env.collect() == 0
    (name,) = our_reports(env.out)
    assert os.path.getsize(os.path.join(env.out, name)) <= 8 << 20
    fields = complete_reports(env)[name]
    assert "BUG: oops here" in fields["KernelLog"]


@pytest.mark.parametrize("cap", [4096, 65536, 1 << 20])
def test_f3_every_field_counts_against_small_caps(cap):
    """report.build itself: every text field is bounded and counted, with
    a log, a panic message, problems and record labels all over the cap."""
    from harvester import report
    from harvester.crash import analysis
    from harvester.events import Event
    from parsers.records import Record
    log = b"Oops#1 Part1\n<0>[ 1.0] Kernel panic - not syncing: " + \
        b"\x1b" * (2 * cap) + b"\n" + b"<4>[ 2.0] line\n" * (cap // 8)
    rec = Record("ramoops", "dmesg", 0, log, reason="Panic", count=1, part=1,
                 time_ns=1700000000 * 10**9)
    rec.problems = ["problem %d %s" % (i, "\x1b" * 300) for i in range(200)]
    ev = Event([rec], problems=["event problem " + "y" * (3 * cap)])
    found = analysis.analyse(ev.log(), ev.reason)
    attachments = [("dmesg-ramoops-%d %s" % (i, "z" * 200), "part 1", log)
                   for i in range(100)]
    _, out = report.build(ev, found, attachments, "panic", max_bytes=cap)
    assert len(out) <= cap
    from tests import apport_format
    fields, _ = apport_format.load(out)
    assert fields["ProblemType"] == "KernelOops" and "Package" in fields


# --- 4: part numbers --------------------------------------------------------------

def in_a_small_child(body, limit=1 << 30):
    """Run ``body()`` in a child with 1 GiB of address space; its exit
    status (97: an exception escaped, e.g. MemoryError)."""
    import resource

    def limited():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        return body()
    _, status = os.waitpid(quiet_child(limited), 0)
    return os.WEXITSTATUS(status)


def efivars_env(tmp_path, variables):
    env = Env(tmp_path / "efi", "efivars")
    shutil.rmtree(env.src)
    os.makedirs(env.src)
    for name, data in variables.items():
        with open(os.path.join(env.src, name), "wb") as f:
            f.write(b"\x07\0\0\0" + data)
    return env


GUID = "cfc8fc79-be2e-4ddc-97f0-9f98bfe298a0"


@pytest.mark.parametrize("where", ["header", "efivars name"])
def test_f4_a_part_number_of_billions_is_not_a_range(tmp_path, where):
    import time
    from harvester import cli
    if where == "header":
        env = pstore_env(tmp_path, {"dmesg-ramoops-0":
                                    b"Oops#1 Part2000000000\n<1>[ 1.0] BUG: x\n"})
    else:
        env = efivars_env(tmp_path, {
            "dump-type0-4000000000-1-1700000000-D-" + GUID:
            b"Oops#1 Part4000000000\n<1>[ 1.0] BUG: x\n"})
    start = time.monotonic()
    assert in_a_small_child(lambda: cli.main(["--list", "--source", env.spec,
                                              "--state-dir", env.state])) == 0
    assert in_a_small_child(env.collect) == 0
    assert time.monotonic() - start < 20
    (name,) = our_reports(env.out)
    problems = complete_reports(env)[name]["PstoreProblems"]
    assert "parts missing: 1, 2, 3" in problems and len(problems) < 1000


def test_f4_missing_parts_agree_with_the_range_on_small_numbers():
    import random
    from harvester.events import MISSING_PARTS_LISTED, missing_parts
    rng = random.Random(4)
    for _ in range(500):
        numbers = [rng.randrange(0, 60) for _ in range(rng.randrange(1, 30))]
        top = max(numbers)
        naive = sorted(set(range(1, top + 1)) - set(numbers))
        assert missing_parts(numbers) == (naive[:MISSING_PARTS_LISTED],
                                          len(naive))


# --- 6: out-of-range timestamps ----------------------------------------------------

@pytest.mark.parametrize("where", ["efivars name", "pstore name"])
def test_f6_out_of_range_times_never_crash_and_the_state_is_written(
        tmp_path, where, capsys):
    from harvester import cli
    dump = b"Oops#1 Part1\n<1>[ 1.0] BUG: time travel\n"
    if where == "efivars name":
        env = efivars_env(tmp_path, {
            "dump-type0-1-1-99999999999999999999-D-" + GUID: dump})
    else:
        env = pstore_env(tmp_path, {"dmesg-efi-99999999999999999001": dump})
    for argv in (["--list"], ["--list", "--json"]):
        assert cli.main(argv + ["--source", env.spec,
                                "--state-dir", env.state]) == 0
    assert "time unknown" in capsys.readouterr().out
    assert env.collect() == 0
    assert os.path.exists(os.path.join(env.state, "state.json"))
    (name,) = our_reports(env.out)
    assert complete_reports(env)[name]["Date"]
    assert env.source_files() == []


@pytest.mark.parametrize("time_ns", [10**30, -10**30, 2**63 - 1, -2**63,
                                     253402300800 * 10**9, -1])
def test_f6_time_formatting_is_total(time_ns):
    from harvester import cli, report
    assert cli.iso_time(time_ns) is None or cli.iso_time(time_ns)[:1].isdigit()
    assert report.apport_date(time_ns) is None or report.apport_date(time_ns)


# --- 10: device nodes in a source directory -----------------------------------------

@pytest.mark.parametrize("kind", ["char device", "fifo"])
def test_f10_non_regular_entries_are_refused_before_opening(
        tmp_path, monkeypatch, kind):
    import stat as st_mod
    env = pstore_env(tmp_path, {
        "dmesg-ramoops-0": os.path.join(BASIC, "dmesg-ramoops-0")})
    node = os.path.join(env.src, "console-ramoops-0")
    if kind == "fifo":
        os.mkfifo(node)
    else:
        if os.geteuid() != 0:
            pytest.skip("mknod needs root")
        null = os.stat("/dev/null").st_rdev             # a harmless device
        os.mknod(node, 0o600 | st_mod.S_IFCHR, null)
    node_ino = os.lstat(node).st_ino
    opened = []
    real_open = os.open

    def recording_open(path, flags, *args, **kwargs):
        fd = real_open(path, flags, *args, **kwargs)
        opened.append(os.fstat(fd).st_ino)
        return fd
    monkeypatch.setattr(os, "open", recording_open)
    assert env.collect() == 1                   # the node is a problem...
    monkeypatch.undo()
    assert node_ino not in opened               # ...never opened
    assert env.source_files() == ["console-ramoops-0"]   # the dump harvested
    assert len(our_reports(env.out)) == 1


def test_f8_reports_of_an_older_state_still_count_against_the_cap(tmp_path):
    """A state written before the state listed its reports: the report
    names its harvested entries hold are taken as ours."""
    import json
    env = Env(tmp_path / "env", "pstore")
    env.write_config("max_reports_in_output_dir: 1\n")
    assert env.collect() == 1
    path = os.path.join(env.state, "state.json")
    with open(path) as f:
        data = json.load(f)
    del data["reports"]
    with open(path, "w") as f:
        json.dump(data, f)
    before = all_crash_files_we_own(env.out)
    assert env.collect() == 1 and all_crash_files_we_own(env.out) == before
