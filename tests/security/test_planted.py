"""Planted-file attacks on the output, source, state and private
directories (T1-T6, T12, T13, T14, T22, T26): every target stays exactly
as it was, reports land under fresh names, the run never hangs."""

import errno
import os
import socket
import stat
import subprocess
import sys
import time

import pytest

from harvester import collector, sources, storage
from tests import needs
from tests.security import figures
from tests.security.helpers import (IS_ROOT, NOBODY, Env, all_candidates,
                                    as_user, check_our_report,
                                    complete_reports, make_sentinel,
                                    our_reports, planned_names, quiet_child,
                                    snapshot)

root_only = pytest.mark.skipif(not IS_ROOT, reason="needs root")


def sysctls():
    out = {}
    for name in ("symlinks", "hardlinks", "regular", "fifos"):
        try:
            with open("/proc/sys/fs/protected_%s" % name) as f:
                out[name] = int(f.read())
        except OSError:
            out[name] = None
    return out


def stem(name):
    return name[:-len(".crash")]


# --- T1 symlink, T2 dangling symlink ---------------------------------------

@pytest.mark.parametrize("backend", ["pstore", "ramoops", "mtdoops"])
def test_t1_symlink_at_the_next_report_name(tmp_path, backend):
    env = Env(tmp_path / "env", backend)
    sentinel = make_sentinel(tmp_path)
    before = snapshot(sentinel)
    names = planned_names(env.spec)
    for name in names:
        os.symlink(sentinel, os.path.join(env.out, name))
    assert env.collect() == 0
    assert snapshot(sentinel) == before
    for name in names:
        assert os.path.islink(os.path.join(env.out, name))
    assert our_reports(env.out) == sorted(stem(n) + "-2.crash" for n in names)
    figures.record("planted", attack="T1 symlink", backend=backend,
                   variants=len(names), sysctls=sysctls())


def test_t2_dangling_symlink_creates_nothing(tmp_path):
    env = Env(tmp_path / "env", "pstore")
    target_dir = tmp_path / "cron.d"
    target_dir.mkdir()
    targets = []
    for i, name in enumerate(planned_names(env.spec)):
        target = target_dir / ("pwn%d" % i)
        os.symlink(target, os.path.join(env.out, name))
        targets.append(target)
    assert env.collect() == 0
    assert os.listdir(target_dir) == []
    assert len(our_reports(env.out)) == 2


# --- T3 hard link -----------------------------------------------------------

@root_only
def test_t3_hardlink_planted_by_a_user(public_path):
    env = Env(os.path.join(public_path, "env"), "pstore")
    os.chmod(env.tmp, 0o755)
    home = os.path.join(public_path, "home")
    os.mkdir(home)
    os.chown(home, NOBODY, NOBODY)
    mine = os.path.join(home, "mine")
    names = planned_names(env.spec)

    def plant():
        with open(mine, "wb") as f:
            f.write(b"user data\n")
        for name in names:
            os.link(mine, os.path.join(env.out, name))
        return 0
    assert as_user(NOBODY, plant) == 0
    before = snapshot(mine)
    assert before[6] == 1 + len(names)
    assert env.collect() == 0
    assert snapshot(mine) == before
    produced = our_reports(env.out)
    assert produced == sorted(stem(n) + "-2.crash" for n in names)
    paths = [os.path.join(env.out, n) for n in produced]

    def try_read():
        for path in paths:
            try:
                open(path, "rb").read(1)
                return 1
            except PermissionError:
                pass
        return 0
    assert as_user(NOBODY, try_read) == 0
    figures.record("planted", attack="T3 hardlink", variants=len(names))


def test_t3_hardlink_to_a_file_we_own_is_not_taken_for_ours(tmp_path):
    """Unprivileged variant: a link to a file of the same owner gives it
    nlink 2, so it is never adopted as an earlier report (R6)."""
    env = Env(tmp_path / "env", "pstore")
    mine = make_sentinel(tmp_path, "mine")
    names = planned_names(env.spec)
    for name in names:
        os.link(mine, os.path.join(env.out, name))
    before = snapshot(mine)
    assert env.collect() == 0
    assert snapshot(mine) == before
    assert our_reports(env.out) == sorted(stem(n) + "-2.crash" for n in names)


# --- T4 FIFOs, T5 directories and sockets ----------------------------------

def run_bounded(env, budget=10.0):
    """Collect in a child; (exit status, seconds), killed past the budget."""
    start = time.monotonic()
    pid = quiet_child(env.collect)
    while time.monotonic() - start < budget:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.WEXITSTATUS(status), time.monotonic() - start
        time.sleep(0.01)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    raise AssertionError("the run hung on a FIFO (killed after %ss)" % budget)


