"""The record model shared by every backend parser.

A record is one stored dump part as the backend holds it, decoded the way
the kernel decodes it for ``/sys/fs/pstore``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass
class EccStatus:
    """What Reed-Solomon checking found, as the kernel counts it."""
    corrected: int = 0
    unrecoverable: int = 0
    checked: bool = True        # False: reedsolo missing, data taken as is

    def notice(self):
        """The line the kernel appends to the record text (v5.18+ form)."""
        if self.corrected or self.unrecoverable:
            return ("\nECC: %d Corrected bytes, %d unrecoverable blocks\n"
                    % (self.corrected, self.unrecoverable))
        return "\nECC: No errors detected\n"


@dataclass
class Origin:
    """Where a record lives, so it can be shown, cited and cleared."""
    path: str | None = None     # file or directory the source was read from
    name: str | None = None     # file name inside a directory source
    offset: int | None = None   # byte offset inside a raw image
    length: int | None = None   # bytes the record occupies there


@dataclass
class Record:
    """One stored dump part (or console, ftrace, pmsg... record)."""
    backend: str            # ramoops, mtdoops, efi, efi_pstore, erst...
    type: str               # dmesg, console, pmsg, ftrace, mce...
    id: int                 # the backend's record id (zone, generic id, slot)
    payload: bytes          # as the kernel presents them, no ECC notice
    reason: str | None = None           # Oops, Panic, Emergency, Shutdown...
    count: int | None = None            # dump counter (Oops#N)
    part: int | None = None             # part number, 1 = newest chunk
    time_ns: int | None = None          # wall-clock time of the dump, ns since epoch
    compressed: bool = False            # stored compressed on the medium
    still_compressed: bool = False      # decompression failed; payload is raw
    ecc: EccStatus | None = None
    origin: Origin = field(default_factory=Origin)
    problems: list = field(default_factory=list)    # of str
    seq: int | None = None              # mtdoops sequence number

    @property
    def name(self):
        """The file name the kernel gives this record in /sys/fs/pstore."""
        suffix = ".enc.z" if self.still_compressed else ""
        return "%s-%s-%d%s" % (self.type, self.backend, self.id, suffix)


@dataclass
class ParseResult:
    """What a parser found in one source: the good records and, for each
    part that could not be decoded, the ParseError saying why."""
    records: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    info: dict = field(default_factory=dict)    # detected layout and similar facts
