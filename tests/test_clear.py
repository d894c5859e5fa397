"""The clearer (harvester/collector/clear.py) on its own: which records
leave their backend, which stay, and what it says about those that stay.
Written for the mutants mutmut found alive (tests/README.md, "Mutation
score"); the collector's runs go through it in tests/test_collector.py."""

import os

import pytest

from harvester.collector import clear as clear_mod
from harvester.config import Config
from harvester.sources import parse_spec
from parsers.records import Origin, Record


class Inventory:
    """What Clearer.clear asks of an inventory: each record's copies."""

    def __init__(self):
        self.places = {}

    def add(self, source, name):
        rec = Record("ramoops", "dmesg", len(self.places), b"x",
                     origin=Origin(path=source.path, name=name))
        self.places[id(rec)] = source
        return rec

    def copies(self, rec):
        return [(self.places[id(rec)], rec)]


@pytest.fixture
def world(tmp_path, monkeypatch):
    """Two pstore directories with two records each; only ``mounted``
    looks like a pstore mount."""
    dirs = {}
    for name in ("mounted", "copy"):
        d = tmp_path / name
        d.mkdir()
        for rec in ("dmesg-ramoops-0", "dmesg-ramoops-1"):
            (d / rec).write_bytes(b"x")
        dirs[name] = d
    monkeypatch.setattr(clear_mod, "mounted_fstype", lambda path: (
        "pstore" if path == str(dirs["mounted"]) else "ext4"))
    return dirs


def clearer(**config):
    said = []
    c = clear_mod.Clearer(Config(**config), lambda *a, **kw: said.append(a))
    return c, said


def records(inv, d, names=("dmesg-ramoops-0", "dmesg-ramoops-1")):
    source = parse_spec("pstore:%s" % d)
    return [inv.add(source, n) for n in names]


def test_records_of_a_mount_go_and_of_a_copy_stay_with_one_word(world):
    inv = Inventory()
    c, said = clearer()
    assert c.failed is False
    # The copy first: its records staying must not stop the mount's.
    c.clear(inv, records(inv, world["copy"]) + records(inv, world["mounted"]))
    assert os.listdir(world["mounted"]) == []
    assert sorted(os.listdir(world["copy"])) == ["dmesg-ramoops-0",
                                                 "dmesg-ramoops-1"]
    assert said == [("clear-failed", "%s is not a pstore mount; records "
                     "there are left in place" % world["copy"], "info")]
    assert c.failed is False
    c.clear(inv, records(inv, world["copy"]))         # said once per source
    assert len(said) == 1


def test_the_real_pstore_directory_not_mounted_is_a_warning(world,
                                                            monkeypatch):
    monkeypatch.setattr(clear_mod, "PSTORE_DIR", str(world["copy"]))
    inv = Inventory()
    c, said = clearer()
    c.clear(inv, records(inv, world["copy"]))
    assert [s[2] for s in said] == ["warning"]


@pytest.mark.parametrize("config", [{"clear_backends": False},
                                    {"require_pstore_mount": False}])
def test_clear_backends_off_clears_nothing_and_says_nothing(world, config):
    inv = Inventory()
    c, said = clearer(**config)
    c.clear(inv, records(inv, world["copy"]) + records(inv, world["mounted"]))
    left = sorted(os.listdir(world["copy"]) + os.listdir(world["mounted"]))
    if config.get("clear_backends") is False:
        assert len(left) == 4 and said == []
    else:                                # any directory may be cleared
        assert left == [] and said == []


def test_an_image_is_never_cleared(tmp_path):
    image = tmp_path / "ramoops.img"
    image.write_bytes(b"\0" * 4096)
    source = parse_spec("ramoops:%s" % image)
    inv = Inventory()
    c, said = clearer(require_pstore_mount=False)
    assert not c.may_clear(source)
    c.clear(inv, [inv.add(source, None)])
    assert image.exists() and said == [] and not c.failed


def test_a_record_gone_already_or_without_a_name_is_passed_over(world):
    inv = Inventory()
    c, said = clearer()
    os.unlink(world["mounted"] / "dmesg-ramoops-0")
    nameless = records(inv, world["mounted"], names=(None,))
    c.clear(inv, nameless + records(inv, world["mounted"]))
    assert os.listdir(world["mounted"]) == [] and not c.failed


def test_a_record_that_cannot_be_cleared_fails_the_run(world, tmp_path):
    """The rest are still cleared."""
    inv = Inventory()
    c, said = clearer(require_pstore_mount=False)
    (world["mounted"] / "dmesg-ramoops-0").unlink()
    (world["mounted"] / "dmesg-ramoops-0").mkdir()      # unlink: EISDIR
    c.clear(inv, records(inv, world["mounted"]))
    assert os.listdir(world["mounted"]) == ["dmesg-ramoops-0"]
    assert c.failed is True
    assert [s[0] for s in said] == ["clear-failed"]
