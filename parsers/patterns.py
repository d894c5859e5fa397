"""Regexes that cost nothing until used, and little then: the boot budget.

Compiling a regex runs Python code (``re._parser``, ``re._compiler``) in
every process.  The crash tables hold about a hundred patterns and the
analysis of one dump used two dozen of them: 5 ms of compiling at each
boot that found a crash.  So:

* ``lazy`` compiles a pattern at its first use;
* what re's compiler makes of a pattern depends only on the pattern, its
  flags and the Python, so, as for .pyc files, it is made once, when the
  package is built: ``setup.py`` runs ``python -m parsers.patterns DIR
  PACKAGE...``, which writes every lazy pattern's code into a table
  beside this module, named after the Python (``patterns.cpython-311.
  table``).  A pattern found there goes straight to the regex engine
  (``_sre.compile``, where ``re.compile`` ends), which checks the code
  before it takes it.  Without a table for this Python (a source
  checkout, a wheel built by another Python) patterns compile as usual;
* ``AnyName`` tests a list of function-name patterns, most of them plain
  words, with string operations; ``any_of`` builds a fast search for any
  of many words; ``escape`` is ``re.escape``, as this module imports re
  only to compile what the table does not hold.
"""

import os
import sys

import _sre

TABLE_FILE = "patterns.%s.table" % sys.implementation.cache_tag
MAX_TABLE_BYTES = 8 << 20

_LAZY = []          # every lazy pattern made, for the table
_NAME_LISTS = []    # every AnyName, whose regex part is made at first use
_table = None       # (pattern, flags) -> _sre.compile's other arguments


def _engine():
    """What a table's code is valid for (an arch-independent package built
    on one machine is installed on others)."""
    return (sys.implementation.cache_tag, sys.byteorder, _sre.MAGIC,
            _sre.CODESIZE, _sre.MAXREPEAT, _sre.MAXGROUPS)


def load_table(path=None):
    """Use the table at ``path`` (default: the one built beside this
    module); an unreadable, foreign or damaged table is no table."""
    global _table
    _table = {}
    if path is None:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            TABLE_FILE)
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_TABLE_BYTES + 1)
    except OSError:
        return
    import marshal
    try:
        engine, table = marshal.loads(data)
    except (ValueError, EOFError, TypeError):
        return
    if engine == _engine() and isinstance(table, dict) and \
            len(data) <= MAX_TABLE_BYTES:
        _table = table


def compile(pattern, flags=0):
    """``re.compile(pattern, flags)``, from the table when it has it."""
    if _table is None:
        load_table()
    arguments = _table.get((pattern, int(flags)))
    if arguments is not None:
        try:
            return from_table(pattern, arguments)
        except (RuntimeError, TypeError, ValueError, OverflowError):
            pass                # not code this engine takes: compile it
    import re
    return re.compile(pattern, flags)


def from_table(pattern, arguments):
    """The pattern from its table entry: the code is kept as bytes (read
    10x faster than a list of numbers), the engine checks it."""
    flags, code, groups, groupindex, indexgroup = arguments
    return _sre.compile(pattern, flags, memoryview(code).cast("I").tolist(),
                        groups, groupindex, indexgroup)


_METHODS = ("search", "match", "fullmatch", "sub", "subn", "split",
            "finditer", "findall", "groupindex", "groups")


class lazy:
    """``re.compile(pattern)``, done at the first use of its methods."""

    def __init__(self, pattern, flags=0):
        self.pattern, self.flags = pattern, flags
        _LAZY.append(self)

    def __getattr__(self, name):
        # Called only for what the instance lacks: once, as the compiled
        # pattern's methods are then set on it.  Not for the special
        # names that copy and pickle probe on a bare instance.
        if name.startswith("__"):
            raise AttributeError(name)
        compiled = compile(self.pattern, self.flags)
        for method in _METHODS:
            setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)

    def __repr__(self):
        return "lazy(%r)" % self.pattern


# What re.escape escapes (Python 3.7+).
_ESCAPED = {c: "\\" + chr(c) for c in b"()[]{}?*+-|^$\\.&~# \t\n\r\v\f"}


def escape(text):
    """``re.escape(text)`` for a str, without importing re."""
    return text.translate(_ESCAPED)


