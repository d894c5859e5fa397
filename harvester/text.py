"""Making crash content safe to print and to store as report text.

Console and pmsg content is user-controlled and crash data is bit-rotten:
escape sequences, NUL, CR, C1 controls (U+009B is a one-character CSI) and
bidi overrides must never reach a terminal, a log or a report key.  Each
removed character stays visible as ``\\xNN`` / ``\\uNNNN``.
"""

import re

_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
    "\u2066-\u2069\ufeff\ud800-\udfff]")


def _escape(match):
    char = match.group()
    code = ord(char)
    return "\\x%02x" % code if code < 0x100 else "\\u%04x" % code


def clean(data, limit=None):
    """Text safe for terminals and reports: valid UTF-8 (invalid bytes as
    \\xNN), only tab and newline among the controls."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        if limit is not None:
            data = data[:limit]
        text = data.decode("utf-8", "backslashreplace")
    else:
        text = data if limit is None else data[:limit]
    return _UNSAFE.sub(_escape, text)


def one_line(data, limit=200):
    """A single bounded line for logs and listings (R15)."""
    text = clean(data, limit * 4).replace("\t", " ").replace("\n", " ")
    return text if len(text) <= limit else text[:limit - 1] + "…"
