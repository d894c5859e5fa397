"""How reports are published: modes and owners (T7), no path-based
metadata calls (T8), atomicity under a kill mid-write (T9), a really full
disk (T10), the durability order (T11) and the systemd unit (T25)."""

import builtins
import ctypes
import errno
import grp
import os
import re
import shutil
import stat
import subprocess

import pytest

from harvester import storage
from tests import needs
from tests.security.helpers import (IS_ROOT, NOBODY, ROOT, Env, as_user,
                                    complete_reports, our_reports,
                                    records_of, assert_nothing_lost)

root_only = pytest.mark.skipif(not IS_ROOT, reason="needs root")


# --- T7 mode and owner --------------------------------------------------------

def test_t7_umask_000_in_a_setgid_directory(public_path):
    env = Env(os.path.join(public_path, "env"), "pstore", out_mode=0o3777)
    os.chmod(env.tmp, 0o755)
    group = NOBODY if IS_ROOT else os.getegid()
    if IS_ROOT:
        os.chown(env.out, 0, NOBODY)
        os.chmod(env.out, 0o3777)
    old = os.umask(0)
    try:
        assert env.collect() == 0
    finally:
        os.umask(old)
    names = our_reports(env.out)
    assert len(names) == 2
    paths = [os.path.join(env.out, n) for n in names]
    for path in paths:
        st = os.stat(path)
        assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
        assert st.st_uid == os.geteuid()
    if IS_ROOT:
        def try_open():
            for path in paths:
                try:
                    os.open(path, os.O_RDONLY)
                    return 1
                except PermissionError:
                    pass
            return 0
        assert as_user(NOBODY, try_open) == 0
    # The state directory and its files are private too.
    for dirpath, dirs, files in os.walk(env.state):
        for name in dirs + files:
            mode = stat.S_IMODE(os.lstat(os.path.join(dirpath, name)).st_mode)
            assert not mode & 0o077, (name, oct(mode))


@root_only
def test_t7_report_group_is_an_explicit_opt_in(public_path):
    env = Env(os.path.join(public_path, "env"), "pstore")
    os.chmod(env.tmp, 0o755)
    name = grp.getgrgid(NOBODY).gr_name
    env.write_config("report_group: %s\n" % name)
    assert env.collect() == 0
    for report in our_reports(env.out):
        st = os.stat(os.path.join(env.out, report))
        assert stat.S_IMODE(st.st_mode) == 0o640 and st.st_gid == NOBODY
        assert st.st_uid == 0


# --- T8 no path-based metadata calls -----------------------------------------

def test_t8_no_chmod_chown_copy_or_open_for_writing(tmp_path, monkeypatch):
    envs = [Env(tmp_path / b, b) for b in ("pstore", "efivars", "ramoops",
                                            "mtdoops")]
    envs[1].write_config("private: true\nreport_group: %s\n"
                         % grp.getgrgid(os.getegid()).gr_name)

    def refuse(name):
        def call(*a, **k):
            raise AssertionError("%s(%r) called" % (name, a[:1]))
        return call
    for name in ("chmod", "chown", "lchown", "lchmod", "truncate"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, refuse("os." + name))
    for name in ("copy", "copy2", "copyfile", "copymode", "copystat",
                 "copytree", "move"):
        monkeypatch.setattr(shutil, name, refuse("shutil." + name))
    real_open = builtins.open

    def read_only_open(file, mode="r", *a, **k):
        if any(c in mode for c in "wax+"):
            raise AssertionError("open(%r, %r)" % (file, mode))
        return real_open(file, mode, *a, **k)
    monkeypatch.setattr(builtins, "open", read_only_open)
    real_os_open = os.open

    def no_trunc(path, flags, *a, **k):
        assert not flags & os.O_TRUNC, path
        if flags & os.O_CREAT:
            assert flags & os.O_NOFOLLOW, path
        return real_os_open(path, flags, *a, **k)
    monkeypatch.setattr(os, "open", no_trunc)
    for env in envs:
        assert env.collect() == 0, env.backend
    monkeypatch.undo()
    for env in envs:
        out = env.out if env.backend != "efivars" else \
            os.path.join(env.out, "oops-harvest")
        assert len(our_reports(out)) >= 2


