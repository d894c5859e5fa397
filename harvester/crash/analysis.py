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
from dataclasses import dataclass, field

from parsers.patterns import lazy

from . import kinds as K
from .frames import MAX_LINE, Frame, parse_frame, parse_ip
from .prefixes import split_prefix, strip_prefix  # noqa: F401 (re-exported)

# uname -r as kernels build it; anything else is not trusted as a release
# (it becomes the report's Package and file name).
_RELEASE = r"\d{1,3}\.\d{1,3}[0-9A-Za-z.+~_-]{0,64}"
_CPU_LINE = lazy(
    r"^CPU: \d+ (?:UID: \d+ )?PID: \d+ Comm: (?P<comm>.{0,16}?) (?:Kdump: loaded )?"
    r"(?:Not tainted|Tainted: (?P<taint>[A-Z ]{1,40}?)) +"
    r"(?P<release>%s) (?P<build>#.{0,120})$" % _RELEASE)
_BANNER = lazy(r"^Linux version (?P<release>%s) .{0,200}?"
               r"(?P<build>#\d.{0,120})$" % _RELEASE)
_PSTORE_HEADER = lazy(r"[A-Za-z]{1,16}#(\d{1,9}) Part\d{1,9}\n")
_PANIC = lazy(r"Kernel panic - not syncing: ?(.{0,400})")
# Numbers, addresses and key=value fields ("exitcode=0x00007f00").
_VOLATILE = lazy(r"\b[A-Za-z_]{1,20}=\S*|\b0x[0-9a-fA-F]+\b|"
                 r"\b[0-9a-fA-F]{8,}\b|\b\d+\b")
_LOCK_AT = lazy(r"\bat: (?:\[<[0-9a-f]{1,16}>\] )?(?P<frame>.{1,300})")
_LAST_FUNCTION = lazy(r"last function: (?P<func>[A-Za-z_][\w.]{0,200})")
_CALL_TRACE = lazy(r"Call [Tt]race|Backtrace:|stack backtrace:")
_HEAD_FUNC = lazy(r"\b(?:in|at) ([A-Za-z_][\w.]{1,200})\+0x")
_FIELD = lazy(r"{(\w+)}")           # a title template's fields
_SPACES = lazy(r"\s+")
MAX_BLOCK_LINES = 400
MAX_FOREIGN_LINES = 200     # other callers' lines in a row within a report
MAX_FRAMES = 64
DETAIL_LINES = 12


_ORDER = {kind: index for index, kind in enumerate(K.KINDS)}
_ANY_NEEDLE = lazy("|".join(re.escape(needle) for needle in K.NEEDLES))
_SKIP = lazy("|".join(K.SKIP))
_KIND_SKIP = {kind: lazy("|".join(kind.skip)) for kind in K.KINDS if kind.skip}
_DISPATCHER = lazy("|".join(K.DISPATCHERS))
_HUNG_SKIP = lazy("|".join(K.HUNG_SKIP))


@dataclass
class Analysis:
    failure: str | None = None          # oops, panic, bug, warning...
    headline: str | None = None         # the crash's first line
    panic_message: str | None = None
    block: str = ""                     # the crash report's lines
    release: str | None = None          # crashed kernel, e.g. 6.1.0-56-amd64
    build: str | None = None            # "#1 SMP PREEMPT_DYNAMIC Debian ..."
    taint: str | None = None
    comm: str | None = None
    function: str | None = None         # the culprit, "func [module]"
    frames: list = field(default_factory=list)      # of str
    title: str = "Kernel crash"
    signature: str = ""
    kind: str | None = None             # harvester.crash.kinds name


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
        self.lines = text.splitlines()
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
                head = (not traced and not kind.weak
                        and index - start <= K.HEAD_LINES)
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
    lines = chosen[2] if chosen else []
    _identify_kernel(result, log, lines)
    if chosen is None:
        result.failure = (reason or "crash").lower()
        result.title = "Kernel %s without a crash report in the log" % (
            (reason or "dump").lower())
        result.signature = "kernel:%s:no-crash-marker" % result.failure
        return result
    kind, match, lines, _ = chosen
    block = [log.text(i) for i in lines]
    result.kind = kind.name
    result.block = "\n".join(block)
    result.headline = block[0]
    result.failure = kind.failure
    for index in log.holding("Kernel panic", lines[0]):
        panic = _PANIC.search(log.text(index)[:MAX_LINE])
        if panic:
            result.panic_message = panic.group(1).strip()
    trace = _first_trace(block)
    result.frames = [str(f) for f in trace if not f.unreliable][:MAX_FRAMES]
    culprit = _culprit(kind, match, block, trace)
    result.function = str(culprit) if culprit else None
    kind_text, result.title = _title(kind, match, block, result.function)
    result.signature = "kernel:%s:%s" % (kind_text, result.function or "")
    return result


