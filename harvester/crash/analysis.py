"""What a dump says: the crash report, kernel release, culprit, call trace,
title and a duplicate signature.

A report runs from a crash header (kinds in ``harvester.crash.kinds``)
to its end marker or the next crash, the panic it caused included; which
report a dump is about is decided by ``_choose``.  The title
is ``<kind> in <culprit>`` as syzbot and kernel developers write it; the
signature is built from the kind and the culprit only, so it does not
change with KASLR, compiler suffixes, tasks, CPUs or PIDs.

Every step looks at each line a bounded number of times, and at most the
first 512 characters of it: time is linear in the size of the log.
"""

from __future__ import annotations

import re

from parsers.patterns import lazy, names

from . import kinds as K
from .frames import MAX_LINE, Frame, parse_frame, parse_ip, trace_frames
from .prefixes import split_prefix, strip_prefix  # noqa: F401 (re-exported)

# uname -r as kernels build it; anything else is not trusted as a release
# (it becomes the report's Package and file name).
_RELEASE = r"\d{1,3}\.\d{1,3}[0-9A-Za-z.+~_-]{0,64}"
# A comm is printed raw: spaces, brackets (and a newline: the line's end
# is then on the next line).  Samsung adds a field after it ("FTT: 0 0");
# a release that is no release ("syzkaller") leaves the task known.
_CPU_LINE = lazy(
    r"^CPU: \d+ (?:UID: \d+ )?PID: \d+ Comm: (?P<comm>.{0,16}?)"
    r"(?: [A-Z]{2,8}:(?: \d{1,10}){1,3})? (?:Kdump: loaded )?"
    r"(?:Not tainted|Tainted: (?P<taint>[A-Z ]{1,40}?)) +"
    r"(?:(?P<release>%s) (?P<build>#.{0,120})|\S{1,64} #.{0,120})$" % _RELEASE)
_BANNER = lazy(r"^Linux version (?P<release>%s) .{0,200}?"
               r"(?P<build>#\d.{0,120})$" % _RELEASE)
_PSTORE_HEADER = lazy(r"[A-Za-z]{1,16}#(\d{1,9}) Part\d{1,9}\n")
_PANIC = lazy(r"Kernel panic - not syncing: ?(.{0,400})")
# Numbers, addresses, PCI slots, key=value fields ("exitcode=0x00007f00")
# and the numbers ending a device's name ("ptm1", "sda3").
_VOLATILE = lazy(r"\b[A-Za-z_]{1,20}=\S*|\b0x[0-9a-fA-F]+\b|"
                 r"\b[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]\b|"
                 r"\b[0-9a-fA-F]{8,}\b|\b\d+\b")
_DEVICE = lazy(r"\b([a-z]{2,5})\d{1,3}\b")
_LOCK_AT = lazy(r"\bat: (?:\[<[0-9a-f]{1,16}>\] )?(?P<frame>.{1,300})")
_LAST_FUNCTION = lazy(r"last function: (?P<func>[A-Za-z_][\w.]{0,200})")
_CALL_TRACE = lazy(r"Call [Tt]race|Backtrace:|stack backtrace:")
_PSW_NO_SYMBOL = lazy(r"Krnl PSW : [0-9a-f]{16} [0-9a-f]{16} "
                      r"\((?:0x[0-9a-f]{1,16})?\)")
_BREAKING_EVENT = lazy(r"^\s{0,8}Last Breaking-Event-Address:")
_HEAD_FUNC = lazy(r"\b(?:in|at) ([A-Za-z_][\w.]{1,200})(?:\+0x| \([^\s():]"
                  r"{1,200}:\d)")       # decode_stacktrace.sh: "f (x.c:12)"
_HEAD_FILE = lazy(r"(?:^|\s)(?P<file>[a-z][\w./+-]{0,200}\.[chS]):\d{1,7}\b")
# Where lockdep names the lock being taken or released; the "at:" after
# it (same line or next) is the acquisition site.  The lists of locks
# held and the dependency chains are never read for it.
_ACQUIRE = lazy(r"is trying to (?:acquire|lock|release)|\btakes:|"
                r"trying to acquire lock:|is already holding lock:|"
                r"lock still held there")
_CHAIN = lazy(r"the existing dependency chain|other info that might help|"
              r"\blocks? held by\b|which lock already depends")
_HELD_LIST = lazy(r"\blocks? held by\b|leaving the kernel with locks")
_STACK_BACKTRACE = lazy(r"^\s{0,8}(?:stack backtrace:|Call [Tt]race:?)")
# Which CPUs a stall report says are stuck, and which CPU reports.
_STALLED_CPU = lazy(r"^\s{0,8}(?:rcu:\s{1,8})?(?P<cpu>\d{1,5})-[.\w!]{3,6}: \(|"
                    r"soft lockup - CPU#(?P<cpu2>\d{1,5})|"
                    r"[Hh]ard LOCKUP on cpu (?P<cpu3>\d{1,5})")
_SENDING_NMI = lazy(r"Sending NMI from CPU (?P<cpu>\d{1,5}) to CPUs "
                    r"(?P<targets>[\d,-]{1,80})")
_CPU_SEGMENT = lazy(r"NMI backtrace for cpu (?P<cpu>\d{1,5})|"
                    r"Task dump for CPU (?P<cpu2>\d{1,5})")
