"""--collect: one report per crash, durable before anything is erased.

A run goes through four phases, one module each:

- ``plan``: which events become reports, which are only archived, which
  wait for a later run;
- ``recover``: what a killed run left (its complete reports recorded, its
  temp files removed), and how many of our reports still wait;
- ``write``: each report (or archive) written durably and recorded;
- ``clear``: only then are its backend records erased.

A failure at any step leaves the records where they were; a kill between
steps is recovered by the next run without a second report.
"""

import os
import sys

from .. import storage
from ..inventory import gather
from ..log import Logger
from ..sources.pstore import mount_pstore
from ..state import AlreadyRunning, Snapshot, State
from .clear import Clearer
from .plan import plan
from .recover import take_stock
from .write import Writer, open_output

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2


class Collector:
    def __init__(self, config, out_dir, state_dir, dry_run, log, out):
        self.config = config
        self.out_dir = out_dir
        self.state_dir = state_dir
        self.dry_run = dry_run
        self.log = log
        self.out = out
        self.failed = False        # something was left in place: exit 1

    def plan(self, inv, state=None):
        """``(reports, archive)`` (plan.py); a dump held back for a later
        run is logged and makes the run's exit status 1."""
        found = plan(inv, self.config.report_reasons, state)
        for ev in found.held:
            self.failed = True
            self.log("unreadable", "dump %s is held back: one of its "
                     "parts could not be read; it stays in place for a "
                     "later run" % ev.id, "warning", BACKEND=ev.backend)
        return found.reports, found.archive

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
        inv = gather(args, self.config, seen=state.seen)
        for problem in inv.problems:
            self.log("unreadable", problem, "warning")
            self.failed = True
        reports, archive = self.plan(inv, state)
        clearer = Clearer(self.config, self.log)
        writer = Writer(self.config, self.out_dir, self.state_dir,
                        self.dry_run, self.log, self.out, clearer)
        # A killed run's temp file goes even when nothing is to be written
        # (its event may wait, e.g. for a part left for a later run).
        if not self.dry_run and (reports or archive or state.data["pending"]):
            try:
                out_fd = open_output(self.config, self.out_dir)
            except storage.UnsafeDirectory as exc:
                self.log("write-failed", "output directory: %s" % exc,
                         "error", REPORT=self.out_dir)
                return EXIT_PARTIAL
            try:
                writer.waiting = take_stock(state, out_fd)
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
                if not writer.report(inv, state, out_fd, *entry) and \
                        writer.stop:
                    break
            for ev, failure, attached, _ in archive:
                writer.archive(inv, state, ev, failure, attached)
        finally:
            if out_fd is not None:
                storage.close_dir(out_fd)
        failed = self.failed or writer.failed or clearer.failed
        return EXIT_PARTIAL if failed else EXIT_OK


def collect(args, config):
    out_dir = args.output_dir or config.output_dir
    state_dir = args.state_dir or config.state_dir
    collector = Collector(config, out_dir, state_dir, args.dry_run, Logger(),
                          sys.stdout)
    return collector.run(args)
