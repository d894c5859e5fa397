#!/usr/bin/env python3
"""Crash analysis against expert labels: syzkaller's Linux report testdata
(even-numbered files only, tests/data/syzkaller; the odd ones are the
held-out evaluation and are never read here), and, as a second,
independent set, real crash logs from other public sources labelled by
hand (tests/data/realworld and, collected later from other sources,
tests/data/realworld2 to tests/data/realworld8,
sources in their NOTICEs); and the blind set
(tests/data/blind, issue 19), scored only when named and of which only
aggregate figures are ever printed, so that it keeps measuring
generalisation.

Each log is wrapped as a /sys/fs/pstore ``dmesg-ramoops-0`` file the way
the kernel writes one (``Oops#1 Part1`` first, ``<4>`` before every
timestamped line) and goes through the real pipeline: pstorefs parser,
event grouping, analysis and report building; Title and
DuplicateSignature are read back from the report bytes.

Prints, per set: culprit named in Title (whole word, %), Title equal to
the label after normalisation (%), kind of the Title equal to the
label's (%), dedup pairwise precision and recall (same label vs same
DuplicateSignature, over every labelled log whose label names a bug:
also those without a culprit or without a recognised crash; only
syzkaller's corrupted reports are left out, their label naming no bug),
labelled logs without a report, wall time per MiB.

Normalisation: whitespace runs are one space, a module after the
culprit and a syscall's ``sys_`` are dropped; syzkaller's placeholders
for volatile values in old labels (``at addr ADDR``, ``age=NUM``) are
dropped; a label ``<kind> in corrupted`` (syzkaller could not trust the
culprit) is compared by its kind alone.

Targets (issue 19) on the dev set: culprit >= 98%, exact title >= 90%,
precision >= 0.98, recall >= 0.95, at most 1% of logs without a report,
a 1 MiB log analysed < 100 ms.
Run: python3 benchmarks/analysis.py [-v]
[--sets dev,realworld,realworld2,realworld3,
realworld4,realworld5,realworld6,realworld7,
realworld8]
(the default); the blind set only runs when named: ``--sets blind`` (or
``blind-untouched``: without the logs of TUNED_ON, whose source a dev
file later quoted).
"""

import argparse
import itertools
import os
import re
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir)
sys.path.insert(0, ROOT)

from harvester import events, report  # noqa: E402
from harvester.crash import analysis  # noqa: E402
from parsers import pstorefs  # noqa: E402

DEV_SET = os.path.join(ROOT, "tests", "data", "syzkaller")
REALWORLD = os.path.join(ROOT, "tests", "data", "realworld")
REALWORLD2 = os.path.join(ROOT, "tests", "data", "realworld2")
REALWORLD3 = os.path.join(ROOT, "tests", "data", "realworld3")
REALWORLD4 = os.path.join(ROOT, "tests", "data", "realworld4")
REALWORLD5 = os.path.join(ROOT, "tests", "data", "realworld5")
REALWORLD6 = os.path.join(ROOT, "tests", "data", "realworld6")
REALWORLD7 = os.path.join(ROOT, "tests", "data", "realworld7")
REALWORLD8 = os.path.join(ROOT, "tests", "data", "realworld8")
BLIND = os.path.join(ROOT, "tests", "data", "blind")
TARGETS = {"culprit": 0.98, "title_equal": 0.90, "precision": 0.98,
           "recall": 0.95, "without_report": 0.01, "ms_per_mib": 100.0}
# syzkaller's placeholders for volatile values in its older titles.
_PLACEHOLDER = re.compile(r" at addr ADDR\b|\s\w+=(?:NUM|ADDR|PTR)\b")
_TIMESTAMPED = re.compile(rb"^\[ *\d+\.\d+\]")


