import hashlib
import os
import random

import pytest

from parsers import ramoops
from parsers.exceptions import BadHeaderError, LayoutError, ParseError
from tests.kernelbuild import SIG, Ramoops

LOG = b"".join(b"<4>[   %d.000000] line %d of the oops\n" % (i, i)
               for i in range(200))


def by_type(result, kind):
    return [r for r in result.records if r.type == kind]


def test_module_defaults_give_4040_stride():
    # mem_size=1M record_size=16K with the module's 4 KiB console/ftrace/pmsg.
    layout = ramoops.compute_layout(0x100000, record_size=0x4000)
    dmesg = [z for z in layout.zones if z.type == "dmesg"]
    assert len(dmesg) == 63 and dmesg[1].offset == 0x4040
    assert [(z.type, z.offset) for z in layout.zones[-3:]] == [
        ("console", 0xFCFC0), ("ftrace", 0xFDFC0), ("pmsg", 0xFEFC0)]


def test_new_order_puts_pmsg_before_ftrace():
    layout = ramoops.compute_layout(0x100000, 0x4000, 0x8000, 0x4000, 0x8000,
                                    ftrace_cpus=4, kernel=(6, 2))
    kinds = [(z.type, z.offset) for z in layout.zones if z.type != "dmesg"]
    assert kinds == [("console", 0xEC000), ("pmsg", 0xF4000),
                     ("ftrace", 0xFC000), ("ftrace", 0xFD000),
                     ("ftrace", 0xFE000), ("ftrace", 0xFF000)]


