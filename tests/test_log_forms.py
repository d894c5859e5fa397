"""The crash title must not depend on how the log was copied (issue 19).

Real logs reach us wrapped by the tool that kept or showed them (syslog,
the journal, dmesg's options, /dev/kmsg, printk's caller ids) and by the
way they were passed on (mail quoting, indentation, Markdown, serial
line ends, decode_stacktrace.sh).  Each wrapping below is a small
function, log bytes in, wrapped log bytes out, written after the tool's
own source (cited at each), never after harvester/crash/prefixes.py:

    printk    kernel/printk/printk.c: info_print_prefix() "<%u>", print_time()
              "[%5lu.%06lu]", print_caller() "[%6s]" ("T%u"/"C%u") and one
              space after them; info_print_ext_header() for /dev/kmsg:
              "%u,%llu,%llu,%c" plus ",caller=T%u", then ";", the text with
              bytes < 0x20, >= 0x7f and "\\" written "\\x%02x"
    dmesg     util-linux sys-utils/dmesg.c print_record(): decode "%-6s:%-6s: "
              (facility, level names), "[%5ld.%06ld] ", ctime "[%a %b %e
              %H:%M:%S %Y] ", delta "[%5ld.%06ld <%12.06f>] ", iso
              "YYYY-MM-DDTHH:MM:SS,uuuuuu+hh:mm ", reltime "[%b%e %H:%M] "
              then "[  %+8.06f] ", the caller id "[%*s] " after the time; one
              space after the kernel's timestamp is dropped from the text
    journal   systemd src/shared/logs-show.c output_short(): the time
              (short "%b %d %H:%M:%S", -precise ".%06", -iso "%Y-%m-%dT%H:%M:%S"
              "%+03d:%02d", -full "Tue 2024-01-02 03:04:05 CET", -unix
              "%10u.%06u", -monotonic "[%5u.%06u]", -delta "[%5u.%06u
              <%5u.%06u >]"), " <hostname>" (not with --no-hostname),
              " kernel", ": ", the message (journald keeps its indentation)
    syslog    rsyslog's RSYSLOG_TraditionalFileFormat ("%TIMESTAMP%
              %HOSTNAME% %syslogtag%%msg%", RFC 3164 time "Jan  2 03:04:05",
              the kernel's own timestamp kept in the message: imklog's
              default) and RSYSLOG_FileFormat (RFC 3339 time with
              microseconds)
    LAVA      log.yaml: '- {"dt": "<ISO time>", "lvl": "target", "msg": <the
              console line as a JSON string>}' (as KernelCI's and Linaro's
              log parsers read it)
    decode    linux scripts/decode_stacktrace.sh: each line read by "read"
              (indentation and backslashes go), a line with an address
              tokenised, "[<addr>]" words dropped, a timestamp "[%13s",
              its symbol "func+0x1/0x2" replaced by "func (file:line ...)"
              (inlined callees' lines in the same parentheses) and
              " $module" appended

The property: every log of tests/data/realworld, tests/data/realworld2
and a sample of the dev set (every fourth even syzkaller file; the odd
ones and tests/data/blind are never read) gets the same Title and
DuplicateSignature wrapped as unwrapped.  The tools' wrappings are
applied to logs as the kernel printed them; logs that some tool or paste
already wrapped (all lines indented or quoted, or journal lines) only get
the transport wrappings.
"""

import json
import os
import re
import time

import pytest

from harvester.crash import analysis

DATA = os.path.join(os.path.dirname(__file__), "data")
HOST = "buildhost"
BOOT = 1704161045           # Tue Jan  2 02:04:05 UTC 2024: the boot's time
ZONE = 3600                 # the machine's clock is an hour ahead of UTC
_STAMP = re.compile(r"\[ *(\d{1,8})\.(\d{6})\] ?")
_CALLER = re.compile(r"\[ *[TC]\d{1,10}\]|\[\d{1,7}:")
_LEVELS = ("emerg", "alert", "crit", "err", "warn", "notice", "info", "debug")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
           "Oct", "Nov", "Dec")


