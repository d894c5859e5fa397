"""All records from all sources: stable ids, twins merged, grouped into
events, and no more events than one run may take."""

from .events import SAME_DUMP_WINDOW_NS, family, group
from .kdump_events import join_kdump
from .sources import Budget, discover, kind, load, parse_spec

# Which copy of a record stands for its twins: the one whose unlinking is
# how the kernel erases it first (pstore), then efivarfs, then the rest.
_COPY_RANK = {"pstore": 0, "efivars": 1}


class Inventory:
    def __init__(self, loaded, max_records=None, known=None):
        self.loaded = loaded
        self.problems = [p for item in loaded for p in item.problems]
        entries = []                         # (source, record)
        self.corrupt = {}                    # str(source) -> [(label, raw)]
        # Entries not read (unreadable, or left for a later run): a dump
        # that may have a part among them waits (may_lack_a_part).
        self.unreadable = {str(item.source): item.unreadable + item.deferred
                           for item in loaded
                           if item.unreadable or item.deferred}
        self.heads = {str(item.source): item.heads for item in loaded
                      if item.heads}
        self._unread = None
        for item in loaded:
            if item.result is None:
                continue
            self.problems.extend(str(err) for err in item.result.errors)
            self.corrupt[str(item.source)] = [
                ("undecodable@0x%x" % (err.offset or 0), err.raw)
                for err in item.result.errors if getattr(err, "raw", None)]
            entries.extend((item.source, rec) for rec in item.result.records)
        self.sources = {id(rec): src for src, rec in entries}
        entries = _merge_twins(entries)
        events = join_kdump(group([rec for _, rec in entries]))
        if max_records is not None:
            events = self._within(events, max_records, known)
        taken = {id(r) for ev in events for r in ev.records}
        self.records = []                    # (id, source, record)
        names = set()
        for source, rec in entries:
            if id(rec) not in taken:
                continue
            rid = rec.name
            if rid in names:                 # same name from two sources
                rid = "%s@%s" % (rid, len(names))
            names.add(rid)
            self.records.append((rid, source, rec))
        self.ids = {id(rec): rid for rid, _, rec in self.records}
        self.events = events

    def _within(self, events, max_records, known):
        """Whole events, oldest first, as long as their records not
        reported before fit ``max_records`` (the first always does): a
        dump is never cut, and the rest waits for a later run (a raw
        image's reported records are gone from the next run's count)."""
        kept, count, left = [], 0, 0
        for ev in events:
            new = sum(1 for r in ev.records if known is None or not known(r))
            if kept and count + new > max_records:
                left += len(ev.records)
                continue
            kept.append(ev)
            count += new
        if left:
            self.problems.append("%d records are left for a later run "
                                 "(max_records %d)" % (left, max_records))
        return kept

    def source_of(self, record):
        return self.sources[id(record)]

    def copies(self, record):
        """The record and its twins in other sources: ``[(source, rec)]``."""
        return [(self.sources[id(r)], r)
                for r in [record] + getattr(record, "twins", [])]

    def may_lack_a_part(self, event):
        """Could an entry of the event's source that was not read be one
        of its parts?  efi-pstore names say which dump a part belongs to;
        other entries left unread tell it by their first line (the
        ``<Reason>#<n> Part<m>`` header; one without a readable header
        may be any dump's of its backend).  Such an event waits for a run
        that can read every part, so it is never reported in halves."""
        return bool(self._parts_not_read(event))

    def waiting_parts(self, event):
        """Entry names, per source, of the event's records and of the
        unread entries that may be its parts (what a later run reads
        first)."""
        out = {}
        for rec in event.records:
            for source, copy in self.copies(rec):
                if copy.origin.name:
                    out.setdefault(str(source), set()).add(copy.origin.name)
        for source, name in self._parts_not_read(event):
            out.setdefault(source, set()).add(name)
        return {s: sorted(n) for s, n in out.items()}

    def _parts_not_read(self, event):
        """``[(source, entry name)]`` not read that may be the event's."""
        if event.type != "dmesg":
            return []
        if self._unread is None:
            self._unread = {s: _index_unread(names, self.heads.get(s, {}))
                            for s, names in self.unreadable.items()}
        found = []
        parts = {r.part for r in event.records}
        for source in {str(self.source_of(r)) for r in event.records}:
            index = self._unread.get(source)
            if not index:
                continue
            if event.backend == "efi":
                for seconds, name in index["efi"].get(event.count, ()):
                    if event.time_ns is not None and abs(
                            seconds * 10**9 - event.time_ns) <= SAME_DUMP_WINDOW_NS:
                        found.append((source, name))
                continue
            found += [(source, n) for n in index["any"].get(event.backend, ())]
            key = (event.backend, event.reason, event.count)
            for part, mtime_ns, name in index["dump"].get(key, ()):
                if part not in parts and (
                        event.time_ns is None or not mtime_ns or
                        abs(mtime_ns - event.time_ns) <= SAME_DUMP_WINDOW_NS):
                    found.append((source, name))
        return found


