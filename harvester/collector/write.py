"""Writing each event's report (or archive), durably, then handing its
records to the clearer.  For each event: skip it if the state says it is
harvested; otherwise note it as pending, publish the report (temp file,
fsync, link, fsync dir), mark it done in the state, and only then clear."""

import errno
import os

from .. import storage
from ..state import SaveFailed
from ..text import one_line
from .recover import REPORT_SUFFIX, recovered

PRIVATE_SUBDIR = "oops-harvest"


def open_output(config, out_dir):
    """The output directory's fd (its private subdirectory's with
    ``private``), refused if unsafe."""
    fd = storage.open_dir(out_dir, create_mode=0o1777)
    if config.private:
        inner = storage.open_private_subdir(fd, PRIVATE_SUBDIR)
        os.close(fd)
        fd = inner
    return fd


class Writer:
    def __init__(self, config, out_dir, state_dir, dry_run, log, out,
                 clearer, waiting=0):
        self.config = config
        self.out_dir = out_dir
        self.state_dir = state_dir
        self.dry_run = dry_run
        self.log = log
        self.out = out
        self.clearer = clearer
        self.waiting = waiting     # our reports in the output directory
        self.failed = False        # something was left in place: exit 1
        self.stop = False          # the output is full or read-only

    def report(self, inv, state, out_fd, ev, failure, attached, raw=()):
        records = list(ev.records) + list(attached)
        if all(state.reported(r) for r in records):
            # Reported before; a failed or interrupted clear is finished now.
            if not self.dry_run:
                self.clearer.clear(inv, [r for r in records
                                         if state.harvested(r)])
            return True
        foreign = getattr(getattr(ev, "kdump", None), "foreign_report", None)
        if foreign and not recovered(state, ev.id, records):
            return self._reported_by_apport(state, ev, records, foreign)
        from .. import report
        from ..crash.analysis import analyse
        analysis = analyse(ev.log(), ev.reason or failure)
        # A kdump log is in the report as text (VmCoreDmesg), never raw: it
        # stays where kdump saved it, and "fitted" counts raw ones only.
        logs = [r for r in records if r.backend == "kdump"]
        records = [r for r in records if r.backend != "kdump"]
        attachments = [(inv.ids[id(r)], _describe(r), r.payload)
                       for r in records]
        attachments += [(label, "undecodable, raw", data) for label, data in raw]
        package, data, fitted = report.compose(
            ev, analysis, attachments, failure.lower(),
            max_bytes=self.config.max_report_bytes)
        del attachments
        stem = report.file_stem(ev, package)
        records = logs + records
        fitted += len(logs)
        if self.dry_run:
            self.out.write("would write %s%s (%s)\n" % (
                stem, REPORT_SUFFIX, one_line(analysis.title, 80)))
            return True
        try:
            name = recovered(state, ev.id, records)
            if name is None:
                if self._too_many_reports():
                    return False
                name = self._publish(state, out_fd, ev.id, stem, records,
                                     data, fitted)
                self.waiting += 1
            else:
                fitted = state.pending(ev.id).get("fitted", fitted)
            # What did not fit the report stays in its backend (kept).
            kept = records[fitted:]
            records = records[:fitted]
            state.mark_done(ev.id, records, name, kept=kept)
        except OSError as exc:
            self.failed = True
            self.stop = exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS)
            if isinstance(exc, SaveFailed):
                what = exc.strerror
            else:
                what = "cannot write report for %s: %s" % (
                    ev.id, exc.strerror or exc)
            self.log("write-failed", "%s; the records of %s stay in place"
                     % (what, ev.id), "error", REPORT=stem)
            return False
        self.out.write("%s\n" % os.path.join(self._report_dir(), name))
        self.log("report", "wrote %s: %s" % (name, analysis.title),
                 REPORT=os.path.join(self._report_dir(), name),
                 SIGNATURE=analysis.signature, BACKEND=ev.backend,
                 KERNEL_RELEASE=analysis.release)
        for rec in kept:
            self.log("report", "%s did not fit %s (max_report_bytes); it "
                     "stays in place" % (inv.ids[id(rec)], name), "warning",
                     BACKEND=rec.backend)
        self.clearer.clear(inv, records)
        return True

    def _reported_by_apport(self, state, ev, records, name):
        """apport's kernel_crashdump reported this kdump crash first (its
        report is beside the crash directory): ours would be a second one.
        Its records are marked reported and kept where they are: no
        report of ours holds them (docs/kdump-apport.md)."""
        if self.dry_run:
            self.out.write("would leave %s to apport's report %s\n"
                           % (ev.id, name))
            return True
        try:
            state.mark_done(ev.id, [], name, in_output=False, kept=records)
        except OSError as exc:
            self.failed = True
            self.log("write-failed", exc.strerror or str(exc), "error")
            return False
        self.log("report", "%s was reported by apport's kernel_crashdump as "
                 "%s; no second report" % (ev.id, name), BACKEND=ev.backend)
        return True

    def archive(self, inv, state, ev, reason, attached):
        """Dumps that are not reported (e.g. Shutdown) are kept in the state
        directory, then cleared like reported ones.  The console, pmsg and
        ftrace records that go with the dump are archived in the same file
        (each after a header line naming it): they are cleared with it."""
        records = list(ev.records) + list(attached)
        if all(state.reported(r) for r in records):
            if not self.dry_run:
                self.clearer.clear(inv, [r for r in records
                                         if state.harvested(r)])
            return
        if self.dry_run:
            self.out.write("would archive %s (%s)\n" % (ev.id, reason))
            return
        stem = "archive-%s" % ev.id
        try:
            name = storage.publish(state.fd, storage.candidate_names(stem, ".log"),
                                   _archive_content(inv, ev, attached))
            state.mark_done(ev.id, records, name, in_output=False)
        except OSError as exc:
            self.failed = True
            what = exc.strerror if isinstance(exc, SaveFailed) else \
                "cannot archive %s: %s" % (ev.id, exc.strerror or exc)
            self.log("write-failed", "%s; the records of %s stay in place"
                     % (what, ev.id), "error")
            return
        self.log("archived", "archived %s dump %s as %s/%s" % (
            reason, ev.id, self.state_dir, name), BACKEND=ev.backend)
        self.clearer.clear(inv, records)

    def _group_gid(self):
        if not self.config.report_group:
            return None
        import grp
        try:
            return grp.getgrnam(self.config.report_group).gr_gid
        except KeyError:
            self.log("write-failed", "report_group %r does not exist; "
                     "writing 0600" % self.config.report_group, "warning")
            return None

    def _publish(self, state, out_fd, event_id, stem, records, data, fitted):
        """The report, announced as pending (its records and temp name)
        first, and its inode noted once it is complete on disk."""
        gid = self._group_gid()
        temp = storage.temp_name()
        state.set_pending(event_id, stem, records, temp, fitted)
        identity = storage.write_temp(out_fd, temp, data, gid=gid,
                                      mode=0o640 if gid is not None else 0o600)
        try:
            state.set_pending_inode(event_id, identity)
        except OSError:
            storage.remove_temp(out_fd, temp)
            raise
        return storage.link_temp(out_fd, temp,
                                 storage.candidate_names(stem, REPORT_SUFFIX))

    def _report_dir(self):
        if self.config.private:
            return os.path.join(self.out_dir, PRIVATE_SUBDIR)
        return self.out_dir

    def _too_many_reports(self):
        """max_reports_in_output_dir counts our reports that still wait
        (the names the state recorded, see recover.take_stock)."""
        if self.waiting >= self.config.max_reports_in_output_dir:
            self.failed = self.stop = True
            self.log("write-failed", "%d kernel reports already in %s "
                     "(max_reports_in_output_dir); leaving records in place"
                     % (self.waiting, self.out_dir), "error")
            return True
        return False


def _describe(rec):
    what = "part %d" % rec.part if rec.part else rec.type
    state = ", still compressed" if rec.still_compressed else ""
    return "%s, %d bytes%s" % (what, len(rec.payload), state)


def _archive_content(inv, ev, attached):
    """The dump's log, then each attached record's payload as is."""
    pieces = [ev.log()]
    for rec in attached:
        pieces.append(b"\n--- oops-harvest: %s (%s) follows ---\n" % (
            inv.ids[id(rec)].encode(), _describe(rec).encode()))
        pieces.append(rec.payload)
    return b"".join(pieces)
