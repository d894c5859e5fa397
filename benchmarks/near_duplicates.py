#!/usr/bin/env python3
"""Check a directory of new labelled logs against the sets the analysis
is tuned on, before adding it: no new log may be byte- or near-identical
to a dev-set log (even syzkaller files), a log of the other real-world
sets (tests/data/realworld, realworld2 to realworld8), a
console, or another new log.

Near-identical is judged on normalised line sets (syslog prefixes,
timestamps, caller ids, hex numbers and whitespace runs removed), by
their Jaccard similarity; 0.5 or more is reported as NEAR.  The odd
syzkaller files are never read.

Run: python3 benchmarks/near_duplicates.py tests/data/realworld2
"""

import argparse
import hashlib
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir)
DATA = os.path.join(ROOT, "tests", "data")
NEAR = 0.5


def log_of(path):
    """The log of a labelled file (after its header), else the file."""
    with open(path, "rb") as f:
        data = f.read()
    return data.partition(b"\n\n")[2] if data.startswith(b"TITLE:") else data


def line_set(data):
    lines = set()
    for line in data.decode("utf-8", "replace").splitlines():
        line = re.sub(r"^.*? kernel: ", "", line)
        line = re.sub(r"\[\s*\d+\.\d+\]|\[\s*[TC]\d+\]", "", line)
        line = re.sub(r"0x[0-9a-f]+|\b[0-9a-f]{8,16}\b", "X", line)
        line = " ".join(line.split())
        if len(line) > 8:
            lines.add(line)
    return lines


def known_logs(skip=None):
    """Every log the analysis is tuned or checked on, by a short name
    (the directory being checked, ``skip``, left out)."""
    logs = {}
    syzkaller = os.path.join(DATA, "syzkaller")
    for name in os.listdir(syzkaller):
        if name.isdigit() and int(name) % 2 == 0:
            logs["syzkaller/" + name] = os.path.join(syzkaller, name)
    for folder in ("realworld", "realworld2", "realworld3", "realworld4",
                   "realworld5", "realworld6", "realworld7", "realworld8",
                   "roles", "consoles"):
        directory = os.path.join(DATA, folder)
        if not os.path.isdir(directory) or (
                skip and os.path.realpath(directory) == skip):
            continue
        for name in os.listdir(directory):
            path = os.path.join(directory, name)
            if name != "NOTICE" and os.path.isfile(path):
                logs[folder + "/" + name] = path
    return logs


def against_blind(directory):
    """Contamination check: each log of ``directory`` against the blind
    set, and its NOTICE's addresses against the blind NOTICE's.  Prints
    only this side's names and the largest similarity, never a blind
    file's name or text, so the held-out set stays unseen."""
    blind_dir = os.path.join(DATA, "blind")
    blind = [line_set(log_of(os.path.join(blind_dir, n)))
             for n in os.listdir(blind_dir) if n != "NOTICE"]
    bad = 0
    for name in sorted(os.listdir(directory)):
        if name == "NOTICE":
            continue
        lines = line_set(log_of(os.path.join(directory, name)))
        score = max((len(lines & b) / max(len(lines | b), 1) for b in blind),
                    default=0.0)
        bad += score >= NEAR
        print("%s %.2f %s" % ("NEAR" if score >= NEAR else "    ", score, name))
    urls = re.compile(rb"https?://[^\s,;)\]]+")

    def addresses(path):
        try:
            with open(path, "rb") as f:
                return {u.rstrip(b"./") for u in urls.findall(f.read())}
        except FileNotFoundError:
            return set()
    shared = addresses(os.path.join(directory, "NOTICE")) & addresses(
        os.path.join(blind_dir, "NOTICE"))
    for url in sorted(shared):
        print("SOURCE also a blind log's: %s" % url.decode())
    print("%d near-identical to a blind log, %d sources shared"
          % (bad, len(shared)))
    return 1 if bad or shared else 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", help="the new set's directory")
    parser.add_argument(
        "--against-blind", action="store_true",
        help="check the directory against the held-out blind set instead "
        "(only this side's names and scores are printed)")
    args = parser.parse_args(argv)
    if args.against_blind:
        return against_blind(args.directory)
    if os.path.realpath(args.directory).startswith(
            os.path.realpath(os.path.join(DATA, "blind"))):
        sys.exit("the blind set is held out: not read here")
    new = {n: log_of(os.path.join(args.directory, n))
           for n in sorted(os.listdir(args.directory)) if n != "NOTICE"}
    old = {k: log_of(p) for k, p in
           known_logs(os.path.realpath(args.directory)).items()}
    digests = {hashlib.sha256(v).digest(): k for k, v in old.items()}
    sets = {k: line_set(v) for k, v in old.items()}
    new_sets = {k: line_set(v) for k, v in new.items()}
    worst, bad = 0.0, 0
    for name, lines in new_sets.items():
        same = digests.get(hashlib.sha256(new[name]).digest())
        others = list(sets.items()) + [
            (o, s) for o, s in new_sets.items() if o != name]
        score, closest = max(
            ((len(lines & s) / max(len(lines | s), 1), o) for o, s in others),
            default=(0.0, ""))
        worst = max(worst, score)
        flag = "SAME" if same else "NEAR" if score >= NEAR else "    "
        bad += flag != "    "
        print("%s %.2f %-55s %s" % (flag, score, name, same or closest))
    print("%d logs, largest similarity %.2f, %d byte- or near-identical"
          % (len(new), worst, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
