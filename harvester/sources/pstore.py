"""pstore: a mounted pstore filesystem (/sys/fs/pstore), a copy of one, or
systemd-pstore's archive of it.  Records are cleared by unlinking their
files, which is how the kernel erases them from the backend."""

import os

from parsers.patterns import lazy

from .base import Intake, Kind, Source
from .reading import MAX_FILES, read_dir

PSTORE_DIR = "/sys/fs/pstore"
SYSTEMD_ARCHIVE = "/var/lib/systemd/pstore"
SYSTEMD_PSTORE_CONF = ("/etc/systemd/pstore.conf",
                       "/usr/lib/systemd/pstore.conf.d",
                       "/run/systemd/pstore.conf.d",
                       "/etc/systemd/pstore.conf.d")
_STORAGE_SETTING = lazy(r"\s*Storage\s*=\s*(\S+)")      # pstore.conf


def load(source, loaded, limits):
    wanted = None
    if source.options.get("archive"):
        # systemd-pstore adds dmesg.txt and the like next to records.
        from parsers.pstorefs import is_record_name as wanted
    intake = None

    def take(name, data):
        nonlocal intake
        if intake is None:    # an empty pstore: no parser imported
            from parsers import pstorefs
            intake = Intake(pstorefs.parse, source, limits, loaded)
        intake.take(name, data)
    _, loaded.problems, loaded.unreadable = read_dir(
        source.path, wanted=wanted, cap=limits.record_cap,
        tail=is_console, cut=loaded.cut, budget=limits.budget,
        deferred=loaded.deferred, heads=loaded.heads, first=limits.first,
        take=take)
    if intake is not None:
        loaded.result = intake.result


def clear(dir_fd, name):
    os.unlink(name, dir_fd=dir_fd)


def is_console(name):
    return name.startswith("console-")


def mounted_fstype(path, mountinfo="/proc/self/mountinfo"):
    """The filesystem type mounted exactly at ``path``, or None."""
    real = os.path.realpath(path)
    fstype = None
    try:
        with open(mountinfo, "r", errors="replace") as f:
            for line in f:
                left, _, right = line.partition(" - ")
                fields = left.split()
                if len(fields) > 4 and fields[4].replace("\\040", " ") == real:
                    fstype = right.split()[0] if right else None
    except OSError:
        return None
    return fstype


def mount_pstore():
    """Mount /sys/fs/pstore if the kernel has pstore and nobody did (the
    records are invisible otherwise).  Root only; failures are harmless."""
    if os.geteuid() != 0 or not os.path.isdir(PSTORE_DIR) or \
            mounted_fstype(PSTORE_DIR) == "pstore":
        return False
    try:
        with open("/proc/filesystems") as f:
            if "\tpstore\n" not in f.read():
                return False
    except OSError:
        return False
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    ms_nosuid, ms_nodev, ms_noexec = 2, 4, 8
    return libc.mount(b"pstore", PSTORE_DIR.encode(), b"pstore",
                      ms_nosuid | ms_nodev | ms_noexec, None) == 0


def systemd_pstore_archive(conf_paths=SYSTEMD_PSTORE_CONF):
    """systemd-pstore's archive directory, unless its Storage= says it
    keeps nothing there (``none``) or in the journal only."""
    storage = "external"
    files = []
    for path in conf_paths:
        if os.path.isdir(path):
            files.extend(os.path.join(path, n) for n in sorted(os.listdir(path))
                         if n.endswith(".conf"))
        else:
            files.append(path)
    for path in files:
        try:
            with open(path, errors="replace") as f:
                for line in f:
                    match = _STORAGE_SETTING.match(line)
                    if match:
                        storage = match.group(1).lower()
        except OSError:
            continue
    if storage != "external" or not os.path.isdir(SYSTEMD_ARCHIVE):
        return []
    dirs = [SYSTEMD_ARCHIVE]
    for name in sorted(os.listdir(SYSTEMD_ARCHIVE))[:MAX_FILES]:
        sub = os.path.join(SYSTEMD_ARCHIVE, name)
        if os.path.isdir(sub) and not os.path.islink(sub):
            dirs.append(sub)
    return dirs


def discover():
    """The pstore filesystem, if this machine has one."""
    return [Source("pstore", PSTORE_DIR)] if os.path.isdir(PSTORE_DIR) else []


def discover_archive():
    """What systemd-pstore already moved into its archive (read only; the
    state keeps those from being reported twice)."""
    return [Source("pstore", d, {"archive": True})
            for d in systemd_pstore_archive()]


KIND = Kind("pstore", (), load, mount_type="pstore", clear=clear)