def test_t4_fifos_at_report_temp_and_source_names(tmp_path):
    env = Env(tmp_path / "env", "pstore")
    names = planned_names(env.spec)
    for name in names:
        os.mkfifo(os.path.join(env.out, name))
    # The temp name is random; a FIFO matching its pattern must not be
    # opened either (stale-temp cleanup only unlinks our regular files).
    os.mkfifo(os.path.join(env.out, storage.TEMP_PREFIX + "0" * 16 + ".tmp"))
    os.mkfifo(os.path.join(env.out, ".lock"))
    os.mkfifo(os.path.join(env.src, "dmesg-ramoops-0"))
    os.mkfifo(os.path.join(env.src, "console-ramoops-0"))
    status, seconds = run_bounded(env)
    assert status == 1                     # the FIFOs are logged as problems
    assert seconds < 10
    assert our_reports(env.out) == sorted(stem(n) + "-2.crash" for n in names)
    for name in names:
        assert stat.S_ISFIFO(os.lstat(os.path.join(env.out, name)).st_mode)
    assert stat.S_ISFIFO(os.lstat(os.path.join(env.src, "dmesg-ramoops-0")).st_mode)
    figures.record("planted", attack="T4 fifo", variants=len(names) + 4)


def test_t4_fifo_as_a_raw_image_source(tmp_path):
    env = Env(tmp_path / "env", "ramoops")
    os.unlink(env.src)
    os.mkfifo(env.src)
    status, seconds = run_bounded(env)
    assert status == 1 and seconds < 10
    assert our_reports(env.out) == []


def test_t5_directory_and_socket_at_the_report_names(tmp_path):
    env = Env(tmp_path / "env", "pstore")
    names = planned_names(env.spec)
    socks = []
    cwd = os.getcwd()
    os.chdir(env.out)                      # AF_UNIX paths are short
    try:
        for name in names:
            os.mkdir(name)
            sock = socket.socket(socket.AF_UNIX)
            sock.bind(stem(name) + "-2.crash")
            socks.append(sock)
    finally:
        os.chdir(cwd)
    try:
        assert env.collect() == 0
    finally:
        for sock in socks:
            sock.close()
    for name in names:
        assert os.path.isdir(os.path.join(env.out, name))
        assert os.listdir(os.path.join(env.out, name)) == []
    assert our_reports(env.out) == sorted(stem(n) + "-3.crash" for n in names)
    figures.record("planted", attack="T5 dir+socket", variants=2 * len(names))


def test_t4_every_candidate_name_taken_keeps_the_records(tmp_path):
    """R4/R12: bounded attempts, then give up, log, keep the source."""
    env = Env(tmp_path / "env", "pstore")
    sentinel = make_sentinel(tmp_path)
    before = snapshot(sentinel)
    candidates = all_candidates(env.spec)
    for i, name in enumerate(candidates):
        path = os.path.join(env.out, name)
        [lambda: os.symlink(sentinel, path), lambda: os.mkfifo(path),
         lambda: os.mkdir(path)][i % 3]()
    n_files = len(env.source_files())
    assert env.collect() == 1
    assert snapshot(sentinel) == before
    assert our_reports(env.out) == []
    assert len(env.source_files()) == n_files
    assert not [n for n in os.listdir(env.out) if n.endswith(".tmp")]
    figures.record("planted", attack="T4 all names taken",
                   variants=len(candidates))


# --- T6 race fuzzer ---------------------------------------------------------

def _attacker(out_base, candidates, sentinel, mine, stop_path, seed):
    """Loop: plant symlinks, hard links, FIFOs and directories at every
    candidate name of the current run's output directory, remove our own
    plants again, forever until told to stop."""
    import random
    rng = random.Random(seed)
    planted = []
    while not os.path.exists(stop_path):
        try:
            current = open(os.path.join(out_base, "current")).read().strip()
        except OSError:
            continue
        out = os.path.join(out_base, current)
        for name in candidates:
            path = os.path.join(out, name)
            kind = rng.randrange(5)
            try:
                if kind == 0:
                    os.symlink(sentinel, path)
                elif kind == 1:
                    try:
                        os.link(sentinel, path)
                    except PermissionError:   # protected_hardlinks
                        os.link(mine, path)
                elif kind == 2:
                    os.link(mine, path)
                elif kind == 3:
                    os.mkfifo(path)
                else:
                    os.mkdir(path)
                planted.append(path)
            except OSError:
                pass
        while planted and rng.random() < 0.7:
            path = planted.pop(rng.randrange(len(planted)))
            try:
                if os.path.isdir(path) and not os.path.islink(path):
                    os.rmdir(path)
                else:
                    os.unlink(path)
            except OSError:
                pass
    return 0


