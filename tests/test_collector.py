"""--collect end to end on copies of real-kernel samples: reports, modes,
clearing order, idempotence, fault injection and planted-file attacks."""

import hashlib
import os
import re
import shutil
import stat

import pytest

from harvester import cli, storage
from tests import apport_format, invariants

SAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, "samples")
EFI_SAMPLE = os.path.join(SAMPLES, "efi-6.1-two-dumps")
RAMOOPS_SAMPLE = os.path.join(SAMPLES, "ramoops-6.1-basic", "raw",
                              "ramoops.bin")
N_EFI = len(os.listdir(os.path.join(EFI_SAMPLE, "pstore")))
KEYS = {"ProblemType", "Architecture", "Date", "DistroRelease",
        "DuplicateSignature", "Failure", "KernelBuild", "KernelLog",
        "KernelTaint", "OopsText", "Package", "PstoreBackend", "PstoreEvent",
        "PstoreRecords", "SourcePackage", "Tags", "Title", "Uname"}


@pytest.fixture
def env(tmp_path):
    """A pstore copy that may be cleared, plus output and state dirs."""
    pstore = tmp_path / "pstore"
    shutil.copytree(os.path.join(EFI_SAMPLE, "pstore"), pstore)
    config = tmp_path / "config.yaml"
    config.write_text("require_pstore_mount: false\n")
    out = tmp_path / "crash"
    out.mkdir(mode=0o1777)
    os.chmod(out, 0o1777)
    return {"pstore": pstore, "out": out, "state": tmp_path / "state",
            "config": config, "tmp": tmp_path}


def collect(env, *extra):
    """--collect on the env's pstore copy; the conservation invariant
    (tests/invariants.py) must hold after it."""
    spec = "pstore:%s" % env["pstore"]
    before = invariants.snapshot([spec])
    rc = cli.main(["--collect", "--config", str(env["config"]),
                   "--source", spec, "--output-dir", str(env["out"]),
                   "--state-dir", str(env["state"])] + list(extra))
    invariants.check(before, str(env["out"]), str(env["state"]))
    return rc


def reports(env):
    return sorted(n for n in os.listdir(env["out"]) if n.endswith(".crash"))


def test_collect_writes_one_report_per_dump_then_clears(env, capsys):
    n_files = len(os.listdir(env["pstore"]))
    assert collect(env) == 0
    names = reports(env)
    assert len(names) == 2                 # the oops and the panic
    assert os.listdir(env["pstore"]) == []  # cleared, all 26 parts
    printed = capsys.readouterr().out.split()
    assert sorted(os.path.basename(p) for p in printed) == names
    parts = 0
    failures = set()
    for name in names:
        st = os.stat(env["out"] / name)
        assert stat.S_IMODE(st.st_mode) == 0o600
        assert st.st_uid == os.geteuid() and st.st_nlink == 1
        fields, order = apport_format.load((env["out"] / name).read_bytes())
        assert order[0] == "ProblemType" and KEYS <= set(fields)
        assert fields["Package"] == "linux-image-6.1.0-56-amd64 6.1.192-2"
        failures.add(fields["Failure"])
        records = [k for k in fields if k.startswith("PstoreRecord") and
                   k[12:].isdigit()]
        parts += len(records)
        assert "Call Trace" in fields["KernelLog"] or \
            fields["Failure"] == "panic"
    assert failures == {"oops", "panic"}
    assert parts == n_files
    # A second run finds nothing to do and writes nothing.
    assert collect(env) == 0
    assert reports(env) == names


def test_raw_images_are_never_modified_and_not_reported_twice(env):
    digest = hashlib.sha256(open(RAMOOPS_SAMPLE, "rb").read()).hexdigest()
    args = ["--collect", "--source", "ramoops:%s" % RAMOOPS_SAMPLE,
            "--output-dir", str(env["out"]), "--state-dir", str(env["state"])]
    assert cli.main(args) == 0 and len(reports(env)) == 2
    assert cli.main(args) == 0 and len(reports(env)) == 2
    assert hashlib.sha256(open(RAMOOPS_SAMPLE, "rb").read()).hexdigest() == digest


