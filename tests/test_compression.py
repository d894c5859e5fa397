import sys
import zlib

import pytest

from parsers import compression
from parsers.exceptions import DecompressError, MissingCodecError
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
