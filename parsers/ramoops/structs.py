"""The on-media structures of a ramoops region (fs/pstore/ram_core.c, ram.c)
and the kernel's constants that go with them."""

from construct import Int32sl, Int32ul, Int64ul, Struct

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
MODULE_DEFAULT_SIZE = 4096               # ramoops.{record,console,ftrace,pmsg}_size


def ftrace_version(sig):
    """LINUX_VERSION_CODE if ``sig`` is an ftrace zone signature, else None."""
    code = sig ^ PERSISTENT_RAM_SIG
    minor = (code >> 8) & 0xFF        # no series has had 64 minor versions
    return code if 0x020600 <= code < 0x0A0000 and minor < 64 else None