def test_dry_run_writes_and_clears_nothing(env, capsys):
    assert collect(env, "--dry-run") == 0
    assert reports(env) == [] and len(os.listdir(env["pstore"])) == N_EFI
    assert capsys.readouterr().out.count("would write") == 2
    assert not os.path.exists(env["state"])     # no state dir, no lock
    # After a real run, a dry run knows what was harvested.
    assert cli.main(["--collect", "--source", "ramoops:%s" % RAMOOPS_SAMPLE,
                     "--output-dir", str(env["out"]),
                     "--state-dir", str(env["state"])]) == 0
    assert cli.main(["--collect", "--dry-run", "--source",
                     "ramoops:%s" % RAMOOPS_SAMPLE, "--output-dir",
                     str(env["out"]), "--state-dir", str(env["state"])]) == 0
    assert "would write" not in capsys.readouterr().out


def planned_names(env):
    """The report names the next run will try first (R4 test hook)."""
    from harvester.crash import analysis
    from harvester.config import Config
    from harvester.inventory import gather

    class Args:
        source = ["pstore:%s" % env["pstore"]]
    names = []
    for ev in gather(Args, Config()).events:
        release = analysis.analyse(ev.log(), ev.reason).release
        names.append("linux-image-%s.%s.crash" % (release, ev.id))
    return names


def test_symlink_and_hardlink_at_the_report_name(env, tmp_path):
    sentinel = tmp_path / "sentinel"
    sentinel.write_bytes(b"secret\n")
    os.chmod(sentinel, 0o644)
    before = os.stat(sentinel)
    names = planned_names(env)
    os.symlink(sentinel, env["out"] / names[0])
    os.link(sentinel, env["out"] / names[1])
    dangling = tmp_path / "absent-dir-target"
    os.symlink(dangling, env["out"] / (names[0][:-6] + "-2.crash"))
    os.mkfifo(env["out"] / (names[1][:-6] + "-2.crash"))
    assert collect(env) == 0
    after = os.stat(sentinel)
    assert sentinel.read_bytes() == b"secret\n"
    assert (after.st_mode, after.st_uid, after.st_mtime_ns, after.st_nlink) == \
        (before.st_mode, before.st_uid, before.st_mtime_ns, 2)
    assert os.path.islink(env["out"] / names[0])
    assert not os.path.exists(dangling)
    dfd = os.open(env["out"], os.O_RDONLY)
    ours = [n for n in reports(env) if storage.is_our_file(dfd, n)]
    os.close(dfd)
    assert sorted(ours) == sorted([names[0][:-6] + "-3.crash",
                                   names[1][:-6] + "-3.crash"])


def test_refuses_an_output_directory_others_can_swap(env, tmp_path):
    loose = tmp_path / "loose"
    loose.mkdir()
    os.chmod(loose, 0o777)                 # world-writable, no sticky bit
    rc = cli.main(["--collect", "--config", str(env["config"]),
                   "--source", "pstore:%s" % env["pstore"],
                   "--output-dir", str(loose), "--state-dir", str(env["state"])])
    assert rc == 1 and os.listdir(loose) == []
    assert len(os.listdir(env["pstore"])) == N_EFI      # nothing cleared
    link = tmp_path / "link"
    os.symlink(env["out"], link)
    rc = cli.main(["--collect", "--config", str(env["config"]),
                   "--source", "pstore:%s" % env["pstore"],
                   "--output-dir", str(link), "--state-dir", str(env["state"])])
    assert rc == 1 and reports(env) == []


def test_report_group_gets_0640(env):
    import grp
    group = grp.getgrgid(os.getegid()).gr_name
    env["config"].write_text("require_pstore_mount: false\nreport_group: %s\n"
                             % group)
    assert collect(env) == 0
    for name in reports(env):
        st = os.stat(env["out"] / name)
        assert stat.S_IMODE(st.st_mode) == 0o640 and st.st_gid == os.getegid()


def test_private_mode_uses_a_0700_subdirectory(env):
    env["config"].write_text("require_pstore_mount: false\nprivate: true\n")
    assert collect(env) == 0
    inner = env["out"] / "oops-harvest"
    assert stat.S_IMODE(os.stat(inner).st_mode) == 0o700
    assert len([n for n in os.listdir(inner) if n.endswith(".crash")]) == 2


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch users")
def test_other_users_cannot_read_reports(env):
    assert collect(env) == 0
    path = str(env["out"] / reports(env)[0])
    pid = os.fork()
    if pid == 0:                            # child: become nobody, try to read
        try:
            os.setgid(65534)
            os.setuid(65534)
            try:
                open(path, "rb").read(1)
                os._exit(1)
            except PermissionError:
                os._exit(0)
        finally:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0


# --- crash consistency ---------------------------------------------------

class Boom(Exception):
    pass


