"""The one program oops-harvest runs: ``makedumpfile --dump-dmesg``, for a
kdump crash saved without its log (SECURITY R13's helper rule).

Only a dump that kdump wrote is given to it, as an fd we opened without
following links (``/dev/fd/N``), never a path someone could swap.  It is
run by a fixed absolute path, owned by root and writable by nobody else,
with ``--`` before the operands, an empty environment but PATH and
LC_ALL, no inherited fds but that one, stdin from /dev/null, and limits:
``TIME_LIMIT`` seconds of wall and CPU time, ``MEMORY_LIMIT`` bytes of
address space and ``OUTPUT_LIMIT`` bytes of output file (setrlimit in the
child; where a sandbox forbids setrlimit, the unit's own limits hold).
It writes the log into a fresh 0700 directory of ours, which is read from
its newest end like any log and removed.  Nothing it says is trusted
beyond a one-line reason for a failure.
"""

import os
import stat

PATHS = ("/usr/sbin/makedumpfile", "/usr/bin/makedumpfile",
         "/sbin/makedumpfile")
TIME_LIMIT = 30                   # seconds, wall clock and CPU
MEMORY_LIMIT = 512 << 20          # bytes of address space
OUTPUT_LIMIT = 64 << 20           # bytes of log file (log_buf is <= 32 MiB)
STDERR_KEPT = 4096


class Unavailable(Exception):
    """Why there is no log from the dump (tool missing, failed, too slow)."""


def tool():
    """The first of PATHS that is a root-owned regular file nobody else can
    write, or None."""
    for path in PATHS:
        try:
            st = os.stat(path)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and st.st_uid == 0 and \
                not st.st_mode & 0o022 and st.st_mode & 0o100:
            return path
    return None


def _limit():
    """In the child, before it runs the tool: lower its limits (never
    raise them)."""
    import resource
    for which, value in ((resource.RLIMIT_AS, MEMORY_LIMIT),
                         (resource.RLIMIT_CPU, TIME_LIMIT),
                         (resource.RLIMIT_FSIZE, OUTPUT_LIMIT),
                         (resource.RLIMIT_CORE, 0)):
        try:
            resource.setrlimit(which, (value, value))
        except (OSError, ValueError):
            pass                  # sandboxed: the unit's limits hold


def dump_dmesg(dump_fd, read, path=None):
    """The log in the dump open at ``dump_fd``: ``read(fd, size)`` of the
    file makedumpfile wrote.  Raises Unavailable with the reason."""
    path = path or tool()
    if path is None:
        raise Unavailable("makedumpfile is not installed (looked for %s)"
                          % ", ".join(PATHS))
    import subprocess
    import tempfile
    workdir = tempfile.mkdtemp(prefix="oops-harvest-dmesg-")
    out = os.path.join(workdir, "dmesg")
    try:
        try:
            done = subprocess.run(
                [path, "--dump-dmesg", "--", "/dev/fd/%d" % dump_fd, out],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, env={"PATH": "/usr/sbin:/usr/bin",
                                             "LC_ALL": "C"},
                cwd=workdir, close_fds=True, pass_fds=(dump_fd,),
                preexec_fn=_limit, timeout=TIME_LIMIT)
        except subprocess.TimeoutExpired:
            raise Unavailable("makedumpfile --dump-dmesg did not finish in "
                              "%d s" % TIME_LIMIT) from None
        except OSError as exc:
            raise Unavailable("cannot run %s: %s" % (path, exc.strerror)) \
                from None
        if done.returncode != 0:
            said = done.stderr[-STDERR_KEPT:].decode("utf-8", "replace")
            lines = [l.strip() for l in said.splitlines() if l.strip()]
            why = "exit status %d" % done.returncode if done.returncode > 0 \
                else "killed by signal %d" % -done.returncode
            raise Unavailable("makedumpfile --dump-dmesg failed (%s)%s" % (
                why, ": " + lines[-2 if len(lines) > 1 and "Failed" in lines[-1]
                                  else -1][:200] if lines else ""))
        try:
            fd = os.open(out, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as exc:
            raise Unavailable("makedumpfile wrote no log: %s" % exc.strerror) \
                from None
        try:
            return read(fd, os.fstat(fd).st_size)
        finally:
            os.close(fd)
    finally:
        for name in os.listdir(workdir):
            os.unlink(os.path.join(workdir, name))
        os.rmdir(workdir)

