"""Seed corpora for the atheris harnesses, made from samples/ (what real
kernels wrote) and from tests/kernelbuild.py images (the kernel's rules).

    python3 fuzz/seeds.py OUTDIR [TARGET...]   # OUTDIR/<target>/seed-NNN
"""

import os
import sys
import zlib

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from fuzz.harnesses import (EFIVARS, MTDOOPS, PSTORE, RAMOOPS,  # noqa: E402
                            TARGETS, pack)

SAMPLES = os.path.join(ROOT, "samples")
# Big images make every mutation slow; the 64-256 KiB ones cover the same
# formats (the 1 MiB ones only have more empty zones).
MAX_IMAGE = 256 << 10


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _sample_dirs(sub):
    for name in sorted(os.listdir(SAMPLES)):
        folder = os.path.join(SAMPLES, name, *sub.split("/"))
        if os.path.isdir(folder):
            yield name, folder


def _tree(folder, kind):
    entries = []
    for entry in sorted(os.listdir(folder)):
        path = os.path.join(folder, entry)
        st = os.stat(path)
        entries.append((kind, entry, int(st.st_mtime), _read(path)))
    return entries


def _images(prefix):
    out = []
    for name, folder in _sample_dirs("raw"):
        if not name.startswith(prefix):
            continue
        for entry in sorted(os.listdir(folder)):
            path = os.path.join(folder, entry)
            if entry.endswith(".bin") and os.path.getsize(path) <= MAX_IMAGE:
                out.append(_read(path))
    return out


def _built():
    from tests.kernelbuild import (PstoreZoneImage, Ramoops, efi_dump,
                                   mtdoops_image, mtdoops_write)
    built = {}
    ram = []
    for ecc in (0, 16):
        r = Ramoops(0x8000, record_size=0x1000, ecc=ecc)
        r.dump("Oops", 1, b"<4>[ 1.0] BUG: unable to handle page fault\n" * 20)
        r.dump("Panic", 2, b"<0>[ 2.0] Kernel panic - not syncing: x\n" * 20,
               compress=True)
        r.console.write(b"console line\n" * 300)
        ram.append(bytes(r.image))
    built["ramoops"] = ram
    image = mtdoops_image(4)
    mtdoops_write(image, 0, 1, b"<4>[ 1.0] Oops: 0002 [#1] SMP\n" * 30)
    mtdoops_write(image, 1, 2, b"<0>[ 2.0] Kernel panic\n" * 30, timestamp_ns=1)
    built["mtdoops"] = [bytes(image)]
    files, _ = efi_dump("Panic", 1, b"<0>[ 1.0] efi line\n" * 150, 1700000000)
    built["efi"] = [[(EFIVARS, n, 0, d) for n, d in sorted(files.items())]]
    zone = PstoreZoneImage(0x20000, kmsg_size=0x4000, console_size=0x1000,
                           pmsg_size=0x1000)
    zone.kmsg(0, 2, 1, b"Oops#1 Part1\n" + b"<4>[ 1.0] z\n" * 40)
    zone.kmsg(1, 1, 1, b"Panic#2 Part1\n" + b"<0>[ 2.0] z\n" * 40, compress=True)
    zone.append("console", b"console\n" * 600)
    built["pstorezone"] = [bytes(zone.image)]
    return built


def seeds(target):
    """A list of seed inputs (bytes) for one harness."""
    built = _built()
    pstore = [_tree(f, PSTORE) for _, f in _sample_dirs("pstore")]
    efivars = [_tree(f, EFIVARS) for _, f in _sample_dirs("raw/efivars")]
    if target == "ramoops":
        return [b"\0" + i for i in _images("ramoops") + built["ramoops"]]
    if target == "mtdoops":
        return [b"\0" + i for i in _images("mtdoops") + built["mtdoops"]]
    if target == "pstorezone":
        return built["pstorezone"]
    if target == "efi":
        return [pack(t) for t in efivars + built["efi"]]
    if target == "pstorefs":
        return [pack(t) for t in pstore]
    if target == "kmsg":
        return [b"Oops#1 Part1\n", b"Panic#12 Part3\n<0>", b"Shutdown#1 Part1\n",
                b"Emergency#4294967295 Part99\n"]
    if target == "compression":
        out = [zlib.compress(b"Panic#1 Part1\n<0>[ 1.0] x\n" * 50)]
        for tree in efivars:
            out += [data[4:] for _, name, _, data in tree[:3] if "-C-" in name]
        try:
            import zstandard
            out.append(zstandard.ZstdCompressor().compress(b"Oops#1 Part1\nx\n" * 40))
        except ImportError:
            pass
        return out
    if target == "ecc":
        from parsers import ecc
        out = []
        for nroots, index in ((16, 1), (32, 2), (8, 0), (64, 3)):
            block = (b"<4>[ 1.0] ecc block " * 8)[:255 - nroots][:128]
            out.append(bytes([index]) + block + ecc.parity(block, nroots))
        return out
    if target == "pipeline":
        out = [pack(t) for t in pstore + efivars]
        out += [pack([(RAMOOPS, "ramoops.bin", 0, i)]) for i in
                _images("ramoops") if len(i) <= 64 << 10]
        out += [pack([(MTDOOPS, "mtd.bin", 0, i)]) for i in
                _images("mtdoops") if len(i) <= 64 << 10]
        out.append(pack(built["efi"][0]))
        # The mixes: a crash, a later Shutdown, console and pmsg.
        basic = os.path.join(SAMPLES, "ramoops-6.1-basic", "pstore")
        down = os.path.join(SAMPLES, "ramoops-6.1-shutdown", "pstore")
        out.append(pack([
            (PSTORE, "dmesg-ramoops-0", 1700000000,
             _read(os.path.join(basic, "dmesg-ramoops-0"))),
            (PSTORE, "dmesg-ramoops-1", 1700000300,
             _read(os.path.join(down, "dmesg-ramoops-0"))),
            (PSTORE, "console-ramoops-0", 0, b"[ 1.0] console text\n" * 20),
            (PSTORE, "pmsg-ramoops-0", 0, b"pmsg text\n")]))
        out.append(pack(pstore[0] + [(RAMOOPS, "ramoops.bin", 0,
                                      built["ramoops"][0])]))
        return out
    raise ValueError(target)


def write(outdir, targets=None):
    for target in targets or TARGETS:
        folder = os.path.join(outdir, target)
        os.makedirs(folder, exist_ok=True)
        for i, data in enumerate(seeds(target)):
            with open(os.path.join(folder, "seed-%03d" % i), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    write(sys.argv[1], sys.argv[2:])
