#!/usr/bin/env python3
"""Run one atheris harness (fuzz/harnesses.py) under libFuzzer.

    python3 fuzz/atheris_run.py TARGET [--seconds 60] [--corpus DIR]
                                [--artifacts DIR] [libFuzzer flags...]

Without --corpus, a scratch corpus seeded from samples/ (fuzz/seeds.py) is
used; an empty --corpus directory is seeded the same way.  A finding
(exception, property broken, -timeout, -rss_limit_mb) makes libFuzzer
write the input to --artifacts (crash-*, timeout-*, oom-*) and exit
non-zero; replay one with ``python3 fuzz/atheris_run.py TARGET FILE``.
"""

import argparse
import os
import shutil
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
sys.path.insert(0, ROOT)

import atheris  # noqa: E402

with atheris.instrument_imports(include=["parsers", "harvester"]):
    from fuzz import harnesses  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", choices=sorted(harnesses.TARGETS))
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--corpus")
    parser.add_argument("--artifacts", default=".")
    parser.add_argument("--timeout", type=int, default=10,
                        help="seconds one input may take (libFuzzer -timeout)")
    parser.add_argument("--rss-limit-mb", type=int, default=1024)
    args, rest = parser.parse_known_args(argv)
    replay = [r for r in rest if not r.startswith("-")]
    flags = [r for r in rest if r.startswith("-")]
    scratch = None
    if replay:
        inputs = replay
    else:
        corpus = args.corpus
        if corpus is None:
            scratch = corpus = tempfile.mkdtemp(prefix="oops-corpus-")
        os.makedirs(corpus, exist_ok=True)
        if not os.listdir(corpus):
            from fuzz import seeds
            for i, data in enumerate(seeds.seeds(args.target)):
                with open(os.path.join(corpus, "seed-%03d" % i), "wb") as f:
                    f.write(data)
        inputs = [corpus]
        flags = ["-max_total_time=%d" % args.seconds] + flags
    os.makedirs(args.artifacts, exist_ok=True)
    flags = ["-timeout=%d" % args.timeout, "-rss_limit_mb=%d" % args.rss_limit_mb,
             "-artifact_prefix=%s/" % os.path.abspath(args.artifacts),
             "-print_final_stats=1"] + flags
    target = harnesses.TARGETS[args.target]
    atheris.Setup([sys.argv[0]] + flags + inputs, target)
    try:
        atheris.Fuzz()
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
