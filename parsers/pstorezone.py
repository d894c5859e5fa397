"""pstore/zone: the format of pstore/blk and mtdpstore (fs/pstore/zone.c).

A block device or MTD partition cut into zones: pmsg, console, ftrace x
CPUs, then kmsg (dmesg) zones of ``kmsg_size`` filling the rest.  Each zone
starts with a 12-byte psz_buffer (signature XOR pstore type, datalen,
start: note the order differs from ramoops); a kmsg zone's data starts with
a 40-byte psz_kmsg_header (64-bit layout).  Erased flash reads 0xFF, which
never matches a signature.
"""

import math
import struct

from construct import Flag, Int32sl, Int32ul, Int64sl, Padding, Struct

from . import compression
from .exceptions import (BadHeaderError, BadMagicError, DecompressError,
                         LayoutError, LimitExceeded, ParseError,
                         TruncatedError)
from .kmsg import KMSG_DUMP_REASONS_V58, parse_part_header
from .ramoops.ftrace import merge_ftrace, render_ftrace
from .records import PSTORE_TYPE_IDS, Origin, ParseResult, Record
from .search import find

PSZ_SIG = 0x43474244
KMSG_HEADER_MAGIC = 0x4DFC3AE5
BACKEND = "pstore_blk"
DEFAULT_KMSG_SIZE = 64 << 10       # CONFIG_PSTORE_BLK_KMSG_SIZE (KiB)

ZoneBuffer = Struct(
    "sig" / Int32ul,               # PSZ_SIG ^ pstore type id
    "datalen" / Int32sl,
    "start" / Int32sl,
)
ZONE_HEADER = ZoneBuffer.sizeof()
_HEADER = struct.Struct("<Iii")

KmsgHeader = Struct(               # struct psz_kmsg_header, x86-64/arm64
    "magic" / Int32ul,
    Padding(4),
    "tv_sec" / Int64sl,
    "tv_nsec" / Int64sl,
    "compressed" / Flag,
    Padding(3),
    "counter" / Int32ul,
    "reason" / Int32ul,            # enum kmsg_dump_reason (v5.8 numbering)
    Padding(4),
)
KMSG_HEADER = KmsgHeader.sizeof()


class Zone:
    __slots__ = ("type", "index", "offset", "size")

    def __init__(self, kind, index, offset, size):
        self.type, self.index, self.offset, self.size = kind, index, offset, size

    @property
    def sig(self):
        return PSZ_SIG ^ PSTORE_TYPE_IDS[self.type]