# A line that says something went wrong, for logs whose crash is of no
# known kind: the report is titled by the first line holding a word of a
# crash (_CRASH_WORD), else by the last holding a word that boot noise
# uses too (_ERROR_WORD: "Failed to load firmware", "ACPI Error"): the
# dump's log ends where the kernel died, and boot noise is at its start.
_CRASH_WORD = lazy(
    r"\b(?:BUG|Oops|[Pp]anic|[Ee]xception|[Uu]nable to handle|[Uu]nhandled|"
    r"[Ii]nternal error|[Ii]llegal|[Aa]ssert\w{0,8}|[Ll]ockup|[Dd]eadlock)\b")
_ERROR_WORD = lazy(
    r"\b(?:WARNING|ERROR|[Ff]ault|[Cc]orrupt\w{0,8}|[Ss]tall\w{0,4}|[Hh]ung|"
    r"[Ff]atal|[Ss]egmentation|[Tt]imed? ?out|[Ff]ailed|[Ee]rror)\b")
# Lines that use those words but are no kernel error: the boot command
# line echoed ("panic=1"), advice pointing at a web page (the boot's
# mitigation notices), a user program's segfault (show_signal_msg).
_NOT_AN_ERROR = lazy(r"^\s{0,8}(?:Kernel )?[Cc]ommand line:|https?://|"
                     r"\bsegfault at [0-9a-f]{1,16} ip ")
# Pasted logs: mail quoting and uniform indentation (a tool's prefix
# before each line is prefixes.TOOL_FORMS').  Mail quotes with "> "
# (nested: "> > "), and some writers mark a pasted log with "| " before
# each line.
_QUOTE = lazy(r"^(?:> ?)+|^\| ?")
# a symbol+offset token, which a hard wrap may cut in two ("(f+0x1c/0x2c)")
_SYMBOL_TOKEN = lazy(r"\(?[A-Za-z_.][\w.]{0,255}\+0x[0-9a-f]{1,16}"
                     r"/0x[0-9a-f]{1,16}\)?$")
WRAP_MIN = 64               # narrower "lines" are no terminal's or site's
TAIL_LINES = 20             # an unrecognised log's key: its last lines
QUOTE_LAYERS = 3            # quoting and indentation taken off in turn
SEPARATOR = "|"             # DuplicateSignature's field separator
_MODULE = lazy(r" \[[\w.-]{1,64}\]")  # an old culprit's " [module]"
_FIELD = lazy(r"{(\w+)}")           # a title template's fields
_SPACES = lazy(r"\s+")
MAX_BLOCK_LINES = 400
MAX_FOREIGN_LINES = 200     # other callers' lines in a row within a report
MAX_FRAMES = 64
DETAIL_LINES = 12
LINK_LINES = 4              # the link register's line follows the pointer's
LONE_FRAMES = 2             # frames before a trace's header that are no trace


_ORDER = {kind: index for index, kind in enumerate(K.KINDS)}
_ANY_NEEDLE = lazy("|".join(re.escape(needle) for needle in K.NEEDLES))
_SKIP = names(K.SKIP)
_INSTRUMENTATION = names(K.INSTRUMENTATION)
_FAULT_HANDLING = names(K.FAULT_HANDLING)
_HELPER_FILE = lazy("|".join("(?:%s)" % p for p in K.HELPER_FILES))
_KIND_SKIP = {kind: names(kind.skip) for kind in K.KINDS if kind.skip}
# anchored at the name's start (after underscores and a do_/compat_
# wrapper's prefix): llcp_sock_sendmsg is a protocol's own code, not the
# sock_sendmsg dispatcher
_DISPATCHER = lazy("|".join(
    "(?:%s)" % (d if d.startswith("^") else "^_{0,4}(?:do_|compat_)?(?:%s)" % d)
    for d in K.DISPATCHERS))
_HUNG_SKIP = names(K.HUNG_SKIP)
_SLEEP = names((r"^_{0,3}schedule",))     # where a blocked task sleeps
_LOCK_SITE_SKIP = names(K.LOCK_SITE_SKIP)


class Analysis:
    """What the log says about one crash: the report's fields."""

    def __init__(self):
        self.failure = None         # oops, panic, bug, warning...
        self.headline = None        # the crash's first line
        self.panic_message = None
        self.block = ""             # the crash report's lines
        self.release = None         # crashed kernel, e.g. 6.1.0-56-amd64
        self.build = None           # "#1 SMP PREEMPT_DYNAMIC Debian ..."
        self.taint = None
        self.comm = None
        self.function = None        # the culprit, "func [module]"
        self.frames = []            # of str
        self.title = "Kernel crash"
        self.signature = ""
        self.kind = None            # harvester.crash.kinds name


def _header(text):
    """``(kind, match)`` when a crash report starts on this line."""
    text = text[:MAX_LINE]
    if not _ANY_NEEDLE.search(text):
        return None
    candidates = [kind for needle, kinds in K.NEEDLES.items()
                  if needle in text for kind in kinds]
    for kind in sorted(set(candidates), key=_ORDER.__getitem__):
        match = kind.start.search(text)
        if match:
            return kind, match
    return None


