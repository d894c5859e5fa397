"""Logging to the systemd journal with structured fields, or to stderr.

Each message kind has a fixed MESSAGE_ID so admins can filter with
``journalctl MESSAGE_ID=...``.  Values from crash content are escaped and
capped (R15) before they reach any log.
"""

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


class _Journal:
    """systemd-python's ``sendv``, the C call that ``systemd.journal.send``
    ends in: importing ``systemd.journal`` itself loads logging, uuid and
    traceback, about 8 ms at every boot that has something to say."""

    def __init__(self, sendv):
        self.sendv = sendv

    def send(self, message, **fields):
        self.sendv("MESSAGE=" + message,
                   *("%s=%s" % item for item in fields.items()))


def _open_journal():
    try:
        from systemd._journal import sendv
    except ImportError:
        try:                            # should the private module move
            from systemd.journal import sendv
        except ImportError:
            return None
    return _Journal(sendv)


class Logger:
    def __init__(self, use_journal=None):
        # Opened at the first message: a run with nothing to say does
        # not pay for loading the journal module.
        self.journal = None
        self._want_journal = use_journal is not False and not sys.stderr.isatty()

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
            except OSError:
                self.journal = None
        if level != "info":
            sys.stderr.write("oops-harvest: %s: %s\n" % (level, message))
