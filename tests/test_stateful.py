"""Stateful property test of --collect (hypothesis RuleBasedStateMachine).

A pstore tree grows across "boots": dmesg dumps of every reason (the real
6.1 and 6.12 ramoops logs and the kernel's reason strings), efi-pstore
dumps in parts, console/pmsg/ftrace records.  Between crashes the machine
runs --collect under random configurations (report_reasons,
clear_backends, caps, max_run_bytes), sometimes killed at a random side effect (the
fork-and-kill of tests/security/test_faults.py), and reboots, which
replace console and pmsg as the kernel does.  After every run the
conservation invariant (tests/invariants.py) holds: nothing left the tree
unless a durable report or archive that the state names holds it, no
event is reported twice, no report is partial.

The machine comes in variants: ``Safe`` leaves out what triggered the
findings of issue 13; each other variant turns one trigger on (each was a
strict xfail naming its finding until its fix).  ``OOPS_HARVEST_STATEFUL=long`` runs ten times the examples.
"""

import os
import shutil
import tempfile

from hypothesis import HealthCheck, Phase, event, settings, strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize,
                                 invariant, precondition, rule)

from harvester import cli
from parsers.efi import generic_id
from parsers.kmsg import REASONS
from tests import apport_format, invariants
from tests.kernelbuild import efi_dump, mtdoops_image, mtdoops_write
from tests.security.test_faults import KILLED, STEPS, run_with_fault

SAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, "samples")
REAL = {  # reason -> real logs of that reason (ramoops pstore files)
    "Oops": ["ramoops-6.1-basic/pstore/dmesg-ramoops-0",
             "ramoops-6.12-basic/pstore/dmesg-ramoops-0"],
    "Panic": ["ramoops-6.1-basic/pstore/dmesg-ramoops-1",
              "ramoops-6.12-basic/pstore/dmesg-ramoops-1"],
    "Shutdown": ["ramoops-6.1-shutdown/pstore/dmesg-ramoops-0",
                 "ramoops-6.12-shutdown/pstore/dmesg-ramoops-0"],
}
REPORTED = ("Oops", "Panic", "Emergency")        # the default report_reasons
LONG = os.environ.get("OOPS_HARVEST_STATEFUL") == "long"
BOOT_SECONDS = 1700000000
KILL_STEPS = ("link", "unlink", "rename", "fsync", "write", "open", "close")


def _real(reason, which):
    path = os.path.join(SAMPLES, REAL[reason][which % len(REAL[reason])])
    with open(path, "rb") as f:
        return f.read()


class Tree:
    """The directories of one example: source, output, state."""

    def __init__(self):
        base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
        self.tmp = tempfile.mkdtemp(prefix="oops-harvest-stateful-", dir=base)
        self.src = os.path.join(self.tmp, "pstore")
        self.out = os.path.join(self.tmp, "crash")
        self.state = os.path.join(self.tmp, "state")
        self.config = os.path.join(self.tmp, "config.yaml")
        os.mkdir(self.src)
        os.mkdir(self.out)
        os.chmod(self.out, 0o1777)
        self.spec = "pstore:%s" % self.src

    def argv(self):
        return ["--collect", "--config", self.config, "--source", self.spec,
                "--output-dir", self.out, "--state-dir", self.state]

    def collect(self, check=False):
        """What run_with_fault calls in its child."""
        return cli.main(self.argv())


