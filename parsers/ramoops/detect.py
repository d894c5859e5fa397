"""Find a ramoops region's module parameters from what the zones left.

The kernel writes a header into every zone it sets up, so the evidence is
where the signatures are: plain "DBGC" for dmesg, console and pmsg zones,
"DBGC" XOR LINUX_VERSION_CODE for ftrace zones (which also tells 6.1's
zone order from 6.2's), and, with ECC, the header's Reed-Solomon parity in
the last bytes of each zone.  A bootloader or a cleared region may keep
only some of them.

Rather than reading sizes off the gaps, the search asks which module
parameters (record, console, ftrace and pmsg sizes, ftrace CPUs, zone
order) make ramoops_probe() put a zone of the right kind at every
signature, following its arithmetic exactly: powers of two, the dmesg
area split into dump/record_size even-sized zones, per-CPU ftrace zones.
Candidates are ranked by signatures left unexplained, then, when some
layout gives every zone its signature (a kernel-written region), by zones
without one and then by parameters that differ from the module defaults;
in a region where zones lack signatures anyway (a bootloader's, a cleared
one) the fewest non-default parameters come before missing zones.  The
answer says which parameters are not the defaults.
"""

import math
import struct
from bisect import bisect_left
from functools import reduce

from .. import ecc as rs
from ..exceptions import LayoutError
from ..search import find, nonzero_spans, release
from .layout import Layout, compute_layout, ecc_geometry, rounddown_pow2
from .structs import (HEADER_SIZE, MODULE_DEFAULT_SIZE, PERSISTENT_RAM_SIG,
                      SIG_BYTES, ftrace_version)

MIN_ZONE = 16                 # smallest size worth a zone (12-byte header)
MAX_CPUS = 64                 # per-CPU ftrace zones considered
DEFAULT = MODULE_DEFAULT_SIZE
# Third byte of an ftrace signature: 0x47 ^ major version (2.6 .. 9.x).
_FTRACE_TAILS = [bytes([0x47 ^ major, 0x43]) for major in range(2, 10)]
_HEADER = struct.Struct("<Iii")        # sig, start, size (a few us faster
                                       # than the construct parser, per hit)


def detect_layout(buf, ecc=None):
    """The layout whose zones sit where the region's signatures are
    (this module says how).  A region without any signature
    was never written or was cleared: an empty layout, not an error."""
    evidence = gather(buf)
    if not evidence.plain and not evidence.ftrace:
        return Layout([], detected=True, notes=[
            "no zone signature: never written, or cleared"])
    ecc = detect_ecc(buf, evidence) if ecc is None else ecc
    probe_sizes(buf, evidence, ecc)
    best = search(buf, evidence, ecc)
    if best is None or best.cost[0]:
        # The region may be only the start of the image (a dump of more
        # memory than mem_size): try region sizes ending after the last zone.
        best = search_shorter(buf, evidence, ecc) or best
    if (best is None or best.cost[0]) and evidence.ftrace:
        # An ftrace-like signature no layout explains may be chance bytes
        # (ECC parity, compressed data): try without it.
        plain_only = without_ftrace(evidence)
        other = search(buf, plain_only, ecc)
        if other is not None and not other.cost[0]:
            best, evidence = other, plain_only
    if best is None:
        raise LayoutError("no ramoops layout puts a zone at every signature; "
                          "give mem_size, record_size and the other sizes",
                          offset=0)
    p = best.params
    layout = compute_layout(p["mem_size"], p["record_size"], p["console_size"],
                            p["ftrace_size"], p["pmsg_size"], p["ecc"],
                            p["ftrace_cpus"],
                            kernel=(6, 2) if p["new_order"] else (6, 1))
    layout.detected = True
    layout.version_code = evidence.version
    layout.non_default = non_defaults(p)
    layout.order_known = best.order_known
    if p["mem_size"] < len(buf):
        layout.notes.append("the region is the first 0x%x bytes of the image"
                            % p["mem_size"])
    unexplained = best.cost[0]
    if unexplained:
        layout.notes.append("%d zone signature(s) fit no layout" % unexplained)
    return layout


