"""Finding and reading crash-record sources, safely.

Every input is opened with O_NOFOLLOW | O_NONBLOCK, checked to be a regular
file (or a device for raw backends) on the open fd, and read with a size
cap: a symlink, FIFO or huge file planted in a source directory cannot
redirect, hang or exhaust us.  An entry of a source directory is lstat'ed
first: a device node, FIFO or socket there is refused without being
opened.  Parsing is left to ``parsers``.
"""

import mmap
import os
import stat

from parsers.exceptions import ParseError
from parsers.patterns import lazy

KINDS = ("pstore", "ramoops", "mtdoops", "efivars", "pstoreblk")
PSTORE_DIR = "/sys/fs/pstore"
EFIVARS_DIR = "/sys/firmware/efi/efivars"
MAX_RECORD_BYTES = 1 << 20          # one pstore file / EFI variable / console
MAX_IMAGE_BYTES = 1 << 30           # a raw ramoops or mtdoops image
MAX_FILES = 1000                    # entries looked at in one directory
SYSTEMD_ARCHIVE = "/var/lib/systemd/pstore"
SYSTEMD_PSTORE_CONF = ("/etc/systemd/pstore.conf",
                       "/usr/lib/systemd/pstore.conf.d",
                       "/run/systemd/pstore.conf.d",
                       "/etc/systemd/pstore.conf.d")
DEVICETREE = "/proc/device-tree"
_O_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_SIZE = lazy(r"\s*(0x[0-9a-fA-F]+|\d+)\s*([kKmMgG]?)\s*")
_KERNEL_VERSION = lazy(r"(\d+)\.(\d+)")
_STORAGE_SETTING = lazy(r"\s*Storage\s*=\s*(\S+)")      # pstore.conf
_PROC_MTD_LINE = lazy(r'(mtd\d+): \S+ \S+ "(.*)"')

_RAMOOPS_KEYS = ("mem_size", "record_size", "console_size", "ftrace_size",
                 "pmsg_size", "ecc", "offset", "ftrace_cpus", "kernel")
_KEYS = {"pstore": (), "efivars": (), "mtdoops": ("record_size",),
         "ramoops": _RAMOOPS_KEYS,
         "pstoreblk": ("kmsg_size", "pmsg_size", "console_size",
                       "ftrace_size", "ftrace_cpus")}


class SourceError(Exception):
    """A source cannot be used at all (bad spec, missing, unsafe)."""


class Source:
    __slots__ = ("kind", "path", "options")

    def __init__(self, kind, path, options=None):
        self.kind = kind
        self.path = path
        self.options = options or {}

    def __repr__(self):
        return "Source(%r)" % str(self)

    def __str__(self):
        opts = "".join(",%s=%s" % kv for kv in self.options.items()
                       if kv[0] != "archive")
        return "%s:%s%s" % (self.kind, self.path, opts)


def parse_size(text, key):
    """Decimal, 0x hex, or a K/M/G suffix (powers of 1024)."""
    match = _SIZE.fullmatch(text)
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
    if kind == "ramoops" and path == "devicetree" and not pairs:
        return devicetree_ramoops()
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
            return memoryview(mapped)[offset - base:].tobytes()
        if offset:
            os.lseek(fd, offset, os.SEEK_SET)
        return read_capped(fd, min(cap, length or cap))
    finally:
        os.close(fd)


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
    return _whole_lines(data) if start else data


def _whole_lines(data):
    """Without the partial line a cut left at the start."""
    newline = data.find(b"\n")
    return data[newline + 1:] if 0 <= newline < len(data) - 1 else data


class Budget:
    """The bytes of records one run may hold (max_run_bytes): every file
    read and every payload decompressed is charged, in name order.  Once
    one does not fit, it and every entry after it are left unread, in
    place for the next run (which finds them first once these records are
    cleared): memory is bounded by the budget, not by how many records
    the backends hold."""

    def __init__(self, total=None):
        self.left = total if total is not None else float("inf")
        self.spent = False

    def charge(self, size):
        """Take ``size`` bytes; False (and spent from now on) if they do
        not fit."""
        if self.spent or size > self.left:
            self.spent = True
            return False
        self.left -= size
        return True

    def cap(self, limit):
        """A per-record decompression limit within what is left."""
        return int(min(limit, self.left))


