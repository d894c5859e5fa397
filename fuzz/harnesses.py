"""atheris harnesses: one per parser and one for the whole pipeline.

Each harness is ``TARGETS[name](data)``, called by atheris with bytes that
libFuzzer mutates guided by the coverage of ``parsers`` and ``harvester``.
A finding is anything but a normal outcome: an exception other than
``parsers.exceptions.ParseError`` from a parser, a broken property
(below), an input slower than libFuzzer's ``-timeout`` or a process over
``-rss_limit_mb``.

Directory sources (efivars, pstore, the pipeline) are fed as a *tree*: a
flat container of entries, so that seeds made from ``samples/`` keep
their structure under mutation (see ``pack``/``unpack``).

Properties besides "no other exception":

- every parser: its result has the one documented shape (``check_result``:
  a ParseResult of Records with bytes payloads and ParseError errors, or
  a ParseError raised), so a parser returning None is a finding;
- ecc: a correction changes exactly as many symbols as it reports, at
  most nroots/2, and the result re-encodes to a codeword;
- compression: output never exceeds the limit;
- kmsg: the header length is within the 64 bytes searched;
- pipeline: every report parses with apport's rules, has only our keys,
  a ``linux-image-`` package with a safe file name, and holds
  ``max_report_bytes``; ``--list`` (text and JSON) renders every record.

The known findings of issue 13 were skipped while their fixes were
pending (3, 4, 5, 6); the checks went when the fixes were merged.
"""

import io
import os
import shutil
import struct
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# Imported by the runner inside atheris.instrument_imports().
from parsers import (compression, ecc, efi, kmsg, mtdoops,  # noqa: E402
                     pstorefs, pstorezone, ramoops)
from parsers.exceptions import EccError, ParseError  # noqa: E402
from parsers.records import ParseResult, Record  # noqa: E402
from harvester import cli, inventory, report
from harvester.crash import analysis  # noqa: E402
from harvester import collector as collector_mod  # noqa: E402
from harvester import config as config_mod  # noqa: E402

DECOMPRESS_LIMIT = 1 << 20

# --- the tree container ------------------------------------------------------
# entry: kind (1 byte), name length (1), name, mtime seconds (u32 LE),
# data length (u32 LE), data.  Kinds for the pipeline:
PSTORE, EFIVARS, RAMOOPS, MTDOOPS = range(4)
_ENTRY = struct.Struct("<BB")
_TAIL = struct.Struct("<II")


def pack(entries):
    """``[(kind, name, mtime_s, data)]`` -> bytes."""
    out = bytearray()
    for kind, name, mtime, data in entries:
        raw = name.encode("utf-8", "surrogateescape")[:255]
        out += _ENTRY.pack(kind, len(raw)) + raw
        out += _TAIL.pack(mtime & 0xFFFFFFFF, len(data)) + data
    return bytes(out)


def unpack(data):
    """bytes -> ``[(kind, name, mtime_s, data)]``; a short tail is dropped,
    a data length past the end takes what is there."""
    entries, pos = [], 0
    while pos + _ENTRY.size <= len(data):
        kind, nlen = _ENTRY.unpack_from(data, pos)
        pos += _ENTRY.size
        name = data[pos:pos + nlen].decode("utf-8", "surrogateescape")
        pos += nlen
        if pos + _TAIL.size > len(data):
            break
        mtime, dlen = _TAIL.unpack_from(data, pos)
        pos += _TAIL.size
        entries.append((kind % 4, name, mtime, data[pos:pos + dlen]))
        pos += dlen
    return entries


def _parser_call(func, *args, **kwargs):
    """The parser's result, or the documented ParseError it raised."""
    try:
        return func(*args, **kwargs)
    except ParseError as exc:
        return exc


