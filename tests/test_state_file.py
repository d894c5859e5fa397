"""The state file (harvester/state.py) is plain JSON, read and written by
the json module: a state the earlier versions wrote (their own writer,
issue 12, and the json module before it) loads unchanged, and is written
back byte for byte as they wrote it, so that going back a version keeps
what was harvested."""

import json
import os

from harvester import cli, state

# Written by harvester/statejson.py (the hand-written writer this version
# drops), for a state with every kind of entry; non-ASCII names escaped.
OLD_WRITER = (
    '{"harvested": {"efi:dmesg:7:1700000000000000000:0123456789abcdef0123456'
    '789abcdef": {"event": "E0e28676438", "report": "linux-image-6.1.0-56-amd'
    '64.E0e28676438.crash"}, "ramoops:console:0:None:fedcba9876543210fedcba98'
    '76543210": {"event": "E0e28676438", "report": "linux-image-6.1.0-56-amd6'
    '4.E0e28676438.crash"}}, "kept": {"ramoops:pmsg:0:None:00112233445566778'
    '899aabbccddeeff": {"event": "E0e28676438", "report": "linux-image-6.1.0-'
    '56-amd64.E0e28676438.crash"}}, "pending": {"E5a1b2c3d4e": {"fitted": 2, '
    '"inode": [2049, 1234], "records": ["efi:dmesg:1:1700000001000000000:aa",'
    ' "efi:dmesg:2:1700000001000000000:bb"], "stem": "linux-image-6.1.0-56-am'
    'd64.E5a1b2c3d4e", "temp": ".oops-harvest-E5a1b2c3d4e-1"}}, "reports": ["'
    'linux-image-6.1.0-56-amd64.E0e28676438.crash", "caf\\u00e9 \\ud83d\\ude0'
    '0.crash"]}')

# Written before issue 13 (json.dump with indent): no "reports", a pending
# entry that is only its stem.
BEFORE_ISSUE_13 = json.dumps({
    "harvested": {"efi:dmesg:1:2:ab": {"event": "E1", "report": "r1.crash"},
                  "efi:dmesg:2:2:cd": {"event": "E2",
                                       "report": "archive-E2.log"}},
    "pending": {"E3": "linux-image-6.1.0.E3"}}, indent=2)


def _state_dir(tmp_path, text):
    path = tmp_path / "state"
    path.mkdir(mode=0o700, parents=True)
    (path / state.STATE_FILE).write_bytes(
        text if isinstance(text, bytes) else text.encode())
    return str(path)


def _load(path):
    st = state.State(path)
    st.load()
    return st


def test_a_state_of_the_old_writer_loads_and_is_written_back_the_same(
        tmp_path):
    path = _state_dir(tmp_path, OLD_WRITER)
    st = _load(path)
    assert st.data == json.loads(OLD_WRITER)
    assert st.reports()[1] == "caf\u00e9 \U0001f600.crash"
    assert st.pending("E5a1b2c3d4e")["inode"] == [2049, 1234]
    # A kept record (it did not fit its report) is not harvested: it is
    # archived later (issue 18), so --list must not call it harvested.
    assert state.read_harvested(path) == {
        "efi:dmesg:7:1700000000000000000:0123456789abcdef0123456789abcdef",
        "ramoops:console:0:None:fedcba9876543210fedcba9876543210"}
    st.save()
    st.close()
    with open(os.path.join(path, state.STATE_FILE)) as f:
        assert f.read() == OLD_WRITER


def test_a_state_from_before_issue_13_loads(tmp_path):
    st = _load(_state_dir(tmp_path, BEFORE_ISSUE_13))
    assert st.reports() == ["r1.crash"]          # archives are not reports
    assert st.pending("E3") == {"stem": "linux-image-6.1.0.E3"}
    st.close()


def test_a_torn_or_foreign_state_starts_afresh(tmp_path):
    for number, text in enumerate([OLD_WRITER[:-40], "[1, 2]", b"\xff{}",
                                   "[" * 100000 + "]" * 100000]):
        st = _load(_state_dir(tmp_path / str(number), text))
        assert st.data == {"harvested": {}, "kept": {}, "pending": {},
                           "reports": []}
        st.close()


def test_a_foreign_state_with_a_float_is_harvested_past(tmp_path):
    """A state.json holding a float (another program or version) must not
    stop the harvest when the state is saved."""
    path = _state_dir(tmp_path, '{"harvested": {}, "kept": {}, "pending": '
                      '{"Eold": {"stem": "x", "fitted": 1.0}}, "reports": [], '
                      '"version": 2.5}')
    image = "samples/ramoops-6.1-basic/raw/ramoops.bin"
    assert cli.main(["--collect", "--source", "ramoops:" + image,
                     "--output-dir", str(tmp_path / "out"),
                     "--state-dir", path]) == 0
    assert len(list((tmp_path / "out").iterdir())) == 2
    with open(os.path.join(path, state.STATE_FILE)) as f:
        assert len(json.load(f)["harvested"]) == 2
