"""Files of a mounted pstore filesystem (/sys/fs/pstore) or a copy of one.

The kernel has already decoded these (fs/pstore/inode.c): names say type,
backend and id; dmesg files start with the ``<Reason>#n PartM`` line;
ramoops appends an ECC status line; pstore/zone prefixes uncompressed dmesg
records with ``<Reason>: Total <n> times``.  ``.enc.z`` files are payloads
the kernel could not decompress, which we try again.

Deliberately free of construct: this is the boot path.
"""

import re

from . import compression
from .exceptions import (BadHeaderError, DecompressError, LimitExceeded,
                         ParseError)
from .kmsg import parse_part_header
from .patterns import lazy
from .records import (PSTORE_TYPE_NAMES, EccStatus, Origin, ParseResult,
                      Record, time_from_seconds)

_TYPES = sorted(list(PSTORE_TYPE_NAMES.values()) + ["unknown"], key=len,
                reverse=True)
_NAME = lazy(r"(?P<type>%s|type\d{1,3})-(?P<backend>[A-Za-z0-9_.-]+?)"
             r"(?:-(?P<id>\d{1,20}))?(?P<enc>\.enc\.z)?\Z"
             % "|".join(re.escape(t) for t in _TYPES))
# The kernel's ECC notice (v5.18+ with "ECC: ", earlier without).
_ECC_NOTICE = lazy(rb"\n(?:ECC: )?(?:No errors detected|(\d{1,10}) "
                   rb"Corrected bytes, (\d{1,10}) unrecoverable "
                   rb"blocks)\n\Z")
_ZONE_TOTAL = lazy(rb"[A-Za-z]{1,16}: Total \d{1,10} times\n")


def parse_name(name):
    """``(type, backend, id, still_compressed)`` for a pstore file name."""
    match = _NAME.match(name)
    if not match:
        raise BadHeaderError("%r is not a pstore file name" % name)
    rtype = match.group("type")
    if rtype.startswith("type"):
        rtype = PSTORE_TYPE_NAMES.get(int(rtype[4:]), rtype)
    rid = int(match.group("id")) if match.group("id") else 0
    return rtype, match.group("backend"), rid, bool(match.group("enc"))


def is_record_name(name):
    return _NAME.match(name) is not None


def split_ecc_notice(data):
    """``(payload, EccStatus|None)``: the kernel's ECC line taken off."""
    match = _ECC_NOTICE.search(data, max(0, len(data) - 80))
    if not match:
        return data, None
    status = EccStatus()
    if match.group(1) is not None:
        status.corrected = int(match.group(1))
        status.unrecoverable = int(match.group(2))
    return data[:match.start()], status


def parse_file(name, data, mtime_ns=None, limit=compression.DEFAULT_LIMIT,
               source=None):
    rtype, backend, rid, enc = parse_name(name)
    payload, ecc = (split_ecc_notice(data) if backend == "ramoops"
                    else (bytes(data), None))
    record = Record(backend, rtype, rid, payload, ecc=ecc, compressed=enc,
                    origin=Origin(path=source, name=name, length=len(data)))
    if rtype == "dmesg" and mtime_ns:
        record.time_ns = mtime_ns
    if enc:
        try:
            record.payload = compression.decompress(payload, limit)[1]
            record.problems.append("the kernel left this record compressed; "
                                   "decoded it here")
        except LimitExceeded:
            raise                 # kept in place: a larger cap decodes it
        except DecompressError as exc:
            record.still_compressed = True
            record.problems.append("cannot decompress: %s" % exc)
    if backend.startswith("efi") and rid:
        record.count = rid % 1000
        record.part = (rid // 1000) % 100
        record.time_ns = time_from_seconds(rid // 100000, record)
    if rtype == "dmesg" and not record.still_compressed:
        text = record.payload
        total = _ZONE_TOTAL.match(text, 0, 64)
        try:
            record.reason, record.count, record.part, _ = parse_part_header(
                text[total.end():] if total else text)
        except ParseError as exc:
            record.problems.append(str(exc))
    return record


def parse(files, limit=compression.DEFAULT_LIMIT, source=None):
    """Decode a mapping ``name -> (bytes, mtime_ns)``; unknown names are
    reported as errors, not fatal."""
    result = ParseResult()
    for name in sorted(files):
        data, mtime_ns = files[name]
        try:
            result.records.append(parse_file(name, data, mtime_ns, limit,
                                             source))
        except ParseError as exc:
            exc.source = exc.source or "%s/%s" % (source or ".", name)
            exc.name = name
            result.errors.append(exc)
    return result