class Case:
    def __init__(self, number, labels, log):
        self.number = number
        self.labels = labels       # {"TITLE": ..., "CORRUPTED": "Y", ...}
        self.log = log

    @property
    def title(self):
        """The expected title; syzkaller's own executor failures (SYZFAIL,
        SYZFATAL) are not kernel crashes and count as unlabelled."""
        title = self.labels.get("TITLE") or None
        return None if title and title.startswith("SYZ") else title

    @property
    def corrupted(self):
        return self.labels.get("CORRUPTED") == "Y"

    @property
    def culprit(self):
        """The labelled function, when the label names one."""
        if not self.title or self.corrupted or " in " not in self.title:
            return None
        func = self.title.split(" in ", 1)[1].split(" / ")[0].strip()
        return func if re.match(r"^[\w<>:.]+$", func) else None


def dev_numbers():
    return sorted(int(n) for n in os.listdir(DEV_SET)
                  if n.isdigit() and int(n) % 2 == 0)


def realworld_names(directory=REALWORLD):
    """Every labelled log of a hand-labelled set (all files but its NOTICE)."""
    return sorted(n for n in os.listdir(directory) if n != "NOTICE")


def load(number, directory=DEV_SET):
    with open(os.path.join(directory, str(number)), "rb") as f:
        data = f.read()
    head, _, log = data.partition(b"\n\n")
    labels = {}
    for line in head.decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition(":")
        if sep and key.isupper() and key not in labels:
            labels[key] = value.strip()
    return Case(number, labels, log)


def as_pstore_file(log):
    """The log as ramoops would store an Oops dump of it."""
    lines = [b"<4>" + line if _TIMESTAMPED.match(line) else line
             for line in log.splitlines()]
    return b"Oops#1 Part1\n" + b"\n".join(lines) + b"\n"


def through_pipeline(log):
    """``(Title, DuplicateSignature, found a crash, analysis seconds)``."""
    parsed = pstorefs.parse({"dmesg-ramoops-0": (as_pstore_file(log), None)})
    (event,) = events.group(parsed.records)
    start = time.perf_counter()
    result = analysis.analyse(event.log(), event.reason)
    spent = time.perf_counter() - start
    attachments = [("dmesg-ramoops-0", "part 1", r.payload)
                   for r in event.records]
    data = report.build(event, result, attachments, "oops")[1]
    fields = dict(re.findall(rb"^(Title|DuplicateSignature): (.*)$", data,
                             re.M))
    return (fields[b"Title"].decode(), fields[b"DuplicateSignature"].decode(),
            result.headline is not None, spent)


def _norm_func(func):
    func = re.sub(r" \[[\w.-]+\]$", "", func.strip())
    return func[4:] if func.startswith("sys_") else func


def culprit_named(title, func):
    """The labelled function is a whole word of what follows the Title's
    first " in " (``sys_`` dropped on both sides)."""
    if " in " not in title:
        return False
    named = (" %s " % title.split(" in ", 1)[1]).replace(" sys_", " ")
    func = _norm_func(func)
    return re.search(r"[\s/(]%s[\s/)]" % re.escape(func), named) is not None


def title_equal(title, label):
    if label.endswith(" in corrupted"):
        return kind_equal(title, label)

    def norm(text):
        text = " ".join(_PLACEHOLDER.sub("", text).split())
        if " in " in text:
            head, func = text.rsplit(" in ", 1)
            text = "%s in %s" % (head, _norm_func(func))
        return text
    return norm(title) == norm(label)


def kind_equal(title, label):
    """The Title's kind (what precedes its last " in ") is the label's."""
    def kind(text):
        return " ".join(text.split()).rsplit(" in ", 1)[0]
    return kind(title) == kind(label)


