#!/usr/bin/env python3
"""Produce the figures of tests/README.md: run the security suite with
SECURITY_FIGURES set, then print fault points, attack variants, load
timings and peak RSS, and the last fuzz campaign's executions.

    python3 fuzz/figures.py            # CI part of tests/security
    python3 fuzz/figures.py --all      # plus the opt-in part (-m kernel)
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--all", action="store_true",
                        help="include the opt-in (kernel-marked) tests")
    parser.add_argument("--campaign", default=os.path.join(ROOT, "fuzz",
                                                           "last-run.json"))
    args = parser.parse_args()
    fd, path = tempfile.mkstemp(suffix=".jsonl")
    os.close(fd)
    marker = "kernel or not kernel" if args.all else "not kernel"
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p",
                           "no:cacheprovider", "-m", marker, "tests/security"],
                          cwd=ROOT, env=dict(os.environ, SECURITY_FIGURES=path),
                          capture_output=True, text=True)
    seconds = time.monotonic() - start
    rows = [json.loads(l) for l in open(path)]
    os.unlink(path)
    print("## tests/security (%s): %s in %.0f s" % (
        "CI + opt-in" if args.all else "CI part",
        done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "?",
        seconds))
    faults = [r for r in rows if r["name"] == "fault-injection"]
    if faults:
        print("\n| backend | mode | fault points run | exceptions escaped (eio) |")
        print("|---|---|---|---|")
        for r in sorted(faults, key=lambda r: (r["backend"], r["mode"])):
            print("| %s | %s | %d | %d |" % (r["backend"], r["mode"],
                                             r["points"], r["escaped"]))
        print("\nfault points in all: %d" % sum(r["points"] for r in faults))
    attacks = [r for r in rows if r["name"] in ("planted", "content")]
    races = [r for r in rows if r["name"] == "race"]
    if attacks or races:
        print("\nattack variants tried: %d planted-file/content variants "
              "in %d tests; race fuzzer: %s" % (
                  sum(r.get("variants", 1) for r in attacks), len(attacks),
                  ", ".join("%d runs (%d reports landed, %d gave up, sysctls %s)"
                            % (r["runs"], r["reports"], r["gave_up"],
                               r["sysctls"]) for r in races)))
    loads = [r for r in rows if r["name"] == "load"]
    if loads:
        print("\n| load case | seconds | peak RSS MiB |")
        print("|---|---|---|")
        for r in loads:
            print("| %s | %s | %s |" % (r["case"], r["seconds"],
                                         r["peak_rss_mib"]))
    if os.path.exists(args.campaign):
        with open(args.campaign) as f:
            camp = json.load(f)
        print("\nfuzz campaign (%s): %d executions, %d new findings, "
              "peak RSS %s MiB, %s s wall" % (
                  camp["command"], camp["executions"], len(camp["findings"]),
                  camp["peak_rss_mib"], camp["wall_seconds"]))
        print("\n| target | executions | ParseError | findings | known bug | slowest s |")
        print("|---|---|---|---|---|---|")
        for t, s in sorted(camp["targets"].items()):
            print("| %s | %d | %d | %d | %d | %s |" % (
                t, s["execs"], s["parse_errors"], s["findings"],
                s.get("known_bug", 0), s["slowest"]))
    if done.returncode != 0:
        print(done.stdout[-3000:])
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