def _logs():
    """(name, log bytes): the realworld sets and every fourth even dev-set
    file (only even files are the dev set's)."""
    found = []
    for folder in ("realworld", "realworld2"):
        path = os.path.join(DATA, folder)
        found += [(folder + "/" + name, os.path.join(path, name))
                  for name in sorted(os.listdir(path)) if name != "NOTICE"]
    path = os.path.join(DATA, "syzkaller")
    numbers = sorted(int(n) for n in os.listdir(path) if n.isdigit())
    found += [("syzkaller/%d" % n, os.path.join(path, str(n)))
              for n in numbers if n % 2 == 0 and n % 8 == 0]
    logs = []
    for name, file in found:
        with open(file, "rb") as f:
            logs.append((name, f.read().partition(b"\n\n")[2]))
    return logs


LOGS = _logs()


# -- the log as records: (seconds, microseconds, text) ---------------------

def _lines(data):
    return data.decode("utf-8", "surrogateescape").split("\n")


def _join(lines):
    return "\n".join(lines).encode("utf-8", "surrogateescape")


def _records(data):
    """Each line as the kernel logged it: its printk timestamp (or, for a
    line printed without one, a made-up time after the previous line's)
    and its text (one space after the timestamp is the prefix's)."""
    records, last = [], 100.0
    for line in _lines(data):
        stamp = _STAMP.match(line)
        if stamp:
            seconds, micro = int(stamp.group(1)), int(stamp.group(2))
            last = seconds + micro / 1e6
            records.append((seconds, micro, line[stamp.end():], True))
        else:
            last += 0.000013
            records.append((int(last), int(round(last % 1 * 1e6)) % 1000000,
                            line, False))
    return records


def _wall(seconds):
    """The local time ``seconds`` after boot, as a time tuple."""
    return time.gmtime(BOOT + ZONE + seconds)


def _printk_time(seconds, micro):
    return "[%5d.%06d]" % (seconds, micro)


def _tool(render, *, keep_blank=True):
    """A wrapping that prints each record as ``render(index, seconds,
    micro, text, stamped)`` does; a blank line stays blank (the tools print
    no record for it)."""
    def wrap(data):
        out = []
        for index, (seconds, micro, text, stamped) in enumerate(
                _records(data)):
            if not text.strip() and not stamped and keep_blank:
                out.append(text)
            else:
                out.append(render(index, seconds, micro, text, stamped))
        return _join(out)
    return wrap


def _console(seconds, micro, text, stamped):
    """The line as the console printed it (timestamp only if it had one)."""
    return "%s %s" % (_printk_time(seconds, micro), text) if stamped else text


def _level(index):
    """A varying console level (crash lines are printed at 0-4, others
    at any)."""
    return (4, 0, 4, 1, 6, 3, 4, 7)[index % 8]


# -- printk ------------------------------------------------------------------

def console_level(data):          # /proc/kmsg, syslog(2), a console at 'ignore_loglevel'
    return _tool(lambda i, s, u, t, st: "<%d>%s" % (
        _level(i), _console(s, u, t, st)))(data)


def printk_time(data):            # printk.time=1: every line timestamped
    return _tool(lambda i, s, u, t, st: "%s %s" % (
        _printk_time(s, u), t))(data)


def no_time(data):                # dmesg -t, journalctl -o cat, printk.time=0
    return _tool(lambda i, s, u, t, st: t)(data)


def _caller(index):
    return "T%d" % 4242


def caller_id(data):              # CONFIG_PRINTK_CALLER: "[ts][  T123] "
    return _tool(lambda i, s, u, t, st: "%s[%6s] %s" % (
        _printk_time(s, u) if st else "", _caller(i), t))(data)


_OTHER_THREAD = ("usb 1-1: reset high-speed USB device number 2 using "
                 "xhci_hcd", "EXT4-fs (sda1): mounted filesystem with "
                 "ordered data mode", "e1000e 0000:00:19.0 eth0: NIC Link is "
                 "Up 1000 Mbps Full Duplex")


def caller_id_interleaved(data):  # another task's lines between the crash's
    out = []
    for index, (seconds, micro, text, stamped) in enumerate(_records(data)):
        stamp = _printk_time(seconds, micro) if stamped else ""
        out.append("%s[%6s] %s" % (stamp, _caller(index), text))
        if index % 3 == 1:
            out.append("%s[%6s] %s" % (stamp, "T77",
                                       _OTHER_THREAD[index % 3]))
    return _join(out)


