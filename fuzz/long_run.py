#!/usr/bin/env python3
"""The long atheris run: every harness in turn, one worker, with a
persistent corpus (fuzz/corpus/<target>, seeded from samples/ the first
time) and findings in fuzz/artifacts/.  Writes the figures as JSON.

    python3 fuzz/long_run.py --minutes 25 --stats fuzz/atheris-run.json
    python3 fuzz/long_run.py --seconds-each 5 --corpus-root /tmp/c  # the CI smoke's shape
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "atheris_run.py")
# Share of the time per harness: the raw-image parsers and the pipeline
# are the slow and wide ones.
SHARES = {"ramoops": 5, "pipeline": 6, "efi": 2, "pstorefs": 2,
          "pstorezone": 2.5, "mtdoops": 2, "compression": 1.5, "ecc": 1,
          "kmsg": 0.5}


def run_one(target, seconds, corpus, artifacts, timeout=10, rss_mb=1024,
            extra=()):
    """Run one harness; returns its figures (and the tail of its log)."""
    os.makedirs(artifacts, exist_ok=True)
    before = set(os.listdir(artifacts))
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, RUNNER, target, "--seconds", str(seconds),
         "--artifacts", artifacts, "--timeout", str(timeout),
         "--rss-limit-mb", str(rss_mb)] +
        (["--corpus", corpus] if corpus else []) + list(extra),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        timeout=seconds + 120 + 4 * timeout)
    log = proc.stdout.decode("utf-8", "replace")
    stats = dict(re.findall(r"^stat::(\w+):\s+(\d+)", log, re.M))
    covs = re.findall(r"\bcov: (\d+) ft: (\d+) corp: (\d+)", log)
    new = sorted(set(os.listdir(artifacts)) - before)
    return {
        "target": target, "seconds": round(time.monotonic() - started, 1),
        "exit": proc.returncode,
        "executions": int(stats.get("number_of_executed_units", 0)),
        "coverage_edges": int(covs[-1][0]) if covs else 0,
        "features": int(covs[-1][1]) if covs else 0,
        "corpus_units": int(covs[-1][2]) if covs else 0,
        "peak_rss_mb": int(stats.get("peak_rss_mb", 0)),
        "slowest_unit_s": int(stats.get("slowest_unit_time_sec", 0)),
        "findings": [os.path.join(artifacts, n) for n in new],
        "log_tail": log[-3000:] if proc.returncode or new else "",
    }


def run_for(target, seconds, corpus, artifacts):
    """Run one harness for ``seconds`` in all: libFuzzer stops at a
    finding, so it is restarted on the grown corpus until the time is
    used (each finding's log is kept next to its input)."""
    total = None
    deadline = time.monotonic() + seconds
    while True:
        left = int(deadline - time.monotonic())
        if total is not None and left < 5:
            return total
        result = run_one(target, max(left, 1), corpus, artifacts)
        for path in result["findings"]:
            with open(path + ".log", "w") as f:
                f.write(result["log_tail"])
        if total is None:
            total = result
        else:
            for key in ("seconds", "executions"):
                total[key] = round(total[key] + result[key], 1)
            for key in ("coverage_edges", "features", "corpus_units",
                        "peak_rss_mb", "slowest_unit_s"):
                total[key] = max(total[key], result[key])
            total["findings"] += result["findings"]
            total["exit"] = total["exit"] or result["exit"]
            total["log_tail"] = total["log_tail"] or result["log_tail"]
        if not result["findings"]:
            return total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=25)
    parser.add_argument("--seconds-each", type=float,
                        help="the same time for every harness instead")
    parser.add_argument("--targets", default=",".join(SHARES))
    parser.add_argument("--corpus-root", default=os.path.join(HERE, "corpus"))
    parser.add_argument("--artifacts", default=os.path.join(HERE, "artifacts"))
    parser.add_argument("--stats")
    args = parser.parse_args(argv)
    targets = [t for t in args.targets.split(",") if t]
    total = sum(SHARES[t] for t in targets)
    results = []
    for target in targets:
        seconds = args.seconds_each or args.minutes * 60 * SHARES[target] / total
        results.append(run_for(target, max(1, int(seconds)),
                               os.path.join(args.corpus_root, target),
                               args.artifacts))
        sys.stderr.write("%s\n" % json.dumps({k: v for k, v in results[-1].items()
                                              if k != "log_tail"}))
    summary = {"command": "python3 fuzz/long_run.py " + " ".join(
                   argv if argv is not None else sys.argv[1:]),
               "executions": sum(r["executions"] for r in results),
               "seconds": round(sum(r["seconds"] for r in results), 1),
               "findings": [f for r in results for f in r["findings"]],
               "targets": results}
    text = json.dumps(summary, indent=2)
    print(text)
    if args.stats:
        with open(args.stats, "w") as f:
            f.write(text + "\n")
    return 1 if summary["findings"] else 0


if __name__ == "__main__":
    sys.exit(main())
