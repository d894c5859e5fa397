"""Tests report their counts here (fault points run, attack variants
tried, peak RSS...) when SECURITY_FIGURES names a file: one JSON object
per line.  fuzz/figures.py runs the suite with it and prints the table."""

import json
import os
import resource


def record(name, **values):
    path = os.environ.get("SECURITY_FIGURES")
    if not path:
        return
    values["name"] = name
    with open(path, "a") as f:
        f.write(json.dumps(values, sort_keys=True) + "\n")


def peak_rss_children_mib():
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
