"""Collect every sample and test log into reports, through the command line
only, and print the reports' fields as one JSON object.

Run as ``python tests/sample_reports.py TREE WORK`` with TREE the checkout
whose code does the collecting (put first on the module path) and WORK an
empty directory to work in (its path is part of every record's identity,
so two runs to be compared use the same one), so that the same
inputs can be run through two versions of the code and their reports
compared field for field (tests/test_refactor_reports.py).  Only
``harvester.cli.main`` is used: the one interface both versions share.
"""

import contextlib
import io
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, os.pardir, "samples")
DATA = os.path.join(HERE, "data")
MTIME = 1700000000              # the written logs' time (a pstore file's date)


def inputs(work):
    """(name, source spec) for every input, copied under ``work`` so that
    clearing never touches the checkout."""
    for name in sorted(os.listdir(SAMPLES)):
        sample = os.path.join(SAMPLES, name)
        pstore = os.path.join(sample, "pstore")
        if os.path.isdir(pstore):
            copy = os.path.join(work, name, "pstore")
            shutil.copytree(pstore, copy)
            yield name + "/pstore", "pstore:" + copy
        efivars = os.path.join(sample, "raw", "efivars")
        if os.path.isdir(efivars):
            copy = os.path.join(work, name, "efivars")
            shutil.copytree(efivars, copy)
            yield name + "/efivars", "efivars:" + copy
        for image, kind in (("ramoops.bin", "ramoops"), ("mtd.bin", "mtdoops")):
            path = os.path.join(sample, "raw", image)
            if os.path.isfile(path):
                yield name + "/" + image, "%s:%s" % (kind, path)
    # Logs nobody here wrote, each as the console of a boot (the form in
    # which a device's last_kmsg reaches pstore) and as a dmesg record.
    for folder in ("consoles", "realworld", "syzkaller"):
        directory = os.path.join(DATA, folder)
        for name in sorted(os.listdir(directory)):
            if name == "NOTICE":
                continue
            if folder == "syzkaller" and int(name) % 2:
                continue               # the held-out half is never opened
            with open(os.path.join(directory, name), "rb") as src:
                log = src.read()
            for record, body in (("console-ramoops-0", log),
                                 ("dmesg-ramoops-0", b"Oops#1 Part1\n" + log)):
                copy = os.path.join(work, folder, name, record)
                os.makedirs(copy)
                with open(os.path.join(copy, record), "wb") as dst:
                    dst.write(body)
                os.utime(os.path.join(copy, record), (MTIME, MTIME))
                yield "%s/%s/%s" % (folder, name, record), "pstore:" + copy


def fields_of(path):
    sys.path.insert(0, HERE)
    import apport_format
    with open(path, "rb") as f:
        fields, _ = apport_format.load(f.read())
    if "DateSource" in fields:
        fields.pop("Date")          # the time of harvest: differs per run
    return {k: v if isinstance(v, str) else v.hex() for k, v in fields.items()}


def main(tree, work):
    sys.path.insert(0, os.path.abspath(tree))
    from harvester import cli
    result = {}
    config = os.path.join(work, "config.yaml")
    with open(config, "w") as f:
        f.write("require_pstore_mount: false\n")
    for n, (name, spec) in enumerate(inputs(os.path.join(work, "in"))):
        out = os.path.join(work, "out%d" % n)
        os.mkdir(out, 0o700)
        args = ["--collect", "--config", config, "--source", spec,
                "--output-dir", out,
                "--state-dir", os.path.join(work, "state%d" % n)]
        with contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            rc = cli.main(args)
        result[name] = {"exit": rc, "reports": {
            report: fields_of(os.path.join(out, report))
            for report in sorted(os.listdir(out))
            if report.endswith(".crash")}}
    json.dump(result, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