class _Log:
    """The log's lines, and each line's text without its prefix and who
    printed it, split at the first look: most lines hold no crash word
    and are never split (half of a dump's analysis time)."""

    def __init__(self, text):
        header = _PSTORE_HEADER.match(text)
        self.dump_number = int(header.group(1)) if header else 0
        self.first = 1 if header else 0     # the pstore header is no text
        if "\r\r" in text or "\n\r" in text:
            # a serial console's "\r\r\n" or "\n\r": one line end
            text = "\n".join(line.strip("\r") for line in text.split("\n"))
        self.lines = _unquoted(text.splitlines(), self.first)
        self._split, self._seen = [None] * len(self.lines), {}

    def text(self, index):
        return self._parts(index)[1]

    def caller(self, index):
        return self._parts(index)[0]

    def _parts(self, index):
        parts = self._split[index]
        if parts is None:
            parts = self._split[index] = split_prefix(self.lines[index])
        return parts

    def holding(self, word, begin=0):
        """Indexes of the lines whose text holds ``word``, from ``begin``
        (a text is the end of its line: a line without it is not split)."""
        return [i for i in range(begin, len(self.lines))
                if word in self.lines[i] and word in self.text(i)]

    def report(self, start):
        """``(kind, match, line indexes, index after)`` of the report
        whose header is at ``start``."""
        kind, match = self.header(start)
        caller = self.caller(start)
        lines, traced, index = [start], False, start + 1
        while index < len(self.lines) and len(lines) < MAX_BLOCK_LINES:
            if caller and self.caller(index) not in (None, caller):
                # Another task's or CPU's line (two may crash at once):
                # skipped, but a long silence of this caller ends the
                # report, and any crash ends a weak one.
                if index - lines[-1] > MAX_FOREIGN_LINES or (
                        kind.weak and self.header(index)):
                    return kind, match, lines, lines[-1] + 1
                index += 1
                continue
            text = self.text(index)
            if K.END.search(text[:MAX_LINE]) or (
                    kind.end and len(lines) > 2 and kind.end.match(text)):
                lines.append(index)
                if not self._panic_follows(index + 1):
                    return kind, match, lines, index + 1
                index += 1
                continue
            other = self.header(index)
            if other:
                # the die line ("Oops: 0000 [#1]") of a fault whose header
                # came first is the same crash, however many other
                # callers' lines a console printed in between
                head = not traced and not kind.weak and (
                    index - start <= K.HEAD_LINES or (
                        other[0].name in K.DIE_LINES
                        and index - start <= K.DIE_LINES_WITHIN))
                caused = other[0].panic and K.CAUSED_PANIC.search(text)
                if not (head or caused):
                    return kind, match, lines, index
            if not traced and (_CALL_TRACE.search(text[:MAX_LINE]) or (
                    parse_frame(text) and not
                    self.text(index - 1).rstrip().endswith("at:"))):
                traced = True
            lines.append(index)
            index += 1
        return kind, match, lines, index

    def _panic_follows(self, index):
        """A panic the crash caused comes right after its end marker
        (oops_exit, then panic("Fatal exception"))."""
        for number in range(index, min(index + 3, len(self.lines))):
            text, found = self.text(number), self.header(number)
            if found:
                return found[0].panic and K.CAUSED_PANIC.search(text)
        return False

    def reports(self):
        """Every report in the log, in order; each line is in at most one."""
        start = self.first_header()
        while start is not None:
            found = self.report(start)
            yield found
            start = self.first_header(found[3])

    def header(self, index):
        """``_header`` of a line, once per distinct line: a log of one
        repeated line costs one look."""
        line = self.lines[index]
        if len(line) <= 2 * MAX_LINE and not _ANY_NEEDLE.search(line):
            return None         # not in the line, so not in its text
        text = self.text(index)[:MAX_LINE]
        if text not in self._seen:
            self._seen[text] = _header(text)
        return self._seen[text]

    def first_header(self, begin=0):
        for index in range(begin, len(self.lines)):
            if self.header(index):
                return index
        return None


def _unquoted(lines, first=0):
    """A log pasted into mail, a commit message or Markdown: every line
    quoted (``> ``, or ``| ``) or indented alike, perhaps between code
    fences (```` ``` ````, which are blanked); indentation and quoting are
    removed in turn (a quote indented and quoted again), from the lines
    from ``first`` (the pstore header line is the dump's own)."""
    lines = lines[:first] + [
        "" if "```" in line and line.lstrip(" \t>|").startswith("```")
        else line for line in lines[first:]]
    body = [line for line in lines[first:] if line.strip()]
    if not body:
        return lines
    for _ in range(QUOTE_LAYERS):   # a quote indented, quoted again...
        lines, body = _dedented(lines, body, first)
        if not (all(line.startswith(">") for line in body) or
                all(line.startswith("|") for line in body)):
            break
        lines = lines[:first] + [_QUOTE.sub("", line)
                                 for line in lines[first:]]
        body = [line for line in lines[first:] if line.strip()]
        if not body:                # quote marks and nothing else
            return lines
    return _unwrapped(_dedented(lines, body, first)[0], first)


def _dedented(lines, body, first):
    """``(lines, body)`` without the indentation every line of ``body``
    (the non-blank lines from ``first``) shares."""
    indent = min(len(line) - len(line.lstrip(" \t")) for line in body)
    if indent:
        lines = lines[:first] + [line[indent:] for line in lines[first:]]
        body = [line[indent:] for line in body]
    return lines, body


def _whole_symbol(token):
    """``f+0x1c/0x2c`` or ``(f+0x1c/0x2c)``, its parentheses closed."""
    return bool(_SYMBOL_TOKEN.match(token)) and \
        token.startswith("(") == token.endswith(")")