def read_dir(path, wanted=None, cap=MAX_RECORD_BYTES, max_files=MAX_FILES,
             tail=None, cut=None, budget=None, deferred=None):
    """``({name: (bytes, mtime_ns)}, [problems], [unreadable names])`` for
    the regular files of a directory, each opened relative to its fd.

    A file over ``cap`` whose name satisfies ``tail`` (a console: its
    newest end tells how the boot ended) is read from its end instead of
    refused; ``cut[name]`` then holds its full size.  A file that does
    not fit ``budget`` is not read: its name goes to ``deferred``."""
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
        if len(names) > max_files:
            problems.append("%s: %d entries, only the first %d read"
                            % (path, len(names), max_files))
            names = names[:max_files]
        for name in names:
            if budget is not None and budget.spent:
                deferred.append(name)
                continue
            try:
                fd, st = open_input(name, dir_fd=dfd)
            except SourceError as exc:
                problems.append("%s/%s" % (path, exc))
                unreadable.append(name)
                continue
            try:
                if budget is not None and not budget.charge(
                        min(st.st_size, cap)):
                    deferred.append(name)
                    continue
                if tail and st.st_size > cap and tail(name):
                    data = read_tail(fd, st.st_size, cap)
                    if cut is not None:
                        cut[name] = st.st_size
                else:
                    data = read_capped(fd, cap)
                files[name] = (data, st.st_mtime_ns)
            except (SourceError, OSError) as exc:
                problems.append("%s/%s: %s" % (path, name, exc))
                unreadable.append(name)
            finally:
                os.close(fd)
    finally:
        os.close(dfd)
    return files, problems, unreadable


# --- sources to parse results -----------------------------------------

class Loaded:
    """One source's ParseResult (None if unreadable) and its problems."""

    def __init__(self, source):
        self.source = source
        self.result = None
        self.problems = []
        self.unreadable = []       # entry names that could not be read
        self.deferred = []         # entry names left for a later run (budget)


def _ramoops(source, caps):
    from parsers import ramoops
    opts = dict(source.options)
    offset = opts.pop("offset", 0)
    kernel = opts.pop("kernel", None)
    ftrace_cpus = opts.pop("ftrace_cpus", 1)
    buf = read_image(source.path, offset, opts.get("mem_size"))
    layout = None
    if set(opts) == {"ecc"}:
        # No sizes: detect the zones, with the ECC size as given (the
        # module's ecc=1 means 16 bytes).
        ecc = opts["ecc"]
        layout = ramoops.detect_layout(buf, ecc=16 if ecc == 1 else ecc)
    elif opts:
        mem_size = opts.pop("mem_size", len(buf))
        version = None
        if kernel:
            match = _KERNEL_VERSION.match(str(kernel))
            if not match:
                raise SourceError("kernel=%r: give a version like 6.1" % kernel)
            version = (int(match.group(1)), int(match.group(2)))
        layout = _explicit_layout(ramoops, buf, mem_size, opts, ftrace_cpus,
                                  version)
    return ramoops.parse(buf, layout, source=source.path, **caps)


def _explicit_layout(ramoops, buf, mem_size, opts, ftrace_cpus, version):
    """The kernel's layout from the given sizes and kernel= version; without
    one, the 6.1 or 6.2+ zone order that puts the ftrace signature where an
    ftrace zone is."""
    versions = [version] if version else [(6, 1), (6, 2)]
    layouts = [ramoops.compute_layout(mem_size, ftrace_cpus=ftrace_cpus,
                                      kernel=v, **opts) for v in versions]
    for layout in layouts:
        ftrace = [z for z in layout.zones if z.type == "ftrace"]
        if ftrace and ramoops.structs.ftrace_version(int.from_bytes(
                buf[ftrace[0].offset:ftrace[0].offset + 4], "little")):
            return layout
    return layouts[0]


