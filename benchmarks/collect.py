#!/usr/bin/env python3
"""Wall time of `oops-harvest --collect` next to the interpreter's floor
(`python3 -c pass`) and to systemd-pstore on the same input.

Targets (issue 4): an empty pstore at most 2.5x the floor; the real-kernel
efi sample (two dumps, 27 parts) at most 6x.  systemd-pstore runs in a
private mount namespace with the sample bind-mounted over /sys/fs/pstore
(needs root and unshare; skipped otherwise).  Run: python3 benchmarks/collect.py
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir)
SAMPLE = os.path.join(ROOT, "samples", "efi-6.1-two-dumps", "pstore")
RUNS = 15


def timed(cmd, prepare=None, env=None):
    times = []
    for _ in range(RUNS):
        if prepare:
            prepare()
        start = time.perf_counter()
        subprocess.run(cmd, check=False, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    tmp = tempfile.mkdtemp(prefix="oops-bench-")
    pstore, out, state = (os.path.join(tmp, n) for n in ("pstore", "out", "state"))
    config = os.path.join(tmp, "config.yaml")
    with open(config, "w") as f:
        f.write("require_pstore_mount: false\n")
    env = dict(os.environ, PYTHONPATH=ROOT)
    tool = [sys.executable, "-m", "harvester.cli", "--collect", "--source",
            "pstore:" + pstore, "--output-dir", out, "--state-dir", state]

    def fresh(copy):
        def prepare():
            for d in (pstore, out, state):
                shutil.rmtree(d, ignore_errors=True)
            if copy:
                shutil.copytree(SAMPLE, pstore)
            else:
                os.mkdir(pstore)
        return prepare

    floor = timed([sys.executable, "-c", "pass"])
    empty = timed(tool, fresh(False), env)
    efi = timed(tool + ["--config", config], fresh(True), env)
    print("median of %d runs" % RUNS)
    print("python3 -c pass (floor)        %7.1f ms" % (floor * 1e3))
    print("--collect, empty pstore        %7.1f ms  %.2fx floor (target <= 2.5x)"
          % (empty * 1e3, empty / floor))
    print("--collect, efi sample 27 parts %7.1f ms  %.2fx floor (target <= 6x)"
          % (efi * 1e3, efi / floor))
    pstore_bin = "/lib/systemd/systemd-pstore"
    if os.geteuid() == 0 and shutil.which("unshare") and os.path.exists(pstore_bin):
        archive = os.path.join(tmp, "archive")
        script = ("mount --bind %s /sys/fs/pstore && mount --bind %s "
                  "/var/lib/systemd/pstore && s=$(date +%%s%%N) && %s; "
                  "e=$(date +%%s%%N); echo $((e-s))" % (pstore, archive, pstore_bin))
        samples = []
        for _ in range(RUNS):
            fresh(True)()
            shutil.rmtree(archive, ignore_errors=True)
            os.mkdir(archive)
            os.makedirs("/var/lib/systemd/pstore", exist_ok=True)
            res = subprocess.run(["unshare", "-m", "sh", "-c", script],
                                 capture_output=True, text=True)
            if res.returncode == 0 and res.stdout.strip().isdigit():
                samples.append(int(res.stdout.strip()) / 1e9)
        if samples:
            print("systemd-pstore, same efi sample %6.1f ms  (C floor)"
                  % (statistics.median(samples) * 1e3))
    ok = empty / floor <= 2.5 and efi / floor <= 6
    print("all targets met" if ok else "TARGET MISSED")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
