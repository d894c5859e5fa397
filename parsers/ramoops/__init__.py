"""ramoops: a raw dump of the reserved RAM region (fs/pstore/ram.c, ram_core.c).

The region is cut into zones (dmesg x N, console, ftrace x CPUs, pmsg; from
Linux 6.2 pmsg comes before ftrace).  Each zone is a persistent_ram_buffer:
a 12-byte header, a circular data area and, with ECC, Reed-Solomon parity.

- ``structs``: the zone header, the ftrace record and the kernel's constants;
- ``layout``: where ramoops_probe() puts the zones (``compute_layout``);
- ``detect``: the module parameters read back from the zone signatures
  (``detect_layout``);
- ``reader``: each zone decoded as the kernel presents it (``parse``);
- ``ftrace``: per-CPU ftrace zones merged and rendered.
"""

from .detect import detect_layout  # noqa: F401
from .layout import Layout, Zone, compute_layout  # noqa: F401
from .reader import parse, parse_dmesg_header, read_zone  # noqa: F401
