"""--collect: one report per crash, durable before anything is erased.

For each event: skip it if the state says it is harvested; otherwise note
it as pending, publish the report (temp file, fsync, link, fsync dir),
mark it done in the state, and only then clear its backend records.  A
failure at any step leaves the records where they were; a kill between
steps is recovered by the next run without a second report.
"""

import errno
import os
import sys

from parsers.patterns import lazy

from . import storage
from .inventory import gather
from .log import Logger
from .sources import kind as source_kind
from .sources.efivars import EFIVARS_DIR
from .sources.pstore import PSTORE_DIR, mounted_fstype, mount_pstore
from .state import AlreadyRunning, SaveFailed, Snapshot, State, record_set
from .text import one_line

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2
REPORT_SUFFIX = ".crash"
PRIVATE_SUBDIR = "oops-harvest"


class Collector:
    def __init__(self, config, out_dir, state_dir, dry_run, log, out):
        self.config = config
        self.out_dir = out_dir
        self.state_dir = state_dir
        self.dry_run = dry_run
        self.log = log
        self.out = out
        self.failed = False        # something was left in place: exit 1
        self.stop = False          # the output is full or read-only
        self.clearable = {}
        self.waiting = 0           # our reports in the output directory

    # --- deciding what becomes a report -----------------------------------

    def plan(self, inv, state=None):
        """``[(event, failure, attached records, raw extras)]`` to report,
        and the same for events that are only archived.

        console/pmsg/ftrace of the previous boot go with that boot's newest
        dump from the same source, unless that dump was reported before
        without them (kept by clear_backends: false, a later boot brought
        them): a reported dump is never reported again.  A console with no
        dump to join that shows a crash gets a report from the console,
        carrying the undecodable zones raw; otherwise those zones ride
        along with the source's newest dump, so nothing is dropped
        silently.  A console, pmsg or ftrace record that joins nothing
        stays where it is."""
        reports, archive = [], []
        extra = {}
        dumps = [e for e in inv.events if e.type == "dmesg"]
        newest = {}
        for ev in dumps:
            newest[str(inv.source_of(ev.newest))] = ev
        for ev in inv.events:
            if ev.type == "dmesg":
                continue
            src = str(inv.source_of(ev.newest))
            if src in newest and _joins(state, newest[src], ev):
                extra.setdefault(id(newest[src]), []).extend(ev.records)
                # e.g. a console kept from its newest end: the report says so
                newest[src].problems.extend(p for r in ev.records
                                            for p in r.problems)
            elif ev.type == "console":
                # No dump to report, but the console saw the boot end in a
                # crash: its panic (nothing returns from one), else an oops.
                from .crash.analysis import analyse      # not on the empty path
                failure = _console_crash(analyse(ev.log(), "Panic"))
                if failure:
                    reports.append((ev, failure, [], inv.corrupt.get(src, [])))
                    newest[src] = ev
        for ev in dumps:
            src = str(inv.source_of(ev.newest))
            if inv.may_lack_a_part(ev):
                self.failed = True
                self.log("unreadable", "dump %s is held back: one of its "
                         "parts could not be read; it stays in place for a "
                         "later run" % ev.id, "warning", BACKEND=ev.backend)
                continue
            raw = inv.corrupt.get(src, []) if newest[src] is ev else []
            reason = ev.reason or _reason_from_text(ev)
            entry = (ev, reason, extra.get(id(ev), []), raw)
            if reason in self.config.report_reasons or ev.newest.still_compressed:
                reports.append(entry)
            else:
                archive.append(entry)
        return reports, archive

    # --- the run ----------------------------------------------------------

    def run(self, args):
        if self.dry_run:
            # Creates, locks and writes nothing, so any user can try it.
            return self._collect(args, Snapshot(self.state_dir))
        try:
            state = State(self.state_dir)
        except (storage.UnsafeDirectory, OSError) as exc:
            hint = ""
            if os.geteuid() != 0:
                hint = (" (as a user, try it on copies with --state-dir and "
                        "--output-dir, or use --dry-run)")
            sys.stderr.write("oops-harvest: state directory: %s%s\n"
                             % (exc, hint))
            return EXIT_USAGE
        try:
            state.lock()
        except AlreadyRunning as exc:
            state.close()
            sys.stderr.write("oops-harvest: %s; nothing done\n" % exc)
            return EXIT_PARTIAL
        except OSError as exc:       # e.g. a symlink planted as the lock
            state.close()
            sys.stderr.write("oops-harvest: state directory %s: cannot take "
                             "the lock: %s\n" % (self.state_dir, exc.strerror))
            return EXIT_USAGE
        try:
            try:
                state.load()
            except OSError as exc:
                # Without the state we cannot tell what was reported before.
                self.log("unreadable", "cannot read the state in %s: %s; "
                         "nothing done" % (self.state_dir, exc.strerror),
                         "error")
                return EXIT_PARTIAL
            return self._collect(args, state)
        finally:
            state.close()

    def _collect(self, args, state):
        if not args.source and not self.config.sources and not self.dry_run:
            mount_pstore()
        inv = gather(args, self.config)
        for problem in inv.problems:
            self.log("unreadable", problem, "warning")
            self.failed = True
        reports, archive = self.plan(inv, state)
        # A killed run's temp file goes even when nothing is to be written
        # (its event may wait, e.g. for a part left for a later run).
        if not self.dry_run and (reports or archive or state.data["pending"]):
            try:
                out_fd = self.open_output()
            except storage.UnsafeDirectory as exc:
                self.log("write-failed", "output directory: %s" % exc,
                         "error", REPORT=self.out_dir)
                return EXIT_PARTIAL
            try:
                self.take_stock(state, out_fd)
            except OSError as exc:
                os.close(out_fd)
                self.log("write-failed", "output directory %s: %s; nothing "
                         "written" % (self.out_dir, exc.strerror or exc),
                         "error", REPORT=self.out_dir)
                return EXIT_PARTIAL
        else:
            out_fd = None
        try:
            for entry in reports:
                if not self.harvest(inv, state, out_fd, *entry) and self.stop:
                    break
            for ev, failure, attached, _ in archive:
                self.archive(inv, state, ev, failure, attached)
        finally:
            if out_fd is not None:
                storage.close_dir(out_fd)
        return EXIT_PARTIAL if self.failed else EXIT_OK

    def open_output(self):
        fd = storage.open_dir(self.out_dir, create_mode=0o1777)
        if self.config.private:
            inner = storage.open_private_subdir(fd, PRIVATE_SUBDIR)
            os.close(fd)
            fd = inner
        return fd

    def take_stock(self, state, out_fd):
        """Once per run, before anything is written: which of our reports
        still wait in the output directory, and where the reports of a
        killed run are.  Only names the state recorded are looked at, each
        stat'ed once: the directory is never listed, so no number of
        files planted there costs time or memory, and none of them counts
        against max_reports_in_output_dir."""
        lost_inode = False
        for entry in state.data["pending"].values():
            entry.pop("found", None)
            found = None
            for name in storage.candidate_names(str(entry.get("stem")),
                                                REPORT_SUFFIX):
                st = storage.our_stat(out_fd, name)
                if st is not None and entry.get("inode") == \
                        storage.file_identity(st):
                    found = name
                    break
            if found:
                entry["found"] = found
                state.add_report(found)
            elif "inode" in entry:
                # Not linked: its temp goes below, and the inode number with
                # it (it may be reused by another file).
                del entry["inode"]
                lost_inode = True
        if lost_inode:
            state.save()
        for temp in state.pending_temps():
            storage.remove_temp(out_fd, temp)
        waiting = [n for n in state.reports()
                   if storage.our_stat(out_fd, n) is not None]
        state.keep_reports(waiting)
        self.waiting = len(waiting)

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

    def harvest(self, inv, state, out_fd, ev, failure, attached, raw=()):
        records = list(ev.records) + list(attached)
        if all(state.reported(r) for r in records):
            # Reported before; a failed or interrupted clear is finished now.
            if not self.dry_run:
                self.clear(inv, [r for r in records if state.harvested(r)])
            return True
        from . import report
        from .crash.analysis import analyse
        analysis = analyse(ev.log(), ev.reason or failure)
        attachments = [(inv.ids[id(r)], _describe(r), r.payload)
                       for r in records]
        attachments += [(label, "undecodable, raw", data) for label, data in raw]
        package, data, fitted = report.compose(
            ev, analysis, attachments, failure.lower(),
            max_bytes=self.config.max_report_bytes)
        del attachments
        stem = "%s.%s" % (report.safe_name(package), ev.id)
        if self.dry_run:
            self.out.write("would write %s%s (%s)\n" % (
                stem, REPORT_SUFFIX, one_line(analysis.title, 80)))
            return True
        try:
            name = self._recovered(state, ev.id, records)
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
        self.clear(inv, records)
        return True

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

    def _recovered(self, state, event_id, records):
        """The report of a killed run (found by take_stock), if it holds
        exactly these records.  One holding others (a reboot brought a new
        console) stays as it is, and these records get their own report."""
        entry = state.pending(event_id)
        if entry and entry.get("found") and \
                entry.get("records") == record_set(records):
            return entry["found"]
        return None

    def _too_many_reports(self):
        """max_reports_in_output_dir counts our reports that still wait
        (the names the state recorded, see take_stock)."""
        if self.waiting >= self.config.max_reports_in_output_dir:
            self.failed = self.stop = True
            self.log("write-failed", "%d kernel reports already in %s "
                     "(max_reports_in_output_dir); leaving records in place"
                     % (self.waiting, self.out_dir), "error")
            return True
        return False

    def archive(self, inv, state, ev, reason, attached):
        """Dumps that are not reported (e.g. Shutdown) are kept in the state
        directory, then cleared like reported ones.  The console, pmsg and
        ftrace records that go with the dump are archived in the same file
        (each after a header line naming it): they are cleared with it."""
        records = list(ev.records) + list(attached)
        if all(state.reported(r) for r in records):
            if not self.dry_run:
                self.clear(inv, [r for r in records if state.harvested(r)])
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
        self.clear(inv, records)

    # --- clearing ------------------------------------------------------

    def _may_clear(self, source):
        mount_type = source_kind(source).mount_type
        if not self.config.clear_backends or mount_type is None:
            return False
        if source.path not in self.clearable:
            ok = (not self.config.require_pstore_mount or
                  mounted_fstype(source.path) == mount_type)
            if not ok:
                # A copy named with --source is expected; the real
                # directory not being the real filesystem is not.
                real = source.path in (PSTORE_DIR, EFIVARS_DIR)
                self.log("clear-failed", "%s is not a %s mount; records there "
                         "are left in place" % (source.path, mount_type),
                         "warning" if real else "info")
            self.clearable[source.path] = ok
        return self.clearable[source.path]

    def clear(self, inv, records):
        for rec in records:
            source = inv.source_of(rec)
            if not self._may_clear(source) or not rec.origin.name:
                continue
            try:
                dfd = os.open(source.path, os.O_RDONLY | os.O_DIRECTORY |
                              os.O_NOFOLLOW | os.O_CLOEXEC)
                try:
                    source_kind(source).clear(dfd, rec.origin.name)
                finally:
                    os.close(dfd)
            except FileNotFoundError:
                continue
            except OSError as exc:
                self.failed = True
                self.log("clear-failed", "cannot clear %s/%s: %s" % (
                    source.path, rec.origin.name, exc.strerror), "error",
                    BACKEND=rec.backend)


