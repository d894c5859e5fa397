"""ramoops: a raw dump of the reserved RAM region (fs/pstore/ram.c, ram_core.c).

The region is cut into zones (dmesg x N, console, ftrace x CPUs, pmsg; from
Linux 6.2 pmsg comes before ftrace).  Each zone is a persistent_ram_buffer:
a 12-byte header, a circular data area and, with ECC, Reed-Solomon parity.
Layouts come either from the kernel's own arithmetic (``compute_layout``) or
from the zone signatures in the image (``detect_layout``).
"""

from construct import Int32sl, Int32ul, Int64ul, Struct

from . import compression, ecc as rs
from .exceptions import (BadHeaderError, DecompressError,
                         EccError, LayoutError, LimitExceeded, ParseError,
                         TruncatedError)
from .kmsg import parse_part_header
from .patterns import lazy
from .records import REQUIRED, EccStatus, Origin, ParseResult, Plain, Record
from .search import WINDOW, find

# struct persistent_ram_buffer (little-endian: every real deployment is LE).
ZoneHeader = Struct(
    "sig" / Int32ul,
    "start" / Int32sl,     # next write position = oldest byte once wrapped
    "size" / Int32sl,      # valid bytes in data[]
)
HEADER_SIZE = ZoneHeader.sizeof()
_parse_header = ZoneHeader.compile().parse     # ~3x faster per zone

# struct pstore_ftrace_record, v4.12+ 64-bit layout.
FtraceRecord = Struct(
    "ip" / Int64ul,
    "parent_ip" / Int64ul,
    "ts" / Int64ul,        # low 8 bits: CPU; the rest: ordering counter
)
FTRACE_RECORD_SIZE = FtraceRecord.sizeof()

PERSISTENT_RAM_SIG = 0x43474244          # "DBGC"
SIG_BYTES = PERSISTENT_RAM_SIG.to_bytes(4, "little")
RAW_CAP = 1 << 20                        # raw bytes kept of an undecodable zone
MODULE_DEFAULT_SIZE = 4096               # ramoops.{record,console,ftrace,pmsg}_size

# sscanf("====%lld.%lu-%c\n%n") and the older "====%lld.%lu\n%n", including
# the kernel's idea of white space (a format '\n' eats any amount, even none).
_WS = rb"[ \t\n\v\f\r\xa0]*"
_HDR_NEW = lazy(rb"(?s)====" + _WS + rb"(-?\d{1,19})\." + _WS +
                rb"(\d{1,19})-(.)" + _WS)
_HDR_OLD = lazy(rb"====" + _WS + rb"(-?\d{1,19})\." + _WS +
                rb"(\d{1,19})" + _WS)


class Zone(Plain):
    FIELDS = (
        ("type", REQUIRED),     # dmesg, console, ftrace, pmsg
        ("index", REQUIRED),    # record id: dmesg zone number, ftrace CPU, else 0
        ("offset", REQUIRED),
        ("size", REQUIRED),
        ("sig", PERSISTENT_RAM_SIG),    # None: any ftrace signature
    )
    __slots__ = tuple(name for name, _ in FIELDS)

    def __init__(self, type, index, offset, size, sig=PERSISTENT_RAM_SIG):
        # Written out: a 16 MiB region has thousands of zones and detection
        # lays out several candidates, so Plain's generic __init__ doubled
        # the time to parse a region.
        self.type, self.index, self.offset, self.size, self.sig = \
            type, index, offset, size, sig


class Layout(Plain):
    FIELDS = (
        ("zones", REQUIRED),        # of Zone
        ("ecc_size", 0),
        ("new_order", None),        # pmsg before ftrace (Linux 6.2+)
        ("version_code", None),     # LINUX_VERSION_CODE from ftrace sig
        ("detected", False),
        ("notes", list),            # of str
        ("params", dict),           # module parameters, rounded
        ("non_default", list),      # of parameter names
        ("order_known", True),      # False: no zone tells the order
    )

    def spec(self):
        """The parameters as ``--source ramoops:FILE,...`` keys."""
        keys = ("mem_size", "record_size", "console_size", "ftrace_size",
                "pmsg_size", "ecc")
        parts = ["%s=%s" % (k, self.params[k] if k == "ecc" else
                          _size_text(self.params[k])) for k in keys
                 if k in self.params]
        if self.params.get("ftrace_cpus", 1) != 1:
            parts.append("ftrace_cpus=%d" % self.params["ftrace_cpus"])
        if self.new_order is not None and self.order_known:
            parts.append("kernel=%s" % ("6.2" if self.new_order else "6.1"))
        return ",".join(parts)

    def summary(self):
        """How the layout was found, in words (the keys are in spec())."""
        if not self.zones:
            return "; ".join(["no zones"] + self.notes)
        parts = ["detected" if self.detected else "given"]
        if self.detected:
            parts.append("module defaults except %s" % ", ".join(
                self.non_default) if self.non_default else "module defaults")
        if self.version_code:
            parts.append("ftrace signature of kernel %s"
                         % version_string(self.version_code))
        if not self.order_known:
            parts.append("zone order unknown (6.1 and 6.2+ give the same "
                         "zones here)")
        return "; ".join(parts + self.notes)

    def to_json(self):
        return dict(self.params, order=None if not self.order_known else
                    ("6.2+" if self.new_order else "6.1"),
                    detected=self.detected, non_default=self.non_default)


