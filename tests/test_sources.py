import os
import shutil
import time

import pytest

from harvester import sources
from harvester.sources import SourceError, parse_spec

SAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, "samples")


def test_specs():
    src = parse_spec("ramoops:/dev/mem,offset=0x10000000,mem_size=1M,"
                     "record_size=16K,ecc=16,kernel=6.12")
    assert src.options == {"offset": 0x10000000, "mem_size": 1 << 20,
                           "record_size": 16384, "ecc": 16, "kernel": "6.12"}
    for bad, word in [("nope:/x", "KIND:PATH"), ("ramoops:", "no path"),
                      ("ramoops:/x,size=1", "unknown option 'size'"),
                      ("pstore:/x,record_size=1", "takes: none"),
                      ("ramoops:/x,mem_size=lots", "not a size")]:
        with pytest.raises(SourceError, match=word):
            parse_spec(bad)


def test_unsafe_entries_in_a_source_directory_are_skipped(tmp_path):
    secret = tmp_path / "secret"
    secret.write_bytes(b"root's secret\n")
    pstore = tmp_path / "pstore"
    pstore.mkdir()
    os.symlink(secret, pstore / "dmesg-ramoops-0")
    os.mkfifo(pstore / "dmesg-ramoops-1")
    (pstore / "dmesg-ramoops-2").write_bytes(b"Oops#1 Part1\nreal\n")
    start = time.monotonic()
    files, problems, unreadable = sources.read_dir(str(pstore))
    assert time.monotonic() - start < 5          # the FIFO did not block
    assert list(files) == ["dmesg-ramoops-2"]
    assert len(problems) == 2
    assert unreadable == ["dmesg-ramoops-0", "dmesg-ramoops-1"]
    assert all(b"secret" not in data for data, _ in files.values())


def test_size_cap(tmp_path):
    big = tmp_path / "pstore"
    big.mkdir()
    with open(big / "console-ramoops-0", "wb") as f:
        f.truncate(2 << 30)                       # sparse 2 GiB
    files, problems, _ = sources.read_dir(str(big), cap=1 << 20)
    assert files == {} and "cap" in problems[0]


def test_systemd_pstore_archive(tmp_path, monkeypatch):
    archive = tmp_path / "archive"
    (archive / "179544417").mkdir(parents=True)
    folder = os.path.join(SAMPLES, "efi-6.1-two-dumps", "pstore")
    shutil.copy(os.path.join(folder, sorted(os.listdir(folder))[0]),
                archive / "179544417")
    (archive / "179544417" / "dmesg.txt").write_text("joined by systemd\n")
    monkeypatch.setattr(sources.pstore, "SYSTEMD_ARCHIVE", str(archive))
    conf = tmp_path / "pstore.conf"
    conf.write_text("[PStore]\nStorage=external\n")
    dirs = sources.pstore.systemd_pstore_archive((str(conf),))
    assert dirs == [str(archive), str(archive / "179544417")]
    loaded = sources.load(sources.Source("pstore", dirs[1], {"archive": True}))
    assert not loaded.problems and len(loaded.result.records) == 1
    conf.write_text("[PStore]\nStorage=journal\n")
    assert sources.pstore.systemd_pstore_archive((str(conf),)) == []


def test_mtd_by_name(tmp_path):
    proc = tmp_path / "mtd"
    proc.write_text('dev:    size   erasesize  name\n'
                    'mtd0: 00100000 00010000 "boot"\n'
                    'mtd3: 00020000 00010000 "oops"\n')
    assert sources.images.resolve_mtd("oops", str(proc)) == "/dev/mtd3"
    assert sources.images.resolve_mtd("none", str(proc)) is None


def test_devicetree_ramoops(tmp_path):
    rm = tmp_path / "reserved-memory"
    node = rm / "ramoops@9ff00000"
    node.mkdir(parents=True)
    (rm / "#address-cells").write_bytes((2).to_bytes(4, "big"))
    (rm / "#size-cells").write_bytes((2).to_bytes(4, "big"))
    (node / "reg").write_bytes((0x9FF00000).to_bytes(8, "big") +
                               (0x100000).to_bytes(8, "big"))
    (node / "record-size").write_bytes((0x4000).to_bytes(4, "big"))
    (node / "console-size").write_bytes((0x8000).to_bytes(4, "big"))
    src = sources.images.devicetree_ramoops(str(tmp_path))
    assert src.path == "/dev/mem"
    assert src.options == {"offset": 0x9FF00000, "mem_size": 0x100000,
                           "record_size": 0x4000, "console_size": 0x8000,
                           "ftrace_size": 0, "pmsg_size": 0, "ecc": 0}


def test_mountinfo(tmp_path):
    info = tmp_path / "mountinfo"
    info.write_text("30 25 0:26 / /sys/fs/pstore rw,nosuid - pstore pstore rw\n"
                    "31 25 0:27 / /sys/firmware/efi/efivars rw - efivarfs efivarfs rw\n")
    assert sources.pstore.mounted_fstype("/sys/fs/pstore", str(info)) == "pstore"
    assert sources.pstore.mounted_fstype("/sys/firmware/efi/efivars", str(info)) == "efivarfs"
    assert sources.pstore.mounted_fstype(str(tmp_path), str(info)) is None


def test_ramoops_kernel_order_from_signature():
    image = os.path.join(SAMPLES, "ramoops-6.12-basic", "raw", "ramoops.bin")
    if not os.path.exists(image):
        pytest.skip("6.12 sample not generated")
    loaded = sources.load(parse_spec("ramoops:%s,mem_size=1M,record_size=16K"
                                     % image))
    layout = loaded.result.info["layout"]
    assert layout.new_order is True
    assert not loaded.problems


@pytest.mark.parametrize("ecc", ["1", "16"])
def test_ecc_alone_keeps_layout_detection(ecc):
    """ecc= without sizes: zones detected, ECC as given (found in review:
    it switched to the module-default layout and found nothing)."""
    image = os.path.join(SAMPLES, "ramoops-6.1-ecc16", "raw", "ramoops.bin")
    plain = sources.load(parse_spec("ramoops:%s" % image)).result
    given = sources.load(parse_spec("ramoops:%s,ecc=%s" % (image, ecc))).result
    assert given.info["layout"].ecc_size == 16
    assert [r.payload for r in given.records] == [r.payload for r in plain.records]
    assert len(given.records) == 2 and not given.errors


def test_pstoreblk_ftrace_cpus_alone_keeps_detection(tmp_path):
    from tests.kernelbuild import PstoreZoneImage
    img = PstoreZoneImage(0x20000, kmsg_size=0x4000, pmsg_size=0x1000,
                          console_size=0x1000)
    img.kmsg(1, 2, 1, b"Oops#1 Part1\n<4>[ 1.0] blk\n")
    path = tmp_path / "blk.img"
    path.write_bytes(bytes(img.image))
    plain = sources.load(parse_spec("pstoreblk:%s" % path)).result
    given = sources.load(parse_spec("pstoreblk:%s,ftrace_cpus=2" % path)).result
    assert [r.payload for r in given.records] == [r.payload for r in plain.records]
    assert any(r.type == "dmesg" for r in given.records)
