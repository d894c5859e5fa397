"""One report per kdump crash with apport's own kernel_crashdump beside us,
in either order (docs/kdump-apport.md).

Opt-in (marker ``kernel``, and skipped unless OOPS_HARVEST_APPORT_SRC
names an apport source checkout, e.g. ``git archive`` of canonical/apport;
its code is run, never copied here).  apport is run as it is at boot,
``data/kernel_crashdump`` from that checkout, by a Python that has
python3-apt (``OOPS_HARVEST_APPORT_PYTHON``, default /usr/bin/python3),
with APPORT_REPORT_DIR pointing at a scratch /var/crash.
"""

import os
import shutil
import subprocess

import pytest

from tests.test_kdump import FIXTURES, copy_crashes, tree

APPORT = os.environ.get("OOPS_HARVEST_APPORT_SRC")
PYTHON = os.environ.get("OOPS_HARVEST_APPORT_PYTHON", "/usr/bin/python3")
pytestmark = [
    pytest.mark.kernel,
    pytest.mark.skipif(not APPORT, reason="OOPS_HARVEST_APPORT_SRC is not set"),
]


def kernel_crashdump(crash):
    env = dict(os.environ, APPORT_REPORT_DIR=crash, PYTHONPATH=APPORT)
    return subprocess.run(
        [PYTHON, os.path.join(APPORT, "data", "kernel_crashdump")],
        env=env, capture_output=True, text=True, timeout=120)


def crash_files(crash):
    return sorted(n for n in os.listdir(crash) if n.endswith(".crash"))


@pytest.fixture
def var_crash(tmp_path):
    crash = copy_crashes(os.path.join(FIXTURES, "ubuntu"),
                         str(tmp_path / "crash"))
    os.chmod(crash, 0o1777)
    return crash


def ours(tmp_path, crash):
    from harvester import cli
    return cli.main(["--collect", "--source", "kdump:" + crash,
                     "--output-dir", crash,
                     "--state-dir", str(tmp_path / "state")])


def test_we_run_first_then_apport(tmp_path, var_crash):
    before = tree(os.path.join(var_crash, "202511011541"))
    assert ours(tmp_path, var_crash) == 0
    written = crash_files(var_crash)
    assert written == ["linux-image-%s-202511011541.crash" % os.uname().release]
    done = kernel_crashdump(var_crash)
    # apport's O_EXCL create finds our report under its name: it writes none.
    assert done.returncode == 1 and "File exists" in done.stderr
    assert crash_files(var_crash) == written
    for _ in range(3):
        assert ours(tmp_path, var_crash) == 0
        assert crash_files(var_crash) == written
    assert tree(os.path.join(var_crash, "202511011541")) == before


def test_apport_runs_first_then_we(tmp_path, var_crash):
    done = kernel_crashdump(var_crash)
    assert done.returncode == 0, done.stderr
    theirs = crash_files(var_crash)
    assert len(theirs) == 1
    for _ in range(3):
        assert ours(tmp_path, var_crash) == 0
        assert crash_files(var_crash) == theirs
