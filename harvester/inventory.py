"""All records from all sources: stable ids, duplicates removed, grouped
into events."""

from .events import SAME_DUMP_WINDOW_NS, group
from .kdump_events import join_kdump
from .sources import Budget, discover, load, parse_spec


class Inventory:
    def __init__(self, loaded, max_records=None):
        self.loaded = loaded
        self.problems = [p for item in loaded for p in item.problems]
        entries = []                         # (source, record)
        self.corrupt = {}                    # str(source) -> [(label, raw)]
        # Entries not read (unreadable, or left for a later run): an efi
        # dump that may have a part among them waits (may_lack_a_part).
        self.unreadable = {str(item.source): item.unreadable + item.deferred
                           for item in loaded
                           if item.unreadable or item.deferred}
        for item in loaded:
            if item.result is None:
                continue
            self.problems.extend(str(err) for err in item.result.errors)
            self.corrupt[str(item.source)] = [
                ("undecodable@0x%x" % (err.offset or 0), err.raw)
                for err in item.result.errors if getattr(err, "raw", None)]
            entries.extend((item.source, rec) for rec in item.result.records)
        entries = _dedupe(entries)
        if max_records is not None and len(entries) > max_records:
            self.problems.append("%d records found; only the first %d are "
                                 "handled this run (max_records)"
                                 % (len(entries), max_records))
            entries = entries[:max_records]
        self.records = []                    # (id, source, record)
        taken = set()
        for source, rec in entries:
            rid = rec.name
            if rid in taken:                 # same name from two sources
                rid = "%s@%s" % (rid, len(taken))
            taken.add(rid)
            self.records.append((rid, source, rec))
        self.ids = {id(rec): rid for rid, _, rec in self.records}
        self.sources = {id(rec): src for _, src, rec in self.records}
        self.events = join_kdump(group([rec for _, _, rec in self.records]))

    def source_of(self, record):
        return self.sources[id(record)]

    def may_lack_a_part(self, event):
        """Could an entry of the event's source that failed to read be one
        of its parts?  Only efi-pstore splits dumps into parts; its names
        say which dump a part belongs to.  Such an event waits for a run
        that can read every part, so it is never reported in halves."""
        names = self.unreadable.get(str(self.source_of(event.newest)), ())
        if event.backend != "efi" or not names:
            return False
        for name in names:
            key = _efi_dump_key(name)
            if key and key[0] == event.count and event.time_ns is not None \
                    and abs(key[1] * 10**9 - event.time_ns) <= SAME_DUMP_WINDOW_NS:
                return True
        return False


def _efi_dump_key(name):
    """``(count, seconds)`` from an efi variable or pstore file name."""
    from parsers import efi, pstorefs
    from parsers.exceptions import ParseError
    try:
        if efi.is_crash_variable(name):
            _, _, count, seconds, _ = efi.parse_name(name)
            return count, seconds
        _, backend, rid, _ = pstorefs.parse_name(name)
    except ParseError:
        return None
    if not backend.startswith("efi"):
        return None
    return rid % 1000, rid // 100000


def _dedupe(entries):
    """The same EFI variable shows up in /sys/fs/pstore and in efivarfs:
    keep the pstore file, since unlinking it is how the kernel erases it."""
    pstore_efi = {(rec.type, rec.id) for source, rec in entries
                  if source.kind == "pstore" and rec.backend.startswith("efi")}
    return [(source, rec) for source, rec in entries
            if not (source.kind == "efivars" and (rec.type, rec.id) in pstore_efi)]


def gather(args, config, seen=None):
    """Every source's records; ``seen(key)``: the state already has that
    record (a kdump crash reported before is not read again)."""
    specs = args.source or config.sources
    sources = [parse_spec(s) for s in specs] if specs else discover()
    budget = Budget(config.max_run_bytes)       # shared, in source order
    return Inventory([load(s, config.max_record_bytes,
                           config.max_decompressed_bytes, budget, seen)
                      for s in sources], config.max_records)
