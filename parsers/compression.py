"""Decompressing pstore dmesg payloads.

A record only says *that* it is compressed, never with what: the reading
kernel uses whatever it is configured for.  The streams kernels wrote:

* raw deflate (RFC 1951): v4.19+ ``deflate`` (window 2^11) and v6.6+ (2^15);
  Debian's kernels use it.  Always supported.
* zlib-wrapped deflate (RFC 1950, starts ``48 89``): v3.12-v4.18.
* zstd frames (magic ``28 b5 2f fd``), raw LZ4 blocks, raw LZO1X: v4.8-v6.5
  when configured; these need optional extras.

Every payload pstore compresses starts with the ``<Reason>#n PartM`` line, so
a codec without a magic number (LZ4, LZO) only counts as a match when its
output starts with that line.  Output is capped: a zone full of crafted
bytes cannot inflate to more than ``limit`` bytes (LZ4 and LZO are decoded
up to their worst case, at most DEFAULT_LIMIT, to tell a dump over the cap,
LimitExceeded, from a stream that is not theirs).
"""

import zlib

from .exceptions import DecompressError, LimitExceeded, MissingCodecError
from .kmsg import _PART_LINE

DEFAULT_LIMIT = 4 << 20          # far above any real record (kmsg_bytes is 10 KiB)
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_LZO_MAX_RATIO = 256             # LZO1X cannot expand more than ~255x


def _inflate(data, wbits, limit):
    """Inflate like the kernel's zlib_inflate: the stream must reach its end;
    bytes after the end are ignored."""
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise DecompressError("corrupt deflate stream: %s" % exc) from None
    if len(out) > limit:
        raise LimitExceeded("inflates beyond the %d-byte cap" % limit)
    if not inflater.eof:
        err = DecompressError("deflate stream is truncated (%d bytes inflated "
                              "before the end of the data)" % len(out))
        err.partial = out
        raise err
    return out


def _zstd(data, limit):
    try:
        import zstandard
    except ImportError:
        raise MissingCodecError("zstd", "zstd") from None
    import io
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data))
        out = reader.read(limit + 1)
    except zstandard.ZstdError as exc:
        raise DecompressError("corrupt zstd frame: %s" % exc) from None
    if len(out) > limit:
        raise LimitExceeded("inflates beyond the %d-byte cap" % limit)
    return out


def _probe_size(data, limit):
    """How large an LZ4 or LZO output may grow while it is decoded.

    Neither stream ends in a mark, so a stream cut short by ``limit`` looks
    like no stream at all.  They are decoded up to the codecs' worst case
    (about 255 times the input), at most DEFAULT_LIMIT, so that an output
    over a smaller ``limit`` (the run's budget, a configured cap) is told
    from garbage and kept for later instead of being called corrupt."""
    return max(limit, min(_LZO_MAX_RATIO * len(data), DEFAULT_LIMIT))


def _over(out, limit):
    """``out`` when within ``limit``; LimitExceeded when a dump's text (its
    first line says so) is longer; else None: not this codec."""
    if not _PART_LINE.match(out, 0, 64):
        return None
    if len(out) > limit:
        raise LimitExceeded("inflates beyond the %d-byte cap" % limit)
    return out


def _lz4(data, limit):
    try:
        import lz4.block
    except ImportError:
        raise MissingCodecError("lz4", "lz4") from None
    try:
        out = lz4.block.decompress(data,
                                   uncompressed_size=_probe_size(data, limit))
    except lz4.block.LZ4BlockError as exc:
        raise DecompressError("not an LZ4 block: %s" % exc) from None
    return _over(out, limit)


def _lzo(data, limit):
    try:
        import lzallright
    except ImportError:
        raise MissingCodecError("lzo", "lzo") from None
    if len(data) * _LZO_MAX_RATIO > 16 * _probe_size(data, limit):
        raise DecompressError("payload too large to try LZO safely")
    try:
        out = lzallright.LZOCompressor.decompress(data)
    except (lzallright.LZOError, lzallright.InputNotConsumed) as exc:
        raise DecompressError("not an LZO1X stream: %s" % exc) from None
    return _over(out, limit)


def decompress(data, limit=DEFAULT_LIMIT):
    """Return ``(codec, text)`` for a compressed pstore payload.

    Raises DecompressError (with ``partial`` output when a deflate stream is
    merely truncated), LimitExceeded past ``limit``, or MissingCodecError
    when only an uninstalled codec could still apply.
    """
    data = bytes(data)
    if data.startswith(_ZSTD_MAGIC):
        return "zstd", _zstd(data, limit)
    first_error = None
    for codec, wbits in (("deflate", -15), ("zlib", 15)):
        try:
            return codec, _inflate(data, wbits, limit)
        except LimitExceeded:
            raise
        except DecompressError as exc:
            first_error = first_error or exc
    missing = None
    for codec, func in (("lz4", _lz4), ("lzo", _lzo)):
        try:
            out = func(data, limit)
        except MissingCodecError as exc:
            missing = missing or exc
            continue
        except LimitExceeded:
            raise
        except DecompressError:
            continue
        if out is not None:
            return codec, out
    if missing is not None and not hasattr(first_error, "partial"):
        # Not deflate, and no installed codec took it: say both.
        raise MissingCodecError(missing.codec, missing.extra,
                                tried="not deflate (%s)" % first_error)
    raise first_error
