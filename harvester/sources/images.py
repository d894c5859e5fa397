"""Raw images: a ramoops region, an mtdoops partition, a pstore/blk device
(or a file copied from one).  An image is read through an mmap and is
never cleared: the state remembers what was reported from it."""

import os

from parsers.patterns import lazy

from .base import Kind, Source, SourceError
from .reading import read_image

DEVICETREE = "/proc/device-tree"
_KERNEL_VERSION = lazy(r"(\d+)\.(\d+)")
_PROC_MTD_LINE = lazy(r'(mtd\d+): \S+ \S+ "(.*)"')
RAMOOPS_OPTIONS = ("mem_size", "record_size", "console_size", "ftrace_size",
                   "pmsg_size", "ecc", "offset", "ftrace_cpus", "kernel")
PSTOREBLK_OPTIONS = ("kmsg_size", "pmsg_size", "console_size",
                     "ftrace_size", "ftrace_cpus")


def load_ramoops(source, loaded, limits):
    loaded.result = _ramoops(source, limits.caps)


def _ramoops(source, caps):
    from parsers import ramoops
    opts = dict(source.options)
    offset = opts.pop("offset", 0)
    kernel = opts.pop("kernel", None)
    ftrace_cpus = opts.pop("ftrace_cpus", 1)
    buf = read_image(source.path, offset, opts.get("mem_size"))
    layout = None
    if set(opts) == {"ecc"}:
        # No sizes: detect the zones, with the ECC size as given (the
        # module's ecc=1 means 16 bytes).
        ecc = opts["ecc"]
        layout = ramoops.detect_layout(buf, ecc=16 if ecc == 1 else ecc)
    elif opts:
        mem_size = opts.pop("mem_size", len(buf))
        version = None
        if kernel:
            match = _KERNEL_VERSION.match(str(kernel))
            if not match:
                raise SourceError("kernel=%r: give a version like 6.1" % kernel)
            version = (int(match.group(1)), int(match.group(2)))
        layout = _explicit_layout(ramoops, buf, mem_size, opts, ftrace_cpus,
                                  version)
    return ramoops.parse(buf, layout, source=source.path, **caps)


def _explicit_layout(ramoops, buf, mem_size, opts, ftrace_cpus, version):
    """The kernel's layout from the given sizes and kernel= version; without
    one, the 6.1 or 6.2+ zone order that puts the ftrace signature where an
    ftrace zone is."""
    versions = [version] if version else [(6, 1), (6, 2)]
    layouts = [ramoops.compute_layout(mem_size, ftrace_cpus=ftrace_cpus,
                                      kernel=v, **opts) for v in versions]
    for layout in layouts:
        ftrace = [z for z in layout.zones if z.type == "ftrace"]
        if ftrace and ramoops.structs.ftrace_version(int.from_bytes(
                buf[ftrace[0].offset:ftrace[0].offset + 4], "little")):
            return layout
    return layouts[0]


def load_pstoreblk(source, loaded, limits):
    from parsers import pstorezone
    buf = read_image(source.path, cap=128 << 20)
    zones = None               # detected from the zone signatures
    if set(source.options) - {"ftrace_cpus"}:
        zones = pstorezone.compute_layout(len(buf), **source.options)
    loaded.result = pstorezone.parse(buf, zones, source=source.path,
                                     **limits.caps)


def load_mtdoops(source, loaded, limits):
    from parsers import mtdoops
    path = source.path
    if not os.path.exists(path) and "/" not in path:
        path = resolve_mtd(path) or path   # a name from /proc/mtd
    buf = read_image(path, cap=64 << 20)
    loaded.result = mtdoops.parse(buf, source.options.get("record_size"),
                                  source=source.path)


def charge(loaded, budget):
    """The dumps decoded from an image, whole, as long as they fit the
    budget (the first always does); the others wait in the image, which
    is never cleared, and come first in a later run once these are
    reported (reported records are dropped before this and cost nothing).
    The image itself is bounded by its own cap (read_image), not by the
    budget."""
    from ..events import group
    records = loaded.result.records
    taken, left = set(), 0
    for event in group(records):
        if budget.charge(sum(len(r.payload) for r in event.records)):
            taken.update(id(r) for r in event.records)
        else:
            left += len(event.records)
    if left:
        loaded.problems.append(
            "%s: %d records left for a later run: this run's records "
            "reached max_run_bytes" % (loaded.source, left))
        loaded.result.records = [r for r in records if id(r) in taken]


def resolve_mtd(name, proc_mtd="/proc/mtd"):
    """/dev/mtdN for a partition name as listed in /proc/mtd."""
    try:
        with open(proc_mtd, errors="replace") as f:
            for line in f:
                match = _PROC_MTD_LINE.match(line)
                if match and match.group(2) == name:
                    return "/dev/" + match.group(1)
    except OSError:
        pass
    return None


def devicetree_ramoops(base=DEVICETREE):
    """A ramoops source from the device tree's reserved-memory node: its
    region through /dev/mem, sizes as the kernel's DT parser reads them
    (absent sizes are 0 there, unlike the module parameters)."""
    parent = os.path.join(base, "reserved-memory")
    try:
        nodes = [n for n in os.listdir(parent) if n.split("@")[0] == "ramoops"]
    except OSError:
        nodes = []
    if not nodes:
        raise SourceError("no reserved-memory/ramoops node in the device tree")
    node = os.path.join(parent, nodes[0])

    def cells(path, default=None):
        try:
            with open(path, "rb") as f:
                raw = f.read(64)
        except OSError:
            return default
        return [int.from_bytes(raw[i:i + 4], "big") for i in range(0, len(raw), 4)]

    acells = (cells(os.path.join(parent, "#address-cells")) or [2])[0]
    scells = (cells(os.path.join(parent, "#size-cells")) or [2])[0]
    reg = cells(os.path.join(node, "reg"))
    if not reg or len(reg) < acells + scells:
        raise SourceError("%s has no usable reg property" % node)

    def join(words):
        value = 0
        for word in words:
            value = value << 32 | word
        return value
    options = {"offset": join(reg[:acells]),
               "mem_size": join(reg[acells:acells + scells])}
    for prop, key in (("record-size", "record_size"),
                      ("console-size", "console_size"),
                      ("ftrace-size", "ftrace_size"),
                      ("pmsg-size", "pmsg_size"), ("ecc-size", "ecc")):
        options[key] = (cells(os.path.join(node, prop)) or [0])[0]
    return Source("ramoops", "/dev/mem", options)


KINDS = (Kind("ramoops", RAMOOPS_OPTIONS, load_ramoops),
         Kind("mtdoops", ("record_size",), load_mtdoops),
         Kind("pstoreblk", PSTOREBLK_OPTIONS, load_pstoreblk))
