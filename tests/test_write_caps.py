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
