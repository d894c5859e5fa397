"""The prefixes before each kernel log line, and who printed the line.

A console or kmsg line reads ``<level>[timestamp][caller] text``; vendors
replace or extend the caller part.  ``split_prefix`` removes all of it and
returns the caller id normalised to the kernel's own form (``T<pid>`` for
a task, ``C<cpu>`` for interrupt context), so an analysis can keep to the
crashing caller's lines whatever printed them.

The forms are a table (``CALLER_FORMS``), one row per printer, tried in
order after the level and timestamp (compiled into one regex).  Every pattern is anchored and its
quantifiers bounded, so a line costs a constant amount of work whatever
its length (no catastrophic backtracking, even on a 64 KiB line).
Bit rot is tolerated, as consoles read back from RAM after a reset often
carry some: a timestamp may have a flipped ``[`` or ``]``, a digit turned
into a control character or an invalid byte (U+FFFD after decoding).  A
vendor caller part after a timestamp may be damaged the same way
(``Y3\x1aprovider@4.0-se: 1806]`` for ``[3:provider@4.0-se: 1806]``):
each vendor form has a rotten twin (``ROTTEN_FORMS``) in which every fixed
character may be any one-bit flip of itself.  A rotten prefix is removed
but names no caller, as its digits cannot be trusted.
"""

import re

from parsers.patterns import lazy

# "<4>", "<12>"; any three characters survive a flipped bit.
_LEVEL = "<[^>\n]{0,3}>"


def _flipped(chars):
    """A regex class of ``chars`` and of what one flipped bit makes of each
    once decoded (a byte over 0x7f is U+FFFD); never a newline."""
    found = set(chars)
    for char in chars:
        found.update(chr(ord(char) ^ bit) for bit in _BITS)
    found = {c if c < "\x80" else "\ufffd" for c in found} - {"\n"}
    return "[%s]" % re.escape("".join(sorted(found)))


_BITS = (1, 2, 4, 8, 16, 32, 64, 128)


def _rotten(word):
    """``word`` with any of its characters flipped."""
    return "".join(_flipped(char) for char in word)


# What a flipped bit makes of "[", "]", a digit and ":".
_OPEN, _CLOSE = _flipped("["), _flipped("]")
_DIGIT, _COLON = _flipped("0123456789"), _flipped(":")

# "[   12.345678]" (at most 15 characters inside), HiSilicon's
# "[   12.345678s]"; a digit may have rotted into punctuation, a letter
# p-y, a control character or U+FFFD.  It must start with a digit after
# its padding, and without a bracket-like character on either side it is
# not taken (an indented line is not a timestamp).
_BODY = ("(?=[ \x00-\x1f\ufffd!-/]{0,12}[0-9])"
         "[ 0-9.\x00-\x1f\ufffd!-/:-?`p-y]{3,15}s?")
_TIME = "(?:%s%s%s?|%s?%s%s) ?" % (_OPEN, _BODY, _CLOSE,
                                   _OPEN, _BODY, _CLOSE)
# HiSilicon adds the wall clock to a line a second:
# "[ 1129.341491s][2023:11:30 17:19:27][pid:2071,...]".
_WALL = r"\[\d{4}:\d\d:\d\d \d\d:\d\d:\d\d\]"

# Unisoc (Spreadtrum) kernels print the CPU after the timestamp:
# "[    2.177138] c1 BUG: ..."; it names no task, so it is removed like
# the wall clock.
_CPU_MARK = r"c\d{1,2} (?=\S)"

