"""Finding a byte string in an image that may be an mmap.

CPython before 3.11.5 (Debian 12 has 3.11.2) reads one byte past the end
of the searched range in ``mmap.find()`` for needles longer than a byte
(CPython gh-105235): an image whose size is a multiple of the page size,
with nothing mapped after it, ends the process with SIGSEGV.  Every scan of
an image goes through ``find`` so that no search ever reaches its last
byte.
"""

WINDOW = 16 << 20          # bytes scanned before a mapping's pages are released
BLOCK = 64 << 10           # compared with zeros at once (nonzero_spans)
SPAN = 1 << 20             # longest span nonzero_spans yields
_ZERO = bytes(BLOCK)


def find(buf, needle, start, end):
    """``buf.find(needle, start, end)`` that never lets the search touch the
    last byte of ``buf``; a match ending exactly there is checked by
    slicing, which is bounds-checked."""
    stop = min(end, len(buf) - 1)
    pos = buf.find(needle, start, stop) if stop > start else -1
    tail = len(buf) - len(needle)
    if pos < 0 and end >= len(buf) and tail >= start and \
            buf[tail:] == needle:
        pos = tail
    return pos


def nonzero_spans(buf, start, end, known):
    """Yield ``(lo, hi)``, in order and at most SPAN long: the parts of
    ``buf[start:end]`` a search for a needle with a non-zero byte must look
    at; every byte between them is zero.  Each BLOCK (counted from offset
    0) is compared with zeros (memcmp) when the caller gets to it, and
    ``known`` keeps the answers for the next search of the same buffer, so
    a never-written or cleared region is read once, not once per search.
    A span after zeros starts 3 bytes early: a 4-byte needle may begin
    with zero bytes.  Searching across the end of a span stays the
    caller's task, as at the end of a window."""
    lo = None
    for base in range(start - start % BLOCK, end, BLOCK):
        if base not in known:
            stop = min(len(buf), base + BLOCK)
            known[base] = buf[base:stop] != _ZERO[:stop - base]
            if not known[base]:
                release(buf, base, stop)
        if not known[base]:
            if lo is not None:
                yield lo, base
                lo = None
        elif lo is None:
            lo = max(start, base - 3)
        elif base - lo >= SPAN:
            yield lo, base
            lo = base
    if lo is not None:
        yield lo, end


def release(buf, start, stop):
    """Drop a scanned range of an mmap from our resident set (the data
    stays in the page cache; touching it again just maps it back)."""
    madvise = getattr(buf, "madvise", None)
    if madvise is None:
        return
    import mmap
    start -= start % mmap.PAGESIZE
    try:
        madvise(mmap.MADV_DONTNEED, start, stop - start)
    except (OSError, ValueError):
        pass