def _unwrapped(lines, first=0):
    """A log a site or terminal hard-wrapped at a fixed width (a forum's
    80 columns, often with a blank line after each line): where a line
    of the longest width, shared by three or more lines, ends in part of
    a "func+0x1c/0x2c" token that the next non-blank line completes, the
    two are joined ("nand_scan_with_i" / "ds+0xb88/0x137c")."""
    widths = list(map(len, lines))
    width = max(widths[first:], default=0)
    if width < WRAP_MIN or widths.count(width) < 3:
        return lines
    cuts, number = [], first
    while number < len(widths):     # list.index: no Python loop per line
        try:
            number = widths.index(width, number)
        except ValueError:
            break
        cuts.append(number)
        number += 1
    lines = list(lines)
    for number in reversed(cuts):   # a joined line may be cut again
        line = lines[number]
        if not line[-1:].strip():
            continue
        following = next((n for n in range(number + 1, len(lines))
                          if lines[n].strip()), None)
        if following is None:
            continue
        cut = line.rsplit(None, 1)[-1]
        rest = lines[following].split(None, 1)
        if rest and not _whole_symbol(cut) and _whole_symbol(cut + rest[0]):
            lines[number] = line + lines[following].lstrip()
            del lines[following]
    return lines


def _choose(log, reason):
    """The dump's own crash report, or None.

    A dump's log is the tail of the kernel log when the dump was made, so
    it may hold earlier crashes that the kernel survived.  A Panic dump is
    about the report its panic line belongs to (the crash that caused the
    panic, or the panic itself; without a panic line, its last oops).  An
    Oops dump is about its oops (the kernel writes dumps for oopses, not
    for WARNINGs): the last one, earlier ones having had dumps of their
    own, or the first for pstore's first dump of a boot (``Oops#1``),
    which no oops can precede; a sanitizer report just before that oops
    names its cause and is taken instead.  Any other log is about its
    first crash, as syzbot reads logs: what follows is usually its
    consequence.  A weak report (a kernel message that may be no bug)
    counts only when nothing else is in the log."""
    reports = log.reports()
    first = next(reports, None)
    if first is None:
        return None
    weak = first
    while first is not None and first[0].weak:
        first = next(reports, None)
    if first is None:
        return weak
    if reason == "Panic":
        panics = [i for i in log.holding("Kernel panic")
                  if _PANIC.search(log.text(i)[:MAX_LINE])]
        everything = [first] + list(reports)
        for found in everything:
            if panics and found[2][0] <= panics[-1] < found[3]:
                return found
        if not panics:          # the panic line is lost: its oops
            return _own_oops(everything, 0) or first
    elif reason == "Oops":
        return _own_oops([first] + list(reports), log.dump_number) or first
    return first


def _own_oops(reports, dump_number):
    """The oops an Oops dump was written for, or the sanitizer report just
    before it that names its cause."""
    oopses = [i for i, found in enumerate(reports) if found[0].dumps]
    if not oopses:
        return None
    which = 0 if dump_number == 1 else len(oopses) - 1
    since = oopses[which - 1] + 1 if which else 0
    causes = [i for i in range(since, oopses[which]) if reports[i][0].cause]
    return reports[causes[0] if causes else oopses[which]]


def analyse(log, reason=None):
    """Analyse a dump's text (bytes or str)."""
    if isinstance(log, bytes):
        log = log.decode("utf-8", "replace")
    log = _Log(log)
    result = Analysis()
    chosen = _choose(log, reason)
    if chosen is None:
        _identify_kernel(result, log, [])
        _unrecognised(result, log, reason)
        return result
    read = _read(log, chosen)
    if read[5] is None and read[0].culprit == "stall":
        chosen, read = _stall_again(log, chosen) or (chosen, read)
    _identify_kernel(result, log, chosen[2])
    kind, match, lines, block, trace, culprit = read
    result.kind = kind.name
    result.comm = match.groupdict().get("task") or result.comm
    result.block = "\n".join(block)
    result.headline = block[0]
    result.failure = kind.failure
    for index in log.holding("Kernel panic", lines[0]):
        panic = _PANIC.search(log.text(index)[:MAX_LINE])
        if panic:
            result.panic_message = panic.group(1).strip()
    result.frames = [str(f) for f in trace if not f.unreliable][:MAX_FRAMES]
    result.function = str(culprit) if culprit else None
    named, key = result.function, culprit and culprit.func
    second = match.groupdict().get("func2")
    if named and second:            # KCSAN: the two racing functions
        named = "%s / %s" % (named, Frame(second))
        key = "%s / %s" % (key, Frame(second).func)
    kind_text, result.title = _title(kind, match, block, named)
    result.signature = signature(kind_text, key)
    return result


def _read(log, chosen):
    """``(kind, match, lines, block, trace, culprit)`` of a report."""
    kind, match, lines = _telling(log, *chosen[:3])
    block = [log.text(i) for i in lines]
    trace = _first_trace(block)
    return kind, match, lines, block, trace, _culprit(kind, match, block,
                                                      trace)


def _stall_again(log, chosen):
    """``(report, read)`` of the next report when it is the same stall
    told again and names its culprit: RCU reports a stall once more as it
    lasts (an expedited grace period's report, whose task dump may show
    no symbol, then the CPU's self-detected one)."""
    start = log.first_header(chosen[3])
    if start is None:
        return None
    report = log.report(start)
    again = _read(log, report)
    if again[0] is chosen[0] and again[5] is not None:
        return report, again
    return None


def _telling(log, kind, match, lines):
    """The report from its most telling header: the first of the headers
    that lead to its die line (a header of a kind seen again closer to
    the die line belongs to an earlier event, such as arm's "Alignment
    trap" and "Unhandled fault" lines of a user fault), else the first
    header after it (a console may print "invalid opcode" before "kernel
    BUG at")."""
    heads = []
    for position, index in enumerate(lines[:K.HEAD_LINES]):
        found = log.header(index)
        if found:
            heads.append((position, found))
        elif position and parse_frame(log.text(index)):
            break
    dies = [n for n, (_, found) in enumerate(heads)
            if found[0].name in K.DIE_LINES]
    telling = [n for n, (_, found) in enumerate(heads)
               if found[0].name not in K.DIE_LINES and not found[0].weak
               and not found[0].panic]
    if not dies or not telling:
        return kind, match, lines
    run, seen = [], set()
    for n in reversed([n for n in telling if n < dies[0]]):
        if heads[n][1][0] in seen:
            break
        seen.add(heads[n][1][0])
        run.append(n)
    position, (kind, match) = heads[run[-1] if run else telling[0]]
    return kind, match, lines[position:]


