"""Test-side encoder that writes backend images the way the kernel does.

It follows the kernel sources (fs/pstore/ram.c, ram_core.c, platform.c,
drivers/mtd/mtdoops.c, drivers/firmware/efi/efi-pstore.c), not our parsers:
zone arithmetic, persistent_ram_write, header text, raw-deflate compression
and Reed-Solomon parity are re-derived here with reedsolo and zlib, so that
a parser bug is not mirrored by the oracle.  Real-kernel samples
(samples/) check this builder in turn.
"""

import struct
import zlib

import reedsolo

SIG = 0x43474244


def pow2_floor(n):
    p = 1
    while p * 2 <= n:
        p *= 2
    return p if n else 0


_CODECS = {}
_HEADER_PARITY = {}


def _codec(nroots):
    """init_rs(8, 0x11d, fcr 0, prim 1, nroots) as reedsolo spells it."""
    if nroots not in _CODECS:
        _CODECS[nroots] = reedsolo.RSCodec(nsym=nroots, nsize=255, fcr=0,
                                           prim=0x11D, generator=2, c_exp=8)
    return _CODECS[nroots]


class Zone:
    """One persistent_ram_zone: header (sig, start, size), data, parity."""

    def __init__(self, image, offset, size, sig=SIG, ecc=0):
        self.image, self.offset, self.size, self.ecc = image, offset, size, ecc
        avail = size - 12
        if ecc:
            blocks = (avail - ecc + 128 + ecc - 1) // (128 + ecc)
            self.buffer_size = avail - (blocks + 1) * ecc
            self.rs = _codec(ecc)
        else:
            self.buffer_size = avail
        self.sig, self.start, self.used = sig, 0, 0
        self._store_header()

    def _store_header(self):
        hdr = struct.pack("<Iii", self.sig, self.start, self.used)
        self.image[self.offset:self.offset + 12] = hdr
        if self.ecc:
            key = (self.ecc, hdr)
            if key not in _HEADER_PARITY:
                _HEADER_PARITY[key] = self.rs.encode(hdr)[12:]
            par = _HEADER_PARITY[key]
            end = self.offset + self.size
            self.image[end - self.ecc:end] = par

    def _data_at(self, pos):
        return self.offset + 12 + pos

    def zap(self):
        self.start = self.used = 0
        self._store_header()

    def write(self, data):
        """persistent_ram_write: keep the tail, advance start, wrap."""
        if len(data) > self.buffer_size:
            data = data[len(data) - self.buffer_size:]
        self.used = min(self.used + len(data), self.buffer_size)
        pos = self.start
        self.start = (self.start + len(data)) % self.buffer_size
        first = min(len(data), self.buffer_size - pos)
        self.image[self._data_at(pos):self._data_at(pos) + first] = data[:first]
        rest = data[first:]
        self.image[self._data_at(0):self._data_at(0) + len(rest)] = rest
        if self.ecc:
            # persistent_ram_update_ecc: the blocks the write touched.
            self._update_parity(pos, pos + first)
            self._update_parity(0, len(rest))
        self._store_header()

    def _update_parity(self, start, end):
        par_base = self._data_at(self.buffer_size)
        if end <= start:
            return
        for block in range(start - start % 128, end, 128):
            k = block // 128
            length = min(128, self.buffer_size - block)
            chunk = bytes(self.image[self._data_at(block):
                                     self._data_at(block) + length])
            par = self.rs.encode(chunk)[length:]
            at = par_base + k * self.ecc
            self.image[at:at + self.ecc] = par

    def parity_span(self):
        """(first, end) image offsets of the data-block parity bytes."""
        first = self._data_at(self.buffer_size)
        return first, self.offset + self.size - self.ecc


def deflate_raw(data, wbits=-11, level=-1):
    """crypto/deflate.c (v4.19-v6.5): raw deflate, window 2^11, memLevel 8."""
    comp = zlib.compressobj(level, zlib.DEFLATED, wbits, 8)
    return comp.compress(data) + comp.flush()


class KernelRejects(ValueError):
    """ramoops_probe() would fail with these parameters (no region)."""


