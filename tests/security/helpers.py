"""Shared pieces of the adversarial suite: per-backend environments built
from the real-kernel samples, a collector runner, the next report names,
sentinel snapshots and the "nothing lost, nothing twice" invariant."""

import hashlib
import json
import os
import shutil
import stat

from harvester import cli
from tests import apport_format, invariants

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir,
                                    os.pardir))
SAMPLES = os.path.join(ROOT, "samples")
EFI_SAMPLE = os.path.join(SAMPLES, "efi-6.1-two-dumps")
RAMOOPS_IMAGE = os.path.join(SAMPLES, "ramoops-6.1-basic", "raw", "ramoops.bin")
MTDOOPS_IMAGE = os.path.join(SAMPLES, "mtdoops-6.1-few", "raw", "mtd.bin")
IS_ROOT = os.geteuid() == 0
NOBODY = 65534
MAIN_PID = os.getpid()

# The keys a report of the efi / ramoops samples carries: a constant set.
BASE_KEYS = {"ProblemType", "Architecture", "Date", "DuplicateSignature",
             "Failure", "KernelLog", "Package", "PstoreBackend", "PstoreEvent",
             "PstoreRecords", "SourcePackage", "Tags", "Title"}
# Every key report.build can ever write (text and binary families).
ALLOWED_KEYS = BASE_KEYS | {
    "Uname", "PackageSource", "DateSource", "DistroRelease", "OopsText",
    "PanicMessage", "KernelTaint", "KernelBuild", "CrashFunction",
    "PstoreECC", "PstoreProblems", "KernelLogTruncated",
    "PstoreRecordsOmitted"}


def allowed_key(key):
    return key in ALLOWED_KEYS or (key.startswith("PstoreRecord") and
                                   key[12:].isdigit() and key[12] != "0")


class Env:
    """A source of one backend kind that the collector may clear (pstore,
    efivars copies) or only read (raw images), and output/state dirs."""

    def __init__(self, tmp, backend="pstore", out_mode=None):
        self.tmp = str(tmp)
        self.backend = backend
        os.makedirs(self.tmp, exist_ok=True)
        self.config = os.path.join(self.tmp, "config.yaml")
        with open(self.config, "w") as f:
            f.write("require_pstore_mount: false\n")
        self.out = os.path.join(self.tmp, "crash")
        self.state = os.path.join(self.tmp, "state")
        os.mkdir(self.out)
        # The VM run (vm_planted.py) makes it Ubuntu's 3777 root:whoopsie.
        if out_mode is None:
            out_mode = int(os.environ.get("OOPS_HARVEST_TEST_OUT_MODE", "1777"), 8)
        os.chmod(self.out, out_mode)
        group = os.environ.get("OOPS_HARVEST_TEST_OUT_GROUP")
        if group:
            import grp
            os.chown(self.out, -1, grp.getgrnam(group).gr_gid)
            os.chmod(self.out, out_mode)      # chown clears the setgid bit
        if backend == "pstore":
            self.src = os.path.join(self.tmp, "pstore")
            shutil.copytree(os.path.join(EFI_SAMPLE, "pstore"), self.src)
        elif backend == "efivars":
            self.src = os.path.join(self.tmp, "efivars")
            shutil.copytree(os.path.join(EFI_SAMPLE, "raw", "efivars"),
                            self.src)
        elif backend == "ramoops":
            self.src = os.path.join(self.tmp, "ramoops.bin")
            shutil.copyfile(RAMOOPS_IMAGE, self.src)
        elif backend == "mtdoops":
            self.src = os.path.join(self.tmp, "mtd.bin")
            shutil.copyfile(MTDOOPS_IMAGE, self.src)
        else:
            raise ValueError(backend)
        self.spec = "%s:%s" % (backend, self.src)

    @property
    def clearable(self):
        return self.backend in ("pstore", "efivars")

    def argv(self, *extra):
        return ["--collect", "--config", self.config, "--source", self.spec,
                "--output-dir", self.out, "--state-dir", self.state] + list(extra)

    def collect(self, *extra, check=True):
        """Run --collect; then the conservation invariant must hold
        (tests/invariants.py), unless ``check`` is off or we are a forked
        child (whose run a fault may have cut short on purpose)."""
        check = check and os.getpid() == MAIN_PID
        before = invariants.snapshot([self.spec]) if check else None
        rc = cli.main(self.argv(*extra))
        if check:
            invariants.check(before, self.out, self.state)
        return rc

    def write_config(self, text):
        with open(self.config, "w") as f:
            f.write("require_pstore_mount: false\n" + text)

    def reports(self):
        return sorted(n for n in os.listdir(self.out) if n.endswith(".crash"))

    def source_files(self):
        if os.path.isdir(self.src):
            return sorted(os.listdir(self.src))
        return [os.path.basename(self.src)]

    def source_digest(self):
        h = hashlib.sha256()
        for name in self.source_files():
            path = os.path.join(self.src, name) if os.path.isdir(self.src) \
                else self.src
            h.update(name.encode() + b"\0")
            with open(path, "rb") as f:
                h.update(f.read())
        return h.hexdigest()


