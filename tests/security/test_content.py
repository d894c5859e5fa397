"""Crash content is attacker-controlled and bit-rotten: what reaches the
report, its file name and the logs (T17-T21, T23; R9-R11, R13, R15)."""

import os
import random
import re
import shutil
import stat
import subprocess
import sys

import pytest

from harvester import cli, collector, log as log_mod
from tests.security import figures
from tests.security.helpers import (ALLOWED_KEYS, SAMPLES, Env, allowed_key,
                                    complete_reports, our_reports)

NAME_OK = re.compile(r"[A-Za-z0-9._-]{1,200}\Z")
ESCAPES = (b"\x1b]0;pwned\x07", b"\x1b[2J", b"\x1b]52;c;cHduZWQ=\x07",
           b"\xc2\x9b31m", b"\x9b31m", "\u202e".encode(), b"\x00", b"\r",
           b"\x7f", "\u2066".encode(), b"\xff\xfe")


def crafted(tmp_path, log, reason="Oops", console=None, name="env"):
    """A pstore copy holding one dmesg record with ``log`` (and a console
    record): the shape the kernel gives /sys/fs/pstore."""
    env = Env(tmp_path / name, "pstore")
    for entry in os.listdir(env.src):
        os.unlink(os.path.join(env.src, entry))
    with open(os.path.join(env.src, "dmesg-ramoops-0"), "wb") as f:
        f.write(b"%s#1 Part1\n" % reason.encode() + log)
    if console is not None:
        with open(os.path.join(env.src, "console-ramoops-0"), "wb") as f:
            f.write(console)
    return env


OOPS = (b"<1>[   12.000001] BUG: kernel NULL pointer dereference, address: 0000000000000000\n"
        b"<4>[   12.000002] Oops: 0002 [#1] PREEMPT SMP NOPTI\n"
        b"<4>[   12.000003] CPU: 1 PID: 42 Comm: %s Not tainted 6.1.0-56-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-1\n"
        b"<4>[   12.000004] RIP: 0010:evil_func+0x10/0x20 [oopsmod]\n"
        b"<4>[   12.000005] Call Trace:\n"
        b"<4>[   12.000006]  <TASK>\n"
        b"<4>[   12.000007]  do_one+0x1/0x2\n"
        b"<4>[   12.000008]  %s\n"
        b"<4>[   12.000009] ---[ end trace 0000000000000000 ]---\n")


def oops(comm=b"bash", line=b"x+0x1/0x2"):
    return OOPS % (comm, line)


def assert_safe_text(data):
    """Report bytes: valid UTF-8, only tab/newline among controls, no C1,
    no bidi controls, no NUL or CR."""
    text = data.decode("utf-8")
    for ch in text:
        code = ord(ch)
        assert ch in "\t\n" or (0x20 <= code < 0x7f) or (
            code > 0x9f and ch.isprintable()), repr(ch)


# --- T17 terminal escapes ---------------------------------------------------

def test_t17_escapes_are_escaped_everywhere(tmp_path):
    nasty = b"".join(ESCAPES)
    env = crafted(tmp_path, oops(comm=b"a\x1b[2Jb", line=b"evil " + nasty) +
                  b"<0>[ 13.0] Kernel panic - not syncing: " + nasty + b"\n",
                  console=b"[ 1.0] console " + nasty + b"\n")
    assert env.collect() == 0
    (name,) = our_reports(env.out)
    with open(os.path.join(env.out, name), "rb") as f:
        data = f.read()
    assert_safe_text(data)
    fields = complete_reports(env)[name]
    log = fields["KernelLog"]
    for visible in ("\\x1b]0;pwned\\x07", "\\x1b[2J", "\\x9b31m", "\\u202e",
                    "\\x00", "\\x0d", "\\x7f", "\\u2066", "\\xff\\xfe"):
        assert visible in log, visible
    # Raw attachments keep the bytes exactly (gzip+base64, never shown).
    assert any(isinstance(v, bytes) and b"\x1b]0;pwned" in v
               for v in fields.values())
    figures.record("content", attack="T17 escapes", variants=len(ESCAPES))