def signature_hits(buf, start, end, sig_bytes=SIG_BYTES, most=None,
                   known=None):
    """Even offsets holding the signature.  The rest of a header may be
    damaged (ECC repairs it later), so only the signature is required.

    Only the blocks that are not all zeros are searched (search.nonzero_spans;
    ``known`` carries what an earlier search of ``buf`` learnt), one window
    at a time; a mapped image's pages are released after each, so
    scanning a 1 GiB image does not make it resident."""
    hits = []
    reach = len(sig_bytes) - 1
    spans = nonzero_spans(buf, start, end, {} if known is None else known)
    for window, stop in spans:
        if most is not None and len(hits) >= most:
            break
        pos = find(buf, sig_bytes, window, min(end, stop + reach))
        while 0 <= pos < stop and (most is None or len(hits) < most):
            if pos % 2 == 0:
                hits.append(pos)
            pos = find(buf, sig_bytes, pos + 1, min(end, stop + reach))
        release(buf, window, stop)
    return hits


class Evidence:
    """Signature positions in a region: ``plain`` zone headers (dmesg,
    console, pmsg) and ``ftrace`` ones, with the ftrace ``version``."""

    def __init__(self, size):
        self.size = size
        self.plain = []
        self.ftrace = []
        self.version = None
        self.stride = None     # dmesg zones seen back to back from offset 0
        self.kinds = {}        # plain hit -> True: holds a dmesg record,
                               # False: holds console/pmsg text
        self.used = {}         # hit -> bytes its header says are in use
        self.parity_sizes = set()   # zone sizes header parity pointed to


def _header_at(buf, off):
    """The zone header at ``off``, by slicing: ``buf`` may be an mmap or
    a window on one (an image at an offset that is not a page boundary,
    harvester/sources/reading.Window), which has no buffer interface."""
    return _HEADER.unpack(buf[off:off + _HEADER.size])


def _data_end(buf, off):
    """End of the data a header at ``off`` claims, or None if implausible;
    signatures inside a record's data are data, not zones."""
    if off + HEADER_SIZE > len(buf):
        return None
    _, start, size = _header_at(buf, off)
    if 0 <= start <= size and off + HEADER_SIZE + size <= len(buf):
        return off + HEADER_SIZE + size
    return None


def _drop_covered(buf, hits, covered_until=0):
    kept = []
    for off in hits:
        if off < covered_until:
            continue
        kept.append(off)
        end = _data_end(buf, off)
        if end is not None:
            covered_until = max(covered_until, end)
    return kept


def gather(buf):
    """Evidence from one pass over the region.  A run of dmesg zones with
    one stride from offset 0 is followed by probing, not scanned, so a
    kernel-written region costs a search of its last zones only."""
    size = len(buf)
    ev = Evidence(size)
    known = {}                 # search.nonzero_spans's answers, shared
    first = _drop_covered(buf, signature_hits(buf, 0, size, most=8,
                                              known=known))[:3]
    scan_from = run = 0
    if len(first) == 3 and first[0] == 0 and first[2] == 2 * first[1]:
        stride = first[1]
        count = 3
        while (count + 1) * stride <= size and \
                buf[count * stride:count * stride + 4] == SIG_BYTES:
            count += 1
        # The last two entries may be console and pmsg zones, with ftrace
        # zones between them: from there on the region is searched.
        keep = run = max(0, count - 3)
        ev.plain = [i * stride for i in range(keep)]
        ev.stride = stride
        scan_from = keep * stride
    ev.plain += _drop_covered(buf, signature_hits(buf, scan_from, size,
                                                  known=known))
    sig = _first_ftrace_sig(buf, scan_from, ev.plain, known)
    if sig is not None:
        ev.version = sig ^ PERSISTENT_RAM_SIG
        hits = signature_hits(buf, scan_from, size, sig.to_bytes(4, "little"),
                              known=known)
        ev.ftrace = [h for h in hits if not _inside_plain_data(buf, ev.plain, h)]
    # What each zone holds and how much it claims, beyond the run of dmesg
    # zones (a run that long settles their size; a damaged header in it is
    # the zone's problem, reported when it is read, not the layout's).
    unpack, used_at, kinds = _header_at, ev.used, ev.kinds
    for off in ev.plain[run:] + ev.ftrace:
        if off + HEADER_SIZE > size:
            continue
        _, start, used = unpack(buf, off)
        if used and 0 <= start <= used and off + HEADER_SIZE + used <= size:
            used_at[off] = used
            # What the zone holds: a dmesg record or other text.
            first = off + HEADER_SIZE + (start if start < used else 0)
            kinds[off] = buf[first:first + 4] == b"===="
    for off in ev.ftrace:
        kinds.pop(off, None)
    return ev


