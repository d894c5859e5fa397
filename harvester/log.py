"""Messages to the systemd journal with structured fields, or to stderr.

Under systemd the messages go through systemd-python
(``systemd.journal.send``) with a MESSAGE_ID per kind of message, so that
admins can filter with ``journalctl MESSAGE_ID=...`` and read what each
means in the catalog (packaging/systemd/catalog/oops-harvest.catalog,
``journalctl -x``).  systemd-python is loaded only when there is something
to say and standard error is the journal's; without it the messages go
to standard error, which the journal captures too, without the fields.
Values from crash content are escaped and capped (R15) before they reach
any log.
"""

import os
import sys

from .text import one_line

# Made once with `systemd-id128 new`; each is described in the catalog.
MESSAGE_IDS = {
    "report": "8340387d94874d31ab5e76885ec72bb4",       # report written
    "archived": "078773bbb5004df18a3d6be91ac23bd2",     # dump archived, not reported
    "unreadable": "edfad5e6fb9449ddbc29896326443945",   # record/source left in place
    "write-failed": "e602ad527ecd474d88d9fc50ea6ce0d9",
    "clear-failed": "65a6becd378b418d977c796c35fe7096",
}
_PRIORITY = {"info": 6, "warning": 4, "error": 3}


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


def _journal():
    """systemd-python's journal module, or None where it is not installed."""
    try:
        from systemd import journal
    except ImportError:
        return None
    return journal


class Logger:
    def __init__(self, use_journal=None):
        # Looked up at the first message: a run with nothing to say loads
        # no library.
        self.journal = None
        self._want_journal = use_journal is not False and stderr_is_journal()
        # Standard error is the journal's: a message the library did not
        # take goes there whatever its level, only without its fields.
        self._stderr_is_journal = self._want_journal

    def __call__(self, kind, message, level="info", **fields):
        if self._want_journal:
            self._want_journal = False
            self.journal = _journal()
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
                pass            # not sent: this one to standard error
        if level != "info" or self._stderr_is_journal:
            sys.stderr.write("oops-harvest: %s: %s\n" % (level, message))