def evaluate(numbers=None, directory=DEV_SET):
    """Figures on the dev set, or on the named logs of another directory."""
    if numbers is None:
        numbers = (dev_numbers() if directory == DEV_SET
                   else realworld_names(directory))
    cases = [load(n, directory) for n in numbers]
    rows = []
    total_bytes, total_time = 0, 0.0
    for case in cases:
        title, signature, found, spent = through_pipeline(case.log)
        total_bytes += len(case.log)
        total_time += spent
        rows.append((case, title, signature, found))
    labelled = [r for r in rows if r[0].title]
    scored = [r for r in labelled if r[0].culprit]
    named = [r for r in scored if culprit_named(r[1], r[0].culprit)]
    equal = [r for r in labelled if title_equal(r[1], r[0].title)]
    kinds = [r for r in labelled if kind_equal(r[1], r[0].title)]
    without = [r for r in labelled if not r[3]]
    clean = [r for r in labelled if not r[0].corrupted]
    tp = fp = fn = 0
    for a, b in itertools.combinations(clean, 2):
        same_label, same_sig = a[0].title == b[0].title, a[2] == b[2]
        tp += same_label and same_sig
        fp += same_sig and not same_label
        fn += same_label and not same_sig
    return {
        "rows": rows, "logs": len(rows), "labelled": len(labelled),
        "scored": len(scored), "culprit": len(named) / max(len(scored), 1),
        "title_equal": len(equal) / max(len(labelled), 1),
        "kind_equal": len(kinds) / max(len(labelled), 1),
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "pairs": (tp, fp, fn), "without_report": len(without),
        "without": [r[0].number for r in without],
        "ms_per_mib": total_time * 1000 / max(total_bytes / 2**20, 1e-9),
    }


def one_mib_log():
    """1 MiB of real log lines without a crash (the dev-set logs up to
    their first crash header), then one real report: every line has to
    be looked at before the crash is found.  Lines repeat, so each round
    gets its own tag to keep every line distinct, as in a real log."""
    noise, report_lines = [], None
    for number in dev_numbers():
        lines = load(number).log.splitlines()
        texts = [analysis.strip_prefix(l.decode("utf-8", "replace"))
                 for l in lines]
        first = next((i for i, t in enumerate(texts)
                      if analysis._header(t)), None)
        if first is None:
            continue
        noise.extend(lines[:first])
        if number == 130:
            report_lines = lines[first:]
    body, size, rounds = [], 0, 0
    while size < (1 << 20) - 8192:
        for line in noise:
            line += b" (%d)" % rounds if rounds else b""
            body.append(line)
            size += len(line) + 1
            if size >= (1 << 20) - 8192:
                break
        rounds += 1
    return b"\n".join(body + report_lines)[:1 << 20] + b"\n"


def time_one_mib(runs=5):
    log = one_mib_log()
    best = None
    for _ in range(runs):
        start = time.perf_counter()
        result = analysis.analyse(log, "Oops")
        spent = time.perf_counter() - start
        best = spent if best is None else min(best, spent)
    return len(log), best, result.title


def print_figures(name, figures, blind=False, verbose=False):
    """``blind``: aggregate figures only, never which logs missed."""
    if verbose and not blind:
        for case, title, signature, found in figures["rows"]:
            if case.title and not title_equal(title, case.title):
                print("%5s %-60s | %s" % (case.number, case.title[:60], title))
    print("%s: %d logs (%d labelled, %d with a culprit to name)" % (
        name, figures["logs"], figures["labelled"], figures["scored"]))
    print("culprit named in Title:      %5.1f%%  (dev target >= 98%%)"
          % (100 * figures["culprit"]))
    print("Title equal to label:        %5.1f%%  (dev target >= 90%%)"
          % (100 * figures["title_equal"]))
    print("kind equal to label's:       %5.1f%%" % (100 * figures["kind_equal"]))
    print("dedup precision:             %6.3f  (dev target >= 0.98)"
          % figures["precision"])
    print("dedup recall:                %6.3f  (dev target >= 0.95)"
          % figures["recall"])
    print("pairs: same label and signature %d, same signature only %d, "
          "same label only %d" % figures["pairs"])
    print("labelled logs without a report: %d (%.1f%%; target <= 1%%) %s" % (
        figures["without_report"],
        100 * figures["without_report"] / max(figures["labelled"], 1),
        "" if blind else figures["without"] or ""))
    print("analysis time: %.1f ms per MiB" % figures["ms_per_mib"])


