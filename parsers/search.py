"""Finding a byte string in an image that may be an mmap.

CPython before 3.11.5 (Debian 12 has 3.11.2) reads one byte past the end
of the searched range in ``mmap.find()`` for needles longer than a byte
(CPython gh-105235): an image whose size is a multiple of the page size,
with nothing mapped after it, ends the process with SIGSEGV.  Every scan of
an image goes through ``find`` so that no search ever reaches its last
byte.
"""

WINDOW = 16 << 20          # bytes scanned before a mapping's pages are released
BLOCK = 1 << 20            # step of the search for bytes that are not zero


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


def nonzero_spans(buf, start, end):
    """``[lo, hi)`` ranges of ``buf[start:end]``, in BLOCK steps, outside
    which every byte is zero.  A needle without a zero byte lies inside
    one, so searching them only is the same search; a region never
    written or cleared is all zeros, and one comparison per block (memcmp
    against a zero block) replaces every later search of it."""
    zero = bytes(BLOCK)
    spans = []
    for lo in range(start, end, BLOCK):
        hi = min(end, lo + BLOCK)
        if buf[lo:hi] != zero[:hi - lo]:
            if spans and spans[-1][1] == lo:
                spans[-1][1] = hi
            else:
                spans.append([lo, hi])
        release(buf, lo, hi)
    return [tuple(span) for span in spans]


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
