import sys

import pytest

from harvester import cli, log

journal = pytest.importorskip("systemd._journal")


class FakeJournal:
    """Stands in for the C ``sendv`` the logger calls: what would reach the
    journal, as fields."""

    def __init__(self):
        self.sent = []

    def send(self, *items):
        assert all(isinstance(i, str) and "=" in i for i in items), items
        self.sent.append(dict(i.split("=", 1) for i in items))


def test_reports_are_logged_with_structured_fields(tmp_path, monkeypatch):
    fake = FakeJournal()
    monkeypatch.setattr(journal, "sendv", fake.send)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    image = "samples/ramoops-6.1-basic/raw/ramoops.bin"
    assert cli.main(["--collect", "--source", "ramoops:" + image,
                     "--output-dir", str(tmp_path / "out"),
                     "--state-dir", str(tmp_path / "state")]) == 0
    written = [m for m in fake.sent
               if m["MESSAGE_ID"] == log.MESSAGE_IDS["report"]]
    assert len(written) == 2
    for msg in written:
        assert msg["REPORT"].startswith(str(tmp_path / "out"))
        assert msg["SIGNATURE"].startswith("kernel:")
        assert msg["BACKEND"] == "ramoops"
        assert msg["KERNEL_RELEASE"] == "6.1.0-56-amd64"
        assert msg["SYSLOG_IDENTIFIER"] == "oops-harvest"


def test_log_values_are_escaped_and_capped(monkeypatch):
    fake = FakeJournal()
    monkeypatch.setattr(journal, "sendv", fake.send)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    logger = log.Logger()
    logger("unreadable", "\x1b]0;pwned\x07" + "A" * 10000, "warning",
           report="x\x9b31m")
    (msg,) = fake.sent
    assert "\x1b" not in msg["MESSAGE"] and len(msg["MESSAGE"]) <= 300
    assert "\x9b" not in msg["REPORT"]


def test_stderr_fallback_without_journal(monkeypatch, capsys):
    logger = log.Logger(use_journal=False)
    logger("write-failed", "disk \x1b[2J full", "error")
    err = capsys.readouterr().err
    assert "disk \\x1b[2J full" in err


def test_the_journal_module_is_not_loaded(tmp_path, monkeypatch):
    """The C call only: systemd.journal would load logging, uuid and
    traceback at every boot with something to say (issue 12)."""
    fake = FakeJournal()
    monkeypatch.setattr(journal, "sendv", fake.send)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    monkeypatch.delitem(sys.modules, "systemd.journal", raising=False)
    log.Logger()("summary", "done")
    assert fake.sent[0]["MESSAGE"] == "done"
    assert "systemd.journal" not in sys.modules
