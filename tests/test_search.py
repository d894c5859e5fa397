"""Scanning an mmap'd image must never read past its end.

CPython before 3.11.5 reads one byte past the searched range in
mmap.find() (gh-105235); with nothing mapped after an image whose size is a
multiple of the page size that is SIGSEGV.  Found when the full suite
crashed in tests/test_collector.py on Debian 12's Python 3.11.2.  The
test puts an inaccessible page right after the mapping and runs the
scanners in a child, so a crash fails the test instead of the suite."""

import ctypes
import mmap
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))

CHILD = textwrap.dedent("""
    import ctypes, mmap, os, sys
    from parsers import pstorezone, ramoops, search
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                          ctypes.c_int, ctypes.c_int, ctypes.c_long]
    MAP_FIXED_NOREPLACE = 0x100000
    page = mmap.PAGESIZE
    path = sys.argv[1]
    fd = os.open(path, os.O_RDONLY)
    size = os.fstat(fd).st_size
    def address(buf):
        return ctypes.addressof(ctypes.c_char.from_buffer(buf))

    kept = []
    for _ in range(64):
        # A hole one page larger than the image, then the guard page at
        # its end: the image's mapping lands in the rest of the hole.
        hole = mmap.mmap(-1, size + page)
        start = address(hole)
        hole.close()
        guard = libc.mmap(start + size, page, 0,              # PROT_NONE
                          mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS |
                          MAP_FIXED_NOREPLACE, -1, 0)
        if guard != start + size:
            continue
        m = mmap.mmap(fd, size, access=mmap.ACCESS_COPY)
        if address(m) == start:
            break
        kept.append(m)
    else:
        sys.exit(3)
    # The scanners, on an mmap with an inaccessible page after it.
    assert search.find(m, b"DBGC", 0, size) == 0
    assert ramoops.detect.signature_hits(m, 0, size) == [0]
    assert isinstance(pstorezone.detect_layout(m), list)
    print("ok")
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux mmap")
def test_scanners_never_read_past_a_mapped_image(tmp_path):
    image = tmp_path / "region.bin"
    image.write_bytes(b"DBGC" + bytes(4 * mmap.PAGESIZE - 4))
    done = subprocess.run([sys.executable, "-c", CHILD, str(image)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    if done.returncode == 3:
        pytest.skip("could not place a guard page after the mapping")
    assert done.returncode == 0 and done.stdout.strip() == "ok", (
        done.returncode, done.stderr[-1000:])


def test_find_agrees_with_bytes_find_at_every_range():
    from parsers.search import find
    data = b"xxDBGCxxxDBGCDBGC" * 3
    for start in range(len(data)):
        for end in range(start, len(data) + 2):
            assert find(data, b"DBGC", start, end) == \
                data.find(b"DBGC", start, end), (start, end)
