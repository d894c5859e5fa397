"""take_stock (harvester/collector/recover.py) on its own: which files of
a killed run it recognises.  Written for the mutants mutmut found alive
(tests/README.md, "Mutation score")."""

import json
import os

from harvester import state, storage
from harvester.collector.recover import take_stock


def setup(tmp_path, pending):
    out = tmp_path / "out"
    out.mkdir()
    st_dir = tmp_path / "state"
    st_dir.mkdir(mode=0o700)
    (st_dir / state.STATE_FILE).write_text(json.dumps({"pending": pending}))
    st = state.State(str(st_dir))
    st.load()
    return st, os.open(out, os.O_RDONLY | os.O_DIRECTORY), out


def identity(path):
    return storage.file_identity(os.stat(path))


def test_a_killed_runs_report_is_found_where_its_entry_says(tmp_path):
    """An entry without an inode is passed over (not the end of the
    search); one without a place (an older version's) is in the output
    directory; a "found" from before is never trusted."""
    (tmp_path / "probe").write_bytes(b"")
    st, out_fd, out = setup(tmp_path, {
        "E0": {"stem": "gone", "records": ["a"], "found": "gone.crash"},
        "E1": {"stem": "s", "records": ["b"], "inode": None},
    })
    (out / "s-2.crash").write_bytes(b"report")
    st.data["pending"]["E1"]["inode"] = identity(out / "s-2.crash")
    (out / "s.crash").write_bytes(b"someone else's")
    assert take_stock(st, out_fd) == 1
    assert st.pending("E1")["found"] == "s-2.crash"
    assert st.reports() == ["s-2.crash"]
    assert "found" not in st.pending("E0")
    os.close(out_fd)
    st.close()



def test_an_entry_of_an_unknown_place_is_looked_for_nowhere(tmp_path,
                                                            monkeypatch):
    """A place this version does not know (a newer one's) is not the
    current directory."""
    st, out_fd, out = setup(tmp_path, {"E1": {"stem": "s", "records": ["b"],
                                              "place": "elsewhere"}})
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.crash").write_bytes(b"not ours to find")
    st.data["pending"]["E1"]["inode"] = identity(tmp_path / "s.crash")
    take_stock(st, out_fd)
    assert "found" not in st.pending("E1") and "inode" not in st.pending("E1")
    with open(tmp_path / "state" / state.STATE_FILE) as f:   # saved so
        assert "inode" not in json.load(f)["pending"]["E1"]
    os.close(out_fd)
    st.close()
