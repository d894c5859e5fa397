"""Logging: journald's native protocol, checked on a real datagram socket
standing in for /run/systemd/journal/socket and read as journald reads it
(systemd.io/JOURNAL_NATIVE_PROTOCOL), and the stderr fallback."""

import os
import socket
import sys

import pytest

from harvester import cli, log


class FakeJournald:
    """A datagram socket at a path, parsed the way journald parses an
    entry: ``KEY=value`` lines, or ``KEY``, a little-endian u64 length,
    the value and a newline."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.setblocking(False)

    def entries(self):
        found = []
        while True:
            try:
                data = self.sock.recv(1 << 20)
            except BlockingIOError:
                return found
            found.append(self.parse(data))

    @staticmethod
    def parse(data):
        fields, at = {}, 0
        while at < len(data):
            end = data.index(b"\n", at)
            line = data[at:end]
            if b"=" in line:
                key, value = line.split(b"=", 1)
                at = end + 1
            else:
                key = line
                size = int.from_bytes(data[end + 1:end + 9], "little")
                value = data[end + 9:end + 9 + size]
                assert data[end + 9 + size:end + 10 + size] == b"\n"
                at = end + 10 + size
            assert key.isupper() or b"_" in key, key
            fields[key.decode()] = value.decode()
        return fields


def under_systemd(monkeypatch):
    """Standard error connected to the journal, as systemd says so."""
    st = os.fstat(2)
    monkeypatch.setenv("JOURNAL_STREAM", "%d:%d" % (st.st_dev, st.st_ino))


@pytest.fixture
def journald(tmp_path, monkeypatch):
    server = FakeJournald(tmp_path / "journal.socket")
    monkeypatch.setattr(log, "JOURNAL_SOCKET", server.path)
    under_systemd(monkeypatch)
    yield server
    server.sock.close()


def test_reports_are_logged_with_structured_fields(tmp_path, journald):
    image = "samples/ramoops-6.1-basic/raw/ramoops.bin"
    assert cli.main(["--collect", "--source", "ramoops:" + image,
                     "--output-dir", str(tmp_path / "out"),
                     "--state-dir", str(tmp_path / "state")]) == 0
    written = [m for m in journald.entries()
               if m["MESSAGE_ID"] == log.MESSAGE_IDS["report"]]
    assert len(written) == 2
    for msg in written:
        assert msg["REPORT"].startswith(str(tmp_path / "out"))
        assert msg["SIGNATURE"].startswith("kernel|")
        assert msg["BACKEND"] == "ramoops"
        assert msg["KERNEL_RELEASE"] == "6.1.0-56-amd64"
        assert msg["SYSLOG_IDENTIFIER"] == "oops-harvest"
        assert msg["PRIORITY"] == "6"
        assert msg["MESSAGE"].startswith("wrote ")


def test_log_values_are_escaped_and_capped(journald):
    logger = log.Logger()
    logger("unreadable", "\x1b]0;pwned\x07" + "A" * 10000, "warning",
           report="x\x9b31m\nline two")
    (msg,) = journald.entries()
    assert "\x1b" not in msg["MESSAGE"] and len(msg["MESSAGE"]) <= 300
    assert "\x9b" not in msg["REPORT"] and "\n" not in msg["REPORT"]
    assert msg["PRIORITY"] == "4"


def test_a_value_with_a_newline_takes_the_binary_form():
    data = log._field("MESSAGE", "two\nlines") + log._field("A", "b")
    assert data == b"MESSAGE\n\x09" + b"\0" * 7 + b"two\nlines\nA=b\n"
    assert FakeJournald.parse(data) == {"MESSAGE": "two\nlines", "A": "b"}


def test_without_journald_errors_go_to_stderr(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(log, "JOURNAL_SOCKET", str(tmp_path / "none"))
    under_systemd(monkeypatch)
    logger = log.Logger()
    logger("write-failed", "disk \x1b[2J full", "error")
    assert "disk \\x1b[2J full" in capsys.readouterr().err
    assert logger.journal is None


def test_stderr_fallback_without_journal(monkeypatch, capsys):
    logger = log.Logger(use_journal=False)
    logger("write-failed", "disk \x1b[2J full", "error")
    err = capsys.readouterr().err
    assert "disk \\x1b[2J full" in err


def test_no_journal_library_is_loaded(journald):
    """The protocol needs no library: systemd-python's libsystemd cost 1 ms
    at every boot that logs, socket.py 5 ms."""
    for name in ("systemd", "systemd.journal", "systemd._journal"):
        sys.modules.pop(name, None)
    log.Logger()("summary", "done")
    assert journald.entries()[0]["MESSAGE"] == "done"
    assert not any(name.startswith("systemd") for name in sys.modules)
    assert os.path.exists(journald.path)


@pytest.mark.parametrize("stream", [None, "", "1:2", "garbage"])
def test_not_under_systemd_messages_stay_on_stderr(journald, monkeypatch,
                                                   capsys, stream):
    """Only a standard error that $JOURNAL_STREAM names is the journal's: by
    hand, with output to a terminal, file or pipe, warnings go there."""
    if stream is None:
        monkeypatch.delenv("JOURNAL_STREAM")
    else:
        monkeypatch.setenv("JOURNAL_STREAM", stream)
    logger = log.Logger()
    logger("write-failed", "disk full", "error")
    assert journald.entries() == []
    assert "disk full" in capsys.readouterr().err


def test_a_full_journal_never_makes_the_run_wait(journald, capsys):
    """journald not reading (its queue full): what the socket does not take
    goes to standard error (the journal's stream), info too, instead of
    blocking the boot's harvest; the socket is tried again after."""
    import signal
    signal.signal(signal.SIGALRM, lambda *a: pytest.fail("blocked"))
    signal.alarm(20)
    try:
        logger = log.Logger()
        for number in range(2000):
            logger("report", "message %d" % number)
    finally:
        signal.alarm(0)
    sent = [m["MESSAGE"] for m in journald.entries()]
    err = capsys.readouterr().err
    on_stderr = [l.split(": ", 2)[2] for l in err.splitlines()]
    assert sent and on_stderr                    # the queue filled up
    assert sorted(sent + on_stderr) == sorted("message %d" % n
                                              for n in range(2000))
    assert logger.journal is not None
    logger("report", "after")
    assert journald.entries()[0]["MESSAGE"] == "after"


def test_without_journald_info_goes_to_the_journal_stream(tmp_path,
                                                          monkeypatch, capsys):
    """Standard error is the journal's but its socket is missing: every
    message reaches standard error."""
    monkeypatch.setattr(log, "JOURNAL_SOCKET", str(tmp_path / "none"))
    under_systemd(monkeypatch)
    log.Logger()("report", "wrote x.crash")
    assert "wrote x.crash" in capsys.readouterr().err
