"""Finding a byte string in an image that may be an mmap.

CPython before 3.11.5 (Debian 12 has 3.11.2) reads one byte past the end
of the searched range in ``mmap.find()`` for needles longer than a byte
(CPython gh-105235): an image whose size is a multiple of the page size,
with nothing mapped after it, ends the process with SIGSEGV.  Every scan of
an image goes through ``find`` so that no search ever reaches its last
byte.
"""

WINDOW = 16 << 20          # bytes scanned before a mapping's pages are released


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
