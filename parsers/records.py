"""The record model shared by every backend parser.

A record is one stored dump part as the backend holds it, decoded the way
the kernel decodes it for ``/sys/fs/pstore``.
"""

# enum pstore_type_id (include/linux/pstore.h); the numbers are on-media in
# EFI variable names, the names are the /sys/fs/pstore file prefixes.
PSTORE_TYPE_NAMES = {
    0: "dmesg",
    1: "mce",
    2: "console",
    3: "ftrace",
    4: "rtas",
    5: "powerpc-ofw",
    6: "powerpc-common",
    7: "pmsg",
    8: "powerpc-opal",
}
PSTORE_TYPE_IDS = {name: num for num, name in PSTORE_TYPE_NAMES.items()}

# The last second of year 9999: a time beyond it (a name with a 20-digit
# second) is bit rot or a forgery, and taken as unknown.
MAX_SECONDS = 253402300799


def time_from_seconds(seconds, record):
    """``seconds * 10**9``, or None (noted in the record's problems) when
    no calendar can show it."""
    if 0 <= seconds <= MAX_SECONDS:
        return seconds * 10**9
    record.problems.append("time %d s is out of range; taken as unknown"
                           % seconds)
    return None


REQUIRED = object()


class Plain:
    """A data class: ``FIELDS`` lists the attributes in order with their
    defaults (REQUIRED, a value, or a callable that makes a fresh one, such
    as ``list``); instances get the __init__, == and repr that a dataclass
    would have.  Not the dataclasses module: importing it (inspect, ast,
    dis, typing) costs about 10 ms at every boot."""

    FIELDS = ()
    __hash__ = None                      # mutable, compared by value

    def __init_subclass__(cls, **kwargs):
        # What __init__ needs, worked out once per class: it runs for every
        # record, zone and crash kind.
        super().__init_subclass__(**kwargs)
        cls._names = tuple(name for name, _ in cls.FIELDS)
        cls._known = frozenset(cls._names)
        cls._required = tuple(name for name, default in cls.FIELDS
                              if default is REQUIRED)
        cls._values = {name: default for name, default in cls.FIELDS
                       if default is REQUIRED or not callable(default)}
        cls._factories = tuple((index, name, default) for index, (name, default)
                               in enumerate(cls.FIELDS)
                               if default is not REQUIRED and callable(default))

    def __init__(self, *args, **kwargs):
        cls = type(self)
        if len(args) > len(cls._names):
            raise TypeError("%s takes at most %d arguments"
                            % (cls.__name__, len(cls._names)))
        values = dict(cls._values)
        values.update(zip(cls._names, args))
        if kwargs:
            for name in kwargs:
                if name not in cls._known:
                    raise TypeError("%s has no field %s" % (cls.__name__, name))
                if name in cls._names[:len(args)]:
                    raise TypeError("%s: %s given twice" % (cls.__name__, name))
            values.update(kwargs)
        for index, name, make in cls._factories:
            if index >= len(args) and name not in kwargs:
                values[name] = make()
        for name in cls._required:
            if values[name] is REQUIRED:
                raise TypeError("%s needs %s" % (cls.__name__, name))
        self.__dict__.update(values)

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name)
                   for name, _ in self.FIELDS)

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, ", ".join(
            "%s=%r" % (name, getattr(self, name)) for name, _ in self.FIELDS))


class EccStatus(Plain):
    """What Reed-Solomon checking found, as the kernel counts it."""
    FIELDS = (
        ("corrected", 0),
        ("unrecoverable", 0),
        ("checked", True),      # False: reedsolo missing, data taken as is
    )

    def notice(self):
        """The line the kernel appends to the record text (v5.18+ form)."""
        if self.corrected or self.unrecoverable:
            return ("\nECC: %d Corrected bytes, %d unrecoverable blocks\n"
                    % (self.corrected, self.unrecoverable))
        return "\nECC: No errors detected\n"


class Origin(Plain):
    """Where a record lives, so it can be shown, cited and cleared."""
    FIELDS = (
        ("path", None),     # file or directory the source was read from
        ("name", None),     # file name inside a directory source
        ("offset", None),   # byte offset inside a raw image
        ("length", None),   # bytes the record occupies there
    )


class Record(Plain):
    FIELDS = (
        ("backend", REQUIRED),      # ramoops, mtdoops, efi, efi_pstore, erst...
        ("type", REQUIRED),         # dmesg, console, pmsg, ftrace, mce...
        ("id", REQUIRED),           # the backend's record id (zone, generic id, slot)
        ("payload", REQUIRED),      # bytes as the kernel presents them, no ECC notice
        ("reason", None),           # Oops, Panic, Emergency, Shutdown...
        ("count", None),            # dump counter (Oops#N)
        ("part", None),             # part number, 1 = newest chunk
        ("time_ns", None),          # wall-clock time of the dump, ns since epoch
        ("compressed", False),      # stored compressed on the medium
        ("still_compressed", False),  # decompression failed; payload is raw
        ("ecc", None),              # EccStatus
        ("origin", Origin),
        ("problems", list),         # of str
        ("seq", None),              # mtdoops sequence number
    )

    @property
    def name(self):
        """The file name the kernel gives this record in /sys/fs/pstore."""
        suffix = ".enc.z" if self.still_compressed else ""
        return "%s-%s-%d%s" % (self.type, self.backend, self.id, suffix)


class ParseResult(Plain):
    """What a parser found in one source: the good records and, for each
    part that could not be decoded, the ParseError saying why."""
    FIELDS = (
        ("records", list),
        ("errors", list),
        ("info", dict),             # detected layout and similar facts
    )