class CollectMachine(RuleBasedStateMachine):
    # Which triggers of open findings this variant may produce.
    SHUTDOWN_WITH_LOGS = False   # finding 1: an archived newest dump + console
    REBOOT_AFTER_KILL = False    # finding 2: a kill, then a reboot
    SMALL_REPORTS = False        # finding A: attachments over max_report_bytes
    REBOOT_WITHOUT_CLEAR = False  # finding B: clear_backends false, new console
    # (step, nth): which side effect a killed run dies at.
    KILLS = st.tuples(st.sampled_from(KILL_STEPS),
                      st.integers(1, 4) | st.integers(1, 60))

    def __init__(self):
        super().__init__()
        self.tree = Tree()
        self.boot = 0
        self.dumps = 0          # ramoops zones used / dump counter this boot
        self.efi_count = 0
        self.serial = 0         # makes every record's text unique
        self.killed = False     # the last run was killed
        self.collected = False  # a run happened
        self.clear = True
        self.reasons = list(REPORTED)

    def teardown(self):
        shutil.rmtree(self.tree.tmp, ignore_errors=True)

    def _unique(self, what):
        self.serial += 1
        return ("[%6d.000000] %s %d of boot %d\n"
                % (self.serial, what, self.serial, self.boot)).encode()

    def _write(self, name, data, mtime=None):
        path = os.path.join(self.tree.src, name)
        with open(path, "wb") as f:
            f.write(data)
        if mtime is not None:
            os.utime(path, (mtime, mtime))

    def _now(self):
        return BOOT_SECONDS + 3600 * self.boot + 10 * self.dumps

    # --- configuration --------------------------------------------------

    @initialize(reasons=st.lists(st.sampled_from(REASONS), unique=True),
                clear=st.booleans(),
                max_report=st.sampled_from([8 << 20, 8 << 20, 300000, 60000]),
                max_records=st.sampled_from([1000, 1000, 6, 2]),
                max_reports=st.sampled_from([100, 100, 4]),
                max_run=st.sampled_from([32 << 20, 32 << 20, 40000]))
    def configure(self, reasons, clear, max_report, max_records, max_reports,
                  max_run):
        if not self.SHUTDOWN_WITH_LOGS:
            # Every dump this variant makes is reported, never archived.
            reasons = sorted(set(reasons) | set(REPORTED))
        else:
            reasons = [r for r in reasons if r != "Shutdown"]
        if not self.SMALL_REPORTS:
            max_report = 8 << 20
        else:               # a real 27 KB log's attachment cannot fit
            max_report = 6000
        if self.REBOOT_WITHOUT_CLEAR:
            clear = False
        if self.REBOOT_AFTER_KILL:
            clear = True
        self.clear = clear
        self.reasons = reasons
        with open(self.tree.config, "w") as f:
            f.write("require_pstore_mount: false\nclear_backends: %s\n"
                    "report_reasons: [%s]\nmax_report_bytes: %d\n"
                    "max_records: %d\nmax_reports_in_output_dir: %d\n"
                    "max_run_bytes: %d\n"
                    % ("true" if clear else "false", ", ".join(reasons),
                       max_report, max_records, max_reports, max_run))

    # --- what the kernel does ---------------------------------------------

    def _reason(self, data):
        reason = data.draw(st.sampled_from(REASONS + ("Shutdown",) * 4))
        if not self.SHUTDOWN_WITH_LOGS and reason not in REPORTED:
            reason = "Oops"
        return reason

    @precondition(lambda self: self.dumps < 12)
    @rule(data=st.data(), which=st.integers(0, 1), real=st.booleans())
    def ramoops_dump(self, data, which, real):
        reason = self._reason(data)
        self.dumps += 1
        if real and reason in REAL:
            body = _real(reason, which)
            head, rest = body.split(b"\n", 1)
            body = ("%s#%d Part1\n" % (reason, self.dumps)).encode() + rest
        else:
            body = ("%s#%d Part1\n" % (reason, self.dumps)).encode() + \
                b"<4>[    1.000000] BUG: kernel NULL pointer dereference\n" \
                b"<4>[    1.000001] RIP: 0010:crash_func+0x1/0x10\n"
        self._write("dmesg-ramoops-%d" % (self.dumps - 1),
                    body + self._unique("dmesg"), self._now())
        console = os.path.join(self.tree.src, "console-ramoops-0")
        if self.REBOOT_AFTER_KILL and not os.path.exists(console):
            self.front_end("console", 2)     # the crashed boot's console

    @precondition(lambda self: self.efi_count < 4)
    @rule(data=st.data(), lines=st.integers(1, 60))
    def efi_dump(self, data, lines):
        reason = self._reason(data)
        self.efi_count += 1
        self.dumps += 1
        log = b"".join(self._unique("efi line %d" % i) for i in range(lines))
        seconds = self._now()
        _, texts = efi_dump(reason, self.efi_count, log, seconds,
                            compress=False)
        for part, text in texts.items():
            self._write("dmesg-efi-%d" % generic_id(seconds, part,
                                                     self.efi_count), text)

    def _new_logs_allowed(self):
        return self.clear or not self.collected or self.REBOOT_WITHOUT_CLEAR

    @precondition(lambda self: self._new_logs_allowed())
    @rule(kind=st.sampled_from(["console", "pmsg", "ftrace"]),
          lines=st.integers(1, 30))
    def front_end(self, kind, lines):
        self._write("%s-ramoops-0" % kind,
                    b"".join(self._unique(kind) for _ in range(lines)))

    def _may_reboot(self):
        if self.killed and not self.REBOOT_AFTER_KILL:
            return False
        return self._new_logs_allowed()

    @precondition(lambda self: self._may_reboot())
    @rule(keep_console=st.booleans())
    def reboot(self, keep_console):
        """A new boot: console and pmsg of the previous one replace what
        was there (or vanish), dumps stay."""
        self.boot += 1
        keep_console = keep_console or self.REBOOT_AFTER_KILL
        for kind in ("console", "pmsg"):
            path = os.path.join(self.tree.src, "%s-ramoops-0" % kind)
            if os.path.exists(path):
                os.unlink(path)
                if keep_console:
                    self._write("%s-ramoops-0" % kind,
                                self._unique("%s after reboot" % kind))

    # --- what we do --------------------------------------------------------

    @rule()
    def collect(self):
        before = invariants.snapshot([self.tree.spec])
        cli.main(self.tree.argv())
        self.killed = False
        self.collected = True
        self._check(before)

    @rule(data=st.data())
    def collect_killed(self, data):
        step, nth = data.draw(self.KILLS, label="kill at")
        assert step in STEPS
        before = invariants.snapshot([self.tree.spec])
        status = run_with_fault(self.tree, step, nth, "kill")
        event("run killed at %s" % step if status == KILLED
              else "run not killed")
        self.killed = self.killed or status == KILLED
        self.collected = True
        self._check(before)

    def _check(self, before):
        invariants.check(before, self.tree.out, self.tree.state,
                         only_ours=True)
        gone = sum(invariants.left_its_source(item) for item in before)
        event("records erased by a run: %s" % ("0" if not gone else
                                               "1-3" if gone < 4 else "4+"))

    @invariant()
    def no_temp_left_after_a_clean_run(self):
        if not self.killed and os.path.isdir(self.tree.out):
            temps = [n for n in os.listdir(self.tree.out) if n.endswith(".tmp")]
            assert temps == [], temps


