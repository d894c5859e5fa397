"""Reading a source's files safely.

Every input is opened with O_NOFOLLOW | O_NONBLOCK, checked to be a regular
file (or a device for raw backends) on the open fd, and read with a size
cap: a symlink, FIFO or huge file planted in a source directory cannot
redirect, hang or exhaust us.  An entry of a source directory is lstat'ed
first: a device node, FIFO or socket there is refused without being
opened.
"""

import mmap
import os
import stat

from .base import SourceError

MAX_RECORD_BYTES = 1 << 20          # one pstore file / EFI variable / console
MAX_IMAGE_BYTES = 1 << 30           # a raw ramoops or mtdoops image
MAX_FILES = 1000                    # entries looked at in one directory
_O_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def open_input(path, dir_fd=None, allow_devices=False):
    """Open for reading without following a symlink or blocking on a FIFO;
    return ``(fd, stat)`` for a regular file (or a device when allowed).
    Unless devices are allowed, anything else is refused from its lstat,
    before it is opened (opening a device node runs its driver)."""
    try:
        if not allow_devices and not stat.S_ISREG(os.stat(
                path, dir_fd=dir_fd, follow_symlinks=False).st_mode):
            raise SourceError("%s is not a regular file" % path)
        fd = os.open(path, _O_READ, dir_fd=dir_fd)
    except OSError as exc:
        raise SourceError("cannot open %s: %s" % (path, exc.strerror)) from None
    st = os.fstat(fd)
    ok = stat.S_ISREG(st.st_mode) or (
        allow_devices and (stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)))
    if not ok:
        os.close(fd)
        raise SourceError("%s is not a regular file%s" % (
            path, " or device" if allow_devices else ""))
    return fd, st


