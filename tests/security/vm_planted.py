#!/usr/bin/env python3
"""R18 in a throwaway VM: the planted-file attacks with fs.protected_* off.

The planted-file tests (tests/security/test_planted.py, test_publish.py)
run on the host with whatever sysctls it has; CI's Debian turns all four
protections on, which could hide a bug that only they stop.  Turning them
off on the host would weaken the host, so this boots Debian 12's own kernel
and systemd in QEMU (the root file system of packaging/boottest, plus
python3-pytest and strace), copies this source tree in, and runs those
tests as root three times:

off      fs.protected_symlinks/hardlinks/regular/fifos = 0/0/0/0
on       1/1/1/1
strict   1/1/2/2 (the strongest values)

each time with the output directory of the planted tests a root-owned
3777 root:whoopsie directory, as on Ubuntu (OOPS_HARVEST_TEST_OUT_MODE and
OOPS_HARVEST_TEST_OUT_GROUP, read by tests/security/helpers.py), and the
attacker of the race fuzzer (T6) running as the user nobody.

    sudo python3 tests/security/vm_planted.py [--cache DIR] [--keep]

Needs root, qemu-system-x86_64, mmdebstrap, e2fsprogs (mkfs.ext4, debugfs);
the first run builds the root file system (~5 minutes, Debian's mirror),
each run then takes about 5 minutes under TCG (the three passes ~1 minute
each).  Prints a JSON summary (per pass: the sysctls read back, tests
passed/failed/skipped, attack variants, race runs) and exits 0 when every
pass ran its tests with none failing.
tests/test_vm_planted.py wraps it for `pytest -m kernel`.
"""

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
BOOTTEST = os.path.join(TOP, "packaging", "boottest")

PASSES = [("off", (0, 0, 0, 0)), ("on", (1, 1, 1, 1)), ("strict", (1, 1, 2, 2))]
SYSCTLS = ("symlinks", "hardlinks", "regular", "fifos")
TESTS = ["tests/security/test_planted.py", "tests/security/test_publish.py"]
GUEST_TREE = "/root/oops-harvest"
TIMEOUT = int(os.environ.get("OOPS_HARVEST_VM_TIMEOUT", "3600"))