# A log kept or shown by a tool carries the tool's prefix before the
# kernel's own (TOOL_FORMS, tried before the kernel's forms and only on a
# line that may hold one, see _maybe_tool); what follows is the kernel's
# line, its own prefix included when the tool kept it.
_HOST_KERNEL = r"(?:[\w.-]{1,64} )?kernel: "
TOOL_FORMS = [
    # syslog's RFC 3164 time, as rsyslog and syslog-ng write it, and
    # journalctl's short and short-precise: "May 17 18:48:11 host kernel: ",
    # "Apr 15 13:58:08.549417 host kernel: " (the host may be missing; the
    # month is the locale's: "июл 27", "févr. 3").
    ("syslog/journal", r"\w{3,5}\.? {1,2}[0-3]?\d \d\d:\d\d:\d\d(?:\.\d{1,9})? "
                       + _HOST_KERNEL),
    # RFC 3339: rsyslog's RSYSLOG_FileFormat, journalctl -o short-iso and
    # short-iso-precise ("2022-01-15T23:50:16.582448+01:00 host kernel: "),
    # short-full ("Tue 2024-01-02 03:04:05 CET host kernel: "), and
    # dmesg --time-format iso, which names no host ("2024-01-02T03:04:05,
    # 123456+01:00 ").
    ("iso", r"(?:[A-Z][a-z]{2} )?\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?"
            r"(?:Z|[+-]\d\d:?\d\d| [A-Z]{1,5})? (?:%s)?" % _HOST_KERNEL),
    # a serial logger's "MM-DD HH:MM:SS " before the kernel's timestamp or
    # level ("03-13 15:18:38.123  [   12.345678] ").
    ("serial logger", r"\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})? {1,2}(?=[\[<])"),
    # journalctl -o short-unix: "1704164645.123456 host kernel: ".
    ("unix", r"\d{9,11}\.\d{6} " + _HOST_KERNEL),
    # dmesg -T "[Tue Jan  2 03:04:05 2024] ", dmesg -e "[Jan 2 03:04] ".
    ("ctime", r"\[(?:\w{2,5}\.? )?\w{3,5}\.? ?[ 0-3]?\d \d\d:\d\d"
              r"(?::\d\d \d{4})?\] "),
    # journalctl -o short-monotonic "[24755.774780] host kernel: ", -o
    # short-delta and dmesg -d "[   12.345678 <    0.000013>] ".
    ("monotonic", r"\[ {0,8}\d{1,8}\.\d{6}(?: <[ \d.]{1,20}[ *]?>\] (?:%s)?|"
                  r"\] %s)" % (_HOST_KERNEL, _HOST_KERNEL)),
    # LAVA's log.yaml, a serial console's line as a JSON string:
    # '- {"dt": "2019-09-09T17:46:48.674914", "lvl": "target", "msg": "..."}'.
    ("lava", r'(?P<lava>- \{"dt": "[\dT:.+-]{8,40}", "lvl": "target", "msg": ")'),
    # /dev/kmsg "4,1234,12345678,-;" (level, sequence, microseconds,
    # flags), with CONFIG_PRINTK_CALLER ",caller=T123" (the text has its
    # unprintable bytes and "\\" written "\\xNN").
    ("kmsg", r"(?P<kmsg>\d{1,3},\d{1,20},\d{1,20},[-c+]{1,2}"
             r"(?:,caller=(?P<kmsg_kind>[TC])(?P<kmsg_id>\d{1,10}))?"
             r"(?:,[^;\n]{0,64})?;)"),
]
# dmesg -x: facility and level names before everything else,
# "kern  :warn  : " ("%-6s:%-6s: ").
_DECODE = (r"[a-z0-9]{2,8} {0,6}:(?:emerg|alert|crit|err|warn|notice|info|"
           r"debug) {0,6}: ")
_TOOL = lazy("(?:%s)?(?:%s)?" % (_DECODE, "|".join(
    pattern for _, pattern in TOOL_FORMS)))
_DATE_STARTS = frozenset("0123456789 ")
_LEVEL_STARTS = frozenset(("eme", "ale", "cri", "err", "war", "not", "inf",
                           "deb"))
_KMSG_ESCAPE = lazy(r"(?:\\x[0-9a-f]{2})+")


def _maybe_tool(line):
    """Whether a line may start with a tool's prefix, by plain string tests
    (a console's "<4>[   12.345678] " or pstore's "Oops#1 Part1" never
    does, so a dump read at boot never compiles ``_TOOL``): a bracketed
    date, "[  12.3 <" or a journal's "kernel: "; LAVA's '- {"dt": '; a
    date, a serial logger's stamp, Unix time or kmsg record ("2024-",
    "03-13 ", "1704164657.", "4,"); a
    month or weekday and a number ("Jan  2", "févr. 3", "Tue 2024-"); a
    facility and a level (dmesg -x, "kern  :warn  : ")."""
    first = line[:1]
    if first == "[":
        return line[1:2].isalpha() or " <" in line[:32] or \
            "kernel: " in line[:100]
    if first == "-":
        return line.startswith('- {"dt": ')
    if first.isdigit():
        return line[4:5] == "-" or line[2:3] == "-" or "," in line[1:4] or \
            "." in line[9:12]
    if not first.isalpha():
        return False
    space = line.find(" ", 3, 7)
    if space > 0 and line[space + 1:space + 2] in _DATE_STARTS and \
            line[:space].rstrip(".").isalpha():
        return True
    colon = line.find(":", 2, 9)
    return colon > 0 and line[colon + 1:colon + 4] in _LEVEL_STARTS