def _settings(examples, steps, shrink=True):
    if LONG:
        examples, steps = examples * 10, steps * 3 // 2
    phases = [Phase.explicit, Phase.reuse, Phase.generate]
    if shrink:
        phases.append(Phase.shrink)
    return settings(max_examples=examples, stateful_step_count=steps,
                    deadline=None, derandomize=True, phases=phases,
                    suppress_health_check=list(HealthCheck))


class Safe(CollectMachine):
    pass


class Shutdown(CollectMachine):
    SHUTDOWN_WITH_LOGS = True


class KillReboot(CollectMachine):
    REBOOT_AFTER_KILL = True
    # Between link() and the state's record of it: the report's temp file
    # is unlinked, the state file renamed.
    KILLS = st.sampled_from([("unlink", 1), ("rename", 2)])


class SmallReports(CollectMachine):
    SMALL_REPORTS = True


class NoClear(CollectMachine):
    REBOOT_WITHOUT_CLEAR = True


Safe.TestCase.settings = _settings(100, 20)
TestSafe = Safe.TestCase

# Fixed (were strict xfails): 1 Shutdown, 2 KillReboot (13a's bbe4b58 and
# e7136f3), A SmallReports and B NoClear (13c).
for machine in (Shutdown, KillReboot, SmallReports, NoClear):
    machine.TestCase.settings = _settings(60, 20)
TestShutdown = Shutdown.TestCase
TestKillReboot = KillReboot.TestCase
TestSmallReports = SmallReports.TestCase
TestNoClear = NoClear.TestCase


# --- liveness (issue 18) ----------------------------------------------------

K = 3                    # clean runs with the defaults that settle anything
LIVE_REASONS = ("Oops", "Panic", "Shutdown")    # Shutdown is archived
MTD_SLOTS = 8