def any_of(words):
    """A lazy regex that finds whether any of ``words`` occurs.  re tries
    alternatives one at a time at each position, so words are grouped by
    their first character (the crash needles: 2.4x faster than their
    plain alternation, and as fast as a whole trie)."""
    groups = {}
    for word in sorted(set(words)):
        groups.setdefault(word[0], []).append(escape(word[1:]))
    return lazy("|".join(
        escape(first) + (rests[0] if len(rests) == 1 else
                            "(?:%s)" % "|".join(rests))
        for first, rests in groups.items()))


_SPECIAL = frozenset(".^$*+?{}[]\\|()")


class AnyName:
    """Whether a function name matches any of ``patterns`` (regexes,
    searched), as one alternation would: a plain word, ``^word``,
    ``word$`` or ``^word$`` is a string test; the rest form one regex,
    compiled only when no plain word matched.  Names hold no newline."""

    def __init__(self, patterns):
        self.patterns, self.words = tuple(patterns), None
        _NAME_LISTS.append(self)

    def _split(self):
        self.words, self.names = [], set()
        prefixes, suffixes, rest = [], [], []
        for pattern in self.patterns:
            word = pattern[pattern.startswith("^"):len(pattern) -
                           pattern.endswith("$")]
            if _SPECIAL.intersection(word):
                rest.append(pattern)
            elif pattern.startswith("^") and pattern.endswith("$"):
                self.names.add(word)
            elif pattern.startswith("^"):
                prefixes.append(word)
            elif pattern.endswith("$"):
                suffixes.append(word)
            else:
                self.words.append(word)
        self.prefixes, self.suffixes = tuple(prefixes), tuple(suffixes)
        self.rest = lazy("|".join(rest)) if rest else None

    def search(self, name):
        if self.words is None:
            self._split()
        if (name in self.names or name.startswith(self.prefixes)
                or name.endswith(self.suffixes)):
            return True
        for word in self.words:
            if word in name:
                return True
        return bool(self.rest and self.rest.search(name))


# --- making the table (at build time) -------------------------------------

def _arguments(pattern, flags):
    """What ``re.compile`` hands ``_sre.compile`` after the pattern."""
    from array import array
    from re import _compiler, _parser
    parsed = _parser.parse(pattern, flags)
    code = _compiler._code(parsed, flags)
    state = parsed.state
    indexgroup = [None] * state.groups
    for name, index in state.groupdict.items():
        indexgroup[index] = name
    return (int(flags | state.flags), array("I", code).tobytes(),
            state.groups - 1, dict(state.groupdict), tuple(indexgroup))


def import_all(packages):
    """Import every module of ``packages`` (their patterns are made at
    import); the names of those that cannot be imported here."""
    import importlib
    import pkgutil
    failed = []
    for package in packages:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, package + "."):
            try:
                importlib.import_module(info.name)
            except Exception:       # an optional dependency, or __main__
                failed.append(info.name)
    return failed


def table():
    """Every lazy pattern made so far (AnyName's too) with its code, each
    checked to compile to exactly what ``re.compile`` makes (patterns
    compare equal when their code does)."""
    for names in list(_NAME_LISTS):
        if names.words is None:
            names._split()
    import re
    entries = {}
    for item in list(_LAZY):
        key = (item.pattern, int(item.flags))
        if key in entries:
            continue
        try:
            arguments = _arguments(*key)
            if from_table(key[0], arguments) == re.compile(*key):
                entries[key] = arguments
        except Exception:           # internals of another Python
            pass
    return entries


def write_table(directory):
    """Write the table of what is loaded into ``directory``; its path."""
    import marshal
    entries = table()
    path = os.path.join(directory, TABLE_FILE)
    temp = path + ".tmp"
    with open(temp, "wb") as f:
        f.write(marshal.dumps((_engine(), entries)))
    os.replace(temp, path)
    return path, len(entries), len(_LAZY)


def main(argv):
    """python -m parsers.patterns DIR PACKAGE...: the table for DIR/parsers
    (the build's copy of this package) of every module of PACKAGEs."""
    if len(argv) < 2:
        sys.exit("usage: python -m parsers.patterns BUILD_DIR PACKAGE...")
    sys.path.insert(0, os.path.abspath(argv[0]))
    failed = import_all(argv[1:])
    # The build's own copy of this module holds the patterns made above.
    patterns = sys.modules["parsers.patterns"]
    path, count, made = patterns.write_table(
        os.path.join(os.path.abspath(argv[0]), "parsers"))
    print("%s: %d of %d patterns%s" % (
        path, count, made, "; not imported: " + ", ".join(failed)
        if failed else ""))


if __name__ == "__main__":
    main(sys.argv[1:])