# A task's comm holds at most 15 characters (TASK_COMM_LEN).
_COMM = "[^\\]\n]{1,15}"
# (printer, pattern); named groups: kind+id (kernel caller id) or
# cpu/pid/comm (vendors), irq when the form marks interrupt context.
CALLER_FORMS = [
    # CONFIG_PRINTK_CALLER, mainline and Android GKI: "[ T123]", "[  C0]".
    ("kernel", r"\[ *(?P<kind>[TC])(?P<id>\d{1,10})\]"),
    # MediaTek and Qualcomm Android kernels: " (0)[1:init]" and
    # "-(6)[1019:mtk_agpsd]" ('-' while interrupts are disabled),
    # "(6)[422:kworker/6:3]"; the CPU (hex) is not needed, so a rotten
    # one ("-( )[0:swapper/0]") is still taken.
    ("mediatek/qualcomm", r" {0,2}[-+,]?\((?P<cpu>[^)\]\n]{1,2})\)"
                          r"\[(?P<pid>\d{1,7}):(?P<comm>%s)\]" % _COMM),
    # MediaTek/Meizu "[7:1:init]": cpu, pid, comm.
    ("mediatek", r"\[(?P<cpu>\d{1,3}):(?P<pid>\d{1,7}):(?P<comm>%s)\]" % _COMM),
    # Samsung "[4:           init:    1]": cpu, comm (right-aligned, may
    # itself hold ':'), pid; "I[5:  swapper/5:    0]" in interrupt context.
    ("samsung", r" {0,2}(?P<irq>I)?\[(?P<cpu>\d{1,3}): *"
                r"(?P<comm>[^\]\n]{1,16}?): *(?P<pid>\d{1,7})\]"),
    # Honor/HiSilicon Android "[3701:11_see]": pid and comm only.
    ("pid:comm", r"\[(?P<pid>\d{1,7}):(?P<comm>[^\]\n:]{1,15})\]"),
    # Broadcom Android kernels: "C1 [ swapper/1]", CPU and comm (padded);
    # no pid, so the line's task is not known (no groups: each named
    # group costs the boot path's compile).
    ("broadcom", r"C\d{1,2} \[ {0,15}[^\]\n]{1,15}\]"),
    # HiSilicon (Huawei) "[pid:0,cpu0,swapper]", newer kernels
    # "[pid:6550,cpu6,lshw-bak,9]"; "in irq" for the comm in interrupt
    # context.
    ("hisilicon", r"\[pid:(?P<pid>\d{1,7}),cpu(?P<cpu>\d{1,3}),"
                  r"(?:(?P<irq>in irq)(?:,\d)?|[^\]\n]{1,18})\]"),
]


def _comm_ended(width):
    """A comm of at most ``width`` characters and its "]": the first "]",
    else the first flip of "]" that no comm holds ("\\", "}", ^], U+FFFD),
    else the first that a comm may hold ("M", "U", "Y", "_")."""
    return "(?:[^\\]\n]{1,%d}\\]|[^\n]{1,%d}?[\\\\}\x1d\ufffd]|" \
           "[^\n]{1,%d}?[MUY_])" % (width, width, width)


# The vendor forms with every fixed character possibly flipped, tried only
# after a timestamp and only when no intact form matches.  Their shapes
# (brackets, separators and digits where the form has them, Samsung's
# fixed widths) are what keeps ordinary text from being taken for them.
ROTTEN_FORMS = [
    ("mediatek/qualcomm", "%s{0,3}%s%s{1,2}%s%s%s{1,7}%s%s" % (
        _flipped(" -"), _flipped("("), _flipped("0123456789abcdef"),
        _flipped(")"), _OPEN, _DIGIT, _COLON, _comm_ended(15))),
    ("mediatek", "%s%s{1,3}%s%s{1,7}%s%s" % (
        _OPEN, _DIGIT, _COLON, _DIGIT, _COLON, _comm_ended(15))),
    # "[%d:%15s:%5d]": the comm and pid fields have fixed widths.
    ("samsung", "%s{0,3}%s%s{1,2}%s[^\n]{15}%s%s{5,7}%s" % (
        _flipped(" I"), _OPEN, _DIGIT, _COLON, _COLON,
        _flipped(" 0123456789"), _CLOSE)),
    ("hisilicon", "%s%s%s{1,7}%s%s%s{1,3}%s%s" % (
        _OPEN, _rotten("pid:"), _DIGIT, _flipped(","), _rotten("cpu"),
        _DIGIT, _flipped(","), _comm_ended(18))),     # "comm" or "comm,N"
]


# U+FFFD (a rotten byte) in a class would cost re a 64K-entry table per
# class to compile, 1.5 ms at every boot: the compiled patterns hold
# U+0080 in its place, and a line holding either is matched with the two
# swapped (same length, so the match's positions are the line's).
_SWAP = {0xfffd: 0x80, 0x80: 0xfffd}