def _size_text(value):
    for shift, unit in ((20, "M"), (10, "K")):
        if value and value % (1 << shift) == 0:
            return "%d%s" % (value >> shift, unit)
    return "0x%x" % value if value > 9 else str(value)


def version_string(code):
    return "%d.%d.%d" % (code >> 16, (code >> 8) & 0xFF, code & 0xFF)


def _rounddown_pow2(value):
    return 1 << (value.bit_length() - 1) if value else 0


def compute_layout(mem_size, record_size=MODULE_DEFAULT_SIZE,
                   console_size=MODULE_DEFAULT_SIZE,
                   ftrace_size=MODULE_DEFAULT_SIZE,
                   pmsg_size=MODULE_DEFAULT_SIZE, ecc=0, ftrace_cpus=1,
                   kernel=(6, 1)):
    """The zones ramoops_probe() carves out of ``mem_size`` bytes.

    Defaults are the module parameters' (4 KiB each), so with only mem_size
    and record_size given the layout matches ``modprobe ramoops`` exactly.
    ``kernel`` (major, minor) selects the era's rules: 6.2+ puts pmsg before
    ftrace; before 4.19 dmesg zones are exactly record_size apart (later:
    the dmesg area divided evenly); before 4.0 there is no pmsg zone.
    """
    new_order = kernel >= (6, 2)
    if kernel < (4, 0):
        pmsg_size = 0
    sizes = [_rounddown_pow2(s) for s in (record_size, console_size,
                                          ftrace_size, pmsg_size)]
    record_size, console_size, ftrace_size, pmsg_size = sizes
    if mem_size <= 0 or not any(sizes):
        raise LayoutError("mem_size and at least one zone size must be "
                          "non-zero")
    dump_mem = mem_size - console_size - ftrace_size - pmsg_size
    if dump_mem < 0:
        raise LayoutError("console+ftrace+pmsg sizes (0x%x) exceed mem_size "
                          "0x%x" % (mem_size - dump_mem, mem_size))
    zones = []
    pos = 0
    if dump_mem and record_size:
        count = dump_mem // record_size
        if count == 0:
            raise LayoutError("record_size 0x%x is larger than the dmesg "
                              "area 0x%x" % (record_size, dump_mem))
        zone_size = (dump_mem // count) & ~1 if kernel >= (4, 19) else record_size
        for i in range(count):
            zones.append(Zone("dmesg", i, pos, zone_size))
            pos += zone_size

    def single(kind, size):
        nonlocal pos
        if size:
            zones.append(Zone(kind, 0, pos, size))
            pos += size

    def ftrace():
        nonlocal pos
        if ftrace_size and ftrace_cpus:
            zone_size = (ftrace_size // ftrace_cpus) & ~1
            for cpu in range(ftrace_cpus):
                # sig None: any version's ftrace signature (it embeds
                # LINUX_VERSION_CODE, which sizes do not tell).
                zones.append(Zone("ftrace", cpu, pos, zone_size, None))
                pos += zone_size

    single("console", console_size)
    if new_order:
        single("pmsg", pmsg_size)
        ftrace()
    else:
        ftrace()
        single("pmsg", pmsg_size)
    ecc = 16 if ecc == 1 else ecc
    params = dict(mem_size=mem_size, record_size=record_size,
                  console_size=console_size, ftrace_size=ftrace_size,
                  pmsg_size=pmsg_size, ecc=ecc,
                  ftrace_cpus=ftrace_cpus if ftrace_size else 1)
    return Layout(zones, ecc_size=ecc, new_order=new_order, params=params)


# --- layout detection -----------------------------------------------------

def _ftrace_version(sig):
    """LINUX_VERSION_CODE if ``sig`` is an ftrace zone signature, else None."""
    code = sig ^ PERSISTENT_RAM_SIG
    minor = (code >> 8) & 0xFF        # no series has had 64 minor versions
    return code if 0x020600 <= code < 0x0A0000 and minor < 64 else None


def _signature_hits(buf, start, end, sig_bytes=SIG_BYTES, most=None):
    """Even offsets holding the signature.  The rest of a header may be
    damaged (ECC repairs it later), so only the signature is required.

    Searched window by window; a mapped image's pages are released after
    each window, so scanning a 1 GiB image does not make it resident."""
    hits = []
    window = start
    while window < end and (most is None or len(hits) < most):
        stop = min(end, window + WINDOW)
        pos = find(buf, sig_bytes, window, min(end, stop + len(sig_bytes) - 1))
        while 0 <= pos < stop and (most is None or len(hits) < most):
            if pos % 2 == 0:
                hits.append(pos)
            pos = find(buf, sig_bytes, pos + 1,
                        min(end, stop + len(sig_bytes) - 1))
        _release(buf, window, stop)
        window = stop
    return hits


def _release(buf, start, stop):
    """Drop a scanned range of an mmap from our resident set (the data
    stays in the page cache; touching it again just maps it back)."""
    madvise = getattr(buf, "madvise", None)
    if madvise is None:
        return
    import mmap
    start -= start % mmap.PAGESIZE
    try:
        madvise(mmap.MADV_DONTNEED, start, stop - start)
    except (OSError, ValueError):
        pass


def detect_layout(buf, ecc=None):
    """The layout whose zones sit where the region's signatures are
    (parsers/ramoops_detect.py says how).  A region without any signature
    was never written or was cleared: an empty layout, not an error."""
    from . import ramoops_detect as detect
    evidence = detect.gather(buf)
    if not evidence.plain and not evidence.ftrace:
        return Layout([], detected=True, notes=[
            "no zone signature: never written, or cleared"])
    ecc = detect.detect_ecc(buf, evidence) if ecc is None else ecc
    detect.probe_sizes(buf, evidence, ecc)
    best = detect.search(buf, evidence, ecc)
    if best is None or best.cost[0]:
        # The region may be only the start of the image (a dump of more
        # memory than mem_size): try region sizes ending after the last zone.
        best = detect.search_shorter(buf, evidence, ecc) or best
    if (best is None or best.cost[0]) and evidence.ftrace:
        # An ftrace-like signature no layout explains may be chance bytes
        # (ECC parity, compressed data): try without it.
        plain_only = detect.without_ftrace(evidence)
        other = detect.search(buf, plain_only, ecc)
        if other is not None and not other.cost[0]:
            best, evidence = other, plain_only
    if best is None:
        raise LayoutError("no ramoops layout puts a zone at every signature; "
                          "give mem_size, record_size and the other sizes",
                          offset=0)
    p = best.params
    layout = compute_layout(p["mem_size"], p["record_size"], p["console_size"],
                            p["ftrace_size"], p["pmsg_size"], p["ecc"],
                            p["ftrace_cpus"],
                            kernel=(6, 2) if p["new_order"] else (6, 1))
    layout.detected = True
    layout.version_code = evidence.version
    layout.non_default = detect.non_defaults(p)
    layout.order_known = best.order_known
    if p["mem_size"] < len(buf):
        layout.notes.append("the region is the first 0x%x bytes of the image"
                            % p["mem_size"])
    unexplained = best.cost[0]
    if unexplained:
        layout.notes.append("%d zone signature(s) fit no layout" % unexplained)
    return layout


def _ecc_geometry(zone_size, ecc_size, block_size=rs.BLOCK_SIZE):
    """(buffer_size, ecc_blocks) as persistent_ram_init_ecc computes them."""
    avail = zone_size - HEADER_SIZE
    if avail <= 0:
        raise LayoutError("a 0x%x-byte zone cannot hold its header" % zone_size)
    if not ecc_size:
        return avail, 0
    blocks = -(-(avail - ecc_size) // (block_size + ecc_size))
    total = (blocks + 1) * ecc_size
    if total >= avail:
        raise LayoutError("ECC of %d bytes does not fit a 0x%x-byte zone"
                          % (ecc_size, zone_size))
    return avail - total, blocks


# --- zone decoding ------------------------------------------------------

def read_zone(buf, zone, ecc_size=0):
    """Return ``(data, EccStatus|None)``: the zone's linearised old log, as
    persistent_ram_post_init + persistent_ram_save_old produce it.

    Returns ``(b"", status)`` for an empty zone, and ``(b"", None)`` for a
    zone without its signature: the kernel takes that as empty too (never
    initialised, or shared with a bootloader) and re-initialises it.
    Raises a ParseError only for a zone that claims to hold a record and
    cannot (impossible start/size), which the kernel discards.  Only the
    header is touched for an empty zone, so large mostly-empty regions scan
    at memory speed.
    """
    end = zone.offset + zone.size
    if end > len(buf):
        raise TruncatedError("%s zone needs 0x%x bytes, image has 0x%x"
                             % (zone.type, zone.size, len(buf) - zone.offset),
                             offset=zone.offset)
    try:
        buffer_size, ecc_blocks = _ecc_geometry(zone.size, ecc_size)
    except LayoutError as exc:
        exc.offset = zone.offset
        raise
    status = None
    if ecc_size and not rs.available():
        status = EccStatus(checked=False)  # same buffer, parity ignored
        ecc_size = 0
    header = buf[zone.offset:zone.offset + HEADER_SIZE]
    if not ecc_size and zone.sig is not None and \
            header == zone.sig.to_bytes(4, "little") + bytes(8):
        return b"", status                # the common case: an empty zone
    data_start = zone.offset + HEADER_SIZE
    if ecc_size:
        status = EccStatus()
        par_header = end - ecc_size
        try:
            header, fixed = rs.correct(header, buf[par_header:end], ecc_size)
            status.corrected += fixed
        except EccError:
            status.unrecoverable += 1
    hdr = _parse_header(header)
    if zone.sig is None and _ftrace_version(hdr.sig):
        zone.sig = hdr.sig
    if hdr.sig != zone.sig:
        return b"", None        # persistent_ram_post_init: "no valid data"
    if hdr.size == 0 and hdr.start == 0:
        return b"", status
    if not 0 <= hdr.start <= hdr.size <= buffer_size:
        raise BadHeaderError("%s zone claims start %d, size %d in a %d-byte "
                             "buffer" % (zone.type, hdr.start, hdr.size,
                                         buffer_size), offset=zone.offset)
    if ecc_size:
        data = _correct_blocks(buf[zone.offset:end], hdr.size, buffer_size,
                               ecc_size, status)
    else:
        data = buf[data_start:data_start + hdr.size]
    return data[hdr.start:hdr.size] + data[:hdr.start], status


def _correct_blocks(raw, valid, buffer_size, ecc_size, status):
    """persistent_ram_ecc_old: decode each block that holds valid bytes."""
    fixed_data = bytearray(raw[HEADER_SIZE:HEADER_SIZE + buffer_size])
    par_base = HEADER_SIZE + buffer_size
    block = 0
    index = 0
    while block < valid:
        length = min(rs.BLOCK_SIZE, buffer_size - block)
        par = raw[par_base + index * ecc_size:par_base + (index + 1) * ecc_size]
        try:
            fixed, count = rs.correct(fixed_data[block:block + length], par,
                                      ecc_size)
            if count:
                fixed_data[block:block + length] = fixed
                status.corrected += count
        except EccError:
            status.unrecoverable += 1
        block += rs.BLOCK_SIZE
        index += 1
    return bytes(fixed_data)


def parse_dmesg_header(data):
    """Return ``(time_ns, compressed, header_length)`` for a dmesg zone's
    linearised data, as ramoops_read_kmsg_hdr does (header_length 0 = none)."""
    match = _HDR_NEW.match(data, 0, 128)
    if match:
        compressed = match.group(3) == b"C"
    else:
        match = _HDR_OLD.match(data, 0, 128)
        compressed = False
    if not match:
        return None, False, 0
    seconds = int(match.group(1))
    usec = int(match.group(2))
    return seconds * 10**9 + usec * 1000, compressed, match.end()


def _decode_dmesg(data, zone, limit):
    time_ns, compressed, hlen = parse_dmesg_header(data)
    if not hlen:
        raise BadHeaderError("dmesg zone %d has no '====sec.usec' header; the "
                             "kernel discards it" % zone.index,
                             offset=zone.offset)
    record = Record("ramoops", "dmesg", zone.index, data[hlen:],
                    time_ns=time_ns, compressed=compressed)
    if compressed:
        _inflate_into(record, data, hlen, limit)
    try:
        record.reason, record.count, record.part, _ = \
            parse_part_header(record.payload)
    except ParseError as exc:
        if not record.still_compressed:
            record.problems.append(str(exc))
    return record


def _inflate_into(record, data, hlen, limit):
    """Decompress the payload; on failure keep the raw bytes as the kernel
    does (its file is then named .enc.z) and say why."""
    try:
        record.payload = compression.decompress(record.payload, limit)[1]
        return
    except LimitExceeded:
        raise                     # kept in place: a larger cap decodes it
    except DecompressError as exc:
        error = exc
    # The kernel's sscanf eats white space after "-C\n", even a deflate
    # stream's first byte (0x0b, 0x0d...).  Retry from just after "\n".
    newline = data.find(b"\n", 0, hlen)
    if 0 <= newline < hlen - 1:
        try:
            record.payload = compression.decompress(data[newline + 1:],
                                                    limit)[1]
            record.problems.append("compressed stream began with a white-"
                                   "space byte the kernel's header parser "
                                   "swallows; decoded it anyway")
            return
        except DecompressError:
            pass
    record.still_compressed = True
    record.problems.append("cannot decompress: %s" % error)


def ftrace_records(data):
    """Parse a (merged) ftrace log, skipping a torn leading record."""
    skip = len(data) % FTRACE_RECORD_SIZE
    return [FtraceRecord.parse(data[i:i + FTRACE_RECORD_SIZE])
            for i in range(skip, len(data), FTRACE_RECORD_SIZE)]


def merge_ftrace(logs):
    """pstore_ftrace_combine_log over the per-CPU zones, in zone order."""
    merged = []
    for log in logs:
        src = ftrace_records(log)
        out, i, j = [], 0, 0
        while i < len(merged) and j < len(src):
            if (merged[i].ts >> 8) < (src[j].ts >> 8):
                out.append(merged[i])
                i += 1
            else:
                out.append(src[j])
                j += 1
        merged = out + merged[i:] + src[j:]
    return merged


def render_ftrace(records):
    """The text of ftrace-ramoops-0, with addresses where the reading kernel
    would print symbol names (only the crashed kernel's symbols fit)."""
    lines = []
    for rec in records:
        lines.append("CPU:%d ts:%d %08x  %08x  0x%x <- 0x%x\n"
                     % (rec.ts & 0xFF, rec.ts >> 8, rec.ip, rec.parent_ip,
                        rec.ip, rec.parent_ip))
    return "".join(lines).encode()


def parse(buf, layout=None, limit=compression.DEFAULT_LIMIT, source=None):
    """Decode every zone of a ramoops region.

    ``buf`` is the region (bytes or mmap), starting at the first dmesg zone.
    Without ``layout`` it is detected from the zone signatures.
    """
    result = ParseResult()
    if layout is None:
        layout = detect_layout(buf)
    result.info["layout"] = layout
    ftrace_logs = []
    ftrace_ecc = None
    for zone in layout.zones:
        try:
            data, status = read_zone(buf, zone, layout.ecc_size)
        except ParseError as exc:
            exc.source = source
            exc.raw = bytes(buf[zone.offset:zone.offset + min(zone.size, RAW_CAP)])
            result.errors.append(exc)
            continue
        if zone.type == "ftrace":
            ftrace_logs.append(data)
            if status:
                ftrace_ecc = ftrace_ecc or EccStatus()
                ftrace_ecc.corrected += status.corrected
                ftrace_ecc.unrecoverable += status.unrecoverable
            continue
        if not data:
            continue
        if zone.type == "dmesg":
            try:
                record = _decode_dmesg(data, zone, limit)
            except ParseError as exc:
                exc.source = source
                exc.raw = bytes(buf[zone.offset:zone.offset +
                                    min(zone.size, RAW_CAP)])
                result.errors.append(exc)
                continue
        else:
            record = Record("ramoops", zone.type, 0, data)
        record.ecc = status
        record.origin = Origin(path=source, offset=zone.offset,
                               length=zone.size)
        result.records.append(record)
    if any(ftrace_logs):
        records = merge_ftrace(ftrace_logs)
        first = next(z for z in layout.zones if z.type == "ftrace")
        result.records.append(Record(
            "ramoops", "ftrace", 0, render_ftrace(records), ecc=ftrace_ecc,
            origin=Origin(path=source, offset=first.offset)))
    return result