STEPS = ("open", "write", "fsync", "link", "rename", "unlink", "fchmod")


def count_calls(env, monkeypatch):
    counts = dict.fromkeys(STEPS, 0)
    for step in STEPS:
        real = getattr(os, step)

        def wrapper(*a, _real=real, _step=step, **k):
            counts[_step] += 1
            return _real(*a, **k)
        monkeypatch.setattr(os, step, wrapper)
    assert collect(env) == 0
    monkeypatch.undo()
    return counts


def test_fault_at_every_side_effect_loses_nothing(env, tmp_path, monkeypatch):
    clean_env = dict(env, tmp=tmp_path / "probe")
    probe = dict(env)
    probe["pstore"] = tmp_path / "probe-pstore"
    probe["out"] = tmp_path / "probe-out"
    probe["state"] = tmp_path / "probe-state"
    shutil.copytree(env["pstore"], probe["pstore"])
    os.mkdir(probe["out"], 0o1777)
    os.chmod(probe["out"], 0o1777)
    counts = count_calls(probe, monkeypatch)
    assert counts["link"] >= 2 and counts["unlink"] >= N_EFI
    original = sorted(os.listdir(env["pstore"]))
    cases = 0
    for step in STEPS:
        for nth in range(1, counts[step] + 1):
            run = dict(env)
            base = tmp_path / ("%s-%d" % (step, nth))
            run["pstore"], run["out"], run["state"] = (base / "pstore",
                                                      base / "out",
                                                      base / "state")
            shutil.copytree(env["pstore"], run["pstore"])
            os.makedirs(run["out"], 0o1777)
            os.chmod(run["out"], 0o1777)
            real = getattr(os, step)
            seen = [0]

            def failing(*a, _real=real, _seen=seen, _nth=nth, **k):
                _seen[0] += 1
                if _seen[0] == _nth:
                    raise Boom("injected at %s #%d" % (step, _nth))
                return _real(*a, **k)
            monkeypatch.setattr(os, step, failing)
            try:
                collect(run)
            except Boom:
                pass                        # a kill: the run just stops
            finally:
                monkeypatch.undo()
            # Invariant after the fault: every record is either still in
            # the backend or inside a complete report.
            _assert_nothing_lost(run, original)
            assert collect(run) == 0        # a clean re-run converges
            assert len(reports(run)) == 2, (step, nth, reports(run))
            assert os.listdir(run["pstore"]) == []
            for name in reports(run):
                apport_format.load((run["out"] / name).read_bytes())
            cases += 1
    assert cases >= 60


def _assert_nothing_lost(run, original):
    left = set(os.listdir(run["pstore"]))
    in_reports = set()
    for name in reports(run):
        fields, _ = apport_format.load((run["out"] / name).read_bytes())
        in_reports |= {line.split(" ")[0] for line in
                       fields["PstoreRecords"].splitlines()}
    assert set(original) <= left | in_reports


# --- what becomes a report -------------------------------------------------

def test_console_rescues_a_crash_whose_dmesg_zone_is_corrupt(env, tmp_path):
    from tests.kernelbuild import Ramoops
    built = Ramoops(0x20000, record_size=0x4000)
    built.dump("Panic", 1, b"<0>[ 5.0] Kernel panic - not syncing: boom\n",
               header="garbage\n")
    built.console.write(b"[    4.9] BUG: unable to handle page fault\n"
                        b"[    4.9] RIP: 0010:bad_func+0x1/0x10 [bad]\n"
                        b"[    5.0] Kernel panic - not syncing: boom\n")
    image = tmp_path / "region.bin"
    image.write_bytes(bytes(built.image))
    rc = cli.main(["--collect", "--source", "ramoops:%s" % image,
                   "--output-dir", str(env["out"]), "--state-dir",
                   str(env["state"])])
    assert rc == 1                         # the corrupt zone is a problem...
    (name,) = reports(env)                 # ...but the crash is reported
    fields, _ = apport_format.load((env["out"] / name).read_bytes())
    assert fields["Failure"] == "panic"
    assert fields["Title"] == ("BUG: unable to handle kernel paging request "
                               "in bad_func [bad]")
    assert "Kernel panic - not syncing: boom" in fields["OopsText"]
    assert fields["PstoreRecord2"] == bytes(built.image[:built.dmesg[0].size])
    assert "undecodable@0x0" in fields["PstoreRecords"]


