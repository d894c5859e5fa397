import struct
import zlib

import pytest

from parsers import efi, mtdoops, pstorefs
from parsers.exceptions import BadHeaderError, LayoutError, TruncatedError
from tests.kernelbuild import (GUID, deflate_raw, efi_dump, mtdoops_image,
                               mtdoops_write)

TEXT = b"".join(b"<4>[   %d.123456] mtd line %d\n" % (i, i) for i in range(40))


# --- mtdoops ---------------------------------------------------------------

def test_mtdoops_v1_v2_records_and_erased_slots():
    image = mtdoops_image(8)
    mtdoops_write(image, 0, 1, TEXT)
    mtdoops_write(image, 1, 2, b"second\n", timestamp_ns=1700000000123456789)
    result = mtdoops.parse(bytes(image))
    assert result.info["record_size"] == 4096 and not result.errors
    first, second = result.records
    assert (first.seq, first.payload, first.time_ns) == (1, TEXT, None)
    assert (second.seq, second.payload) == (2, b"second\n")
    assert second.time_ns == 1700000000123456789


def test_mtdoops_orders_by_seq_across_wraparound():
    image = mtdoops_image(4)
    for slot, seq in enumerate([0xFFFFFFFE, 0, 1, 0xFFFFFFFD]):
        mtdoops_write(image, slot, seq, b"seq %d\n" % seq)
    seqs = [r.seq for r in mtdoops.parse(bytes(image)).records]
    assert seqs == [0xFFFFFFFD, 0xFFFFFFFE, 0, 1]