def load(source, record_cap=MAX_RECORD_BYTES, decompressed_cap=None,
         budget=None):
    """Parse one source; a problem with it is reported, never raised.
    ``record_cap`` bounds each file read, ``decompressed_cap`` each
    decompressed payload (the parsers' default when None), ``budget``
    (a Budget shared by the run's sources) all of them together."""
    loaded = Loaded(source)
    budget = budget or Budget()
    if budget.spent and source.kind not in ("pstore", "efivars"):
        loaded.problems.append("%s: left for a later run: this run's records "
                               "reached max_run_bytes" % source)
        return loaded
    caps = {} if decompressed_cap is None else {"limit": decompressed_cap}
    cut = {}                   # console file name -> its size, read from its end
    try:
        if source.kind == "pstore":
            wanted = None
            if source.options.get("archive"):
                # systemd-pstore adds dmesg.txt and the like next to records.
                from parsers.pstorefs import is_record_name as wanted
            files, loaded.problems, loaded.unreadable = read_dir(
                source.path, wanted=wanted, cap=record_cap,
                tail=_is_console, cut=cut, budget=budget,
                deferred=loaded.deferred)
            if files:                 # an empty pstore: no parser imported
                from parsers import pstorefs
                loaded.result = _parse_each(
                    pstorefs.parse, files, source, decompressed_cap, budget,
                    loaded.deferred)
        elif source.kind == "efivars":
            from parsers import efi
            files, loaded.problems, loaded.unreadable = read_dir(
                source.path, wanted=efi.is_crash_variable, cap=record_cap,
                budget=budget, deferred=loaded.deferred)
            if files:
                loaded.result = _parse_each(
                    efi.parse, {n: d for n, (d, _) in files.items()}, source,
                    decompressed_cap, budget, loaded.deferred)
        elif source.kind == "ramoops":
            loaded.result = _ramoops(source, caps)
        elif source.kind == "pstoreblk":
            from parsers import pstorezone
            buf = read_image(source.path, cap=128 << 20)
            zones = None               # detected from the zone signatures
            if set(source.options) - {"ftrace_cpus"}:
                zones = pstorezone.compute_layout(len(buf), **source.options)
            loaded.result = pstorezone.parse(buf, zones, source=source.path,
                                             **caps)
        elif source.kind == "mtdoops":
            from parsers import mtdoops
            path = source.path
            if not os.path.exists(path) and "/" not in path:
                path = resolve_mtd(path) or path   # a name from /proc/mtd
            buf = read_image(path, cap=64 << 20)
            loaded.result = mtdoops.parse(buf, source.options.get("record_size"),
                                          source=source.path)
    except (SourceError, ParseError, OSError) as exc:
        loaded.problems.append("%s: %s" % (source, exc))
    if loaded.result is not None:
        _keep_newest_console(loaded.result.records, record_cap, cut)
        if source.kind not in ("pstore", "efivars"):
            _charge_image(loaded, budget)
        # A part kept back (over the decompression cap) counts as unread.
        from parsers.exceptions import LimitExceeded
        loaded.unreadable += [e.name for e in loaded.result.errors
                              if isinstance(e, LimitExceeded)
                              and getattr(e, "name", None)]
    if loaded.deferred:
        loaded.problems.append(
            "%s: %d entries left in place for a later run: this run's "
            "records reached max_run_bytes" % (source, len(loaded.deferred)))
    return loaded


def _parse_each(parse, files, source, decompressed_cap, budget, deferred):
    """``parse`` one file at a time, in name order, each decompressed
    within what the budget has left: a file whose payload does not fit
    is deferred with every file after it."""
    from parsers.compression import DEFAULT_LIMIT
    from parsers.exceptions import LimitExceeded
    from parsers.records import ParseResult
    limit = DEFAULT_LIMIT if decompressed_cap is None else decompressed_cap
    result = ParseResult()
    stop = False
    for name in sorted(files):
        if stop:
            deferred.append(name)
            continue
        data = files.pop(name)
        raw = len(data[0] if isinstance(data, tuple) else data)
        within = budget.cap(limit)
        one = parse({name: data}, limit=within, source=source.path)
        over = [e for e in one.errors if isinstance(e, LimitExceeded)]
        if over and within < limit:
            budget.spent = stop = True    # the cap would decode it: later
            deferred.append(name)
            continue
        result.errors.extend(one.errors)
        for rec in one.records:
            if rec.compressed and not rec.still_compressed:
                budget.charge(max(len(rec.payload) - raw, 0))
        result.records.extend(one.records)
    return result


def _charge_image(loaded, budget):
    """Records decoded from an image, in order, as long as they fit the
    budget (an image is never cleared: the others wait in it).  The image
    itself is bounded by its own cap (read_image), not by the budget."""
    records = loaded.result.records
    for index, rec in enumerate(records):
        if not budget.charge(len(rec.payload)):
            loaded.problems.append(
                "%s: %d records left for a later run: this run's records "
                "reached max_run_bytes" % (loaded.source, len(records) - index))
            del records[index:]
            return


def _is_console(name):
    return name.startswith("console-")


def _keep_newest_console(records, cap, cut):
    """A console over ``cap`` bytes is kept from its newest end (where the
    boot ended), for pstore files as read and for consoles decoded from
    a raw image; the record says what was left out."""
    for rec in records:
        if rec.type != "console":
            continue
        size = cut.get(rec.origin.name)
        if size is None and len(rec.payload) > cap:
            size = len(rec.payload)
            rec.payload = _whole_lines(bytes(rec.payload[-cap:]))
        if size is not None:
            rec.problems.append(
                "%s holds %d bytes; only its newest %d are kept "
                "(max_record_bytes)" % (rec.name, size, len(rec.payload)))


