"""kdump crashes as events, and the one crash that pstore and kdump both
hold.

Each crash directory kdump saved is one event (``KdumpEvent``): one
crash, one report.  Normally a panic never reaches pstore when kdump is
loaded (panic() kexecs before it dumps), but with
``crash_kexec_post_notifiers=1`` it writes its pstore dump first, so the
same crash is in both.  That pstore dump joins the kdump crash: one
event, whose report holds the pstore records and the kdump log.

They are matched by what both copies of the log share: the panic line
with its timestamp (``[    5.781627] Kernel panic - not syncing: ...``,
level and caller left aside; a kernel panics once per boot, and the
timestamp is the boot's clock to the microsecond), and the kernel
release when both name one.  An earlier dump of that boot (an oops the
kernel survived) holds no panic line and stays a crash of its own.
"""

from .events import Event, family


class KdumpEvent(Event):
    """A kdump crash (``kdump``, a KdumpRecord) with the pstore dump of the
    same crash (``pstore``, an Event) when there is one.  Its records are
    the kdump record, then the pstore dump's: the newest record, which
    says where the crash's console belongs, is pstore's."""

    def __init__(self, kdump, pstore=None):
        records = [kdump] + (list(pstore.records) if pstore else [])
        super().__init__(records, list(pstore.problems) if pstore else [])
        self.kdump = kdump
        self.pstore = pstore

    @property
    def time_ns(self):
        """The pstore dump's time (the crash's, to the second), else the
        time kdump's directory is named after."""
        return (self.pstore and self.pstore.time_ns) or self.kdump.time_ns

    @property
    def reason(self):
        return (self.pstore and self.pstore.reason) or self.kdump.reason

    def _make_id(self):
        # Two saves may share a stamp (two hosts' in one NFS directory):
        # the directory's identity keeps their events apart.
        from hashlib import sha1
        return "E" + sha1(("%s|%s" % (Event._make_id(self), self.kdump.key or
                                      self.kdump.directory)).encode()
                          ).hexdigest()[:10]

    def log(self):
        """The crash's log: kdump's, which holds the whole boot, else the
        pstore dump's (kdump's could not be read)."""
        if self.kdump.payload or self.pstore is None:
            return self.kdump.payload
        return self.pstore.log()

    def pstore_log(self):
        return self.pstore.log() if self.pstore else b""


def join_kdump(events):
    """``events`` with every kdump record as a KdumpEvent, joined with the
    pstore dump of the same crash, if any; newest last."""
    kdumps = [e for e in events if e.backend == "kdump"]
    if not kdumps:
        return events
    others = [e for e in events if e.backend != "kdump"]
    taken, joined = set(), []
    for ev in kdumps:
        partner = same_crash(ev.newest, [o for o in others
                                         if id(o) not in taken])
        if partner is not None:
            taken.add(id(partner))
        joined.append(KdumpEvent(ev.newest, partner))
    result = [e for e in others if id(e) not in taken] + joined
    result.sort(key=lambda e: (e.time_ns or 0, e.id))
    return result


PANIC = "Kernel panic - not syncing"


def same_crash(kdump, events):
    """The pstore dump among ``events`` that holds ``kdump``'s crash: its
    panic line, timestamp and text, is in kdump's log, and the release
    is the same where both name one."""
    from parsers.kdump import stamped_lines
    if not kdump.payload or PANIC.encode() not in kdump.payload:
        return None
    panics = {line for line in stamped_lines(kdump.payload)
              if line[1].startswith(PANIC)}
    release = None
    for ev in events:
        if ev.type != "dmesg" or family(ev.backend) == "kdump" or \
                ev.reason not in (None, "Panic"):
            continue
        log = ev.log()
        if PANIC.encode() not in log:
            continue
        if not any(line in panics for line in stamped_lines(log)
                   if line[1].startswith(PANIC)):
            continue
        from .crash.analysis import analyse
        if release is None:
            release = analyse(kdump.payload, "Panic").release or ""
        theirs = analyse(log, "Panic").release
        if release and theirs and release != theirs:
            continue
        return ev
    return None
