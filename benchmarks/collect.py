#!/usr/bin/env python3
"""Wall time of `oops-harvest --collect` next to the interpreter's floor
(`python3 -c pass`) and to systemd-pstore on the same input.

It runs the way the package runs it: through the installed console script
(`/usr/bin/oops-harvest`, or a venv's `bin/oops-harvest`).  By default this
installs the checkout with its journal extra (systemd-python, built from
source: needs libsystemd-dev and pkg-config) into a throwaway venv
(python3 -m venv, pip install; needs PyPI or a wheel cache); --script PATH
measures an installed script instead.  The floor and the `python -m
harvester.cli` figure use the script's own interpreter.

Targets (issue 20, plain standard code): an empty pstore at most 2.5x the
floor, the real-kernel efi sample (two dumps, 27 parts) at most 6x, through
the console script, median of 15 runs, with the files on a tmpfs: each report costs eight
fsync() calls (the report and its directory, the state file and its
directory three times), which on a disk add their latency on top (--dir
to measure there).  A fourth case is an EFI machine's usual boot: an empty
pstore, 40 EFI variables that are no crash and the state of earlier
harvests (target as for the empty pstore).  systemd-pstore runs in a
private mount namespace with the sample bind-mounted over /sys/fs/pstore
(needs root and unshare; skipped otherwise).

    python3 benchmarks/collect.py [--script /usr/bin/oops-harvest]
"""

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
SAMPLE = os.path.join(ROOT, "samples", "efi-6.1-two-dumps", "pstore")
RUNS = 15
TARGET_EMPTY, TARGET_EFI = 2.5, 6.0
SHM = "/dev/shm"
EFI_GLOBAL = "8be4df61-93ca-11d2-aa0d-00e098032b8c"   # EFI_GLOBAL_VARIABLE


def timed(cases, env=None, cwd=None):
    """Median wall and CPU time (user + system) of each ``(cmd, prepare)``.
    The cases take turns, so that load from elsewhere on the machine hits
    them alike; CPU time is what the run would take on an idle machine
    (without I/O waits), wall time what it took here."""
    wall = [[] for _ in cases]
    cpu = [[] for _ in cases]
    for _ in range(RUNS):
        for index, (cmd, prepare) in enumerate(cases):
            if prepare:
                prepare()
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(cmd, check=False, env=env, cwd=cwd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wall[index].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[index].append(after.ru_utime + after.ru_stime -
                              before.ru_utime - before.ru_stime)
    return ([statistics.median(t) for t in wall],
            [statistics.median(t) for t in cpu])


def install_venv(tmp):
    venv = os.path.join(tmp, "venv")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q",
                    "--disable-pip-version-check", ROOT + "[journal]"], check=True)
    return os.path.join(venv, "bin", "oops-harvest")


JOURNAL = "/run/systemd/journal/socket"


