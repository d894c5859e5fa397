"""What every source shares: its spec, what loading it gives, and the
run's byte budget."""

from parsers.patterns import lazy

_SIZE = lazy(r"\s*(0x[0-9a-fA-F]+|\d+)\s*([kKmMgG]?)\s*")


class SourceError(Exception):
    """A source cannot be used at all (bad spec, missing, unsafe)."""


class Source:
    __slots__ = ("kind", "path", "options")

    def __init__(self, kind, path, options=None):
        self.kind = kind
        self.path = path
        self.options = options or {}

    def __repr__(self):
        return "Source(%r)" % str(self)

    def __str__(self):
        opts = "".join(",%s=%s" % kv for kv in self.options.items()
                       if kv[0] != "archive")
        return "%s:%s%s" % (self.kind, self.path, opts)


def parse_size(text, key):
    """Decimal, 0x hex, or a K/M/G suffix (powers of 1024)."""
    match = _SIZE.fullmatch(text)
    if not match:
        raise SourceError("%s=%r is not a size (use 4096, 0x1000, 4K or 1M)"
                          % (key, text))
    value = int(match.group(1), 0)
    return value << {"": 0, "k": 10, "m": 20, "g": 30}[match.group(2).lower()]



class Kind:
    """One kind of source, as its module describes it: the option keys its
    spec takes, ``load(source, loaded, limits)`` (fills a Loaded), and
    for a kind whose records may be erased, the filesystem type it must
    be mounted as and ``clear(dir_fd, name)``.  ``budgeted``: its load
    charges the run's budget as it reads (else what a never-cleared
    kind decoded is charged afterwards, in order)."""

    __slots__ = ("name", "options", "load", "mount_type", "clear",
                 "budgeted")

    def __init__(self, name, options, load, mount_type=None, clear=None,
                 budgeted=False):
        self.name = name
        self.options = options
        self.load = load
        self.mount_type = mount_type
        self.clear = clear
        self.budgeted = budgeted


class Limits:
    """What one source may take: each file read (``record_cap``), each
    payload decompressed (``decompressed_cap``, None: the parsers'
    default) and the run's shared ``budget``.  ``known(record)`` says a
    record was reported before: it costs nothing, and unless ``keep_known``
    (its source is cleared: it is still to be erased) it is dropped at
    once.  ``first``: entry names of a dump an earlier run held back for
    the budget; they are read first, whatever the budget says.
    ``seen(key)`` tells whether the state knows a record by its key (a
    source that is never cleared, kdump, skips those unread)."""

    __slots__ = ("record_cap", "decompressed_cap", "budget", "known",
                 "keep_known", "first", "seen")

    def __init__(self, record_cap, decompressed_cap, budget, known=None,
                 keep_known=True, first=(), seen=None):
        self.record_cap = record_cap
        self.decompressed_cap = decompressed_cap
        self.budget = budget
        self.known = known
        self.keep_known = keep_known
        self.first = frozenset(first)
        self.seen = seen or _nothing_seen

    @property
    def caps(self):
        """The parsers' keyword for the decompression cap, if one is set."""
        return {} if self.decompressed_cap is None else \
            {"limit": self.decompressed_cap}

    def drop_known(self, records):
        """The records not reported before (and, in a source that is
        cleared, the reported ones too: they are still to be erased)."""
        if self.known is None or self.keep_known:
            return records
        return [r for r in records if not self.known(r)]


def _nothing_seen(key):
    return False


class Loaded:
    """One source's ParseResult (None if unreadable) and its problems."""

    def __init__(self, source):
        self.source = source
        self.result = None
        self.problems = []
        self.unreadable = []       # entry names that could not be read
        self.deferred = []         # entry names left for a later run (budget)
        self.heads = {}            # deferred name -> its first line, unread
        self.cut = {}              # console name -> full size, read from its end


class Budget:
    """The bytes of records one run may hold (max_run_bytes): every file
    read and every payload decompressed is charged.  An entry that does
    not fit is left in place, unread, and the entries after it are still
    tried (a large dump never starves the small ones behind it); the first
    entry of a run always fits, and so does a dump an earlier run held
    back (``force``): each run takes at least one dump, whatever its size.
    Records reported before are refunded: only new ones count."""

    def __init__(self, total=None):
        self.left = total if total is not None else float("inf")
        self.held = 0              # bytes charged and not refunded
        self.missed = False        # something was left for a later run

    def charge(self, size, force=False):
        """Take ``size`` bytes; False (the entry waits) if they do not fit."""
        if force or self.held == 0 or size <= self.left:
            self.left -= size
            self.held += size
            return True
        self.missed = True
        return False

    def refund(self, size):
        self.left += size
        self.held -= size

    def cap(self, limit, force=False):
        """A per-record decompression limit within what is left."""
        if force or self.held == 0:
            return limit
        return int(min(limit, max(self.left, 0)))


class Intake:
    """Parses a directory source one file at a time as ``read_dir`` reads
    it, each decompressed within what the budget has left: a file whose
    payload does not fit is deferred (and its raw bytes refunded); a
    record reported before is refunded, and dropped unless its source is
    cleared (``Limits.drop_known``)."""

    def __init__(self, parse, source, limits, loaded):
        from parsers.compression import DEFAULT_LIMIT
        from parsers.records import ParseResult
        self.parse = parse
        self.source = source
        self.limits = limits
        self.loaded = loaded
        self.limit = DEFAULT_LIMIT if limits.decompressed_cap is None \
            else limits.decompressed_cap
        self.result = ParseResult()

    def take(self, name, data):
        """One file as read (``data``: what the parser takes for it)."""
        from parsers.exceptions import LimitExceeded
        budget = self.limits.budget
        raw = len(data[0] if isinstance(data, tuple) else data)
        force = name in self.limits.first
        within = budget.cap(self.limit, force)
        one = self.parse({name: data}, limit=max(within, 1),
                         source=self.source.path)
        over = [e for e in one.errors if isinstance(e, LimitExceeded)]
        if over and within < self.limit:
            # The cap would decode it: later.  Its error's traceback holds
            # the inflated bytes in a cycle: cut it, or it stays until gc.
            for err in one.errors:
                err.__traceback__ = None
            del one, over
            budget.refund(raw)
            budget.missed = True
            self.loaded.deferred.append(name)
            self.loaded.heads[name] = None
            return
        self.result.errors.extend(one.errors)
        for rec in one.records:
            cost = raw
            if rec.compressed and not rec.still_compressed:
                grown = max(len(rec.payload) - raw, 0)
                budget.charge(grown, force=True)
                cost += grown
            if self.limits.known is not None and self.limits.known(rec):
                budget.refund(cost)
        self.result.records.extend(self.limits.drop_known(one.records))