def check_result(result):
    """The only two outcomes a parser may have: a ParseResult whose
    records are Records with bytes-like payloads and whose errors are
    ParseErrors, or a ParseError raised (``result`` is then that error).
    A parser returning None, a list or a bare string fails here."""
    if isinstance(result, ParseError):
        return
    assert isinstance(result, ParseResult), type(result)
    assert isinstance(result.records, list), type(result.records)
    assert isinstance(result.errors, list), type(result.errors)
    for rec in result.records:
        assert isinstance(rec, Record), type(rec)
        assert isinstance(rec.payload, (bytes, bytearray, memoryview)), \
            type(rec.payload)
        rec.name                      # always renders
    for err in result.errors:
        assert isinstance(err, ParseError), type(err)


# --- one harness per parser --------------------------------------------------

def fuzz_ramoops(data):
    """First byte: 0-127 detect the layout, else sizes from the next bytes."""
    if not data:
        return
    mode, image = data[0], data[1:]
    layout = None
    if mode >= 128 and len(image) >= 8:
        record = 0x800 << (image[0] % 4)
        console = (image[1] % 4) * 0x800
        pmsg = (image[2] % 3) * 0x800
        ftrace = (image[3] % 3) * 0x800
        ecc_size = (0, 16, 32)[image[4] % 3]
        kernel = ((6, 1), (6, 2), (4, 18), (3, 19))[image[5] % 4]
        image = image[8:]
        try:
            layout = ramoops.compute_layout(
                max(len(image), 0x1000), record_size=record,
                console_size=console, pmsg_size=pmsg, ftrace_size=ftrace,
                ecc=ecc_size, kernel=kernel)
        except ParseError:
            return
    check_result(_parser_call(ramoops.parse, image, layout,
                                limit=DECOMPRESS_LIMIT))


def fuzz_mtdoops(data):
    if not data:
        return
    size = (None, 4096, 8192, 12288)[data[0] % 4]
    check_result(_parser_call(mtdoops.parse, data[1:], size))


def fuzz_pstorezone(data):
    check_result(_parser_call(pstorezone.parse, data,
                                limit=DECOMPRESS_LIMIT))


def fuzz_efi(data):
    files = {name: body for _, name, _, body in unpack(data)}
    check_result(_parser_call(efi.parse, files, limit=DECOMPRESS_LIMIT))


def fuzz_pstorefs(data):
    files = {name: (body, mtime * 10**9 + 1)
             for _, name, mtime, body in unpack(data)}
    check_result(_parser_call(pstorefs.parse, files, limit=DECOMPRESS_LIMIT))


def fuzz_kmsg(data):
    found = _parser_call(kmsg.parse_part_header, data)
    if not isinstance(found, ParseError):
        reason, count, part, length = found
        assert isinstance(reason, str) and isinstance(count, int) and \
            isinstance(part, int), found
        assert 0 < length <= 64 and data[length - 1:length] == b"\n", found


def fuzz_compression(data):
    found = _parser_call(compression.decompress, data, 1 << 16)
    if not isinstance(found, ParseError):
        codec, text = found
        assert isinstance(codec, str) and isinstance(text, bytes), found
        assert len(text) <= 1 << 16, len(text)


def fuzz_ecc(data):
    """One block and its parity, as ram_core.c checks them."""
    if len(data) < 2:
        return
    nroots = (8, 16, 32, 64)[data[0] % 4]
    body = data[1:]
    block, par = body[:-nroots], body[-nroots:]
    if len(par) < nroots or not block:
        return
    try:
        fixed, count = ecc.correct(block, par, nroots)
    except EccError:
        return
    changed = sum(a != b for a, b in zip(block, fixed)) + \
        sum(a != b for a, b in zip(par, ecc.parity(fixed, nroots)))
    assert len(fixed) == len(block), (len(fixed), len(block))
    assert changed == count <= nroots // 2, (changed, count, nroots)


# --- the whole pipeline --------------------------------------------------------

