"""The writer's cap on waiting reports and its exit status when the output
directory cannot be synced: two of the gaps mutmut's survivors showed in
harvester/collector/write.py (tests/README.md, "Mutation score")."""

import errno
import os

from harvester import cli


def dumps(folder, count):
    """``count`` one-part ramoops dumps as /sys/fs/pstore shows them, each
    a different crash."""
    folder.mkdir()
    for n in range(count):
        (folder / ("dmesg-ramoops-%d" % n)).write_text(
            "Oops#%d Part1\n<4>[  %d.000000] BUG: kernel NULL pointer "
            "dereference, address: 0000000000000008\n<4>[  %d.000100] RIP: "
            "0010:crash_fn_%d+0x1/0x10\n" % (n + 1, 10 + n, 10 + n, n))


def collect(tmp_path, source, config=""):
    (tmp_path / "config.yaml").write_text("require_pstore_mount: false\n"
                                          + config)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    rc = cli.main(["--collect", "--config", str(tmp_path / "config.yaml"),
                   "--source", "pstore:%s" % source, "--output-dir", str(out),
                   "--state-dir", str(tmp_path / "state")])
    return rc, sorted(n for n in os.listdir(out) if n.endswith(".crash"))


def test_the_cap_on_waiting_reports_counts_each_report_of_the_run(tmp_path):
    """max_reports_in_output_dir: 2 and three crashes: two reports, the
    third crash stays in pstore for a later run (exit 1)."""
    dumps(tmp_path / "pstore", 3)
    rc, names = collect(tmp_path, tmp_path / "pstore",
                        "max_reports_in_output_dir: 2\n")
    assert rc == 1
    assert len(names) == 2
    assert len(os.listdir(tmp_path / "pstore")) == 1


def test_an_output_directory_that_cannot_be_synced_fails_the_run(
        tmp_path, monkeypatch):
    """The reports' directory entries are not durable: nothing is cleared
    and the exit status says so."""
    dumps(tmp_path / "pstore", 1)
    out = tmp_path / "out"
    out.mkdir()
    out_ino = os.stat(out).st_ino
    real_fsync = os.fsync

    def fsync(fd):
        if os.fstat(fd).st_ino == out_ino:
            raise OSError(errno.EIO, "Input/output error")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    rc, _ = collect(tmp_path, tmp_path / "pstore")
    assert rc == 1
    assert os.listdir(tmp_path / "pstore") == ["dmesg-ramoops-0"]


class Killed(BaseException):
    """The run dies here (as under SIGKILL: no handler runs)."""


def test_a_report_a_killed_run_linked_keeps_the_records_it_held(
        tmp_path, monkeypatch):
    """Run 1, with a small max_report_bytes, links reports that hold only
    the first parts of the efi dumps and dies before recording them done.
    Run 2, with the default cap, finds them: the parts each holds are
    the ones the killed run wrote down (its "fitted"), not what run 2 would
    fit, so the rest go to a left-out archive and nothing is lost."""
    import shutil

    from harvester.state import State
    from tests import invariants
    efi = os.path.join(os.path.dirname(__file__), os.pardir, "samples",
                       "efi-6.1-two-dumps", "pstore")
    shutil.copytree(efi, tmp_path / "pstore")
    spec = "pstore:%s" % (tmp_path / "pstore")
    real_mark_done = State.mark_done

    def die(self, *args, **kwargs):
        raise Killed()

    monkeypatch.setattr(State, "mark_done", die)
    try:
        collect(tmp_path, tmp_path / "pstore", "max_report_bytes: 4096\n")
    except Killed:
        pass
    monkeypatch.setattr(State, "mark_done", real_mark_done)
    linked = sorted(os.listdir(tmp_path / "out"))
    assert len(linked) == 2, linked          # both dumps, in one batch

    before = invariants.snapshot([spec])
    rc, names = collect(tmp_path, tmp_path / "pstore")
    assert rc == 0
    invariants.check(before, str(tmp_path / "out"), str(tmp_path / "state"))
    assert names == linked                   # no second report of either
    archives = [n for n in os.listdir(tmp_path / "state")
                if "left-out" in n]
    assert archives                          # what did not fit, archived
    assert not os.listdir(tmp_path / "pstore")
