"""ramoops: a raw dump of the reserved RAM region (fs/pstore/ram.c, ram_core.c).

The region is cut into zones (dmesg x N, console, ftrace x CPUs, pmsg; from
Linux 6.2 pmsg comes before ftrace).  Each zone is a persistent_ram_buffer:
a 12-byte header, a circular data area and, with ECC, Reed-Solomon parity.
Layouts come either from the kernel's own arithmetic (``compute_layout``) or
from the zone signatures in the image (``detect_layout``).
"""

import re
from dataclasses import dataclass, field
from typing import List, Optional

from construct import Int32sl, Int32ul, Int64ul, Struct

from . import compression, ecc as rs
from .exceptions import (BadHeaderError, BadMagicError, DecompressError,
                         EccError, LayoutError, LimitExceeded, ParseError,
                         TruncatedError)
from .kmsg import parse_part_header
from .records import EccStatus, Origin, ParseResult, Record
from .scan import find_all

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
_HDR_NEW = re.compile(rb"====" + _WS + rb"(-?\d{1,19})\." + _WS +
                      rb"(\d{1,19})-(.)" + _WS, re.DOTALL)
_HDR_OLD = re.compile(rb"====" + _WS + rb"(-?\d{1,19})\." + _WS +
                      rb"(\d{1,19})" + _WS)


@dataclass
class Zone:
    type: str          # dmesg, console, ftrace, pmsg
    index: int         # record id: dmesg zone number, ftrace CPU, else 0
    offset: int
    size: int
    sig: Optional[int] = PERSISTENT_RAM_SIG   # None: any ftrace signature


@dataclass
class Layout:
    zones: List[Zone]
    ecc_size: int = 0
    new_order: Optional[bool] = None     # pmsg before ftrace (Linux 6.2+)
    version_code: Optional[int] = None   # LINUX_VERSION_CODE from ftrace sig
    detected: bool = False
    notes: List[str] = field(default_factory=list)

    def describe(self):
        counts = {}
        for zone in self.zones:
            counts.setdefault(zone.type, []).append(zone.size)
        parts = ["%s %dx0x%x" % (t, len(s), s[0]) for t, s in counts.items()]
        if self.ecc_size:
            parts.append("ecc %d" % self.ecc_size)
        if self.version_code:
            parts.append("kernel %s" % version_string(self.version_code))
        return ", ".join(parts)


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
    return Layout(zones, ecc_size=16 if ecc == 1 else ecc,
                  new_order=new_order)


# --- layout detection -----------------------------------------------------

def _header_at(buf, off):
    raw = buf[off:off + HEADER_SIZE]
    if len(raw) < HEADER_SIZE:
        return None
    return _parse_header(raw)


def _plausible(hdr, limit):
    return hdr is not None and 0 <= hdr.start <= hdr.size < limit


def _ftrace_version(sig):
    """LINUX_VERSION_CODE if ``sig`` is an ftrace zone signature, else None."""
    code = sig ^ PERSISTENT_RAM_SIG
    return code if 0x020600 <= code < 0x0A0000 else None


_WINDOW = 16 << 20


def _signature_hits(buf, start, end, sig_bytes=SIG_BYTES, most=None):
    """Even offsets holding the signature.  The rest of a header may be
    damaged (ECC repairs it later), so only the signature is required.

    Searched window by window; a mapped image's pages are released after
    each window, so scanning a 1 GiB image does not make it resident."""
    hits = []
    for pos in find_all(buf, sig_bytes, start, end, _WINDOW, _release):
        if pos % 2 == 0:
            hits.append(pos)
            if most is not None and len(hits) >= most:
                break
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


def _has_sig(buf, off):
    return buf[off:off + 4] == SIG_BYTES


def detect_layout(buf, ecc=None):
    """Infer the zone layout from the signatures every zone carries.

    The kernel writes a header into every zone at boot, empty or not, so the
    plain "DBGC" signatures mark dmesg, console and pmsg zones and the
    version-XORed one marks ftrace zones.  dmesg zones are equally spaced from
    offset 0; the zones after them are told apart by the ftrace zone's
    position and kernel version (pmsg moved before ftrace in 6.2).
    """
    end = len(buf)
    hits = _signature_hits(buf, 0, end, most=6)
    if not hits or hits[0] != 0:
        raise LayoutError("no ramoops zone signature at the start of the "
                          "image; give mem_size/record_size or offset=",
                          offset=0)
    stride, count = _dmesg_run(buf, hits, end)
    zones = [Zone("dmesg", i, i * stride, stride) for i in range(count)]
    tail_start = count * stride
    # Zones after the dmesg run: plain-signature ones plus ftrace ones, whose
    # signature depends on the kernel version and so is searched for.
    tail = _signature_hits(buf, tail_start, end)
    version, ftrace_offsets = _find_ftrace(buf, tail_start, end, tail)
    bounds = sorted(set(tail) | set(ftrace_offsets) | {tail_start})
    bounds = [b for b in bounds if b < end]
    extra = []
    for i, off in enumerate(bounds):
        nxt = bounds[i + 1] if i + 1 < len(bounds) else end
        extra.append((off, nxt - off, off in ftrace_offsets))
    layout = Layout(zones, detected=True, version_code=version)
    plain = [(o, s) for o, s, f in extra if not f]
    ftraces = [(o, s) for o, s, f in extra if f]
    if ftraces:
        layout.new_order = version >= 0x060200
        assigned = _name_tail(layout, plain, ftraces[0][0])
        for cpu, (off, size) in enumerate(ftraces):
            layout.zones.append(Zone("ftrace", cpu, off, size,
                                     PERSISTENT_RAM_SIG ^ version))
    else:
        assigned = list(zip(("console", "pmsg"), plain))
        layout.notes.append("no ftrace zone: console/pmsg order assumed")
    if len(assigned) < len(plain):
        layout.notes.append("%d unexpected zone(s) after the dmesg zones"
                            % (len(plain) - len(assigned)))
    for kind, (off, size) in assigned:
        layout.zones.append(Zone(kind, 0, off, size))
    layout.zones.sort(key=lambda z: z.offset)
    _trim_last_zone(layout.zones)
    layout.ecc_size = _detect_ecc(buf, layout.zones) if ecc is None else ecc
    return layout


