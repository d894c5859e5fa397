"""Making crash content safe to print and to store as report text.

Console and pmsg content is user-controlled and crash data is bit-rotten:
escape sequences, NUL, CR, C1 controls (U+009B is a one-character CSI) and
bidi overrides must never reach a terminal, a log or a report key.  Each
removed character stays visible as ``\\xNN`` / ``\\uNNNN``.
"""

_UNSAFE_RANGES = ((0x00, 0x08), (0x0b, 0x1f), (0x7f, 0x9f), (0x61c, 0x61c),
                  (0x200e, 0x200f), (0x202a, 0x202e), (0x2066, 0x2069),
                  (0xfeff, 0xfeff), (0xd800, 0xdfff))


def _escape(code):
    return "\\x%02x" % code if code < 0x100 else "\\u%04x" % code


# str.translate writes its output as it goes: a regex substitution with a
# callback kept one match object and one string per escaped character
# (230 MB for a 3.5 MiB line of control bytes).  The whole table (2,200
# entries, 0.5 ms to build) is built at the first text that is not ASCII;
# ASCII text, most of what crashes print, needs only the controls.
_ESCAPES = {}
_ASCII_ESCAPES = {code: _escape(code) for low, high in _UNSAFE_RANGES
                  for code in range(low, min(high, 0x7f) + 1)}


def _escapes():
    if not _ESCAPES:
        _ESCAPES.update((code, _escape(code)) for low, high in _UNSAFE_RANGES
                        for code in range(low, high + 1))
    return _ESCAPES


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
    return text.translate(_ASCII_ESCAPES if text.isascii() else _escapes())


def one_line(data, limit=200):
    """A single bounded line for logs and listings (R15)."""
    text = clean(data, limit * 4).replace("\t", " ").replace("\n", " ")
    return text if len(text) <= limit else text[:limit - 1] + "…"
