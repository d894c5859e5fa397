"""Writing files into directories other users can write to, safely.

/var/crash is world-writable: anyone can plant symlinks, hard links, FIFOs
or directories under the names we are about to use.  So the directory is
opened once (O_NOFOLLOW) and checked on its fd, and every later operation
is relative to that fd.  A file is created under a random temporary name
with O_EXCL|O_NOFOLLOW, given its owner and mode on the fd, written,
fsynced, then *linked* to its final name (link fails on an existing name
instead of replacing it), and the directory is fsynced.  Nothing is ever
chmod/chown-ed by path, opened with O_TRUNC, or followed through a link.
"""

import errno
import os
import stat

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
NAME_ATTEMPTS = 16


class UnsafeDirectory(Exception):
    """A directory we would write into could be swapped or read by others."""


def close_dir(fd):
    """Close a directory or lock fd that nothing was written through.

    Linux frees the fd whatever close() returns, and every write that
    matters was fsynced before, so an error here (EIO injected, or from a
    network filesystem) must not turn a finished run into a traceback.
    """
    try:
        os.close(fd)
    except OSError:
        pass


def open_dir(path, create_mode=None, private=False):
    """Open ``path`` as a directory fd after checking who controls it.

    Refused: symlinks, directories not owned by us (root), and world- or
    group-writable directories without the sticky bit.  ``private`` demands
    exactly 0700.  A missing directory is created with ``create_mode``.
    """
    try:
        fd = os.open(path, _DIR_FLAGS)
    except FileNotFoundError:
        if create_mode is None:
            raise UnsafeDirectory("%s does not exist" % path) from None
        parent = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(parent, 0o755, exist_ok=True)
            os.mkdir(path, create_mode)
        except FileExistsError:
            pass
        fd = os.open(path, _DIR_FLAGS)
        st = os.fstat(fd)
        if st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) != create_mode:
            os.fchmod(fd, create_mode)       # mkdir honours the umask
    except OSError as exc:
        if exc.errno == errno.ELOOP or exc.errno == errno.ENOTDIR:
            raise UnsafeDirectory("%s is a symlink or not a directory"
                                  % path) from None
        raise UnsafeDirectory("cannot open %s: %s" % (path, exc.strerror)) from None
    try:
        check_dir(fd, path, private)
    except UnsafeDirectory:
        os.close(fd)
        raise
    return fd


def check_dir(fd, path, private):
    """open_dir's checks, on the opened fd."""
    st = os.fstat(fd)
    mode = stat.S_IMODE(st.st_mode)
    if st.st_uid not in (0, os.geteuid()):
        raise UnsafeDirectory("%s is owned by uid %d, not by root"
                              % (path, st.st_uid))
    if mode & 0o022 and not mode & stat.S_ISVTX:
        raise UnsafeDirectory("%s is writable by others and not sticky "
                              "(mode %04o)" % (path, mode))
    if private and mode & 0o077:
        raise UnsafeDirectory("%s must be private (0700), is %04o"
                              % (path, mode))


def open_private_subdir(parent_fd, name):
    """A 0700 subdirectory we own; one planted by someone else is refused.

    In a setgid parent (Ubuntu's /var/crash is 3777 root:whoopsie) mkdir
    gives the new directory the setgid bit too: harmless on a 0700
    directory, so it is tolerated, and dropped when we create it."""
    try:
        os.mkdir(name, 0o700, dir_fd=parent_fd)
        created = True
    except FileExistsError:
        created = False
    try:
        fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    except OSError as exc:
        raise UnsafeDirectory("cannot open private directory %s: %s"
                              % (name, exc.strerror)) from None
    st = os.fstat(fd)
    mode = stat.S_IMODE(st.st_mode) & ~stat.S_ISGID
    if created and st.st_uid == os.geteuid() and mode == 0o700:
        os.fchmod(fd, 0o700)
    if st.st_uid != os.geteuid() or mode != 0o700:
        os.close(fd)
        raise UnsafeDirectory("private directory %s is not ours or not "
                              "0700; refusing it" % name)
    return fd


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def is_our_file(dir_fd, name):
    """True if ``name`` is a regular file we own with one link (never
    opened, so neither its atime nor a FIFO can bite)."""
    st = our_stat(dir_fd, name)
    return st is not None and st.st_nlink == 1


