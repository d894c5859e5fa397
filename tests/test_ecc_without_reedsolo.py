"""ECC without reedsolo (Debian has no python3-reedsolo): a region written
with ramoops.ecc= is still recognised as such, with the very layout found
with reedsolo, its parity checked; a damaged block is read as it is and
every place a user looks says so, and how to get it repaired.

Ground truth: reedsolo's encoder (the kernel's convention, as the samples
confirm) and the real-kernel ECC samples."""

import json
import os
import random
import shutil
import sys

import pytest

from harvester import cli
from parsers import ecc, ramoops
from tests import apport_format
from tests.test_samples import MANIFEST, SAMPLES

ECC_SAMPLES = [pytest.param(s, id=s["name"]) for s in MANIFEST
               if s["backend"] == "ramoops" and s["params"].get("ecc")]


def image_of(scenario):
    with open(os.path.join(SAMPLES, scenario["name"], "raw",
                           "ramoops.bin"), "rb") as f:
        return f.read()


@pytest.fixture
def no_reedsolo(monkeypatch):
    """reedsolo cannot be imported, as on Debian."""
    monkeypatch.setitem(sys.modules, "reedsolo", None)
    for cached in (ecc.available, ecc._codec):
        cached.cache_clear()
    yield
    for cached in (ecc.available, ecc._codec):
        cached.cache_clear()


def test_generator_is_the_one_derived_in_formats_md():
    # docs/FORMATS.md §1.6, ecc_size 16, lowest degree first (computed there
    # from the kernel's parameters by an independent implementation).
    listed = "3b 24 32 62 e5 29 41 a3 08 1e d1 44 bd 68 0d 3b 01"
    assert list(reversed(ecc.generator(16))) == \
        [int(b, 16) for b in listed.split()]


def test_encoder_is_reedsolos_for_every_ecc_size():
    import reedsolo
    rng = random.Random(20)
    for nroots in range(1, 128):
        codec = reedsolo.RSCodec(nsym=nroots, nsize=255, fcr=0, prim=ecc.POLY,
                                 generator=2, c_exp=8)
        for length in (1, 12, 255 - nroots):
            data = bytes(rng.randrange(256) for _ in range(length))
            expected = bytes(codec.encode(data)[length:])
            assert ecc.header_parity(data, nroots) == expected, nroots
            assert ecc.parity(data, nroots) == expected, nroots


def detected(image):
    layout = ramoops.detect_layout(image)
    result = ramoops.parse(image, layout)
    return layout.spec(), [(r.name, r.payload, r.problems,
                            r.ecc and (r.ecc.corrected, r.ecc.unrecoverable,
                                       r.ecc.checked))
                           for r in result.records]


@pytest.mark.parametrize("scenario", ECC_SAMPLES)
def test_real_ecc_sample_detected_the_same_without_reedsolo(scenario,
                                                            monkeypatch):
    image = image_of(scenario)
    with_reedsolo = detected(image)
    monkeypatch.setitem(sys.modules, "reedsolo", None)
    ecc.available.cache_clear()
    try:
        without = detected(image)
    finally:
        ecc.available.cache_clear()
    assert "ecc=%d" % scenario["params"]["ecc"] in without[0]
    assert without == with_reedsolo         # clean: parity checked, no note


def damaged(scenario, flips_per_block=2):
    """The sample with a few bytes flipped in the first blocks of each
    dmesg zone (well within what the code repairs)."""
    image = bytearray(image_of(scenario))
    rng = random.Random(5)
    for rec in ramoops.parse(bytes(image)).records:
        if rec.type != "dmesg":
            continue
        start = rec.origin.offset + 12
        for block in range(0, 512, 128):
            for pos in rng.sample(range(block, block + 128), flips_per_block):
                image[start + pos] ^= 0x5A
    return bytes(image)


@pytest.mark.parametrize("scenario", ECC_SAMPLES[:2])
def test_damaged_blocks_are_read_unrepaired_and_said_so(scenario,
                                                        no_reedsolo):
    image = damaged(scenario)
    layout = ramoops.detect_layout(image)
    assert "ecc=%d" % scenario["params"]["ecc"] in layout.spec()
    dmesg = [r for r in ramoops.parse(image, layout).records
             if r.type == "dmesg"]
    assert dmesg
    for rec in dmesg:
        assert rec.ecc.checked is False and rec.ecc.unrecoverable == 4
        assert any("not repaired" in p and "reedsolo" in p and
                   "venv" in p for p in rec.problems), rec.problems


def test_list_report_and_log_say_blocks_were_not_repaired(tmp_path, capsys,
                                                          no_reedsolo):
    scenario = next(s.values[0] for s in ECC_SAMPLES
                    if s.values[0]["name"] == "ramoops-6.1-ecc16")
    region = tmp_path / "ramoops.bin"
    region.write_bytes(damaged(scenario))
    source = "ramoops:%s" % region
    assert cli.main(["--list", "--source", source]) == 0
    listed = " ".join(capsys.readouterr().out.split())
    assert "ecc=16" in listed
    assert "damaged blocks cannot be repaired (reedsolo is missing)" in listed
    assert "ECC: 4 damaged block(s) read as they are" in listed
    assert cli.main(["--list", "--json", "--source", source]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["ecc"]["unrepaired"] for r in rows] == [4, 4]
    assert all(r["layout"]["ecc"] == 16 for r in rows)

    out = tmp_path / "crash"
    out.mkdir()
    assert cli.main(["--collect", "--source", source, "--output-dir",
                     str(out), "--state-dir", str(tmp_path / "state")]) == 0
    printed = capsys.readouterr()
    assert "read as they are, not repaired: reedsolo is missing" in printed.err
    names = sorted(os.listdir(out))
    assert len(names) == 2
    for name in names:
        fields = apport_format.load((out / name).read_bytes())[0]
        assert "not repaired: reedsolo is missing" in fields["PstoreECC"]
        assert "pip install reedsolo" in fields["PstoreProblems"]


def test_clean_region_without_reedsolo_lists_the_repair_hint(tmp_path, capsys,
                                                             no_reedsolo):
    sample = os.path.join(SAMPLES, "ramoops-6.12-ecc16", "raw", "ramoops.bin")
    region = tmp_path / "ramoops.bin"
    shutil.copyfile(sample, region)
    assert cli.main(["--list", "--source", "ramoops:%s" % region]) == 0
    listed = " ".join(capsys.readouterr().out.split())
    assert "ecc=16" in listed and "ECC parity checked" in listed
    assert "not repaired" not in listed     # nothing was damaged
