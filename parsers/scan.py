"""Finding a byte string in a raw image, which may be an mmap.

``mmap.find`` must not be used with a needle of more than one byte:
CPython's fastsearch (3.11, Debian 12's python) reads the byte *after*
the searched range, harmless for a bytes object (it ends in a NUL) but a
segfault when the range ends where the mapping ends and the next page is
unmapped -- which happens once another mapping has been released there
(found by fuzz/harnesses.py's pipeline harness: --collect died on a 64 KiB
ramoops image).  So the image is searched in copied windows.
"""

WINDOW = 16 << 20


def find_all(buf, needle, start=0, end=None, window=WINDOW, scanned=None):
    """Offsets of ``needle`` in ``buf[start:end]``, in order, searched one
    copied window at a time; ``scanned(buf, start, stop)`` is called after
    each window (to release it from memory)."""
    end = len(buf) if end is None else min(end, len(buf))
    overlap = len(needle) - 1
    while start < end:
        stop = min(end, start + window)
        chunk = buf[start:min(end, stop + overlap)]     # a copy (bytes)
        pos = chunk.find(needle)
        while 0 <= pos < stop - start:
            yield start + pos
            pos = chunk.find(needle, pos + 1)
        if scanned is not None:
            scanned(buf, start, stop)
        start = stop
