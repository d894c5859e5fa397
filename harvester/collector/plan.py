"""Deciding what becomes a report: which events are reported, which are
only archived, which records ride along with a dump, and which dumps
wait for a later run.  Reads the inventory and the state, writes nothing."""

from parsers.patterns import lazy

from ..state import record_set

# die() numbers every oops on every architecture: "Oops: 0002 [#1]",
# "Internal error: Oops: 96000005 [#1]", "invalid opcode: 0000 [#1]".
_DIE_COUNTER = lazy(r" \[#\d{1,6}\]")


class Plan:
    """``reports`` and ``archive``: ``[(event, failure, attached records,
    raw extras)]``; ``held``: dumps that wait for a later run because one
    of their parts could not be read."""

    __slots__ = ("reports", "archive", "held")

    def __init__(self):
        self.reports, self.archive, self.held = [], [], []


def plan(inv, report_reasons, state=None):
    """What to report and what to archive.

    console/pmsg/ftrace of the previous boot go with that boot's newest
    dump from the same source, unless that dump was reported before
    without them (kept by clear_backends: false, a later boot brought
    them): a reported dump is never reported again.  A console with no
    dump to join that shows a crash gets a report from the console,
    carrying the undecodable zones raw; otherwise those zones ride
    along with the source's newest dump, so nothing is dropped
    silently.  Any other record that joins nothing (a console without a
    crash, pmsg, ftrace, mce, ppc-*) is archived.  Records a killed run
    wrote a file for but never recorded go where that run put them, a
    dump in such a file takes no new record, and a record reported
    before joins no new dump: no record's content is in two files
    (issue 18's liveness, findings L1 and L2)."""
    result = Plan()
    extra = {}
    dumps = [e for e in inv.events if e.type == "dmesg"]
    newest = {}
    for ev in dumps:
        newest[str(inv.source_of(ev.newest))] = ev
    written = state.written() if state is not None else {}
    by_id = {ev.id: ev for ev in dumps}
    for ev in inv.events:
        if ev.type == "dmesg":
            continue
        src = str(inv.source_of(ev.newest))
        home = _home(written, ev)
        dump = by_id.get(home) if home else \
            newest[src] if src in newest and _joins(state, newest[src], ev) \
            and not _home(written, newest[src]) else None
        if dump is not None:
            extra.setdefault(id(dump), []).extend(ev.records)
            # e.g. a console kept from its newest end: the report says so
            dump.problems.extend(p for r in ev.records for p in r.problems)
            continue
        failure = None
        if ev.type == "console":
            # No dump to report, but the console saw the boot end in a
            # crash: its panic (nothing returns from one), else an oops.
            from ..crash.analysis import analyse      # not on the empty path
            failure = _console_crash(analyse(ev.log(), "Panic"))
        if failure:
            result.reports.append(
                (ev, failure, [], inv.corrupt.get(src, [])))
            newest[src] = ev
        else:
            # Joins nothing and shows no crash (a console, pmsg, ftrace,
            # mce, ppc-* record alone): archived, so that it leaves a
            # backend (ERST, NVRAM) that the next crash needs.
            result.archive.append((ev, ev.type, [], []))
    for ev in dumps:
        src = str(inv.source_of(ev.newest))
        if inv.may_lack_a_part(ev):
            result.held.append(ev)
            continue
        raw = inv.corrupt.get(src, []) if newest[src] is ev else []
        reason = ev.reason or _reason_from_text(ev)
        entry = (ev, reason, extra.get(id(ev), []), raw)
        if reason in report_reasons or ev.newest.still_compressed:
            result.reports.append(entry)
        else:
            result.archive.append(entry)
    return result


def _joins(state, dump, ev):
    """Does ``ev`` (console, pmsg, ftrace) go with ``dump``?  Only when
    both or neither were reported before: not when the dump was reported
    without ``ev`` (a later boot's), nor ``ev`` reported (archived) with a
    new dump, so that no record's content is in two files."""
    if state is None:
        return True
    return all(state.reported(r) for r in dump.records) == \
        all(state.reported(r) for r in ev.records)


def _home(written, ev):
    """The event a killed run wrote all of ``ev``'s records with, or None."""
    found = {written.get(key) for key in record_set(ev.records)}
    return found.pop() if len(found) == 1 else None


def _console_crash(found):
    """"Panic" or "Oops" when a console's boot ended in one, else None:
    a console is kept after every boot, and warnings alone (WARNING, BUG:
    sleeping function...) do not end one."""
    if found.panic_message is not None:
        return "Panic"
    if found.headline and _DIE_COUNTER.search(found.block):
        return "Oops"
    return None


def _reason_from_text(ev):
    """mtdoops records carry no reason line; the log tells."""
    from ..crash.analysis import analyse
    head = analyse(ev.log()).failure
    return "Panic" if head == "panic" else "Oops"