class Ramoops:
    """A ramoops region laid out like ramoops_probe() with module params.

    Follows ram.c: sizes rounded down to powers of two, a zero size means
    no such zone, the dmesg area (mem - console - ftrace - pmsg) split into
    dump/record_size zones of (dump/count) rounded down to even, ftrace cut
    into ``ftrace_cpus`` even-sized zones; ``new_order`` (6.2+) puts pmsg
    before ftrace.  Raises KernelRejects where the probe fails.  Every zone
    gets its header, as persistent_ram_new() zaps a zone without one."""

    def __init__(self, mem_size, record_size=4096, console_size=4096,
                 ftrace_size=4096, pmsg_size=4096, ecc=0, ftrace_cpus=1,
                 new_order=False, version_code=0x060100):
        self.image = bytearray(mem_size)
        ecc = 16 if ecc == 1 else ecc
        record_size, console_size, ftrace_size, pmsg_size = (
            pow2_floor(s) for s in (record_size, console_size, ftrace_size,
                                    pmsg_size))
        if not mem_size or not (record_size or console_size or ftrace_size
                                or pmsg_size):
            raise KernelRejects("mem_size and one zone size must be non-zero")
        dump = mem_size - console_size - ftrace_size - pmsg_size
        if dump < 0:
            raise KernelRejects("no room for the dmesg area")
        self.zones = []                       # (type, Zone) in address order
        at = 0

        def add(kind, size, sig=SIG):
            nonlocal at
            if size <= 12:
                raise KernelRejects("a %d-byte %s zone" % (size, kind))
            avail = size - 12
            if ecc:
                blocks = (avail - ecc + 128 + ecc - 1) // (128 + ecc)
                if (blocks + 1) * ecc >= avail:
                    raise KernelRejects("ecc %d does not fit a %d-byte zone"
                                        % (ecc, size))
            zone = Zone(self.image, at, size, sig=sig, ecc=ecc)
            self.zones.append((kind, zone))
            at += size
            return zone

        self.dmesg = []
        if dump and record_size:
            count = dump // record_size
            if not count:
                raise KernelRejects("record_size larger than the dmesg area")
            step = (dump // count) // 2 * 2
            self.dmesg = [add("dmesg", step) for _ in range(count)]
        self.console = add("console", console_size) if console_size else None
        self.ftrace, self.pmsg = [], None
        order = ["pmsg", "ftrace"] if new_order else ["ftrace", "pmsg"]
        for kind in order:
            if kind == "pmsg" and pmsg_size:
                self.pmsg = add("pmsg", pmsg_size)
            elif kind == "ftrace" and ftrace_size:
                fstep = (ftrace_size // ftrace_cpus) // 2 * 2
                self.ftrace = [add("ftrace", fstep, SIG ^ version_code)
                               for _ in range(ftrace_cpus)]
        self.params = dict(mem_size=mem_size, record_size=record_size,
                           console_size=console_size, ftrace_size=ftrace_size,
                           pmsg_size=pmsg_size, ecc=ecc,
                           ftrace_cpus=ftrace_cpus if ftrace_size else 1,
                           new_order=new_order)
        self.next_dump = 0

    def dump(self, reason, count, log, seconds=1700000000, usec=123456,
             compress=False, zone=None, header=None):
        """One pstore_dump Part1 into the next dmesg zone (zapped first)."""
        text = ("%s#%d Part1\n" % (reason, count)).encode() + log
        stored = deflate_raw(text) if compress else text
        if zone is None:
            zone = self.next_dump % len(self.dmesg)
            self.next_dump += 1
        target = self.dmesg[zone]
        target.zap()
        if header is None:
            header = "====%d.%06d-%s\n" % (seconds, usec, "C" if compress else "D")
        target.write(header.encode() + stored[:target.buffer_size - len(header)])
        return zone, text

    def ftrace_record(self, cpu_zone, ip, parent, counter, cpu=0):
        self.ftrace[cpu_zone].write(struct.pack("<QQQ", ip, parent,
                                                (counter << 8) | cpu))


def mtdoops_image(slots, record_size=4096, fill=0xFF):
    return bytearray([fill]) * (slots * record_size)


def mtdoops_write(image, slot, seq, text, record_size=4096, timestamp_ns=None):
    """mtdoops_write(): header, text, one NUL, rest of the 0xff buffer."""
    if timestamp_ns is None:
        hdr = struct.pack("<II", seq, 0x5D005D00)
    else:
        hdr = struct.pack("<IIq", seq, 0x5D005E00, timestamp_ns)
    body = text[:record_size - len(hdr) - 1] + b"\0"
    rec = hdr + body + b"\xff" * (record_size - len(hdr) - len(body))
    image[slot * record_size:(slot + 1) * record_size] = rec


GUID = "cfc8fc79-be2e-4ddc-97f0-9f98bfe298a0"


def efi_dump(reason, count, log, seconds, bufsize=1024, compress=True):
    """pstore_dump() into 1 KiB efi records: Part1 is the newest chunk.
    Returns {efivarfs file name: file bytes} and the parts' plain texts."""
    lines = log.splitlines(keepends=True)
    files, texts = {}, {}
    part = 1
    while lines:
        header = ("%s#%d Part%d\n" % (reason, count, part)).encode()
        chunk = []
        size = len(header)
        while lines and size + len(lines[-1]) <= bufsize:
            size += len(lines[-1])
            chunk.insert(0, lines.pop())
        if not chunk:
            chunk.insert(0, lines.pop()[-(bufsize - len(header)):])
        text = header + b"".join(chunk)
        stored = deflate_raw(text) if compress else text
        name = "dump-type0-%d-%d-%d-%s-%s" % (part, count, seconds,
                                               "C" if compress else "D", GUID)
        files[name] = struct.pack("<I", 7) + stored
        texts[part] = text
        part += 1
    return files, texts


class PstoreZoneImage:
    """pstore/blk or mtdpstore area as fs/pstore/zone.c writes it: zones
    pmsg, console, ftrace x CPUs, kmsg; psz_buffer is (sig^type, datalen,
    start); kmsg data starts with the 40-byte psz_kmsg_header."""

    TYPES = {"dmesg": 0, "console": 2, "ftrace": 3, "pmsg": 7}

    def __init__(self, total, kmsg_size=0x10000, pmsg_size=0, console_size=0,
                 ftrace_size=0, ftrace_cpus=1, fill=0xFF):
        self.image = bytearray([fill]) * total
        self.zones = {}
        at = 0
        for kind, size in (("pmsg", pmsg_size), ("console", console_size)):
            if size:
                self.zones[kind] = [(at, size)]
                at += size
        if ftrace_size:
            # psz_init_zones(): ftrace_size / nr_cpu_ids bytes each, as
            # many as fit; the next zones start right after them.
            each = ftrace_size // ftrace_cpus
            count = ftrace_size // each
            self.zones["ftrace"] = [(at + i * each, each)
                                    for i in range(count)]
            at += each * count
        count = (total - at) // kmsg_size
        self.zones["dmesg"] = [(at + i * kmsg_size, kmsg_size)
                               for i in range(count)]
        self.circular = {}

    def _header(self, kind, off, datalen, start):
        self.image[off:off + 12] = struct.pack(
            "<Iii", SIG ^ self.TYPES[kind], datalen, start)

    def kmsg(self, index, reason, counter, text, seconds=1700000000, nsec=5,
             compress=False):
        """psz_kmsg_write: header, then the record bytes, datalen = 40+n."""
        off, size = self.zones["dmesg"][index]
        stored = deflate_raw(text) if compress else text
        stored = stored[:size - 12 - 40]
        meta = struct.pack("<I4xqqB3xII4x", 0x4DFC3AE5, seconds, nsec,
                           1 if compress else 0, counter, reason)
        self.image[off + 12:off + 12 + 40 + len(stored)] = meta + stored
        self._header("dmesg", off, 40 + len(stored), 0)

    def append(self, kind, data, cpu=0):
        """psz_zone_write on a circular front-end zone."""
        off, size = self.zones[kind][cpu]
        cap = size - 12
        datalen, start = self.circular.get((kind, cpu), (0, 0))
        for byte in data[-cap:]:
            self.image[off + 12 + start] = byte
            start = (start + 1) % cap
            datalen = min(datalen + 1, cap)
        self.circular[(kind, cpu)] = (datalen, start)
        self._header(kind, off, datalen, start)
