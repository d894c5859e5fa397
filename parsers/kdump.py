"""kdump's crash directories: what their names say and what their dmesg
holds (docs/kdump-facts.md has the savers' rules, with sources).

A crash saved by kdump is one directory under the dump directory
(``/var/crash``), named by the saver with the time of the save:

- kdump-tools (Debian, Ubuntu): ``YYYYMMDDHHMM`` for a local dump,
  ``<ip-or-host>-YYYYMMDDHHMM`` over the network; the log is
  ``dmesg.<STAMP>``, the dump ``dump.<STAMP>[.bz2|.gz|.lz4|.xz|.zst]``
  (``vmcore.<STAMP>`` when copied whole), written as ``dump-incomplete*``
  or ``vmcore-incomplete`` until done;
- kdump-utils and kexec-tools (Fedora, RHEL): ``<ip-or-host>-YYYY-MM-DD-
  HH:MM:SS`` with ``vmcore-dmesg.txt`` (``vmcore-dmesg-incomplete.txt``
  until done), ``vmcore`` or ``vmcore.flat`` (``vmcore-incomplete``) and
  ``kexec-dmesg.log`` (the capture kernel's own log, not the crash's);
  ``YYYY-MM-DD-HH:MM`` with a ``vmcore`` only, from kdumpctl's restore of
  a raw-partition dump.

The stamp is the capture kernel's local time, so it is read as local
time.  A name that matches a form but names a time no calendar has
(month 13) is refused, never normalised into another date.

The log is makedumpfile ``--dump-dmesg``'s or vmcore-dmesg's text:
``[    1.234567] text`` lines, makedumpfile adding ``[   T123] `` when the
kernel records callers; kernels before 3.5 give their raw buffer with
``<N>`` levels.  A file without one such line is not a kernel log.

Pure: names and bytes in, records out.  Finding and opening the
directories safely is ``harvester.sources.kdump``'s job.
"""

from __future__ import annotations

import time

from .exceptions import BadHeaderError, ParseError
from .patterns import lazy
from .records import Origin, Record

BACKEND = "kdump"
_HOST = r"(?P<host>[A-Za-z0-9][A-Za-z0-9._:-]{0,252}?)"
# (pattern, layout, stamp format): the first that matches names the layout.
_FORMS = (
    (lazy(r"(?P<stamp>(\d{4})(\d\d)(\d\d)(\d\d)(\d\d))\Z"), "kdump-tools"),
    (lazy(_HOST + r"-(?P<stamp>(\d{4})(\d\d)(\d\d)(\d\d)(\d\d))\Z"),
     "kdump-tools"),
    (lazy(_HOST + r"-(?P<stamp>(\d{4})-(\d\d)-(\d\d)-(\d\d):(\d\d):(\d\d))\Z"),
     "kdump-utils"),
    (lazy(r"(?P<stamp>(\d{4})-(\d\d)-(\d\d)-(\d\d):(\d\d))\Z"), "kdump-utils"),
)
DUMP_SUFFIXES = ("", ".gz", ".bz2", ".lz4", ".xz", ".zst")
# What a line of the crashed kernel's log starts with (see the docstring).
_LOG_LINE = lazy(rb"(?m)^(?:<\d{1,3}>)?(?:\[ *\d{1,10}\.\d{1,9}\]|<\d{1,3}>)")
# Timestamp and text of a line, without level and caller (for matching the
# same line in pstore's copy: "<0>[    5.781627] Kernel panic ...").
_STAMPED = lazy(r"(?:<\d{1,3}>)?\[ *(\d{1,10}\.\d{6})\] "
                r"(?:\[ *[TC]\d{1,10}\] )?(.*)")


class BadStampError(BadHeaderError):
    """A directory name of kdump's form that names no real time."""


class NotALogError(ParseError):
    """A dmesg file that holds no kernel log line (empty, zeros, binary)."""


