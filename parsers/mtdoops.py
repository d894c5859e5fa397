"""mtdoops: an MTD partition holding kernel logs (drivers/mtd/mtdoops.c).

Not a pstore backend: the partition is cut into ``record_size`` slots, each
a small header then the newest log lines, a NUL, and the erased 0xFF tail.
"""

from construct import Int32ul, Int64sl, Struct

from .exceptions import BadMagicError, LayoutError, TruncatedError
from .patterns import lazy
from .records import Origin, ParseResult, Record

MAGIC_V1 = 0x5D005D00      # 8-byte header: seq, magic
MAGIC_V2 = 0x5D005E00      # 16-byte header: seq, magic, ns timestamp (5.19+)
ERASED = 0xFFFFFFFF
MIN_RECORD_SIZE = 4096

HeaderV1 = Struct("seq" / Int32ul, "magic" / Int32ul)
HeaderV2 = Struct("seq" / Int32ul, "magic" / Int32ul,
                  "timestamp" / Int64sl)      # ktime_get_real(): ns since epoch
_MAGICS = {MAGIC_V1: HeaderV1, MAGIC_V2: HeaderV2}


def newer(seq, than):
    """find_next_position()'s wrap-aware "seq is newer than the candidate"."""
    if seq < 0x40000000 and than > 0xC0000000:
        return True
    if than < seq < 0xC0000000:
        return True
    return seq > than and seq > 0xC0000000 and than > 0x80000000


def detect_record_size(buf):
    """The slot size: the largest power-of-two multiple of 4 KiB that every
    record header sits on; a lone record at 0 sizes itself by its text."""
    end = len(buf)
    positions = []
    for slot in used_slots(buf, MIN_RECORD_SIZE, end // MIN_RECORD_SIZE):
        off = slot * MIN_RECORD_SIZE
        if int.from_bytes(buf[off + 4:off + 8], "little") in _MAGICS:
            positions.append(off)
    size = MIN_RECORD_SIZE
    if not positions:
        return size
    nonzero = [p for p in positions if p]
    if nonzero:
        while all(p % (size * 2) == 0 for p in nonzero) and size * 2 <= end:
            size *= 2
        return size
    # Only slot 0 is used: the text must fit the slot.
    text_end = _text_end(buf, 8, end)
    while size < text_end and size * 2 <= end:
        size *= 2
    return size


_ERASED_TO_ZERO = bytes([0 if b == 0xFF else 1 for b in range(256)])
_NONZERO = lazy(rb"[^\x00]")


def used_slots(buf, record_size, slots):
    """Slots whose 8 header bytes are not all 0xFF.  Strided slices pick
    byte k of every slot in C, so a mostly erased partition is scanned
    without a Python loop over its slots."""
    size = slots * record_size
    marks = bytes(slots)
    for k in range(8):
        column = bytes(buf[k:size:record_size]).translate(_ERASED_TO_ZERO)
        marks = (int.from_bytes(marks, "big") |
                 int.from_bytes(column, "big")).to_bytes(slots, "big")
    return [m.start() for m in _NONZERO.finditer(marks)]


def _text_end(buf, start, end):
    """First NUL or 0xFF after the text (the kernel writes text, one NUL,
    then leaves the 0xFF-filled buffer)."""
    nul = buf.find(b"\0", start, end)
    ff = buf.find(b"\xff", start, end)
    stops = [p for p in (nul, ff) if p >= 0]
    return min(stops) if stops else end


def parse(buf, record_size=None, source=None):
    """Decode every used slot; records come back oldest first (by seq)."""
    result = ParseResult()
    if record_size is None:
        record_size = detect_record_size(buf)
    if record_size < MIN_RECORD_SIZE or record_size % MIN_RECORD_SIZE:
        raise LayoutError("record_size %d is not a multiple of 4096"
                          % record_size, source=source)
    if len(buf) < record_size:
        raise TruncatedError("image of %d bytes is smaller than one %d-byte "
                             "record" % (len(buf), record_size), offset=0,
                             source=source)
    slots = len(buf) // record_size
    result.info["record_size"] = record_size
    result.info["slots"] = slots
    for slot in used_slots(buf, record_size, slots):
        off = slot * record_size
        head = buf[off:off + 8]
        seq = int.from_bytes(head[:4], "little")
        magic = int.from_bytes(head[4:8], "little")
        if seq == ERASED and magic == ERASED:
            continue
        struct = _MAGICS.get(magic)
        if struct is None or seq == ERASED:
            if any(b != 0xFF for b in buf[off:off + 64]):
                result.errors.append(BadMagicError(
                    "slot %d has no mtdoops header (seq 0x%08x, magic "
                    "0x%08x)" % (slot, seq, magic), offset=off, source=source))
            continue
        hdr = struct.parse(buf[off:off + struct.sizeof()])
        start = off + struct.sizeof()
        end = _text_end(buf, start, off + record_size)
        record = Record("mtdoops", "dmesg", slot, bytes(buf[start:end]),
                        seq=seq, origin=Origin(path=source, offset=off,
                                               length=record_size))
        if magic == MAGIC_V2:
            record.time_ns = hdr.timestamp
        result.records.append(record)
    result.records = _oldest_first(result.records)
    return result


def _oldest_first(records):
    """Order by seq as the kernel's wrap rule sees it: walk back from the
    newest record."""
    if not records:
        return records
    newest = records[0]
    for rec in records[1:]:
        if newest.seq == ERASED or newer(rec.seq, newest.seq):
            newest = rec
    # Distance behind the newest, modulo 2^32, orders wrap-around correctly.
    return sorted(records, key=lambda r: -((newest.seq - r.seq) & ERASED))