def test_sizes_round_down_to_powers_of_two():
    layout = ramoops.compute_layout(0x10000, record_size=0x3000,
                                    console_size=0x1800)
    dmesg = [z for z in layout.zones if z.type == "dmesg"]
    assert dmesg[0].size == (0x10000 - 0x1000 - 0x1000 - 0x1000) // \
        ((0x10000 - 0x3000) // 0x2000) & ~1
    assert [z.size for z in layout.zones if z.type == "console"] == [0x1000]


def test_older_kernels_rules():
    # Before 4.19 dmesg zones are record_size apart, the remainder unused.
    old = ramoops.compute_layout(0x100000, record_size=0x4000, kernel=(4, 14))
    dmesg = [z for z in old.zones if z.type == "dmesg"]
    assert (len(dmesg), dmesg[1].offset) == (63, 0x4000)
    assert [z.offset for z in old.zones if z.type == "console"] == [0xFC000]
    # Before 4.0 there is no pmsg zone.
    v3 = ramoops.compute_layout(0x100000, record_size=0x4000, kernel=(3, 18))
    assert "pmsg" not in {z.type for z in v3.zones}


def test_impossible_layout_is_a_layout_error():
    with pytest.raises(LayoutError):
        ramoops.compute_layout(0x2000, record_size=0x1000)


@pytest.mark.parametrize("params", [
    dict(mem_size=0x100000, record_size=0x4000),
    dict(mem_size=0x100000, record_size=0x1000),          # all zones 4 KiB
    dict(mem_size=0x100000, record_size=0x1000, new_order=True,
         version_code=0x060C00),
    dict(mem_size=0x40000, record_size=0x2000, console_size=0x4000,
         pmsg_size=0x2000, ftrace_size=0x2000, ftrace_cpus=2),
    dict(mem_size=0x40000, record_size=0x2000, console_size=0x4000,
         pmsg_size=0x2000, ftrace_size=0x2000, ftrace_cpus=2, new_order=True,
         version_code=0x060C75),
    dict(mem_size=0x20000, record_size=0x4000, ecc=16),
    dict(mem_size=0x20000, record_size=0x4000, ecc=32),
])
def test_detected_layout_equals_kernel_layout(params):
    built = Ramoops(**params)
    built.dump("Oops", 1, LOG)
    built.console.write(b"console text\n" * 10)
    kw = {k: v for k, v in params.items()
          if k not in ("mem_size", "version_code")}
    if kw.pop("new_order", False):
        kw["kernel"] = (6, 2)
    kw.setdefault("ftrace_cpus", 1)
    expected = ramoops.compute_layout(params["mem_size"], **kw)
    found = ramoops.detect_layout(bytes(built.image))
    assert [(z.type, z.offset, z.size) for z in found.zones] == \
        [(z.type, z.offset, z.size) for z in expected.zones]
    assert found.ecc_size == expected.ecc_size


def test_dmesg_console_pmsg_roundtrip():
    built = Ramoops(0x40000, record_size=0x4000)
    _, text1 = built.dump("Oops", 1, LOG, seconds=1700000001, usec=5)
    _, text2 = built.dump("Panic", 2, LOG[:500], compress=True)
    built.console.write(b"A" * 3000)
    built.console.write(b"B" * 2000)          # wraps the 4 KiB console zone
    built.pmsg.write(b"user space says hi\n")
    result = ramoops.parse(bytes(built.image))
    assert result.errors == []
    dmesg = by_type(result, "dmesg")
    assert [r.payload for r in dmesg] == [text1[:len(dmesg[0].payload)], text2]
    assert dmesg[0].payload == text1[:0x4000 - 12 - len("====1700000001.000005-D\n")]
    assert dmesg[0].time_ns == 1700000001 * 10**9 + 5000
    assert (dmesg[0].reason, dmesg[0].count, dmesg[0].part) == ("Oops", 1, 1)
    assert dmesg[1].compressed and not dmesg[1].still_compressed
    console = by_type(result, "console")[0].payload
    assert console == (b"A" * 3000 + b"B" * 2000)[-(0x1000 - 12):]
    assert by_type(result, "pmsg")[0].payload == b"user space says hi\n"


def test_old_header_without_flag_and_unpadded_usec():
    built = Ramoops(0x20000, record_size=0x4000)
    built.dump("Oops", 1, LOG[:100], header="====1300000000.5\n")
    rec = by_type(ramoops.parse(bytes(built.image)), "dmesg")[0]
    assert rec.time_ns == 1300000000 * 10**9 + 5000
    assert not rec.compressed and rec.payload.startswith(b"Oops#1 Part1\n")


def test_zone_without_header_is_reported_not_fatal():
    built = Ramoops(0x20000, record_size=0x4000)
    built.dump("Oops", 1, LOG[:100], header="garbage\n")
    built.dump("Oops", 2, LOG[:100])
    result = ramoops.parse(bytes(built.image))
    assert [r.count for r in by_type(result, "dmesg")] == [2]
    assert isinstance(result.errors[0], BadHeaderError)
    assert result.errors[0].offset == 0


def test_ftrace_per_cpu_merge_and_torn_record():
    built = Ramoops(0x40000, record_size=0x2000, ftrace_size=0x2000,
                    ftrace_cpus=2)
    built.ftrace_record(0, 0xFFFFFFFF81000010, 0xFFFFFFFF81000000, 1, cpu=0)
    built.ftrace_record(1, 0xFFFFFFFF81000020, 0xFFFFFFFF81000000, 2, cpu=1)
    built.ftrace_record(0, 0xFFFFFFFF81000030, 0xFFFFFFFF81000000, 3, cpu=0)
    text = by_type(ramoops.parse(bytes(built.image)), "ftrace")[0].payload
    lines = text.decode().splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["CPU:0", "ts:1"], ["CPU:1", "ts:2"], ["CPU:0", "ts:3"]]
    assert "ffffffff81000020  ffffffff81000000" in lines[1]