def inventory(spec):
    from harvester.config import Config
    from harvester.inventory import gather

    class Args:
        source = [spec]
    return gather(Args, Config())


def planned_names(spec):
    """The report names the next run tries first, one per reported event
    (linux-image-<release>.<event>.crash), newest event last."""
    from harvester import report
    from harvester.crash import analysis
    names = []
    for ev in inventory(spec).events:
        if ev.type != "dmesg":
            continue
        release = analysis.analyse(ev.log(), ev.reason).release
        names.append("%s.%s.crash" % (report.safe_name(
            "linux-image-%s" % release), ev.id))
    return names


def all_candidates(spec, attempts=16):
    from harvester import storage
    out = []
    for name in planned_names(spec):
        out.extend(storage.candidate_names(name[:-6], ".crash", attempts))
    return out


def snapshot(path):
    """What must not change about an attacker's target."""
    st = os.lstat(path)
    digest = None
    if stat.S_ISREG(st.st_mode):
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
    return (digest, st.st_size, st.st_mtime_ns, stat.S_IMODE(st.st_mode),
            st.st_uid, st.st_gid, st.st_nlink, stat.S_IFMT(st.st_mode))


def make_sentinel(tmp, name="sentinel", content=b"root:$6$secret:19000::::::\n"):
    path = os.path.join(str(tmp), name)
    with open(path, "wb") as f:
        f.write(content)
    os.chmod(path, 0o600)
    return path


def load_report(path):
    with open(path, "rb") as f:
        return apport_format.load(f.read())


def check_our_report(dir_fd, name, mode=0o600):
    """fstat checks of a produced report (T6): regular, ours, one link."""
    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    assert stat.S_ISREG(st.st_mode), name
    assert st.st_uid == os.geteuid(), name
    assert st.st_nlink == 1, name
    assert stat.S_IMODE(st.st_mode) == mode, (name, oct(st.st_mode))


def our_reports(out):
    """Report names that are regular files we own with one link."""
    dfd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    try:
        names = []
        for name in os.listdir(dfd):
            if not name.endswith(".crash"):
                continue
            st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
            if stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid() \
                    and st.st_nlink == 1:
                names.append(name)
        return sorted(names)
    finally:
        os.close(dfd)


def complete_reports(env):
    """{name: fields} of every .crash file we own; each must parse whole
    (a partial file under a final name fails here)."""
    out = {}
    for name in our_reports(env.out):
        fields, _ = load_report(os.path.join(env.out, name))
        for key in fields:
            assert allowed_key(key), (name, key)
        out[name] = fields
    return out


def payload_digests(reports):
    digests = set()
    for fields in reports.values():
        for key, value in fields.items():
            if key.startswith("PstoreRecord") and key[12:].isdigit():
                digests.add(hashlib.sha256(value).hexdigest())
    return digests


def harvested_state(env):
    try:
        with open(os.path.join(env.state, "state.json"), "rb") as f:
            return json.loads(f.read()).get("harvested", {})
    except (OSError, ValueError):
        return {}


def assert_nothing_lost(env, original):
    """``original``: [(fingerprint, origin file name, payload sha256)] of
    every record before the run.  Each must still be recoverable: inside a
    complete report, or still in its backend and not marked harvested."""
    reports = complete_reports(env)
    in_reports = payload_digests(reports)
    present = set(env.source_files()) if env.clearable else None
    harvested = harvested_state(env)
    lost = []
    for fp, origin, digest in original:
        if digest in in_reports:
            continue
        still_there = present is None or origin in present
        if still_there and fp not in harvested:
            continue
        lost.append((fp, origin))
    assert not lost, lost
    return reports


def records_of(spec):
    from harvester.state import fingerprint
    inv = inventory(spec)
    return [(fingerprint(rec), rec.origin.name,
             hashlib.sha256(rec.payload).hexdigest())
            for _, _, rec in inv.records]


def assert_once_each(env, expected_events):
    """Exactly one complete report per event, every event reported."""
    reports = complete_reports(env)
    events = [fields["PstoreEvent"] for fields in reports.values()]
    assert sorted(events) == sorted(expected_events), (events, expected_events)
    return reports


def quiet_child(body):
    """Fork; the child runs ``body()`` with stdout/stderr on /dev/null and
    exits with its return value (97 when an exception escaped).  Returns
    the child's pid."""
    pid = os.fork()
    if pid == 0:
        code = 97
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            code = body()
        except BaseException:
            code = 97
        finally:
            os._exit(code)
    return pid


def as_user(uid, func):
    """Run ``func()`` in a child as ``uid``; its return value (an int) is the
    exit status.  Root only."""
    pid = os.fork()
    if pid == 0:
        code = 99
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            code = int(func() or 0)
        except BaseException:
            code = 98
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.WEXITSTATUS(status)
