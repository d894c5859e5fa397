"""Logging: structured entries through systemd-python's journal.send when
standard error is the journal's, standard error otherwise or without the
library; one catalog entry per MESSAGE_ID.

Most tests put a stand-in for ``systemd.journal`` into sys.modules that
records what it is sent, with the real send()'s signature; one runs the
real library against a socket bound where journald's is, in a private
mount namespace, and reads its datagrams as journald does
(systemd.io/JOURNAL_NATIVE_PROTOCOL)."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import types
import uuid

import pytest

from harvester import cli, log

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
CATALOG = os.path.join(ROOT, "packaging", "systemd", "catalog",
                       "oops-harvest.catalog")
IMAGE = os.path.join(ROOT, "samples", "ramoops-6.1-basic", "raw",
                     "ramoops.bin")


class FakeJournalModule(types.ModuleType):
    """systemd.journal as far as harvester.log uses it."""

    def __init__(self):
        super().__init__("systemd.journal")
        self.sent = []
        self.error = None

    def send(self, MESSAGE, MESSAGE_ID=None, CODE_FILE=None, CODE_LINE=None,
             CODE_FUNC=None, **kwargs):
        if self.error:
            raise self.error
        for key, value in kwargs.items():
            assert key.isupper() and isinstance(value, (str, bytes)), key
        self.sent.append(dict(kwargs, MESSAGE=MESSAGE, MESSAGE_ID=MESSAGE_ID))


def under_systemd(monkeypatch):
    """Standard error connected to the journal, as systemd says so."""
    st = os.fstat(2)
    monkeypatch.setenv("JOURNAL_STREAM", "%d:%d" % (st.st_dev, st.st_ino))


@pytest.fixture
def journal(monkeypatch):
    fake = FakeJournalModule()
    package = types.ModuleType("systemd")
    package.__path__ = []
    package.journal = fake
    monkeypatch.setitem(sys.modules, "systemd", package)
    monkeypatch.setitem(sys.modules, "systemd.journal", fake)
    under_systemd(monkeypatch)
    return fake


def test_reports_are_logged_with_structured_fields(tmp_path, journal):
    assert cli.main(["--collect", "--source", "ramoops:" + IMAGE,
                     "--output-dir", str(tmp_path / "out"),
                     "--state-dir", str(tmp_path / "state")]) == 0
    written = [m for m in journal.sent
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


def test_log_values_are_escaped_and_capped(journal):
    logger = log.Logger()
    logger("unreadable", "\x1b]0;pwned\x07" + "A" * 10000, "warning",
           report="x\x9b31m\nline two")
    (msg,) = journal.sent
    assert "\x1b" not in msg["MESSAGE"] and len(msg["MESSAGE"]) <= 300
    assert "\x9b" not in msg["REPORT"] and "\n" not in msg["REPORT"]
    assert msg["PRIORITY"] == "4"
    assert msg["MESSAGE_ID"] == log.MESSAGE_IDS["unreadable"]


def test_the_library_is_loaded_only_when_there_is_something_to_say(
        tmp_path, journal, monkeypatch):
    loaded = []
    real = log._journal
    monkeypatch.setattr(log, "_journal", lambda: loaded.append(1) or real())
    os.mkdir(tmp_path / "pstore")
    assert cli.main(["--collect", "--source", "pstore:%s" % (tmp_path / "pstore"),
                     "--output-dir", str(tmp_path / "out"),
                     "--state-dir", str(tmp_path / "state")]) == 0
    assert loaded == [] and journal.sent == []
    logger = log.Logger()
    logger("report", "one")
    logger("report", "two")
    assert loaded == [1] and len(journal.sent) == 2


def test_without_systemd_python_messages_go_to_stderr(monkeypatch, capsys):
    """The library missing: standard error, the journal's stream, gets
    every message, info too, escaped."""
    monkeypatch.setitem(sys.modules, "systemd", None)     # import fails
    under_systemd(monkeypatch)
    logger = log.Logger()
    logger("report", "wrote x.crash")
    logger("write-failed", "disk \x1b[2J full", "error")
    err = capsys.readouterr().err
    assert "oops-harvest: info: wrote x.crash" in err
    assert "disk \\x1b[2J full" in err
    assert logger.journal is None


def test_a_message_the_library_cannot_send_goes_to_stderr(journal, capsys):
    journal.error = OSError(105, "No buffer space available")
    logger = log.Logger()
    logger("report", "wrote y.crash")
    assert "wrote y.crash" in capsys.readouterr().err
    journal.error = None
    logger("report", "after")
    assert [m["MESSAGE"] for m in journal.sent] == ["after"]


def test_stderr_fallback_without_journal(journal, capsys):
    logger = log.Logger(use_journal=False)
    logger("write-failed", "disk \x1b[2J full", "error")
    logger("report", "quiet")
    err = capsys.readouterr().err
    assert "disk \\x1b[2J full" in err and "quiet" not in err
    assert journal.sent == []


@pytest.mark.parametrize("stream", [None, "", "1:2", "garbage"])
def test_not_under_systemd_messages_stay_on_stderr(journal, monkeypatch,
                                                   capsys, stream):
    """Only a standard error that $JOURNAL_STREAM names is the journal's: by
    hand, with output to a terminal, file or pipe, warnings go there."""
    if stream is None:
        monkeypatch.delenv("JOURNAL_STREAM")
    else:
        monkeypatch.setenv("JOURNAL_STREAM", stream)
    logger = log.Logger()
    logger("write-failed", "disk full", "error")
    assert journal.sent == []
    assert "disk full" in capsys.readouterr().err


# --- the real library ---------------------------------------------------

def _parse_native(data):
    """One datagram of journald's native protocol: ``KEY=value`` lines, or
    ``KEY``, a little-endian u64 length, the value and a newline."""
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
        fields[key.decode()] = value.decode()
    return fields


CHILD = """
import json, os, socket, sys
os.makedirs("/run/systemd/journal", exist_ok=True)
server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
server.bind("/run/systemd/journal/socket")
st = os.fstat(2)
os.environ["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
from harvester import log
logger = log.Logger()
logger("report", "wrote a.crash: BUG in x", REPORT="/var/crash/a.crash",
       SIGNATURE="kernel:bug:x", KERNEL_RELEASE="6.1.0-56-amd64")
logger("write-failed", "disk full", "error")
server.setblocking(False)
sent = []
while True:
    try:
        sent.append(server.recv(1 << 16).hex())
    except BlockingIOError:
        break
print(json.dumps(sent))
"""


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                    reason="needs root and unshare for a private /run")
def test_the_real_library_sends_the_fields():
    pytest.importorskip("systemd.journal")
    run = subprocess.run(
        ["unshare", "-m", "sh", "-c",
         'mount -t tmpfs none /run && exec "$0" -c "$1"', sys.executable,
         CHILD], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env=dict(os.environ, PYTHONPATH=ROOT))
    assert run.returncode == 0, run.stderr
    sent = [_parse_native(bytes.fromhex(d))
            for d in json.loads(run.stdout.splitlines()[-1])]
    assert len(sent) == 2, run.stderr
    assert sent[0]["MESSAGE"] == "wrote a.crash: BUG in x"
    assert sent[0]["MESSAGE_ID"] == log.MESSAGE_IDS["report"]
    assert sent[0]["REPORT"] == "/var/crash/a.crash"
    assert sent[0]["SIGNATURE"] == "kernel:bug:x"
    assert sent[0]["PRIORITY"] == "6"
    assert sent[0]["SYSLOG_IDENTIFIER"] == "oops-harvest"
    assert sent[1]["MESSAGE_ID"] == log.MESSAGE_IDS["write-failed"]
    assert sent[1]["PRIORITY"] == "3"
    assert "disk full" not in run.stderr        # it reached the journal


# --- the catalog ----------------------------------------------------------

def _catalog():
    """{id: (header lines, body)} of the catalog file."""
    with open(CATALOG) as f:
        text = f.read()
    entries = {}
    for block in re.split(r"^-- ", text, flags=re.M)[1:]:
        head, _, body = block.partition("\n\n")
        lines = head.splitlines()
        assert lines[0] not in entries, "two entries for %s" % lines[0]
        entries[lines[0].strip()] = (lines[1:], body)
    return entries


def test_message_ids_are_random_128_bit_ids():
    ids = list(log.MESSAGE_IDS.values())
    assert len(set(ids)) == len(ids)
    for one in ids:
        assert re.fullmatch(r"[0-9a-f]{32}", one), one
        # What `systemd-id128 new` makes: a random (version 4) UUID.
        assert uuid.UUID(one).version == 4, one
    # Not a counter: no two share their first half.
    assert len({one[:16] for one in ids}) == len(ids)


def test_the_catalog_has_one_entry_per_message_id():
    entries = _catalog()
    assert sorted(entries) == sorted(log.MESSAGE_IDS.values())
    for one, (headers, body) in entries.items():
        names = [h.split(":", 1)[0] for h in headers]
        for name in ("Subject", "Defined-By", "Support"):
            assert names.count(name) == 1, (one, name)
        assert "Defined-By: oops-harvest" in headers
        assert len(body.split()) > 30, one          # says what to do


@pytest.mark.skipif(not shutil.which("journalctl"), reason="no journalctl")
def test_journalctl_reads_the_catalog(tmp_path):
    """systemd's own parser builds its database from the file."""
    catalog_dir = tmp_path / "usr" / "lib" / "systemd" / "catalog"
    catalog_dir.mkdir(parents=True)
    (tmp_path / "var" / "lib" / "systemd" / "catalog").mkdir(parents=True)
    shutil.copy(CATALOG, catalog_dir)
    subprocess.run(["journalctl", "--root", str(tmp_path), "--update-catalog"],
                   check=True, capture_output=True)
    listed = subprocess.run(["journalctl", "--root", str(tmp_path),
                             "--list-catalog"], check=True,
                            capture_output=True, text=True).stdout
    found = {line.split()[0] for line in listed.splitlines() if line.strip()}
    assert found == set(log.MESSAGE_IDS.values())