@pytest.mark.parametrize("record_size", [4096, 8192, 16384])
def test_mtdoops_detects_record_size(record_size):
    # The kernel fills consecutive slots; a lone record sizes itself by its
    # text, which reaches into the slot's second half.
    image = mtdoops_image(4, record_size)
    mtdoops_write(image, 0, 1, TEXT * 3, record_size)
    mtdoops_write(image, 1, 2, TEXT, record_size)
    result = mtdoops.parse(bytes(image))
    assert result.info["record_size"] == record_size
    assert [r.payload for r in result.records] == [
        (TEXT * 3)[:record_size - 9], TEXT]
    lone = mtdoops_image(4, record_size)
    mtdoops_write(lone, 0, 1, TEXT * (record_size // 1500), record_size)
    assert mtdoops.parse(bytes(lone)).info["record_size"] == record_size


def test_mtdoops_garbage_slot_is_reported_not_fatal():
    image = mtdoops_image(4)
    mtdoops_write(image, 0, 1, TEXT)
    image[4096:4096 + 100] = b"\x13" * 100
    result = mtdoops.parse(bytes(image))
    assert len(result.records) == 1
    assert result.errors[0].offset == 4096


def test_mtdoops_bad_sizes():
    with pytest.raises(LayoutError):
        mtdoops.parse(bytes(8192), record_size=1000)
    with pytest.raises(TruncatedError):
        mtdoops.parse(b"\xff" * 100)


# --- efi -------------------------------------------------------------------

LONG_LOG = b"".join(b"<4>[  %3d.000000] efi line %d padding padding\n" % (i, i)
                    for i in range(120))


def test_efi_name_forms():
    assert efi.parse_name("dump-type0-3-1-1700000000-C") == (0, 3, 1, 1700000000, True)
    assert efi.parse_name("dump-type0-3-1-1700000000-D-" + GUID) == \
        (0, 3, 1, 1700000000, False)
    assert efi.parse_name("dump-type0-3-1-1700000000") == (0, 3, 1, 1700000000, False)
    assert efi.parse_name("dump-type0-2-1300000000") == (0, 2, 0, 1300000000, False)
    with pytest.raises(BadHeaderError):
        efi.parse_name("dump-typeX")
    assert efi.generic_id(1700000000, 1, 1) == 170000000001001


def test_efi_multipart_dump_roundtrip():
    files, texts = efi_dump("Panic", 2, LONG_LOG, 1700000000)
    files["Boot0001-8be4df61-93ca-11d2-aa0d-00e098032b8c"] = b"\x07\0\0\0x"
    result = efi.parse(files)
    assert not result.errors and len(result.records) == len(texts) > 3
    for rec in result.records:
        assert rec.payload == texts[rec.part]
        assert (rec.reason, rec.count, rec.type) == ("Panic", 2, "dmesg")
        assert rec.name == "dmesg-efi-%d" % efi.generic_id(1700000000, rec.part, 2)
    # Parts joined newest-last rebuild the log's tail.
    joined = b"".join(texts[p].split(b"\n", 1)[1]
                      for p in sorted(texts, reverse=True))
    assert LONG_LOG.endswith(joined)


def test_efi_plain_variable_data_and_corrupt_part():
    text = b"Oops#1 Part1\nhello\n"
    files = {"dump-type0-1-1-1700000000-D": text,
             "dump-type0-2-1-1700000000-C": b"\x07\0\0\0not deflate"}
    result = efi.parse(files)
    good = [r for r in result.records if not r.still_compressed]
    assert good[0].payload == text
    bad = [r for r in result.records if r.still_compressed]
    assert bad and "decompress" in bad[0].problems[0]


# --- pstore fs -------------------------------------------------------------

@pytest.mark.parametrize("name,expected", [
    ("dmesg-ramoops-3", ("dmesg", "ramoops", 3, False)),
    ("dmesg-efi-170000000001001", ("dmesg", "efi", 170000000001001, False)),
    ("dmesg-efi_pstore-170000000001001.enc.z",
     ("dmesg", "efi_pstore", 170000000001001, True)),
    ("console-ramoops-0", ("console", "ramoops", 0, False)),
    ("console-ramoops", ("console", "ramoops", 0, False)),
    ("pmsg-ramoops-0", ("pmsg", "ramoops", 0, False)),
    ("dmesg-erst-7299345466337640449", ("dmesg", "erst", 7299345466337640449, False)),
    ("powerpc-ofw-nvram-5", ("powerpc-ofw", "nvram", 5, False)),
    ("dmesg-pstore_blk-2", ("dmesg", "pstore_blk", 2, False)),
    ("type12-ramoops-0", ("type12", "ramoops", 0, False)),
])
def test_pstore_names(name, expected):
    assert pstorefs.parse_name(name) == expected


def test_pstore_ecc_notice_and_enc_z():
    text = b"Oops#1 Part1\nboom\n"
    files = {
        "dmesg-ramoops-0": (text + b"\nECC: 3 Corrected bytes, 1 unrecoverable blocks\n", 1),
        "dmesg-ramoops-1.enc.z": (deflate_raw(text) + b"\nECC: No errors detected\n", 2),
        "dmesg-efi-170000000001001.enc.z": (zlib.compress(text), None),
        "dmesg-pstore_blk-0": (b"Oops: Total 4 times\n" + text, None),
        "README": (b"x", None),
    }
    result = pstorefs.parse(files)
    recs = {r.origin.name: r for r in result.records}
    assert recs["dmesg-ramoops-0"].payload == text
    assert (recs["dmesg-ramoops-0"].ecc.corrected,
            recs["dmesg-ramoops-0"].ecc.unrecoverable) == (3, 1)
    assert recs["dmesg-ramoops-1.enc.z"].payload == text
    assert recs["dmesg-efi-170000000001001.enc.z"].payload == text
    assert (recs["dmesg-efi-170000000001001.enc.z"].part,
            recs["dmesg-efi-170000000001001.enc.z"].time_ns) == (1, 1700000000 * 10**9)
    assert recs["dmesg-pstore_blk-0"].reason == "Oops"
    assert len(result.errors) == 1 and "README" in str(result.errors[0])


def test_pstore_record_names():
    assert pstorefs.is_record_name("dmesg-ramoops-0")
    assert not pstorefs.is_record_name("README")


def test_pstore_ecc_notice_is_only_ramoops_and_only_at_the_end():
    notice = b"\nECC: No errors detected\n"
    payload, ecc = pstorefs.split_ecc_notice(notice)
    assert payload == b"" and (ecc.corrected, ecc.unrecoverable) == (0, 0)
    assert pstorefs.split_ecc_notice(notice + b"more") == (notice + b"more",
                                                           None)
    text = b"Oops#1 Part1\nboom" + notice
    efi = pstorefs.parse_file("dmesg-efi-170000000001001", text)
    assert efi.payload == text and efi.ecc is None


def test_pstore_file_record_fields():
    """Where a record came from (path, name, length, for --show and for
    clearing), its time (the file's mtime, for dmesg only: the kernel
    sets it from the record), and what was done to it."""
    text = b"Oops#1 Part1\nboom\n"
    data = deflate_raw(text)
    rec = pstorefs.parse_file("dmesg-ramoops-2.enc.z", data, mtime_ns=7,
                              source="/sys/fs/pstore")
    assert (rec.origin.path, rec.origin.name, rec.origin.length) == \
        ("/sys/fs/pstore", "dmesg-ramoops-2.enc.z", len(data))
    assert rec.compressed is True and rec.time_ns == 7
    assert rec.problems == ["the kernel left this record compressed; "
                            "decoded it here"]
    plain = pstorefs.parse_file("dmesg-ramoops-3", text, mtime_ns=7)
    assert plain.compressed is False and plain.problems == []
    console = pstorefs.parse_file("console-ramoops-0", b"log\n", mtime_ns=7)
    assert console.time_ns is None


def test_pstore_enc_z_over_the_cap_stays_for_a_larger_cap():
    from parsers.exceptions import LimitExceeded
    text = b"Oops#1 Part1\n" + b"<4>[ 1.0] line\n" * 1000
    with pytest.raises(LimitExceeded):
        pstorefs.parse_file("dmesg-ramoops-0.enc.z", deflate_raw(text),
                            limit=1000)
    result = pstorefs.parse({"dmesg-ramoops-0.enc.z": (deflate_raw(text), 1)},
                            limit=1000, source="/p")
    assert result.records == [] and isinstance(result.errors[0], LimitExceeded)
    assert result.errors[0].name == "dmesg-ramoops-0.enc.z"
    assert str(result.errors[0]).startswith("/p/dmesg-ramoops-0.enc.z: ")


def test_pstore_enc_z_that_does_not_inflate_stays_compressed():
    rec = pstorefs.parse_file("dmesg-ramoops-4.enc.z", b"\xff" * 40)
    assert rec.still_compressed is True and rec.payload == b"\xff" * 40
    assert rec.name == "dmesg-ramoops-4.enc.z"
    assert len(rec.problems) == 1
    assert rec.problems[0].startswith("cannot decompress: corrupt deflate")


def test_pstore_efi_id_gives_count_part_and_time_without_a_header():
    """efi-pstore ids are time * 100000 + part * 1000 + count
    (efi_pstore_read); a record whose text has no part header keeps them."""
    rid = 1700000000 * 100000 + 5 * 1000 + 3
    rec = pstorefs.parse_file("dmesg-efi_pstore-%d" % rid, b"no header\n")
    assert (rec.count, rec.part, rec.time_ns) == (3, 5, 1700000000 * 10**9)
    assert rec.problems


def test_pstore_names_by_number_and_their_refusal():
    """fs/pstore names a type it has no name for ``type<N>``; one it has a
    name for is that name."""
    assert pstorefs.parse_name("type0-ramoops-1") == ("dmesg", "ramoops", 1,
                                                      False)
    with pytest.raises(BadHeaderError) as err:
        pstorefs.parse_name("README")
    assert str(err.value) == "'README' is not a pstore file name"


def test_pstore_parse_passes_times_and_places_on():
    text = b"Oops#1 Part1\nboom\n"
    result = pstorefs.parse({"dmesg-ramoops-0": (text, 5),
                             "dmesg-ramoops-1": (b"no header", 6),
                             "README": (b"x", None)}, source="/p")
    first, second = result.records
    assert (first.time_ns, first.origin.path) == (5, "/p")
    assert second.problems == ["offset 0x0: dmesg payload does not start "
                               "with '<Reason>#<n> Part<m>'"]
    assert pstorefs.parse({"README": (b"x", None)}).errors[0].source == \
        "./README"
