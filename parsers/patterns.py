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
