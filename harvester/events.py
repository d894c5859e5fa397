"""Grouping records into events: one event is one kernel dump.

The parts of one dump share backend, reason and dump counter.  Their
timestamps are taken per part (efi-pstore's parts of one dump can straddle
a second), and the counter restarts at every boot, so parts are clustered:
a new event starts when a part number repeats or the time jumps.  Two
dumps of one boot (an oops, then the panic) have different counters and so
never merge.
"""

SAME_DUMP_WINDOW_NS = 60 * 10**9      # parts of one dump are written together

# efi-pstore names records dmesg-efi-N up to 6.1, dmesg-efi_pstore-N later.
_BACKEND_FAMILY = {"efi_pstore": "efi"}


def family(backend):
    return _BACKEND_FAMILY.get(backend, backend)


class Event:
    def __init__(self, records, problems=None):
        self.records = records            # oldest chunk first (highest part)
        self.problems = problems or []
        self._id = None

    @property
    def newest(self):
        return self.records[-1]

    @property
    def backend(self):
        return family(self.newest.backend)

    @property
    def type(self):
        return self.newest.type

    @property
    def reason(self):
        return next((r.reason for r in self.records if r.reason), None)

    @property
    def count(self):
        return self.newest.count

    @property
    def time_ns(self):
        return self.newest.time_ns

    @property
    def id(self):
        """Stable for the same data: derived from what identifies the dump.

        Console, pmsg and ftrace records carry no counter or time, and every
        boot's is called console-ramoops-0: their content tells them apart.
        Made once: a run asks a dozen times."""
        if self._id is None:
            self._id = self._make_id()
        return self._id

    def _make_id(self):
        from hashlib import sha1
        keys = []
        for r in self.records:
            key = "%s,%s,%s,%s,%s,%s" % (family(r.backend), r.type, r.id,
                                         r.reason, r.count, r.time_ns)
            if r.count is None and r.time_ns is None:
                key += "," + sha1(r.payload).hexdigest()
            keys.append(key)
        return "E" + sha1("|".join(keys).encode()).hexdigest()[:10]

    def log(self):
        """The dump's text, oldest first, with the per-part header lines of
        all but the oldest part removed (Part1 is the newest chunk)."""
        pieces = []
        for rec in self.records:
            payload = rec.payload
            if rec.part is not None and rec.type == "dmesg" and pieces:
                payload = payload.split(b"\n", 1)[1] if b"\n" in payload else b""
            pieces.append(payload)
        return b"".join(pieces)


def _dump_key(rec):
    return (family(rec.backend), rec.type, rec.reason, rec.count)


def group(records):
    """Records -> events (dmesg dumps are clustered; every other record is
    an event of its own), newest event last."""
    events = []
    dumps = {}
    for rec in records:
        if rec.type != "dmesg" or rec.part is None or rec.still_compressed:
            events.append(Event([rec]))
            continue
        dumps.setdefault(_dump_key(rec), []).append(rec)
    for parts in dumps.values():
        parts.sort(key=lambda r: (r.time_ns or 0, r.part))
        cluster, seen, first_time = [], set(), None
        for rec in parts:
            t = rec.time_ns or 0
            if cluster and (rec.part in seen or
                            t - first_time > SAME_DUMP_WINDOW_NS):
                events.append(_make_event(cluster))
                cluster, seen = [], set()
            if not cluster:
                first_time = t
            cluster.append(rec)
            seen.add(rec.part)
        if cluster:
            events.append(_make_event(cluster))
    events.sort(key=lambda e: (e.time_ns or 0, e.id))
    return events


MISSING_PARTS_LISTED = 20


def _make_event(parts):
    parts = sorted(parts, key=lambda r: -r.part)
    event = Event(parts)
    listed, total = missing_parts([r.part for r in parts])
    if total:
        more = " and %d more" % (total - len(listed)) if total > len(listed) else ""
        event.problems.append("parts missing: %s%s"
                              % (", ".join(map(str, listed)), more))
    return event


def missing_parts(numbers):
    """``(the first few missing part numbers, how many are missing)``
    below the highest.  Part numbers come from the input (``Part2000000000``
    is one short line): the work is bounded by the records, never by the
    numbers, so no range is ever built from them."""
    present = set(n for n in numbers if n >= 1)
    if not present:
        return [], 0
    total = max(present) - len(present)
    listed, candidate = [], 1
    while len(listed) < min(total, MISSING_PARTS_LISTED):
        if candidate not in present:
            listed.append(candidate)
        candidate += 1
    return listed, total


def find(events, ident):
    for event in events:
        if event.id == ident:
            return event
    return None