def journal_socket():
    """A socket bound in journald's place when it has none, or None.  It is
    removed before systemd-pstore runs, whose messages would wait for it."""
    if os.path.exists(JOURNAL):
        return None
    try:
        os.makedirs(os.path.dirname(JOURNAL), exist_ok=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(JOURNAL)
    except OSError:
        return None
    sock.setblocking(False)
    return sock


def drain(sock):
    """What the runs sent, taken as journald would (its queue is short)."""
    while sock is not None and sock.fileno() >= 0:     # not yet closed
        try:
            sock.recv(1 << 16)
        except BlockingIOError:
            return


def interpreter(script):
    with open(script, "rb") as f:
        line = f.readline().decode().strip()
    if not line.startswith("#!"):
        sys.exit("%s: no #! line" % script)
    return line[2:].split()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--script", help="an installed oops-harvest script "
                        "(default: install this checkout into a temporary venv)")
    parser.add_argument("--dir", default=SHM if os.access(SHM, os.W_OK) else None,
                        help="where the sample copies and reports go (default "
                        "%s, a tmpfs: the program's cost without the disk's "
                        "fsync latency, which comes on top)" % SHM)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="oops-bench-", dir=args.dir)
    try:
        return run(tmp, args.script or install_venv(tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(tmp, script):
    python = interpreter(script)
    pstore, out, state = (os.path.join(tmp, n) for n in ("pstore", "out", "state"))
    # The package's config file (all comments, so PyYAML is not loaded), as
    # at boot; and one that lets the run clear the copy, as it clears the
    # real pstore mount at boot, paying for PyYAML.
    shipped = os.path.join(ROOT, "packaging", "config", "config.yaml")
    clearing = os.path.join(tmp, "config.yaml")
    with open(clearing, "w") as f:
        f.write("require_pstore_mount: false\n")
    args = ["--collect", "--source", "pstore:" + pstore, "--output-dir", out,
            "--state-dir", state]
    # The installed modules, not this checkout's: run from the temp dir.
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    # As under systemd: standard error (here /dev/null) is the journal's,
    # so messages go to the journal socket, one made here if there is none
    # (a container), so that sending them is timed too.
    null = os.stat(os.devnull)
    env["JOURNAL_STREAM"] = "%d:%d" % (null.st_dev, null.st_ino)
    journal = journal_socket()

    def fresh(copy):
        def prepare():
            drain(journal)
            for d in (pstore, out, state):
                shutil.rmtree(d, ignore_errors=True)
            if copy:
                shutil.copytree(SAMPLE, pstore)
            else:
                os.mkdir(pstore)
        return prepare

    # A boot of an EFI machine with nothing new: its variables (none a
    # crash) and the state of earlier harvests are read too.
    efivars = os.path.join(tmp, "efivars")
    os.mkdir(efivars)
    for number in range(40):
        with open(os.path.join(efivars, "Boot%04X-%s" % (number, EFI_GLOBAL)),
                  "wb") as f:
            f.write(b"\x07\x00\x00\x00" + os.urandom(64))
    earlier = {"harvested": {"efi:dmesg:%d:1700000000:%032x" % (n, n): {
        "event": "E%010x" % (n // 14), "report": "r%d.crash" % (n // 14)}
        for n in range(27)}, "kept": {}, "pending": {},
        "reports": ["r0.crash", "r1.crash"]}

    def known():
        fresh(False)()
        drain(journal)
        os.mkdir(state, 0o700)
        with open(os.path.join(state, "state.json"), "w") as f:
            json.dump(earlier, f, sort_keys=True)

    def runs(cmd):
        return [(cmd + args + ["--config", shipped], fresh(False)),
                (cmd + args + ["--config", shipped], fresh(True)),
                (cmd + args + ["--config", clearing], fresh(True)),
                (cmd + args + ["--source", "efivars:" + efivars, "--config",
                               shipped], known)]

    try:
        wall, cpu = timed([(python + ["-c", "pass"], None)] + runs([script]) +
                          runs(python + ["-m", "harvester.cli"]), env, tmp)
    finally:
        if journal is not None:
            journal.close()
            os.unlink(JOURNAL)
    labels = ("empty pstore", "efi sample, 27 parts",
              "same, YAML config, clearing", "EFI machine, state, no crash")
    targets = (TARGET_EMPTY, TARGET_EFI, None, TARGET_EMPTY)
    print("%s, median of %d runs, files in %s" % (script, RUNS, tmp))
    print("%-32s %-24s %s" % ("", "wall time", "CPU time (user+sys)"))
    print("%-32s %7.1f ms %14s %7.1f ms" % ("python3 -c pass (floor)",
                                          wall[0] * 1e3, "", cpu[0] * 1e3))
    for way, offset in (("console script", 1), ("python -m harvester.cli", 5)):
        print("--collect through the %s" % way)
        for index, (label, target) in enumerate(zip(labels, targets)):
            w, c = wall[offset + index], cpu[offset + index]
            print("  %-30s %7.1f ms %5.2fx        %7.1f ms %5.2fx  %s" % (
                label, w * 1e3, w / wall[0], c * 1e3, c / cpu[0],
                "(target <= %.1fx)" % target if target else ""))
    empty, efi, machine = wall[1], wall[2], wall[4]
    floor = wall[0]
    pstore_bin = "/lib/systemd/systemd-pstore"
    if os.geteuid() == 0 and shutil.which("unshare") and os.path.exists(pstore_bin):
        archive = os.path.join(tmp, "archive")
        script_sh = ("mount --bind %s /sys/fs/pstore && mount --bind %s "
                     "/var/lib/systemd/pstore && s=$(date +%%s%%N) && %s; "
                     "e=$(date +%%s%%N); echo $((e-s))" % (pstore, archive, pstore_bin))
        samples = []
        for _ in range(RUNS):
            fresh(True)()
            shutil.rmtree(archive, ignore_errors=True)
            os.mkdir(archive)
            os.makedirs("/var/lib/systemd/pstore", exist_ok=True)
            try:
                res = subprocess.run(["unshare", "-m", "sh", "-c", script_sh],
                                     capture_output=True, text=True,
                                     timeout=60)
            except subprocess.TimeoutExpired:   # its journal not reading
                break
            if res.returncode == 0 and res.stdout.strip().isdigit():
                samples.append(int(res.stdout.strip()) / 1e9)
        if samples:
            med = statistics.median(samples)
            print("systemd-pstore, efi sample       %7.1f ms %5.2fx  (C floor)"
                  % (med * 1e3, med / floor))
    ok = max(empty, machine) / floor <= TARGET_EMPTY and \
        efi / floor <= TARGET_EFI
    print("all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
