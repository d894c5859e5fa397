"""Where ramoops_probe() puts each zone: the kernel's layout arithmetic."""

from __future__ import annotations

from .. import ecc as rs
from ..exceptions import LayoutError
from .structs import HEADER_SIZE, MODULE_DEFAULT_SIZE, PERSISTENT_RAM_SIG


class Zone:
    """One zone of the region: where ramoops_probe() put it."""

    def __init__(self, type, index, offset, size, sig=PERSISTENT_RAM_SIG):
        self.type = type            # dmesg, console, ftrace, pmsg
        self.index = index          # record id: dmesg zone number, ftrace CPU, else 0
        self.offset = offset
        self.size = size
        self.sig = sig              # None: any ftrace signature

    def __repr__(self):
        return "Zone(%r, %d, %#x, %#x)" % (self.type, self.index, self.offset,
                                           self.size)


class Layout:
    """The zones of a region and how they were found (the module
    parameters given, or what detection read from the image)."""

    def __init__(self, zones, ecc_size=0, new_order=None, version_code=None,
                 detected=False, notes=None, params=None, non_default=None,
                 order_known=True):
        self.zones = zones          # of Zone
        self.ecc_size = ecc_size
        self.new_order = new_order  # pmsg before ftrace (Linux 6.2+); None: unknown
        self.version_code = version_code    # LINUX_VERSION_CODE from ftrace sig
        self.detected = detected
        self.notes = notes if notes is not None else []             # of str
        self.params = params if params is not None else {}          # module parameters, rounded
        self.non_default = non_default if non_default is not None else []  # of parameter names
        self.order_known = order_known      # False: no zone tells the order

    def spec(self):
        """The parameters as ``--source ramoops:FILE,...`` keys."""
        keys = ("mem_size", "record_size", "console_size", "ftrace_size",
                "pmsg_size", "ecc")
        parts = ["%s=%s" % (k, self.params[k] if k == "ecc" else
                          _size_text(self.params[k])) for k in keys
                 if k in self.params]
        if self.params.get("ftrace_cpus", 1) != 1:
            parts.append("ftrace_cpus=%d" % self.params["ftrace_cpus"])
        if self.new_order is not None and self.order_known:
            parts.append("kernel=%s" % ("6.2" if self.new_order else "6.1"))
        return ",".join(parts)

    def summary(self):
        """How the layout was found, in words (the keys are in spec())."""
        if not self.zones:
            return "; ".join(["no zones"] + self.notes)
        parts = ["detected" if self.detected else "given"]
        if self.detected:
            parts.append("module defaults except %s" % ", ".join(
                self.non_default) if self.non_default else "module defaults")
        if self.version_code:
            parts.append("ftrace signature of kernel %s"
                         % version_string(self.version_code))
        if not self.order_known:
            parts.append("zone order unknown (6.1 and 6.2+ give the same "
                         "zones here)")
        return "; ".join(parts + self.notes)

    def to_json(self):
        return dict(self.params, order=None if not self.order_known else
                    ("6.2+" if self.new_order else "6.1"),
                    detected=self.detected, non_default=self.non_default)


def _size_text(value):
    for shift, unit in ((20, "M"), (10, "K")):
        if value and value % (1 << shift) == 0:
            return "%d%s" % (value >> shift, unit)
    return "0x%x" % value if value > 9 else str(value)


def version_string(code):
    return "%d.%d.%d" % (code >> 16, (code >> 8) & 0xFF, code & 0xFF)


def rounddown_pow2(value):
    return 1 << (value.bit_length() - 1) if value else 0


def compute_layout(mem_size, record_size=MODULE_DEFAULT_SIZE,
                   console_size=MODULE_DEFAULT_SIZE,
                   ftrace_size=MODULE_DEFAULT_SIZE,
                   pmsg_size=MODULE_DEFAULT_SIZE, ecc=0, ftrace_cpus=1,
                   kernel=(6, 1)):
    """The zones ramoops_probe() carves out of ``mem_size`` bytes.

    Defaults are the module parameters' (4 KiB each), so with only mem_size
    and record_size given the layout matches ``modprobe ramoops`` exactly.
    ``kernel`` (major, minor) selects the era's rules: 6.2+ puts pmsg before
    ftrace; before 4.19 dmesg zones are exactly record_size apart (later:
    the dmesg area divided evenly); before 4.0 there is no pmsg zone.
    """
    new_order = kernel >= (6, 2)
    if kernel < (4, 0):
        pmsg_size = 0
    sizes = [rounddown_pow2(s) for s in (record_size, console_size,
                                          ftrace_size, pmsg_size)]
    record_size, console_size, ftrace_size, pmsg_size = sizes
    if mem_size <= 0 or not any(sizes):
        raise LayoutError("mem_size and at least one zone size must be "
                          "non-zero")
    dump_mem = mem_size - console_size - ftrace_size - pmsg_size
    if dump_mem < 0:
        raise LayoutError("console+ftrace+pmsg sizes (0x%x) exceed mem_size "
                          "0x%x" % (mem_size - dump_mem, mem_size))
    zones = []
    pos = 0
    if dump_mem and record_size:
        count = dump_mem // record_size
        if count == 0:
            raise LayoutError("record_size 0x%x is larger than the dmesg "
                              "area 0x%x" % (record_size, dump_mem))
        zone_size = (dump_mem // count) & ~1 if kernel >= (4, 19) else record_size
        for i in range(count):
            zones.append(Zone("dmesg", i, pos, zone_size))
            pos += zone_size

    def single(kind, size):
        nonlocal pos
        if size:
            zones.append(Zone(kind, 0, pos, size))
            pos += size

    def ftrace():
        nonlocal pos
        if ftrace_size and ftrace_cpus:
            zone_size = (ftrace_size // ftrace_cpus) & ~1
            for cpu in range(ftrace_cpus):
                # sig None: any version's ftrace signature (it embeds
                # LINUX_VERSION_CODE, which sizes do not tell).
                zones.append(Zone("ftrace", cpu, pos, zone_size, None))
                pos += zone_size

    single("console", console_size)
    if new_order:
        single("pmsg", pmsg_size)
        ftrace()
    else:
        ftrace()
        single("pmsg", pmsg_size)
    ecc = 16 if ecc == 1 else ecc
    params = dict(mem_size=mem_size, record_size=record_size,
                  console_size=console_size, ftrace_size=ftrace_size,
                  pmsg_size=pmsg_size, ecc=ecc,
                  ftrace_cpus=ftrace_cpus if ftrace_size else 1)
    return Layout(zones, ecc_size=ecc, new_order=new_order, params=params)


def ecc_geometry(zone_size, ecc_size, block_size=rs.BLOCK_SIZE):
    """(buffer_size, ecc_blocks) as persistent_ram_init_ecc computes them."""
    avail = zone_size - HEADER_SIZE
    if avail <= 0:
        raise LayoutError("a 0x%x-byte zone cannot hold its header" % zone_size)
    if not ecc_size:
        return avail, 0
    blocks = -(-(avail - ecc_size) // (block_size + ecc_size))
    total = (blocks + 1) * ecc_size
    if total >= avail:
        raise LayoutError("ECC of %d bytes does not fit a 0x%x-byte zone"
                          % (ecc_size, zone_size))
    return avail - total, blocks