class _Tree:
    """A scratch directory (tmpfs when there is one), refilled per input."""
    path = None

    @classmethod
    def fresh(cls):
        if cls.path is None:
            base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else \
                tempfile.gettempdir()
            for old in os.listdir(base):      # libFuzzer exits without cleanup
                pid = old[len("oops-fuzz-"):]
                if old.startswith("oops-fuzz-") and pid.isdigit() and \
                        not os.path.exists("/proc/%s" % pid):
                    shutil.rmtree(os.path.join(base, old), ignore_errors=True)
            cls.path = os.path.join(base, "oops-fuzz-%d" % os.getpid())
            os.makedirs(cls.path, exist_ok=True)
        for entry in os.listdir(cls.path):
            full = os.path.join(cls.path, entry)
            if os.path.isdir(full):
                shutil.rmtree(full)
            else:
                os.unlink(full)
        return cls.path


def _safe_name(name):
    name = name.replace("/", "_").replace("\0", "_")[:200]
    return None if name in ("", ".", "..") else name


def _write_tree(entries):
    root = _Tree.fresh()
    specs = []
    dirs = {PSTORE: "pstore", EFIVARS: "efivars"}
    images = {RAMOOPS: "ramoops.bin", MTDOOPS: "mtd.bin"}
    for kind, name, mtime, body in entries:
        if kind in dirs:
            name = _safe_name(name)
            if name is None:
                continue
            folder = os.path.join(root, dirs[kind])
            os.makedirs(folder, exist_ok=True)
            path = os.path.join(folder, name)
            with open(path, "wb") as f:
                f.write(body)
            os.utime(path, (mtime, mtime))
        elif body:
            with open(os.path.join(root, images[kind]), "wb") as f:
                f.write(body)
    for kind, folder in (("pstore", "pstore"), ("efivars", "efivars"),
                         ("ramoops", "ramoops.bin"), ("mtdoops", "mtd.bin")):
        if os.path.exists(os.path.join(root, folder)):
            specs.append("%s:%s" % (kind, os.path.join(root, folder)))
    return specs


class _Quiet:
    def __call__(self, *a, **k):
        pass


PIPELINE_CONFIG = config_mod.Config(max_report_bytes=1 << 20,
                                    max_decompressed_bytes=1 << 20)


def fuzz_pipeline(data):
    """A pstore tree, an efivars tree and raw images through inventory,
    events, planning, analysis, report building and --list, in process."""
    entries = unpack(data)
    specs = _write_tree(entries)
    if not specs:
        return
    _pipeline(specs)


def _pipeline(specs):
    class Args:
        source = specs
    config = PIPELINE_CONFIG
    inv = inventory.gather(Args, config)
    for ev in inv.events:
        assert ev.records and ev.id.startswith("E"), ev
    cli.cmd_list(inv, False, io.StringIO())
    cli.cmd_list(inv, True, io.StringIO())
    planner = collector_mod.Collector(config, "/nonexistent", "/nonexistent",
                                      True, _Quiet(), io.StringIO())
    reports, archive = planner.plan(inv)
    for ev, failure, attached, raw in reports:
        records = list(ev.records) + list(attached)
        found = analysis.analyse(ev.log(), ev.reason or failure)
        attachments = [(inv.ids[id(r)], "x", r.payload) for r in records]
        attachments += [(label, "raw", blob) for label, blob in raw]
        package, out = report.build(ev, found, attachments, failure.lower(),
                                    max_bytes=config.max_report_bytes)
        _check_report(package, out, config.max_report_bytes)
    for ev, _, _, _ in archive:
        ev.log()


def _check_report(package, out, cap):
    from tests import apport_format
    from tests.security.helpers import allowed_key
    assert len(out) <= cap, (len(out), cap)
    fields, order = apport_format.load(out)
    assert order[0] == "ProblemType", order[:3]
    bad = [k for k in fields if not allowed_key(k)]
    assert not bad, bad
    assert package.startswith("linux-image-"), package
    assert not set(package) & set("/\n\0 "), package


TARGETS = {
    "ramoops": fuzz_ramoops,
    "mtdoops": fuzz_mtdoops,
    "efi": fuzz_efi,
    "pstorefs": fuzz_pstorefs,
    "pstorezone": fuzz_pstorezone,
    "kmsg": fuzz_kmsg,
    "compression": fuzz_compression,
    "ecc": fuzz_ecc,
    "pipeline": fuzz_pipeline,
}