def test_t17_apport_cli_renderer_if_available(tmp_path):
    if not shutil.which("apport-cli"):
        pytest.skip("apport-cli is not installed (Debian 12 has no apport)")
    pager = tmp_path / "bin"
    pager.mkdir()
    seen = tmp_path / "seen"
    (pager / "less").write_text("#!/bin/sh\ncat > %s\n" % seen)
    os.chmod(pager / "less", 0o755)
    env = crafted(tmp_path, oops(line=b"\x1b]0;pwned\x07"))
    assert env.collect() == 0
    report = os.path.join(env.out, our_reports(env.out)[0])
    subprocess.run(["apport-cli", "-c", report], input=b"v\nc\n",
                   env=dict(os.environ, PATH="%s:%s" % (pager, os.environ["PATH"]),
                            PAGER=str(pager / "less")),
                   capture_output=True, timeout=60)
    if seen.exists():
        assert b"\x1b" not in seen.read_bytes()


# --- T18 real corrupted data ------------------------------------------------

PANIC_SAMPLE = os.path.join(SAMPLES, "ramoops-6.1-basic", "pstore",
                            "dmesg-ramoops-1")


def corrupt(data, rng, keep):
    """Flip bits and inject NUL, ESC, CR and invalid UTF-8, everywhere but
    inside the ``keep`` line (its whole line, prefix included); sometimes
    start mid-line."""
    buf = bytearray(data)
    start = buf.find(keep)
    line_start = buf.rfind(b"\n", 0, start)
    protected = range(line_start, start + len(keep) + 1)
    for _ in range(rng.randrange(5, 200)):
        pos = rng.randrange(len(buf))
        if pos in protected:
            continue
        choice = rng.random()
        if choice < 0.5:
            buf[pos] ^= 1 << rng.randrange(8)
        else:
            buf[pos] = rng.choice(b"\x00\x1b\r\xff\xc3\x9b\x7f[")
    return bytes(buf)


def test_t18_bit_rot_in_real_records(tmp_path):
    with open(PANIC_SAMPLE, "rb") as f:
        sample = f.read()
    header, body = sample.split(b"\n", 1)
    match = re.search(rb"Kernel panic - not syncing: [^\n]*", body)
    assert match
    panic = match.group()
    message = panic.split(b": ", 1)[1].decode()
    rng = random.Random(18)
    variants = 40
    for i in range(variants):
        text = corrupt(body, rng, panic)
        if i % 4 == 0:                       # a ring that starts mid-line
            text = text[rng.randrange(1, 200):]
        env = crafted(tmp_path, text, reason="Panic", name="v%d" % i)
        assert env.collect() in (0, 1)
        names = our_reports(env.out)
        assert len(names) == 1, i
        with open(os.path.join(env.out, names[0]), "rb") as f:
            data = f.read()
        assert b"\x00" not in data
        assert_safe_text(data)
        fields = complete_reports(env)[names[0]]
        assert message in fields.get("PanicMessage", ""), (i, fields.get("Title"))
        assert fields["Failure"] in ("panic", "oops", "bug")
    figures.record("content", attack="T18 bit rot", variants=variants)


@pytest.mark.parametrize("prefix", [b"<0>\x1b 13.000000] ", b"<0>[ 13.00\x000] ",
                                    b"<0>[ 13.000000\xff ", b"<\x00>[ 13.0] "])
def test_t18_panic_line_with_a_rotten_prefix_is_still_found(tmp_path, prefix):
    text = (b"<6>[ 1.0] booting\n" + prefix +
            b"Kernel panic - not syncing: sysrq triggered crash\n")
    env = crafted(tmp_path, text, reason="Panic")
    assert env.collect() == 0
    (name,) = our_reports(env.out)
    fields = complete_reports(env)[name]
    assert fields.get("PanicMessage") == "sysrq triggered crash"


# --- T19 key injection ------------------------------------------------------

INJECTIONS = (b"ExecutablePath: /tmp/evil", b"\nCrashDB: {'impl':'x'}",
              b"ProblemType: Crash", b"Package: evil 1.0",
              b"_HooksRun: no", b"CrashDB: {'impl': 'memory'}",
              b" continuation: x", b"KernelLog: base64")


