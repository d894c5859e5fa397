"""Regexes that cost nothing until used: the boot budget.

Compiling a regex runs Python code (``re._parser``) in every process:
the crash tables hold hundreds of patterns, about 15 ms of compiling at
each boot, while a dump's analysis uses a few of them.  ``lazy`` compiles
a pattern on first use; ``AnyName`` tests a list of function-name
patterns, most of them plain words, with string operations.
"""

import re

_METHODS = ("search", "match", "fullmatch", "sub", "subn", "split",
            "finditer", "findall", "groupindex", "groups")


class lazy:
    """``re.compile(pattern)``, done at the first use of its methods."""

    def __init__(self, pattern, flags=0):
        self.pattern, self.flags = pattern, flags

    def __getattr__(self, name):
        # Called only for what the instance lacks: once, as the compiled
        # pattern's methods are then set on it.  Not for the special
        # names that copy and pickle probe on a bare instance.
        if name.startswith("__"):
            raise AttributeError(name)
        compiled = re.compile(self.pattern, self.flags)
        for method in _METHODS:
            setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)

    def __repr__(self):
        return "lazy(%r)" % self.pattern


_SPECIAL = frozenset(".^$*+?{}[]\\|()")


class AnyName:
    """Whether a function name matches any of ``patterns`` (regexes,
    searched), as one alternation would: a plain word, ``^word``,
    ``word$`` or ``^word$`` is a string test; the rest form one regex,
    compiled only when no plain word matched.  Names hold no newline."""

    def __init__(self, patterns):
        self.patterns, self.words = tuple(patterns), None

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