def signature(kind_text, culprit=None):
    """``kernel|<kind>|<culprit>``: three fields split at "|", which
    neither a kind's words nor a culprit hold (removed from the kind;
    function names never have one); the culprit field is the function's
    name alone (a function built in and as a module is one bug), empty
    when the title names none.  A signature of the form before issue 19,
    ``kernel:<kind>:<culprit>``, is the same with its first ":" and its
    last ":" not inside "::" read as the separators; an older culprit's
    `` [module]`` is dropped (``split_signature``)."""
    kind_text = kind_text.replace(SEPARATOR, "/")
    return SEPARATOR.join(("kernel", kind_text, culprit or ""))


def split_signature(text):
    """``(kind, culprit)`` of a DuplicateSignature, any form: an old one's
    culprit without its `` [module]``s, as signatures now have it."""
    if text.startswith("kernel" + SEPARATOR):
        _, kind_text, culprit = text.split(SEPARATOR, 2)
        return kind_text, _MODULE.sub("", culprit)
    body = text[len("kernel:"):] if text.startswith("kernel:") else text
    cut = len(body)
    while True:
        cut = body.rfind(":", 0, cut)
        if cut < 0:
            return body, ""
        if not (body[cut - 1:cut] == ":" or body[cut + 1:cut + 2] == ":"):
            return body[:cut], _MODULE.sub("", body[cut + 1:])
        cut = cut - 1 if body[cut - 1:cut] == ":" else cut


def _unrecognised(result, log, reason):
    """A log without a crash of a known kind: titled by its first line
    that names a crash, else its last line that says something failed
    (else said to hold no crash report);
    its signature is the kind ``unrecognised`` and a hash of its last
    lines, normalised, so two such logs share one only when they end
    alike."""
    from hashlib import sha256
    result.failure = (reason or "crash").lower()
    result.kind = "unrecognised"
    found = None
    for index in range(log.first, len(log.lines)):
        line = log.lines[index][:2 * MAX_LINE]
        if not (_CRASH_WORD.search(line) or _ERROR_WORD.search(line)):
            continue            # not in the line, so not in its text
        text = log.text(index)[:MAX_LINE]
        if parse_frame(text) or _NOT_AN_ERROR.search(text):
            continue
        if _CRASH_WORD.search(text):
            found = text
            break
        if _ERROR_WORD.search(text):
            found = text        # the last one, unless a crash word follows
    if found is not None:
        line = " ".join(found.split())
        result.headline = line
        result.title = (_normalise(line) or line)[:200]
    else:
        result.title = "Kernel %s without a crash report in the log" % (
            (reason or "dump").lower())
    tail = []
    for index in reversed(range(log.first, len(log.lines))):
        if len(tail) == TAIL_LINES:
            break
        if log.lines[index].strip():
            tail.append(_normalise(log.text(index)[:MAX_LINE]))
    tail = "\n".join(reversed(tail))
    key = sha256(tail.encode("utf-8", "replace")).hexdigest()[:16]
    result.signature = signature("unrecognised", key)


def _identify_kernel(result, log, report_lines):
    """Release, build, taint and task from the report's ``CPU:`` line,
    else the last such line or boot banner in the log, but for the task:
    another task's line never names it (the release from the last line
    that has one when the report's names none)."""
    def parse(index):
        line = log.lines[index]
        if "CPU: " not in line and "Linux version " not in line:
            return None
        text = log.text(index)
        if text.startswith("Linux version "):
            return _BANNER.match(text)
        if not text.startswith("CPU: "):
            return None
        found = _CPU_LINE.match(text)
        if found is None and "ainted" not in text and \
                index + 1 < len(log.lines):     # a comm holding a newline
            found = _CPU_LINE.match(text + " " + log.text(index + 1))
        return found

    def last(wanted):
        for index in reversed(range(len(log.lines))):
            found = parse(index)
            if found and wanted(found):
                return found
        return None
    own = next((m for m in map(parse, report_lines) if m), None)
    match = own or last(lambda found: True)
    if match is None:
        return
    groups = match.groupdict()
    if groups.get("comm") is not None:
        if own:                 # never another task's
            result.comm = groups["comm"]
        result.taint = " ".join((groups.get("taint") or "").split()) or None
    if match.group("release") is None:
        match = last(lambda found: found.group("release"))
        if match is None:
            return
    result.release = match.group("release")
    result.build = match.group("build").strip()


def _first_trace(block):
    """Frames of the report's own stack trace: from its first line to the
    first line of another stack (allocation stacks, other CPUs, lockdep
    chains).  A lone frame after "... at:" is where something was last
    done (preemption disabled, lock taken), not part of the trace."""
    frames, previous, headed = [], "", False
    for text in block[1:]:
        if frames and K.OTHER_STACK.search(text[:MAX_LINE]):
            break
        if not headed and _CALL_TRACE.search(text[:MAX_LINE]):
            headed = True
            if len(frames) <= LONE_FRAMES:
                # a site printed before the trace's header whose "... at:"
                # line was lost ("Preemption disabled at:"): not the trace
                frames = []
        frame = parse_frame(text)
        if frame and not previous.rstrip().endswith("at:"):
            frames.append(frame)
        previous = text
    return trace_frames(frames)


