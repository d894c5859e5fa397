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


def test_an_all_zero_image_is_compared_not_searched(tmp_path, monkeypatch):
    """Issue 18 finding 8: detecting the layout of a 1 GiB all-zero image
    took 14.6 s of searches for signatures that zeros cannot hold.  Its
    blocks are compared with zeros once; no search runs."""
    from parsers import ramoops
    from parsers.ramoops import detect
    image = tmp_path / "zero.img"
    with open(image, "wb") as f:
        f.truncate(64 << 20)
    calls = []

    def counted(*args):
        calls.append(args[2:])
        return search_find(*args)
    search_find = detect.find
    monkeypatch.setattr(detect, "find", counted)
    with open(image, "rb") as f, mmap.mmap(f.fileno(), 0,
                                           access=mmap.ACCESS_READ) as m:
        layout = detect.detect_layout(m)
        result = ramoops.parse(m)
    assert layout.zones == [] and calls == []
    assert result.records == [] and result.errors == []


def _every_even(buf, needle):
    """Even offsets of ``needle`` in ``buf``, by plain bytes.find."""
    found, pos = [], buf.find(needle)
    while pos >= 0:
        if pos % 2 == 0:
            found.append(pos)
        pos = buf.find(needle, pos + 1)
    return found


@pytest.mark.parametrize("where", [0, 2, (1 << 20) - 4, (1 << 20) - 2,
                                   1 << 20, (3 << 20) + 2, (26 << 20) - 2,
                                   (32 << 20) - 12])
def test_the_searches_skip_zeros_only(where):
    """Signatures in a region of zeros, next to the boundaries of the
    blocks compared with zeros and of the windows searched, are all found:
    a dmesg one and an ftrace one of 5.10.68, whose signature's first
    byte is zero; and between the spans searched every byte is zero."""
    from parsers.ramoops import detect
    from parsers.search import nonzero_spans
    size, mib = 32 << 20, 1 << 20
    ftrace_sig = (detect.PERSISTENT_RAM_SIG ^ 0x050A44).to_bytes(4, "little")
    assert ftrace_sig[0] == 0
    buf = bytearray(size)
    buf[8 * mib:25 * mib] = b"\xff" * (17 * mib)   # longer than a window
    buf[24 * mib - 2:24 * mib + 2] = detect.SIG_BYTES   # across its end
    for off, sig in ((where, detect.SIG_BYTES), (where ^ (4 << 20), ftrace_sig)):
        buf[off:off + 12] = sig + bytes(8)       # start 0, size 0
    buf = bytes(buf)
    known = {}
    spans = list(nonzero_spans(buf, 0, size, known))
    outside = bytearray(buf)
    for lo, hi in spans:
        outside[lo:hi] = bytes(hi - lo)
    assert outside == bytes(size)
    for sig in (detect.SIG_BYTES, ftrace_sig):
        assert detect.signature_hits(buf, 0, size, sig, known=known) == \
            detect.signature_hits(buf, 0, size, sig) == _every_even(buf, sig)
    assert detect._first_ftrace_sig(buf, 0, [], known) == \
        int.from_bytes(ftrace_sig, "little")