def test_t19_report_keys_are_our_constants(tmp_path):
    lines = b"".join(b"<4>[ 12.5] %s\n" % inj for inj in INJECTIONS)
    env = crafted(tmp_path, oops(line=b"ExecutablePath: /tmp/evil") + lines,
                  console=lines)
    assert env.collect() == 0
    (name,) = our_reports(env.out)
    fields = complete_reports(env)[name]
    assert set(fields) <= ALLOWED_KEYS | {"PstoreRecord1", "PstoreRecord2"}
    for key in ("ExecutablePath", "CrashDB", "_HooksRun", "InterpreterPath"):
        assert key not in fields
    assert fields["Package"] == "linux-image-6.1.0-56-amd64 6.1.192-1"
    assert fields["ProblemType"] == "KernelOops"
    with open(os.path.join(env.out, name), "rb") as f:
        data = f.read()
    # The text occurs only inside continuation lines of our values.
    for line in data.split(b"\n"):
        if b"ExecutablePath" in line or b"CrashDB" in line:
            assert line.startswith(b" "), line
    try:
        import problem_report
    except ImportError:
        problem_report = None
    if problem_report is not None:
        pr = problem_report.ProblemReport()
        with open(os.path.join(env.out, name), "rb") as f:
            pr.load(f)
        assert set(pr.keys()) == set(fields)
    figures.record("content", attack="T19 key injection",
                   variants=len(INJECTIONS))


@pytest.mark.parametrize("line", [
    b"<0>[ 13.0] Kernel panic - not syncing: base64\n",
    b"<0>[ 13.0] Kernel panic - not syncing:   base64  \n"])
def test_t19_a_value_cannot_turn_into_a_binary_block(tmp_path, line):
    env = crafted(tmp_path, oops() + line, reason="Panic")
    assert env.collect() == 0
    (name,) = our_reports(env.out)
    fields = complete_reports(env)[name]
    assert "base64" in fields["PanicMessage"]


# --- T20 comm / release / file-name injection -------------------------------

COMMS = (b"../../etc/x", b"A" * 300, b"a/b c", b"x\x1by", b"..", b".hidden",
         b"000000000000", b"vmcore")
RELEASES = (b"6.1.0-56-amd64/../../../etc", b"6.1.0-" + b"a" * 300,
            b"6.1.0 evil", b"../6.1", b"6.1.0-\x1b[2J", b"1.1+~_..-x",
            b"123456789012")


@pytest.mark.parametrize("comm", COMMS)
def test_t20_comm_never_reaches_the_file_name(tmp_path, comm):
    env = crafted(tmp_path, oops(comm=comm))
    assert env.collect() == 0
    (name,) = our_reports(env.out)
    assert NAME_OK.match(name) and not name.startswith(".")
    fields = complete_reports(env)[name]
    if len(comm) <= 15:                    # TASK_COMM_LEN: the CPU line parses
        assert name.startswith("linux-image-6.1.0-56-amd64.E")
    else:                                  # no release read: the running one
        assert "PackageSource" in fields
    assert fields["Package"].split(" ", 1)[0] == name.split(".E")[0]


@pytest.mark.parametrize("release", RELEASES)
def test_t20_release_strings_make_safe_names(tmp_path, release):
    text = (b"<5>[ 0.0] Linux version %s (debian-kernel@lists.debian.org) "
            b"(gcc-12) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-1\n" % release +
            (OOPS % (b"bash", b"x+0x1/0x2")).replace(b"6.1.0-56-amd64", release))
    env = crafted(tmp_path, text)
    assert env.collect() == 0
    names = os.listdir(env.out)
    assert len(names) == 1
    (name,) = names
    assert NAME_OK.match(name), name
    assert not name.startswith(".") and not re.match(r"[0-9]{12}\Z", name)
    assert not name.startswith("vmcore")
    fields = complete_reports(env)[name]
    assert re.match(r"linux-image-[A-Za-z0-9.+~_-]+ ", fields["Package"])
    figures.record("content", attack="T20 release %r" % release[:20],
                   variants=1)


# --- T21 no subprocess, no pager --------------------------------------------

def test_t21_no_program_is_ever_run(tmp_path, monkeypatch, capsys):
    marker = tmp_path / "marker"
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for prog in ("less", "more", "sensible-pager", "pager", "gdb", "sh",
                 "bash", "dpkg", "dpkg-query", "apport", "mount", "modprobe",
                 "uname", "lsb_release", "systemd-cat"):
        path = bindir / prog
        path.write_text("#!/bin/sh\necho %s >> %s\n" % (prog, marker))
        path.chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (bindir, os.environ.get("PATH", "")))
    monkeypatch.setenv("PAGER", str(bindir / "less"))

    def refuse(*a, **k):
        raise AssertionError("a program was started: %r" % (a[:1],))
    import subprocess as sp
    for mod, names in ((sp, ("Popen", "run", "call", "check_call",
                             "check_output", "getoutput", "getstatusoutput")),
                       (os, ("system", "popen", "execv", "execve", "execvp",
                             "execvpe", "execl", "execle", "execlp", "execlpe",
                             "spawnv", "spawnve", "spawnvp", "spawnvpe",
                             "posix_spawn", "posix_spawnp", "fork",
                             "forkpty"))):
        for name in names:
            if hasattr(mod, name):
                monkeypatch.setattr(mod, name, refuse)
    env = crafted(tmp_path, oops(line=b"$(touch /tmp/pwn) `id`") +
                  b"<0>[ 13.0] Kernel panic - not syncing: ;sh -c id\n",
                  reason="Panic")
    spec = ["--source", env.spec]
    assert cli.main(["--list"] + spec) == 0
    assert cli.main(["--list", "--json"] + spec) == 0
    assert cli.main(["--show", "dmesg-ramoops-0"] + spec) == 0
    assert env.collect() == 0
    assert len(our_reports(env.out)) == 1
    monkeypatch.undo()
    assert not marker.exists()


