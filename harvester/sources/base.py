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
    default) and the run's shared ``budget``; ``seen(key)`` tells whether
    the state knows a record by its key (a source that is never cleared
    skips those unread)."""

    __slots__ = ("record_cap", "decompressed_cap", "budget", "seen")

    def __init__(self, record_cap, decompressed_cap, budget, seen=None):
        self.record_cap = record_cap
        self.decompressed_cap = decompressed_cap
        self.budget = budget
        self.seen = seen or _nothing_seen

    @property
    def caps(self):
        """The parsers' keyword for the decompression cap, if one is set."""
        return {} if self.decompressed_cap is None else \
            {"limit": self.decompressed_cap}


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
        self.cut = {}              # console name -> full size, read from its end


class Budget:
    """The bytes of records one run may hold (max_run_bytes): every file
    read and every payload decompressed is charged, in name order.  Once
    one does not fit, it and every entry after it are left unread, in
    place for the next run (which finds them first once these records are
    cleared): memory is bounded by the budget, not by how many records
    the backends hold."""

    def __init__(self, total=None):
        self.left = total if total is not None else float("inf")
        self.spent = False

    def charge(self, size):
        """Take ``size`` bytes; False (and spent from now on) if they do
        not fit."""
        if self.spent or size > self.left:
            self.spent = True
            return False
        self.left -= size
        return True

    def cap(self, limit):
        """A per-record decompression limit within what is left."""
        return int(min(limit, self.left))



def parse_each(parse, files, source, decompressed_cap, budget, deferred):
    """``parse`` one file at a time, in name order, each decompressed
    within what the budget has left: a file whose payload does not fit
    is deferred with every file after it."""
    from parsers.compression import DEFAULT_LIMIT
    from parsers.exceptions import LimitExceeded
    from parsers.records import ParseResult
    limit = DEFAULT_LIMIT if decompressed_cap is None else decompressed_cap
    result = ParseResult()
    stop = False
    for name in sorted(files):
        if stop:
            deferred.append(name)
            continue
        data = files.pop(name)
        raw = len(data[0] if isinstance(data, tuple) else data)
        within = budget.cap(limit)
        one = parse({name: data}, limit=within, source=source.path)
        over = [e for e in one.errors if isinstance(e, LimitExceeded)]
        if over and within < limit:
            budget.spent = stop = True    # the cap would decode it: later
            deferred.append(name)
            continue
        result.errors.extend(one.errors)
        for rec in one.records:
            if rec.compressed and not rec.still_compressed:
                budget.charge(max(len(rec.payload) - raw, 0))
        result.records.extend(one.records)
    return result