def race(tmp_path, runs, public_path, budget=600):
    env = Env(tmp_path / "env", "ramoops")
    os.rmdir(env.out)
    sentinel = make_sentinel(public_path)
    import pathlib
    base = pathlib.Path(public_path) / "outs"
    base.mkdir(mode=0o1777)
    os.chmod(base, 0o1777)
    mine = str(base / "mine")
    with open(mine, "wb") as f:
        f.write(b"user file\n")
    os.chmod(mine, 0o644)
    if IS_ROOT:
        os.chown(mine, NOBODY, NOBODY)
    before = snapshot(sentinel)
    mine_before = snapshot(mine)[:3]
    candidates = all_candidates(env.spec)[:6] + \
        all_candidates(env.spec)[16:22]
    stop = str(base / "stop")
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            if IS_ROOT:
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            code = _attacker(str(base), candidates, sentinel, mine, stop, 7)
        finally:
            os._exit(code)
    landed = refused = done = 0
    try:
        for i in range(runs):
            if time.monotonic() - started > budget:
                break
            done += 1
            out = base / ("out-%d" % i)
            out.mkdir()
            os.chmod(out, 0o1777)
            tmp = base / "current.tmp"
            tmp.write_text("out-%d" % i)
            os.rename(tmp, base / "current")
            env.out = str(out)
            env.state = str(tmp_path / ("state-%d" % i))
            rc = run_bounded(env)[0]
            assert rc in (0, 1), rc
            dfd = os.open(str(out), os.O_RDONLY | os.O_DIRECTORY)
            try:
                for name in os.listdir(dfd):
                    st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
                    if st.st_uid == os.geteuid() and stat.S_ISREG(st.st_mode) \
                            and name.endswith(".crash") and \
                            snapshot(mine)[:3] != snapshot(sentinel)[:3]:
                        if IS_ROOT or st.st_nlink == 1:
                            check_our_report(dfd, name)
                            landed += 1
            finally:
                os.close(dfd)
            refused += rc == 1
            assert snapshot(sentinel) == before, i
    finally:
        open(stop, "w").close()
        time.sleep(0.05)
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    assert snapshot(mine)[:3] == mine_before
    figures.record("race", runs=done, reports=landed, gave_up=refused,
                   sysctls=sysctls(), seconds=round(time.monotonic() - started, 1))
    return landed


def test_t6_race_fuzzer(tmp_path, public_path):
    assert race(tmp_path, 60, public_path, budget=30) > 0


@pytest.mark.kernel
def test_t6_race_fuzzer_1000_runs(tmp_path, public_path):
    assert race(tmp_path, 1000, public_path) > 0


# --- T12 a user's regular file at the name is never opened ------------------

def test_t12_regular_file_at_the_name_is_never_opened(tmp_path, monkeypatch):
    env = Env(tmp_path / "env", "pstore")
    names = planned_names(env.spec)
    for name in names:
        path = os.path.join(env.out, name)
        with open(path, "wb") as f:
            f.write(b"X")
        if IS_ROOT:
            os.chown(path, NOBODY, NOBODY)
    before = {n: snapshot(os.path.join(env.out, n)) for n in names}
    opened = []
    real_open = os.open

    def recording(path, *a, **k):
        opened.append(os.path.basename(str(path)))
        return real_open(path, *a, **k)
    monkeypatch.setattr(os, "open", recording)
    assert env.collect() == 0
    monkeypatch.undo()
    assert not set(names) & set(opened)
    assert {n: snapshot(os.path.join(env.out, n)) for n in names} == before
    assert our_reports(env.out) == sorted(stem(n) + "-2.crash" for n in names)


def test_t12_strace_sees_no_open_of_the_planted_name(tmp_path):
    if not IS_ROOT or not os.path.exists("/usr/bin/strace"):
        needs.missing("needs root and strace")
    env = Env(tmp_path / "env", "pstore")
    names = planned_names(env.spec)
    for name in names:
        with open(os.path.join(env.out, name), "wb") as f:
            f.write(b"X")
        os.chown(os.path.join(env.out, name), NOBODY, NOBODY)
    trace = tmp_path / "trace"
    code = ("import sys; from harvester import cli; "
            "sys.exit(cli.main(%r))" % env.argv())
    done = subprocess.run(["strace", "-f", "-qq", "-e", "trace=open,openat,"
                           "openat2,creat,truncate", "-o", str(trace),
                           sys.executable, "-c", code],
                          cwd=os.path.dirname(os.path.dirname(
                              os.path.dirname(os.path.abspath(__file__)))),
                          capture_output=True)
    if done.returncode != 0 and b"ptrace" in done.stderr:
        pytest.skip("ptrace not permitted here")
    assert done.returncode == 0, done.stderr[-500:]
    text = trace.read_text()
    assert "openat" in text
    for name in names:
        assert name not in text