def test_console_rescue_reports_the_panic_that_ended_the_boot(env, tmp_path):
    """An oops that ended, then a panic: the report is about the panic
    (found in review: it took the earlier oops and said Failure: console)."""
    from tests.kernelbuild import Ramoops
    built = Ramoops(0x20000, record_size=0x4000)
    built.console.write(b"[    4.9] BUG: unable to handle page fault\n"
                        b"[    4.9] RIP: 0010:bad_func+0x1/0x10 [bad]\n"
                        b"[    4.9] ---[ end trace 0000000000000000 ]---\n"
                        b"[    9.0] sysrq: Trigger a crash\n"
                        b"[    9.0] Kernel panic - not syncing: sysrq triggered crash\n")
    image = tmp_path / "region.bin"
    image.write_bytes(bytes(built.image))
    assert cli.main(["--collect", "--source", "ramoops:%s" % image,
                     "--output-dir", str(env["out"]), "--state-dir",
                     str(env["state"])]) == 0
    (name,) = reports(env)
    fields, _ = apport_format.load((env["out"] / name).read_bytes())
    assert fields["Failure"] == "panic"
    assert fields["Title"] == "kernel panic: sysrq triggered crash"
    assert fields["OopsText"].startswith("Kernel panic")


def test_shutdown_dumps_are_archived_not_reported(env):
    sample = os.path.join(SAMPLES, "ramoops-6.1-shutdown", "raw", "ramoops.bin")
    if not os.path.exists(sample):
        pytest.skip("shutdown sample not generated")
    args = ["--collect", "--source", "ramoops:%s" % sample, "--output-dir",
            str(env["out"]), "--state-dir", str(env["state"])]
    assert cli.main(args) == 0
    archived = [n for n in os.listdir(env["state"]) if n.startswith("archive-")]
    assert archived and all(b"Shutdown#" in (env["state"] / n).read_bytes()
                            for n in archived)
    kinds = set()
    for name in reports(env):
        kinds.add(apport_format.load((env["out"] / name).read_bytes())[0]["Failure"])
    assert "shutdown" not in kinds


def test_enospc_leaves_records_and_stops(env, monkeypatch):
    import errno
    real_write = os.write
    calls = []

    def full(fd, data):
        calls.append(1)
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "write", full)
    assert collect(env) == 1
    monkeypatch.setattr(os, "write", real_write)
    assert reports(env) == [] and len(os.listdir(env["pstore"])) == N_EFI
    assert len(calls) == 1                 # no retry storm
    assert collect(env) == 0 and len(reports(env)) == 2


