"""Finishing what a killed run left: its complete reports are recognised
(and recorded, never written twice), its temp files removed.  Our reports
still waiting in the output directory are counted at the same time."""

from .. import storage
from ..state import record_set

REPORT_SUFFIX = ".crash"
ARCHIVE_SUFFIX = ".log"


def take_stock(state, out_fd):
    """Once per run, before anything is written: which of our reports
    still wait in the output directory (their number is returned), and
    where the reports of a killed run are.  Only names the state recorded
    are looked at, each stat'ed once: the directory is never listed, so
    no number of files planted there costs time or memory, and none of
    them counts against max_reports_in_output_dir."""
    lost_inode = False
    dirs = {"out": out_fd, "state": state.fd}
    for entry in state.data["pending"].values():
        entry.pop("found", None)
        if "inode" not in entry:
            continue
        found = None
        place = dirs.get(entry.get("place", "out"))
        suffix = ARCHIVE_SUFFIX if entry.get("place") == "state" \
            else REPORT_SUFFIX
        for name in storage.candidate_names(str(entry.get("stem")), suffix):
            st = storage.our_stat(place, name) if place is not None else None
            if st is not None and entry.get("inode") == \
                    storage.file_identity(st):
                found = name
                break
        if found:
            entry["found"] = found
            if suffix == REPORT_SUFFIX:
                state.add_report(found)
        else:
            # Not linked: its temp goes below, and the inode number with
            # it (it may be reused by another file).
            del entry["inode"]
            lost_inode = True
    if lost_inode:
        state.save()
    for place, temp in state.pending_temps():
        if place in dirs:
            storage.remove_temp(dirs[place], temp)
    waiting = [n for n in state.reports()
               if storage.our_stat(out_fd, n) is not None]
    state.keep_reports(waiting)
    return len(waiting)


def recovered(state, event_id, records):
    """The report of a killed run (found by take_stock), if it holds
    exactly these records.  The plan keeps it so: records a killed run
    wrote into a file go where that run put them, and a console that came
    after the kill does not join that dump (plan.py, findings L1 and L2)."""
    entry = state.pending(event_id)
    if entry and entry.get("found") and \
            entry.get("records") == record_set(records):
        return entry["found"]
    return None