def test_t8_lint_writer_modules():
    """No os.chmod/chown/lchown/truncate, shutil.copy*, O_TRUNC, mmap or
    open() for writing in the modules that write (read from the AST, so
    docstrings that name them do not count)."""
    import ast
    found = []
    writers = ["storage.py", "state.py", "report.py"] + [
        os.path.join("collector", n) for n in sorted(os.listdir(
            os.path.join(ROOT, "harvester", "collector"))) if n.endswith(".py")]
    assert len(writers) >= 7
    for name in writers:
        with open(os.path.join(ROOT, "harvester", name)) as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            bad = None
            if isinstance(node, ast.Attribute):
                if node.attr in ("chmod", "chown", "lchown", "truncate",
                                 "O_TRUNC") or node.attr.startswith("copy") \
                        and getattr(node.value, "id", "") == "shutil":
                    bad = node.attr
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names]
                if "mmap" in names or getattr(node, "module", "") == "mmap":
                    bad = "mmap"
            elif isinstance(node, ast.Call) and \
                    getattr(node.func, "id", "") == "open":
                modes = [a.value for a in node.args[1:2] + [k.value for k in node.keywords if k.arg == "mode"]
                         if isinstance(a, ast.Constant)]
                if any(set(str(m)) & set("wax+") for m in modes):
                    bad = "open(%r)" % modes
            if bad:
                found.append("%s:%d: %s" % (name, node.lineno, bad))
    assert not found, found


# --- T9 kill in the middle of writing a report -------------------------------

