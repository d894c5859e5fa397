"""Where crash records come from, one module per kind of source:

- ``pstore``: a pstore filesystem, a copy of one, systemd-pstore's archive;
- ``efivars``: efi-pstore's variables in efivarfs;
- ``images``: raw ramoops, mtdoops and pstore/blk images or devices;
- ``kdump``: the crash directories kdump saves (``makedumpfile`` runs
  the one helper program, for a dump saved without its log).

Each module describes its kinds with a ``Kind`` (base.py): the options its
spec takes, a ``load`` that fills a ``Loaded``, and for kinds whose
records may be erased, the mount they must be and how one is cleared.
``reading`` opens and reads every file safely.  This module turns specs
into sources, finds this machine's, and loads each one with the same
caps and bookkeeping.  Parsing is left to ``parsers``.
"""

from parsers.exceptions import ParseError

from . import efivars, images, kdump, pstore
from .base import Budget, Limits, Loaded, Source, SourceError, parse_size
from .reading import (MAX_FILES, MAX_IMAGE_BYTES, MAX_RECORD_BYTES,
                      open_input, read_capped, read_dir, read_image,
                      read_tail, whole_lines)

__all__ = ["Budget", "KINDS", "Loaded", "MAX_FILES", "MAX_IMAGE_BYTES",
           "MAX_RECORD_BYTES", "Source", "SourceError", "discover", "kind",
           "load", "open_input", "parse_size", "parse_spec", "read_capped",
           "read_dir", "read_image", "read_tail"]

_KINDS = {k.name: k for k in (pstore.KIND, efivars.KIND, kdump.KIND) +
          images.KINDS}
KINDS = tuple(_KINDS)


def kind(source):
    """The Kind that describes ``source``."""
    return _KINDS[source.kind]


def parse_spec(spec):
    """``KIND:PATH[,key=value]...`` -> Source."""
    kind, sep, rest = spec.partition(":")
    if not sep or kind not in KINDS:
        raise SourceError("source %r must look like KIND:PATH with KIND one "
                          "of %s" % (spec, ", ".join(KINDS)))
    path, *pairs = rest.split(",")
    if not path:
        raise SourceError("source %r has no path" % spec)
    if kind == "ramoops" and path == "devicetree" and not pairs:
        return images.devicetree_ramoops()
    options = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or key not in _KINDS[kind].options:
            allowed = ", ".join(_KINDS[kind].options) or "none"
            raise SourceError("source %r: unknown option %r (%s takes: %s)"
                              % (spec, key, kind, allowed))
        options[key] = value if key == "kernel" else parse_size(value, key)
    return Source(kind, path, options)


def load(source, record_cap=MAX_RECORD_BYTES, decompressed_cap=None,
         budget=None, known=None, keep_known=True, first=(), seen=None):
    """Parse one source; a problem with it is reported, never raised.
    ``record_cap`` bounds each file read, ``decompressed_cap`` each
    decompressed payload (the parsers' default when None), ``budget``
    (a Budget shared by the run's sources) all of them together.
    ``known``, ``keep_known``, ``first`` and ``seen``: see ``Limits``."""
    loaded = Loaded(source)
    budget = budget or Budget()
    limits = Limits(record_cap, decompressed_cap, budget, known, keep_known,
                    first, seen)
    image = kind(source).clear is None
    try:
        kind(source).load(source, loaded, limits)
    except (SourceError, ParseError, OSError) as exc:
        loaded.problems.append("%s: %s" % (source, exc))
    if loaded.result is not None:
        _keep_newest_console(loaded.result.records, record_cap, loaded.cut)
        if image:
            loaded.result.records = limits.drop_known(loaded.result.records)
        if image and not kind(source).budgeted:
            images.charge(loaded, budget)
        # A part kept back (over the decompression cap) counts as unread.
        from parsers.exceptions import LimitExceeded
        loaded.unreadable += [e.name for e in loaded.result.errors
                              if isinstance(e, LimitExceeded)
                              and getattr(e, "name", None)]
    if loaded.deferred:
        loaded.problems.append(
            "%s: %d entries left in place for a later run (max_run_bytes "
            "or the directory's entry cap)" % (source, len(loaded.deferred)))
    return loaded


def _keep_newest_console(records, cap, cut):
    """A console over ``cap`` bytes is kept from its newest end (where the
    boot ended), for pstore files as read and for consoles decoded from
    a raw image; the record says what was left out."""
    for rec in records:
        if rec.type != "console":
            continue
        size = cut.get(rec.origin.name)
        if size is None and len(rec.payload) > cap:
            size = len(rec.payload)
            rec.payload = whole_lines(bytes(rec.payload[-cap:]))
        if size is not None:
            rec.problems.append(
                "%s holds %d bytes; only its newest %d are kept "
                "(max_record_bytes)" % (rec.name, size, len(rec.payload)))


def discover():
    """This machine's sources: the pstore filesystem, EFI variables,
    whatever systemd-pstore already moved into its archive, and kdump's
    crash directories (these two read only; the state keeps them from
    being reported twice)."""
    return (pstore.discover() + efivars.discover() +
            pstore.discover_archive() + kdump.discover())
