"""Finding and reading crash-record sources, safely.

Every input is opened with O_NOFOLLOW | O_NONBLOCK, checked to be a regular
file (or a device for raw backends) on the open fd, and read with a size
cap: a symlink, FIFO or huge file planted in a source directory cannot
redirect, hang or exhaust us.  Parsing is left to ``parsers``.
"""

import mmap
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Dict, Optional

from parsers.exceptions import ParseError

KINDS = ("pstore", "ramoops", "mtdoops", "efivars")
PSTORE_DIR = "/sys/fs/pstore"
EFIVARS_DIR = "/sys/firmware/efi/efivars"
MAX_RECORD_BYTES = 1 << 20          # one pstore file / EFI variable
MAX_IMAGE_BYTES = 1 << 30           # a raw ramoops or mtdoops image
MAX_FILES = 1000                    # entries looked at in one directory
_O_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC

_RAMOOPS_KEYS = ("mem_size", "record_size", "console_size", "ftrace_size",
                 "pmsg_size", "ecc", "offset", "ftrace_cpus", "kernel")
_KEYS = {"pstore": (), "efivars": (), "mtdoops": ("record_size",),
         "ramoops": _RAMOOPS_KEYS}


class SourceError(Exception):
    """A source cannot be used at all (bad spec, missing, unsafe)."""


@dataclass
class Source:
    kind: str
    path: str
    options: Dict[str, object] = field(default_factory=dict)

    def __str__(self):
        opts = "".join(",%s=%s" % kv for kv in self.options.items())
        return "%s:%s%s" % (self.kind, self.path, opts)


def parse_size(text, key):
    """Decimal, 0x hex, or a K/M/G suffix (powers of 1024)."""
    match = re.fullmatch(r"\s*(0x[0-9a-fA-F]+|\d+)\s*([kKmMgG]?)\s*", text)
    if not match:
        raise SourceError("%s=%r is not a size (use 4096, 0x1000, 4K or 1M)"
                          % (key, text))
    value = int(match.group(1), 0)
    return value << {"": 0, "k": 10, "m": 20, "g": 30}[match.group(2).lower()]


def parse_spec(spec):
    """``KIND:PATH[,key=value]...`` -> Source."""
    kind, sep, rest = spec.partition(":")
    if not sep or kind not in KINDS:
        raise SourceError("source %r must look like KIND:PATH with KIND one "
                          "of %s" % (spec, ", ".join(KINDS)))
    path, *pairs = rest.split(",")
    if not path:
        raise SourceError("source %r has no path" % spec)
    options = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or key not in _KEYS[kind]:
            allowed = ", ".join(_KEYS[kind]) or "none"
            raise SourceError("source %r: unknown option %r (%s takes: %s)"
                              % (spec, key, kind, allowed))
        options[key] = value if key == "kernel" else parse_size(value, key)
    return Source(kind, path, options)


# --- safe reading --------------------------------------------------------

def open_input(path, dir_fd=None, allow_devices=False):
    """Open for reading without following a symlink or blocking on a FIFO;
    return ``(fd, stat)`` for a regular file (or a device when allowed)."""
    try:
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
            return memoryview(mapped)[offset - base:].tobytes()
        if offset:
            os.lseek(fd, offset, os.SEEK_SET)
        return read_capped(fd, min(cap, length or cap))
    finally:
        os.close(fd)


def read_dir(path, wanted=None, cap=MAX_RECORD_BYTES, max_files=MAX_FILES):
    """``({name: (bytes, mtime_ns)}, [problems])`` for the regular files of
    a directory, each opened relative to the directory fd."""
    try:
        dfd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW |
                      os.O_CLOEXEC)
    except OSError as exc:
        raise SourceError("cannot open directory %s: %s"
                          % (path, exc.strerror)) from None
    files, problems = {}, []
    try:
        names = sorted(n for n in os.listdir(dfd)
                       if wanted is None or wanted(n))
        if len(names) > max_files:
            problems.append("%s: %d entries, only the first %d read"
                            % (path, len(names), max_files))
            names = names[:max_files]
        for name in names:
            try:
                fd, st = open_input(name, dir_fd=dfd)
            except SourceError as exc:
                problems.append("%s/%s" % (path, exc))
                continue
            try:
                files[name] = (read_capped(fd, cap), st.st_mtime_ns)
            except SourceError as exc:
                problems.append("%s/%s: %s" % (path, name, exc))
            finally:
                os.close(fd)
    finally:
        os.close(dfd)
    return files, problems


# --- sources to parse results -----------------------------------------

@dataclass
class Loaded:
    source: Source
    result: Optional[object] = None          # parsers.ParseResult
    problems: list = field(default_factory=list)


def _ramoops(source):
    from parsers import ramoops
    opts = dict(source.options)
    offset = opts.pop("offset", 0)
    kernel = opts.pop("kernel", None)
    ftrace_cpus = opts.pop("ftrace_cpus", 1)
    buf = read_image(source.path, offset, opts.get("mem_size"))
    layout = None
    if opts:
        mem_size = opts.pop("mem_size", len(buf))
        new_order = None
        if kernel:
            match = re.match(r"(\d+)\.(\d+)", str(kernel))
            if not match:
                raise SourceError("kernel=%r: give a version like 6.1" % kernel)
            new_order = (int(match.group(1)), int(match.group(2))) >= (6, 2)
        layout = _explicit_layout(ramoops, buf, mem_size, opts, ftrace_cpus,
                                  new_order)
    return ramoops.parse(buf, layout, source=source.path)


def _explicit_layout(ramoops, buf, mem_size, opts, ftrace_cpus, new_order):
    """The kernel's layout from the given sizes; the zone order (6.1 or
    6.2+) is taken from kernel= or else from where the ftrace signature is."""
    orders = [new_order] if new_order is not None else [False, True]
    layouts = [ramoops.compute_layout(mem_size, ftrace_cpus=ftrace_cpus,
                                      new_order=o, **opts) for o in orders]
    for layout in layouts:
        ftrace = [z for z in layout.zones if z.type == "ftrace"]
        if ftrace and ramoops._ftrace_version(int.from_bytes(
                buf[ftrace[0].offset:ftrace[0].offset + 4], "little")):
            return layout
    return layouts[0]


def load(source):
    """Parse one source; a problem with it is reported, never raised."""
    loaded = Loaded(source)
    try:
        if source.kind == "pstore":
            from parsers import pstorefs
            files, loaded.problems = read_dir(source.path)
            loaded.result = pstorefs.parse(files, source=source.path)
        elif source.kind == "efivars":
            from parsers import efi
            files, loaded.problems = read_dir(source.path,
                                              wanted=efi.is_crash_variable)
            loaded.result = efi.parse({n: d for n, (d, _) in files.items()},
                                      source=source.path)
        elif source.kind == "ramoops":
            loaded.result = _ramoops(source)
        elif source.kind == "mtdoops":
            from parsers import mtdoops
            buf = read_image(source.path, cap=64 << 20)
            loaded.result = mtdoops.parse(buf, source.options.get("record_size"),
                                          source=source.path)
    except (SourceError, ParseError, OSError) as exc:
        loaded.problems.append("%s: %s" % (source, exc))
    return loaded


def discover():
    """This machine's sources: the pstore filesystem and EFI variables."""
    found = []
    if os.path.isdir(PSTORE_DIR):
        found.append(Source("pstore", PSTORE_DIR))
    if os.path.isdir(EFIVARS_DIR):
        found.append(Source("efivars", EFIVARS_DIR))
    return found
