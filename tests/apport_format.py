"""A strict reader of apport's .crash format, written from apport's rules
(problem_report.ProblemReport.load): ``Key: value`` lines, continuation
lines starting with one space joined by newlines, ``base64`` values as
independently decodable base64 lines of one gzip stream.  It rejects what
apport would reject or mangle, so tests can check our reports load."""

import base64
import gzip
import re

KEY = re.compile(rb"[A-Za-z0-9._-]+")


class Malformed(ValueError):
    pass


def load(data):
    fields, order = {}, []
    key = value = None
    b64 = None
    for raw in data.split(b"\n")[:-1] if data.endswith(b"\n") else data.split(b"\n"):
        if raw.startswith(b" "):
            if key is None:
                raise Malformed("continuation before any key")
            if b64 is not None:
                b64.append(base64.b64decode(raw[1:], validate=True))
            else:
                value = (value + b"\n" if value else value) + raw[1:]
            continue
        if key is not None:
            fields[key] = _finish(key, value, b64)
        if b":" not in raw:
            raise Malformed("line without colon: %r" % raw[:60])
        k, v = raw.split(b":", 1)
        if not KEY.fullmatch(k):
            raise Malformed("bad key %r" % k)
        key = k.decode("ascii")
        order.append(key)
        value = v.strip()
        b64 = [] if value == b"base64" else None
    if key is not None:
        fields[key] = _finish(key, value, b64)
    if len(set(order)) != len(order):
        raise Malformed("duplicate keys")
    return fields, order


def _finish(key, value, b64):
    if b64 is not None:
        blob = b"".join(b64)
        if not blob.startswith(b"\x1f\x8b\x08\x08\x00\x00\x00\x00\x02\xff" +
                               key.encode() + b"\0"):
            raise Malformed("%s: gzip header is not apport's" % key)
        return gzip.decompress(blob)
    if any(c < 32 and c not in (9, 10) for c in value):
        raise Malformed("%s: control characters would make it binary" % key)
    return value.decode("utf-8")
