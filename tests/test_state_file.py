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


# --- the State's own rules, one at a time (mutmut survivors) -------------

def _record(n, payload=b"x"):
    from parsers.records import Record
    return Record("ramoops", "dmesg", n, payload + b"%d" % n)


def _saved(path):
    with open(os.path.join(path, state.STATE_FILE)) as f:
        return json.load(f)


def test_prune_forgets_only_what_is_gone_and_old(tmp_path):
    path = _state_dir(tmp_path, "{}")
    st = _load(path)
    day, keep = 86400, state.RETENTION_SECONDS
    now = 1000 * day + keep
    st.data["harvested"] = {
        "gone-old": {"time": now - keep - 1},
        "gone-at-the-limit": {"time": now - keep},
        "gone-recent": {"time": now - day},
        "seen-old": {"time": 0},
        "gone-no-time": {"event": "E1"},
        "gone-foreign": ["E1"],
        "gone-text-time": {"time": "yesterday"},
    }
    assert st.prune({"seen-old"}, now=now)
    assert sorted(st.data["harvested"]) == ["gone-at-the-limit",
                                            "gone-recent", "seen-old"]
    assert not st.prune({"seen-old"}, now=now)
    # A missing time counts as the epoch: gone once the epoch is old.
    st.data["harvested"] = {"no-time": {}}
    assert not st.prune(set(), now=keep) and st.prune(set(), now=keep + 1)
    st.close()


def test_seen_is_harvested_or_kept(tmp_path):
    st = _load(_state_dir(tmp_path, json.dumps({
        "harvested": {"h": {}}, "kept": {"k": {}}})))
    assert st.seen("h") and st.seen("k") and not st.seen("other")
    st.close()
    snap = state.Snapshot(str(tmp_path / "state"))
    assert snap.seen("h") and not snap.seen("k") and not snap.seen("other")


def test_pending_entries_say_where_their_temp_file_is(tmp_path):
    path = _state_dir(tmp_path, "{}")
    st = _load(path)
    a, b = ".oops-harvest-%s.tmp" % ("a" * 16), ".oops-harvest-%s.tmp" % ("b" * 16)
    st.announce("E1", a, "state")
    st.data["pending"]["E2"] = {"temp": b}               # an older version's
    st.data["pending"]["E3"] = {"temp": "../escape"}
    assert st.data["pending"]["E1"] == {"temp": a, "place": "state"}
    assert sorted(st.pending_temps()) == [("out", b), ("state", a)]
    recs = [_record(1), _record(2)]
    st.set_pending("E4", "stem", recs, a, None, [1, 2], "out")
    st.set_pending("E5", "stem", recs, b, 1, None, "state")
    st.set_pending("E6", "stem", recs, b, 0, None, "state")
    assert st.pending("E4") == {"stem": "stem", "temp": a, "fitted": 2,
                                "inode": [1, 2], "place": "out",
                                "records": state.record_set(recs)}
    assert st.pending("E5")["fitted"] == 1 and "inode" not in st.pending("E5")
    assert st.pending("E6")["fitted"] == 0
    st.close()


def test_mark_done_records_where_each_record_went(tmp_path, monkeypatch):
    path = _state_dir(tmp_path, "{}")
    st = _load(path)
    monkeypatch.setattr(state.time, "time", lambda: 1700000000.5)
    first, second, third = _record(1), _record(2), _record(3)
    st.set_pending("E1", "stem", [first, second], "t", 1, None, "out")
    st.mark_done("E1", [first], "r.crash", True, kept=[second], save=False)
    assert st.pending("E1") is None and st.reports() == ["r.crash"]
    key1, key2 = state.fingerprint(first), state.fingerprint(second)
    assert st.data["harvested"] == {key1: {
        "event": "E1", "report": "r.crash", "time": 1700000000}}
    assert st.data["kept"] == {key2: {"event": "E1", "report": "r.crash"}}
    assert _saved(path) == {}                      # save=False: not yet
    # The kept record archived later is harvested, no longer kept; an
    # archive is no report; without a pending entry is fine; saved now.
    st.mark_done("E2", [second, third], "archive-E1.log", False)
    assert st.data["kept"] == {} and st.reports() == ["r.crash"]
    assert _saved(path)["harvested"][key2]["report"] == "archive-E1.log"
    st.close()


def test_a_state_over_64_mib_is_not_read(tmp_path):
    """The state is read up to 64 MiB (tests/README.md bounds): a larger
    one counts as torn, for --list and for --collect."""
    entry = '"%s": {}, '
    body = "".join(entry % ("k%08d" % i) for i in range(100))
    text = '{"harvested": {' + body + '"last": {}}, "pad": "' + \
        "x" * (64 << 20) + '"}'
    path = _state_dir(tmp_path, text)
    assert state.read_harvested(path) == set()
    st = _load(path)
    assert st.data["harvested"] == {}
    st.close()
    path = _state_dir(tmp_path / "small", text.replace("x" * (64 << 20), ""))
    assert len(state.read_harvested(path)) == 101


