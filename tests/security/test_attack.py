"""Regression tests for the independent attack on --collect and --list
(issue 13): one test (or more) per confirmed finding, each reproducing the
attack as the issue describes it.  The setup is the issue's: a copy of a
pstore tree as ``--source pstore:SRC``, an output directory of mode 1777
and ``require_pstore_mount: false``."""

import os
import shutil

import pytest

from tests.security.helpers import (SAMPLES, Env, complete_reports,
                                    harvested_state, our_reports)

BASIC = os.path.join(SAMPLES, "ramoops-6.1-basic", "pstore")
SHUTDOWN = os.path.join(SAMPLES, "ramoops-6.1-shutdown", "pstore")


def pstore_env(tmp_path, files, name="env"):
    """An Env whose pstore copy holds ``files``: {name: bytes or a sample
    path}; later names get later mtimes (a minute apart)."""
    env = Env(tmp_path / name, "pstore")
    shutil.rmtree(env.src)
    os.makedirs(env.src)
    when = 1_700_000_000
    for index, (fname, data) in enumerate(files.items()):
        path = os.path.join(env.src, fname)
        if isinstance(data, str):
            shutil.copyfile(data, path)
        else:
            with open(path, "wb") as f:
                f.write(data)
        os.utime(path, (when + 300 * index, when + 300 * index))
    return env


def saved_anywhere(env, needle):
    """Is ``needle`` in a complete report (any field, attachments
    decoded) or in a file of the state directory (archives)?"""
    for fields in complete_reports(env).values():
        for value in fields.values():
            data = value if isinstance(value, bytes) else value.encode()
            if needle in data:
                return True
    for name in os.listdir(env.state):
        with open(os.path.join(env.state, name), "rb") as f:
            if needle in f.read():
                return True
    return False


# --- 1: records attached to an archived (Shutdown) dump ----------------------

def test_f1_console_and_pmsg_of_an_archived_shutdown_dump_are_kept(tmp_path):
    console = b"console text 7f3a unique to this boot\n"
    pmsg = b"pmsg text 91bc unique to this boot\n"
    env = pstore_env(tmp_path, {
        "dmesg-ramoops-0": os.path.join(BASIC, "dmesg-ramoops-0"),
        "dmesg-ramoops-1": os.path.join(SHUTDOWN, "dmesg-ramoops-0"),
        "console-ramoops-0": console, "pmsg-ramoops-0": pmsg})
    assert env.collect() == 0
    assert env.source_files() == []            # everything was cleared...
    assert saved_anywhere(env, console)        # ...so it must be saved
    assert saved_anywhere(env, pmsg)