class LiveTree:
    """Two pstore directories that share twins (the live one and a copy,
    as systemd-pstore leaves with Unlink=no) and an mtdoops image."""

    def __init__(self):
        base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
        self.tmp = tempfile.mkdtemp(prefix="oops-harvest-live-", dir=base)
        self.src = os.path.join(self.tmp, "pstore")
        self.copy = os.path.join(self.tmp, "archive")
        self.mtd = os.path.join(self.tmp, "mtd.bin")
        self.out = os.path.join(self.tmp, "crash")
        self.state = os.path.join(self.tmp, "state")
        self.config = os.path.join(self.tmp, "config.yaml")
        for path in (self.src, self.copy, self.out):
            os.mkdir(path)
        os.chmod(self.out, 0o1777)
        self.image = mtdoops_image(MTD_SLOTS)
        self.save_image()
        self.configure("")

    def save_image(self):
        with open(self.mtd, "wb") as f:
            f.write(bytes(self.image))

    def configure(self, caps):
        with open(self.config, "w") as f:
            f.write("require_pstore_mount: false\n" + caps)

    def argv(self):
        argv = ["--collect", "--config", self.config, "--output-dir",
                self.out, "--state-dir", self.state]
        for spec in ("pstore:" + self.src, "pstore:" + self.copy,
                     "mtdoops:" + self.mtd):
            argv += ["--source", spec]
        return argv

    def collect(self):
        return cli.main(self.argv())

    def files(self):
        """{name: what a reader finds in it}: each durable report's fields
        joined (parsed with tests/apport_format.py), each archive's bytes."""
        found = {}
        for place in (self.out, os.path.join(self.out, "oops-harvest"),
                      self.state):
            if not os.path.isdir(place):
                continue
            for name in sorted(os.listdir(place)):
                path = os.path.join(place, name)
                if name.endswith(".crash"):
                    with open(path, "rb") as f:
                        fields, _ = apport_format.load(f.read())
                    found[name] = fields
                elif name.startswith("archive-") and not name.endswith(".tmp"):
                    with open(path, "rb") as f:
                        found[name] = f.read()
        return found