# --- T13 source symlinks, T14 fake source directory -------------------------

def test_t13_symlinked_record_is_skipped(tmp_path):
    env = Env(tmp_path / "env", "pstore")
    secret = b"Oops#1 Part1\n<4>[ 1.0] BUG: TOPSECRET-SENTINEL-CONTENT\n"
    sentinel = make_sentinel(tmp_path, content=secret)
    before = snapshot(sentinel)
    os.symlink(sentinel, os.path.join(env.src, "dmesg-ramoops-0"))
    os.symlink(sentinel, os.path.join(env.src, "console-ramoops-0"))
    assert env.collect() == 1              # the symlinks are problems
    assert snapshot(sentinel) == before
    reports = complete_reports(env)
    assert len(reports) == 2
    for name in our_reports(env.out):
        with open(os.path.join(env.out, name), "rb") as f:
            data = f.read()
        assert b"TOPSECRET" not in data
        for fields in reports.values():
            for value in fields.values():
                assert b"TOPSECRET" not in (value if isinstance(value, bytes)
                                            else value.encode())
    # The links themselves stay: they are not our records to clear.
    assert os.path.islink(os.path.join(env.src, "dmesg-ramoops-0"))


def test_t13_symlinked_source_directory_is_refused(tmp_path):
    env = Env(tmp_path / "env", "pstore")
    link = tmp_path / "pstore-link"
    os.symlink(env.src, link)
    env.spec = "pstore:%s" % link
    n_files = len(env.source_files())
    assert env.collect() == 1
    assert our_reports(env.out) == [] and len(env.source_files()) == n_files


def test_t14_copies_are_not_cleared_without_the_override(tmp_path):
    env = Env(tmp_path / "env", "pstore")
    with open(env.config, "w") as f:
        f.write("{}\n")                    # require_pstore_mount: true
    n_files = len(env.source_files())
    assert env.collect() == 0
    assert len(our_reports(env.out)) == 2
    assert len(env.source_files()) == n_files


def test_t14_fake_sys_fs_pstore_is_not_cleared(tmp_path, monkeypatch):
    env = Env(tmp_path / "env", "pstore")
    efivars = Env(tmp_path / "efi", "efivars")
    monkeypatch.setattr(sources.pstore, "PSTORE_DIR", env.src)
    monkeypatch.setattr(collector.clear, "PSTORE_DIR", env.src)
    monkeypatch.setattr(sources.efivars, "EFIVARS_DIR", efivars.src)
    monkeypatch.setattr(collector.clear, "EFIVARS_DIR", efivars.src)
    monkeypatch.setattr(sources.pstore, "SYSTEMD_PSTORE_CONF", ())
    monkeypatch.setattr(sources.pstore, "SYSTEMD_ARCHIVE", str(tmp_path / "none"))
    monkeypatch.setattr(collector, "mount_pstore", lambda: False)
    with open(env.config, "w") as f:
        f.write("{}\n")
    n_files, n_vars = len(env.source_files()), len(efivars.source_files())
    from harvester import cli
    assert cli.main(["--collect", "--config", env.config, "--output-dir",
                     env.out, "--state-dir", env.state]) == 0
    assert len(our_reports(env.out)) == 2
    assert len(env.source_files()) == n_files
    assert len(efivars.source_files()) == n_vars


# --- T22 lock and state location --------------------------------------------