class Stamp:
    """What a crash directory's name says."""

    __slots__ = ("name", "layout", "host", "text", "fields", "time_ns")

    def __init__(self, name, layout, host, text, fields, time_ns):
        self.name = name            # the directory's name
        self.layout = layout        # kdump-tools or kdump-utils
        self.host = host            # the network form's ip or host, or None
        self.text = text            # the stamp as written in the name
        self.fields = fields        # (year, month, day, hour, min, sec)
        self.time_ns = time_ns      # read as local time

    @property
    def digits(self):
        return int("".join(c for c in self.text if c.isdigit()))

    @property
    def apport_form(self):
        """Is this a directory apport's kernel_crashdump takes (a local
        kdump-tools dump: twelve digits, nothing else)?"""
        return self.layout == "kdump-tools" and self.host is None

    def files(self):
        """``(logs, unfinished logs, dumps, unfinished dumps)``: the names
        the saver gives this crash's log and dump, when done and while
        being written (kdump-tools writes its log under its final name)."""
        if self.layout == "kdump-tools":
            return (("dmesg." + self.text,), (),
                    tuple("dump.%s%s" % (self.text, s) for s in DUMP_SUFFIXES)
                    + ("vmcore." + self.text,),
                    tuple("dump-incomplete" + s for s in DUMP_SUFFIXES)
                    + ("vmcore-incomplete",))
        return (("vmcore-dmesg.txt",), ("vmcore-dmesg-incomplete.txt",),
                ("vmcore", "vmcore.flat"), ("vmcore-incomplete",))

    def other_files(self):
        """Files of the save that are neither log nor dump (listed in the
        report): kdump-utils' log of the capture kernel itself, never
        taken for the crashed kernel's."""
        return ("kexec-dmesg.log",) if self.layout == "kdump-utils" else ()


def parse_dir_name(name):
    """The Stamp of a crash directory's name; None for a name of no
    kdump form; BadStampError for a form whose time cannot exist."""
    for pattern, layout in _FORMS:
        match = pattern.match(name)
        if match is None:
            continue
        groups = match.groups()
        host = match.groupdict().get("host")
        start = 2 if host is not None else 1
        fields = [int(g) for g in groups[start:]]
        fields += [0] * (6 - len(fields))
        if not _real_time(fields):
            raise BadStampError(
                "%r has the form of a %s crash directory but names no real "
                "time (%04d-%02d-%02d %02d:%02d:%02d)"
                % ((name, layout) + tuple(fields)))
        return Stamp(name, layout, host, match.group("stamp"), tuple(fields),
                     _local_ns(fields))
    return None


def _real_time(fields):
    year, month, day, hour, minute, second = fields
    if not (1970 <= year <= 9999 and 1 <= month <= 12 and hour < 24
            and minute < 60 and second < 60):
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    return 1 <= day <= days[month - 1]


def _local_ns(fields):
    """Seconds since the epoch of a local time, or None where the platform
    cannot say (far years)."""
    try:
        return int(time.mktime(tuple(fields) + (0, 0, -1))) * 10**9
    except (OverflowError, ValueError):
        return None


class KdumpRecord(Record):
    """One crash kdump saved: its log, and what its directory holds."""

    def __init__(self, *args, directory=None, layout=None, log_file=None,
                 dump=None, files=None, key=None, foreign_report=None,
                 apport_form=False, log_missing=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.directory = directory      # the stamp directory's name
        self.layout = layout            # kdump-tools, kdump-utils
        self.log_file = log_file        # the file the log came from (or the dump)
        self.dump = dump                # (name, bytes, complete) of the dump
        self.files = files if files is not None else []     # (name, bytes) of the save
        self.key = key                  # identity in the state (harvester.sources.kdump)
        self.foreign_report = foreign_report    # apport's report of this crash, if found
        self.apport_form = apport_form  # a directory apport's kernel_crashdump reads
        self.log_missing = log_missing  # why there is no log, when there is none

    @property
    def name(self):
        return "%s/%s" % (self.directory, self.log_file or "(no log)")


def check_log(data, name="dmesg"):
    """Raise NotALogError unless ``data`` holds a kernel log line."""
    if not data:
        raise NotALogError("%s is empty" % name)
    if _LOG_LINE.search(data) is None:
        zeros = data.count(0)
        what = "only zero bytes" if zeros == len(data) else \
            "binary data (%d of %d bytes are zero)" % (zeros, len(data)) \
            if zeros else "no line of a kernel log"
        raise NotALogError("%s holds %s: no kernel log line" % (name, what))


def record(stamp, payload, log_file=None, source=None, reason="Panic"):
    """The KdumpRecord of one crash directory: ``payload`` is its log as
    read (b"" with ``log_file`` None when there is none)."""
    return KdumpRecord(
        BACKEND, "dmesg", stamp.digits, payload, reason=reason,
        time_ns=stamp.time_ns, directory=stamp.name, layout=stamp.layout,
        log_file=log_file, apport_form=stamp.apport_form,
        origin=Origin(path=source, name=stamp.name + (
            "/" + log_file if log_file else ""), length=len(payload)))


def stamped_lines(text):
    """``{(timestamp, text)}`` of a log's timestamped lines, level and
    caller removed: what two copies of one boot's log share."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    found = set()
    for line in text.splitlines():
        if "] " not in line[:40]:
            continue
        match = _STAMPED.match(line)
        if match:
            found.add((match.group(1), match.group(2).rstrip()))
    return found
