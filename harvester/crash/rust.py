"""Rust symbol names (the v0 mangling the kernel's Rust code is built
with) as the Rust tools print them: ``_RNvMs3_NtCs..._11rust_binder7processNtB5_7Process10update_ref``
is ``<rust_binder::process::Process>::update_ref``.

The grammar is the Rust compiler's "v0" scheme (rustc's symbol-mangling
documentation): paths of crate roots (``C``), nested names (``N``),
inherent and trait impls (``M``, ``X``, ``Y``), generic arguments
(``I``) and back-references (``B``) to an earlier part of the name.
Crate hashes and disambiguators are dropped, as rustfilt and syzkaller
drop them, so one function has one name whatever build it comes from.
A name that does not parse is left as it is.  Work is bounded by the
name's length: a back-reference must point backwards and nesting is
capped.
"""

_BASIC = {"a": "i8", "b": "bool", "c": "char", "d": "f64", "e": "str",
          "f": "f32", "h": "u8", "i": "isize", "j": "usize", "l": "i32",
          "m": "u32", "n": "i128", "o": "u128", "s": "i16", "t": "u16",
          "u": "()", "v": "...", "x": "i64", "y": "u64", "z": "!", "p": "_"}
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_MAX_DEPTH = 32
_MAX_STEPS = 512


class _Invalid(Exception):
    pass


class _Parser:
    def __init__(self, text):
        self.text, self.pos, self.depth, self.steps = text, 0, 0, 0

    def peek(self):
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self, char=None):
        found = self.peek()
        if not found or (char and found != char):
            raise _Invalid
        self.pos += 1
        return found

    def eat(self, char):
        if self.peek() == char:
            self.pos += 1
            return True
        return False

    def base62(self):
        if self.eat("_"):
            return 0
        value = 0
        while not self.eat("_"):
            digit = _DIGITS.find(self.take())
            if digit < 0 or value > 1 << 80:
                raise _Invalid
            value = value * 62 + digit
        return value + 1

    def decimal(self):
        start = self.pos
        while self.peek().isdigit() and self.pos - start < 4:
            self.pos += 1
        if start == self.pos:
            raise _Invalid
        return int(self.text[start:self.pos])

    def disambiguator(self):
        if self.eat("s"):
            self.base62()

    def identifier(self):
        self.disambiguator()
        self.eat("u")               # punycode: kept as it is
        length = self.decimal()
        self.eat("_")
        name = self.text[self.pos:self.pos + length]
        if len(name) != length:
            raise _Invalid
        self.pos += length
        return name

    def backref(self, parse):
        start = self.pos - 1
        target = self.base62()
        if target >= start:
            raise _Invalid          # forwards or onto itself: no end
        saved, self.pos = self.pos, target
        try:
            return parse()
        finally:
            self.pos = saved

    def enter(self):
        self.depth += 1
        self.steps += 1
        if self.depth > _MAX_DEPTH or self.steps > _MAX_STEPS:
            raise _Invalid

    def path(self):
        self.enter()
        try:
            tag = self.take()
            if tag == "C":
                return self.identifier()
            if tag == "N":
                namespace = self.take()
                parent = self.path()
                name = self.identifier()
                if namespace.isupper():         # closures, shims
                    kind = {"C": "closure", "S": "shim"}.get(namespace,
                                                             namespace)
                    return "%s::{%s%s}" % (parent, kind,
                                           "#" + name if name else "")
                return "%s::%s" % (parent, name) if name else parent
            if tag == "M":
                self.disambiguator()
                self.path()                     # the impl's own module
                return "<%s>" % self.type()
            if tag == "X":
                self.disambiguator()
                self.path()
                own = self.type()
                return "<%s as %s>" % (own, self.path())
            if tag == "Y":
                own = self.type()
                return "<%s as %s>" % (own, self.path())
            if tag == "I":
                base = self.path()
                return "%s::<%s>" % (base, self.arguments())
            if tag == "B":
                return self.backref(self.path)
            raise _Invalid
        finally:
            self.depth -= 1

    def arguments(self):
        found = []
        while not self.eat("E"):
            if self.eat("L"):
                self.base62()
                found.append("'_")
            elif self.eat("K"):
                found.append(self.constant())
            else:
                found.append(self.type())
        return ", ".join(found)

    def constant(self):
        if self.eat("p"):
            return "_"
        if self.eat("B"):
            return self.backref(self.constant)
        self.take()                             # its type
        self.eat("n")
        while not self.eat("_"):
            if self.take() not in "0123456789abcdef":
                raise _Invalid
        return "_"

    def type(self):
        self.enter()
        try:
            tag = self.peek()
            if tag in _BASIC:
                self.pos += 1
                return _BASIC[tag]
            if tag in "RQ":
                self.pos += 1
                if self.eat("L"):
                    self.base62()
                return ("&" if tag == "R" else "&mut ") + self.type()
            if tag in "PO":
                self.pos += 1
                return ("*const " if tag == "P" else "*mut ") + self.type()
            if tag == "A":
                self.pos += 1
                own = self.type()
                return "[%s; %s]" % (own, self.constant())
            if tag == "S":
                self.pos += 1
                return "[%s]" % self.type()
            if tag == "T":
                self.pos += 1
                found = []
                while not self.eat("E"):
                    found.append(self.type())
                return "(%s)" % ", ".join(found)
            if tag == "B":
                self.pos += 1
                return self.backref(self.type)
            return self.path()
        finally:
            self.depth -= 1


def demangle(name):
    """The readable path of a v0-mangled Rust name, or ``name``."""
    if not name.startswith("_R") or len(name) > 1024:
        return name
    parser = _Parser(name[2:])
    try:
        if parser.peek().isdigit():
            parser.decimal()                    # encoding version
        return parser.path()
    except (_Invalid, RecursionError):
        return name