def _kmsg_text(text):
    raw = text.encode("utf-8", "surrogateescape")
    return "".join(chr(b) if 0x20 <= b < 0x7f and b != 0x5c else
                   "\\x%02x" % b for b in raw)


def _kmsg(caller):
    def render(index, seconds, micro, text, stamped):
        return "%d,%d,%d,-%s;%s" % (
            _level(index), 1000 + index, seconds * 1000000 + micro,
            ",caller=" + _caller(index) if caller else "", _kmsg_text(text))
    return _tool(render)


kmsg = _kmsg(False)               # cat /dev/kmsg
kmsg_caller = _kmsg(True)         # cat /dev/kmsg, CONFIG_PRINTK_CALLER

# -- util-linux dmesg -----------------------------------------------------------


def dmesg_ctime(data):            # dmesg -T
    return _tool(lambda i, s, u, t, st: "[%s] %s" % (
        time.strftime("%a %b %e %H:%M:%S %Y", _wall(s)), t))(data)


def dmesg_decode(data):           # dmesg -x
    return _tool(lambda i, s, u, t, st: "%-6s:%-6s: %s %s" % (
        "kern", _LEVELS[_level(i)], _printk_time(s, u), t))(data)


def dmesg_decode_ctime(data):     # dmesg -x -T
    return _tool(lambda i, s, u, t, st: "%-6s:%-6s: [%s] %s" % (
        "kern", _LEVELS[_level(i)],
        time.strftime("%a %b %e %H:%M:%S %Y", _wall(s)), t))(data)


def dmesg_iso(data):              # dmesg --time-format iso
    return _tool(lambda i, s, u, t, st: "%s,%06d+01:00 %s" % (
        time.strftime("%Y-%m-%dT%H:%M:%S", _wall(s)), u, t))(data)


def dmesg_delta(data):            # dmesg -d
    previous = [None]

    def render(i, s, u, t, st):
        now = s + u / 1e6
        delta = now - previous[0] if previous[0] is not None else 0.0
        previous[0] = now
        return "[%5d.%06d <%12.06f>] %s" % (s, u, max(delta, 0.0), t)
    return _tool(render)(data)


def dmesg_reltime(data):          # dmesg -e
    last = [None]

    def render(i, s, u, t, st):
        now = s + u / 1e6
        minute = time.strftime("%b%e %H:%M", _wall(s))
        if minute != (last[0] or (None,))[0]:
            stamp = "[%s]" % minute
        else:
            stamp = "[  %+8.06f]" % max(now - last[0][1], 0.0)
        last[0] = (minute, now)
        return "%s %s" % (stamp, t)
    return _tool(render)(data)


def dmesg_caller(data):           # dmesg (util-linux 2.39+), PRINTK_CALLER
    return _tool(lambda i, s, u, t, st: "%s [%7s] %s" % (
        _printk_time(s, u), _caller(i), t))(data)


def dmesg_ctime_caller(data):     # dmesg -T, PRINTK_CALLER
    return _tool(lambda i, s, u, t, st: "[%s] [%7s] %s" % (
        time.strftime("%a %b %e %H:%M:%S %Y", _wall(s)), _caller(i), t))(data)


# -- syslog ------------------------------------------------------------------------

def _rfc3164(seconds):
    return time.strftime("%b %e %H:%M:%S", _wall(seconds))


def syslog(data):                 # rsyslog kern.log: "Jan  2 03:04:05 host kernel: [ts] "
    return _tool(lambda i, s, u, t, st: "%s %s kernel: %s" % (
        _rfc3164(s), HOST, _console(s, u, t, st)))(data)


def syslog_precise(data):         # rsyslog RSYSLOG_FileFormat
    return _tool(lambda i, s, u, t, st: "%s.%06d+01:00 %s kernel: %s" % (
        time.strftime("%Y-%m-%dT%H:%M:%S", _wall(s)), u, HOST,
        _console(s, u, t, st)))(data)


def syslog_caller(data):          # kern.log of a kernel with PRINTK_CALLER
    return _tool(lambda i, s, u, t, st: "%s %s kernel: %s[%6s] %s" % (
        _rfc3164(s), HOST, _printk_time(s, u), _caller(i), t))(data)