def _inside_plain_data(buf, plain, off):
    i = bisect_left(plain, off) - 1
    if i < 0:
        return False
    end = _data_end(buf, plain[i])
    return end is not None and plain[i] + HEADER_SIZE <= off < end


def _first_ftrace_sig(buf, start, plain, known=None):
    """The signature of the lowest plausible ftrace zone header at or after
    ``start`` (its third byte is 0x47 ^ the major version, its fourth 'C').
    Searched like signature_hits, window by window, each released after."""
    size = len(buf)
    for window, stop in nonzero_spans(buf, start, size,
                                      {} if known is None else known):
        best = None
        for tail in _FTRACE_TAILS:
            pos = find(buf, tail, window + 2, min(size, stop + 3))
            while pos >= 0 and (best is None or pos - 2 < best):
                off = pos - 2
                if off % 2 == 0 and off + HEADER_SIZE <= size and \
                        ftrace_version(_header_at(buf, off)[0]) \
                        and _data_end(buf, off) and \
                        not _inside_plain_data(buf, plain, off):
                    best = off
                    break
                pos = find(buf, tail, pos + 1, min(size, stop + 3))
        release(buf, window, stop)
        if best is not None:
            return _header_at(buf, best)[0]
    return None


# --- ECC ------------------------------------------------------------------

class ParityCheck:
    """Does the header at ``off`` have its parity in a zone's last bytes?"""

    def __init__(self, buf, ecc):
        self.buf, self.ecc, self.cache = buf, ecc, {}

    def __call__(self, off, zone_size):
        if not self.ecc:
            return True
        head = bytes(self.buf[off:off + HEADER_SIZE])
        par = self.cache.get(head)
        if par is None:
            par = self.cache[head] = rs.header_parity(head, self.ecc)
        end = off + zone_size
        return self.buf[end - self.ecc:end] == par


def detect_ecc(buf, ev):
    """The ECC size whose header parity ends where the next zone starts,
    for the first zones found (0: none).  A codeword's bytes XOR to zero
    (its syndrome at alpha^0), which rules out almost every size before
    any parity is computed."""
    starts = sorted(ev.plain + ev.ftrace)
    pairs = list(zip(starts, starts[1:]))[:3]
    if not pairs and starts:
        # One zone: it ends at a power of two or, less the dmesg
        # remainder, near the region's end.
        last = starts[-1]
        ends = {ev.size} | {last + (1 << k) for k in range(4, 32)
                            if last + (1 << k) <= ev.size}
        pairs = [(last, end) for end in sorted(ends)]
        found = _vote(buf, pairs, ev)
        # One zone, many possible ends: the longest parity is the least
        # likely to match by chance (2 bytes of 0xff can).
        return max(found) if found else 0
    votes = _vote(buf, pairs, ev)
    if not votes:
        return 0
    ecc, count = max(votes.items(), key=lambda kv: (kv[1], -kv[0]))
    return ecc if count * 2 >= len(pairs) else 0


