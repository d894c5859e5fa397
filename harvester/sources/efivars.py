"""efivars: efivarfs (/sys/firmware/efi/efivars) or a copy of its dump-*
files: efi-pstore's variables read directly.  efivarfs marks variables
immutable, so clearing one lifts that flag on its fd first."""

import fcntl
import os
import struct

from .base import Intake, Kind, Source
from .reading import read_dir

EFIVARS_DIR = "/sys/firmware/efi/efivars"
FS_IOC_GETFLAGS = 0x80086601
FS_IOC_SETFLAGS = 0x40086602
FS_IMMUTABLE_FL = 0x10


def load(source, loaded, limits):
    from parsers import efi
    intake = None

    def take(name, data):
        nonlocal intake
        if intake is None:    # no dump variable: no record class imported
            intake = Intake(efi.parse, source, limits, loaded)
        intake.take(name, data[0])
    _, loaded.problems, loaded.unreadable = read_dir(
        source.path, wanted=efi.is_crash_variable, cap=limits.record_cap,
        budget=limits.budget, deferred=loaded.deferred, heads=loaded.heads,
        first=limits.first, take=take)
    if intake is not None and (intake.result.records or intake.result.errors):
        loaded.result = intake.result


def clear(dir_fd, name):
    _clear_immutable(dir_fd, name)
    os.unlink(name, dir_fd=dir_fd)


def _clear_immutable(dir_fd, name):
    """efivarfs marks variables immutable; lift that on the fd first."""
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK |
                 os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        flags = struct.unpack("l", fcntl.ioctl(fd, FS_IOC_GETFLAGS,
                                               b"\0" * 8))[0]
        if flags & FS_IMMUTABLE_FL:
            fcntl.ioctl(fd, FS_IOC_SETFLAGS,
                        struct.pack("l", flags & ~FS_IMMUTABLE_FL))
    except OSError:
        pass                      # unlink will say what is wrong
    finally:
        os.close(fd)


def discover():
    return [Source("efivars", EFIVARS_DIR)] if os.path.isdir(EFIVARS_DIR) else []


KIND = Kind("efivars", (), load, mount_type="efivarfs", clear=clear)