def _name_tail(layout, plain, first_ftrace):
    """Name the plain-signature zones around the first ftrace zone: before
    it console (6.1) or console and pmsg (6.2+), after it pmsg (6.1).
    Console/pmsg zones as large as a dmesg zone were counted as dmesg zones
    by their spacing; the ftrace zone's position says how many to take back."""
    wanted = ("console", "pmsg") if layout.new_order else ("console",)
    before = [p for p in plain if p[0] < first_ftrace][-len(wanted):]
    after = [p for p in plain if p[0] > first_ftrace]
    while len(before) < len(wanted) and layout.zones:
        last = layout.zones[-1]
        if last.offset + last.size != (before[0][0] if before else first_ftrace):
            break
        layout.zones.pop()
        before.insert(0, (last.offset, last.size))
    named = list(zip(wanted, before))
    if not layout.new_order and after:
        named.append(("pmsg", after[0]))
    return named


def _trim_last_zone(zones):
    """The last zone only seems to run to the image end: the kernel leaves
    the remainder of the dmesg division unused there.  Console, pmsg and a
    lone ftrace zone are powers of two; per-CPU ftrace zones are equal."""
    last = zones[-1]
    if last.type == "dmesg":
        return
    siblings = [z for z in zones[:-1] if z.type == "ftrace"]
    if last.type == "ftrace" and siblings:
        last.size = min(last.size, siblings[0].size)
    else:
        last.size = _rounddown_pow2(last.size)


def _dmesg_run(buf, hits, end):
    """The stride and count of equally spaced zones starting at offset 0.

    The stride is the smallest distance that repeats (a stray "DBGC" inside
    zone 0 does not); a zone counts only if the next one starts where it
    ends, or the image ends there, so a console zone of another size is not
    swallowed."""
    for stride in hits[1:6]:
        count = 0
        while _has_sig(buf, (count + 1) * stride):
            count += 1
        if (count + 1) * stride == end:
            count += 1
        if count >= 2:
            return stride, count
    return (hits[1], 1) if len(hits) > 1 else (end, 1)


def _find_ftrace(buf, start, end, tail_hits):
    """Locate ftrace zones after ``start``: try the places a power-of-two
    sized zone could begin, then find the rest by their exact signature."""
    candidates = set()
    anchors = sorted(set(tail_hits) | {start})
    for anchor in anchors:
        step = 2
        while anchor + step < end:
            candidates.add(anchor + step)
            step <<= 1
    candidates |= set(tail_hits)
    candidates.add(start)
    for off in sorted(candidates):
        hdr = _header_at(buf, off)
        if hdr is None or not _plausible(hdr, end):
            continue
        version = _ftrace_version(hdr.sig)
        if version:
            return version, _signature_hits(buf, off, end,
                                            hdr.sig.to_bytes(4, "little"))
    return None, []


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


def _detect_ecc(buf, zones):
    """The ECC size whose header parity sits at the end of most zones (the
    header's parity is always a zone's last ``ecc_size`` bytes)."""
    if not rs.available():
        return 0
    def matches(zone, ecc_size):
        if zone.size - HEADER_SIZE <= 2 * ecc_size:
            return False
        head = buf[zone.offset:zone.offset + HEADER_SIZE]
        tail = buf[zone.offset + zone.size - ecc_size:zone.offset + zone.size]
        return any(tail) and rs.header_parity(head, ecc_size) == tail

    sample = zones[:5]
    for ecc_size in range(1, 128):
        if not any(matches(z, ecc_size) for z in sample[:2]):
            continue
        if sum(matches(z, ecc_size) for z in sample) * 2 > len(sample):
            return ecc_size
    return 0


# --- zone decoding ------------------------------------------------------

def read_zone(buf, zone, ecc_size=0):
    """Return ``(data, EccStatus|None)``: the zone's linearised old log, as
    persistent_ram_post_init + persistent_ram_save_old produce it.

    Returns ``(b"", status)`` for an empty zone; raises a ParseError when the
    kernel would discard the zone (bad signature, impossible start/size).
    Only the header is touched for an empty zone, so large mostly-empty
    regions scan at memory speed.
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
        raise BadMagicError("%s zone signature 0x%08x, expected 0x%08x"
                            % (zone.type, hdr.sig, zone.sig or
                               PERSISTENT_RAM_SIG ^ 0x060100),
                            offset=zone.offset)
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
        origin = Origin(path=source, offset=zone.offset, length=zone.size)
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
        record.origin = origin
        result.records.append(record)
    if any(ftrace_logs):
        records = merge_ftrace(ftrace_logs)
        first = next(z for z in layout.zones if z.type == "ftrace")
        result.records.append(Record(
            "ramoops", "ftrace", 0, render_ftrace(records), ecc=ftrace_ecc,
            origin=Origin(path=source, offset=first.offset)))
    return result
