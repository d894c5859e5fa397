"""Apport problem reports (.crash) for kernel dumps.

Format as apport's problem_report writes it: ``Key: value`` lines, text
keys sorted with ProblemType first, multi-line values continued on lines
that start with one space, then binary keys as ``Key: base64`` followed by
base64 lines of one gzip stream (fixed header: mtime 0, the key as file
name).  Keys are constants (R10); every text value is sanitised (R9).
The content depends only on the dump, so a re-run produces the same bytes.
"""

import binascii
import os
import struct
import time
import zlib

from parsers.patterns import lazy

from .package import kernel_package, os_release_info, version_signature
from .text import clean, one_line

_KEY = lazy(r"[A-Za-z0-9._-]+\Z")
_NAME_CHARS = lazy(r"[^A-Za-z0-9._-]")
_DEB_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "armhf",
             "i686": "i386", "i386": "i386", "ppc64le": "ppc64el",
             "s390x": "s390x", "riscv64": "riscv64"}
_MACHINE = {deb: machine for machine, deb in _DEB_ARCH.items()}
_RELEASE_ARCHES = ("amd64", "arm64", "armmp", "armhf", "i386", "686-pae",
                   "686", "powerpc64le", "s390x", "riscv64", "rpi", "loong64")
MAX_RAW_ATTACHMENTS = 64
OOPS_TEXT_MAX = 64 * 1024
FIELD_MAX = 64 * 1024        # bytes written for any text field but KernelLog
MAX_PROBLEMS = 50
NOTES = 512                  # room kept for KernelLogTruncated and the like
# What apport needs to take the file as a kernel report: never cut.
_ESSENTIAL = ("ProblemType", "Package", "SourcePackage", "Failure",
              "PstoreEvent", "Date", "Architecture", "KdumpDir")


def _base64(data):
    # base64.b64encode; the base64 module imports re (2 ms at boot).
    return binascii.b2a_base64(data, newline=False)


def _gzip_header(key):
    return b"\x1f\x8b\x08\x08\x00\x00\x00\x00\x02\xff" + key.encode() + b"\0"


def binary_value(key, data):
    """``Key: base64`` block holding one gzip member of ``data``."""
    # A window no larger than the data compresses it the same; zlib's
    # default 32 KiB window and 128 KiB of hash tables, allocated for each
    # of a dump's small records, cost 1 ms at a crash boot.
    window = min(max((len(data) - 1).bit_length(), 9), zlib.MAX_WBITS)
    # Level 1: 3% larger than the default level, a quarter faster.
    comp = zlib.compressobj(1, zlib.DEFLATED, -window,
                            min(window - 7, zlib.DEF_MEM_LEVEL), 0)
    lines = [_base64(_gzip_header(key))]
    for start in range(0, len(data), 1 << 20):
        block = comp.compress(data[start:start + (1 << 20)])
        if block:
            lines.append(_base64(block))
    tail = comp.flush() + struct.pack("<LL", zlib.crc32(data) & 0xFFFFFFFF,
                                      len(data) & 0xFFFFFFFF)
    lines.append(_base64(tail))
    return key.encode() + b": base64\n " + b"\n ".join(lines) + b"\n"


def text_value(key, value):
    value = clean(value).encode("utf-8")
    # apport reads a first line that strips to "base64" as a binary value;
    # the continuation form keeps crash text that says so a text value.
    if b"\n" in value or value.strip() == b"base64":
        return key.encode() + b":\n " + value.replace(b"\n", b"\n ") + b"\n"
    return key.encode() + b": " + value + b"\n"


def serialise(text_fields, binary_fields):
    """Bytes of a report; keys are checked against apport's alphabet."""
    for key in list(text_fields) + list(binary_fields):
        if not _KEY.match(key):
            raise ValueError("invalid report key %r" % key)
    keys = sorted(text_fields)
    if "ProblemType" in keys:
        keys.remove("ProblemType")
        keys.insert(0, "ProblemType")
    out = [text_value(k, text_fields[k]) for k in keys]
    out += [binary_value(k, binary_fields[k]) for k in sorted(binary_fields)]
    return b"".join(out)


def safe_name(text, limit=120):
    """Only [A-Za-z0-9._-], no leading dot, bounded (R11)."""
    name = _NAME_CHARS.sub("_", text).lstrip(".")[:limit]
    return name or "unknown"


def architecture(release):
    for arch in _RELEASE_ARCHES:
        if release and release.endswith("-" + arch):
            return {"armmp": "armhf", "686-pae": "i386", "686": "i386",
                    "powerpc64le": "ppc64el", "rpi": "arm64"}.get(arch, arch)
    return _DEB_ARCH.get(os.uname().machine, os.uname().machine)


def distro_release(os_release="/etc/os-release"):
    info = os_release_info(os_release)
    name = info.get("NAME", "").split()[0] if info.get("NAME") else None
    return " ".join(filter(None, (name, info.get("VERSION_ID")))) or None