def _numbered(pattern, index):
    """``pattern`` with ``_<index>`` after each group name (no regex: this
    runs at import)."""
    first, *groups = pattern.split("(?P<")
    return "(?P<".join([first] + [g.replace(">", "_%d>" % index, 1)
                                  for g in groups])


def _one_pattern():
    """Level, timestamp and the tables' rows as one anchored regex (one
    match per line instead of one per row); row N's groups get "_N", and
    the rotten rows count only after a timestamp."""
    rows = []
    for index, (_, pattern) in enumerate(CALLER_FORMS):
        pattern = _numbered(pattern, index)
        rows.append("(?P<row_%d>%s)" % (index, pattern))
    rotten = "|".join(pattern for _, pattern in ROTTEN_FORMS)
    return (lazy((
        "(?:%s)?(?P<time>%s(?:%s|%s)?)?"
        "(?:(?:%s|(?(time)(?P<rotten>%s)|(?!))) ?)?" % (
            _LEVEL, _TIME, _WALL, _CPU_MARK, "|".join(rows),
            rotten)).translate(_SWAP)),
        lazy("(?:%s)?(?:%s) ?" % (_LEVEL, "|".join(rows))))


# The second pattern is for a caller part that no timestamp precedes
# ("[7:1:init]", "[3701:11_see]"): the rotten-timestamp pattern takes its
# "[7:1:" (a real timestamp holds no ':' unless a bit flipped).
_PREFIX, _CALLER_FIRST = _one_pattern()
# row group -> the names of its kind, id, irq, cpu and pid groups (or None)
_FIELDS = {"row_%d" % index: tuple(
    "%s_%d" % (name, index) if "(?P<%s>" % name in pattern else None
    for name in ("kind", "id", "irq", "cpu", "pid"))
    for index, (_, pattern) in enumerate(CALLER_FORMS)}


def _prefix_match(line, start=0):
    """``_PREFIX.match(line, start)``, U+FFFD and U+0080 swapped as in it."""
    if not line.isascii() and ("\ufffd" in line or "\x80" in line):
        line = line.translate(_SWAP)
    return _PREFIX.match(line, start)


def split_prefix(line):
    """``(caller id or None, text)``: the line without a tool's prefix,
    its syslog level, timestamp and caller part.  One space after the
    caller is removed; further indentation (stack frames) is kept."""
    tool = _TOOL.match(line) if _maybe_tool(line) else None
    start = tool.end() if tool else 0
    match = _prefix_match(line, start)
    if match.group("rotten") is not None and _frame_address(
            line[match.start("rotten"):match.end()]):
        return None, line[match.start("rotten"):]
    if (match.lastgroup not in _FIELDS and match.group("rotten") is None
            and ":" in line[start:match.end()]):
        match = _CALLER_FIRST.match(line, start) or match
    text = line[match.end():]
    if tool and tool.group("lava"):
        text = _json_text(text)
    elif tool and tool.group("kmsg"):
        text = _kmsg_text(text)
        if match.lastgroup not in _FIELDS and tool.group("kmsg_kind"):
            return "%s%d" % (tool.group("kmsg_kind"),
                             int(tool.group("kmsg_id"))), text
    if match.lastgroup not in _FIELDS:      # no caller part, or a rotten one
        return None, text
    kind, ident, irq, cpu, pid = _FIELDS[match.lastgroup]
    if kind:
        return "%s%d" % (match.group(kind), int(match.group(ident))), text
    if irq and match.group(irq):
        return "C%d" % int(match.group(cpu)), text
    if not pid:                 # a form naming no task
        return None, text
    return "T%d" % int(match.group(pid)), text


def _frame_address(part):
    """A stack frame's "[<80016084>]" (mips, arm32, old x86), which a
    rotten caller form may take for its own when the address has only
    decimal digits ("<" a flipped "4", "8" a flipped ":")."""
    end = part.find(">]", 2, 19)
    return part.startswith("[<") and end > 2 and all(
        char in "0123456789abcdef" for char in part[2:end])


def _kmsg_text(text):
    """A /dev/kmsg record's text with its "\\xNN" escapes undone."""
    if "\\x" not in text:
        return text
    return _KMSG_ESCAPE.sub(lambda found: bytes.fromhex(
        found.group().replace("\\x", "")).decode("utf-8", "replace"), text)


def _json_text(text):
    """A JSON string's body and its '"}' as text (the string undone, its
    escapes too); a string cut short stays as it is."""
    if not text.endswith('"}'):
        return text
    import json
    try:
        return json.loads('"%s"' % text[:-2])
    except ValueError:
        return text[:-2]


def strip_prefix(line):
    """The line's text without level, timestamp and caller."""
    return split_prefix(line)[1]