def _backtrace(block):
    """Frames after lockdep's "stack backtrace:" (or the first "Call
    Trace:"), never those of its chains and lists before it."""
    for number, text in enumerate(block):
        if _STACK_BACKTRACE.search(text[:MAX_LINE]):
            return _first_trace(block[number:])
    return []


def _skipped(frame, extra=None):
    """Report plumbing or a generic helper (or one the kind skips), by its
    name or, where the log names it, by its source file."""
    return bool(_SKIP.search(frame.func)
                or (frame.file and _HELPER_FILE.match(frame.file))
                or (extra and extra.search(frame.func)))


def _meaningful(frames, kind):
    """The first frame that is not skipped, after the exception entry when
    the trace shows how the crash was reported (die notifiers, the WARN
    trap): what ran before the entry is the kernel reporting."""
    entries = [i for i, f in enumerate(frames[:-1])
               if not f.unreliable and K.EXCEPTION_ENTRY.search(f.func)]
    if entries:
        frames = frames[entries[-1] + 1:]
    extra = _KIND_SKIP.get(kind)
    for frame in frames:
        if not frame.unreliable and not _skipped(frame, extra):
            return frame
    reliable = [f for f in frames if not f.unreliable]
    if reliable and K.EXCEPTION_ENTRY.search(reliable[-1].func):
        # nothing of the kernel below the entry: a user-space fault, and
        # the check fired in the kernel's own handling of it
        for frame in reliable:
            if _FAULT_HANDLING.search(frame.func) and not (
                    extra and extra.search(frame.func)):
                return frame
    return None


def _culprit(kind, match, block, trace):
    """The culprit by the kind's rule, else the function the first line
    names."""
    culprit = _by_rule(kind, match, block, trace)
    if culprit is None and kind.culprit != "none":
        named = _HEAD_FUNC.search(block[0][:MAX_LINE])
        if named:
            culprit = Frame(named.group(1))
    return culprit


def _by_rule(kind, match, block, trace):
    rule = kind.culprit
    if rule == "none":
        return None
    if rule == "head":
        func = match.groupdict().get("func")
        frame = None
        if func:
            where = _HEAD_FILE.search(block[0][:MAX_LINE])
            frame = Frame(func, file=where and where.group("file"))
            if not _skipped(frame, _KIND_SKIP.get(kind)):
                return frame
        # a helper the header names is named only when no caller is shown
        return _meaningful(trace, kind) or _ip(block) or frame
    if rule == "ip":
        # a helper that faulted is named only when no caller is shown
        return (_ip(block) or _jumped_from(block) or _meaningful(trace, kind)
                or _ip(block, True))
    if rule == "lock":
        return (_lock_site(block, kind) or _meaningful(_backtrace(block), kind)
                or _meaningful(trace, kind))
    if rule == "irqsafe":
        return _meaningful(trace, kind) or _lock_site(block, kind)
    if rule == "overflow":
        return _stall(block, _KIND_SKIP.get(kind), overflow=True) or _ip(block)
    if rule == "stall":
        if _elsewhere(block):
            return None
        found = _stall(block, _KIND_SKIP.get(kind))
        if found is False:
            return None
        return found or _meaningful(
            _first_trace(_without_rcu_kthread(block)), kind)
    if rule == "hung":
        return _hung(trace)
    if rule == "leak":
        for text in block[:20]:
            found = _LAST_FUNCTION.search(text)
            if found:
                return Frame(found.group("func"))
        return _meaningful(trace, kind)
    return _meaningful(trace, kind) or _ip(block)


def _ip(block, helper=False):
    """The faulting function, when the instruction pointer is in one
    that is not plumbing or a generic helper (or any, with ``helper``).
    A helper that calls nothing (memset, a string primitive) leaves its
    caller's return address in the link register, and an unwinder that
    walks frame records skips that caller: the link register's function,
    when it is another one and no helper, is the culprit.  A sanitizer's
    compiler-inserted check is not such a helper: the trace shows the
    function it checks."""
    for number, text in enumerate(block[:80]):
        frame = parse_ip(text)
        if not frame:
            continue
        if not _skipped(frame) or helper:
            return frame
        if _INSTRUMENTATION.search(frame.func):
            return None
        for ahead in block[number + 1:number + 1 + LINK_LINES]:
            link = parse_ip(ahead)
            if link and link.maybe:
                if link.func != frame.func and not _skipped(link):
                    return Frame(link.func, link.module)
                break
        return None
    return None


def _jumped_from(block):
    """s390's "Last Breaking-Event-Address": the branch that reached a
    PSW address with no symbol (a call through a NULL or bad pointer) is
    in the function that made the call."""
    if not any(_PSW_NO_SYMBOL.search(text[:MAX_LINE]) for text in block[:40]):
        return None
    for number, text in enumerate(block[:-1]):
        if _BREAKING_EVENT.search(text[:MAX_LINE]):
            frame = parse_frame(block[number + 1])
            return frame if frame and not _skipped(frame) else None
    return None