def test_t22_lock_lives_in_the_state_directory(tmp_path, monkeypatch):
    env = Env(tmp_path / "env", "pstore")
    sentinel = make_sentinel(tmp_path)
    before = snapshot(sentinel)
    fake_tmp = tmp_path / "tmp"
    fake_tmp.mkdir(mode=0o1777)
    plants = [os.path.join(env.out, ".lock"),
              os.path.join(env.out, "oops-harvest.lock"),
              str(fake_tmp / "oops-harvest.lock"),
              str(fake_tmp / "oops-harvest")]
    for i, path in enumerate(plants):
        if i % 2:
            os.mkfifo(path)
        else:
            os.symlink(sentinel, path)
    monkeypatch.setenv("TMPDIR", str(fake_tmp))
    created = []
    real_open = os.open

    def recording(path, flags, *a, **k):
        if flags & os.O_CREAT:
            created.append((str(path), flags, k.get("dir_fd")))
        return real_open(path, flags, *a, **k)
    monkeypatch.setattr(os, "open", recording)
    assert env.collect() == 0
    monkeypatch.undo()
    assert snapshot(sentinel) == before
    locks = [c for c in created if "lock" in c[0]]
    assert [c[0] for c in locks] == ["lock"]
    assert locks[0][1] & os.O_NOFOLLOW and locks[0][2] is not None
    assert os.path.exists(os.path.join(env.state, "lock"))
    for path, flags, dir_fd in created:
        assert flags & os.O_NOFOLLOW and (flags & os.O_EXCL or path == "lock"), \
            (path, oct(flags))
    st = os.stat(env.state)
    assert stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == os.geteuid()


@root_only
def test_t22_state_directory_made_by_a_user_is_refused(tmp_path):
    env = Env(tmp_path / "env", "pstore")
    os.mkdir(env.state, 0o700)
    os.chown(env.state, NOBODY, NOBODY)
    n_files = len(env.source_files())
    assert env.collect() == 2
    assert os.listdir(env.state) == [] and our_reports(env.out) == []
    assert len(env.source_files()) == n_files


def test_t22_state_directory_symlink_or_loose_mode_is_refused(tmp_path):
    env = Env(tmp_path / "env", "pstore")
    real = tmp_path / "real-state"
    real.mkdir(mode=0o700)
    os.symlink(real, env.state)
    assert env.collect() == 2 and os.listdir(real) == []
    os.unlink(env.state)
    os.mkdir(env.state)
    os.chmod(env.state, 0o755)
    assert env.collect() == 2 and os.listdir(env.state) == []
    assert our_reports(env.out) == []


def test_t22_symlink_at_the_lock_is_refused_cleanly(tmp_path):
    env = Env(tmp_path / "env", "pstore")
    sentinel = make_sentinel(tmp_path)
    before = snapshot(sentinel)
    os.mkdir(env.state, 0o700)
    os.symlink(sentinel, os.path.join(env.state, "lock"))
    try:
        rc = env.collect()
    finally:
        assert snapshot(sentinel) == before
    assert rc == 2


# --- T26 private subdirectory ---------------------------------------------

def _private_env(tmp_path):
    env = Env(tmp_path / "env", "pstore")
    env.write_config("private: true\n")
    return env, os.path.join(env.out, "oops-harvest")


@root_only
def test_t26_private_subdirectory_made_by_a_user_is_refused(tmp_path):
    env, inner = _private_env(tmp_path)
    os.mkdir(inner, 0o700)
    os.chown(inner, NOBODY, NOBODY)
    n_files = len(env.source_files())
    assert env.collect() == 1
    assert os.listdir(inner) == [] and len(env.source_files()) == n_files


def test_t26_private_subdirectory_symlink_is_refused(tmp_path):
    env, inner = _private_env(tmp_path)
    target = tmp_path / "etc"
    target.mkdir(mode=0o700)
    os.symlink(target, inner)
    n_files = len(env.source_files())
    assert env.collect() == 1
    assert os.listdir(target) == [] and len(env.source_files()) == n_files
    assert os.path.islink(inner)


def test_t26_private_subdirectory_with_loose_mode_is_refused(tmp_path):
    env, inner = _private_env(tmp_path)
    os.mkdir(inner)
    os.chmod(inner, 0o755)
    assert env.collect() == 1 and os.listdir(inner) == []


def test_t26_private_subdirectory_is_created_0700(tmp_path):
    env, inner = _private_env(tmp_path)
    assert env.collect() == 0
    st = os.lstat(inner)
    assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o700
    assert st.st_uid == os.geteuid()
    assert len(os.listdir(inner)) == 2
    assert [n for n in os.listdir(env.out)] == ["oops-harvest"]


def test_t26_private_subdirectory_in_a_setgid_directory(tmp_path):
    """Ubuntu's /var/crash is 3777 root:whoopsie: mkdir there inherits the
    setgid bit (the VM run of R18 found the subdirectory refused)."""
    env = Env(tmp_path / "env", "pstore", out_mode=0o3777)
    env.write_config("private: true\n")
    inner = os.path.join(env.out, "oops-harvest")
    assert env.collect() == 0
    st = os.lstat(inner)
    assert stat.S_IMODE(st.st_mode) == 0o700 and len(os.listdir(inner)) == 2
    assert env.collect() == 0 and len(os.listdir(inner)) == 2
