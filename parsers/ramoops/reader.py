"""Decode a ramoops region zone by zone, as persistent_ram_post_init and
ramoops_pstore_read present it: linearised, ECC-corrected, decompressed."""

from .. import compression, ecc as rs
from ..exceptions import (BadHeaderError, DecompressError, EccError,
                          LayoutError, LimitExceeded, ParseError,
                          TruncatedError)
from ..kmsg import parse_part_header
from ..patterns import lazy
from ..records import EccStatus, Origin, ParseResult, Record
from .detect import detect_layout
from .ftrace import merge_ftrace, render_ftrace
from .layout import ecc_geometry
from .structs import HEADER_SIZE, ZoneHeader, ftrace_version

_parse_header = ZoneHeader.compile().parse     # ~3x faster per zone
RAW_CAP = 1 << 20                        # raw bytes kept of an undecodable zone

# sscanf("====%lld.%lu-%c\n%n") and the older "====%lld.%lu\n%n", including
# the kernel's idea of white space (a format '\n' eats any amount, even none).
_WS = rb"[ \t\n\v\f\r\xa0]*"
_HDR_NEW = lazy(rb"(?s)====" + _WS + rb"(-?\d{1,19})\." + _WS +
                rb"(\d{1,19})-(.)" + _WS)
_HDR_OLD = lazy(rb"====" + _WS + rb"(-?\d{1,19})\." + _WS +
                rb"(\d{1,19})" + _WS)

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
        buffer_size, ecc_blocks = ecc_geometry(zone.size, ecc_size)
    except LayoutError as exc:
        exc.offset = zone.offset
        raise
    status = None
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
            _damaged(status)
    hdr = _parse_header(header)
    if zone.sig is None and ftrace_version(hdr.sig):
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
            _damaged(status)
        block += rs.BLOCK_SIZE
        index += 1
    return bytes(fixed_data)


def _damaged(status):
    """A block beyond repair; or, without reedsolo, one not repaired."""
    status.unrecoverable += 1
    if not rs.available():
        status.checked = False


def ecc_problem(status):
    """The record problem that says damaged blocks were read unrepaired."""
    return ("ECC: %d damaged block(s) read as they are, not repaired: "
            "reedsolo is missing; %s" % (status.unrecoverable,
                                         rs.HOW_TO_REPAIR))


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
                ftrace_ecc.checked &= status.checked
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
        if status is not None and not status.checked:
            record.problems.insert(0, ecc_problem(status))
        record.origin = Origin(path=source, offset=zone.offset,
                               length=zone.size)
        result.records.append(record)
    if any(ftrace_logs):
        records = merge_ftrace(ftrace_logs)
        first = next(z for z in layout.zones if z.type == "ftrace")
        record = Record(
            "ramoops", "ftrace", 0, render_ftrace(records), ecc=ftrace_ecc,
            origin=Origin(path=source, offset=first.offset))
        if ftrace_ecc is not None and not ftrace_ecc.checked:
            record.problems.insert(0, ecc_problem(ftrace_ecc))
        result.records.append(record)
    return result
