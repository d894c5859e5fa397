"""What a dump says: the crash block, kernel release, faulting function,
call trace, title and a duplicate signature.

The log of a Panic dump usually holds the earlier Oops of the same boot
too; each dump is analysed for the crash that *triggered* it: the last
crash marker before the end, or for a panic the panic line and what led
straight to it.  Everything here works line by line on bounded text.
"""

import re
from dataclasses import dataclass, field
from typing import List, Optional

from .prefixes import strip_prefix

_MARKERS = re.compile(
    r"^(?:BUG: |Oops: |Oops\b|kernel BUG at |WARNING: |"
    r"general protection fault|Unable to handle kernel |"
    r"Internal error: |Kernel panic - not syncing: |"
    r"watchdog: BUG: |INFO: task .* blocked for more than|"
    r"divide error: |invalid opcode: )")
_PANIC = re.compile(r"^Kernel panic - not syncing: ?(.*)")
_END = re.compile(r"^---\[ end (?:trace|Kernel panic)")
# uname -r as kernels build it; anything else is not trusted as a release
# (it becomes the report's Package and file name).
_RELEASE = r"\d{1,3}\.\d{1,3}[0-9A-Za-z.+~_-]{0,64}"
_CPU_LINE = re.compile(
    r"^CPU: \d+ (?:UID: \d+ )?PID: \d+ Comm: (?P<comm>.{0,16}?) "
    r"(?:Not tainted|Tainted: (?P<taint>[A-Z ]{1,40}?)) +"
    r"(?P<release>%s) (?P<build>#.{0,120})$" % _RELEASE)
_BANNER = re.compile(r"^Linux version (?P<release>%s) .{0,200}?"
                     r"(?P<build>#\d.{0,120})$" % _RELEASE)
_IP = re.compile(r"^(?:RIP: [0-9a-f]{4}:|pc : |PC is at |NIP \[[0-9a-f]+\] |"
                 r"EIP: (?:[0-9a-f]{4}:)?\[<[0-9a-f]+>\] )"
                 r"(?P<func>[A-Za-z0-9_.$]+)\+0x[0-9a-f]+/0x[0-9a-f]+"
                 r"(?: \[(?P<mod>[A-Za-z0-9_]+)\])?")
_FRAME = re.compile(r"^\s+(?:\[<[0-9a-f]+>\] )?(?P<unreliable>\? )?"
                    r"(?P<func>[A-Za-z0-9_.$]+)\+0x[0-9a-f]+/0x[0-9a-f]+"
                    r"(?: \[(?P<mod>[A-Za-z0-9_]+)\])?")
_VOLATILE = re.compile(r"\b0x[0-9a-fA-F]+\b|\b[0-9a-fA-F]{8,}\b|\b\d+\b")
MAX_BLOCK_LINES = 400
TOP_FRAMES = 5


@dataclass
class Analysis:
    failure: Optional[str] = None        # oops, panic, bug, warning...
    headline: Optional[str] = None       # the crash's first line
    panic_message: Optional[str] = None
    block: str = ""                      # the oops/panic block
    release: Optional[str] = None        # crashed kernel, e.g. 6.1.0-56-amd64
    build: Optional[str] = None          # "#1 SMP PREEMPT_DYNAMIC Debian ..."
    taint: Optional[str] = None
    comm: Optional[str] = None
    function: Optional[str] = None       # faulting function, "func [module]"
    frames: List[str] = field(default_factory=list)
    title: str = "Kernel crash"
    signature: str = ""


def _failure_kind(headline):
    if headline.startswith("Kernel panic"):
        return "panic"
    if headline.startswith("WARNING:"):
        return "warning"
    if headline.startswith(("kernel BUG", "BUG:", "watchdog: BUG")):
        return "bug"
    if headline.startswith("INFO: task"):
        return "hung task"
    return "oops"


def _frame_name(match):
    mod = match.group("mod")
    return "%s [%s]" % (match.group("func"), mod) if mod else match.group("func")


def _crash_start(lines, reason):
    """Index of the first line of the crash that triggered this dump."""
    markers = [i for i, line in enumerate(lines) if _MARKERS.match(line)]
    if not markers:
        return None
    panics = [i for i in markers if _PANIC.match(lines[i])]
    if reason == "Panic" and panics:
        panic = panics[-1]
        # The oops that led to the panic, if nothing ended it in between.
        before = [i for i in markers if i < panic and not _PANIC.match(lines[i])]
        if before and not any(_END.match(l) for l in lines[before[-1]:panic]):
            return _block_head(lines, markers, before[-1])
        return panic
    candidates = [i for i in markers if not _PANIC.match(lines[i])] or markers
    return _block_head(lines, markers, candidates[-1])


def _block_head(lines, markers, index):
    """A crash often prints several marker lines in a row (BUG:, #PF,
    Oops:); step back to the first of them."""
    while True:
        earlier = [i for i in markers if index - 8 <= i < index]
        if not earlier or any(_END.match(l) for l in lines[earlier[-1]:index]):
            return index
        index = earlier[-1]


def analyse(log, reason=None):
    """Analyse a dump's text (bytes or str)."""
    if isinstance(log, bytes):
        log = log.decode("utf-8", "replace")
    lines = [strip_prefix(line) for line in log.splitlines()]
    result = Analysis()
    for line in lines:
        match = _CPU_LINE.match(line) or _BANNER.match(line)
        if match:
            result.release = match.group("release")
            result.build = match.group("build").strip()
            groups = match.groupdict()
            if groups.get("comm") is not None:
                result.comm = groups["comm"]
                result.taint = " ".join((groups.get("taint") or "").split()) \
                    or None
    start = _crash_start(lines, reason)
    if start is None:
        result.failure = (reason or "crash").lower()
        result.title = "Kernel %s without a crash report in the log" % (
            (reason or "dump").lower())
        result.signature = "kernel:%s:no-crash-marker" % result.failure
        return result
    block = []
    for line in lines[start:start + MAX_BLOCK_LINES]:
        block.append(line)
        if _END.match(line):
            break
    result.block = "\n".join(block)
    result.headline = block[0]
    result.failure = _failure_kind(result.headline)
    panic_lines = [l for l in lines[start:] if _PANIC.match(l)]
    if panic_lines:
        result.panic_message = _PANIC.match(panic_lines[-1]).group(1)
    for line in block:
        match = _IP.match(line)
        if match and not result.function:
            result.function = _frame_name(match)
        frame = _FRAME.match(line)
        if frame and not frame.group("unreliable"):
            result.frames.append(_frame_name(frame))
    result.title = _title(result)
    result.signature = _signature(result)
    return result


def _normalise(text):
    """Remove what changes between occurrences of the same bug."""
    return re.sub(r"\s+", " ", _VOLATILE.sub("", text)).strip(" :,")


def _title(result):
    head = result.headline
    if result.failure == "panic":
        title = "Kernel panic - not syncing: %s" % (result.panic_message or "")
    else:
        title = _normalise(head.split(", address:")[0])
    if result.function:
        title += " in %s" % result.function
    return title[:200]


def _signature(result):
    parts = ["kernel", result.failure,
             _normalise(result.headline.split(", address:")[0])]
    if result.function:
        parts.append(result.function)
    parts.extend(f for f in result.frames[:TOP_FRAMES] if f != result.function)
    return ":".join(parts)[:500]
