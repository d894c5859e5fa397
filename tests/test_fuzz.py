"""Bad input is normal input: every parser returns records or raises a
ParseError, whatever the bytes (property-based, bounded examples)."""

import random

from hypothesis import HealthCheck, given, settings, strategies as st

from parsers import compression, efi, mtdoops, pstorefs, pstorezone, ramoops
from parsers.exceptions import ParseError
from tests.kernelbuild import (PstoreZoneImage, Ramoops, efi_dump,
                               mtdoops_image, mtdoops_write)

FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def total(func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except ParseError:
        return None


def _ramoops_seed(ecc):
    built = Ramoops(0x8000, record_size=0x1000, ecc=ecc)
    built.dump("Oops", 1, b"<4>[ 1.0] x\n" * 50)
    built.dump("Panic", 2, b"<0>[ 2.0] y\n" * 50, compress=True)
    built.console.write(b"console\n" * 700)
    return bytes(built.image)


RAMOOPS_SEEDS = [_ramoops_seed(0), _ramoops_seed(16)]


def mutate(seed, data):
    """Flip, overwrite or truncate a real-looking image."""
    buf = bytearray(seed)
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    for _ in range(data.draw(st.integers(1, 40))):
        choice = rng.random()
        pos = rng.randrange(len(buf))
        if choice < 0.6:
            buf[pos] ^= 1 << rng.randrange(8)
        elif choice < 0.9:
            buf[pos:pos + 4] = rng.choice([b"\xff\xff\xff\x7f", b"\0\0\0\x80",
                                           b"DBGC", b"====", b"\x00\x5e\x00\x5d"])
        else:
            del buf[pos:]
            if not buf:
                buf = bytearray(b"D")
    return bytes(buf)


@FAST
@given(st.data())
def test_ramoops_mutations(data):
    image = mutate(RAMOOPS_SEEDS[data.draw(st.integers(0, 1))], data)
    result = total(ramoops.parse, image)
    if result:
        for rec in result.records:
            assert isinstance(rec.payload, bytes)
    total(ramoops.parse, image, ramoops.compute_layout(0x8000, 0x1000, ecc=16))


@FAST
@given(st.binary(max_size=4096))
def test_ramoops_random_bytes(blob):
    total(ramoops.parse, b"DBGC" + blob)


def _mtd_seed():
    image = mtdoops_image(4)
    mtdoops_write(image, 0, 1, b"<4>[ 1.0] oops\n" * 30)
    mtdoops_write(image, 1, 2, b"<4>[ 2.0] oops\n" * 30, timestamp_ns=1)
    return bytes(image)


MTD_SEED = _mtd_seed()


@FAST
@given(st.data())
def test_mtdoops_mutations(data):
    total(mtdoops.parse, mutate(MTD_SEED, data))


EFI_FILES, _ = efi_dump("Panic", 1, b"<0>[ 1.0] efi line here\n" * 200, 1700000000)


@FAST
@given(st.data(), st.text(max_size=80))
def test_efi_mutations(data, name):
    files = {k: mutate(v, data) for k, v in list(EFI_FILES.items())[:4]}
    files["dump-type" + name] = b"\x07\0\0\0"
    total(efi.parse, files)


@FAST
@given(st.dictionaries(st.text(max_size=60), st.binary(max_size=512), max_size=5))
def test_pstorefs_random(files):
    total(pstorefs.parse, {k: (v, None) for k, v in files.items()})


@FAST
@given(st.binary(max_size=2048))
def test_decompress_random(blob):
    total(compression.decompress, blob, 1 << 16)


def test_decompression_bomb_is_capped():
    import zlib
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15).compress(b"\0" * (50 << 20))
    try:
        compression.decompress(bomb + zlib.compressobj(9, zlib.DEFLATED, -15).flush(),
                               limit=1 << 20)
    except ParseError as exc:
        assert "cap" in str(exc) or "truncated" in str(exc)
    else:
        raise AssertionError("a 50 MB bomb inflated past a 1 MB cap")


def _zone_seed():
    img = PstoreZoneImage(0x20000, kmsg_size=0x4000, console_size=0x1000,
                          pmsg_size=0x1000)
    img.kmsg(0, 2, 1, b"Oops#1 Part1\n" + b"<4>[ 1.0] z\n" * 40)
    img.kmsg(1, 1, 1, b"Panic#2 Part1\n" + b"<0>[ 2.0] z\n" * 40, compress=True)
    img.append("console", b"console\n" * 600)
    return bytes(img.image)


ZONE_SEED = _zone_seed()


@FAST
@given(st.data())
def test_pstorezone_mutations(data):
    total(pstorezone.parse, mutate(ZONE_SEED, data))
