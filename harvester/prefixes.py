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
Timestamps tolerate bit rot, as consoles read back from RAM after a reset
often carry some: a flipped ``[`` or ``]``, a digit turned into a control
character or an invalid byte (U+FFFD after decoding).
"""

import re

# "<4>", "<12>"; any three characters survive a flipped bit.
_LEVEL = "<[^>\n]{0,3}>"

# What a flipped bit makes of "[" and "]" (one bit of 0x5b / 0x5d changed,
# ESC and U+FFFD for the control and invalid-UTF-8 cases).
_OPEN = "[\\[{ZY_SK\x1b\ufffd]"
_CLOSE = "[\\]}\\\\_YUM\x1d\ufffd]"
# "[   12.345678]" (at most 15 characters inside), HiSilicon's
# "[   12.345678s]"; a digit may have rotted into punctuation, a letter
# p-y, a control character or U+FFFD.  It must start with a digit after
# its padding, and without a bracket-like character on either side it is
# not taken (an indented line is not a timestamp).
_BODY = ("(?=[ \x00-\x1f\ufffd!-/]{0,12}[0-9])"
         "[ 0-9.\x00-\x1f\ufffd!-/:-?`p-y]{3,15}s?")
_TIME = "(?:%s%s%s?|%s?%s%s) ?" % (_OPEN, _BODY, _CLOSE,
                                   _OPEN, _BODY, _CLOSE)

_COMM = "[^\\]\n]{1,24}"
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
    # HiSilicon (Huawei) "[pid:0,cpu0,swapper]".
    ("hisilicon", r"\[pid:(?P<pid>\d{1,7}),cpu(?P<cpu>\d{1,3}),"
                  r"(?P<comm>%s)\]" % _COMM),
]


def _one_pattern():
    """Level, timestamp and the table's rows as one anchored regex (one
    match per line instead of one per row); row N's groups get "_N"."""
    rows = []
    for index, (_, pattern) in enumerate(CALLER_FORMS):
        pattern = re.sub(r"\(\?P<(\w+)>", r"(?P<\1_%d>" % index, pattern)
        rows.append("(?P<row_%d>%s)" % (index, pattern))
    return re.compile("(?:%s)?(?:%s)?(?:(?:%s) ?)?" % (
        _LEVEL, _TIME, "|".join(rows)))


_PREFIX = _one_pattern()
# row group -> the names of its kind, id, irq, cpu and pid groups (or None)
_FIELDS = {"row_%d" % index: tuple(
    "%s_%d" % (name, index) if "(?P<%s>" % name in pattern else None
    for name in ("kind", "id", "irq", "cpu", "pid"))
    for index, (_, pattern) in enumerate(CALLER_FORMS)}


def split_prefix(line):
    """``(caller id or None, text)``: the line without its syslog level,
    timestamp and caller part.  One space after the caller is removed;
    further indentation (stack frames) is kept."""
    match = _PREFIX.match(line)
    text = line[match.end():]
    if match.lastgroup is None:
        return None, text
    kind, ident, irq, cpu, pid = _FIELDS[match.lastgroup]
    if kind:
        return "%s%d" % (match.group(kind), int(match.group(ident))), text
    if irq and match.group(irq):
        return "C%d" % int(match.group(cpu)), text
    return "T%d" % int(match.group(pid)), text


def strip_prefix(line):
    """The line's text without level, timestamp and caller."""
    return split_prefix(line)[1]
