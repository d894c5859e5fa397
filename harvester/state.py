"""What has been harvested, kept across runs, and the run lock.

Backends that are not cleared (raw images, copies, disabled clearing) are
recognised by record fingerprints.  A report is announced as *pending*
(event -> file name) before it is linked into place and marked *done*
after: a run killed in between finds its own file on the next run instead
of writing the crash twice.  Lives in a root-only directory (R14).
"""

import fcntl
import os

from . import storage

STATE_FILE = "state.json"
LOCK_FILE = "lock"


def fingerprint(record):
    """Stable identity of one stored record: where it says it is from plus
    a hash of its payload (a reused zone with new content is new)."""
    import hashlib
    digest = hashlib.sha256(record.payload).hexdigest()[:32]
    backend = "efi" if record.backend.startswith("efi") else record.backend
    return "%s:%s:%s:%s:%s" % (backend, record.type, record.id,
                               record.time_ns, digest)


def read_harvested(path):
    """Fingerprints already harvested, for --list; never creates or locks
    anything, and an unreadable state just means "unknown" (empty)."""
    try:
        fd = os.open(os.path.join(path, STATE_FILE), os.O_RDONLY |
                     os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return set()
    try:
        import json               # off the boot path while there is no state
        return set(json.loads(os.read(fd, 64 << 20)).get("harvested", {}))
    except (ValueError, AttributeError, OSError):
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


class AlreadyRunning(Exception):
    pass


class State:
    def __init__(self, path):
        self.path = path
        self.fd = storage.open_dir(path, create_mode=0o700, private=True)
        self._lock_fd = None
        self.data = {"harvested": {}, "pending": {}}

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
        import json
        try:
            data = json.loads(raw)
            self.data["harvested"] = dict(data.get("harvested", {}))
            self.data["pending"] = dict(data.get("pending", {}))
        except (ValueError, AttributeError):
            # A torn or foreign file: start afresh rather than stop harvesting.
            pass

    def save(self):
        import json
        storage.replace_private(self.fd, STATE_FILE,
                                json.dumps(self.data, sort_keys=True).encode())

    def harvested(self, record):
        return fingerprint(record) in self.data["harvested"]

    def pending(self, event_id):
        return self.data["pending"].get(event_id)

    def set_pending(self, event_id, name):
        self.data["pending"][event_id] = name
        self.save()

    def mark_done(self, event_id, records, report):
        for rec in records:
            self.data["harvested"][fingerprint(rec)] = {
                "event": event_id, "report": report}
        self.data["pending"].pop(event_id, None)
        self.save()

    def close(self):
        if self._lock_fd is not None:
            os.close(self._lock_fd)
        os.close(self.fd)
