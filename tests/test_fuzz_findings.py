"""Regression tests for what the atheris harnesses found (fuzz/README.md).

Each input under fuzz/regressions/<target>/ is replayed through its
harness 400 times in a fresh python (a crash that depends on memory
layout, like the first one, needs repetition to show)."""

import mmap
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
REGRESSIONS = os.path.join(ROOT, "fuzz", "regressions")
SAMPLES = os.path.join(ROOT, "samples")


def _inputs():
    for target in sorted(os.listdir(REGRESSIONS)):
        for name in sorted(os.listdir(os.path.join(REGRESSIONS, target))):
            yield target, name


@pytest.mark.parametrize("target,name", list(_inputs()))
def test_fuzz_finding_replays_cleanly(target, name):
    code = ("import sys\nsys.path.insert(0, %r)\n"
            "from fuzz import harnesses\n"
            "data = open(%r, 'rb').read()\n"
            "run = harnesses.TARGETS[%r]\n"
            "for _ in range(400):\n    run(data)\n"
            % (ROOT, os.path.join(REGRESSIONS, target, name), target))
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT,
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]


class Recording(mmap.mmap):
    """An mmap that remembers each multi-byte search that may read its last
    byte's successor: one whose range reaches the end of the mapping."""
    unsafe = []

    def find(self, sub, start=0, end=None):
        stop = len(self) if end is None else min(end, len(self))
        if len(sub) > 1 and stop >= len(self):
            Recording.unsafe.append((bytes(sub), start, end))
        return super().find(sub, start, stop)

    rfind = index = rindex = find


def _mapped(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        return Recording(fd, os.path.getsize(path), access=mmap.ACCESS_READ)
    finally:
        os.close(fd)


@pytest.mark.parametrize("sample", [
    ("ramoops-6.1-wrap", "raw", "ramoops.bin"),
    ("ramoops-6.1-ecc16", "raw", "ramoops.bin"),
    ("mtdoops-6.1-few", "raw", "mtd.bin")])
def test_no_multibyte_search_in_a_mapped_image(sample, tmp_path):
    """mmap.find with a needle of more than one byte reads the byte after
    its range (CPython's fastsearch): a segfault where the range ends where
    the mapping ends on a page boundary.  The raw-image parsers search
    through parsers.search.find, whose ranges stop short of the last byte."""
    from parsers import mtdoops, pstorezone, ramoops
    from tests.kernelbuild import PstoreZoneImage
    zone = PstoreZoneImage(0x20000, kmsg_size=0x4000, console_size=0x1000)
    zone.kmsg(0, 2, 1, b"Oops#1 Part1\n" + b"<4>[ 1.0] z\n" * 40)
    (tmp_path / "zone.bin").write_bytes(bytes(zone.image))
    Recording.unsafe = []
    ramoops.parse(_mapped(os.path.join(SAMPLES, *sample))) \
        if sample[0].startswith("ramoops") else \
        mtdoops.parse(_mapped(os.path.join(SAMPLES, *sample)))
    pstorezone.parse(_mapped(str(tmp_path / "zone.bin")))
    assert Recording.unsafe == []
