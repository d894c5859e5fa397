"""What has been harvested, kept across runs, and the run lock.

Backends that are not cleared (raw images, copies, disabled clearing) are
recognised by record fingerprints.  A report is announced as *pending*
before it is linked into place and marked *done* after: a run killed in
between finds its own file on the next run instead of writing the crash
twice.  The pending entry names the event's records (fingerprints), the
temporary file, and once it is written its inode: the next run takes a
file at one of the report's names as ours only if it is that inode (link
counts prove nothing, anyone may hard-link it), and only for the very same
records (after a reboot the console is another one, and needs its own
report).  ``kept`` names the records that were reported but did not fit
their report (max_report_bytes): they stay in their backend, and are
never reported again.  ``reports`` lists the reports written that may still wait in the
output directory (what max_reports_in_output_dir counts).  Lives in a
root-only directory (R14).
"""

import fcntl
import os

from . import statejson, storage

STATE_FILE = "state.json"
LOCK_FILE = "lock"


def fingerprint(record):
    """Stable identity of one stored record: where it says it is from plus
    a hash of its payload (a reused zone with new content is new).  Kept
    on the record with the payload it hashed: a run asks twice a record."""
    own = record.__dict__.get("key")
    if own:                      # a kdump crash: its directory (sources/kdump)
        return own
    identity = (record.backend, record.type, record.id, record.time_ns)
    known = record.__dict__.get("_fingerprint")
    if known and known[0] is record.payload and known[1] == identity:
        return known[2]
    from .digest import sha256
    digest = sha256(record.payload).hexdigest()[:32]
    backend = "efi" if record.backend.startswith("efi") else record.backend
    found = "%s:%s:%s:%s:%s" % (backend, record.type, record.id,
                                record.time_ns, digest)
    record._fingerprint = (record.payload, identity, found)
    return found


def record_set(records):
    """What a report holds, comparable across runs."""
    return sorted(fingerprint(r) for r in records)


def read_harvested(path):
    """Fingerprints already harvested, for --list; never creates or locks
    anything, and an unreadable state just means "unknown" (empty)."""
    try:
        fd = os.open(os.path.join(path, STATE_FILE), os.O_RDONLY |
                     os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return set()
    try:
        data = statejson.loads(os.read(fd, 64 << 20).decode("utf-8"))
        return set(data.get("harvested", {})) | set(data.get("kept", {}))
    except (ValueError, AttributeError, TypeError, OSError, RecursionError):
        return set()
    finally:
        os.close(fd)


class Snapshot:
    """The state as a dry run sees it: read if readable, never created,
    locked or written (an unreadable one means nothing is known)."""

    def __init__(self, path):
        self.known = read_harvested(path)

    def harvested(self, record):
        return fingerprint(record) in self.known

    reported = harvested

    def seen(self, key):
        return key in self.known


class AlreadyRunning(Exception):
    pass


class SaveFailed(OSError):
    """The state could not be saved (not the report: its file is fine)."""


class State:
    def __init__(self, path):
        self.path = path
        self.fd = storage.open_dir(path, create_mode=0o700, private=True)
        self._lock_fd = None
        self.data = {"harvested": {}, "kept": {}, "pending": {},
                     "reports": []}

    def lock(self):
        fd = os.open(LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW |
                     os.O_CLOEXEC, 0o600, dir_fd=self.fd)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise AlreadyRunning("another oops-harvest holds %s/%s"
                                 % (self.path, LOCK_FILE)) from None
        self._lock_fd = fd

    def load(self):
        try:
            fd = os.open(STATE_FILE, os.O_RDONLY | os.O_NOFOLLOW |
                         os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=self.fd)
        except FileNotFoundError:
            return
        try:
            raw = os.read(fd, 64 << 20)
        finally:
            os.close(fd)
        try:
            data = statejson.loads(raw.decode("utf-8"))
            self.data["harvested"] = dict(data.get("harvested", {}))
            self.data["kept"] = dict(data.get("kept", {}))
            self.data["pending"] = {
                event: entry if isinstance(entry, dict) else {"stem": entry}
                for event, entry in dict(data.get("pending", {})).items()}
            reports = data.get("reports")
            if reports is None:       # a state written before issue 13
                reports = sorted({v.get("report") for v in
                                  self.data["harvested"].values()
                                  if isinstance(v, dict)} - {None})
                reports = [n for n in reports if isinstance(n, str)
                           and not n.startswith("archive-")]
            self.data["reports"] = [n for n in reports if isinstance(n, str)]
        except (ValueError, AttributeError, TypeError, RecursionError):
            # A torn or foreign file: start afresh rather than stop harvesting.
            pass
        storage.remove_stale_temps(self.fd)

    def save(self):
        try:
            storage.replace_private(self.fd, STATE_FILE,
                                    statejson.dumps(self.data).encode())
        except OSError as exc:
            raise SaveFailed(exc.errno, "cannot save the state %s/%s: %s" % (
                self.path, STATE_FILE, exc.strerror or exc)) from None

    def harvested(self, record):
        """In a report or archive: it may leave its backend."""
        return fingerprint(record) in self.data["harvested"]

    def reported(self, record):
        """Harvested, or kept in place after its event was reported."""
        key = fingerprint(record)
        return key in self.data["harvested"] or key in self.data["kept"]

    def seen(self, key):
        """Is a record with this fingerprint reported (for sources that
        skip those unread)?"""
        return key in self.data["harvested"] or key in self.data["kept"]

    def pending(self, event_id):
        """The pending entry of an event: {"stem", "records", "temp",
        "fitted", "inode"} (only "stem" in a state of an older version)."""
        return self.data["pending"].get(event_id)

    def pending_temps(self):
        return [e["temp"] for e in self.data["pending"].values()
                if isinstance(e.get("temp"), str)]

    def set_pending(self, event_id, stem, records, temp, fitted=None):
        """``fitted``: how many of ``records`` the report holds."""
        self.data["pending"][event_id] = {
            "stem": stem, "records": record_set(records), "temp": temp,
            "fitted": len(records) if fitted is None else fitted}
        self.save()

    def set_pending_inode(self, event_id, identity):
        self.data["pending"][event_id]["inode"] = identity
        self.save()

    def mark_done(self, event_id, records, report, in_output=True, kept=()):
        """``records`` are in ``report``; ``kept`` were reported with them
        but are not in it (they stay in their backend)."""
        for rec in records:
            self.data["harvested"][fingerprint(rec)] = {
                "event": event_id, "report": report}
        for rec in kept:
            self.data["kept"][fingerprint(rec)] = {
                "event": event_id, "report": report}
        self.data["pending"].pop(event_id, None)
        if in_output:
            self.add_report(report)
        self.save()

    def reports(self):
        return list(self.data["reports"])

    def add_report(self, name):
        if name not in self.data["reports"]:
            self.data["reports"].append(name)

    def keep_reports(self, names):
        """Forget the reports that are no longer in the output directory."""
        self.data["reports"] = list(names)

    def close(self):
        if self._lock_fd is not None:
            storage.close_dir(self._lock_fd)
        storage.close_dir(self.fd)
