"""The conservation invariant every collector test checks.

A record leaves its source only if its content (the decoded payload, or
the raw bytes of its file) is in a durable report or archive file that
the state names for it; a record the state marks harvested is in the file
the state names, whether or not it left.  "Durable" here means: under a
final name, a regular file we own, complete (a report parses whole with
apport's rules).  And the state names no two reports of the same event.

    before = snapshot(specs)          # before a run
    ... run --collect ...
    check(before, out_dir, state_dir) # after it (killed or not)

The oracle is independent of the code it checks: the sources are read
here as plain bytes (a pstore file's bytes, inflated with zlib or the
lz4 library when the kernel left it compressed; an efivarfs file's bytes after its 4-byte
attribute word), reports are parsed with tests/apport_format.py, and a
state entry is matched to a record by the SHA-256 its key ends with
(the state's documented key, "backend:type:id:time:sha256[:32]"),
computed here with hashlib.  Nothing of harvester.inventory or
harvester.state is used.  Raw images are never cleared, so only their
state entries are checked: the report named must hold an attachment of
that digest.
"""

import hashlib
import json
import os
import re
import stat
import zlib

from tests import apport_format

# The real calls, taken before any test patches os to count or fail them:
# checking must not change what a test counts.
_listdir, _stat, _open, _close = os.listdir, os.stat, os.open, os.close

STATE_FILE = "state.json"
PRIVATE_SUBDIR = "oops-harvest"
CLEARABLE = ("pstore", "efivars")
# Keys every report has; one without them is partial.
REQUIRED = {"ProblemType", "PstoreEvent", "KernelLog", "PstoreRecords"}
# pstore_dump()'s first line of every dmesg part (kernel fs/pstore/platform.c).
PART_HEADER = re.compile(rb"\A[A-Za-z]+#\d+ Part\d+\n")
INFLATE_CAP = 64 << 20


def digest(payload):
    """The hash part of a state key for a record with this payload."""
    return hashlib.sha256(payload).hexdigest()[:32]


def inflate(data):
    """A compressed pstore record as the kernel stores it: raw deflate
    (v4.19 on) or zlib-wrapped (earlier), else a raw LZ4 block (v4.8 to
    v6.5, by the lz4 library) whose text starts with the part line; None
    if it is none of them."""
    for wbits in (-15, 15):
        inflater = zlib.decompressobj(wbits)
        try:
            out = inflater.decompress(data, INFLATE_CAP)
        except zlib.error:
            continue
        if inflater.eof:
            return out
    try:
        import lz4.block
        out = lz4.block.decompress(data, uncompressed_size=INFLATE_CAP)
    except Exception:           # not installed, or not an LZ4 block
        return None
    return out if PART_HEADER.match(out) else None


class Item:
    """One record as it was in its source before a run."""
    __slots__ = ("spec", "directory", "name", "raw", "payload", "digest",
                 "text")

    def __init__(self, spec, directory, name, raw, payload):
        self.spec = spec
        self.directory = directory
        self.name = name
        self.raw = raw
        self.payload = payload
        self.digest = digest(payload)
        # An archive holds the dump's log: a part's text without its
        # "<Reason>#n PartM" line (all but the oldest part lose it).
        self.text = PART_HEADER.sub(b"", payload, count=1)

    def __repr__(self):
        return "Item(%s %s)" % (self.spec, self.name)

    def moved(self, directory):
        """The same record in a copy of its source directory."""
        other = object.__new__(Item)
        for slot in Item.__slots__:
            setattr(other, slot, getattr(self, slot))
        other.directory = directory
        return other


def _payload(kind, name, raw):
    if kind == "efivars":
        data = raw[4:]                  # efivarfs: attributes, then data
        if "-C-" in name:               # efi-pstore's "compressed" flag
            return inflate(data) or data
        return data
    if name.endswith(".enc.z"):         # left compressed by the kernel
        return inflate(raw) or raw
    return raw


def snapshot(specs, config=None):
    """Every record of the clearable sources among ``specs`` (source
    specs as for --source) as it is now, read as plain files."""
    items = []
    for spec in specs:
        kind, _, rest = spec.partition(":")
        if kind not in CLEARABLE:
            continue
        directory = rest.split(",", 1)[0]
        try:
            names = sorted(_listdir(directory))
        except OSError:
            continue
        for name in names:
            path = os.path.join(directory, name)
            try:
                st = os.lstat(path)
                if not stat.S_ISREG(st.st_mode):
                    continue
                with open(path, "rb") as f:
                    raw = f.read()
            except OSError:
                continue
            if kind == "efivars" and len(raw) <= 4:
                continue
            items.append(Item(spec, directory, name, raw,
                              _payload(kind, name, raw)))
    return items


def read_state(state_dir):
    try:
        with open(os.path.join(state_dir, STATE_FILE), "rb") as f:
            data = json.loads(f.read())
    except (OSError, ValueError):
        return {}
    harvested = data.get("harvested", {}) if isinstance(data, dict) else {}
    return harvested if isinstance(harvested, dict) else {}


def _named(entry):
    if isinstance(entry, dict):
        return entry.get("report")
    return entry if isinstance(entry, str) else None


def _durable(dir_fd, name):
    """A regular file we own under that name (a hard link someone else
    added does not make it less durable), or None."""
    try:
        st = _stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError:
        return None
    if stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid():
        return st
    return None


def _open_dir(path):
    try:
        return _open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return None


