"""kdump: the crash directories kdump-tools and kdump-utils save under
``/var/crash`` (parsers/kdump.py says what they hold).

Read only, never cleared: kdump's tools own their retention, so nothing
there is ever written, moved or deleted.  The state remembers each crash
reported, by its directory (name and inode), so that a later run skips
it unread.

Entering a directory someone else controls is how crash tools leak files
(SECURITY R20): a stamp directory is entered only when its name has one
of kdump's forms, and it is a real directory (``openat`` with
O_DIRECTORY|O_NOFOLLOW, then ``fstat``) owned by root (or by the user
reading a copy of their own) that nobody else can write.  Inside, only
the file names the saver writes are looked up, and each is opened with
O_NOFOLLOW as a regular file; a symlink, FIFO or device there is refused
unopened.  A vmcore is never read, only its size taken, and given to
makedumpfile (harvester/sources/makedumpfile.py) when no log was saved.

Per run at most ``MAX_STAMP_DIRS`` directories not reported before are
read, newest first, each log at most ``max_record_bytes`` (from its
newest end) within the run's byte budget; the rest wait for later runs.
"""

import os
import stat

from .base import Kind, Source, SourceError
from .reading import open_input, read_capped, read_tail

DUMP_DIR = "/var/crash"
CAPTURE_KERNEL = "/proc/vmcore"     # exists only in a capture kernel
MAX_STAMP_DIRS = 64                 # crash directories read per run
MAX_REFUSALS = 10                   # refusals told one by one per run
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_KINDS_OF_FILE = ((stat.S_ISLNK, "a symlink"), (stat.S_ISFIFO, "a FIFO"),
                  (stat.S_ISCHR, "a character device"),
                  (stat.S_ISBLK, "a block device"),
                  (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory"))
_COMPRESSED = {".gz": "gzip", ".bz2": "bzip2", ".lz4": "lz4", ".xz": "xz",
               ".zst": "zstd"}
# apport's kernel_crashdump names its report of a kdump-tools directory
# linux-image-<uname -r>-<STAMP>.crash (docs/kdump-facts.md, section 3).
APPORT_PREFIX, APPORT_SUFFIX = "linux-image-", ".crash"


def discover():
    """/var/crash, where kdump saves by default, if it is there."""
    return [Source("kdump", DUMP_DIR)] if os.path.isdir(DUMP_DIR) else []


def load(source, loaded, limits):
    from parsers import kdump
    if os.path.exists(CAPTURE_KERNEL):
        loaded.problems.append(
            "%s: this is a capture kernel (%s exists): kdump may be saving "
            "right now; its directories are left for the next boot"
            % (source, CAPTURE_KERNEL))
        return
    try:
        dfd = os.open(source.path, _DIR)
    except OSError as exc:
        raise SourceError("cannot open directory %s: %s"
                          % (source.path, exc.strerror)) from None
    try:
        st = os.fstat(dfd)
        mode = stat.S_IMODE(st.st_mode)
        if st.st_uid not in (0, os.geteuid()) or (
                mode & 0o022 and not mode & stat.S_ISVTX):
            raise SourceError("%s is owned by uid %d with mode %04o: anyone "
                              "could plant crash directories there; refused"
                              % (source.path, st.st_uid, mode))
        found, apport, refused = _scan(dfd, source.path, kdump)
        records = []
        for _, name in sorted(found, reverse=True):       # newest first
            try:
                st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
            except FileNotFoundError:
                loaded.problems.append(
                    "%s/%s vanished while being read (renamed or removed); "
                    "a later run looks again" % (source.path, name))
                continue
            key = "kdump:%s:%d" % (name, st.st_ino)
            if limits.seen(key):
                continue                  # reported before: not read again
            if len(records) >= MAX_STAMP_DIRS or limits.budget.missed:
                loaded.deferred.append(name)
                continue
            rec = _crash(dfd, name, st, kdump, limits, loaded, source, refused)
            if rec is not None:
                rec.key = key
                if rec.apport_form:
                    rec.foreign_report = _apport_report(dfd, apport.get(name))
                records.append(rec)
        loaded.problems.extend(_told(refused, source))
        if loaded.deferred:
            loaded.problems.append(
                "%s: %d crash directories left for a later run (at most %d "
                "are read per run, newest first, within max_run_bytes)"
                % (source, len(loaded.deferred), MAX_STAMP_DIRS))
    finally:
        os.close(dfd)
    from parsers.records import ParseResult
    loaded.result = ParseResult(records=records)


def _scan(dfd, path, kdump):
    """``([(time, name)] of crash directory names, {stamp: apport report
    name}, [refusals])``, from one pass over the directory's names (it
    may hold anything: only names are kept, never more than that)."""
    found, apport, refused = [], {}, []
    with os.scandir(dfd) as entries:
        for entry in entries:
            name = entry.name
            if name.startswith(APPORT_PREFIX) and name.endswith(APPORT_SUFFIX):
                stamp = name[-len(APPORT_SUFFIX) - 12:-len(APPORT_SUFFIX)]
                if stamp.isdigit() and stamp.isascii():
                    apport[stamp] = name
                continue
            if not name[:1].isalnum():
                continue
            try:
                stamp = kdump.parse_dir_name(name)
            except kdump.BadStampError as exc:
                refused.append("%s: %s" % (path, exc))
                continue
            if stamp is not None:
                found.append((stamp.time_ns or 0, name))
    return found, apport, refused


def _told(refusals, source):
    told = ["%s; refused" % r for r in refusals[:MAX_REFUSALS]]
    if len(refusals) > MAX_REFUSALS:
        told.append("%s: %d more crash directories refused"
                    % (source, len(refusals) - MAX_REFUSALS))
    return told


def _kind_of(mode):
    for test, what in _KINDS_OF_FILE:
        if test(mode):
            return what
    return "not a regular file"


def _crash(dfd, name, st, kdump, limits, loaded, source, refused):
    """The KdumpRecord of the crash directory ``name`` (``st`` its lstat);
    None when it is refused (the reason added to ``refused``) or left for
    a later run."""
    where = "%s/%s" % (source.path, name)
    if not stat.S_ISDIR(st.st_mode):
        refused.append("%s is %s, not a directory" % (where, _kind_of(
            st.st_mode)))
        return None
    try:
        sfd = os.open(name, _DIR, dir_fd=dfd)
    except FileNotFoundError:
        loaded.problems.append("%s vanished while being read (renamed or "
                               "removed); a later run looks again" % where)
        return None
    except OSError as exc:
        refused.append("%s cannot be opened as a directory: %s"
                       % (where, exc.strerror))
        return None
    try:
        now = os.fstat(sfd)
        mode = stat.S_IMODE(now.st_mode)
        if now.st_ino != st.st_ino:
            loaded.problems.append("%s was replaced while being read; a "
                                   "later run looks again" % where)
            return None
        if now.st_uid not in (0, os.geteuid()):
            refused.append("%s is owned by uid %d, not by root: not kdump's"
                           % (where, now.st_uid))
            return None
        if mode & 0o022:
            refused.append("%s is writable by group or others (mode %04o): "
                           "its files could be anyone's" % (where, mode))
            return None
        return _read(sfd, kdump.parse_dir_name(name), kdump, limits, loaded,
                     source, where)
    finally:
        os.close(sfd)


def _present(sfd, names, where, problems):
    """``{name: size}`` of the regular files among ``names``; anything
    else under one of those names is refused, unopened."""
    found = {}
    for name in names:
        try:
            st = os.stat(name, dir_fd=sfd, follow_symlinks=False)
        except FileNotFoundError:
            continue
        except OSError as exc:
            problems.append("%s/%s: %s" % (where, name, exc.strerror))
            continue
        if stat.S_ISREG(st.st_mode):
            found[name] = st.st_size
        else:
            problems.append("%s/%s is %s; refused, not opened"
                            % (where, name, _kind_of(st.st_mode)))
    return found


def _read(sfd, stamp, kdump, limits, loaded, source, where):
    logs, partial_logs, dumps, partial_dumps = stamp.files()
    problems = []
    present = _present(sfd, logs + partial_logs + dumps + partial_dumps +
                       stamp.other_files(), where, problems)
    loaded.problems.extend(problems)    # refusals: the journal says so too
    payload, log_file, missing = b"", None, None
    log_names = [n for n in logs + partial_logs if n in present]
    if log_names:
        log_file = log_names[0]
        if log_file in partial_logs:
            problems.append("%s was not finished (the saver stopped while "
                            "writing it): what it holds is used" % log_file)
        if not limits.budget.charge(min(present[log_file], limits.record_cap)):
            loaded.deferred.append(stamp.name)
            return None
        try:
            payload = _read_log(sfd, log_file, limits.record_cap, problems)
            kdump.check_log(payload, log_file)
        except (SourceError, OSError) as exc:
            missing, payload = "%s cannot be read: %s" % (log_file, exc), b""
        except kdump.NotALogError as exc:
            missing, payload = str(exc), b""
    dump = next(((n, present[n], True) for n in dumps if n in present), None) \
        or next(((n, present[n], False) for n in partial_dumps
                 if n in present), None)
    if dump and not dump[2]:
        problems.append("the dump %s was not finished: the save failed or was "
                        "cut short (kdump renames it when done)" % dump[0])
    if not payload and dump:
        why = _from_dump(sfd, dump[0], limits, loaded, stamp)
        if isinstance(why, bytes):
            payload, log_file = why, dump[0]
            problems.append("log extracted from %s by makedumpfile "
                            "--dump-dmesg%s" % (dump[0], "; " + missing
                                                if missing else ""))
            missing = None
        elif why is None:
            return None                       # over the budget: later
        else:
            missing = "; ".join(filter(None, (missing, why)))
    elif not payload and not log_names:
        missing = "no log was saved (no %s) and no dump to take one from" \
            % " or ".join(logs)
    rec = kdump.record(stamp, payload, log_file if payload else None,
                       source.path)
    rec.dump = dump
    rec.files = sorted(present.items())
    rec.log_missing = missing
    if missing:
        problems.append("no log: %s" % missing)
    rec.problems.extend(problems)
    return rec


def _read_log(sfd, name, cap, problems):
    fd, st = open_input(name, dir_fd=sfd)
    try:
        if st.st_size > cap:
            problems.append("%s holds %d bytes; only its newest %d are kept "
                            "(max_record_bytes)" % (name, st.st_size, cap))
            return read_tail(fd, st.st_size, cap)
        return read_capped(fd, cap)
    finally:
        os.close(fd)


def _from_dump(sfd, name, limits, loaded, stamp):
    """The log makedumpfile finds in the dump ``name`` (bytes), the reason
    there is none (str), or None when it does not fit this run's budget."""
    from . import makedumpfile
    for suffix, codec in _COMPRESSED.items():
        if name.endswith(suffix):
            return ("%s is compressed with %s, which makedumpfile cannot read; "
                    "oops-harvest never copies or unpacks a dump" % (name, codec))
    try:
        fd, _ = open_input(name, dir_fd=sfd)
    except SourceError as exc:
        return str(exc)
    cap = limits.record_cap
    kept = []

    def read(out_fd, size):
        if not limits.budget.charge(min(size, cap)):
            return None
        if size > cap:
            kept.append("the log makedumpfile wrote holds %d bytes; only its "
                        "newest %d are kept (max_record_bytes)" % (size, cap))
            return read_tail(out_fd, size, cap)
        return read_capped(out_fd, cap)
    try:
        data = makedumpfile.dump_dmesg(fd, read)
    except makedumpfile.Unavailable as exc:
        return str(exc)
    except (SourceError, OSError) as exc:
        return "cannot read the log makedumpfile wrote: %s" % exc
    finally:
        os.close(fd)
    if data is None:
        loaded.deferred.append(stamp.name)
        return None
    from parsers import kdump
    try:
        kdump.check_log(data, "the log makedumpfile found in %s" % name)
    except kdump.NotALogError as exc:
        return str(exc)
    return data


def _apport_report(dfd, name):
    """apport's report of this crash, when one is beside it: a regular
    file owned by root (us) with one link, as apport makes them; a name
    planted by a user hides nothing."""
    if name is None:
        return None
    try:
        st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
    except OSError:
        return None
    if stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid() and \
            st.st_nlink == 1:
        return name
    return None


KIND = Kind("kdump", (), load, budgeted=True)