def compute_layout(total_size, kmsg_size=DEFAULT_KMSG_SIZE, pmsg_size=0,
                   console_size=0, ftrace_size=0, ftrace_cpus=1):
    """psz_alloc_zones(): pmsg, console, ftrace zones, then kmsg zones.
    The defaults are mtdpstore's (dmesg only, 64 KiB zones)."""
    zones, pos = [], 0
    for kind, size in (("pmsg", pmsg_size), ("console", console_size)):
        if size:
            zones.append(Zone(kind, 0, pos, size))
            pos += size
    if ftrace_size and ftrace_cpus:
        each = ftrace_size // ftrace_cpus
        for cpu in range(ftrace_size // each if each else 0):
            zones.append(Zone("ftrace", cpu, pos, each))
            pos += each
    used = pmsg_size + console_size + ftrace_size
    if used > total_size:
        raise LayoutError("front-end sizes 0x%x exceed the 0x%x-byte area"
                          % (used, total_size))
    if kmsg_size:
        for index in range((total_size - used) // kmsg_size):
            zones.append(Zone("dmesg", index, pos, kmsg_size))
            pos += kmsg_size
    if not zones:
        raise LayoutError("no zone fits: give kmsg_size or other sizes")
    return zones


def _signatures(buf):
    """(offset, kind) of every zone header: a signature with a datalen and
    start that fit.  Zones need not be aligned (per-CPU ftrace zones are
    ftrace_size / CPUs bytes, so the kmsg zones after them may start at
    any byte); a signature inside a zone's data is data."""
    found = []
    for kind in ("pmsg", "console", "ftrace", "dmesg"):
        needle = (PSZ_SIG ^ PSTORE_TYPE_IDS[kind]).to_bytes(4, "little")
        pos = find(buf, needle, 0, len(buf))
        while pos >= 0:
            if pos + ZONE_HEADER <= len(buf):
                _, datalen, start = _HEADER.unpack_from(buf, pos)
                if 0 <= datalen and 0 <= start <= max(datalen, 0) + \
                        len(buf) and pos + ZONE_HEADER + datalen <= len(buf):
                    found.append((pos, kind, datalen))
            pos = find(buf, needle, pos + 1, len(buf))
    found.sort()
    hits, covered = [], 0
    for pos, kind, datalen in found:
        if pos >= covered:
            hits.append((pos, kind))
            covered = pos + ZONE_HEADER + datalen
    return hits


def _kmsg_stride(buf, dmesg):
    """The kmsg zone size the written kmsg zones show: unwritten zones
    between written ones hide it, so the gcd of the gaps, or the Kconfig
    default 64 KiB (fewer non-default parameters) when it divides that
    and holds every record."""
    stride = 0
    for a, b in zip(dmesg, dmesg[1:]):
        stride = math.gcd(stride, b - a)
    used = max((_HEADER.unpack_from(buf, off)[1] for off in dmesg), default=0)
    if stride and stride % DEFAULT_KMSG_SIZE == 0 and \
            used + ZONE_HEADER <= DEFAULT_KMSG_SIZE:
        stride = DEFAULT_KMSG_SIZE
    return stride


def detect_layout(buf):
    """Zones from their signatures: each front-end's zones are contiguous,
    in the order pmsg, console, ftrace, dmesg.  A zone is only written
    when used, so an erased device has none, and unwritten zones between
    written ones are found by the kmsg zones' common spacing."""
    hits = _signatures(buf)
    if not hits:
        return []           # erased or never written: nothing to decode
    dmesg = [off for off, kind in hits if kind == "dmesg"]
    stride = _kmsg_stride(buf, dmesg)
    zones = []
    for i, (off, kind) in enumerate(hits):
        following = hits[i + 1][0] if i + 1 < len(hits) else len(buf)
        size = following - off
        if kind == "dmesg" and stride:
            size = min(size, stride)
        zones.append(Zone(kind, 0, off, size))
    # The record id is the zone's index among the kmsg zones, which start
    # where the front-end zones end; zones never written (erased flash)
    # carry no signature, so count by offset, not by what was found.
    front = [z for z in zones if z.type != "dmesg"]
    base = front[-1].offset + front[-1].size if front else \
        (dmesg[0] % stride if stride else 0)
    counters = {}
    for zone in zones:
        if zone.type == "dmesg" and stride:
            zone.index = (zone.offset - base) // stride
        else:
            zone.index = counters.get(zone.type, 0)
            counters[zone.type] = zone.index + 1
    return zones


def read_zone(buf, zone):
    """``(header, data)`` of a zone, or None when it holds nothing (erased,
    other signature, or datalen 0), as psz_recover_zone sees it."""
    head = buf[zone.offset:zone.offset + ZONE_HEADER]
    if len(head) < ZONE_HEADER or zone.offset + zone.size > len(buf):
        raise TruncatedError("%s zone runs past the end of the image"
                             % zone.type, offset=zone.offset)
    hdr = ZoneBuffer.parse(head)
    if hdr.sig != zone.sig or hdr.datalen == 0:
        return None
    capacity = zone.size - ZONE_HEADER
    if not (0 <= hdr.datalen <= capacity and 0 <= hdr.start <= capacity):
        raise BadHeaderError("%s zone claims datalen %d, start %d in %d bytes"
                             % (zone.type, hdr.datalen, hdr.start, capacity),
                             offset=zone.offset)
    base = zone.offset + ZONE_HEADER
    return hdr, bytes(buf[base:base + hdr.datalen])


def _kmsg_record(zone, hdr, data, limit):
    if hdr.datalen < KMSG_HEADER:
        raise BadHeaderError("dmesg zone %d too short for its header"
                             % zone.index, offset=zone.offset)
    meta = KmsgHeader.parse(data[:KMSG_HEADER])
    if meta.magic != KMSG_HEADER_MAGIC:
        raise BadMagicError("dmesg zone %d has no kmsg header (magic 0x%08x); "
                            "the kernel discards it" % (zone.index, meta.magic),
                            offset=zone.offset)
    reason = KMSG_DUMP_REASONS_V58.get(meta.reason, "Unknown")
    payload = data[KMSG_HEADER:]
    record = Record(BACKEND, "dmesg", zone.index, payload, reason=reason,
                    count=meta.counter, compressed=meta.compressed,
                    time_ns=meta.tv_sec * 10**9 + meta.tv_nsec,
                    origin=Origin(offset=zone.offset, length=zone.size))
    if meta.compressed:
        try:
            record.payload = compression.decompress(payload, limit)[1]
        except LimitExceeded:
            raise                 # kept in place: a larger cap decodes it
        except DecompressError as exc:
            record.still_compressed = True
            record.problems.append("cannot decompress: %s" % exc)
            return record
    else:
        # psz_kmsg_read() shows this line before an uncompressed record.
        record.payload = ("%s: Total %d times\n" % (reason, meta.counter)
                          ).encode() + payload
    text = payload if not meta.compressed else record.payload
    try:
        record.reason, record.count, record.part, _ = parse_part_header(text)
    except ParseError as exc:
        record.problems.append(str(exc))
    return record


def parse(buf, zones=None, limit=compression.DEFAULT_LIMIT, source=None):
    """Decode every zone of a pstore/blk or mtdpstore image."""
    result = ParseResult()
    zones = detect_layout(buf) if zones is None else zones
    result.info["zones"] = zones
    ftrace_logs = []
    for zone in zones:
        try:
            found = read_zone(buf, zone)
            if found is None:
                continue
            hdr, data = found
            if zone.type == "dmesg":
                record = _kmsg_record(zone, hdr, data, limit)
            elif zone.type == "ftrace":
                ftrace_logs.append(data[hdr.start:] + data[:hdr.start])
                continue
            else:
                record = Record(BACKEND, zone.type, 0,
                                data[hdr.start:] + data[:hdr.start],
                                origin=Origin(offset=zone.offset,
                                              length=zone.size))
        except ParseError as exc:
            exc.source = source
            result.errors.append(exc)
            continue
        record.origin.path = source
        result.records.append(record)
    if any(ftrace_logs):
        result.records.append(Record(BACKEND, "ftrace", 0,
                                     render_ftrace(merge_ftrace(ftrace_logs)),
                                     origin=Origin(path=source)))
    return result
