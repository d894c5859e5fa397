#!/usr/bin/env python3
"""Parser throughput next to `cat FILE >/dev/null` on the same file.

Targets (issue 2): scanning at least 30% of cat's speed for a 64 MiB
mostly-erased mtdoops image and a 16 MiB ramoops region; ECC verification
of a 1 MiB ECC-protected region under 0.5 s.  Run: python3 benchmarks/scan.py
"""

import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir))

from harvester.sources import read_image  # noqa: E402
from parsers import mtdoops, ramoops  # noqa: E402
from tests.kernelbuild import Ramoops, mtdoops_image, mtdoops_write  # noqa: E402

LOG = b"".join(b"<4>[ %6d.000000] benchmark line %d\n" % (i, i) for i in range(400))


def best_of(func, runs=5):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def cat_time(path):
    return best_of(lambda: subprocess.run(["cat", path], stdout=subprocess.DEVNULL,
                                          check=True))


def row(name, path, parse):
    size = os.path.getsize(path)
    cat = cat_time(path)
    ours = best_of(lambda: parse(read_image(path)))
    print("%-34s %6.1f MiB  cat %7.1f MB/s  parse %7.1f MB/s  = %4.0f%% of cat"
          % (name, size / 2**20, size / cat / 1e6, size / ours / 1e6,
             100 * cat / ours))
    return cat / ours


def main():
    tmp = tempfile.mkdtemp(prefix="oops-bench-")
    mtd = mtdoops_image(64 * 256)                       # 64 MiB, 4 KiB records
    for slot in range(3):
        mtdoops_write(mtd, slot, slot + 1, LOG, timestamp_ns=slot)
    mtd_path = os.path.join(tmp, "mtd.bin")
    open(mtd_path, "wb").write(mtd)

    region = Ramoops(16 << 20, record_size=0x4000)
    for i in range(8):
        region.dump("Oops", i + 1, LOG)
    region.console.write(LOG)
    ram_path = os.path.join(tmp, "ramoops.bin")
    open(ram_path, "wb").write(region.image)

    print("throughput (best of 5, page cache warm)")
    ok = row("mtdoops 64 MiB, 3 records", mtd_path,
             lambda b: mtdoops.parse(b)) >= 0.3
    ok &= row("ramoops 16 MiB, detected layout", ram_path,
              lambda b: ramoops.parse(b)) >= 0.3
    layout = ramoops.compute_layout(16 << 20, record_size=0x4000)
    ok &= row("ramoops 16 MiB, given layout", ram_path,
              lambda b: ramoops.parse(b, layout)) >= 0.3
    # Issue 11: detection may cost at most twice what it did before it
    # searched module parameters (1.17 ms for the detected-layout parse on
    # the project machine, 273% of cat; 1.5-1.6 ms after).
    mapped = read_image(ram_path)
    seconds = best_of(lambda: ramoops.detect_layout(mapped), runs=7)
    print("ramoops 16 MiB, detection alone: %.2f ms" % (seconds * 1000))

    # 1 MiB of ECC-protected zones, every data block in use.
    ecc = Ramoops(1 << 20, record_size=0x4000, ecc=16)
    for zone in ecc.dmesg:
        zone.write(b"====1700000000.000001-D\nOops#1 Part1\n" +
                   LOG * (zone.buffer_size // len(LOG) + 1))
    image = bytes(ecc.image)
    elapsed = best_of(lambda: ramoops.parse(image, ramoops.compute_layout(
        1 << 20, record_size=0x4000, ecc=16)), runs=3)
    print("ECC verify of a full 1 MiB region: %.3f s (target < 0.5 s)" % elapsed)
    ok &= elapsed < 0.5
    print("all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
