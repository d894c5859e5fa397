"""The state file's JSON, read and written without the json module.

The state is read at every boot once anything was harvested, and written
at every boot that finds a crash.  The json module imports re, which
imports enum, functools and collections: 5 ms together, more than half of
the interpreter's own start, for a file of a few kilobytes of plain
names.  ``dumps`` writes exactly what ``json.dumps(value, sort_keys=True)``
writes; ``loads`` reads that with one regex of tokens, and hands anything
else (an escape, a float, another program's file) to json.loads.
"""

from parsers.patterns import lazy

MAX_DEPTH = 32      # the state nests 4 deep; json.loads would recurse on

# One token after optional white space: punctuation, a string without
# escapes or controls, an integer (not the start of a float), a literal.
_TOKEN = lazy(r'[ \t\n\r]*(?:([][{}:,])|"([^"\\\x00-\x1f]*)"'
              r'|(-?(?:0|[1-9][0-9]*))(?![0-9.eE])|(true|false|null))')
_LITERALS = {"true": True, "false": False, "null": None}
_SHORT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t",
          "\b": "\\b", "\f": "\\f"}
_ESCAPES = {code: _SHORT.get(chr(code), "\\u%04x" % code)
            for code in list(range(0x20)) + [0x7f, ord('"'), ord("\\")]}


class _NotOurs(Exception):
    """Not the subset dumps writes: json.loads reads it."""


def dumps(value):
    """``json.dumps(value, sort_keys=True)``: written here for dicts with
    str keys, lists, tuples, str, int, bool and None, by the json module
    for anything else (a state another program or version wrote, read
    back through json.loads, may hold a float)."""
    try:
        return _dumps(value)
    except (TypeError, RecursionError):
        import json
        return json.dumps(value, sort_keys=True)


def _dumps(value):
    if isinstance(value, str):
        return _string(value)
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, (list, tuple)):
        return "[%s]" % ", ".join(_dumps(item) for item in value)
    if isinstance(value, dict):
        return "{%s}" % ", ".join("%s: %s" % (_string(key), _dumps(value[key]))
                                  for key in sorted(value))
    raise TypeError("%r cannot be written to the state" % type(value))


def _string(text):
    if not isinstance(text, str):
        raise TypeError("state keys are strings, not %r" % type(text))
    text = text.translate(_ESCAPES)
    if not text.isascii():          # json's ensure_ascii: \uXXXX, pairs
        text = "".join(c if c < "\x80" else _non_ascii(ord(c)) for c in text)
    return '"%s"' % text


def _non_ascii(code):
    if code < 0x10000:
        return "\\u%04x" % code
    code -= 0x10000
    return "\\u%04x\\u%04x" % (0xd800 | code >> 10, 0xdc00 | code & 0x3ff)


def loads(text):
    """``json.loads(text)`` (str): ValueError when it is not JSON."""
    try:
        value, end = _value(text, 0, 0)
        if text[end:].strip(" \t\n\r"):
            raise _NotOurs
        return value
    except _NotOurs:
        import json
        return json.loads(text)


def _token(text, pos):
    match = _TOKEN.match(text, pos)
    if match is None:
        raise _NotOurs
    return match


def _value(text, pos, depth):
    match = _token(text, pos)
    mark, string, number, literal = match.groups()
    if string is not None:
        return string, match.end()
    if number is not None:
        return int(number), match.end()
    if literal is not None:
        return _LITERALS[literal], match.end()
    if depth >= MAX_DEPTH:
        raise ValueError("the state nests deeper than %d" % MAX_DEPTH)
    if mark == "[":
        return _items(text, match.end(), depth, "]", _list_item, [])
    if mark == "{":
        return _items(text, match.end(), depth, "}", _dict_item, {})
    raise _NotOurs


def _items(text, pos, depth, close, item, into):
    """The items of an array or object, up to ``close``."""
    match = _token(text, pos)
    if match.group(1) == close:
        return into, match.end()
    while True:
        pos = item(text, pos, depth, into)
        match = _token(text, pos)
        if match.group(1) == close:
            return into, match.end()
        if match.group(1) != ",":
            raise _NotOurs
        pos = match.end()


def _list_item(text, pos, depth, into):
    value, pos = _value(text, pos, depth + 1)
    into.append(value)
    return pos


def _dict_item(text, pos, depth, into):
    key = _token(text, pos)
    colon = _token(text, key.end())
    if key.group(2) is None or colon.group(1) != ":":
        raise _NotOurs
    value, pos = _value(text, colon.end(), depth + 1)
    into[key.group(2)] = value
    return pos
