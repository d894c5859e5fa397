import os
import sys
import zlib

import pytest

from parsers import compression
from parsers.exceptions import DecompressError, LimitExceeded, MissingCodecError
from tests.kernelbuild import deflate_raw

TEXT = b"Oops#1 Part1\n" + b"".join(b"<4>[ %d.0] line %d\n" % (i, i)
                                    for i in range(300))


def zlib_v312(data):
    """v3.12-v4.18 pstore: zlib-wrapped, windowBits 12, memLevel 4."""
    comp = zlib.compressobj(6, zlib.DEFLATED, 12, 4)
    return comp.compress(data) + comp.flush()


def test_kernel_streams():
    assert compression.decompress(deflate_raw(TEXT)) == ("deflate", TEXT)
    assert compression.decompress(deflate_raw(TEXT, wbits=-15)) == ("deflate", TEXT)
    assert zlib_v312(TEXT)[:2] == b"\x48\x89"
    assert compression.decompress(zlib_v312(TEXT)) == ("zlib", TEXT)
    # Garbage after the end of the stream is ignored, as zlib_inflate does.
    assert compression.decompress(deflate_raw(TEXT) + b"\0" * 40)[1] == TEXT


def test_optional_codecs():
    import lz4.block
    import lzallright
    import zstandard
    assert compression.decompress(zstandard.ZstdCompressor(level=3).compress(TEXT)) == ("zstd", TEXT)
    assert compression.decompress(lz4.block.compress(TEXT, store_size=False)) == ("lz4", TEXT)
    assert compression.decompress(lzallright.LZOCompressor().compress(TEXT)) == ("lzo", TEXT)


def test_missing_extra_is_named(monkeypatch):
    import zstandard
    frame = zstandard.ZstdCompressor().compress(TEXT)
    monkeypatch.setitem(sys.modules, "zstandard", None)
    with pytest.raises(MissingCodecError) as err:
        compression.decompress(frame)
    assert "oops-harvest[zstd]" in str(err.value)


def test_truncated_stream_keeps_partial_text():
    with pytest.raises(DecompressError) as err:
        compression.decompress(deflate_raw(TEXT)[:200])
    assert TEXT.startswith(err.value.partial) and len(err.value.partial) > 100


def test_cap():
    with pytest.raises(DecompressError):
        compression.decompress(deflate_raw(b"\0" * 100000), limit=1000)


def test_a_damaged_deflate_stream_is_not_blamed_on_a_missing_codec(monkeypatch):
    """Without lz4, a stream that is neither deflate nor anything installed
    may be lz4: the message says what deflate found as well, and how to
    install lz4 on Debian (pip alone does not work under PEP 668)."""
    monkeypatch.setitem(sys.modules, "lz4", None)
    monkeypatch.setitem(sys.modules, "lz4.block", None)
    damaged = bytearray(deflate_raw(TEXT))
    damaged[0] |= 0x06                  # BTYPE 3: no such deflate block
    with pytest.raises(MissingCodecError) as err:
        compression.decompress(bytes(damaged))
    message = str(err.value)
    assert message.startswith("not deflate (corrupt deflate stream")
    assert "it may be lz4" in message and "apt install python3-lz4" in message


@pytest.mark.parametrize("codec,module", [("zstd", "zstandard"),
                                          ("lz4", "lz4"), ("lzo", "lzallright")])
def test_a_missing_codec_names_itself_and_its_extra(monkeypatch, codec, module):
    """Each optional codec, when it is the one that could still apply, is
    named with the pip extra that brings it (zstd by its magic; lz4 and lzo
    for bytes no other codec decodes)."""
    import zstandard
    data = zstandard.ZstdCompressor().compress(TEXT) if codec == "zstd" \
        else b"\x01\x02 neither deflate nor lz4 nor lzo"
    monkeypatch.setitem(sys.modules, module, None)
    if module == "lz4":
        monkeypatch.setitem(sys.modules, "lz4.block", None)
    with pytest.raises(MissingCodecError) as err:
        compression.decompress(data)
    assert (err.value.codec, err.value.extra) == (codec, codec)
    assert str(err.value).endswith(
        "%s decompression is not installed (%s; in a venv: pip install "
        "'oops-harvest[%s]')" % (codec, MissingCodecError.INSTALL[codec], codec))


def _streams(text):
    import lz4.block
    import lzallright
    import zstandard
    return {"deflate": deflate_raw(text), "zlib": zlib_v312(text),
            "zstd": zstandard.ZstdCompressor().compress(text),
            "lz4": lz4.block.compress(text, store_size=False),
            "lzo": lzallright.LZOCompressor().compress(text)}


