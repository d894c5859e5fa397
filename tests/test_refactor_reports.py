"""Issue 20's restructuring changes no report: every sample and test log,
collected by the code as it was before the moves and by the code now,
gives the same reports, field for field (tests/sample_reports.py).

The old code is taken from git history (``git archive``), not from stored
expected output, so the comparison is against what that code really did.
A change that means to change reports (better titles, new fields) is
checked by hand with tests/sample_reports.py (only the intended fields
differ), and then ``BASE`` moves to the commit that made it, in a commit
of its own that says so.
"""

import json
import os
import subprocess
import sys
import tarfile

import pytest

BASE = "a641e22a305e05aa69cd1855c27c6bd33ebdad39"   # rw8: a frame's all-decimal "[<80016084>]" is no rotten caller part (issue 19)
TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir)
SCRIPT = os.path.join(TOP, "tests", "sample_reports.py")


def _old_tree(dest):
    try:
        archive = subprocess.run(["git", "-C", TOP, "archive", BASE,
                                  "harvester", "parsers"],
                                 capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        if os.environ.get("CI"):
            raise                   # CI clones the whole history
        pytest.skip("no git history with %s: %s" % (BASE[:7], exc))
    path = dest / "old.tar"
    path.write_bytes(archive)
    with tarfile.open(path) as tar:
        tar.extractall(dest / "old")
    return dest / "old"


def _reports(tree, work):
    work.mkdir()
    done = subprocess.run([sys.executable, SCRIPT, str(tree), str(work)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_every_report_is_unchanged_by_the_moves(tmp_path):
    old = _reports(_old_tree(tmp_path), tmp_path / "work")
    # Same work path: record identities (and so event ids) include it.
    os.rename(tmp_path / "work", tmp_path / "old-work")
    new = _reports(TOP, tmp_path / "work")
    assert sum(len(v["reports"]) for v in old.values()) > 500
    assert sorted(new) == sorted(old)
    for name in old:
        assert new[name]["exit"] == old[name]["exit"], name
        assert sorted(new[name]["reports"]) == sorted(old[name]["reports"]), \
            name
        for report, fields in old[name]["reports"].items():
            now = new[name]["reports"][report]
            changed = sorted(k for k in set(fields) | set(now)
                             if fields.get(k) != now.get(k))
            assert not changed, "%s %s: %s differ" % (name, report, changed)