def _index_unread(names, heads):
    """The entries of one source not read, by what dump they may be part
    of: ``efi``: count -> [(seconds, name)]; ``dump``: (backend, reason,
    count) -> [(part, mtime, name)]; ``any``: backend -> [names whose
    header is unknown].  An entry that was unreadable (not left for the
    budget) and is not efi's is nobody's part, as before."""
    from parsers import pstorefs
    from parsers.exceptions import ParseError
    from parsers.kmsg import parse_part_header
    index = {"efi": {}, "dump": {}, "any": {}}
    for name in names:
        key = _efi_dump_key(name)
        if key is not None:
            index["efi"].setdefault(key[0], []).append((key[1], name))
            continue
        head = heads.get(name, False)
        if head is False:
            continue
        try:
            rtype, backend, _, _ = pstorefs.parse_name(name)
        except ParseError:
            continue
        if rtype != "dmesg":
            continue
        backend = family(backend)
        line, mtime_ns = head if head is not None else (None, None)
        try:
            reason, count, part, _ = parse_part_header(line + b"\n")
        except (ParseError, TypeError):
            index["any"].setdefault(backend, []).append(name)
            continue
        index["dump"].setdefault((backend, reason, count), []).append(
            (part, mtime_ns, name))
    return index


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


def _merge_twins(entries):
    """One entry per record content: the same record in two sources
    (efivarfs and /sys/fs/pstore, systemd-pstore's archive and the live
    pstore, a copy) is one record, reported once; the others ride along
    as ``twins`` of the one kept, and are cleared with it."""
    if not entries:
        return entries          # hashlib (OpenSSL) is not loaded for nothing
    from hashlib import sha1
    firsts, out = {}, []
    ranked = sorted(enumerate(entries), key=lambda e: (
        _COPY_RANK.get(e[1][0].kind, 2), e[0]))
    keep = {}
    for index, (source, rec) in ranked:
        # A kdump crash is its directory (KdumpRecord.key), whatever its
        # log says: two crashes that saved no log are still two.
        key = (family(rec.backend), rec.type, rec.still_compressed,
               sha1(bytes(rec.payload)).digest(), getattr(rec, "key", None))
        first = firsts.get(key)
        if first is None:
            firsts[key] = rec
            rec.twins = []
            keep[index] = True
        else:
            first.twins.append(rec)
    for index, entry in enumerate(entries):
        if keep.get(index):
            out.append(entry)
    return out


def gather(args, config, state=None, may_clear=None):
    """Every source's records.  With the run's ``state``, records it
    reported before cost no budget, are dropped where they are not to be
    erased (``may_clear(source)`` false), and the dump an earlier run
    held back for the budget is read first."""
    specs = args.source or config.sources
    sources = [parse_spec(s) for s in specs] if specs else discover()
    budget = Budget(config.max_run_bytes)       # shared, in source order
    seen = set()
    known = None
    if state is not None:
        from .state import keys

        def known(record):
            seen.update(keys(record))
            return state.harvested(record)
    first = state.first() if state is not None else {}
    # A kdump crash the state has is not read again.
    state_has = state.seen if state is not None else None
    loaded = [load(s, config.max_record_bytes, config.max_decompressed_bytes,
                   budget, known,
                   keep_known=known is None or bool(
                       may_clear and kind(s).clear and may_clear(s)),
                   first=first.get(str(s), ()), seen=state_has)
              for s in sources]
    inv = Inventory(loaded, config.max_records, known)
    # Everything was read: a harvested record not seen is in no source.
    inv.seen = seen
    inv.complete = not any(item.problems or item.deferred or item.unreadable
                           for item in loaded) and known is not None
    return inv