# -- journalctl --------------------------------------------------------------------

def _journal(stamp, host=True):
    return _tool(lambda i, s, u, t, st: "%s%s kernel: %s" % (
        stamp(s, u), " " + HOST if host else "", t))


journal = _journal(lambda s, u: time.strftime("%b %d %H:%M:%S", _wall(s)))
journal_no_hostname = _journal(
    lambda s, u: time.strftime("%b %d %H:%M:%S", _wall(s)), host=False)
journal_precise = _journal(lambda s, u: "%s.%06d" % (
    time.strftime("%b %d %H:%M:%S", _wall(s)), u))
journal_iso = _journal(lambda s, u: time.strftime(
    "%Y-%m-%dT%H:%M:%S+01:00", _wall(s)))
journal_iso_precise = _journal(lambda s, u: "%s.%06d+01:00" % (
    time.strftime("%Y-%m-%dT%H:%M:%S", _wall(s)), u))
journal_full = _journal(lambda s, u: time.strftime(
    "%a %Y-%m-%d %H:%M:%S CET", _wall(s)))
journal_unix = _journal(lambda s, u: "%10d.%06d" % (BOOT + s, u))
journal_monotonic = _journal(lambda s, u: "[%5d.%06d]" % (s, u))
journal_delta = _journal(lambda s, u: "[%5d.%06d <%5d.%06d >]" % (
    s, u, 0, 13))


# -- LAVA ----------------------------------------------------------------------------

def lava(data):                   # LAVA's log.yaml: the board's serial console
    return _tool(lambda i, s, u, t, st: '- {"dt": "%s.%06d", "lvl": "target", '
                 '"msg": %s}' % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(
                     BOOT + s)), u, json.dumps(_console(s, u, t, st),
                                                ensure_ascii=False)))(data)


# -- passing the log on --------------------------------------------------------------

def _each_line(change):
    def wrap(data):
        return _join([change(line) for line in _lines(data)])
    return wrap


quoted = _each_line(lambda line: "> " + line if line else ">")
quoted_twice = _each_line(lambda line: ">> " + line if line else ">>")
quoted_spaced = _each_line(lambda line: "> > " + line if line else "> >")
indented = _each_line(lambda line: "    " + line if line else line)
tab_indented = _each_line(lambda line: "\t" + line if line else line)
trailing_spaces = _each_line(lambda line: line + "   ")
crlf = _each_line(lambda line: line + "\r")
cr_crlf = _each_line(lambda line: line + "\r\r")
lfcr = _each_line(lambda line: "\r" + line)


def markdown_fence(data):
    return b"```\n" + data.rstrip(b"\n") + b"\n```\n"


journal_quoted = lambda data: quoted(journal(data))          # noqa: E731
syslog_quoted = lambda data: quoted(syslog(data))            # noqa: E731


def console_level_caller(data):  # Android GKI consoles: "<6>[ts][  T1] "
    return _tool(lambda i, s, u, t, st: "<%d>%s[%6s] %s" % (
        _level(i), _printk_time(s, u), _caller(i), t))(data)


journal_crlf = lambda data: crlf(journal(data))              # noqa: E731
indented_quoted = lambda data: quoted(indented(data))        # noqa: E731


# -- decode_stacktrace.sh ---------------------------------------------------------

_SYMBOL = re.compile(r"^(?P<segment>[^:()]*:)?(?P<name>[^+ ()]+)"
                     r"\+0x[0-9a-f]+/0x[0-9a-f]+$")
_ADDRESS = re.compile(r"\[<([^]]+)>\]")
_HAS_SYMBOL = re.compile(r"[^+ ]+\+0x[0-9a-f]+/0x[0-9a-f]+")