def our_stat(dir_fd, name):
    """lstat of ``name`` if it is a regular file we own, else None.  Its
    link count is not checked: anyone may hard-link our files when
    fs.protected_hardlinks=0, so it says nothing about what the file is."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    if stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid():
        return st
    return None


def file_identity(st):
    return [st.st_dev, st.st_ino]


TEMP_PREFIX = ".oops-harvest-"


def temp_name():
    """A fresh, unguessable temporary name."""
    return "%s%s.tmp" % (TEMP_PREFIX, os.urandom(8).hex())


def is_temp_name(name):
    """Is ``name`` one ``temp_name`` makes?  A name read back from the
    state is used only then (``../x`` would leave the directory)."""
    if not isinstance(name, str):
        return False
    hexpart = name[len(TEMP_PREFIX):-4]
    return (name.startswith(TEMP_PREFIX) and name.endswith(".tmp") and
            len(hexpart) == 16 and
            all(c in "0123456789abcdef" for c in hexpart))


def remove_temp(dir_fd, tmp):
    """Remove our temporary file ``tmp`` if it is there (a killed run's)."""
    try:
        if our_stat(dir_fd, tmp) is not None:
            os.unlink(tmp, dir_fd=dir_fd)
    except FileNotFoundError:
        pass


def remove_stale_temps(dir_fd):
    """Temp files of a run that was killed before removing them, in a
    directory only we can write (the state directory: listing it is safe,
    unlike a world-writable output directory)."""
    for name in os.listdir(dir_fd):
        if name.startswith(".") and name.endswith(".tmp"):
            try:
                remove_temp(dir_fd, name)
            except OSError:
                pass


def write_temp(dir_fd, tmp, data, mode=0o600, gid=None):
    """Create ``tmp`` (O_EXCL|O_NOFOLLOW), set its owner and mode on the
    fd, write and fsync it.  Returns its identity ``[dev, inode]``;
    on failure nothing is left behind."""
    fd = os.open(tmp, _CREATE, 0o600, dir_fd=dir_fd)
    try:
        try:
            if gid is not None:
                os.fchown(fd, os.geteuid(), gid)
            os.fchmod(fd, mode)
            _write_all(fd, data)
            os.fsync(fd)
            return file_identity(os.fstat(fd))
        finally:
            os.close(fd)
    except BaseException:
        remove_temp(dir_fd, tmp)
        raise


def link_temp(dir_fd, tmp, names):
    """Link the written ``tmp`` to the first free name in ``names`` (link
    fails on an existing name instead of replacing it), remove ``tmp``.
    Returns the name used.  The caller fsyncs the directory, once for a
    batch."""
    try:
        for name in names:
            try:
                os.link(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd,
                        follow_symlinks=False)
            except FileExistsError:
                continue
            return name
        raise OSError(errno.EEXIST, "every candidate name is taken")
    finally:
        remove_temp(dir_fd, tmp)


def replace_private(dir_fd, name, data):
    """Atomically replace a file in a directory only we can write (state)."""
    tmp = ".%s.%s.tmp" % (name, os.urandom(4).hex())
    fd = os.open(tmp, _CREATE, 0o600, dir_fd=dir_fd)
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        try:                          # e.g. ENOSPC: leave no temp behind
            os.unlink(tmp, dir_fd=dir_fd)
        except OSError:
            pass
        raise
    os.fsync(dir_fd)


def candidate_names(stem, suffix, attempts=NAME_ATTEMPTS):
    """stem.suffix, then stem-2.suffix ... (a planted name is skipped, R4)."""
    yield "%s%s" % (stem, suffix)
    for i in range(2, attempts + 1):
        yield "%s-%d%s" % (stem, i, suffix)