def mounted_fstype(path, mountinfo="/proc/self/mountinfo"):
    """The filesystem type mounted exactly at ``path``, or None."""
    real = os.path.realpath(path)
    fstype = None
    try:
        with open(mountinfo, "r", errors="replace") as f:
            for line in f:
                left, _, right = line.partition(" - ")
                fields = left.split()
                if len(fields) > 4 and fields[4].replace("\\040", " ") == real:
                    fstype = right.split()[0] if right else None
    except OSError:
        return None
    return fstype


def mount_pstore():
    """Mount /sys/fs/pstore if the kernel has pstore and nobody did (the
    records are invisible otherwise).  Root only; failures are harmless."""
    if os.geteuid() != 0 or not os.path.isdir(PSTORE_DIR) or \
            mounted_fstype(PSTORE_DIR) == "pstore":
        return False
    try:
        with open("/proc/filesystems") as f:
            if "\tpstore\n" not in f.read():
                return False
    except OSError:
        return False
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    ms_nosuid, ms_nodev, ms_noexec = 2, 4, 8
    return libc.mount(b"pstore", PSTORE_DIR.encode(), b"pstore",
                      ms_nosuid | ms_nodev | ms_noexec, None) == 0


def systemd_pstore_archive(conf_paths=SYSTEMD_PSTORE_CONF):
    """systemd-pstore's archive directory, unless its Storage= says it
    keeps nothing there (``none``) or in the journal only."""
    storage = "external"
    files = []
    for path in conf_paths:
        if os.path.isdir(path):
            files.extend(os.path.join(path, n) for n in sorted(os.listdir(path))
                         if n.endswith(".conf"))
        else:
            files.append(path)
    for path in files:
        try:
            with open(path, errors="replace") as f:
                for line in f:
                    match = _STORAGE_SETTING.match(line)
                    if match:
                        storage = match.group(1).lower()
        except OSError:
            continue
    if storage != "external" or not os.path.isdir(SYSTEMD_ARCHIVE):
        return []
    dirs = [SYSTEMD_ARCHIVE]
    for name in sorted(os.listdir(SYSTEMD_ARCHIVE))[:MAX_FILES]:
        sub = os.path.join(SYSTEMD_ARCHIVE, name)
        if os.path.isdir(sub) and not os.path.islink(sub):
            dirs.append(sub)
    return dirs


def discover():
    """This machine's sources: the pstore filesystem, EFI variables and
    whatever systemd-pstore already moved into its archive (read only;
    the state keeps those from being reported twice)."""
    found = []
    if os.path.isdir(PSTORE_DIR):
        found.append(Source("pstore", PSTORE_DIR))
    if os.path.isdir(EFIVARS_DIR):
        found.append(Source("efivars", EFIVARS_DIR))
    found.extend(Source("pstore", d, {"archive": True})
                 for d in systemd_pstore_archive())
    return found


def resolve_mtd(name, proc_mtd="/proc/mtd"):
    """/dev/mtdN for a partition name as listed in /proc/mtd."""
    try:
        with open(proc_mtd, errors="replace") as f:
            for line in f:
                match = _PROC_MTD_LINE.match(line)
                if match and match.group(2) == name:
                    return "/dev/" + match.group(1)
    except OSError:
        pass
    return None


def devicetree_ramoops(base=DEVICETREE):
    """A ramoops source from the device tree's reserved-memory node: its
    region through /dev/mem, sizes as the kernel's DT parser reads them
    (absent sizes are 0 there, unlike the module parameters)."""
    parent = os.path.join(base, "reserved-memory")
    try:
        nodes = [n for n in os.listdir(parent) if n.split("@")[0] == "ramoops"]
    except OSError:
        nodes = []
    if not nodes:
        raise SourceError("no reserved-memory/ramoops node in the device tree")
    node = os.path.join(parent, nodes[0])

    def cells(path, default=None):
        try:
            with open(path, "rb") as f:
                raw = f.read(64)
        except OSError:
            return default
        return [int.from_bytes(raw[i:i + 4], "big") for i in range(0, len(raw), 4)]

    acells = (cells(os.path.join(parent, "#address-cells")) or [2])[0]
    scells = (cells(os.path.join(parent, "#size-cells")) or [2])[0]
    reg = cells(os.path.join(node, "reg"))
    if not reg or len(reg) < acells + scells:
        raise SourceError("%s has no usable reg property" % node)

    def join(words):
        value = 0
        for word in words:
            value = value << 32 | word
        return value
    options = {"offset": join(reg[:acells]),
               "mem_size": join(reg[acells:acells + scells])}
    for prop, key in (("record-size", "record_size"),
                      ("console-size", "console_size"),
                      ("ftrace-size", "ftrace_size"),
                      ("pmsg-size", "pmsg_size"), ("ecc-size", "ecc")):
        options[key] = (cells(os.path.join(node, prop)) or [0])[0]
    return Source("ramoops", "/dev/mem", options)
