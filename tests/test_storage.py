"""The safe-write primitives of harvester/storage.py one by one, where the
collector's runs cannot tell: under a umask of 0 (the CLI sets 077, a
library caller may not), with symlinks where our files should be, with
every candidate name taken.  Written for the mutants mutmut found alive
(tests/README.md, "Mutation score")."""

import errno
import os
import stat

import pytest

from harvester import storage
from harvester.state import State


@pytest.fixture
def umask0():
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def dfd(tmp_path):
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield fd
    finally:
        os.close(fd)


def mode_of(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_open_dir_makes_what_it_is_asked_for_whatever_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        fd = storage.open_dir(str(tmp_path / "out"), create_mode=0o1777)
    finally:
        os.umask(old)
    os.close(fd)
    assert mode_of(tmp_path / "out") == 0o1777      # mkdir alone: 1755


def test_open_dir_makes_a_missing_parent_0755(tmp_path, umask0):
    fd = storage.open_dir(str(tmp_path / "a" / "state"), create_mode=0o700)
    os.close(fd)
    assert mode_of(tmp_path / "a") == 0o755
    assert mode_of(tmp_path / "a" / "state") == 0o700


def test_open_dir_says_a_missing_directory_does_not_exist(tmp_path):
    with pytest.raises(storage.UnsafeDirectory) as err:
        storage.open_dir(str(tmp_path / "nowhere"))
    assert str(err.value) == "%s does not exist" % (tmp_path / "nowhere")


def test_open_dir_refusals_say_why(tmp_path):
    """Each refusal names the directory and the reason, as the user sees
    it; a 0755 directory nobody else can write is accepted."""
    def refusal(path, **kw):
        with pytest.raises(storage.UnsafeDirectory) as err:
            storage.open_dir(str(path), **kw)
        return str(err.value)
    os.mkdir(tmp_path / "d", 0o755)
    os.chmod(tmp_path / "d", 0o755)
    os.close(storage.open_dir(str(tmp_path / "d")))
    assert refusal(tmp_path / "d", private=True) == \
        "%s must be private (0700), is 0755" % (tmp_path / "d")
    os.symlink("d", tmp_path / "link")
    (tmp_path / "file").write_bytes(b"")
    for name in ("link", "file"):
        assert refusal(tmp_path / name) == \
            "%s is a symlink or not a directory" % (tmp_path / name)
    long = tmp_path / ("x" * 300)
    assert refusal(long, create_mode=0o700) == "cannot open %s: %s" % (
        long, os.strerror(errno.ENAMETOOLONG))
    os.chmod(tmp_path / "d", 0o777)
    assert refusal(tmp_path / "d") == "%s is writable by others and not " \
        "sticky (mode 0777)" % (tmp_path / "d")
    if os.geteuid() == 0:
        os.chmod(tmp_path / "d", 0o755)
        os.chown(tmp_path / "d", 65534, 65534)
        assert refusal(tmp_path / "d") == \
            "%s is owned by uid 65534, not by root" % (tmp_path / "d")


def test_private_subdir_is_0700_whatever_the_umask(tmp_path, dfd, umask0):
    os.close(storage.open_private_subdir(dfd, "inner"))
    assert mode_of(tmp_path / "inner") == 0o700


def test_private_subdir_keeps_the_setgid_bit_it_did_not_make(tmp_path, dfd):
    """Tolerated on a directory that exists; dropped only on one we make."""
    os.mkdir(tmp_path / "inner")
    os.chmod(tmp_path / "inner", 0o2700)
    os.close(storage.open_private_subdir(dfd, "inner"))
    assert stat.S_IMODE(os.lstat(tmp_path / "inner").st_mode) == 0o2700


def test_private_subdir_refusals_say_why(tmp_path, dfd):
    os.symlink(tmp_path, tmp_path / "link")
    with pytest.raises(storage.UnsafeDirectory) as err:
        storage.open_private_subdir(dfd, "link")
    assert str(err.value) == "cannot open private directory link: %s" % \
        os.strerror(errno.ENOTDIR)
    os.mkdir(tmp_path / "loose")
    os.chmod(tmp_path / "loose", 0o755)
    with pytest.raises(storage.UnsafeDirectory) as err:
        storage.open_private_subdir(dfd, "loose")
    assert str(err.value) == \
        "private directory loose is not ours or not 0700; refusing it"


def test_a_temp_file_is_never_more_open_than_0600(tmp_path, dfd, umask0,
                                                 monkeypatch):
    """Created 0600 before its mode is set on the fd: nobody can open it in
    between and read the report later.  An archive keeps 0600."""
    seen = []
    real = os.fchmod

    def fchmod(fd, mode):
        seen.append(stat.S_IMODE(os.fstat(fd).st_mode))
        real(fd, mode)
    monkeypatch.setattr(os, "fchmod", fchmod)
    storage.write_temp(dfd, "report.tmp", b"x", mode=0o640)
    storage.write_temp(dfd, "archive.tmp", b"x")
    assert seen == [0o600, 0o600]
    assert mode_of(tmp_path / "report.tmp") == 0o640
    assert mode_of(tmp_path / "archive.tmp") == 0o600


def test_the_state_file_is_created_0600(tmp_path, dfd, umask0):
    storage.replace_private(dfd, "state.json", b"{}")
    assert mode_of(tmp_path / "state.json") == 0o600
    assert os.listdir(tmp_path) == ["state.json"]


def test_a_symlink_is_not_our_file(tmp_path, dfd):
    (tmp_path / "ours").write_bytes(b"x")
    os.symlink("ours", tmp_path / "link")
    assert storage.our_stat(dfd, "ours") is not None
    assert storage.our_stat(dfd, "link") is None
    assert not storage.is_our_file(dfd, "link")


def test_link_temp_links_a_symlink_itself_never_its_target(tmp_path, dfd):
    (tmp_path / "target").write_bytes(b"secret")
    os.symlink("target", tmp_path / "tmp")
    assert storage.link_temp(dfd, "tmp", ["name"]) == "name"
    assert os.path.islink(tmp_path / "name")


def test_link_temp_with_every_name_taken(tmp_path, dfd):
    names = list(storage.candidate_names("linux-image", ".crash"))
    for name in names:
        (tmp_path / name).write_bytes(b"planted")
    (tmp_path / "tmp").write_bytes(b"report")
    with pytest.raises(OSError) as err:
        storage.link_temp(dfd, "tmp", names)
    assert (err.value.errno, err.value.strerror) == \
        (errno.EEXIST, "every candidate name is taken")
    assert not (tmp_path / "tmp").exists()
    assert all((tmp_path / n).read_bytes() == b"planted" for n in names)


def test_candidate_names_are_the_stem_then_2_to_16():
    assert list(storage.candidate_names("s", ".crash")) == \
        ["s.crash"] + ["s-%d.crash" % i for i in range(2, 17)]
    assert list(storage.candidate_names("s", ".log", attempts=2)) == \
        ["s.log", "s-2.log"]


@pytest.mark.parametrize("name,ours", [
    (".oops-harvest-0123456789abcdef.tmp", True),
    (".oops-harvest-../../etc/passw.tmp", False),
    (".oops-harvest-XXXXXXXXXXXXXXXX.tmp", False),
    (".oops-harvest-0123456789ABCDEF.tmp", False),
    ("abcdefghijklmn0123456789abcdefwxyz", False),     # hex where it goes
    (".oops-harvest-0123456789abcdef.tmpx", False),
    (None, False),
])
def test_is_temp_name_accepts_only_what_temp_name_makes(name, ours):
    assert storage.is_temp_name(name) is ours
    assert storage.is_temp_name(storage.temp_name())


def test_a_killed_runs_temp_files_go_and_nothing_else(tmp_path):
    """Also when it was killed before its first state was saved."""
    state_dir = tmp_path / "state"
    state = State(str(state_dir))
    keep = ["notes.tmp", ".hidden", "state.json.tmp.bak"]
    stale = [".state.json.0a0b0c0d.tmp", ".oops-harvest-0123456789abcdef.tmp"]
    for name in keep + stale:
        (state_dir / name).write_bytes(b"x")
    os.symlink("/nonexistent", state_dir / ".link.tmp")
    state.load()
    state.close()
    assert sorted(os.listdir(state_dir)) == sorted(keep + [".link.tmp"])