class Files:
    """Durable report and archive files, read once each: a report as the
    set of its attachments, an archive as its bytes."""

    def __init__(self, out_dir, state_dir):
        self.places = [p for p in (out_dir, os.path.join(out_dir, PRIVATE_SUBDIR),
                                   state_dir) if p]
        self.cache = {}

    def get(self, name):
        """``("report", fields)``, ``("archive", bytes)`` or None."""
        if name in self.cache:
            return self.cache[name]
        found = None
        for place in self.places:
            fd = _open_dir(place)
            if fd is None:
                continue
            try:
                if not _durable(fd, name):
                    continue
                with open(_open(name, os.O_RDONLY, dir_fd=fd), "rb") as f:
                    data = f.read()
            finally:
                _close(fd)
            if name.endswith(".crash"):
                fields, _ = apport_format.load(data)     # partial: raises
                missing = REQUIRED - set(fields)
                assert not missing, "the state names a partial report %s " \
                    "(no %s)" % (name, ", ".join(sorted(missing)))
                found = ("report", fields)
            else:
                found = ("archive", data)
            break
        self.cache[name] = found
        return found

    def has_digest(self, name, wanted):
        found = self.get(name)
        if found is None or found[0] != "report":
            return found is not None
        return any(digest(value) == wanted
                   for key, value in found[1].items()
                   if key.startswith("PstoreRecord") and key[12:].isdigit())

    def holds(self, name, item):
        found = self.get(name) if name else None
        if found is None:
            return False
        kind, content = found
        if kind == "archive":
            return item.text in content or item.payload in content
        wanted = {item.payload} | ({item.raw} if item.raw is not None else set())
        return any(value in wanted for key, value in content.items()
                   if key.startswith("PstoreRecord") and key[12:].isdigit())


def left_its_source(item):
    """True if the record's file is gone or now holds something else."""
    if item.directory is None or not item.name:
        return False
    try:
        with open(os.path.join(item.directory, item.name), "rb") as f:
            now = f.read()
    except FileNotFoundError:
        return True
    return item.raw is not None and now != item.raw


def _key_digest(key):
    """The SHA-256 part of a state key, or None (a kdump crash's key is
    its directory)."""
    last = key.rsplit(":", 1)[-1]
    return last if re.fullmatch(r"[0-9a-f]{32}", last) else None


def violations(before, out_dir, state_dir):
    """What breaks the invariant, as readable strings (empty: it holds)."""
    state = read_state(state_dir)
    files = Files(out_dir, state_dir)
    named = sorted({n for n in map(_named, state.values()) if n})
    by_digest = {}
    for key, entry in state.items():
        by_digest.setdefault(_key_digest(key), []).append(_named(entry))
    bad = []
    for item in before:
        names = by_digest.get(item.digest, [])
        gone = left_its_source(item)
        if not names and not gone:
            continue
        if not names:
            bad.append("%r left its source but the state does not name a "
                       "file for it" % item)
        for name in names:
            if not files.holds(name, item):
                where = "left its source" if gone else "is marked harvested"
                bad.append("%r %s but %s does not hold it" % (item, where,
                                                              name))
    for name in named:
        if files.get(name) is None:
            bad.append("the state names %s, which is not a durable file"
                       % name)
    for key, entry in state.items():
        wanted, name = _key_digest(key), _named(entry)
        if wanted and name and name.endswith(".crash") and \
                not files.has_digest(name, wanted):
            bad.append("the state says %s holds %s, but no attachment of "
                       "it has that digest" % (name, key))
    return bad


def reports(out_dir):
    """{name: fields, or None when it does not parse whole or lacks a key
    every report has} for each .crash file we own under a final name."""
    out, seen = {}, set()
    for place in (out_dir, os.path.join(out_dir, PRIVATE_SUBDIR)):
        fd = _open_dir(place)
        if fd is None:
            continue
        try:
            for name in sorted(_listdir(fd)):
                st = _durable(fd, name) if name.endswith(".crash") else None
                if st is None or (st.st_dev, st.st_ino) in seen:
                    continue                  # one file under two names
                seen.add((st.st_dev, st.st_ino))
                with open(_open(name, os.O_RDONLY, dir_fd=fd), "rb") as f:
                    data = f.read()
                try:
                    fields = apport_format.load(data)[0]
                except Exception:
                    fields = None
                out[name] = fields if fields and REQUIRED <= set(fields) else None
        finally:
            _close(fd)
    return out


def duplicates(found, named):
    """Events the state names more than one report for: {event: [names]}.
    (A report a killed run published but never recorded is not named; a
    later run may report the same dump again with other records.)"""
    by_event = {}
    for name, fields in found.items():
        if fields and name in named:
            by_event.setdefault(fields["PstoreEvent"], []).append(name)
    return {ev: names for ev, names in by_event.items() if len(names) > 1}


def check(before, out_dir, state_dir, once_each=True, only_ours=False):
    """Assert the invariant.  ``once_each``: no event reported twice (off
    only where a test starts again from a fresh state on purpose).
    ``only_ours``: nobody else wrote .crash files as our user, so every
    one must be a complete report (a partial one is a bug)."""
    bad = violations(before, out_dir, state_dir)
    assert not bad, "conservation: " + "; ".join(bad)
    found = reports(out_dir)
    if only_ours:
        partial = sorted(n for n, fields in found.items() if fields is None)
        assert not partial, "partial reports: %r" % partial
    if once_each:
        named = {n for n in map(_named, read_state(state_dir).values()) if n}
        twice = duplicates(found, named)
        assert not twice, "reported more than once: %r" % twice