def test_t21_no_dangerous_calls_in_the_sources():
    """A lint: nothing in harvester/ or parsers/ evaluates, unpickles,
    yaml.load()s or shells out."""
    root = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir)
    bad = re.compile(r"\b(eval|exec|pickle|marshal|shelve|subprocess|"
                     r"os\.system|os\.popen|yaml\.load\b|yaml\.unsafe_load|"
                     r"shell=True|ConfigParser|os\.exec\w*|os\.spawn\w*)\b"
                     r"(?!_)")
    # The one helper program (R13's rule: fixed path, --, clean env,
    # limits), for a kdump crash saved without its log.
    allowed = {("harvester/sources/makedumpfile.py", "subprocess")}
    found = []
    for pkg in ("harvester", "parsers"):
        names = []
        for folder, _, files in os.walk(os.path.join(root, pkg)):
            names += [os.path.relpath(os.path.join(folder, n),
                                      os.path.join(root, pkg))
                      for n in files if n.endswith(".py")]
        for name in sorted(names):
            with open(os.path.join(root, pkg, name)) as f:
                for no, line in enumerate(f, 1):
                    code = line.split("#", 1)[0]
                    for match in bad.finditer(code):
                        if match.group() == "yaml.load" and "safe_load" in code:
                            continue
                        if ("%s/%s" % (pkg, name), match.group()) in allowed:
                            continue
                        found.append("%s/%s:%d: %s" % (pkg, name, no,
                                                       line.strip()))
    assert not found, found


# --- T23 log caps ------------------------------------------------------------

class FakeJournal:
    def __init__(self):
        self.sent = []

    def send(self, message, **fields):
        self.sent.append((message, fields))


def test_t23_one_megabyte_of_escapes_is_capped_in_logs(tmp_path, monkeypatch,
                                                        capsys):
    esc = b"\x1b" * (1 << 20)
    env = crafted(tmp_path, oops(line=esc) +
                  b"<0>[ 13.0] Kernel panic - not syncing: " + esc + b"\n",
                  reason="Panic")
    # An unparsable record with a huge header line too (its problem is logged).
    with open(os.path.join(env.src, "dmesg-ramoops-1"), "wb") as f:
        f.write(esc + b"\n" + esc)
    journal = FakeJournal()

    class Recording(log_mod.Logger):
        def __init__(self):
            super().__init__(use_journal=False)
            self.journal = journal
    monkeypatch.setattr(collector, "Logger", Recording)
    env.write_config("max_report_bytes: 16777216\n")
    assert env.collect() in (0, 1)
    assert journal.sent
    for message, fields in journal.sent:
        assert len(message) <= 300
        assert "\x1b" not in message
        for key, value in fields.items():
            assert "\x1b" not in value
            if key not in ("MESSAGE_ID", "PRIORITY", "SYSLOG_IDENTIFIER"):
                assert len(value) <= 200, key
    # The stderr fallback is capped the same way.
    capsys.readouterr()

    class Plain(log_mod.Logger):
        def __init__(self):
            super().__init__(use_journal=False)
    monkeypatch.setattr(collector, "Logger", Plain)
    env2 = crafted(tmp_path, oops(line=esc), name="env2")
    with open(os.path.join(env2.src, "dmesg-ramoops-1"), "wb") as f:
        f.write(esc + b"\n" + esc)
    env2.collect()
    err = capsys.readouterr().err
    assert "\x1b" not in err
    for line in err.splitlines():
        assert len(line) <= 400, len(line)
    figures.record("content", attack="T23 1 MiB ESC line",
                   variants=len(journal.sent))