# name -> (heading, directory, blind); the dev set is syzkaller's even files.
SETS = {
    "dev": ("dev set", DEV_SET, False),
    "realworld": ("real-world set (independent)", REALWORLD, False),
    "realworld2": ("second real-world set (independent, issue 19)",
                   REALWORLD2, False),
    "realworld3": ("third real-world set (independent, issue 19)",
                   REALWORLD3, False),
    "realworld4": ("fourth real-world set (independent, issue 19)",
                   REALWORLD4, False),
    "realworld5": ("fifth real-world set (independent, issue 19)",
                   REALWORLD5, False),
    "realworld6": ("sixth real-world set (boards, vendor kernels, "
                   "out-of-tree drivers; independent, issue 19)",
                   REALWORLD6, False),
    "realworld7": ("seventh real-world set (VMs, cloud and distribution "
                   "bug reports; independent, issue 19)", REALWORLD7, False),
    "realworld8": ("eighth real-world set (GPU, media, network, storage "
                   "drivers, eBPF, Android; independent, issue 19)",
                   REALWORLD8, False),
    "blind": ("blind set (issue 19; aggregate figures only)", BLIND, True),
    "blind-untouched": ("blind set without its logs whose source was later "
                        "tuned on (aggregate figures only)", BLIND, True),
}
# Blind logs whose source a later dev file quotes, found by comparing
# every dev file's lines and source with the blind set's (the figures
# without them are the honest ones): the file, and where its source went.
TUNED_ON = {
    "x86_64-syslog-list_del-__dentry_kill":
        "tests/data/roles/x86_64-journal-list_del-__dentry_kill (0fbd8ce) "
        "quotes the same Fedora forum post",
    "openrisc-warning-dev_watchdog":
        "tests/data/realworld2/openrisc-soft-lockup-ktime_get quotes "
        "another report of the same GitHub thread (OpenRISC's trace form)",
}
DEFAULT_SETS = ("dev", "realworld", "realworld2", "realworld3",
                "realworld4", "realworld5", "realworld6", "realworld7",
                "realworld8")


def set_list(text):
    """``--sets``' value: comma-separated names of SETS, in the given order."""
    chosen = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in chosen if n not in SETS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            "unknown set %s; choose from %s" % (
                ", ".join(unknown) or "(none)", ", ".join(SETS)))
    return chosen


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Score the crash analysis against hand- and "
        "expert-labelled kernel logs: culprit in Title, exact Title, kind, "
        "dedup precision/recall, logs without a report, speed.",
        epilog="The blind set is held out: it runs only when named "
        "(--sets blind), prints aggregate figures only, and is scored "
        "once, at the end of a piece of work.")
    parser.add_argument(
        "--sets", type=set_list, default=list(DEFAULT_SETS),
        metavar="A,B", help="comma-separated sets to score, from %s "
        "(default: %s)" % (", ".join(SETS), ",".join(DEFAULT_SETS)))
    parser.add_argument(
        "-v", "--verbose", action="store_true",
        help="list each log whose Title differs from its label "
        "(never for the blind set)")
    parser.add_argument(
        "--no-timing", dest="timing", action="store_false",
        help="skip the 1 MiB timing run")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    for name in args.sets:
        heading, directory, blind = SETS[name]
        numbers = None
        if name == "blind-untouched":
            numbers = [n for n in realworld_names(BLIND) if n not in TUNED_ON]
        print_figures(heading, evaluate(numbers, directory=directory),
                      blind=blind, verbose=args.verbose)
        print()
    if args.timing:
        size, spent, title = time_one_mib()
        print("one 1 MiB log (%d bytes, crash at the end): %.1f ms "
              "(target < 100 ms); %s" % (size, spent * 1000, title))


if __name__ == "__main__":
    main()
