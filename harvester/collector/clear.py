"""Erasing backend records, the last step for each event: only records
whose report or archive is durable and recorded in the state come here.
Only sources of an erasable kind, mounted as that kind's filesystem
(unless require_pstore_mount is off), are touched."""

import os

from ..sources import kind as source_kind
from ..sources.efivars import EFIVARS_DIR
from ..sources.pstore import PSTORE_DIR, mounted_fstype


class Clearer:
    def __init__(self, config, log):
        self.config = config
        self.log = log
        self.failed = False        # a record could not be cleared
        self.clearable = {}        # source path -> may be cleared
        self.told = set()          # source paths said to be no mount

    def may_clear(self, source):
        """May records of ``source`` be erased?  Asked before anything is
        read too, so it says nothing: ``clear`` says why a record stays."""
        mount_type = source_kind(source).mount_type
        if not self.config.clear_backends or mount_type is None:
            return False
        if source.path not in self.clearable:
            self.clearable[source.path] = (
                not self.config.require_pstore_mount or
                mounted_fstype(source.path) == mount_type)
        return self.clearable[source.path]

    def _say_why_not(self, source):
        """Once per source: its records stay because it is not the real
        filesystem (a copy named with --source is expected; the real
        directory not being the real filesystem is not)."""
        mount_type = source_kind(source).mount_type
        if not self.config.clear_backends or mount_type is None or \
                source.path in self.told:
            return
        self.told.add(source.path)
        real = source.path in (PSTORE_DIR, EFIVARS_DIR)
        self.log("clear-failed", "%s is not a %s mount; records there "
                 "are left in place" % (source.path, mount_type),
                 "warning" if real else "info")

    def clear(self, inv, records):
        """Each record and its twins in other sources."""
        for source, rec in [c for r in records for c in inv.copies(r)]:
            if not rec.origin.name:
                continue
            if not self.may_clear(source):
                self._say_why_not(source)
                continue
            try:
                dfd = os.open(source.path, os.O_RDONLY | os.O_DIRECTORY |
                              os.O_NOFOLLOW | os.O_CLOEXEC)
                try:
                    source_kind(source).clear(dfd, rec.origin.name)
                finally:
                    os.close(dfd)
            except FileNotFoundError:
                continue
            except OSError as exc:
                self.failed = True
                self.log("clear-failed", "cannot clear %s/%s: %s" % (
                    source.path, rec.origin.name, exc.strerror), "error",
                    BACKEND=rec.backend)