def read_capped(fd, cap):
    """Read at most ``cap`` bytes; say so if there was more."""
    chunks, total = [], 0
    while total <= cap:
        chunk = os.read(fd, min(1 << 20, cap + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    data = b"".join(chunks)
    if len(data) > cap:
        raise SourceError("larger than the %d-byte cap" % cap)
    return data


def read_image(path, offset=0, length=None, cap=MAX_IMAGE_BYTES):
    """A raw image as bytes-like: mmap for regular files (no copy, no read
    of untouched pages), a capped read for devices."""
    fd, st = open_input(path, allow_devices=True)
    try:
        if stat.S_ISREG(st.st_mode):
            size = st.st_size - offset if length is None else length
            if size <= 0 or offset + size > st.st_size:
                raise SourceError("%s: %d bytes at offset %d do not fit a "
                                  "%d-byte file" % (path, size, offset,
                                                    st.st_size))
            if size > cap:
                raise SourceError("%s: %d bytes exceed the %d-byte image cap"
                                  % (path, size, cap))
            page = mmap.ALLOCATIONGRANULARITY
            base = offset - offset % page
            mapped = mmap.mmap(fd, size + offset - base, offset=base,
                               access=mmap.ACCESS_READ)
            if base == offset:
                return mapped
            return Window(mapped, offset - base)
        if offset:
            os.lseek(fd, offset, os.SEEK_SET)
        return read_capped(fd, min(cap, length or cap))
    finally:
        os.close(fd)


class Window:
    """An mmap seen from ``start`` on: an image at an offset that is not
    a page boundary, without copying it (a 1 GiB image stays a mapping).
    It offers what the image parsers use of an mmap: len, indexing and
    slicing, find and madvise."""

    __slots__ = ("_map", "_start", "_len")

    def __init__(self, mapped, start):
        self._map = mapped
        self._start = start
        self._len = len(mapped) - start

    def __len__(self):
        return self._len

    def __getitem__(self, key):
        if isinstance(key, slice):
            start, stop, step = key.indices(self._len)
            if step == 1:
                stop = max(stop, start)
            return self._map[start + self._start:stop + self._start
                             if stop >= 0 else None:step]
        if key < 0:
            key += self._len
        if not 0 <= key < self._len:
            raise IndexError("image index out of range")
        return self._map[key + self._start]

    def find(self, needle, start=0, end=None):
        end = self._len if end is None else min(end, self._len)
        pos = self._map.find(needle, start + self._start, end + self._start)
        return pos - self._start if pos >= 0 else -1

    def madvise(self, option, start=0, length=None):
        """Page-aligned, as mmap.madvise wants it."""
        if length is None:
            length = self._len - start
        first = start + self._start
        page = mmap.PAGESIZE
        aligned = first - first % page
        self._map.madvise(option, aligned, length + first - aligned)

    def close(self):
        self._map.close()


def read_tail(fd, size, cap):
    """The newest ``cap`` bytes of a file of ``size`` bytes, from the first
    line that starts in them (never more than ``cap`` bytes in memory)."""
    start = max(size - cap, 0)
    os.lseek(fd, start, os.SEEK_SET)
    chunks, total = [], 0
    while total < cap:
        chunk = os.read(fd, min(1 << 20, cap - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    data = b"".join(chunks)
    return whole_lines(data) if start else data


def whole_lines(data):
    """Without the partial line a cut left at the start."""
    newline = data.find(b"\n")
    return data[newline + 1:] if 0 <= newline < len(data) - 1 else data


def peek_line(fd, size=96):
    """The first line of an open file (its part header), read alone."""
    try:
        return os.pread(fd, size, 0).split(b"\n", 1)[0]
    except OSError:
        return None


def read_dir(path, wanted=None, cap=MAX_RECORD_BYTES, max_files=None,
             tail=None, cut=None, budget=None, deferred=None, heads=None,
             first=(), take=None):
    """``({name: (bytes, mtime_ns)}, [problems], [unreadable names])`` for
    the regular files of a directory, each opened relative to its fd.

    A file over ``cap`` whose name satisfies ``tail`` (a console: its
    newest end tells how the boot ended) is read from its end instead of
    refused; ``cut[name]`` then holds its full size.  A file that does
    not fit ``budget`` is not read, nor is one past ``max_files``: its
    name goes to ``deferred``, and its first line and mtime to ``heads``
    (what dump it is part of), so that no dump is taken without it.  Names in
    ``first`` are read first and always fit.  With ``take``, each file
    goes to ``take(name, (bytes, mtime_ns))`` as it is read instead of
    into the mapping (one file in memory at a time)."""
    if max_files is None:
        max_files = MAX_FILES
    if deferred is None:
        deferred = []
    if heads is None:
        heads = {}
    try:
        dfd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW |
                      os.O_CLOEXEC)
    except OSError as exc:
        raise SourceError("cannot open directory %s: %s"
                          % (path, exc.strerror)) from None
    files, problems, unreadable = {}, [], []
    try:
        names = sorted(n for n in os.listdir(dfd)
                       if wanted is None or wanted(n))
        if first:
            names = [n for n in names if n in first] + \
                [n for n in names if n not in first]
        later = []
        if len(names) > max_files:
            problems.append("%s: %d entries, only the first %d read; the "
                            "others are left for a later run"
                            % (path, len(names), max_files))
            names, later = names[:max_files], names[max_files:]
        for name in names + later:
            try:
                fd, st = open_input(name, dir_fd=dfd)
            except SourceError as exc:
                problems.append("%s/%s" % (path, exc))
                unreadable.append(name)
                continue
            try:
                force = name in first
                if name in later or (budget is not None and not budget.charge(
                        min(st.st_size, cap), force)):
                    deferred.append(name)
                    heads[name] = (peek_line(fd), st.st_mtime_ns)
                    continue
                if tail and st.st_size > cap and tail(name):
                    data = read_tail(fd, st.st_size, cap)
                    if cut is not None:
                        cut[name] = st.st_size
                else:
                    data = read_capped(fd, cap)
            except (SourceError, OSError) as exc:
                problems.append("%s/%s: %s" % (path, name, exc))
                unreadable.append(name)
                if budget is not None and name not in deferred:
                    budget.refund(min(st.st_size, cap))
                continue
            finally:
                os.close(fd)
            if take is not None:
                take(name, (data, st.st_mtime_ns))
            else:
                files[name] = (data, st.st_mtime_ns)
    finally:
        os.close(dfd)
    return files, problems, unreadable
