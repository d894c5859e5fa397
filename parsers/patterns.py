"""Regexes compiled at their first use.

The crash tables hold about a hundred patterns and the analysis of one
dump uses two dozen of them; compiling them all when a module is imported
would cost every run, also the boots with nothing to harvest, a few
milliseconds for nothing.
"""

import re


class lazy:
    """``re.compile(pattern, flags)``, done at the first use of one of its
    methods or attributes."""

    def __init__(self, pattern, flags=0):
        self.pattern, self.flags = pattern, flags

    def __getattr__(self, name):
        # Called only for what the instance lacks: the first use of each
        # method, which is then kept on the instance.  Not for the special
        # names that copy and pickle probe on a bare instance.
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(re.compile(self.pattern, self.flags), name)
        setattr(self, name, value)
        return value

    def __repr__(self):
        return "lazy(%r)" % self.pattern


_WORD = frozenset("abcdefghijklmnopqrstuvwxyz"
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


class names:
    """Whether a function name matches any of a table of regexes (searched,
    as ``re.search("|".join(patterns), name)`` would).

    Most entries of the frame tables are a plain word, perhaps anchored
    (``printk``, ``^mutex_``, ``_trap$``, ``^die$``).  Those are checked
    with ``in``, ``startswith``, ``endswith`` and a set, which cost nothing
    to set up; only the other entries are compiled, as one regex.  The
    skip table alone would otherwise cost each boot with a crash more than
    4 ms of regex compiling for its three hundred names."""

    def __init__(self, patterns):
        self.patterns = tuple(patterns)
        self._sorted = None

    def _sort(self):
        """Sorted at the first search, as ``lazy`` compiles: of the
        analysis's twenty tables one dump needs two or three."""
        exact, prefixes, suffixes, words, other = set(), [], [], [], []
        for pattern in self.patterns:
            start = pattern.startswith("^")
            end = pattern.endswith("$") and not pattern.endswith("\\$")
            word = pattern[start:len(pattern) - end]
            if not word or not _WORD.issuperset(word):
                other.append(pattern)
            elif start and end:
                exact.add(word)
            elif start:
                prefixes.append(word)
            elif end:
                suffixes.append(word)
            else:
                words.append(word)
        self._sorted = (frozenset(exact), tuple(prefixes), tuple(suffixes),
                        tuple(words),
                        re.compile("|".join(other)) if other else None)
        return self._sorted

    def search(self, name):
        exact, prefixes, suffixes, words, other = self._sorted or self._sort()
        return (name in exact or name.startswith(prefixes)
                or name.endswith(suffixes) or any(w in name for w in words)
                or bool(other and other.search(name)))

    def __repr__(self):
        return "names(%r)" % (self.patterns,)
