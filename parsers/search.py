"""Finding a byte string in an image that may be an mmap.

CPython before 3.11.5 (Debian 12 has 3.11.2) reads one byte past the end
of the searched range in ``mmap.find()`` for needles longer than a byte
(CPython gh-105235): an image whose size is a multiple of the page size,
with nothing mapped after it, ends the process with SIGSEGV.  So the search
runs on a copy of one window at a time, never on the mmap itself.
"""

WINDOW = 16 << 20


def find_all(buf, needle, start=0, end=None, done=None, window=WINDOW):
    """Offsets of ``needle`` in ``buf[start:end]``, in order.  ``done(a, b)``
    is called once ``buf[a:b]`` has been searched (to release its pages)."""
    end = len(buf) if end is None else min(end, len(buf))
    pos = start
    while pos < end:
        stop = min(end, pos + window)
        chunk = bytes(buf[pos:min(end, stop + len(needle) - 1)])
        hit = chunk.find(needle)
        while 0 <= hit and pos + hit < stop:
            yield pos + hit
            hit = chunk.find(needle, hit + 1)
        if done is not None:
            done(pos, stop)
        pos = stop
