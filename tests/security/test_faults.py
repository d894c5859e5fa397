"""Crash consistency by exhaustive fault injection (R3, R12; T9, T10, T11).

For every backend (a pstore copy of the efi sample, a copy of its efivars,
a raw ramoops image, a raw mtdoops image) a probe run counts each
side-effecting call of ``--collect``: os.open, write, fsync, link, rename,
unlink, fchmod, fchown, mkdir, close, fcntl.ioctl and fcntl.flock.  Then,
for every one of those calls, a fresh copy is collected in a forked child
that either

- ``eio``:   gets OSError(EIO) from that call (the run goes on as it can),
- ``kill``:  dies with os._exit at that call, before it happens (no
             finally blocks, no cleanup: a SIGKILL or power cut), or
- ``after``: dies right after that call succeeded;

and after it: every .crash file under a final name parses completely,
every record is still in its backend (and not marked harvested) or inside
a complete report, and a clean re-run converges to exactly one report per
event, the clearable backends emptied and no temp file left.
"""

import contextlib
import errno
import fcntl
import os
import shutil
import tempfile

import pytest

from tests import invariants
from tests.security import figures
from tests.security.helpers import (Env, assert_nothing_lost, assert_once_each,
                                    complete_reports, quiet_child, records_of)

OS_STEPS = ("open", "write", "fsync", "link", "rename", "unlink", "fchmod",
            "fchown", "mkdir", "close")
FCNTL_STEPS = ("ioctl", "flock")
STEPS = OS_STEPS + FCNTL_STEPS
BACKENDS = ("pstore", "efivars", "ramoops", "mtdoops")
KILLED = 137


def _module(step):
    return fcntl if step in FCNTL_STEPS else os


def _patch_all(hook):
    """Wrap every step; ``hook(step, real, args, kwargs)`` does the call."""
    saved = {}
    for step in STEPS:
        mod = _module(step)
        real = getattr(mod, step)
        saved[step] = real

        def wrapper(*a, _real=real, _step=step, **k):
            return hook(_step, _real, a, k)
        setattr(mod, step, wrapper)
    return saved


def _unpatch(saved):
    for step, real in saved.items():
        setattr(_module(step), step, real)


def count_points(env):
    """``(counts, inputs)``: calls per step, and the (step, nth) points
    that open one of the source's record files."""
    counts = dict.fromkeys(STEPS, 0)
    inputs = set()
    names = set(env.source_files()) if env.clearable else set()

    def hook(step, real, a, k):
        counts[step] += 1
        if step == "open" and a and a[0] in names and k.get("dir_fd"):
            inputs.add((step, counts[step]))
        return real(*a, **k)
    saved = _patch_all(hook)
    try:
        rc = env.collect(check=False)
    finally:
        _unpatch(saved)
    assert rc == 0
    return counts, inputs


def run_with_fault(env, step, nth, mode):
    """Collect in a forked child that fails or dies at the nth ``step``;
    returns the child's exit status (KILLED for a kill, 97 when an
    exception escaped the collector)."""
    def body():
        seen = [0]

        def hook(s, real, a, k):
            if s == step:
                seen[0] += 1
                if seen[0] == nth:
                    if mode == "eio":
                        raise OSError(errno.EIO, "injected EIO")
                    if mode == "kill":
                        os._exit(KILLED)
                    try:
                        return real(*a, **k)
                    finally:
                        os._exit(KILLED)
            return real(*a, **k)
        _patch_all(hook)
        return env.collect()
    _, status = os.waitpid(quiet_child(body), 0)
    return os.WEXITSTATUS(status)


@contextlib.contextmanager
def fast_tmp(tmp_path_factory, name):
    """A scratch directory on tmpfs when there is one: the faults are
    injected at the system-call layer, so real fsyncs only cost time."""
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        path = tempfile.mkdtemp(prefix="oops-harvest-%s-" % name, dir="/dev/shm")
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)
    else:
        yield str(tmp_path_factory.mktemp(name))


class Baseline:
    """Per backend: the events a clean run reports and the fault points."""
    cache = {}
    items_of = {}

    @classmethod
    def get(cls, tmp_path_factory, backend):
        if backend not in cls.cache:
            env = Env(tmp_path_factory.mktemp("probe-" + backend), backend)
            original = records_of(env.spec)
            cls.items_of[backend] = invariants.snapshot([env.spec])
            counts, inputs = count_points(env)
            events = [f["PstoreEvent"] for f in complete_reports(env).values()]
            cls.cache[backend] = (original, counts, sorted(events), inputs)
        return cls.cache[backend]

    @classmethod
    def items(cls, backend, env):
        """The records before a run, as they are in ``env``'s copy."""
        return [item.moved(env.src) for item in cls.items_of[backend]]