def apport_date(time_ns):
    """apport's Date; None when the time cannot be a date (out of range)."""
    try:
        return time.asctime(time.localtime(time_ns // 10**9))
    except (OverflowError, ValueError, OSError):
        return None


def build(event, analysis, attachments, failure, extra=None,
          max_bytes=8 << 20):
    """``(package, report bytes)`` for one event (see compose)."""
    return compose(event, analysis, attachments, failure, extra,
                   max_bytes)[:2]


def compose(event, analysis, attachments, failure, extra=None,
            max_bytes=8 << 20):
    """``(package, report bytes, n)`` for one event: the first ``n``
    attachments are in the report, the others did not fit (the collector
    leaves their records in place).

    ``attachments`` are ``(label, description, bytes)``: the records (and
    any undecodable zones) attached as PstoreRecord1..N.
    ``extra`` holds further text fields (already constant keys).

    A kdump crash (an event with a ``kdump`` record) is apport's
    KernelCrash: its log is VmCoreDmesg, its directory KdumpDir; the
    pstore dump of the same crash, if any, comes as for any pstore dump.
    """
    release = analysis.release
    kdump = getattr(event, "kdump", None)
    pstore = kdump is None or event.pstore is not None
    fields = {
        "ProblemType": "KernelOops" if kdump is None else "KernelCrash",
        "Failure": failure,
        "SourcePackage": "linux",
        "Title": analysis.title,
        "DuplicateSignature": analysis.signature,
        "PstoreEvent": event.id,
    }
    if pstore:
        fields["Tags"] = "kernel-oops pstore %s" % event.backend
        fields["PstoreBackend"] = event.backend
        fields["PstoreRecords"] = "\n".join(
            "%s (%s)" % (label, what) for label, what, _ in attachments)
    if kdump is not None:
        fields["Tags"] = "kernel-crash kdump" + (
            " pstore %s" % event.backend if pstore else "")
        fields.update(_kdump_fields(kdump, pstore))
    if release:
        package, version, source = kernel_package(release, analysis.build)
        fields["Uname"] = "Linux %s %s" % (release,
                                          _MACHINE.get(architecture(release),
                                                       os.uname().machine))
        fields["PackageSource"] = "version: %s" % source
    else:
        package, version, source = kernel_package(os.uname().release)
        fields["PackageSource"] = ("running kernel: the dump does not name "
                                   "the kernel that crashed; version: %s"
                                   % source)
    # apport's "name version"; the file name takes the name only.
    fields["Package"] = "%s %s" % (package, version)
    fields["Architecture"] = architecture(release)
    fields["Date"] = event.time_ns and apport_date(event.time_ns)
    if fields["Date"] and kdump is not None and \
            event.time_ns == kdump.time_ns:
        fields["DateSource"] = (
            "the name of the kdump directory %s: the capture kernel's local "
            "time when it saved the crash" % kdump.directory)
    if not fields["Date"]:
        fields["Date"] = apport_date(time.time_ns())
        fields["DateSource"] = "time of harvest: the dump carries no %stime" \
            % ("usable " if event.time_ns else "")
    distro = distro_release()
    if distro:
        fields["DistroRelease"] = distro
    signature = version_signature(event.log(), release, analysis.build)
    if signature:
        fields["ProcVersionSignature"] = signature
    if analysis.block:
        # From the marker on: the whole rest of the log when no end of
        # trace follows, so bounded here (its start is what matters).
        block, cut = _bounded_text(analysis.block, OOPS_TEXT_MAX)
        if cut:
            block += "\n[OopsText cut at %d bytes; KernelLog has the rest]" \
                % OOPS_TEXT_MAX
        fields["OopsText"] = block
    if analysis.panic_message:
        fields["PanicMessage"] = analysis.panic_message
    if analysis.taint:
        fields["KernelTaint"] = analysis.taint
    if analysis.build:
        fields["KernelBuild"] = analysis.build
    if analysis.function:
        fields["CrashFunction"] = analysis.function
    ecc = [r.ecc for r in event.records if r.ecc is not None]
    if any(not e.checked for e in ecc):
        fields["PstoreECC"] = (
            "%d corrected bytes, %d damaged blocks read as they are, not "
            "repaired: reedsolo is missing (see PstoreProblems)" % (
                sum(e.corrected for e in ecc),
                sum(e.unrecoverable for e in ecc)))
    elif ecc:
        fields["PstoreECC"] = "%d corrected bytes, %d unrecoverable blocks" % (
            sum(e.corrected for e in ecc), sum(e.unrecoverable for e in ecc))
    problems = [p for r in event.records if r is not kdump
                for p in r.problems] + event.problems
    if problems:
        fields["PstoreProblems"] = "\n".join(
            one_line(p, 300) for p in problems[:MAX_PROBLEMS])
    if kdump is not None and kdump.problems:
        fields["KdumpProblems"] = "\n".join(
            one_line(p, 300) for p in kdump.problems[:MAX_PROBLEMS])
    fields.update(extra or {})
    # The cap holds for the bytes written, every field counted: each is
    # bounded where it enters (escaping can make text up to six times its
    # raw size), the largest are cut further when the cap is small, and
    # the log and the raw records (gzip+base64: 4/3) share what is left.
    fields = {key: _bounded(value, FIELD_MAX) for key, value in fields.items()}
    room = max_bytes - _fit(fields, max_bytes - NOTES) - NOTES
    # Each log gets an equal share, the raw records one more.
    logs = []
    if kdump is not None and kdump.payload:
        logs.append(("VmCoreDmesg", kdump.payload))
    if pstore:
        logs.append(("KernelLog", event.pstore_log() if kdump is not None
                     else event.log()))
    share = max(room // max(len(logs) + (1 if attachments else 0), 1), 0)
    for key, log in logs:
        log_text, cut, log_size = _tail_within(
            clean(log[-share:] if share else b""), share, key)
        if cut or len(log) > share:
            fields[key + "Truncated"] = "kept the last %d characters of a " \
                "%d-byte log (max_report_bytes)" % (len(log_text), len(log))
        fields[key] = log_text
        room -= log_size
    binary = {}
    for index, (_, _, raw) in enumerate(attachments, 1):
        key = "PstoreRecord%d" % index
        value = binary_value(key, bytes(raw)) \
            if index <= MAX_RAW_ATTACHMENTS else b""
        if not value or len(value) > room:
            fields["PstoreRecordsOmitted"] = "records from #%d on do not fit " \
                "the report (max_report_bytes, at most %d attached); they " \
                "are archived in the state directory" % (
                    index, MAX_RAW_ATTACHMENTS)
            break
        binary[key] = value
        room -= len(value)
    head = serialise(fields, {})
    return (package, head + b"".join(binary[k] for k in sorted(binary)),
            len(binary))


def _bounded(value, limit):
    return _bounded_text(value, limit)[0]


def _bounded_text(value, limit):
    """(``value`` as clean text of at most ``limit`` bytes of UTF-8,
    whether it was cut).  Cut before cleaning too, so that a huge value is
    never escaped whole."""
    text = clean(value[:limit + 1])
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text, len(value) > limit
    return data[:limit].decode("utf-8", "ignore"), True


def _fit(fields, limit):
    """Halve the largest field but the essential ones until all of them
    serialise within ``limit`` bytes (only ever needed for small caps);
    the size they serialise to."""
    sizes = {key: len(text_value(key, value)) for key, value in fields.items()}
    total = sum(sizes.values())
    while total > limit:
        key = max((k for k in sizes if k not in _ESSENTIAL and fields[k]),
                  key=sizes.get, default=None)
        if key is None:
            return total
        value = fields[key].encode("utf-8")
        fields[key] = value[:len(value) // 2].decode("utf-8", "ignore")
        new = len(text_value(key, fields[key]))
        total += new - sizes[key]
        sizes[key] = new
    return total


def _tail_within(text, limit, key="KernelLog"):
    """(the end of ``text`` whose ``key`` value fits in ``limit`` bytes,
    the original length if it had to be cut, else 0, the value's size)."""
    size = len(text_value(key, text))
    if size <= limit:
        return text, 0, size
    keep = limit // 2
    while keep > 0:
        tail = text[-keep:]
        size = len(text_value(key, tail))
        if size <= limit:
            return tail, len(text), size
        keep = keep * limit // size - 1
    return "", len(text), len(text_value(key, ""))


def _kdump_fields(kdump, pstore):
    """What a kdump crash's report says about its directory: never the
    dump itself, only its name and size."""
    fields = {
        "KdumpDir": os.path.join(kdump.origin.path or "", kdump.directory),
        "KdumpFiles": "\n".join("%s (%d bytes)" % f for f in kdump.files)
        or "(none of the files kdump saves)",
    }
    if kdump.dump is not None:
        fields["VmCoreSize"] = "%d" % kdump.dump[1]
    if kdump.log_missing:
        fields["VmCoreDmesgMissing"] = kdump.log_missing
    return fields


def file_stem(event, package):
    """The report's file name without ``.crash``:
    ``<package>.<event>``, or for a crash that kdump-tools saved locally,
    apport's own name for it, ``linux-image-<running release>-<STAMP>``
    (its kernel_crashdump creates that with O_EXCL: finding ours, it
    writes none; docs/kdump-apport.md)."""
    kdump = getattr(event, "kdump", None)
    if kdump is not None and kdump.apport_form:
        return "linux-image-%s-%s" % (safe_name(os.uname().release),
                                      kdump.directory)
    return "%s.%s" % (safe_name(package), event.id)
