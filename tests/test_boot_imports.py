"""What the boot run imports (issue 12: the boot budget).

The installed command (bin/oops-harvest) is run on the boot's usual
inputs: an empty pstore, an EFI machine's variables with no crash among
them, and the real efi-pstore sample (two dumps).  None of these may load
what costs milliseconds and is not needed: construct (25 ms), PyYAML (the
shipped config file is all comments), argparse, logging, base64 or
dataclasses (its import and its generated methods cost a crash boot
6 ms: the classes the boot path makes are plain classes); nor, when
nothing crashed, hashlib (OpenSSL's start), the crash analysis or
systemd-python (nothing to log).  The standard library's re and json
are allowed.
"""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
EFI_SAMPLE = os.path.join(ROOT, "samples", "efi-6.1-two-dumps", "pstore")
LAUNCHER = os.path.join(ROOT, "bin", "oops-harvest")
CONFIG = os.path.join(ROOT, "packaging", "config", "config.yaml")
HEAVY = {"construct", "yaml", "argparse", "logging", "base64", "dataclasses",
         "inspect"}
# With nothing to harvest: nothing hashed (hashlib starts OpenSSL, 2 ms),
# nothing analysed, nothing logged.
NOTHING_TO_DO = {"hashlib", "harvester.crash.analysis", "systemd",
                 "systemd.journal"}

PROBE = """
import atexit, os, sys
if %(journal)r:                 # standard error is the journal's, as at boot
    st = os.fstat(2)
    os.environ["JOURNAL_STREAM"] = "%%d:%%d" %% (st.st_dev, st.st_ino)
atexit.register(lambda: sys.__stderr__.write(
    "MODULES " + " ".join(sorted(sys.modules)) + "\\n"))
sys.argv = [%(launcher)r] + sys.argv[1:]
with open(%(launcher)r) as f:
    code = compile(f.read(), %(launcher)r, "exec")
exec(code, {"__name__": "__main__", "__file__": %(launcher)r})
"""


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """The modules as installed: a copy of the packages."""
    build = tmp_path_factory.mktemp("build")
    for package in ("harvester", "parsers"):
        shutil.copytree(os.path.join(ROOT, package), build / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    return build


def _modules(build, args, cwd, journal=False):
    env = dict(os.environ, PYTHONPATH=str(build))
    env.pop("JOURNAL_STREAM", None)
    baseline = subprocess.run(
        [sys.executable, "-c", "import sys; print(' '.join(sys.modules))"],
        env=env, cwd=cwd, capture_output=True, text=True, check=True)
    run = subprocess.run(
        [sys.executable, "-c", PROBE % {"launcher": LAUNCHER, "journal": journal}] + args,
        env=env, cwd=cwd, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    line = [l for l in run.stderr.splitlines() if l.startswith("MODULES ")]
    loaded = set(line[-1].split()[1:])
    return loaded - set(baseline.stdout.split()), run


def _collect(tmp_path, *sources):
    return ["--collect", "--output-dir", str(tmp_path / "out"),
            "--state-dir", str(tmp_path / "state"), "--config", CONFIG] + [
        arg for source in sources for arg in ("--source", source)]


def test_an_empty_boot(build, tmp_path):
    os.mkdir(tmp_path / "pstore")
    efivars = tmp_path / "efivars"
    os.mkdir(efivars)
    for name in ("Boot0000", "BootOrder", "Timeout", "SecureBoot",
                 "MokListRT", "dbx"):
        (efivars / ("%s-8be4df61-93ca-11d2-aa0d-00e098032b8c" % name)
         ).write_bytes(b"\x07\x00\x00\x00" + os.urandom(40))
    args = _collect(tmp_path, "pstore:%s" % (tmp_path / "pstore"),
                    "efivars:%s" % efivars)
    added, _ = _modules(build, args, tmp_path, journal=True)
    assert not added & (HEAVY | NOTHING_TO_DO), sorted(added & (HEAVY | NOTHING_TO_DO))
    # Once something was harvested, every boot reads the state file.
    (tmp_path / "state" / "state.json").write_text(
        '{"harvested": {"efi:dmesg:1:2:ab": {"event": "E1", "report": '
        '"r.crash"}}, "kept": {}, "pending": {}, "reports": ["r.crash"]}')
    added, _ = _modules(build, args, tmp_path, journal=True)
    assert not added & (HEAVY | NOTHING_TO_DO), sorted(added & (HEAVY | NOTHING_TO_DO))


def test_a_boot_with_two_dumps(build, tmp_path):
    shutil.copytree(EFI_SAMPLE, tmp_path / "pstore")
    args = _collect(tmp_path, "pstore:%s" % (tmp_path / "pstore"))
    added, run = _modules(build, args, tmp_path)
    assert len(os.listdir(tmp_path / "out")) == 2, run.stdout
    assert not added & HEAVY, sorted(added & HEAVY)
    assert "harvester.crash.analysis" in added          # it did analyse them


def test_the_command_does_not_import_from_its_own_directory(build, tmp_path):
    """Python puts a script's directory first on the module path; the
    command removes it (listing /usr/bin cost 0.5 ms), so a package
    planted beside the command is not what runs."""
    bindir = tmp_path / "bin"
    (bindir / "harvester").mkdir(parents=True)
    (bindir / "harvester" / "__init__.py").write_text(
        "raise SystemExit('planted harvester imported')\n")
    shutil.copy(LAUNCHER, bindir / "oops-harvest")
    run = subprocess.run(
        [sys.executable, str(bindir / "oops-harvest"), "--version"],
        env=dict(os.environ, PYTHONPATH=str(build)), cwd=tmp_path,
        capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("oops-harvest ")
