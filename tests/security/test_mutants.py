"""Issue 18's mutation audit: each test here fails on one mutant the
suite did not notice (named in its docstring)."""

import errno
import fcntl
import os
import struct

import pytest

from harvester import cli, storage
from harvester.sources import efivars
from tests.security.helpers import Env

OOPS = b"<1>[    1.000000] BUG: kernel NULL pointer dereference\n"


def _pstore(tmp_path, files):
    env = Env(tmp_path / "env", "pstore")
    for name in os.listdir(env.src):
        os.unlink(os.path.join(env.src, name))
    for name, data in files.items():
        with open(os.path.join(env.src, name), "wb") as f:
            f.write(data)
    return env


def test_the_state_file_and_its_directory_are_fsynced(tmp_path, monkeypatch):
    """Mutants: either fsync of storage.replace_private deleted."""
    events = []
    real_fsync, real_rename = os.fsync, os.rename

    def fsync(fd):
        st = os.fstat(fd)
        events.append(("fsync-dir" if os.path.stat.S_ISDIR(st.st_mode)
                       else "fsync-file"))
        return real_fsync(fd)

    def rename(*args, **kwargs):
        events.append("rename")
        return real_rename(*args, **kwargs)
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "rename", rename)
    fd = os.open(str(tmp_path), os.O_RDONLY | os.O_DIRECTORY)
    try:
        storage.replace_private(fd, "state.json", b"{}")
    finally:
        os.close(fd)
    assert events == ["fsync-file", "rename", "fsync-dir"]


def test_a_failed_archive_clears_nothing(tmp_path, monkeypatch):
    """Mutant: the return after a failed archive (falls through to clear)."""
    env = _pstore(tmp_path, {"pmsg-ramoops-0": b"user space said this\n"})
    real = storage.write_temp

    def failing(dir_fd, tmp, data, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(storage, "write_temp", failing)
    assert env.collect() == 1
    monkeypatch.setattr(storage, "write_temp", real)
    assert env.source_files() == ["pmsg-ramoops-0"]
    assert env.collect() == 0 and env.source_files() == []


def test_a_symlink_at_the_state_file_is_not_followed(tmp_path):
    """Mutant: O_NOFOLLOW dropped from the state file's open."""
    env = _pstore(tmp_path, {"dmesg-ramoops-0": b"Oops#1 Part1\n" + OOPS})
    os.makedirs(env.state, mode=0o700)
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text("{}")
    os.symlink(str(elsewhere), os.path.join(env.state, "state.json"))
    assert env.collect(check=False) == 1
    assert env.reports() == []
    assert env.source_files() == ["dmesg-ramoops-0"]


def test_clear_opens_the_source_directory_without_following(tmp_path,
                                                            monkeypatch):
    """Mutant: O_NOFOLLOW dropped from clear()'s open of the source."""
    env = _pstore(tmp_path, {"dmesg-ramoops-0": b"Oops#1 Part1\n" + OOPS})
    flags = []
    real_open = os.open

    def recording(path, flag, *args, **kwargs):
        if path == env.src:
            flags.append(flag)
        return real_open(path, flag, *args, **kwargs)
    monkeypatch.setattr(os, "open", recording)
    assert env.collect(check=False) == 0
    monkeypatch.undo()
    assert env.source_files() == []
    assert flags and all(f & os.O_NOFOLLOW for f in flags)


def test_the_efivarfs_immutable_flag_is_lifted_before_unlink(tmp_path,
                                                             monkeypatch):
    """Untested before: efivarfs marks variables immutable; clear() must
    lift the flag on the fd (and keep the other flags) first."""
    folder = tmp_path / "vars"
    folder.mkdir()
    (folder / "dump-x").write_bytes(b"x")
    calls = []

    def ioctl(fd, request, arg):
        calls.append((request, arg))
        if request == efivars.FS_IOC_GETFLAGS:
            return struct.pack("l", efivars.FS_IMMUTABLE_FL | 0x80000)
        return arg
    real_unlink = os.unlink

    def unlink(name, dir_fd=None):
        calls.append(("unlink", name))
        return real_unlink(name, dir_fd=dir_fd)
    monkeypatch.setattr(fcntl, "ioctl", ioctl)
    monkeypatch.setattr(os, "unlink", unlink)
    dfd = os.open(str(folder), os.O_RDONLY | os.O_DIRECTORY)
    try:
        efivars.clear(dfd, "dump-x")
    finally:
        os.close(dfd)
    assert calls[1] == (efivars.FS_IOC_SETFLAGS, struct.pack("l", 0x80000))
    assert calls[2] == ("unlink", "dump-x")
    assert not (folder / "dump-x").exists()


@pytest.mark.parametrize("missing", [False, True])
def test_pstore_is_mounted_only_when_missing(monkeypatch, missing):
    """Untested before: mount_pstore mounts /sys/fs/pstore (nosuid,
    nodev, noexec) only as root, when the kernel has pstore and nobody
    mounted it."""
    from harvester.sources import pstore
    mounts = []

    class Libc:
        def mount(self, *args):
            mounts.append(args)
            return 0
    import ctypes
    monkeypatch.setattr(ctypes, "CDLL", lambda *a, **k: Libc())
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(os.path, "isdir", lambda p: True)
    monkeypatch.setattr(pstore, "mounted_fstype",
                        lambda p: None if missing else "pstore")
    real_open = open

    def fake_open(path, *args, **kwargs):
        if path == "/proc/filesystems":
            import io
            return io.StringIO("nodev\tsysfs\nnodev\tpstore\n")
        return real_open(path, *args, **kwargs)
    monkeypatch.setattr("builtins.open", fake_open)
    assert pstore.mount_pstore() is missing
    if missing:
        assert mounts == [(b"pstore", b"/sys/fs/pstore", b"pstore", 2 | 4 | 8,
                           None)]
    else:
        assert mounts == []
