import pytest

from parsers import pstorezone
from parsers.exceptions import BadMagicError, LayoutError
from tests.kernelbuild import PstoreZoneImage

TEXT = b"Oops#1 Part1\n" + b"".join(b"<4>[ %d.0] blk line %d\n" % (i, i)
                                    for i in range(100))


def test_mtdpstore_dmesg_zones_on_erased_flash():
    img = PstoreZoneImage(0x40000)                      # 4 zones of 64 KiB
    img.kmsg(0, 2, 7, TEXT)                             # OOPS=2 in v5.8+
    img.kmsg(2, 1, 3, TEXT.replace(b"Oops#1", b"Panic#2"), compress=True)
    result = pstorezone.parse(bytes(img.image))
    assert not result.errors
    first, second = result.records
    assert first.payload == b"Oops: Total 7 times\n" + TEXT
    assert (first.reason, first.count, first.part, first.id) == ("Oops", 1, 1, 0)
    assert first.time_ns == 1700000000 * 10**9 + 5
    assert second.payload == TEXT.replace(b"Oops#1", b"Panic#2")
    assert (second.reason, second.id, second.compressed) == ("Panic", 2, True)
    assert second.name == "dmesg-pstore_blk-2"


@pytest.mark.parametrize("fill", [0x00, 0xFF])
def test_blk_front_ends_layout_and_wrap(fill):
    img = PstoreZoneImage(0x20000, kmsg_size=0x4000, pmsg_size=0x1000,
                          console_size=0x1000, ftrace_size=0x2000,
                          ftrace_cpus=2, fill=fill)
    img.append("console", b"C" * 3000)
    img.append("console", b"D" * 2000)                 # wraps 4084 bytes
    img.append("pmsg", b"from user space\n")
    img.kmsg(1, 3, 1, TEXT.replace(b"Oops", b"Emergency"))
    zones = pstorezone.compute_layout(0x20000, 0x4000, 0x1000, 0x1000,
                                      0x2000, ftrace_cpus=2)
    detected = pstorezone.detect_layout(bytes(img.image))
    used = [(z.type, z.offset) for z in zones
            if z.type != "dmesg" or z.index == 1]
    assert [(z.type, z.offset) for z in detected if z.type != "ftrace"] == \
        [u for u in used if u[0] != "ftrace"]
    for layout in (zones, None):
        result = pstorezone.parse(bytes(img.image), layout)
        kinds = {r.type: r for r in result.records}
        assert kinds["console"].payload == (b"C" * 3000 + b"D" * 2000)[-(0x1000 - 12):]
        assert kinds["pmsg"].payload == b"from user space\n"
        assert kinds["dmesg"].reason == "Emergency"


def test_bad_kmsg_magic_is_reported():
    img = PstoreZoneImage(0x20000)
    img.kmsg(0, 2, 1, TEXT)
    img.image[12:16] = b"\0\0\0\0"
    result = pstorezone.parse(bytes(img.image))
    assert not result.records and isinstance(result.errors[0], BadMagicError)


def test_erased_device_is_empty_and_bad_sizes_are_errors():
    assert pstorezone.parse(b"\xff" * 0x10000).records == []
    with pytest.raises(LayoutError):
        pstorezone.compute_layout(0x1000, pmsg_size=0x2000)