def _decode_line(line):
    words = line.split()
    last = len(words) - 1
    words = [w for w in words if not _ADDRESS.search(w)] if not (
        _ADDRESS.search(words[last])) else \
        [w for w in words[:-1] if not _ADDRESS.search(w)] + [words[last]]
    out, i = [], 0
    while i < len(words):
        if words[i] == "[" and i + 1 < len(words) and words[i + 1].endswith("]"):
            out.append("[%13s" % words[i + 1])
            i += 2
            continue
        out.append(words[i])
        i += 1
    words = out
    if not words:
        return ""
    module = ""
    if len(words) > 1 and re.match(r"^[0-9a-f]+\]$", words[-1]):
        words[-2:] = [words[-2] + " " + words[-1]]
    if re.search(r"\[([^]]+)\]", words[-1]) and len(words) > 1:
        module = words.pop().rstrip(")").lstrip("[").rstrip("]").split(" ")[0]
    symbol = words.pop()
    bare = symbol[1:] if symbol.startswith("(") else symbol
    bare = bare[:-1] if bare.endswith(")") else bare
    found = _SYMBOL.match(bare)
    if found:
        name = found.group("name")
        files = "drivers/misc/decoded.c:%d" % (len(name) * 7)
        if len(name) % 3 == 0:          # an inlined callee's line first
            files = "include/linux/decoded.h:%d %s" % (len(name), files)
        symbol = "%s%s (%s)" % (found.group("segment") or "", name, files)
    return " ".join(words + ["%s %s" % (symbol, module)])


def decode_stacktrace(data):
    out = []
    for line in _lines(data):
        line = re.sub(r"\\(.)", r"\1", line.strip())
        if _ADDRESS.search(line) or _HAS_SYMBOL.search(line):
            line = _decode_line(line)
        out.append(line)
    return _join(out)


# (name, wrapping, the logs it applies to: "kernel" as the kernel printed
# them, "caller" those naming no caller yet (a kernel prints one caller
# form: a vendor's or mainline's), "all" also those already wrapped)
WRAPPINGS = [
    ("console <level>", console_level, "kernel"),
    ("printk.time=1", printk_time, "kernel"),
    ("no timestamps (dmesg -t, journalctl -o cat)", no_time, "kernel"),
    ("caller id [  T4242]", caller_id, "caller"),
    ("caller id, another task interleaved", caller_id_interleaved, "caller"),
    ("/dev/kmsg", kmsg, "kernel"),
    ("/dev/kmsg with caller=", kmsg_caller, "caller"),
    ("dmesg -T", dmesg_ctime, "kernel"),
    ("dmesg -x", dmesg_decode, "kernel"),
    ("dmesg -x -T", dmesg_decode_ctime, "kernel"),
    ("dmesg --time-format iso", dmesg_iso, "kernel"),
    ("dmesg -d", dmesg_delta, "kernel"),
    ("dmesg -e", dmesg_reltime, "kernel"),
    ("dmesg, caller id", dmesg_caller, "caller"),
    ("dmesg -T, caller id", dmesg_ctime_caller, "caller"),
    ("syslog (rsyslog kern.log)", syslog, "kernel"),
    ("syslog (RSYSLOG_FileFormat)", syslog_precise, "kernel"),
    ("syslog + caller id", syslog_caller, "caller"),
    ("journalctl", journal, "kernel"),
    ("journalctl --no-hostname", journal_no_hostname, "kernel"),
    ("journalctl -o short-precise", journal_precise, "kernel"),
    ("journalctl -o short-iso", journal_iso, "kernel"),
    ("journalctl -o short-iso-precise", journal_iso_precise, "kernel"),
    ("journalctl -o short-full", journal_full, "kernel"),
    ("journalctl -o short-unix", journal_unix, "kernel"),
    ("journalctl -o short-monotonic", journal_monotonic, "kernel"),
    ("journalctl -o short-delta", journal_delta, "kernel"),
    ("console <level> + caller id", console_level_caller, "caller"),
    ("journalctl + quote marker", journal_quoted, "kernel"),
    ("syslog + quote marker", syslog_quoted, "kernel"),
    ("journalctl + CRLF", journal_crlf, "kernel"),
    ("decode_stacktrace.sh", decode_stacktrace, "kernel"),
    ("LAVA log.yaml", lava, "kernel"),
    ("mail quote '> '", quoted, "all"),
    ("mail quote '>> '", quoted_twice, "all"),
    ("mail quote '> > '", quoted_spaced, "all"),
    ("indented 4 spaces", indented, "all"),
    ("indented a tab", tab_indented, "all"),
    ("indented and quoted", indented_quoted, "all"),
    ("Markdown code fence", markdown_fence, "all"),
    ("trailing spaces", trailing_spaces, "all"),
    ("CRLF line ends", crlf, "all"),
    ("CR CR LF line ends", cr_crlf, "all"),
    ("LF CR line ends", lfcr, "all"),
]