@pytest.mark.parametrize("backend", ["pstore", "ramoops"])
def test_t9_kill_after_half_a_report(tmp_path, backend):
    env = Env(tmp_path / "env", backend)
    original = records_of(env.spec)
    before = env.source_digest()
    pid = os.fork()
    if pid == 0:
        try:
            real_write = os.write

            def half(fd, data):
                if len(data) > 1000:
                    real_write(fd, bytes(data[:len(data) // 2]))
                    os._exit(137)
                return real_write(fd, data)
            os.write = half
            env.collect()
        finally:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 137
    assert our_reports(env.out) == []          # nothing under a final name
    assert env.source_digest() == before
    assert_nothing_lost(env, original)
    assert env.collect() == 0
    assert len(complete_reports(env)) >= 2
    assert not [n for n in os.listdir(env.out) if n.endswith(".tmp")]


# --- T10 a really full file system ------------------------------------------

def _mount_tmpfs(path, size):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x00020000) != 0:                     # CLONE_NEWNS
        return False
    libc.mount(b"none", b"/", None, 0x4000 | 0x40000, None)  # MS_REC|MS_PRIVATE
    return libc.mount(b"tmpfs", path.encode(), b"tmpfs", 0,
                      ("size=%d,mode=1777" % size).encode()) == 0


@root_only
def test_t10_enospc_on_a_tiny_tmpfs(tmp_path):
    env = Env(tmp_path / "env", "pstore")
    before = env.source_digest()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 90
        try:
            os.close(r)
            if not _mount_tmpfs(env.out, 16 << 10):
                code = 91
            else:
                writes = [0]
                real_write = os.write

                def counting(fd, data):
                    writes[0] += 1
                    return real_write(fd, data)
                os.write = counting
                code = env.collect()
                os.write = real_write
                real_write(w, b"%d %d" % (writes[0], len(os.listdir(env.out))))
        finally:
            os._exit(code)
    os.close(w)
    _, status = os.waitpid(pid, 0)
    info = os.read(r, 100).split()
    os.close(r)
    if os.WEXITSTATUS(status) == 91:
        pytest.skip("cannot mount a tmpfs in a mount namespace here")
    assert os.WEXITSTATUS(status) == 1
    writes, left_in_out = int(info[0]), int(info[1])
    assert left_in_out == 0                     # no partial report, no temp
    assert writes <= 8                          # stopped, no retry storm
    assert env.source_digest() == before        # every record kept
    assert env.collect() == 0 and len(our_reports(env.out)) == 2


# --- T11 durability order -----------------------------------------------------

@pytest.mark.parametrize("backend", ["pstore", "efivars"])
def test_t11_fsync_link_fsync_dir_then_unlink(tmp_path, monkeypatch, backend):
    env = Env(tmp_path / "env", backend)
    out_ino = os.stat(env.out).st_ino
    src_names = set(env.source_files())
    calls = []
    real = {n: getattr(os, n) for n in ("fsync", "link", "unlink", "rename")}

    def fsync(fd):
        st = os.fstat(fd)
        kind = "dir" if stat.S_ISDIR(st.st_mode) else "file"
        if kind == "dir" and st.st_ino == out_ino:
            kind = "outdir"
        calls.append(("fsync", kind, st.st_ino))
        return real["fsync"](fd)

    def link(src, dst, *a, **k):
        result = real["link"](src, dst, *a, **k)
        calls.append(("link", dst, os.stat(dst, dir_fd=k.get("dst_dir_fd"),
                                           follow_symlinks=False).st_ino))
        return result

    def unlink(path, *a, **k):
        calls.append(("unlink", os.path.basename(str(path)), None))
        return real["unlink"](path, *a, **k)

    def rename(src, dst, *a, **k):
        calls.append(("rename", os.path.basename(str(dst)), None))
        return real["rename"](src, dst, *a, **k)
    for name, func in (("fsync", fsync), ("link", link), ("unlink", unlink),
                       ("rename", rename)):
        monkeypatch.setattr(os, name, func)
    assert env.collect() == 0
    monkeypatch.undo()
    reports = complete_reports(env)
    assert len(reports) == 2
    links = [i for i, c in enumerate(calls) if c[0] == "link"]
    for i in links:
        ino = calls[i][2]
        synced = [j for j, c in enumerate(calls[:i])
                  if c == ("fsync", "file", ino)]
        assert synced, "report not fsynced before its link"
        dir_sync = [j for j, c in enumerate(calls) if j > i and
                    c[:2] == ("fsync", "outdir")]
        assert dir_sync, "output directory not fsynced after the link"
    # Every source unlink comes after a link and the directory fsync that
    # made its report durable, and after the state said "done".
    unlinks = [i for i, c in enumerate(calls)
               if c[0] == "unlink" and c[1] in src_names]
    assert len(unlinks) == len(src_names)
    first_link = links[0]
    first_dir_sync = min(j for j, c in enumerate(calls)
                         if j > first_link and c[:2] == ("fsync", "outdir"))
    for i in unlinks:
        assert i > first_dir_sync
        done = [j for j, c in enumerate(calls[:i])
                if c[:2] == ("rename", "state.json")]
        assert done


# --- T25 the systemd unit ---------------------------------------------------

UNIT = os.path.join(ROOT, "packaging", "systemd", "oops-harvest.service")


def unit_settings():
    settings = {}
    with open(UNIT) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", ";", "[")) and "=" in line:
                key, value = line.split("=", 1)
                settings.setdefault(key.strip(), []).append(value.strip())
    return settings


@pytest.mark.skipif(not os.path.exists(UNIT), reason="no unit file")
def test_t25_unit_hardening_directives():
    s = unit_settings()
    one = {k: v[-1] for k, v in s.items()}
    assert one["Type"] == "oneshot"
    assert one["UMask"] == "0077"
    assert one["NoNewPrivileges"] == "yes"
    assert one["ProtectSystem"] == "strict"
    assert one["ProtectHome"] == "yes"
    assert one["PrivateTmp"] == "yes"
    assert one["PrivateNetwork"] == "yes"
    assert one["RestrictAddressFamilies"] == "AF_UNIX"
    assert "TimeoutStartSec" in one and "MemoryMax" in one
    assert "@system-service" in " ".join(s["SystemCallFilter"])
    rw = " ".join(s["ReadWritePaths"]).split()
    assert "/var/crash" in rw and any(p.lstrip("-") == "/sys/fs/pstore"
                                      for p in rw)
    assert "systemd-pstore.service" in " ".join(s.get("Before", []))
    caps = set(" ".join(s.get("CapabilityBoundingSet", [])).split())
    assert not caps & {"CAP_SYS_ADMIN", "CAP_DAC_OVERRIDE", "CAP_SYS_RAWIO",
                       "CAP_SETUID", "CAP_NET_ADMIN", "CAP_SYS_PTRACE"}, caps


@pytest.mark.skipif(not os.path.exists(UNIT), reason="no unit file")
def test_unit_can_read_the_package_database():
    """The report's Package version comes from /var/lib/dpkg/status:
    ProtectSystem=strict leaves it readable, so nothing may hide it."""
    s = unit_settings()
    hidden = " ".join(s.get("InaccessiblePaths", []) +
                      s.get("InaccessibleDirectories", []) +
                      s.get("TemporaryFileSystem", [])).split()
    for path in hidden:
        path = path.lstrip("-+").split(":")[0].rstrip("/")
        assert not "/var/lib/dpkg/status".startswith(path + "/"), path
    assert s.get("ProtectSystem", ["strict"])[-1] in ("strict", "full", "yes")


def test_t25_systemd_analyze_security_and_verify(tmp_path):
    if not os.path.exists(UNIT) or not shutil.which("systemd-analyze"):
        needs.missing("needs the unit and systemd-analyze")
    done = subprocess.run(["systemd-analyze", "security", "--offline=true",
                           "--no-pager", UNIT], capture_output=True, text=True,
                          timeout=120)
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", done.stdout)
    if not match:
        pytest.skip("systemd-analyze security --offline unsupported: %s"
                    % done.stderr[-200:])
    assert float(match.group(1)) <= 2.0, done.stdout[-2000:]
    # --man=no: the man page is installed by the package, whose own CI
    # (packaging/ci.sh) verifies the installed unit with it.
    verify = subprocess.run(["systemd-analyze", "verify", "--man=no", UNIT],
                            capture_output=True, text=True, timeout=120)
    problems = [l for l in verify.stderr.splitlines()
                if "oops-harvest" in l and "Command /usr/bin/oops-harvest"
                not in l and "not executable" not in l]
    assert not problems, verify.stderr[-2000:]
