"""What has been harvested, kept across runs, and the run lock.

Backends that are not cleared (raw images, copies, disabled clearing) are
recognised by record fingerprints (a record's twins in other sources are
marked with it).  A run's files are written as one batch
(collector/write.py): each is announced as *pending* with its temp name,
then given its records, how many it holds (``fitted``) and its inode,
then marked *done*: three saves per run, not per report.  A run killed
in between finds its own files on the next run instead of writing a
crash twice: a file at one of a report's names is ours only if it is
that inode (link counts prove nothing, anyone may hard-link it), and
only for the very same records (after a reboot the console is another
one, and needs its own report).  ``kept`` names the records that were
reported but did not fit their report (max_report_bytes): they are
archived next.  ``reports`` lists the reports written that may still
wait in the output directory (what max_reports_in_output_dir counts).
``first`` names the entries of the dump the last run held back for the
budget (read first by the next run).  Harvested records in no source
are forgotten after RETENTION_SECONDS.  Lives in a
root-only directory (R14).
"""

import fcntl
import json
import os
import time

from . import storage

STATE_FILE = "state.json"
LOCK_FILE = "lock"
# A harvested record gone from every source is forgotten after this long.
RETENTION_SECONDS = 90 * 86400


def _entry_time(entry):
    value = entry.get("time") if isinstance(entry, dict) else None
    return value if isinstance(value, (int, float)) else 0


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
    from hashlib import sha256
    digest = sha256(record.payload).hexdigest()[:32]
    backend = "efi" if record.backend.startswith("efi") else record.backend
    found = "%s:%s:%s:%s:%s" % (backend, record.type, record.id,
                                record.time_ns, digest)
    record._fingerprint = (record.payload, identity, found)
    return found


def record_set(records):
    """What a report holds, comparable across runs."""
    return sorted(fingerprint(r) for r in records)


def keys(record):
    """The fingerprints of a record and of its twins in other sources
    (inventory._merge_twins): all of them are marked together."""
    return [fingerprint(record)] + [fingerprint(t) for t in
                                    record.__dict__.get("twins", ())]


def read_harvested(path):
    """Fingerprints already harvested, for --list; never creates or locks
    anything, and an unreadable state just means "unknown" (empty)."""
    try:
        fd = os.open(os.path.join(path, STATE_FILE), os.O_RDONLY |
                     os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return set()
    try:
        data = json.loads(os.read(fd, 64 << 20).decode("utf-8"))
        return set(data.get("harvested", {}))
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
        return any(key in self.known for key in keys(record))

    reported = harvested

    def first(self):
        return {}

    def written(self):
        return {}

    def pending(self, event_id):
        return None

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
        # A killed run's temp files go, whether or not it saved a state.
        storage.remove_stale_temps(self.fd)
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
            data = json.loads(raw.decode("utf-8"))
            # Keys of a newer version are kept as they are.
            self.data.update((k, v) for k, v in dict(data).items()
                             if k not in self.data)
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

    def save(self):
        try:
            storage.replace_private(self.fd, STATE_FILE,
                                    json.dumps(self.data, sort_keys=True).encode())
        except OSError as exc:
            raise SaveFailed(exc.errno, "cannot save the state %s/%s: %s" % (
                self.path, STATE_FILE, exc.strerror or exc)) from None

    def harvested(self, record):
        """In a report or archive: it may leave its backend."""
        harvested = self.data["harvested"]
        return any(key in harvested for key in keys(record))

    def reported(self, record):
        """Harvested, or left out of its event's report (max_report_bytes)
        and still to be archived."""
        harvested, kept = self.data["harvested"], self.data["kept"]
        return any(key in harvested or key in kept for key in keys(record))

    def first(self):
        """``{source: [entry names]}``: the dump an earlier run held back
        for the budget, read first by the next run."""
        first = self.data.get("first")
        if not isinstance(first, dict):
            return {}
        return {k: set(v) for k, v in first.items() if isinstance(v, list)}

    def set_first(self, names):
        self.data["first"] = names

    def seen(self, key):
        """Is a record with this fingerprint reported (for sources that
        skip those unread)?"""
        return key in self.data["harvested"] or key in self.data["kept"]

    def pending(self, event_id):
        """The pending entry of an event: {"stem", "records", "temp",
        "fitted", "inode"} (only "stem" in a state of an older version)."""
        return self.data["pending"].get(event_id)

    def written(self):
        """``{fingerprint: event id}`` of the files a killed run wrote but
        never recorded (pending entries with the temp file's inode): their
        records go where that run put them (collector/recover.py finishes
        the file), never into a second one."""
        homes = {}
        for event_id, entry in self.data["pending"].items():
            if isinstance(entry, dict) and "inode" in entry:
                for key in entry.get("records") or ():
                    homes[key] = event_id
        return homes

    def pending_temps(self):
        """``[(place, temp name)]`` of the pending entries ("out": the
        output directory, "state": this one); a name temp_name() could
        not have made is ignored."""
        return [(e.get("place", "out"), e["temp"])
                for e in self.data["pending"].values()
                if isinstance(e, dict) and storage.is_temp_name(e.get("temp"))]

    def announce(self, event_id, temp, place):
        """Step 1 of a batch (collector/write.py): the temp name a file
        will be written under, before it exists."""
        self.data["pending"][event_id] = {"temp": temp, "place": place}

    def set_pending(self, event_id, stem, records, temp, fitted, inode,
                    place):
        """Step 3: ``fitted``: how many of ``records`` the file holds;
        ``inode``: the written temp file's identity."""
        entry = {"stem": stem, "records": record_set(records), "temp": temp,
                 "fitted": len(records) if fitted is None else fitted,
                 "place": place}
        if inode is not None:
            entry["inode"] = inode
        self.data["pending"][event_id] = entry

    def mark_done(self, event_id, records, report, in_output, kept=(),
                  save=True):
        """``records`` are in ``report``; ``kept`` were reported with them
        but are not in it (archived next).  Saved unless ``save`` is off
        (a batch saves once for all)."""
        now = int(time.time())
        for rec in records:
            for key in keys(rec):
                self.data["harvested"][key] = {
                    "event": event_id, "report": report, "time": now}
                self.data["kept"].pop(key, None)
        for rec in kept:
            for key in keys(rec):
                self.data["kept"][key] = {"event": event_id,
                                          "report": report}
        self.data["pending"].pop(event_id, None)
        if in_output:
            self.add_report(report)
        if save:
            self.save()

    def prune(self, seen, now=None):
        """Forget harvested records that are in no source any more (not
        in ``seen``, the fingerprints of everything this run read) and
        were harvested more than RETENTION_SECONDS ago: they cannot come
        back, and the state stays the size of what the sources hold plus
        the retention period's crashes.  True if anything went."""
        now = time.time() if now is None else now
        harvested = self.data["harvested"]
        old = [key for key, entry in harvested.items() if key not in seen and
               now - _entry_time(entry) > RETENTION_SECONDS]
        for key in old:
            del harvested[key]
        return bool(old)

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
