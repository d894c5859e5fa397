"""Stack-trace lines as the kernel prints them, on every architecture.

One frame per line; what the line looks like depends on the arch and the
kernel's age (arch/*/kernel/traps.c, dumpstack.c, lib/dump_stack.c):

    x86-64, arm64 (5.x+)    " func+0x1c/0x2c [mod]"      "? " if unreliable
    old x86-64, i386        " [<ffffffff8123>] func+0x1c/0x2c", the first
                            frame of an interrupt's or of what it
                            interrupted after " <IRQ> " or " <EOI> "
                            (before 4.9, dumpstack_64.c)
    riscv, mips, old arm64  "[<ffffffff8123>] func+0x1c/0x2c" (no indent)
    arm32                   " func from caller+0x1/0x2" (6.x), with
                            CONFIG_BACKTRACE_VERBOSE or before 5.x
                            "[<c0123>] (func) from [<c0456>] (caller+0x1/0x2)"
    powerpc                 "[c0000000012f] [c00000001234] func+0x1c/0x2c"
                            with " (unreliable)" appended to the first frame;
                            ELF v1 ABI kernels print ".func+0x1c/0x2c"
    s390                    " [<000000012345>] func+0x1c/0x2c", the return
                            register's frame in parentheses
                            "([<0000012345>] func+...)"
    2.6.2x x86-64           " [<ffffffffa0099645>] :module:func+0x1c/0x2c"
    symbolised (syzbot)     " func+0x1c/0x2c fs/x.c:12" and inlined frames
                            (the source file is kept: it tells a frame's role)
                            " func fs/x.c:12 [inline]"
    decode_stacktrace.sh    " func (fs/x.c:12 fs/y.c:34)", inlined callees'
                            lines first: the last file is the function's

x86's "? " frames are garbage (words found by scanning the stack).
powerpc's "(unreliable)" and s390's parentheses mark a ``maybe`` frame:
the first caller, read from the link or return register, which the
function may not have saved yet (arch/powerpc/kernel/process.c
show_stack, arch/s390/kernel/dumpstack.c).  In a crashing task it is the
best evidence of who called a function that jumped to a bad address; in
a sleeping or interrupted task (hung tasks, stalls) it is stale.

Everything is bounded: names are at most 256 characters and only the
first 512 characters of a line are looked at.
"""

from parsers.patterns import lazy

from .rust import demangle

MAX_LINE = 512
_NAME = r"\.?[A-Za-z_$<][A-Za-z0-9_.$<>:]{0,255}"
# decode_stacktrace.sh puts the source lines in place of "+0x1c/0x2c".
_MAYBE_TAIL = lazy(r"\(unreliable\)\s*$")
_DECODED = (r" \((?:[^\s():]{1,200}:\d{1,7} ?){1,8}"
            r"(?:\(discriminator \d{1,6}\))?\)")