def _lock_site(block, kind):
    """lockdep's ``at: f+0x..`` (the frame is on the next line when the
    line ends in ``at:``) where it names the lock being taken or released,
    else the lock the task already holds; a lock primitive, an annotation
    or a pseudo-lock's wait there is passed over, but not the function
    that takes the lock, helper or not.  The lists of held locks and the
    dependency chains are never read (but for the held-locks kinds, whose
    report is that list)."""
    held_kind = kind.name in ("locks-held", "lock-held-return")
    marker = _HELD_LIST if held_kind else _ACQUIRE
    for number, text in enumerate(block[:80]):
        head = text[:MAX_LINE]
        if _STACK_BACKTRACE.search(head) or (
                not held_kind and number and _CHAIN.search(head)):
            return None
        if not marker.search(head):
            continue
        # the site's lines: "..., at: f" once per inlined function
        for ahead in range(number, min(number + 8, len(block))):
            line = block[ahead]
            if line.rstrip().endswith("at:") and ahead + 1 < len(block):
                line = block[ahead + 1]
                frame = parse_frame(line)
            else:
                found = _LOCK_AT.search(line[:MAX_LINE])
                frame = found and parse_frame(found.group("frame"))
                if not frame and ahead > number + 1:
                    break
            if frame and not _LOCK_SITE_SKIP.search(frame.func) and not (
                    "[inline]" in line
                    and K.INLINE_LOCK_WRAPPER.search(frame.func)):
                return frame
    return None


def _stall_lines(block, own):
    """The lines of the stalled CPU's trace, never the trace of the panic
    the stall led to (once a trace was seen): the NMI backtrace or task
    dump of a CPU the report lists as stalled (never the reporting CPU's
    own, unless ``own``: it is the stalled one, as in a soft or hard
    lockup or RCU's self-detected stall); else, when another CPU
    reported, the first trace of another CPU; else the first trace."""
    stalled, reporter, starts, traced = [], None, [], False
    for number, text in enumerate(block):
        head = text[:MAX_LINE]
        if head.startswith("Kernel panic") and traced:
            block = block[:number]      # the panic's own trace follows
            break
        traced = traced or bool(parse_frame(text))
        found = _STALLED_CPU.search(head)
        if found:
            stalled.append(int(next(g for g in found.groups() if g)))
        sending = _SENDING_NMI.search(head)
        if sending and reporter is None:
            reporter = int(sending.group("cpu"))
        segment = _CPU_SEGMENT.search(head)
        if segment:
            starts.append((number, int(next(g for g in segment.groups()
                                              if g))))
        elif head.startswith("CPU: "):
            # a CPU's own dump (s390's self-detected stall: show_regs and
            # its trace), unless it opens the segment just begun
            cpu = head[5:].split(" ", 1)[0]
            if cpu.isdigit() and not (starts and starts[-1][1] == int(cpu)):
                starts.append((number, int(cpu)))
    for position, (number, cpu) in enumerate(starts):
        if cpu in stalled and (own or cpu != reporter):
            end = starts[position + 1][0] if position + 1 < len(starts) \
                else len(block)
            return block[number:end]
    others = [number for number, cpu in starts if cpu != reporter]
    if not own and reporter is not None and others:
        return block[others[0]:]
    return block


def _stall(block, extra_skip, overflow=False):
    """The function looping, in the stalled CPU's trace: the interrupted
    task's (below the first interrupt entry, for RCU stalls or when the
    detector's frames show: its tick found the task there), named by the
    frame just before its first dispatcher; when that task is only the
    idle loop, or the trace shows the stuck code itself (a lockup), the
    interrupt's or the trace's own frames by the same rule (a timer, tasklet or packet handler: the frame just before
    call_timer_fn, tasklet_action, netif_receive_skb).  For a stack
    overflow (``overflow``) the function that recurses is named (the
    outermost frame shown of the cycle that repeats), else the same
    dispatcher rule.  False when the stalled CPU was idle, or the trace
    ends in the detector's tick, and no interrupt shows stuck code
    (nothing to name, not even a fallback)."""
    irq, task, ignoring, detector = [], None, False, False
    # RCU reports from its timer tick (its own or, by NMI, another CPU's):
    # what that tick interrupted is the stalled code.  A lockup report
    # shows the stuck code itself, unless the detector's frames show.
    rcu = "rcu_" in block[0]
    own = not overflow and ("self-detected" in block[0]
                            or "LOCKUP" in block[0] or "lockup" in block[0])
    lines = block[1:] if overflow else _stall_lines(block[1:], own)
    for text in lines:
        head = text[:MAX_LINE]
        if ignoring:            # RCU's own kthread, not the stalled code
            ignoring = not K.CPU_TRACE.search(head)
        elif K.OTHER_TRACE.search(head) and (irq or task):
            break
        if K.RCU_KTHREAD.search(head):
            ignoring = True
        interrupted = not ignoring and K.INTERRUPTED.match(head)
        if interrupted:         # powerpc: the interrupted context follows
            timer = interrupted.group("code") in ("900", "901")
            if task is None and (rcu or detector or timer):
                task = []
            if interrupted.group("func"):
                (irq if task is None else task).append(
                    Frame(interrupted.group("func")))
            continue
        frame = parse_ip(text) or parse_frame(text)
        if ignoring or frame is None or frame.unreliable or frame.maybe:
            continue
        detector = detector or bool(K.STALL_DETECTOR.search(frame.func))
        if not overflow and K.IRQ_ENTRY.search(frame.func):
            if task is None and (rcu or detector):
                task = []       # what the first interrupt interrupted
            continue
        (irq if task is None else task).append(frame)
    if overflow:
        frames = trace_frames(irq)
        recursing = _recursing([f for f in frames
                                if not _skipped(f, extra_skip)])
        return _dispatched(frames, extra_skip, True) or recursing
    found = _dispatched(trace_frames(task or []), extra_skip)
    if found is None or K.IDLE.search(found.func):
        idle = found is not None
        found = _dispatched(trace_frames(irq), extra_skip)
        if found is None and (idle or task is not None or detector):
            # an idle CPU, or a trace cut below the detector's tick (also
            # before the interrupt's entry): the trace shows only the
            # reporting path, nothing stuck
            return False
    if found is not None and K.IDLE.search(found.func):
        return False        # the stalled CPU's own registers: in the idle loop
    return found