@pytest.mark.parametrize("codec", ["deflate", "zlib", "zstd", "lz4", "lzo"])
def test_the_cap_is_exact_for_every_capped_codec(codec):
    """A payload that inflates to exactly ``limit`` bytes is decoded whole;
    one byte more is LimitExceeded (the record is kept for a run whose
    budget or cap holds it, not called corrupt), also for LZ4 and LZO,
    whose streams have no end mark: they are decoded far enough to tell."""
    text = b"Oops#1 Part1\n" + b"<4>[ 1.0] the same line\n" * 2000
    data = _streams(text)[codec]
    assert compression.decompress(data, limit=len(text)) == (codec, text)
    for limit in (len(text) - 1, 1):
        with pytest.raises(LimitExceeded) as err:
            compression.decompress(data, limit=limit)
        assert str(err.value) == "inflates beyond the %d-byte cap" % limit


@pytest.mark.parametrize("codec", ["lz4", "lzo"])
def test_garbage_over_the_cap_is_still_no_stream(codec):
    """Output that is no dump's text (no "<Reason>#n PartM" line first) is
    not that codec's, however large: corrupt, never kept as over the cap."""
    data = _streams(b"not a dump, " * 4000)[codec]
    with pytest.raises(DecompressError) as err:
        compression.decompress(data, limit=100)
    assert not isinstance(err.value, LimitExceeded)


def test_lzo_is_tried_only_when_its_worst_case_fits_sixteen_probes():
    """LZO output is not bounded by the codec (up to ~256x the input) and
    the library has no output cap, so a stream is tried only when 256 x its
    size is at most 16 x DEFAULT_LIMIT (64 MiB): 256 KiB of input."""
    import lzallright
    text = b"Oops#1 Part1\n" + os.urandom(300 << 10)
    data = lzallright.LZOCompressor().compress(text)
    assert len(data) * 256 > 16 * compression.DEFAULT_LIMIT
    with pytest.raises(DecompressError) as err:
        compression.decompress(data)
    assert not isinstance(err.value, LimitExceeded)
    small = lzallright.LZOCompressor().compress(TEXT)
    assert compression.decompress(small, limit=len(TEXT)) == ("lzo", TEXT)


def test_a_corrupt_zstd_frame_says_so():
    import zstandard
    frame = zstandard.ZstdCompressor().compress(TEXT)
    with pytest.raises(DecompressError) as err:
        compression.decompress(frame[:-8] + b"\xff" * 8)
    assert str(err.value).startswith("corrupt zstd frame: ")


def test_stream_errors_say_what_went_wrong():
    with pytest.raises(DecompressError) as err:
        compression.decompress(deflate_raw(TEXT)[:200])
    part = len(err.value.partial)
    assert str(err.value) == ("deflate stream is truncated (%d bytes "
                              "inflated before the end of the data)" % part)
    with pytest.raises(DecompressError) as err:
        compression.decompress(b"\xff" * 64)
    assert str(err.value).startswith("corrupt deflate stream: ")


def test_a_truncated_deflate_stream_wins_over_a_missing_codec(monkeypatch):
    """Its partial text is worth more than a hint to install lz4."""
    for name in ("lz4", "lz4.block", "lzallright"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(DecompressError) as err:
        compression.decompress(deflate_raw(TEXT)[:200])
    assert not isinstance(err.value, MissingCodecError)
    assert TEXT.startswith(err.value.partial)


def test_lzo_is_tried_when_lz4_is_missing(monkeypatch):
    import lzallright
    monkeypatch.setitem(sys.modules, "lz4", None)
    monkeypatch.setitem(sys.modules, "lz4.block", None)
    data = lzallright.LZOCompressor().compress(TEXT)
    assert compression.decompress(data) == ("lzo", TEXT)


def test_a_deflate_bomb_is_never_inflated_past_the_cap():
    """64 MiB of zeros in 64 KiB: inflating stops one byte past the
    cap, so memory stays near the cap (tracemalloc's peak)."""
    import tracemalloc
    bomb = deflate_raw(bytes(64 << 20), wbits=-15, level=9)
    tracemalloc.start()
    try:
        with pytest.raises(LimitExceeded):
            compression.decompress(bomb, limit=1 << 20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, peak


def test_an_lz4_bomb_is_decoded_no_further_than_the_probe():
    """40 MiB of one byte in 160 KiB of LZ4, ten times DEFAULT_LIMIT: it is
    decoded into at most DEFAULT_LIMIT (tracemalloc's peak), and beyond it
    no real record goes, so it is no stream (not kept for a later run)."""
    import tracemalloc
    import lz4.block
    bomb = lz4.block.compress(b"Oops#1 Part1\n" + bytes(10 * compression.DEFAULT_LIMIT),
                              store_size=False)
    tracemalloc.start()
    try:
        with pytest.raises(DecompressError) as err:
            compression.decompress(bomb, limit=1 << 20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not isinstance(err.value, LimitExceeded)
    assert peak < 2 * compression.DEFAULT_LIMIT, peak