def load_boottest():
    spec = importlib.util.spec_from_file_location(
        "oops_harvest_boottest", os.path.join(BOOTTEST, "run.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


GUEST_UNIT = """\
[Unit]
Description=oops-harvest R18: planted-file tests under each fs.protected_* setting
After=multi-user.target

[Service]
Type=simple
ExecStart=/usr/local/sbin/oh-planted
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
"""

GUEST_SCRIPT = r'''#!/usr/bin/python3
"""Run the planted-file tests once per sysctl setting; results to /root."""
import json, os, subprocess

PASSES = %(passes)r
SYSCTLS = %(sysctls)r
summary = {"kernel": os.uname().release, "passes": []}
for label, values in PASSES:
    for name, value in zip(SYSCTLS, values):
        with open("/proc/sys/fs/protected_" + name, "w") as f:
            f.write("%%d\n" %% value)
    readback = {}
    for name in SYSCTLS:
        with open("/proc/sys/fs/protected_" + name) as f:
            readback[name] = int(f.read())
    figures = "/root/oh-planted-figures-%%s.jsonl" %% label
    junit = "/root/oh-planted-%%s.xml" %% label
    env = dict(os.environ, SECURITY_FIGURES=figures, PYTHONDONTWRITEBYTECODE="1",
               OOPS_HARVEST_TEST_OUT_MODE="3777",
               OOPS_HARVEST_TEST_OUT_GROUP="whoopsie")
    p = subprocess.run(["python3", "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "--junitxml", junit] + %(tests)r,
                       cwd=%(tree)r, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True)
    print("oh-planted: pass %%s %%r exit %%d" %% (label, readback, p.returncode), flush=True)
    print(p.stdout[-3000:], flush=True)
    summary["passes"].append({"label": label, "sysctls": readback,
                              "exit": p.returncode, "output": p.stdout[-6000:]})
with open("/root/oh-planted.json", "w") as f:
    json.dump(summary, f, indent=1)
    f.flush()
    os.fsync(f.fileno())
subprocess.run(["sync"])
subprocess.run(["systemctl", "poweroff", "--no-block"])
'''


def copy_tree(dest):
    """The tracked files of this tree (what a clean clone has)."""
    files = subprocess.run(["git", "-C", TOP, "ls-files", "-z"], check=True,
                           stdout=subprocess.PIPE).stdout.split(b"\0")
    for rel in files:
        if not rel:
            continue
        rel = rel.decode()
        src = os.path.join(TOP, rel)
        if not os.path.isfile(src):
            continue
        dst = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)


def debugfs_cat(disk, path, sys_path):
    p = subprocess.run(["debugfs", "-R", "cat " + path, disk],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       env=dict(os.environ, PATH=sys_path))
    return p.stdout


def junit_counts(xml_bytes):
    if not xml_bytes.strip():
        return None
    root = ET.fromstring(xml_bytes)
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for s in suites:
        for k in counts:
            counts[k] += int(s.get(k, 0))
    counts["passed"] = counts["tests"] - counts["failures"] - counts["errors"] \
        - counts["skipped"]
    counts["skipped_tests"] = sorted(
        "%s::%s" % (c.get("classname"), c.get("name"))
        for s in suites for c in s.iter("testcase") if c.find("skipped") is not None)
    return counts


def figures_of(jsonl):
    variants, race = 0, []
    for line in jsonl.decode("utf-8", "replace").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("name") == "planted":
            variants += rec.get("variants", 0)
        elif rec.get("name") == "race":
            race.append({k: rec[k] for k in ("runs", "reports", "gave_up", "seconds")
                         if k in rec})
    return {"planted_variants": variants, "race": race}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", default=None,
                    help="cache directory (default: the boot test's)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args(argv)
    bt = load_boottest()
    bt.BOOT_TIMEOUT = TIMEOUT
    cache = args.cache or bt.DEFAULT_CACHE
    if os.geteuid() != 0:
        sys.exit("vm_planted: needs root (chroot, mkfs of the guest's root)")
    missing = [t for t in bt.missing_tools() if t != "dpkg-buildpackage"]
    if missing:
        sys.exit("vm_planted: missing %s (apt-get install qemu-system-x86 "
                 "mmdebstrap e2fsprogs)" % ", ".join(missing))
    os.makedirs(cache, exist_ok=True)
    bt.log("root file system with python3-pytest and strace (mmdebstrap, cached)")
    rootfs = bt.sh([os.path.join(BOOTTEST, "build-rootfs.sh"), cache,
                    "python3-pytest,strace"], stdout=subprocess.PIPE,
                   universal_newlines=True).stdout.strip().splitlines()[-1]
    work = tempfile.mkdtemp(prefix="vm-planted-", dir=cache)
    try:
        root = os.path.join(work, "root")
        bt.log("copying the root file system and this tree")
        bt.sh(["cp", "-a", rootfs, root])
        copy_tree(root + GUEST_TREE)
        bt.sh(["chroot", root, "env", "-i", "PATH=" + bt.SYS_PATH,
               "groupadd", "--system", "whoopsie"])
        bt.write(os.path.join(root, "etc/systemd/system/oh-planted.service"), GUEST_UNIT)
        bt.write(os.path.join(root, "usr/local/sbin/oh-planted"), GUEST_SCRIPT % {
            "passes": PASSES, "sysctls": SYSCTLS, "tests": TESTS, "tree": GUEST_TREE},
            0o755)
        wants = os.path.join(root, "etc/systemd/system/multi-user.target.wants")
        os.makedirs(wants, exist_ok=True)
        os.symlink("/etc/systemd/system/oh-planted.service",
                   os.path.join(wants, "oh-planted.service"))
        disk, release = bt.finish_disk(root, work)
        serial = os.path.join(work, "console.log")
        bt.log("booting %s; the tests run three times (see %s)" % (release, serial))
        took = bt.qemu(work, disk, "root=/dev/vda rw console=ttyS0,115200 "
                       "panic=1 quiet systemd.show_status=1", serial)
        raw = debugfs_cat(disk, "/root/oh-planted.json", bt.SYS_PATH)
        if not raw.strip():
            raise RuntimeError("the guest wrote no results (see %s)" % serial)
        guest = json.loads(raw)
        summary = {"kernel": guest["kernel"], "seconds": round(took), "passes": []}
        ok = len(guest["passes"]) == len(PASSES)
        for p in guest["passes"]:
            label = p["label"]
            counts = junit_counts(debugfs_cat(
                disk, "/root/oh-planted-%s.xml" % label, bt.SYS_PATH))
            figs = figures_of(debugfs_cat(
                disk, "/root/oh-planted-figures-%s.jsonl" % label, bt.SYS_PATH))
            expected = dict(zip(SYSCTLS, dict(PASSES)[label]))
            passed = (p["exit"] == 0 and counts is not None and counts["passed"] > 0
                      and counts["failures"] == counts["errors"] == 0
                      and p["sysctls"] == expected)
            ok = ok and passed
            entry = {"label": label, "ok": passed, "sysctls": p["sysctls"],
                     "pytest_exit": p["exit"], "junit": counts}
            entry.update(figs)
            if not passed:
                entry["output"] = p["output"]
            summary["passes"].append(entry)
        summary["ok"] = ok
        print(json.dumps(summary, indent=1))
        return 0 if ok else 1
    finally:
        if args.keep:
            bt.log("work directory kept: " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
