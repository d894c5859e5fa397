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


_WORD = "[A-Za-z0-9_]"
# A family of names: "^", "_{0,N}" (up to N underscores), a word, one
# group of alternative words (perhaps optional) and a word, "$"; all but
# the first word may be missing.  "^_{0,2}rmqueue", "^oops_(?:begin|end)$",
# "^clear_page(?:_erms|_rep)?$" and "printk" are families; "^crc\\d" is not.
_FAMILY = lazy(r"(\^?)(?:_\{0,(\d)\})?(%s*)(?:\(\?:(%s*(?:\|%s*)*)\)"
                     r"(\??)(%s*))?(\$?)" % ((_WORD,) * 4))


def _family(pattern):
    """``(anchored at start, at end, the words)`` of a family, else None."""
    match = _FAMILY.fullmatch(pattern)
    if not match:
        return None
    start, underscores, head, group, optional, tail, end = match.groups()
    alternatives = group.split("|") if group is not None else [""]
    if optional:
        alternatives.append("")
    words = ["_" * n + head + alternative + (tail or "")
             for n in range(int(underscores or 0) + 1)
             for alternative in alternatives]
    if not all(words):
        return None
    return bool(start), bool(end), words


def _gate(pattern):
    """A word every match of ``pattern`` holds (its longest run of word
    characters outside groups, classes and quantifiers), or "" when the
    pattern has none that is certain, such as under a top-level "|"."""
    runs, run, depth, i = [], "", 0, 0
    last_literal = False
    while i < len(pattern):
        char = pattern[i]
        literal = False
        if char == "\\":
            i += 1
        elif char == "[":
            i = pattern.index("]", i + 2 if pattern[i + 1:i + 2] == "]" else i + 1)
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return ""
        elif char in "?*{" and last_literal:
            run = run[:-1]          # the character before may be missing
        elif depth == 0 and (char.isalnum() or char == "_") and char.isascii():
            run += char
            literal = True
        if char == "{":
            i = pattern.index("}", i)
        if not literal:
            runs.append(run)
            run = ""
        last_literal = literal and depth == 0
        i += 1
    return max(runs + [run], key=len)


class names:
    """Whether a function name matches any of a table of regexes (searched,
    as ``re.search("|".join(patterns), name)`` would).

    Most entries of the frame tables are a few plain words, perhaps
    anchored (``printk``, ``^mutex_``, ``_trap$``, ``^die$``,
    ``^_{0,2}rmqueue``, ``^list_(?:add|del)``: see ``_FAMILY``).  Those are
    checked with ``in``, ``startswith``, ``endswith`` and a set, which cost
    nothing to set up.  The other entries are compiled at their first use,
    and an entry with a word every match holds (``_gate``) is used only for
    a name that holds the word, so most are never compiled.  The skip table
    alone would otherwise cost each boot with a crash more than 4 ms of
    regex compiling for its three hundred names."""

    def __init__(self, patterns):
        self.patterns = tuple(patterns)
        self._sorted = None

    def _sort(self):
        """Sorted at the first search, as ``lazy`` compiles: of the
        analysis's twenty tables one dump needs two or three."""
        exact, prefixes, suffixes, words, other = set(), [], [], [], {}
        for pattern in self.patterns:
            family = _family(pattern)
            if family is None:
                other.setdefault(_gate(pattern), []).append(pattern)
                continue
            start, end, family_words = family
            if start and end:
                exact.update(family_words)
            elif start:
                prefixes.extend(family_words)
            elif end:
                suffixes.extend(family_words)
            else:
                words.extend(family_words)
        self._sorted = (frozenset(exact), tuple(prefixes), tuple(suffixes),
                        tuple(words), tuple((gate, lazy("|".join(group)))
                                            for gate, group in other.items()))
        return self._sorted

    def search(self, name):
        exact, prefixes, suffixes, words, other = self._sorted or self._sort()
        return (name in exact or name.startswith(prefixes)
                or name.endswith(suffixes) or any(w in name for w in words)
                or any(gate in name and regex.search(name) is not None
                       for gate, regex in other))

    def __repr__(self):
        return "names(%r)" % (self.patterns,)
