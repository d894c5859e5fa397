"""The decisive test: raw images written by real Debian kernels decode to
exactly what the same kernel showed in /sys/fs/pstore (samples/README.md)."""

import json
import os
import random
import re

import pytest

from parsers import efi, mtdoops, pstorefs, ramoops

SAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, "samples")
MANIFEST = json.load(open(os.path.join(SAMPLES, "manifest.json")))


def scenarios(backend):
    return [pytest.param(s, id=s["name"]) for s in MANIFEST
            if s["backend"] == backend]


def read(path):
    with open(path, "rb") as f:
        return f.read()


def kernel_files(scenario):
    """{pstore file name: bytes as the kernel presented them}."""
    folder = os.path.join(SAMPLES, scenario["name"], "pstore")
    if not os.path.isdir(folder):
        return {}
    return {n: read(os.path.join(folder, n)) for n in os.listdir(folder)}


def strip_notice(data):
    return pstorefs.split_ecc_notice(data)[0]


def ramoops_layout(params, version):
    major, minor = (int(x) for x in version.split(".")[:2])
    return ramoops.compute_layout(
        params["mem_size"], params.get("record_size", 4096),
        params.get("console_size", 4096), params.get("ftrace_size", 4096),
        params.get("pmsg_size", 4096), params.get("ecc", 0),
        kernel=(major, minor))


def compare_with_kernel(result, expected, skip_types=("ftrace",)):
    """Every non-ftrace file the kernel showed is one of our records, byte
    for byte (ftrace text holds symbol names only the kernel knows)."""
    ours = {r.name: r.payload for r in result.records}
    for name, data in expected.items():
        if name.split("-")[0] in skip_types:
            continue
        assert name in ours, "kernel showed %s, we found %s" % (name,
                                                               sorted(ours))
        assert ours[name] == strip_notice(data), name
    return ours


@pytest.mark.parametrize("scenario", scenarios("ramoops"))
def test_ramoops_sample_matches_kernel(scenario):
    image = read(os.path.join(SAMPLES, scenario["name"], "raw", "ramoops.bin"))
    layout = ramoops_layout(scenario["params"], scenario["kernel_version"])
    expected = kernel_files(scenario)
    result = ramoops.parse(image, layout)
    assert result.errors == []        # unused zones are empty, not problems
    compare_with_kernel(result, expected)
    # Auto-detection finds the same layout and so the same payloads.
    detected = ramoops.detect_layout(image)
    assert [(z.type, z.offset, z.size) for z in detected.zones] == \
        [(z.type, z.offset, z.size) for z in layout.zones]
    assert detected.ecc_size == layout.ecc_size
    auto = ramoops.parse(image)
    assert auto.errors == []
    compare_with_kernel(auto, expected)
    # The ECC status we compute is the one the kernel printed.
    for name, data in expected.items():
        status = pstorefs.split_ecc_notice(data)[1]
        ours = [r for r in result.records if r.name == name]
        if ours and ours[0].ecc is not None:
            assert (ours[0].ecc.corrected, ours[0].ecc.unrecoverable) == \
                (status.corrected, status.unrecoverable)


@pytest.mark.parametrize("scenario", scenarios("ramoops"))
def test_ramoops_sample_with_a_cleared_zone_header(scenario):
    """A zone whose header was cleared (a bootloader sharing the region) is
    empty: the dmesg records still decode as the kernel showed them, with
    the given layout and with a detected one, and nothing is a problem."""
    image = read(os.path.join(SAMPLES, scenario["name"], "raw", "ramoops.bin"))
    layout = ramoops_layout(scenario["params"], scenario["kernel_version"])
    expected = {n: d for n, d in kernel_files(scenario).items()
                if n.startswith("dmesg-")}
    for zone in [z for z in layout.zones if z.type != "dmesg"]:
        cleared = bytearray(image)
        cleared[zone.offset:zone.offset + 12] = bytes(12)
        for found in (ramoops.parse(bytes(cleared), layout),
                      ramoops.parse(bytes(cleared))):
            assert found.errors == [], (zone.type, found.errors)
            compare_with_kernel(found, expected)


@pytest.mark.parametrize("scenario", [s for s in scenarios("ramoops")
                                      if s.values[0]["params"].get("ecc")])
