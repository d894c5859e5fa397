"""Writing the run's reports and archives, durably, then handing their
records to the clearer.

The files of a run are written as one batch, so that the state is saved
a fixed number of times per run, not per report:

1. every file to be written is announced as *pending* with the random
   temporary name it will be written under (save 1: a run killed later
   leaves no temp file the next run does not know of);
2. each is composed and written to its temp file, fsynced;
3. the pending entries get their records, how many of them the file
   holds (``fitted``) and the temp file's inode (save 2);
4. each temp file is linked to its final name, each directory fsynced;
5. the records are marked done (save 3): only then are they cleared.

A run killed anywhere is finished by the next one (recover.py): a file
linked under one of its names with the inode of step 3 is taken as
written (never written twice); any other temp is removed.  Records a
report had no room for (max_report_bytes) are marked *kept* at step 5
and archived by a second batch of the same steps."""

import errno
import os

from .. import storage
from ..state import SaveFailed
from ..text import one_line
from .recover import ARCHIVE_SUFFIX, REPORT_SUFFIX, recovered

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


class Job:
    """One file of the batch: a report (output directory) or an archive
    (state directory), the event and the records it holds."""

    __slots__ = ("key", "event", "records", "failure", "raw", "archive",
                 "pieces", "temp", "stem", "fitted", "inode", "name",
                 "title", "analysis")

    def __init__(self, key, event, records, failure, raw=(), archive=False,
                 pieces=None):
        self.key = key                  # the pending entry's key
        self.event = event
        self.records = records
        self.failure = failure
        self.raw = raw
        self.archive = archive
        self.pieces = pieces            # an archive's content, if not the log
        self.temp = self.stem = self.inode = self.name = None
        self.fitted = len(records)
        self.title = self.analysis = None

    @property
    def place(self):
        return "state" if self.archive else "out"


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
        self.said = False          # a line was printed: a report, an archive

    def write(self, inv, state, out_fd, reports, archive):
        """The plan's ``reports`` and ``archive`` entries, as one batch
        (then a second one for what did not fit its report)."""
        jobs, finished, left_out = [], [], []
        for entries, is_archive in ((reports, False), (archive, True)):
            for ev, failure, attached, raw in entries:
                records = list(ev.records) + list(attached)
                if all(state.reported(r) for r in records):
                    # Reported before: what did not fit its report is
                    # archived now, a failed or interrupted clear finished.
                    finished += [r for r in records if state.harvested(r)]
                    rest = [r for r in records if not state.harvested(r)]
                    if rest:
                        left_out.append(self._left_out_job(inv, ev, rest))
                    continue
                foreign = getattr(getattr(ev, "kdump", None),
                                  "foreign_report", None)
                if foreign and not recovered(state, ev.id, records):
                    self._reported_by_apport(state, ev, records, foreign)
                    continue
                jobs.append(Job(ev.id, ev, records, failure, raw, is_archive))
        if self.dry_run:
            for job in jobs:
                self._dry(inv, job)
            return
        self.clearer.clear(inv, finished)
        left_out += self._batch(inv, state, out_fd, jobs)
        if left_out:
            self._batch(inv, state, out_fd, left_out)

    def _dry(self, inv, job):
        self.said = True
        data = self._compose(inv, job)
        del data
        if job.archive:
            self.out.write("would archive %s%s (%s dump, not reported)\n" % (
                os.path.join(self.state_dir, job.stem), ARCHIVE_SUFFIX,
                job.failure))
            return
        self.out.write("would write %s%s (%s)\n" % (
            job.stem, REPORT_SUFFIX, one_line(job.title, 80)))

    def _left_out_job(self, inv, ev, records):
        return Job(ev.id + "-left-out", ev, records, "left out",
                   archive=True,
                   pieces=[_piece(inv, rec) for rec in records])

    def _batch(self, inv, state, out_fd, jobs):
        """Steps 1-5 of the module's docstring for ``jobs``; returns the
        jobs archiving what did not fit its report."""
        dirs = {"out": out_fd, "state": state.fd}
        for job in jobs:
            found = recovered(state, job.key, job.records)
            if found:                          # a killed run linked it
                if not job.archive:
                    del_ = self._compose(inv, job)    # its title, for the log
                    del del_
                job.name = found
                job.fitted = state.pending(job.key).get("fitted", job.fitted)
        new = [job for job in jobs if job.name is None]
        # 1. announce the temp names
        for job in new:
            job.temp = storage.temp_name()
            state.announce(job.key, job.temp, job.place)
        if new and not self._save(state, new):
            return []
        # 2. write each temp file
        written = []
        for job in new:
            if self.stop or (not job.archive and self._too_many_reports()):
                break
            try:
                data = self._compose(inv, job)
                job.inode = storage.write_temp(
                    dirs[job.place], job.temp, data, **self._mode(job))
                del data
            except OSError as exc:
                self._failed(job, exc)
                continue
            written.append(job)
            if not job.archive:
                self.waiting += 1          # counted against the cap now
        # 3. record what each holds and its inode
        for job in written:
            state.set_pending(job.key, job.stem, job.records, job.temp,
                              job.fitted, job.inode, job.place)
        if written and not self._save(state, written):
            for job in written:
                storage.remove_temp(dirs[job.place], job.temp)
            written = []
        # 4. link each into place, each directory fsynced once
        linked = set()
        for job in written:
            suffix = ARCHIVE_SUFFIX if job.archive else REPORT_SUFFIX
            try:
                job.name = storage.link_temp(
                    dirs[job.place], job.temp,
                    storage.candidate_names(job.stem, suffix))
            except OSError as exc:
                self._failed(job, exc)
                continue
            linked.add(job.place)
        try:
            for place in linked:
                os.fsync(dirs[place])
        except OSError as exc:
            self.failed = True
            self.log("write-failed", "cannot sync %s: %s; the records "
                     "stay in place" % (place, exc.strerror), "error")
            return []
        # 5. done
        done = [job for job in jobs if job.name is not None]
        for job in done:
            state.mark_done(job.key, job.records[:job.fitted], job.name,
                            in_output=not job.archive,
                            kept=job.records[job.fitted:], save=False)
        if done and not self._save(state, done):
            return []
        more = []
        for job in done:
            self._announce(job)
            kept = job.records[job.fitted:]
            self.clearer.clear(inv, job.records[:job.fitted])
            if kept:
                self.log("report", "%d records of %s did not fit %s "
                         "(max_report_bytes): archived instead" % (
                             len(kept), job.event.id, job.name), "warning",
                         BACKEND=job.event.backend)
                more.append(self._left_out_job(inv, job.event, kept))
        return more

    def _save(self, state, jobs):
        try:
            state.save()
        except OSError as exc:
            self.failed = True
            self.log("write-failed", "%s; the records of %d events stay in "
                     "place" % (exc.strerror or exc, len(jobs)), "error")
            return False
        return True

    def _reported_by_apport(self, state, ev, records, name):
        """apport's kernel_crashdump reported this kdump crash first (its
        report is beside the crash directory): ours would be a second one.
        Its records are recorded as reported by that file and stay where
        they are (docs/kdump-apport.md)."""
        self.said = True
        if self.dry_run:
            self.out.write("would leave %s to apport's report %s\n"
                           % (ev.id, name))
            return
        try:
            state.mark_done(ev.id, records, name, in_output=False)
        except OSError as exc:
            self.failed = True
            self.log("write-failed", exc.strerror or str(exc), "error")
            return
        self.log("report", "%s was reported by apport's kernel_crashdump as "
                 "%s; no second report" % (ev.id, name), BACKEND=ev.backend)

    def _failed(self, job, exc):
        self.failed = True
        if not job.archive:
            self.stop = self.stop or exc.errno in (
                errno.ENOSPC, errno.EDQUOT, errno.EROFS)
        self.log("write-failed", "%s; the records of %s stay in place" % (
            exc.strerror if isinstance(exc, SaveFailed) else
            "cannot write %s for %s: %s" % (
                "archive" if job.archive else "report", job.event.id,
                exc.strerror or exc), job.event.id), "error",
            REPORT=job.stem or job.key)

    def _announce(self, job):
        self.said = True
        if job.archive:
            path = os.path.join(self.state_dir, job.name)
            self.out.write("%s\n" % path)
            self.log("archived", "archived %s %s as %s" % (
                job.failure, job.event.id, path), BACKEND=job.event.backend)
            return
        path = os.path.join(self._report_dir(), job.name)
        self.out.write("%s\n" % path)
        analysis = job.analysis
        self.log("report", "wrote %s: %s" % (job.name, analysis.title),
                 REPORT=path, SIGNATURE=analysis.signature,
                 BACKEND=job.event.backend, KERNEL_RELEASE=analysis.release)
        unrepaired = sum(r.ecc.unrecoverable for r in job.records
                         if r.ecc is not None and not r.ecc.checked)
        if unrepaired:
            self.log("report", "%s holds %d ECC block(s) read as they are, "
                     "not repaired: reedsolo is missing; PstoreProblems "
                     "says how to get them repaired" % (job.name, unrepaired),
                     "warning", REPORT=path)

    def _compose(self, inv, job):
        """The file's bytes; sets ``stem`` and, for a report, ``fitted``
        (how many records it holds) and its analysis."""
        ev = job.event
        if job.archive:
            job.stem = "archive-%s" % job.key
            if job.pieces is not None:
                return b"".join(job.pieces)
            return _archive_content(inv, ev, job.records[len(ev.records):])
        from .. import report
        from ..crash.analysis import analyse
        analysis = analyse(ev.log(), ev.reason or job.failure)
        # A kdump log is in the report as text (VmCoreDmesg), never raw: it
        # stays where kdump saved it, and "fitted" counts raw ones only.
        logs = [r for r in job.records if r.backend == "kdump"]
        job.records = logs + [r for r in job.records if r.backend != "kdump"]
        attachments = [(inv.ids[id(r)], _describe(r), r.payload)
                       for r in job.records[len(logs):]]
        attachments += [(label, "undecodable, raw", data)
                        for label, data in job.raw]
        package, data, fitted = report.compose(
            ev, analysis, attachments, job.failure.lower(),
            max_bytes=self.config.max_report_bytes)
        job.fitted = fitted + len(logs)
        job.stem = report.file_stem(ev, package)
        job.analysis, job.title = analysis, analysis.title
        return data

    def _mode(self, job):
        if job.archive:
            return {}
        gid = self._group_gid()
        return {"gid": gid, "mode": 0o640 if gid is not None else 0o600}

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
    return b"".join([ev.log()] + [_piece(inv, rec) for rec in attached])


def _piece(inv, rec):
    """One record in an archive: a line naming it, then its payload."""
    return b"\n--- oops-harvest: %s (%s) follows ---\n%s" % (
        inv.ids[id(rec)].encode(), _describe(rec).encode(), bytes(rec.payload))