def test_a_second_instance_waits_its_turn(env):
    import fcntl
    os.makedirs(env["state"], mode=0o700)
    fd = os.open(env["state"] / "lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        assert collect(env) == 1
        assert reports(env) == [] and len(os.listdir(env["pstore"])) == N_EFI
    finally:
        os.close(fd)
    assert collect(env) == 0 and len(reports(env)) == 2


def test_efivars_copy_is_harvested_and_cleared(env, tmp_path):
    efivars = tmp_path / "efivars"
    shutil.copytree(os.path.join(EFI_SAMPLE, "raw", "efivars"), efivars)
    (efivars / "Boot0000-8be4df61-93ca-11d2-aa0d-00e098032b8c").write_bytes(
        b"\x07\0\0\0boot entry")
    rc = cli.main(["--collect", "--config", str(env["config"]),
                   "--source", "efivars:%s" % efivars,
                   "--output-dir", str(env["out"]),
                   "--state-dir", str(env["state"])])
    assert rc == 0 and len(reports(env)) == 2
    # Only the crash variables went; other variables are not ours.
    assert os.listdir(efivars) == ["Boot0000-8be4df61-93ca-11d2-aa0d-00e098032b8c"]


def test_same_efi_record_in_pstore_and_efivars_is_reported_once(env, tmp_path):
    efivars = tmp_path / "efivars"
    shutil.copytree(os.path.join(EFI_SAMPLE, "raw", "efivars"), efivars)
    rc = cli.main(["--collect", "--config", str(env["config"]),
                   "--source", "pstore:%s" % env["pstore"],
                   "--source", "efivars:%s" % efivars,
                   "--output-dir", str(env["out"]),
                   "--state-dir", str(env["state"])])
    assert rc == 0 and len(reports(env)) == 2
    assert os.listdir(env["pstore"]) == []


def test_list_is_readable_at_80_columns(env, capsys):
    """DESIGN's --list contract (found in review: ECC flags and
    [harvested] made lines of 81-86 columns)."""
    for sample in ("ramoops-6.1-ecc16", "ramoops-6.1-shutdown"):
        spec = "ramoops:%s" % os.path.join(SAMPLES, sample, "raw", "ramoops.bin")
        state = str(env["tmp"] / ("state-" + sample))
        cli.main(["--collect", "--source", spec, "--output-dir",
                  str(env["out"]), "--state-dir", state])
        capsys.readouterr()
        assert cli.main(["--list", "--source", spec, "--state-dir", state]) == 0
        text = capsys.readouterr().out
        assert "[harvested]" in text
        assert max(len(line) for line in text.splitlines()) <= 80, text


def test_list_ramoops_layout_once_per_source_and_pinnable(env, capsys):
    """Issue 11: a region shared with a bootloader (U-Boot's board data in
    a zeroed region) lists its records and exits 0, says the detected
    layout once, and that layout pinned as keys gives the same records."""
    import json
    from tests.test_ramoops import UBOOT_EXPECTED, uboot_region
    image = env["tmp"] / "region.bin"
    image.write_bytes(uboot_region())
    state = str(env["state"])
    assert cli.main(["--list", "--source", "ramoops:%s" % image,
                     "--state-dir", state]) == 0
    text = capsys.readouterr().out
    assert text.count("layout of ") == 1 and "problem" not in text
    assert max(len(line) for line in text.splitlines()) <= 80, text
    keys = "".join(line.strip() for line in
                   text[text.index("layout of "):].splitlines()
                   if re.match(r"\s+[a-z_]+=", line))
    assert keys.startswith("mem_size=1M,record_size=4K,")
    assert cli.main(["--list", "--json", "--source", "ramoops:%s" % image,
                     "--state-dir", state]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted(r["id"] for r in rows) == sorted(UBOOT_EXPECTED)
    assert {r["layout"]["record_size"] for r in rows} == {4096}
    assert all(r["layout"]["detected"] and r["layout"]["non_default"] == []
               for r in rows)
    assert cli.main(["--list", "--json", "--source", "ramoops:%s,%s"
                     % (image, keys), "--state-dir", state]) == 0
    pinned = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["size"]) for r in pinned] == \
        [(r["id"], r["size"]) for r in rows]
    assert not any(r["layout"]["detected"] for r in pinned)


def test_list_and_collect_exit_0_on_a_never_written_region(env, capsys):
    image = env["tmp"] / "zero.bin"
    image.write_bytes(bytes(0x100000))
    for spec in ("ramoops:%s" % image,
                 "ramoops:%s,mem_size=1M,record_size=16K" % image):
        assert cli.main(["--list", "--source", spec,
                         "--state-dir", str(env["state"])]) == 0
        assert "problem" not in capsys.readouterr().out
        assert cli.main(["--collect", "--source", spec, "--output-dir",
                         str(env["out"]), "--state-dir", str(env["state"])]) == 0
    assert reports(env) == []


def test_a_new_console_does_not_report_a_kept_dump_again(env):
    """clear_backends: false keeps the dumps; the next boot brings a new
    console-ramoops-0 (as every boot does)."""
    shutil.rmtree(env["pstore"])
    os.mkdir(env["pstore"])
    basic = os.path.join(SAMPLES, "ramoops-6.1-basic", "pstore")
    shutil.copy(os.path.join(basic, "dmesg-ramoops-1"), env["pstore"])
    env["config"].write_text("require_pstore_mount: false\n"
                             "clear_backends: false\n")
    assert collect(env) == 0 and len(reports(env)) == 1
    (env["pstore"] / "console-ramoops-0").write_bytes(b"[ 1.0] next boot\n")
    assert collect(env) == 0          # the invariant: no event twice
    assert len(reports(env)) == 1


def test_a_fingerprint_follows_its_record():
    """Kept on the record, but never for another payload or identity."""
    from parsers.records import Record
    from harvester.state import fingerprint
    rec = Record("ramoops", "dmesg", 0, b"one", time_ns=5)
    first = fingerprint(rec)
    assert fingerprint(rec) == first
    rec.payload = b"two"
    second = fingerprint(rec)
    assert second != first
    rec.time_ns = 6
    assert fingerprint(rec) != second
    assert fingerprint(Record("ramoops", "dmesg", 0, b"one", time_ns=5)) \
        == first


