"""efi-pstore: dump parts stored as UEFI variables
(drivers/firmware/efi/efi-pstore.c).

Each variable under the crash GUID holds one part of a dump, its data the
pstore record bytes (maybe compressed).  Everything else is in the variable
name: ``dump-type<type>-<part>-<count>-<seconds>-<C|D>`` and older forms.
"""

from . import compression
from .exceptions import (BadHeaderError, DecompressError, LimitExceeded,
                         ParseError, TruncatedError)
from .kmsg import parse_part_header
from .patterns import lazy
from .records import (PSTORE_TYPE_NAMES, Origin, ParseResult, Record,
                      time_from_seconds)

CRASH_GUID = "cfc8fc79-be2e-4ddc-97f0-9f98bfe298a0"   # LINUX_EFI_CRASH_GUID
PSTORE_EFI_ATTRIBUTES = 0x7     # NON_VOLATILE | BOOTSERVICE | RUNTIME

# An efivarfs file is the variable's attributes (a little-endian u32,
# fs/efivarfs/file.c), then its data.  Only skipped, so no struct: this
# module is imported at every boot of an EFI machine, where construct's
# import costs 25 ms.
ATTRIBUTE_SIZE = 4

# The reader's three sscanf patterns, tried in this order (5, 4, 3 fields).
_NAME_FORMS = (
    lazy(r"(?s)dump-type(\d{1,10})-(\d{1,10})-(-?\d{1,10})-(\d{1,20})-(.)"),
    lazy(r"dump-type(\d{1,10})-(\d{1,10})-(-?\d{1,10})-(\d{1,20})"),
    lazy(r"dump-type(\d{1,10})-(\d{1,10})-(\d{1,20})"),
)
_U64 = (1 << 64) - 1


def generic_id(seconds, part, count):
    """The pstore record id efi-pstore derives (the file-name number)."""
    return ((seconds * 100 + part) * 1000 + count) & _U64


def parse_name(name):
    """``(type, part, count, seconds, compressed)`` from a variable name (an
    efivarfs file name may keep its ``-<guid>`` suffix)."""
    if name.lower().endswith("-" + CRASH_GUID):
        name = name[:-len(CRASH_GUID) - 1]
    for form in _NAME_FORMS:
        match = form.match(name)
        if not match:
            continue
        fields = match.groups()
        if len(fields) == 3:
            return int(fields[0]), int(fields[1]), 0, int(fields[2]), False
        compressed = len(fields) == 5 and fields[4] == "C"
        return (int(fields[0]), int(fields[1]), int(fields[2]),
                int(fields[3]), compressed)
    raise BadHeaderError("%r is not an efi-pstore variable name" % name)


def is_crash_variable(name):
    return name.startswith("dump-type")


def parse_variable(name, data, efivarfs=None, limit=compression.DEFAULT_LIMIT,
                   backend="efi", source=None):
    """Decode one variable.  ``efivarfs`` says whether ``data`` starts with
    the attribute word; by default, whether the name carries the GUID."""
    vtype, part, count, seconds, compressed = parse_name(name)
    if efivarfs is None:
        efivarfs = name.lower().endswith(CRASH_GUID)
    if efivarfs:
        if len(data) < ATTRIBUTE_SIZE:
            raise TruncatedError("efivarfs file shorter than its attribute "
                                 "word", offset=0, source=source)
        data = data[ATTRIBUTE_SIZE:]
    record = Record(backend, PSTORE_TYPE_NAMES.get(vtype, "unknown"),
                    generic_id(seconds, part, count), bytes(data), count=count,
                    part=part, compressed=compressed,
                    origin=Origin(path=source, name=name, length=len(data)))
    record.time_ns = time_from_seconds(seconds, record)
    if compressed:
        try:
            record.payload = compression.decompress(record.payload, limit)[1]
        except LimitExceeded:
            raise                 # kept in place: a larger cap decodes it
        except DecompressError as exc:
            record.still_compressed = True
            record.problems.append("cannot decompress: %s" % exc)
    if record.type == "dmesg" and not record.still_compressed:
        try:
            record.reason, hdr_count, hdr_part, _ = \
                parse_part_header(record.payload)
            if (hdr_count, hdr_part) != (count, part):
                record.problems.append(
                    "name says #%d Part%d, payload says #%d Part%d"
                    % (count, part, hdr_count, hdr_part))
        except ParseError as exc:
            record.problems.append(str(exc))
    return record


def parse(variables, limit=compression.DEFAULT_LIMIT, backend="efi",
          source=None):
    """Decode a mapping of variable (or efivarfs file) names to bytes.
    Names that are not crash dumps are ignored, as the kernel ignores them."""
    result = ParseResult()
    for name in sorted(variables):
        if not is_crash_variable(name):
            continue
        try:
            result.records.append(parse_variable(
                name, variables[name], limit=limit, backend=backend,
                source=source))
        except ParseError as exc:
            exc.source = exc.source or "%s/%s" % (source or ".", name)
            exc.name = name
            result.errors.append(exc)
    return result