def points(tmp_path_factory, backend, mode):
    """Every fault point of the probe run."""
    _, counts, _, _ = Baseline.get(tmp_path_factory, backend)
    return [(step, nth) for step in STEPS
            for nth in range(1, counts[step] + 1)]


def exhaust(tmp_path_factory, backend, mode, selected=None):
    original, counts, events, _ = Baseline.get(tmp_path_factory, backend)
    assert len(events) >= 2
    with fast_tmp(tmp_path_factory, "fault-%s-%s" % (backend, mode)) as base:
        return _exhaust(base, backend, mode, selected, original, events,
                        tmp_path_factory)


def _exhaust(base, backend, mode, selected, original, events, tmp_path_factory):
    cases = escaped = 0
    if selected is None:
        selected = points(tmp_path_factory, backend, mode)
    for step, nth in selected:
        if True:
            env = Env(os.path.join(str(base), "%s-%d" % (step, nth)), backend)
            status = run_with_fault(env, step, nth, mode)
            where = (backend, mode, step, nth, status)
            if mode != "eio":
                assert status == KILLED, where
            escaped += status == 97
            try:
                before = Baseline.items(backend, env)
                invariants.check(before, env.out, env.state)
                assert_nothing_lost(env, original)
                rc = env.collect(check=False)      # checked against before
                if rc != 0:
                    # A fault may leave a record unreadable for one run at
                    # most; the next run must be clean.
                    rc = env.collect(check=False)
                assert rc == 0, where
                invariants.check(before, env.out, env.state)
                assert_once_each(env, events)
                if not env.clearable:
                    assert_nothing_lost(env, original)
                if env.clearable:
                    left = [n for n in env.source_files()
                            if not n.startswith("Boot")]
                    assert left == [], (where, left)
                temps = [n for n in os.listdir(env.out) if n.endswith(".tmp")]
                assert temps == [], (where, temps)
            except AssertionError as exc:
                raise AssertionError("fault %r: %s" % (where, exc)) from None
            cases += 1
    # Not even EIO from the last close() of a directory or lock fd may end
    # a finished run in a traceback.
    assert escaped == 0, (backend, mode, escaped)
    figures.record("fault-injection", backend=backend, mode=mode,
                   points=cases, escaped=escaped,
                   per_step={s: sum(1 for p in selected if p[0] == s)
                             for s in STEPS})
    return cases


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("mode", [
    "eio", "kill",
    # A kill right after call N is nearly a kill before call N+1: opt-in.
    pytest.param("after", marks=pytest.mark.kernel)])
def test_fault_at_every_side_effect(tmp_path_factory, backend, mode):
    cases = exhaust(tmp_path_factory, backend, mode)
    assert cases >= 40


def test_fault_points_cover_every_kind(tmp_path_factory):
    """The enumeration is not vacuous: writes, syncs, links, renames and
    unlinks happen on every backend, ioctl on efivars."""
    for backend in BACKENDS:
        _, counts, events, _ = Baseline.get(tmp_path_factory, backend)
        for step in ("open", "write", "fsync", "link", "rename", "unlink",
                     "fchmod", "close", "flock"):
            assert counts[step] >= 1, (backend, step)
        assert counts["link"] >= len(events)
    assert Baseline.get(tmp_path_factory, "efivars")[1]["ioctl"] >= 26


@pytest.mark.parametrize("backend", ["pstore", "efivars"])
def test_eio_on_one_record_file_splits_no_dump(tmp_path_factory, backend):
    _, _, _, inputs = Baseline.get(tmp_path_factory, backend)
    assert inputs
    exhaust(tmp_path_factory, backend, "eio", sorted(inputs)[:3])


def test_eio_on_the_state_file_is_a_clean_exit(tmp_path, monkeypatch):
    env = Env(tmp_path / "env", "ramoops")
    assert env.collect() == 0
    real_open = os.open

    def failing(path, flags, *a, **k):
        if path == "state.json" and not flags & os.O_CREAT:
            raise OSError(errno.EIO, "injected EIO")
        return real_open(path, flags, *a, **k)
    monkeypatch.setattr(os, "open", failing)
    rc = env.collect()
    monkeypatch.undo()
    assert rc in (1, 2)
    assert len(complete_reports(env)) == 2
