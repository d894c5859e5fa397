"""The pstore core's per-part header line: ``<Reason>#<count> Part<part>\\n``.

Every dmesg part handed to a backend starts with it (fs/pstore/platform.c,
pstore_dump).  Part1 is the newest chunk of the log.
"""

from .exceptions import BadHeaderError
from .patterns import lazy

# Strings kmsg_dump_reason_str() and its predecessors print.
REASONS = ("Oops", "Panic", "Emergency", "Shutdown", "Restart", "Halt",
           "Poweroff", "Unknown")

# enum kmsg_dump_reason numbering since v5.8 (pstore/zone stores it).
KMSG_DUMP_REASONS_V58 = {0: "Unknown", 1: "Panic", 2: "Oops", 3: "Emergency",
                         4: "Shutdown"}

_PART_LINE = lazy(rb"([A-Za-z]{1,16})#(\d{1,10}) Part(\d{1,10})\n")


def parse_part_header(payload):
    """Return ``(reason, count, part, header_length)`` for a dmesg payload.

    Raises BadHeaderError when the payload does not start with the line.
    """
    match = _PART_LINE.match(payload, 0, 64)
    if not match:
        raise BadHeaderError("dmesg payload does not start with "
                             "'<Reason>#<n> Part<m>'", offset=0)
    reason = match.group(1).decode("ascii")
    return reason, int(match.group(2)), int(match.group(3)), match.end()
