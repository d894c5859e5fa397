"""Logging to the systemd journal with structured fields, or to stderr.

Each message kind has a fixed MESSAGE_ID so admins can filter with
``journalctl MESSAGE_ID=...``.  Values from crash content are escaped and
capped (R15) before they reach any log.
"""

import os
import sys

from .text import one_line

MESSAGE_IDS = {
    "report": "5c2fd0b1e8a54a7c9f0e4f1b3b0d1a01",      # report written
    "archived": "5c2fd0b1e8a54a7c9f0e4f1b3b0d1a02",    # dump archived, not reported
    "unreadable": "5c2fd0b1e8a54a7c9f0e4f1b3b0d1a03",  # record/source left in place
    "write-failed": "5c2fd0b1e8a54a7c9f0e4f1b3b0d1a04",
    "clear-failed": "5c2fd0b1e8a54a7c9f0e4f1b3b0d1a05",
    "summary": "5c2fd0b1e8a54a7c9f0e4f1b3b0d1a06",
}
_PRIORITY = {"info": 6, "warning": 4, "error": 3}


JOURNAL_SOCKET = "/run/systemd/journal/socket"


class _Journal:
    """journald's native protocol, which systemd documents for clients
    that do without libsystemd (systemd.io/JOURNAL_NATIVE_PROTOCOL): one
    datagram per entry, one ``KEY=value`` line per field, a value holding
    a newline sent as the key, its little-endian 64-bit length and itself.
    What sd_journal_sendv sends; systemd-python would load libsystemd, 1 ms
    at every boot that has something to say, and needs a compiler to
    install from PyPI."""

    def __init__(self, path):
        try:
            import _socket      # socket.py builds its enums: 5 ms at boot
        except ImportError:
            import socket as _socket
        self.path = path
        self.sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_DGRAM)
        # A journal that cannot take a message at once (its queue full)
        # gets none: the boot's harvest never waits for it.
        self.sock.setblocking(False)

    def send(self, message, **fields):
        self.sock.sendto(b"".join(
            _field(key, value) for key, value in
            [("MESSAGE", message)] + list(fields.items())), self.path)


def _field(key, value):
    key, value = key.encode("ascii"), value.encode("utf-8", "replace")
    if b"\n" not in value:
        return b"%s=%s\n" % (key, value)
    return b"%s\n%s%s\n" % (key, len(value).to_bytes(8, "little"), value)


def _open_journal():
    try:
        return _Journal(JOURNAL_SOCKET)
    except OSError:
        return None


def stderr_is_journal():
    """Whether systemd connected standard error to the journal, told the
    way systemd documents: $JOURNAL_STREAM names that stream's device and
    inode.  Then messages go to the journal with their fields; otherwise
    (a terminal, a file, a pipe) warnings and errors go to standard error."""
    stream = os.environ.get("JOURNAL_STREAM", "")
    try:
        st = os.fstat(2)
    except OSError:
        return False
    return stream == "%d:%d" % (st.st_dev, st.st_ino)


class Logger:
    def __init__(self, use_journal=None):
        # Opened at the first message: a run with nothing to say opens
        # no socket.
        self.journal = None
        self._want_journal = use_journal is not False and stderr_is_journal()
        # Standard error is the journal's: a message the socket did not
        # take goes there whatever its level, only without its fields.
        self._stderr_is_journal = self._want_journal

    def __call__(self, kind, message, level="info", **fields):
        if self._want_journal:
            self._want_journal = False
            self.journal = _open_journal()
        message = one_line(message, 300)
        clean = {k.upper(): one_line(str(v), 200) for k, v in fields.items()
                 if v is not None}
        if self.journal is not None:
            try:
                self.journal.send(message, MESSAGE_ID=MESSAGE_IDS[kind],
                                  PRIORITY=str(_PRIORITY[level]),
                                  SYSLOG_IDENTIFIER="oops-harvest", **clean)
                return
            except BlockingIOError:
                pass            # journald busy: this one to stderr
            except OSError:     # no journald
                self.journal = None
        if level != "info" or self._stderr_is_journal:
            sys.stderr.write("oops-harvest: %s: %s\n" % (level, message))