class LiveMachine(RuleBasedStateMachine):
    """Any sequence of small caps, dumps of every record type, twins and
    killed runs; then the defaults and at most K clean runs must leave
    every record's content in exactly one report or archive, both pstore
    directories empty, no dump split across files and no report partial.
    What a record holds is known here from what was written: a unique
    token line per record (several per efi part), grouped by dump."""

    KILLS = True

    def __init__(self):
        super().__init__()
        self.tree = LiveTree()
        self.serial = 0
        self.dumps = 0
        self.efi = 0
        self.slot = 0
        self.names = 0
        self.groups = {}         # dump (or lone record) -> its tokens
        self.settled = True      # nothing written or changed since settle

    def teardown(self):
        """Every example ends settled: the last steps' records too."""
        try:
            if not self.settled:
                self.settle()
        finally:
            shutil.rmtree(self.tree.tmp, ignore_errors=True)

    def _tokens(self, group, n, what):
        lines = []
        for _ in range(n):
            self.serial += 1
            token = b"live-token-%07d" % self.serial
            self.groups.setdefault(group, []).append(token)
            lines.append(b"[%6d.000000] %s %s\n" % (self.serial, what.encode(), token))
        return b"".join(lines)

    def _write(self, name, data, group, mtime):
        path = os.path.join(self.tree.src, name)
        with open(path, "wb") as f:
            f.write(data)
        os.utime(path, (mtime, mtime))
        self.settled = False

    def _now(self):
        return BOOT_SECONDS + 10 * self.serial

    @rule(reasons=st.lists(st.sampled_from(REASONS), unique=True),
          max_records=st.sampled_from([1, 2, 3]) | st.none(),
          max_run=st.sampled_from([2000, 6000, 20000]) | st.none(),
          max_report=st.sampled_from([4096, 12000]) | st.none())
    def configure(self, reasons, max_records, max_run, max_report):
        caps = "report_reasons: [%s]\n" % ", ".join(
            sorted(set(reasons) | set(REPORTED)))
        for key, value in (("max_records", max_records),
                           ("max_run_bytes", max_run),
                           ("max_report_bytes", max_report)):
            if value is not None:
                caps += "%s: %d\n" % (key, value)
        self.tree.configure(caps)

    @precondition(lambda self: self.names < 12)
    @rule(reason=st.sampled_from(LIVE_REASONS), lines=st.integers(1, 40))
    def ramoops_dump(self, reason, lines):
        self.dumps += 1
        group = "dump %d" % self.dumps
        body = ("%s#%d Part1\n" % (reason, self.dumps)).encode() + \
            b"<4>[    1.000000] BUG: kernel NULL pointer dereference\n" + \
            self._tokens(group, lines, "dmesg")
        self.names += 1
        self._write("dmesg-ramoops-%d" % self.names, body, group, self._now())

    @precondition(lambda self: self.efi < 4)
    @rule(reason=st.sampled_from(LIVE_REASONS), lines=st.integers(1, 80))
    def efi_dump(self, reason, lines):
        self.efi += 1
        self.dumps += 1
        group = "efi dump %d" % self.dumps
        log = self._tokens(group, lines, "efi line")
        seconds = self._now()
        _, texts = efi_dump(reason, self.efi, log, seconds, compress=False)
        for part, text in texts.items():
            self._write("dmesg-efi-%d" % generic_id(seconds, part, self.efi),
                        text, group, seconds)

    @rule(kind=st.sampled_from(["console", "pmsg", "ftrace"]),
          lines=st.integers(1, 20))
    def front_end(self, kind, lines):
        name = "%s-ramoops-0" % kind
        if os.path.exists(os.path.join(self.tree.src, name)):
            return               # the kernel keeps one; it is still pending
        self.names += 1
        group = "%s %d" % (kind, self.names)
        self._write(name, self._tokens(group, lines, kind), group,
                    self._now())

    @precondition(lambda self: self.slot < MTD_SLOTS)
    @rule(n=st.integers(1, 4))
    def mtdoops_records(self, n):
        for _ in range(min(n, MTD_SLOTS - self.slot)):
            self.slot += 1
            group = "mtdoops %d" % self.slot
            text = b"<1>[    1.000000] BUG: crash in slot %d\n" % self.slot + \
                self._tokens(group, 1, "mtdoops")
            mtdoops_write(self.tree.image, self.slot - 1, self.slot, text)
        self.tree.save_image()
        self.settled = False

    @rule()
    def twins(self):
        """systemd-pstore copied the live directory (Unlink=no)."""
        for name in os.listdir(self.tree.src):
            shutil.copy2(os.path.join(self.tree.src, name),
                         os.path.join(self.tree.copy, name))

    @rule()
    def collect(self):
        self.tree.collect()

    @precondition(lambda self: self.KILLS)
    @rule(data=st.data())
    def collect_killed(self, data):
        step, nth = data.draw(CollectMachine.KILLS, label="kill at")
        status = run_with_fault(self.tree, step, nth, "kill")
        event("run killed at %s" % step if status == KILLED
              else "run not killed")

    @rule()
    def settle(self):
        """The defaults back, then at most K clean runs."""
        self.settled = True          # checked now, not again at teardown
        self.tree.configure("")
        for run in range(1, K + 1):
            self.tree.collect()
            if not self.problems():
                event("settled after %d clean runs" % run)
                return
        raise AssertionError("not settled after K=%d clean runs: %s"
                             % (K, "; ".join(self.problems())))

    def problems(self):
        bad = []
        for where in (self.tree.src, self.tree.copy):
            left = sorted(os.listdir(where))
            if left:
                bad.append("%s still holds %s" % (where, left))
        files = self.tree.files()
        texts = {}
        for name, content in files.items():
            if isinstance(content, dict):
                for key, value in content.items():
                    if key.startswith("PstoreRecord") and key[12:].isdigit():
                        texts.setdefault(name, []).append(value)
                content = b"\n".join(texts.get(name, []))
            texts[name] = content
        for group, tokens in self.groups.items():
            holders = set()
            for token in tokens:
                where = [n for n, text in texts.items() if token + b"\n" in text]
                if len(where) != 1:
                    bad.append("%s %s is in %d files %s" % (
                        group, token.decode(), len(where), where))
                holders.update(where)
            if len(holders) > 1:
                bad.append("%s is split across %s" % (group, sorted(holders)))
        return bad


class LiveUnkilled(LiveMachine):
    KILLS = False


LiveUnkilled.TestCase.settings = _settings(150, 40)
TestLivenessUnkilled = LiveUnkilled.TestCase
LiveMachine.TestCase.settings = _settings(150, 40)
# Finding L1, fixed in collector/plan.py: a run killed after linking a
# file but before recording it left records the next run put in a second
# file: a lone console's archive, then the console with a new dump
# (front_end(console), collect_killed(unlink 1), efi_dump, settle); a
# dump's report with the console, then the console with a newer dump.
TestLiveness = LiveMachine.TestCase
