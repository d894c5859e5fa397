"""Coexistence with the real systemd-pstore: when it moved the records
into its archive first, each crash is still reported exactly once, and its
habit of joining two dumps of one boot into one dmesg.txt is not ours."""

import os
import shutil
import subprocess

import pytest

from harvester import cli, collector, sources
from tests import apport_format, needs

SAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, "samples")
SYSTEMD_PSTORE = "/lib/systemd/systemd-pstore"


def run_systemd_pstore(pstore, archive):
    script = ("mount --bind %s /sys/fs/pstore && mkdir -p /var/lib/systemd/pstore"
              " && mount --bind %s /var/lib/systemd/pstore && exec %s"
              % (pstore, archive, SYSTEMD_PSTORE))
    return subprocess.run(["unshare", "-m", "sh", "-c", script],
                          capture_output=True, text=True)


@pytest.fixture
def archived(tmp_path):
    if os.geteuid() != 0 or not os.path.exists(SYSTEMD_PSTORE) or \
            not shutil.which("unshare"):
        needs.missing("needs root, unshare and systemd-pstore")
    pstore, archive = tmp_path / "pstore", tmp_path / "archive"
    pstore.mkdir()
    archive.mkdir()
    for name in ("efi-6.1-two-dumps", "ramoops-6.1-basic"):
        folder = os.path.join(SAMPLES, name, "pstore")
        for entry in os.listdir(folder):
            shutil.copy2(os.path.join(folder, entry), pstore)
    done = run_systemd_pstore(pstore, archive)
    if done.returncode != 0:
        pytest.skip("systemd-pstore could not run here: %s" % done.stderr[-200:])
    assert os.listdir(pstore) == []          # it moved everything
    return tmp_path, archive


def test_reports_from_systemd_pstore_archive_once(archived, monkeypatch):
    tmp_path, archive = archived
    assert (archive / "dmesg.txt").exists()
    monkeypatch.setattr(sources.pstore, "PSTORE_DIR", str(tmp_path / "pstore"))
    monkeypatch.setattr(sources.efivars, "EFIVARS_DIR", str(tmp_path / "no-efivars"))
    monkeypatch.setattr(sources.pstore, "SYSTEMD_ARCHIVE", str(archive))
    monkeypatch.setattr(sources.pstore, "SYSTEMD_PSTORE_CONF", ())
    monkeypatch.setattr(collector, "mount_pstore", lambda: False)
    out, state = tmp_path / "out", tmp_path / "state"
    args = ["--collect", "--output-dir", str(out), "--state-dir", str(state),
            "--config", str(tmp_path / "none.yaml")]
    (tmp_path / "none.yaml").write_text("{}\n")
    assert cli.main(args) == 0
    names = sorted(os.listdir(out))
    assert len(names) == 4            # efi oops + panic, ramoops oops + panic
    failures = sorted(apport_format.load((out / n).read_bytes())[0]["Failure"]
                      for n in names)
    assert failures == ["oops", "oops", "panic", "panic"]
    assert cli.main(args) == 0 and sorted(os.listdir(out)) == names
    efi_dirs = [d for d in os.listdir(archive) if (archive / d).is_dir()]
    n_efi = len(os.listdir(os.path.join(SAMPLES, "efi-6.1-two-dumps", "pstore")))
    # The archive is left as it was: every part plus systemd's dmesg.txt.
    assert sum(len(os.listdir(archive / d)) for d in efi_dirs) == \
        n_efi + len(efi_dirs)