def _vote(buf, pairs, ev):
    """{ecc size: zones whose header parity ends at the pair's end}; the
    zone sizes that showed parity go to ``ev.parity_sizes``."""
    votes = {}
    for off, nxt in pairs:
        head = bytes(buf[off:off + HEADER_SIZE])
        acc = 0
        for byte in head:
            acc ^= byte
        limit = min(127, (nxt - off - HEADER_SIZE) // 2 - 1)
        tail = bytes(buf[nxt - limit:nxt]) if limit > 0 else b""
        for ecc in range(1, limit + 1):
            acc ^= tail[-ecc]
            if ecc == 1:
                continue       # ecc=1 is the module's way of saying 16
            if acc == 0 and any(tail[-ecc:]) and \
                    rs.header_parity(head, ecc) == tail[-ecc:]:
                votes[ecc] = votes.get(ecc, 0) + 1
                ev.parity_sizes.add(nxt - off)
                break          # larger sizes also see zero parity before it
    return votes


def probe_sizes(buf, ev, ecc):
    """With ECC, the power-of-two sizes at whose end the last zones' header
    parity sits: the last zone's size is otherwise free when no dmesg
    arithmetic pins it."""
    if not ecc:
        return
    check = ParityCheck(buf, ecc)
    for off in sorted(ev.plain[-3:] + ev.ftrace[-1:]):
        for k in range(4, ev.size.bit_length()):
            if off + (1 << k) <= ev.size and check(off, 1 << k):
                ev.parity_sizes.add(1 << k)


# --- the search -----------------------------------------------------------

_BUFFERS = {}


def _buffer(size, ecc):
    """Data bytes of a zone (persistent_ram_init_ecc), or 0 when the kernel
    would refuse a zone of that size."""
    key = (size, ecc)
    if key not in _BUFFERS:
        try:
            _BUFFERS[key] = ecc_geometry(size, ecc)[0] \
                if size >= MIN_ZONE else 0
        except LayoutError:
            _BUFFERS[key] = 0
    return _BUFFERS[key]


def _sizes(ev):
    """Power-of-two sizes worth trying for console, ftrace and pmsg: the
    default, none, and what the gaps between signatures allow."""
    points = sorted(set(ev.plain[-4:] + ev.ftrace[:2] + ev.ftrace[-1:]))
    gaps = [b - a for a, b in zip(points, points[1:])]
    if len(ev.ftrace) > 1:
        # ftrace_size spread over CPUs: (size / cpus) rounded to even.
        step = min(b - a for a, b in zip(ev.ftrace, ev.ftrace[1:]))
        gaps.extend(step * cpus for cpus in _cpu_counts(ev))
    values = {0, DEFAULT} | {rounddown_pow2(s) for s in ev.parity_sizes}
    for gap in gaps:
        low = rounddown_pow2(gap)
        values.update((low, 2 * low))
    if points:
        rest = ev.size - points[-1]
        low = rounddown_pow2(rest)
        values.update(low >> k for k in range(5))
    else:
        values.update(1 << k for k in range(4, ev.size.bit_length()))
    return sorted(v for v in values if v == 0 or MIN_ZONE <= v <= ev.size)


def _record_sizes(ev):
    """record_size candidates.  A dmesg zone is (dump / count) rounded to
    even, between record_size and twice it, and the dmesg signatures sit
    at multiples of it: so record_size is the power of two below some
    even divisor of their spacing (any of the last two may be console or
    pmsg).  A run of dmesg zones from offset 0 settles it."""
    if ev.stride:
        return [rounddown_pow2(ev.stride)]
    values = {0, DEFAULT}
    tops = [1 << k for k in range(4, ev.size.bit_length())]
    for cut in (2, 1, 0):
        spacing = 0
        for off in ev.plain[:len(ev.plain) - cut]:
            spacing = math.gcd(spacing, off)
        if not spacing:        # at most one dmesg zone seen: any size
            values.update(tops)
            continue
        for low in tops:
            if low > spacing:
                break
            first = max(1, spacing // (2 * low))
            for parts in range(first, min(spacing // low, first + 4096) + 1):
                zone = spacing // parts
                if spacing % parts == 0 and zone % 2 == 0 and \
                        low <= zone < 2 * low:
                    values.add(low)
                    break
    return sorted(v for v in values if v <= ev.size)


def _cpu_counts(ev):
    counts = {1}
    if len(ev.ftrace) > 1:
        step = min(b - a for a, b in zip(ev.ftrace, ev.ftrace[1:]))
        counts.add(len(ev.ftrace))
        if step:
            counts.add((ev.ftrace[-1] - ev.ftrace[0]) // step + 1)
    return sorted(c for c in counts if c <= MAX_CPUS)


class Candidate:
    __slots__ = ("params", "cost", "order_known")

    def __init__(self, params, cost):
        self.params, self.cost, self.order_known = params, cost, True


def _dmesg_geometry(mem, record_size, tail_total):
    """(count, zone size) of ramoops_init_przs("dmesg"), or None when the
    probe would fail."""
    dump = mem - tail_total
    if dump < 0:
        return None
    if not dump or not record_size:
        return 0, 0
    count = dump // record_size
    if not count:
        return None
    zone = (dump // count) & ~1
    return (count, zone) if zone else None


def _tail(base, console, ftrace, pmsg, cpus, new_order):
    """[(kind, offset, size)] of the zones after the dmesg zones."""
    zones, pos = [], base
    if console:
        zones.append(("console", pos, console))
        pos += console
    each = (ftrace // cpus) & ~1 if ftrace else 0
    order = ("pmsg", "ftrace") if new_order else ("ftrace", "pmsg")
    for kind in order:
        if kind == "pmsg" and pmsg:
            zones.append(("pmsg", pos, pmsg))
            pos += pmsg
        elif kind == "ftrace" and ftrace:
            for _ in range(cpus):
                zones.append(("ftrace", pos, each))
                pos += each
    return zones


def search(buf, ev, ecc):
    """The best Candidate for the evidence, or None."""
    mem = ev.size
    orders = (False, True)
    if ev.version:
        orders = (ev.version >= 0x060200,)
    parity = ParityCheck(buf, ecc)
    plain, ftrace = ev.plain, ev.ftrace
    first_ftrace = ftrace[0] if ftrace else mem
    sizes = _sizes(ev)
    records = _record_sizes(ev)
    cpus = _cpu_counts(ev)
    # Over the plain signatures before index i (only the last three i can
    # end the dmesg zones): their gcd, the largest size a header claims,
    # and how many hold text other than a dmesg record.
    prefix_gcd, prefix_used, text_before = {}, {}, {0: 0}
    head = max(0, len(plain) - 3)
    g = reduce(math.gcd, plain[:head], 0)
    used = max((ev.used.get(off, 0) for off in plain[:head]), default=0)
    text = sum(1 for off in plain[:head] if ev.kinds.get(off) is False)
    text_before[head] = text
    for i in range(head, len(plain)):
        off = plain[i]
        g = math.gcd(g, off)
        used = max(used, ev.used.get(off, 0))
        text += ev.kinds.get(off) is False
        prefix_gcd[i], prefix_used[i], text_before[i + 1] = g, used, text
    dmesg_ok = {}

    def dmesg_fit(record_size, total):
        """(count, zone, base, matched plain hits) if the plain signatures
        before the tail sit on dmesg zone starts."""
        key = (record_size, total)
        if key in dmesg_ok:
            return dmesg_ok[key]
        result = None
        geo = _dmesg_geometry(mem, record_size, total)
        if geo is not None:
            count, zone = geo
            base = count * zone
            below = bisect_left(plain, base)
            if len(plain) - below <= 2 and base <= first_ftrace and \
                    (below == 0 or (zone and prefix_gcd[below - 1] % zone == 0
                                    and prefix_used[below - 1] <=
                                    _buffer(zone, ecc) and
                                    parity(plain[below - 1], zone))):
                result = (count, zone, base, below)
        dmesg_ok[key] = result
        return result

    best = {}                  # (ranking, new_order) -> Candidate
    in_sizes = set(sizes)
    # At most two plain signatures follow the dmesg zones, so the zones
    # after them fit between the third-last one and the region's end.
    room = mem - plain[-3] if len(plain) >= 3 else mem
    totals = sorted({c + p + f for c in sizes for p in sizes for f in sizes
                     if c + p + f < room or c + p + f == room == mem})
    for record_size in records:
        # The dmesg arithmetic first: only a few console+pmsg+ftrace totals
        # put the dmesg zones on the dmesg signatures.
        fits = [(total, dmesg_fit(record_size, total)) for total in totals
                if record_size or total]
        for total, fit in fits:
            if fit is None:
                continue
            count, zone, base, matched = fit
            for console in sizes:
                for pmsg in sizes:
                    ftrace_size = total - console - pmsg
                    if ftrace_size not in in_sizes:
                        continue
                    for ncpu in (cpus if ftrace_size else (1,)):
                        if ftrace_size and (ftrace_size // ncpu) & ~1 < MIN_ZONE:
                            continue
                        for new_order in orders:
                            cand = _score(plain, ftrace, matched, count, zone,
                                          _tail(base, console, ftrace_size,
                                                pmsg, ncpu, new_order),
                                          ecc, parity, ev.kinds, text_before,
                                          ev.used)
                            if cand is None:
                                continue
                            params = dict(mem_size=mem, record_size=record_size,
                                          console_size=console,
                                          ftrace_size=ftrace_size,
                                          pmsg_size=pmsg, ecc=ecc,
                                          ftrace_cpus=ncpu, new_order=new_order)
                            unexplained, missing = cand
                            extra = len(non_defaults(params))
                            for key, cost in (
                                    ("complete", (unexplained, missing, extra)),
                                    ("sparse", (unexplained, extra, missing))):
                                old = best.get((key, new_order))
                                if _better(cost, params, old):
                                    best[key, new_order] = Candidate(params, cost)
    if not best:
        return None
    # A kernel writes every zone's header: when some layout has a signature
    # in every zone, a zone without one counts against a layout before
    # parameters do.  Otherwise (a bootloader's or cleared region) missing
    # headers say little, and the fewest non-default parameters decide.
    complete = min(c.cost[1] for (key, _), c in best.items()
                   if key == "complete") == 0
    key = "complete" if complete else "sparse"
    ranked = {order: c for (k, order), c in best.items() if k == key}
    winner = min(ranked.values(),
                 key=lambda c: (c.cost, not c.params["new_order"]))
    winner.order_known = len(ranked) == 1 or \
        ranked[True].cost != ranked[False].cost
    return winner


def without_ftrace(ev):
    """The evidence without its ftrace signatures."""
    other = Evidence(ev.size)
    other.__dict__.update(ev.__dict__)
    other.ftrace, other.version = [], None
    return other


def search_shorter(buf, ev, ecc):
    """The best fully explained Candidate for a region shorter than the
    image: mem_size a 4 KiB multiple, a MiB multiple or a power of two
    just past the last signature."""
    last = max(ev.plain + ev.ftrace)
    low = last + MIN_ZONE
    sizes = {-(-low // 4096) * 4096 + 4096 * k for k in range(16)}
    sizes |= {-(-low // (1 << 20)) << 20, 1 << (low - 1).bit_length()}
    found = []
    for mem in sorted(m for m in sizes if m < ev.size):
        shorter = Evidence(mem)
        shorter.__dict__.update({k: v for k, v in ev.__dict__.items()
                                 if k != "size"})
        best = search(buf, shorter, ecc)
        if best is not None and not best.cost[0]:
            found.append(best)
    return min(found, key=lambda c: c.cost) if found else None


def _tie_break(params):
    """At equal cost: fewer kinds of zone (an empty last dmesg zone is not
    read as a console), then a lone text zone is the console rather than
    pmsg (nothing in the zone tells them apart)."""
    kinds = sum(1 for k in ("console_size", "ftrace_size", "pmsg_size")
                if params[k])
    return kinds, bool(params["pmsg_size"] and not params["console_size"])


def _better(cost, params, old):
    return old is None or \
        (cost, _tie_break(params)) < (old.cost, _tie_break(old.params))


def _score(plain, ftrace, matched, count, zone, tail, ecc, parity, kinds,
           text_before, used):
    """(unexplained signatures, zones without one) or None if a zone
    cannot hold ECC.  A zone's content counts too: a dmesg record in a
    console or pmsg zone, or other text in a dmesg zone, is unexplained."""
    starts = {}
    for kind, off, size in tail:
        room = _buffer(size, ecc)
        if not room:
            return None
        starts[off] = (kind, size, room)
    unexplained = text_before[matched]
    seen = set()
    for off in plain[matched:]:
        kind = starts.get(off, ("", 0, 0))
        if kind[0] in ("console", "pmsg") and parity(off, kind[1]) and \
                not kinds.get(off) and used.get(off, 0) <= kind[2]:
            seen.add(off)
        else:
            unexplained += 1
    for off in ftrace:
        kind = starts.get(off, ("", 0, 0))
        if kind[0] == "ftrace" and parity(off, kind[1]) and \
                used.get(off, 0) <= kind[2]:
            seen.add(off)
        else:
            unexplained += 1
    missing = (count - matched) + (len(tail) - len(seen))
    return unexplained, missing


def non_defaults(params):
    """The module parameters that differ from ramoops' defaults."""
    out = [k for k in ("record_size", "console_size", "ftrace_size",
                       "pmsg_size") if params[k] != DEFAULT]
    if params["ecc"]:
        out.append("ecc")
    if params["ftrace_size"] and params["ftrace_cpus"] != 1:
        out.append("ftrace_cpus")
    return out