def _identify_kernel(result, log, report_lines):
    """Release, build, taint and task from the report's ``CPU:`` line,
    else the last such line or boot banner in the log."""
    def parse(index):
        line = log.lines[index]
        if "CPU: " not in line and "Linux version " not in line:
            return None
        text = log.text(index)
        if text.startswith("CPU: ") or text.startswith("Linux version "):
            return _CPU_LINE.match(text) or _BANNER.match(text)
        return None
    match = None
    for index in report_lines[:60]:
        match = parse(index)
        if match:
            break
    if match is None:
        for index in reversed(range(len(log.lines))):
            match = parse(index)
            if match:
                break
    if match is None:
        return
    result.release = match.group("release")
    result.build = match.group("build").strip()
    groups = match.groupdict()
    if groups.get("comm") is not None:
        result.comm = groups["comm"]
        result.taint = " ".join((groups.get("taint") or "").split()) or None


def _first_trace(block):
    """Frames of the report's own stack trace: from its first line to the
    first line of another stack (allocation stacks, other CPUs, lockdep
    chains).  A lone frame after "... at:" is where something was last
    done (preemption disabled, lock taken), not part of the trace."""
    frames, previous = [], ""
    for text in block[1:]:
        if frames and K.OTHER_STACK.search(text[:MAX_LINE]):
            break
        frame = parse_frame(text)
        if frame and not previous.rstrip().endswith("at:"):
            frames.append(frame)
        previous = text
    return frames


def _skipped(frame, extra=None):
    """Report plumbing or a generic helper (or one the kind skips)."""
    return bool(_SKIP.search(frame.func) or (extra and extra.search(frame.func)))


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
        if func:
            frame = Frame(func)
            if not _skipped(frame):
                return frame
        return _meaningful(trace, kind) or _ip(block)
    if rule == "ip":
        return _ip(block) or _meaningful(trace, kind)
    if rule == "lock":
        return _lock_site(block) or _meaningful(trace, kind)
    if rule == "stall":
        return _stall(block, _KIND_SKIP.get(kind)) or _meaningful(trace, kind)
    if rule == "hung":
        return _hung(trace)
    if rule == "leak":
        for text in block[:20]:
            found = _LAST_FUNCTION.search(text)
            if found:
                return Frame(found.group("func"))
        return _meaningful(trace, kind)
    return _meaningful(trace, kind) or _ip(block)


def _ip(block):
    """The faulting function, when the instruction pointer is in one
    that is not plumbing or a generic helper."""
    for text in block[:80]:
        frame = parse_ip(text)
        if frame:
            return None if _skipped(frame) else frame
    return None


def _lock_site(block):
    """lockdep's ``at: f+0x..`` for the lock being taken or released (the
    frame is on the next line when the line ends in ``at:``), skipping
    locking helpers."""
    for number, text in enumerate(block[1:60], 1):
        if _CALL_TRACE.search(text[:MAX_LINE]):
            return None
        if text.rstrip().endswith("at:") and number + 1 < len(block):
            frame = parse_frame(block[number + 1])
        else:
            found = _LOCK_AT.search(text[:MAX_LINE])
            frame = found and parse_frame(found.group("frame"))
        if frame and not _skipped(frame):
            return frame
    return None


def _stall(block, extra_skip):
    """The function looping: the frame before the first dispatcher in the
    interrupted code's trace.  When the trace starts in the detector (RCU
    dumping this CPU's stack from its timer tick), frames up to that
    timer interrupt's entry are dropped; a later interrupt's frames (a
    timer or tasklet in its softirq) may be the loop."""
    frames, ignoring, detector, interrupted = [], False, False, False
    for text in block[1:]:
        head = text[:MAX_LINE]
        if ignoring:            # RCU's own kthread, not the stalled code
            ignoring = not K.CPU_TRACE.search(head)
        elif K.OTHER_TRACE.search(head) and frames:
            break
        if K.RCU_KTHREAD.search(head):
            ignoring = True
        frame = parse_ip(text) or parse_frame(text)
        if ignoring or frame is None or frame.unreliable or frame.maybe:
            continue
        detector = detector or bool(K.STALL_DETECTOR.search(frame.func))
        if K.IRQ_ENTRY.search(frame.func):
            if detector and not interrupted:    # the detector's interrupt
                frames, interrupted = [], True
        elif not _skipped(frame, extra_skip):
            frames.append(frame)
    previous = None
    for frame in frames:
        if _DISPATCHER.search(frame.func):
            if frame.func.startswith("smp_call_function"):
                return Frame("smp_call_function")
            return previous or frame
        previous = frame
    return frames[0] if frames else None


def _hung(trace):
    """The first frame of the blocked task that is not a wait, or the
    bucket of everything waiting for RCU or the RTNL."""
    reliable = [f for f in trace if not (f.unreliable or f.maybe)]
    for frame in reliable:
        for pattern, bucket in K.HUNG_BUCKETS:
            if pattern.search(frame.func):
                return Frame(bucket)
    for frame in reliable:
        if not _HUNG_SKIP.search(frame.func) and not _skipped(frame):
            return frame
    return None


# The kernel's words for one thing, as syzbot titles name it.
_WHAT = {"page fault": "paging request", "data access": "paging request",
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
    groups.setdefault("level", groups.get("level2", ""))
    what = _WHAT.get(what, what)
    if kind.name == "ubsan":
        what = what.lower().replace(" ", "-")
    groups["what"] = _normalise(what)
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
    return _SPACES.sub(" ", _VOLATILE.sub("", text)).strip(" :,.-")