def test_the_state_file_is_never_followed_nor_waited_for(tmp_path):
    """A symlink at state.json is not read; a FIFO there does not block."""
    import threading
    other = tmp_path / "other.json"
    other.write_text('{"harvested": {"k": {}}}')
    path = _state_dir(tmp_path, "{}")
    os.unlink(os.path.join(path, state.STATE_FILE))
    os.symlink(other, os.path.join(path, state.STATE_FILE))
    assert state.read_harvested(path) == set()
    os.unlink(os.path.join(path, state.STATE_FILE))
    fifo = os.path.join(path, state.STATE_FILE)
    os.mkfifo(fifo, 0o600)
    done = []
    reader = threading.Thread(target=lambda: done.append(
        state.read_harvested(path)), daemon=True)
    reader.start()
    reader.join(5)
    if reader.is_alive():                  # release it before failing
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert done == [set()]


def test_a_record_and_its_twins_are_marked_together(tmp_path):
    st = _load(_state_dir(tmp_path, "{}"))
    rec, twin = _record(1), _record(1)
    twin.backend = "efi"                        # the same dump elsewhere
    rec.twins = [twin]
    st.mark_done("E1", [rec], "r.crash", True, save=False)
    assert set(st.data["harvested"]) == {state.fingerprint(rec),
                                         state.fingerprint(twin)}
    assert st.harvested(twin) and st.reported(twin)
    st.close()


def test_save_writes_sorted_keys_and_says_why_it_failed(tmp_path,
                                                        monkeypatch):
    import errno
    path = _state_dir(tmp_path, "{}")
    st = _load(path)
    st.keep_reports(["b.crash", "a.crash"])
    st.data["harvested"] = {"k2": {}, "k1": {}}
    st.save()
    with open(os.path.join(path, state.STATE_FILE)) as f:
        assert f.read() == json.dumps(st.data, sort_keys=True)
    assert _saved(path)["reports"] == ["b.crash", "a.crash"]

    def full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(state.storage, "replace_private", full)
    try:
        st.save()
    except state.SaveFailed as exc:
        assert exc.errno == errno.ENOSPC
        assert exc.strerror == "cannot save the state %s/state.json: %s" % (
            path, os.strerror(errno.ENOSPC))
    else:
        raise AssertionError("no SaveFailed")
    st.close()


def test_fingerprints_are_the_states_keys(monkeypatch):
    """``backend:type:id:time:sha256[:32]``, efi and efi_pstore the same
    backend (one NVRAM seen through efivarfs or pstore); a kdump crash
    keeps its own key; computed once per record, again only when the
    record changes."""
    import hashlib
    payload = b"Oops#1 Part1\n"
    digest32 = hashlib.sha256(payload).hexdigest()[:32]
    calls = []
    real = hashlib.sha256
    monkeypatch.setattr(hashlib, "sha256", lambda b: calls.append(1) or real(b))
    efi = _record(7, payload)
    efi.backend, efi.payload, efi.time_ns = "efi_pstore", payload, 5
    assert state.fingerprint(efi) == "efi:dmesg:7:5:" + digest32
    assert state.fingerprint(efi) == "efi:dmesg:7:5:" + digest32
    assert len(calls) == 1
    efi.id = 8
    assert state.fingerprint(efi) == "efi:dmesg:8:5:" + digest32
    efi.payload = payload + b"more"
    assert state.fingerprint(efi).startswith("efi:dmesg:8:5:")
    assert state.fingerprint(efi) != "efi:dmesg:8:5:" + digest32
    assert len(calls) == 3
    ram = _record(1, payload)
    ram.payload = payload
    assert state.fingerprint(ram) == "ramoops:dmesg:1:None:" + digest32
    kdump = _record(2)
    kdump.key = "kdump:/var/crash/202401010000"
    assert state.fingerprint(kdump) == "kdump:/var/crash/202401010000"


def test_written_names_only_files_a_killed_run_wrote(tmp_path):
    st = _load(_state_dir(tmp_path, json.dumps({"pending": {
        "E1": {"records": ["a"], "inode": [1, 2]},
        "E2": {"records": ["b"]}, "E3": "stem-of-an-old-version"}})))
    assert st.written() == {"a": "E1"}
    st.close()


def test_the_lock_file_is_0600_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        st = state.State(str(tmp_path / "state"))
        st.lock()
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "state" / state.LOCK_FILE).st_mode & 0o777 == 0o600
    st.close()


def test_a_state_missing_a_section_keeps_the_others(tmp_path):
    st = _load(_state_dir(tmp_path / "a", '{"harvested": {"k": {}}}'))
    assert st.data["harvested"] == {"k": {}} and st.data["pending"] == {}
    st.close()
    st = _load(_state_dir(tmp_path / "b", '{"pending": {"E1": {"stem": "s"}}}'))
    assert st.pending("E1") == {"stem": "s"} and st.data["harvested"] == {}
    st.close()


def test_a_fifo_at_the_state_file_does_not_stop_the_run(tmp_path):
    import threading
    path = _state_dir(tmp_path, "{}")
    fifo = os.path.join(path, state.STATE_FILE)
    os.unlink(fifo)
    os.mkfifo(fifo, 0o600)
    st = state.State(path)
    loader = threading.Thread(target=st.load, daemon=True)
    loader.start()
    loader.join(5)
    if loader.is_alive():                  # release it before failing
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert not loader.is_alive() and st.data["harvested"] == {}
    st.close()


def test_a_second_run_is_told_who_holds_the_lock(tmp_path):
    path = str(tmp_path / "state")
    first, second = state.State(path), state.State(path)
    first.lock()
    try:
        second.lock()
    except state.AlreadyRunning as exc:
        assert str(exc) == "another oops-harvest holds %s/lock" % path
    else:
        raise AssertionError("two runs held the lock")
    first.close()
    second.close()