def test_ramoops_ecc_sample_survives_flipped_bytes(scenario):
    params = scenario["params"]
    image = bytearray(read(os.path.join(SAMPLES, scenario["name"], "raw",
                                        "ramoops.bin")))
    layout = ramoops_layout(params, scenario["kernel_version"])
    clean = ramoops.parse(bytes(image), layout)
    dmesg = [r for r in clean.records if r.type == "dmesg"]
    assert dmesg, "sample has no dmesg record"
    nroots = layout.ecc_size
    rng = random.Random(7)
    flips = 0
    for rec in dmesg:
        zone_start = rec.origin.offset + 12
        for block in range(0, 1024, 128):      # up to nroots/2 per block
            for pos in rng.sample(range(block, block + 128), nroots // 2):
                image[zone_start + pos] ^= 0x5A
                flips += 1
    damaged = ramoops.parse(bytes(image), layout)
    for before, after in zip(dmesg, [r for r in damaged.records
                                     if r.type == "dmesg"]):
        assert after.payload == before.payload
    assert sum(r.ecc.corrected for r in damaged.records
               if r.type == "dmesg") == flips


@pytest.mark.parametrize("scenario", scenarios("efi"))
def test_efi_sample_matches_kernel(scenario):
    folder = os.path.join(SAMPLES, scenario["name"], "raw", "efivars")
    variables = {n: read(os.path.join(folder, n)) for n in os.listdir(folder)}
    expected = kernel_files(scenario)
    backend = expected and next(iter(expected)).split("-")[1]
    result = efi.parse(variables, backend=backend)
    assert not result.errors
    ours = compare_with_kernel(result, expected)
    assert len(ours) == len(expected)


@pytest.mark.parametrize("scenario", [s for s in MANIFEST
                                      if os.path.isdir(os.path.join(
                                          SAMPLES, s["name"], "pstore"))],
                         ids=lambda s: s["name"])
def test_pstorefs_copy_parses_like_kernel(scenario):
    folder = os.path.join(SAMPLES, scenario["name"], "pstore")
    files = {n: (read(os.path.join(folder, n)), None)
             for n in os.listdir(folder)}
    result = pstorefs.parse(files)
    assert not result.errors
    for rec in result.records:
        if rec.type == "dmesg":
            assert rec.reason in ("Oops", "Panic", "Shutdown", "Emergency")
            assert rec.part >= 1


@pytest.mark.parametrize("scenario", scenarios("mtdoops"))
def test_mtdoops_sample_matches_console(scenario):
    image = read(os.path.join(SAMPLES, scenario["name"], "raw", "mtd.bin"))
    result = mtdoops.parse(image, scenario["params"].get("record_size"))
    assert not result.errors
    console = b"".join(
        read(os.path.join(SAMPLES, scenario["name"], n))
        for n in sorted(os.listdir(os.path.join(SAMPLES, scenario["name"])))
        if n.startswith("console-crash"))
    console_lines = [re.sub(rb"^.*?(\[ *\d+\.\d+\])", rb"\1", line)
                     for line in console.splitlines()]
    index = {line: i for i, line in reversed(list(enumerate(console_lines)))}
    oopses = scenario["actions"].count("oops")
    seqs = [r.seq for r in result.records]
    # Seq starts at 1 on an erased partition and counts every oops, so the
    # newest record's seq is the number of oopses; older ones may be erased.
    assert 1 <= len(seqs) <= oopses
    assert seqs[-1] == oopses
    assert seqs == list(range(oopses - len(seqs) + 1, oopses + 1))
    for rec in result.records:
        lines = [re.sub(rb"^<\d+>", b"", line)
                 for line in rec.payload.splitlines()]
        positions = [index.get(line) for line in lines if line.strip()]
        found = [p for p in positions if p is not None]
        # The log lines the record holds are console lines, in order.
        assert len(found) >= 0.9 * len(positions)
        assert found == sorted(found)


@pytest.mark.parametrize("scenario", scenarios("ramoops"))
def test_ramoops_sample_inside_a_larger_image(scenario):
    """A dump of more memory than the region (zeros after it): the region
    is found (an empty last zone may be read smaller, the 4 KiB default)
    and the records are the kernel's."""
    image = read(os.path.join(SAMPLES, scenario["name"], "raw", "ramoops.bin"))
    padded = image + bytes(3 * len(image))
    result = ramoops.parse(padded)
    assert result.errors == []
    assert result.info["layout"].params["mem_size"] <= len(image)
    compare_with_kernel(result, kernel_files(scenario))