_FILE = r"(?P<%s>[A-Za-z0-9_][A-Za-z0-9_./+-]{0,200}\.[A-Za-z]{1,3}):\d{1,7}"
# decode_stacktrace.sh writes a module without brackets, after the lines.
_DECODED_MODULE = r"(?: (?P<%s>[A-Za-z0-9_-]{1,64})(?!\S))?"
_FRAME = lazy(
    r"\s{0,24}"
    r"(?:<(?:IRQ|EOI|NMI|#DF|#MC|DB|EOE)>\s{1,4})?"      # old x86: " <EOI> "
    r"(?P<paren>\()?"                                   # s390 r14 frame
    r"(?:\[<?(?:0x)?[0-9a-fA-F]{1,16}>?\]\s{0,4}"       # [<pc>], [sp] [pc],
    r"(?:[0-9a-f]{8,16} )?){0,2}"                       # xmon's "[sp] pc"
    r"(?P<q>\?\s{1,2})?"                                # x86 unreliable
    r"(?::(?P<oldmod>[A-Za-z0-9_-]{1,64}):)?"           # 2.6.2x module
    r"(?:\((?P<arm>" + _NAME + r")(?:\+0x[0-9a-f]{1,16}/0x[0-9a-f]{1,16})?"
    r"(?:\s\[(?P<armmod>[A-Za-z0-9_.-]{1,64})\])?\) from "  # arm32 "(f) from"
    r"(?:(?:\[<?[0-9a-fA-F]{1,16}>?\]\s{0,4})?\((?P<armcaller>" + _NAME + r")"
    r"(?:\+0x[0-9a-f]{1,16}/0x[0-9a-f]{1,16})?"
    r"(?:\s\[(?P<armcmod>[A-Za-z0-9_.-]{1,64})\])?\)|"
    r"(?P<armdcaller>" + _NAME + r")" + _DECODED +
    _DECODED_MODULE % "armdcmod" + r")|"
    r"(?P<func>" + _NAME + r")"
    r"(?:\+0x[0-9a-f]{1,16}/0x[0-9a-f]{1,16}"           # func+off/size
    r"(?:\s\[(?P<mod>[A-Za-z0-9_.-]{1,64})[^\]]{0,80}\])?"
    r"(?:\s" + _FILE % "file" + r")?"                  # syzbot's file:line
    r"|\s" + _FILE % "ifile" + r"\s\[inline\]"
    r"|\s\((?:[^\s():]{1,200}:\d{1,7} ){0,7}" + _FILE % "dfile" +
    r"(?: \(discriminator \d{1,6}\))?\)" + _DECODED_MODULE % "dmod" +
    r"|(?:\s\[(?P<mod2>[A-Za-z0-9_.-]{1,64})\])? from "
    r"(?P<caller>[A-Za-z_][A-Za-z0-9_.]{0,200})(?:\+0x"
    r"(?:[0-9a-f]{1,16}/0x[0-9a-f]{1,16}"
    r"(?:\s\[(?P<cmod>[A-Za-z0-9_.-]{1,64})\])?)?|" + _DECODED +
    _DECODED_MODULE % "dcmod" + r")))")

# Where an instruction pointer is printed, per arch: x86 "RIP: 0010:f+0x",
# old x86 "RIP: 0010:[<a>]  [<a>] f+0x", i386 "EIP: f+0x" or
# "EIP: 0060:[<a>] f+0x", 2.6's "EIP is at f+0x", arm32 "PC is at f+0x",
# arm64 "pc : f+0x",
# powerpc "NIP [a] f+0x", riscv "epc : f+0x", mips "epc   : a f+0x",
# s390 "Krnl PSW : mask addr (f+0x", sparc64 "TPC: <f+0x".  The link
# register comes right after (arm "LR is at", "lr : ", powerpc "LR [a]",
# riscv " ra : ", mips "ra    : a", sparc64's return address "I7: <"): it
# names the caller when the instruction pointer has no symbol (a jump to
# a bad address), and is never read before the pointer's line.
# powerpc's xmon prints "pc: a: f+0x" and "lr: a: f+0x".
_IP = lazy(
    r"(?:R?IP: (?:[0-9a-f]{4}:)?|EIP: (?:[0-9a-f]{4}:)?|pc : |PC is at |"
    r"EIP is at |"
    r"NIP:? {0,4}\[[0-9a-f]{1,16}\] |epc {0,4}: (?:[0-9a-f]{8,16} )?|"
    r"Krnl PSW .{0,80}\(|Krnl PSW : [0-9a-f]{8,16} [0-9a-f]{8,16} |"
    r"TPC: <|pc: [0-9a-f]{8,16}: |"
    r"(?P<link>LR is at |lr : |LR \[[0-9a-f]{1,16}\] |"
    r"ra {0,4}: (?:[0-9a-f]{8,16} )?|I7: <|lr: [0-9a-f]{8,16}: ))"
    r"(?:\[<[0-9a-f]{1,16}>\] {0,2}){0,2}"
    r"(?P<func>" + _NAME + r")(?:\+0x[0-9a-f]{1,16}/0x[0-9a-f]{1,16}"
    r"(?:\s\[(?P<mod>[A-Za-z0-9_.-]{1,64})[^\]]{0,80}\])?|" + _DECODED +
    _DECODED_MODULE % "dmod" + ")")

