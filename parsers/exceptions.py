"""The one exception family every parser raises.

Crash data is corrupt by definition, so a parser either returns records or
raises a ``ParseError`` subclass that says where (``offset``) and why
(``reason``).  Callers catch ``ParseError`` and nothing else.
"""


class ParseError(Exception):
    """Input could not be decoded.  ``offset`` is a byte offset into the
    input (or None when the problem is not positional)."""

    def __init__(self, reason, offset=None, source=None):
        self.reason = reason
        self.offset = offset
        self.source = source
        super().__init__(str(self))

    def __str__(self):
        where = []
        if self.source:
            where.append(str(self.source))
        if self.offset is not None:
            where.append("offset 0x%x" % self.offset)
        prefix = (" at ".join(where) + ": ") if where else ""
        return prefix + self.reason


class TruncatedError(ParseError):
    """The input ends before a structure it announces."""


class BadMagicError(ParseError):
    """A signature or magic number is not what the format requires."""


class BadHeaderError(ParseError):
    """A header has the right magic but impossible fields (size beyond the
    buffer, start beyond size, unparsable text header)."""


class LayoutError(ParseError):
    """The zone layout of an image cannot be determined or does not fit."""


class DecompressError(ParseError):
    """A compressed payload is corrupt, or inflates beyond the cap."""


class LimitExceeded(DecompressError):
    """The payload inflates beyond the configured cap.  Unlike a corrupt
    stream, raising the cap would decode it: callers keep such records."""


class MissingCodecError(DecompressError):
    """The payload needs a codec whose optional extra is not installed.
    ``tried`` says what the codecs that are installed made of it."""

    # How to get each codec: Debian's package, else pip's extra.
    INSTALL = {"zstd": "apt install python3-zstandard",
               "lz4": "apt install python3-lz4",
               "lzo": "Debian has no package of lzallright"}

    def __init__(self, codec, extra, tried=None):
        self.codec = codec
        self.extra = extra
        self.tried = tried
        message = "%s decompression is not installed (%s; in a venv: pip " \
                  "install 'oops-harvest[%s]')" % (
                      codec, self.INSTALL.get(codec, "no package known"), extra)
        if tried:
            message = "%s; it may be %s, but %s" % (tried, codec, message)
        super().__init__(message)


class EccError(ParseError):
    """Reed-Solomon parity could not correct a block."""