@pytest.mark.parametrize("ecc", [16, 32])
def test_ecc_corrects_flipped_bytes_and_counts_them(ecc):
    built = Ramoops(0x20000, record_size=0x4000, ecc=ecc)
    _, text = built.dump("Panic", 1, LOG)
    clean = ramoops.parse(bytes(built.image))
    rec = by_type(clean, "dmesg")[0]
    assert rec.ecc.corrected == 0 and rec.ecc.unrecoverable == 0
    damaged = bytearray(built.image)
    rng = random.Random(ecc)
    flips = 0
    for block in range(0, 2048, 128):                 # within ecc/2 per block
        for pos in rng.sample(range(block, block + 128), ecc // 4):
            damaged[12 + pos] ^= 1 + rng.randrange(255)
            flips += 1
    damaged[5] ^= 0x40                                # header too
    flips += 1
    fixed = by_type(ramoops.parse(bytes(damaged)), "dmesg")[0]
    assert fixed.payload == rec.payload
    assert fixed.ecc.corrected == flips and fixed.ecc.unrecoverable == 0


def test_ecc_unrecoverable_block_is_flagged_and_still_read():
    built = Ramoops(0x20000, record_size=0x4000, ecc=16)
    built.dump("Panic", 1, LOG)
    damaged = bytearray(built.image)
    for pos in range(300, 300 + 20):                  # 20 errors in one block
        damaged[12 + pos] ^= 0xFF
    rec = by_type(ramoops.parse(bytes(damaged)), "dmesg")[0]
    assert rec.ecc.unrecoverable == 1
    assert rec.payload.startswith(b"Panic#1 Part1\n")


def test_zone_claims_impossible_size():
    built = Ramoops(0x20000, record_size=0x4000)
    built.dump("Oops", 1, LOG)
    damaged = bytearray(built.image)
    damaged[8:12] = (0x7FFFFFFF).to_bytes(4, "little")
    result = ramoops.parse(bytes(damaged))
    assert any(isinstance(e, BadHeaderError) and e.offset == 0
               for e in result.errors)


def test_region_never_written_is_empty_not_an_error():
    # All zeros (never initialised) or 0xff: no zone, no record, no problem.
    for fill in (0x00, 0xFF):
        result = ramoops.parse(bytes([fill]) * 0x10000)
        assert result.records == [] and result.errors == []
        assert result.info["layout"].zones == []
    assert int.from_bytes(b"DBGC", "little") == SIG


def test_zones_without_signature_are_empty_with_given_layout():
    # Only dmesg zone 1 was ever written (a bootloader cleared the rest):
    # the kernel re-initialises the others silently, and so do we.
    built = Ramoops(0x20000, record_size=0x4000)
    built.dump("Oops", 1, LOG, zone=1)
    image = bytearray(0x20000)
    zone = built.dmesg[1]
    image[zone.offset:zone.offset + zone.size] = \
        built.image[zone.offset:zone.offset + zone.size]
    layout = ramoops.compute_layout(0x20000, record_size=0x4000)
    result = ramoops.parse(bytes(image), layout)
    assert result.errors == []
    assert [r.name for r in result.records] == ["dmesg-ramoops-1"]


@pytest.mark.parametrize("ecc", [16, 32])
def test_ecc_zone_without_signature_is_empty(ecc):
    built = Ramoops(0x20000, record_size=0x4000, ecc=ecc)
    built.dump("Oops", 1, LOG)
    image = bytearray(built.image)
    for kind, zone in built.zones[1:]:
        image[zone.offset:zone.offset + zone.size] = \
            bytes(range(256)) * (zone.size // 256) + bytes(zone.size % 256)
    layout = ramoops.compute_layout(0x20000, record_size=0x4000, ecc=ecc)
    result = ramoops.parse(bytes(image), layout)
    assert result.errors == []
    assert [r.name for r in result.records] == ["dmesg-ramoops-0"]


def test_ecc_zones_are_checked_but_not_repaired_without_reedsolo(monkeypatch):
    built = Ramoops(0x20000, record_size=0x4000, ecc=16)
    _, text = built.dump("Panic", 1, LOG)
    layout = ramoops.compute_layout(0x20000, record_size=0x4000, ecc=16)
    expected = by_type(ramoops.parse(bytes(built.image), layout), "dmesg")[0]
    from parsers import ecc
    monkeypatch.setattr(ecc, "available", lambda: False)
    rec = by_type(ramoops.parse(bytes(built.image), layout), "dmesg")[0]
    assert rec.payload == expected.payload and rec.ecc.checked is True
    damaged = bytearray(built.image)
    damaged[12 + 200] ^= 0x20                  # inside the second block
    rec = by_type(ramoops.parse(bytes(damaged), layout), "dmesg")[0]
    assert rec.payload != expected.payload and len(rec.payload) == \
        len(expected.payload)
    assert (rec.ecc.checked, rec.ecc.unrecoverable) == (False, 1)
    assert "not repaired" in rec.problems[0]


def test_signature_scan_of_a_page_aligned_mmap_does_not_fault(tmp_path):
    # CPython 3.11.2's mmap.find reads one byte past the searched range; a
    # region whose mapping ends on a page boundary then faults (seen on the
    # 16 MiB benchmark region).  The scan runs in a child so a fault fails
    # this test instead of killing the run.
    import subprocess
    import sys
    region = Ramoops(16 << 20, record_size=0x4000)
    path = tmp_path / "region.bin"
    path.write_bytes(bytes(region.image))
    code = ("import mmap, os, sys; from parsers import ramoops; "
            "m = mmap.mmap(os.open(sys.argv[1], os.O_RDONLY), 0, "
            "access=mmap.ACCESS_READ); "
            "print(len(ramoops.detect.signature_hits(m, 0, len(m))))")
    done = subprocess.run([sys.executable, "-c", code, str(path)],
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == len(region.dmesg) + 2    # console, pmsg


# --- U-Boot's board data (tests/data/uboot-pstore/NOTICE) -----------------

UBOOT = os.path.join(os.path.dirname(__file__), "data", "uboot-pstore")
# U-Boot's test/py/tests/test_pstore.py: file, size, md5 of `pstore save`.
UBOOT_EXPECTED = {
    "dmesg-ramoops-0": (3798, "8059335ab4cfa62c77324c491659c503"),
    "dmesg-ramoops-1": (4035, "3ff30df3429d81939c75d0070b5187b9"),
    "console-ramoops-0": (4084, "bb44de4a9b8ebd9b17ae98003287325b"),
}


def uboot_region():
    """The zones where U-Boot's test loads them, in a zeroed 1 MiB region."""
    image = bytearray(0x100000)
    for name, offset in (("panic1", 0), ("panic2", 0x1000),
                         ("console", 253 * 4096)):
        with open(os.path.join(UBOOT, "test_pstore_data_%s.hex" % name),
                  "rb") as f:
            data = f.read()
        image[offset:offset + len(data)] = data
    return bytes(image)


@pytest.mark.parametrize("layout", [
    "given", "detected"])
def test_uboot_board_data_decodes_as_uboot_expects(layout):
    image = uboot_region()
    given = ramoops.compute_layout(0x100000, 4096, 4096, 4096, 4096)
    result = ramoops.parse(image, given if layout == "given" else None)
    assert result.errors == []
    found = {r.name: (len(r.payload), hashlib.md5(r.payload).hexdigest())
             for r in result.records}
    assert found == UBOOT_EXPECTED
    if layout == "detected":
        found = result.info["layout"]
        assert found.params["record_size"] == 4096 and found.non_default == []


def test_a_damaged_header_among_dmesg_zones_is_that_zones_problem():
    built = Ramoops(0x100000, record_size=0x4000)
    for zone in range(8):
        built.dump("Oops", zone + 1, LOG, zone=zone)
    damaged = bytearray(built.image)
    at = built.dmesg[5].offset
    damaged[at + 8:at + 12] = (0x7FFFFFFF).to_bytes(4, "little")
    result = ramoops.parse(bytes(damaged))
    given = ramoops.compute_layout(0x100000, record_size=0x4000)
    assert [(z.type, z.offset) for z in result.info["layout"].zones] == \
        [(z.type, z.offset) for z in given.zones]
    assert [e.offset for e in result.errors] == [at]
    assert sorted(r.id for r in result.records) == [0, 1, 2, 3, 4, 6, 7]
