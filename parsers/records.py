"""The record model shared by every backend parser.

A record is one stored dump part as the backend holds it, decoded the way
the kernel decodes it for ``/sys/fs/pstore``.

The classes here and the other classes the boot path makes (the crash
kinds, an analysis, a ramoops layout) are plain classes, not dataclasses:
importing dataclasses (it imports inspect, ast and dis) and building a
dataclass's methods cost every boot with a crash about 6 ms, a tenth of
its run (benchmarks/collect.py).
"""

# enum pstore_type_id (include/linux/pstore.h); the numbers are on-media in
# EFI variable names, the names are the /sys/fs/pstore file prefixes.
PSTORE_TYPE_NAMES = {
    0: "dmesg",
    1: "mce",
    2: "console",
    3: "ftrace",
    4: "rtas",
    5: "powerpc-ofw",
    6: "powerpc-common",
    7: "pmsg",
    8: "powerpc-opal",
}
PSTORE_TYPE_IDS = {name: num for num, name in PSTORE_TYPE_NAMES.items()}

# The last second of year 9999: a time beyond it (a name with a 20-digit
# second) is bit rot or a forgery, and taken as unknown.
MAX_SECONDS = 253402300799


def time_from_seconds(seconds, record):
    """``seconds * 10**9``, or None (noted in the record's problems) when
    no calendar can show it."""
    if 0 <= seconds <= MAX_SECONDS:
        return seconds * 10**9
    record.problems.append("time %d s is out of range; taken as unknown"
                           % seconds)
    return None


class EccStatus:
    """What Reed-Solomon checking found, as the kernel counts it."""

    def __init__(self, corrected=0, unrecoverable=0, checked=True):
        self.corrected = corrected
        self.unrecoverable = unrecoverable
        self.checked = checked      # False: reedsolo missing, data taken as is

    def notice(self):
        """The line the kernel appends to the record text (v5.18+ form)."""
        if self.corrected or self.unrecoverable:
            return ("\nECC: %d Corrected bytes, %d unrecoverable blocks\n"
                    % (self.corrected, self.unrecoverable))
        return "\nECC: No errors detected\n"


class Origin:
    """Where a record lives, so it can be shown, cited and cleared."""

    def __init__(self, path=None, name=None, offset=None, length=None):
        self.path = path            # file or directory the source was read from
        self.name = name            # file name inside a directory source
        self.offset = offset        # byte offset inside a raw image
        self.length = length        # bytes the record occupies there


class Record:
    """One stored dump part (or console, ftrace, pmsg... record)."""

    def __init__(self, backend, type, id, payload, reason=None, count=None,
                 part=None, time_ns=None, compressed=False,
                 still_compressed=False, ecc=None, origin=None, problems=None,
                 seq=None):
        self.backend = backend      # ramoops, mtdoops, efi, efi_pstore, erst...
        self.type = type            # dmesg, console, pmsg, ftrace, mce...
        self.id = id                # the backend's record id (zone, generic id, slot)
        self.payload = payload      # as the kernel presents them, no ECC notice
        self.reason = reason        # Oops, Panic, Emergency, Shutdown...
        self.count = count          # dump counter (Oops#N)
        self.part = part            # part number, 1 = newest chunk
        self.time_ns = time_ns      # wall-clock time of the dump, ns since epoch
        self.compressed = compressed                # stored compressed on the medium
        self.still_compressed = still_compressed    # decompression failed; payload is raw
        self.ecc = ecc              # EccStatus, or None: no ECC
        self.origin = origin if origin is not None else Origin()
        self.problems = problems if problems is not None else []   # of str
        self.seq = seq              # mtdoops sequence number

    @property
    def name(self):
        """The file name the kernel gives this record in /sys/fs/pstore."""
        suffix = ".enc.z" if self.still_compressed else ""
        return "%s-%s-%d%s" % (self.type, self.backend, self.id, suffix)

    def __repr__(self):
        return "<%s %s, %d bytes>" % (type(self).__name__, self.name,
                                     len(self.payload))


class ParseResult:
    """What a parser found in one source: the good records and, for each
    part that could not be decoded, the ParseError saying why."""

    def __init__(self, records=None, errors=None, info=None):
        self.records = records if records is not None else []
        self.errors = errors if errors is not None else []
        self.info = info if info is not None else {}    # detected layout and similar facts