# Compiler and syscall decorations that change between builds and
# kernels but not between bugs.
_SUFFIX = lazy(r"\.(?:isra|cold|part|constprop|llvm|lto_priv|"
               r"localalias|specialized)(?:\.\d+)?.*$|\.\d+$")
_SYSCALL = lazy(r"^(?:__(?:x64|ia32|arm64|riscv|s390x?|powerpc)_)?"
                r"(?:compat_)?(?:SyS_|SYSC_|sys_|__se_sys_|__do_sys_|"
                r"____sys_|___sys_|__sys_|ksys_|__se_compat_sys_|"
                r"__do_compat_sys_)(?P<name>[a-z0-9_]{2,64})$")


def clean_name(func):
    """``tcp_close.isra.0`` -> ``tcp_close``; powerpc ELF v1 ``.tcp_close``
    -> ``tcp_close``; every syscall entry form (``__x64_sys_mount``,
    ``__do_sys_mount``, ``SyS_mount``, ``ksys_mount``) -> ``sys_mount``;
    a mangled Rust name -> its path (``harvester.crash.rust``)."""
    if func.startswith("_R"):
        return demangle(func)
    func = _SUFFIX.sub("", func.lstrip(".")) or func
    syscall = _SYSCALL.match(func)
    return "sys_" + syscall.group("name") if syscall else func


class Frame:
    __slots__ = ("func", "module", "unreliable", "maybe", "file", "caller")

    def __init__(self, func, module=None, unreliable=False, maybe=False,
                 file=None, caller=None):
        self.func = clean_name(func)
        self.module = module
        self.unreliable = unreliable    # x86 "? ": not a frame at all
        self.maybe = maybe              # powerpc/s390 first caller
        self.file = file                # source file, when the line names it
        self.caller = caller            # arm32 "f from caller": a Frame

    def __str__(self):
        return "%s [%s]" % (self.func, self.module) if self.module else self.func

    def __repr__(self):
        return "Frame(%r)" % str(self)


def parse_frame(text):
    """The frame a trace line shows, or None."""
    text = text[:MAX_LINE]
    match = _FRAME.match(text)
    if not match:
        return None
    func = match.group("arm") or match.group("func")
    module = (match.group("mod") or match.group("armmod")
              or match.group("mod2") or match.group("oldmod")
              or match.group("dmod"))
    maybe = bool(match.group("paren") or _MAYBE_TAIL.search(text))
    file = match.group("file") or match.group("ifile") or match.group("dfile")
    caller = (match.group("armcaller") or match.group("armdcaller")
              or match.group("caller"))
    if caller:
        caller = Frame(caller, match.group("armcmod") or match.group("cmod")
                       or match.group("armdcmod") or match.group("dcmod"))
    return Frame(func, module, bool(match.group("q")), maybe, file, caller)


def trace_frames(frames):
    """``frames`` with arm32's callers filled in: each "f from caller"
    line names the next line's function, so only the last line's caller
    (the outermost function shown) is not a frame of its own."""
    result = []
    for frame in frames:
        if result and result[-1].caller and \
                result[-1].caller.func != frame.func:
            result.append(result[-1].caller)
        result.append(frame)
    if result and result[-1].caller:
        result.append(result[-1].caller)
    return result


def parse_ip(text):
    """The function an instruction-pointer line names, or None; a link
    register's line (the caller's return address) gives a ``maybe``
    frame."""
    match = _IP.search(text[:MAX_LINE])
    if not match:
        return None
    return Frame(match.group("func"), match.group("mod") or match.group("dmod"),
                 maybe=bool(match.group("link")))