def test_dry_run_says_what_it_would_write_and_archive(env, capsys):
    """Each line as the user reads it: the report's name and its title cut
    to 80 columns; the archive's full path and why it is not reported."""
    sample = os.path.join(SAMPLES, "ramoops-6.1-shutdown", "raw", "ramoops.bin")
    assert collect(env, "--dry-run") == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and all(re.fullmatch(
        r"would write linux-image-\S+\.E[0-9a-f]+\.crash \(.{1,80}\)", line)
        for line in out), out
    assert any(line.endswith("(kernel panic: sysrq triggered crash)")
               for line in out)
    assert cli.main(["--collect", "--dry-run", "--source", "ramoops:" + sample,
                     "--output-dir", str(env["out"]),
                     "--state-dir", str(env["state"])]) == 0
    archives = [line for line in capsys.readouterr().out.splitlines()
                if line.startswith("would archive")]
    assert archives and all(re.fullmatch(
        r"would archive %s/archive-E[0-9a-f]+\.log \(Shutdown dump, not "
        r"reported\)" % re.escape(str(env["state"])), line)
        for line in archives), archives


@pytest.mark.parametrize("error,tries", [("ENOSPC", 1), ("EROFS", 1),
                                         ("EDQUOT", 1), ("EIO", 2)])
def test_a_full_output_directory_stops_the_reports(env, monkeypatch, error,
                                                   tries):
    """No space, no quota or a read-only output: the next report would
    fail the same way, so none is tried; another error fails one report
    and the next is still tried.  Every record stays in place."""
    import errno as errnos
    calls = []

    def write_temp(*args, **kw):
        calls.append(args[1])
        raise OSError(getattr(errnos, error), os.strerror(getattr(errnos, error)))
    monkeypatch.setattr(storage, "write_temp", write_temp)
    n_files = len(os.listdir(env["pstore"]))
    assert collect(env) == 1
    assert len(calls) == tries and reports(env) == []
    assert len(os.listdir(env["pstore"])) == n_files


def test_records_cut_from_a_report_are_archived_each_under_a_header(env):
    """max_report_bytes cuts the efi dump's parts: they go to
    archive-<event>-left-out.log in the state directory, each after a line
    naming it, in the same run."""
    env["config"].write_text("require_pstore_mount: false\n"
                             "max_report_bytes: 4096\n")
    collect(env)
    left = [n for n in os.listdir(env["state"]) if n.endswith("-left-out.log")]
    assert left and all(re.fullmatch(r"archive-E[0-9a-f]+-left-out\.log", n)
                        for n in left)
    for name in left:
        data = (env["state"] / name).read_bytes()
        pieces = re.split(rb"\n--- oops-harvest: \S+ \((?:part \d+|\w+), \d+ "
                          rb"bytes(?:, still compressed)?\) follows ---\n", data)
        assert pieces[0] == b"" and len(pieces) > 1 and all(pieces[1:])


def test_a_private_report_is_printed_with_its_real_path(env, capsys):
    env["config"].write_text("require_pstore_mount: false\nprivate: true\n")
    assert collect(env) == 0
    printed = capsys.readouterr().out.split()
    inner = env["out"] / "oops-harvest"
    assert sorted(printed) == sorted(str(inner / n) for n in os.listdir(inner))


def test_a_kdump_crash_apport_reported_first_gets_no_second_report(tmp_path,
                                                                    capsys):
    """apport's kernel_crashdump wrote its report beside the crash
    directory: the dry run says so, the run writes nothing, records the
    crash as reported by that file and leaves it where it is."""
    import json
    from tests.test_kdump import FIXTURES, copy_crashes
    crash = copy_crashes(os.path.join(FIXTURES, "ubuntu"), str(tmp_path / "c"))
    os.chmod(crash, 0o1777)
    theirs = "linux-image-6.8.0-apport-202511011541.crash"
    with open(os.path.join(crash, theirs), "w") as f:
        f.write("ProblemType: KernelCrash\n")
    args = ["--collect", "--source", "kdump:" + crash, "--output-dir", crash,
            "--state-dir", str(tmp_path / "state")]
    before = sorted(os.listdir(crash))
    assert cli.main(args + ["--dry-run"]) == 0
    out = capsys.readouterr().out
    assert re.fullmatch(r"would leave \S+ to apport's report %s\n"
                        % re.escape(theirs), out), out
    for _ in range(2):
        assert cli.main(args) == 0
        assert sorted(os.listdir(crash)) == before
    assert ".crash" not in capsys.readouterr().out
    with open(tmp_path / "state" / "state.json") as f:
        saved = json.load(f)
    assert [e["report"] for e in saved["harvested"].values()] == [theirs]
    assert saved["reports"] == [] and saved["pending"] == {}