def already_wrapped(data):
    """A log as some tool or paste left it, not as the kernel printed it:
    every line indented or quoted, or lines of the journal or syslog."""
    lines = [line for line in _lines(data) if line.strip()]
    return all(line[:1] in (" ", "\t", ">") for line in lines) or any(
        " kernel: " in line[:80] for line in lines)


def names_callers(data):
    """Whether the kernel's lines name their caller already, mainline's
    "[ T123]" or a vendor's "[3701:11_see]"."""
    for line in _lines(data):
        stamp = _STAMP.match(line)
        if _CALLER.match(line[stamp.end() if stamp else 0:]):
            return True
    return False


def applies(category, data):
    if category == "all":
        return True
    return not already_wrapped(data) and not (
        category == "caller" and names_callers(data))


def _key(data):
    result = analysis.analyse(data, "Oops")
    return result.title, result.signature


_UNWRAPPED = {}


def _unwrapped(name, data):
    if name not in _UNWRAPPED:
        _UNWRAPPED[name] = _key(data)
    return _UNWRAPPED[name]


@pytest.mark.parametrize("label,wrap,category", WRAPPINGS,
                         ids=[w[0] for w in WRAPPINGS])
def test_the_title_does_not_depend_on_the_wrapping(label, wrap, category):
    failures, tried = [], 0
    for name, data in LOGS:
        if not applies(category, data):
            continue
        expected = _unwrapped(name, data)
        if wrap is caller_id_interleaved and "|unrecognised|" in expected[1]:
            # nothing says which task crashed, so which lines are the
            # crash's and which another task's
            continue
        wrapped = wrap(data)
        if wrapped == data:         # printk.time=1 on a timestamped log...
            continue
        tried += 1
        found = _key(wrapped)
        if found != expected:
            failures.append("%s: %r, unwrapped %r" % (name, found, expected))
    assert tried >= 60
    assert not failures, "%d of %d logs:\n%s" % (
        len(failures), tried, "\n".join(failures))


def test_the_wrappings_follow_the_tools():
    """One line of a real oops through each tool's format, checked
    against the tool's printf formats quoted in this module's docstring."""
    line = b"[   12.345678]  dump_stack+0x1c/0x24"
    assert console_level(line) == b"<4>" + line
    assert caller_id(line) == b"[   12.345678][ T4242]  dump_stack+0x1c/0x24"
    assert kmsg(line) == b"4,1000,12345678,-; dump_stack+0x1c/0x24"
    assert kmsg_caller(b"[    1.000000] a\\b") == \
        b"4,1000,1000000,-,caller=T4242;a\\x5cb"
    assert dmesg_ctime(line) == \
        b"[Tue Jan  2 03:04:17 2024]  dump_stack+0x1c/0x24"
    assert dmesg_decode(line) == \
        b"kern  :warn  : [   12.345678]  dump_stack+0x1c/0x24"
    assert dmesg_iso(line) == \
        b"2024-01-02T03:04:17,345678+01:00  dump_stack+0x1c/0x24"
    assert dmesg_caller(line) == \
        b"[   12.345678] [  T4242]  dump_stack+0x1c/0x24"
    assert syslog(line) == b"Jan  2 03:04:17 buildhost kernel: " + line
    assert journal(line) == \
        b"Jan 02 03:04:17 buildhost kernel:  dump_stack+0x1c/0x24"
    assert journal_monotonic(line) == \
        b"[   12.345678] buildhost kernel:  dump_stack+0x1c/0x24"
    assert journal_iso(line) == \
        b"2024-01-02T03:04:17+01:00 buildhost kernel:  dump_stack+0x1c/0x24"
    assert journal_full(line) == \
        b"Tue 2024-01-02 03:04:17 CET buildhost kernel:  dump_stack+0x1c/0x24"
    assert decode_stacktrace(line) == \
        b"[   12.345678] dump_stack (drivers/misc/decoded.c:70) "
    assert decode_stacktrace(b" ? foo+0x1/0x2 [mod]") == \
        b"? foo (include/linux/decoded.h:3 drivers/misc/decoded.c:21) mod"