def _without_rcu_kthread(block):
    """The report without RCU's grace-period kthread dump (from "kthread
    starved" or its stack dump to the next CPU's trace): the kthread that
    waits for the stalled CPUs is never the stalled code."""
    kept, ignoring = [], False
    for text in block:
        head = text[:MAX_LINE]
        if ignoring:
            ignoring = not K.CPU_TRACE.search(head)
        if not ignoring and K.RCU_KTHREAD.search(head):
            ignoring = True
        if not ignoring:
            kept.append(text)
    return kept


def _elsewhere(block):
    """A lockup another CPU reported (a buddy watchdog's "hard LOCKUP on
    cpu 0" from CPU 7) without a trace of the locked CPU: the trace shown
    is the reporter's timer path, which names no culprit."""
    named = _STALLED_CPU.search(block[0][:MAX_LINE])
    if not named:
        return False
    stalled = int(next(g for g in named.groups() if g))
    for text in block[1:60]:
        segment = _CPU_SEGMENT.search(text[:MAX_LINE])
        if segment and int(next(g for g in segment.groups() if g)) == stalled:
            return False
        own = _CPU_LINE.match(text[:MAX_LINE])
        if own:
            return not text.startswith("CPU: %d " % stalled)
    return False


def _dispatched(frames, extra_skip, overflow=False):
    """The frame just before the first dispatcher (skipping helpers),
    ``smp_call_function`` for its family; without a dispatcher the first
    frame kept (None for an overflow, which has the guard's frame).  A
    dispatcher that ran the stall detector itself (the tick's hrtimer
    running update_process_times) is the reporting CPU's timer path:
    nothing stalled there, None."""
    previous, detector = None, False
    for frame in frames:
        named_skip = _SKIP.search(frame.func) or (
            extra_skip and extra_skip.search(frame.func))
        if _DISPATCHER.search(frame.func) and not named_skip:
            # a dispatcher in a helper's file (kernel/time/timer.c's
            # timer softirq) is still a dispatcher
            if frame.func.startswith("smp_call_function"):
                return Frame("smp_call_function")
            if previous is None and detector:
                return None
            if previous or not overflow:
                return previous or frame
        elif K.STALL_DETECTOR.search(frame.func):
            detector = True
        elif not _skipped(frame, extra_skip):
            previous = frame
    kept = [f for f in frames if not _skipped(f, extra_skip)
            and not K.STALL_DETECTOR.search(f.func)]
    return kept[0] if kept and not overflow else None


def _recursing(frames):
    """The outermost frame shown of a function that recurs (three times
    or more) in a stack overflow's trace, else None."""
    counts = {}
    for frame in frames:
        counts[frame.func] = counts.get(frame.func, 0) + 1
    recurring = [f for f in frames if counts[f.func] >= 3]
    return recurring[-1] if recurring else None


def _hung(trace):
    """The first frame of the blocked task that is not a wait, or the
    bucket of everything waiting for RCU or the RTNL."""
    reliable = [f for f in trace if not (f.unreliable or f.maybe)]
    if not reliable and trace and _SLEEP.search(trace[0].func):
        # a stack scanned without frame pointers marks every frame "? ";
        # one that starts in the scheduler is the sleeping task's own
        reliable = [f for f in trace if not f.maybe]
    for frame in reliable:
        for pattern, bucket in K.HUNG_BUCKETS:
            if pattern.search(frame.func):
                return Frame(bucket)
    for frame in reliable:
        if not _HUNG_SKIP.search(frame.func) and not _skipped(frame):
            return frame
    return None


# The kernel's words for one thing, as syzbot titles name it.
_WHAT = {"NULL pointer": "NULL pointer dereference",    # a wrapped line
         "page fault": "paging request", "data access": "paging request",
         "instruction fetch": "paging request",
         "unaligned access": "paging request",
         "unknown paging fault": "paging request",
         "pointer dereference": "paging request",
         "double-free or invalid-free": "invalid-free"}


def _title(kind, match, block, culprit):
    """``(the kind's words, the title)``."""
    groups = {k: v for k, v in match.groupdict().items() if v is not None}
    if kind.detail:
        for text in block[1:DETAIL_LINES]:
            found = kind.detail.search(text[:MAX_LINE])
            if found:
                groups.update({k: v for k, v in found.groupdict().items()
                               if v is not None})
                break
    what = groups.get("what") or groups.get("what2") or groups.get("what3") \
        or ""
    groups.setdefault("level", groups.get("level2") or kind.level)
    what = _WHAT.get(what, what)
    if kind.name == "ubsan":
        what = what.lower().replace(" ", "-")
    what = _normalise(what)
    if kind.lower:
        what = what[:1].lower() + what[1:]
    groups["what"] = what
    words = kind.title.split(" in {culprit}")[0]
    values = {key: groups.get(key, "") for key in
              _FIELD.findall(words)}
    kind_text = " ".join(words.format(**values).split()).rstrip(" :")
    if culprit:
        title = "%s in %s" % (kind_text, culprit) \
            if "{culprit}" in kind.title else kind_text
    else:
        title = kind_text
    return kind_text[:200], title[:200]


def _normalise(text):
    """Remove what changes between occurrences of the same bug."""
    text = _DEVICE.sub(r"\1", _VOLATILE.sub("", text))
    return _SPACES.sub(" ", text).strip(" :,.-")