def _joins(state, dump, ev):
    """Does ``ev`` (console, pmsg, ftrace) go with ``dump``?  Not when the
    dump was reported before and ``ev`` was not with it (a later boot's)."""
    if state is None or not all(state.reported(r) for r in dump.records):
        return True
    return all(state.reported(r) for r in ev.records)


def _describe(rec):
    what = "part %d" % rec.part if rec.part else rec.type
    state = ", still compressed" if rec.still_compressed else ""
    return "%s, %d bytes%s" % (what, len(rec.payload), state)


# die() numbers every oops on every architecture: "Oops: 0002 [#1]",
# "Internal error: Oops: 96000005 [#1]", "invalid opcode: 0000 [#1]".
_DIE_COUNTER = lazy(r" \[#\d{1,6}\]")


def _console_crash(found):
    """"Panic" or "Oops" when a console's boot ended in one, else None:
    a console is kept after every boot, and warnings alone (WARNING, BUG:
    sleeping function...) do not end one."""
    if found.panic_message is not None:
        return "Panic"
    if found.headline and _DIE_COUNTER.search(found.block):
        return "Oops"
    return None


def _archive_content(inv, ev, attached):
    """The dump's log, then each attached record's payload as is."""
    pieces = [ev.log()]
    for rec in attached:
        pieces.append(b"\n--- oops-harvest: %s (%s) follows ---\n" % (
            inv.ids[id(rec)].encode(), _describe(rec).encode()))
        pieces.append(rec.payload)
    return b"".join(pieces)


def _reason_from_text(ev):
    """mtdoops records carry no reason line; the log tells."""
    from .crash.analysis import analyse
    head = analyse(ev.log()).failure
    return "Panic" if head == "panic" else "Oops"


def collect(args, config):
    out_dir = args.output_dir or config.output_dir
    state_dir = args.state_dir or config.state_dir
    collector = Collector(config, out_dir, state_dir, args.dry_run, Logger(),
                          sys.stdout)
    return collector.run(args)
