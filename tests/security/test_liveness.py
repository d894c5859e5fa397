"""Issue 18: every crash is reported eventually.  Each test sets a cap or
a layout that once stranded a crash for ever, runs --collect a few times
(the caps, then the defaults) and checks that every dump ends up whole in
exactly one report or archive and that every clearable source is empty.

What a dump holds is read here from the files themselves (the part
header lines and the bytes), not through the project's own parsers."""

import os
import shutil
import struct
import zlib

from harvester import cli
from harvester.state import read_harvested
from tests import apport_format
from tests.kernelbuild import GUID, mtdoops_image, mtdoops_write
from tests.security.helpers import EFI_SAMPLE

OOPS = b"<1>[    1.000000] BUG: kernel NULL pointer dereference\n"
EFI_FILES = sorted(os.listdir(os.path.join(EFI_SAMPLE, "pstore")))
K = 4                     # clean runs after which everything is reported


class Box:
    """A state, an output directory, a config and any number of sources."""

    def __init__(self, tmp):
        self.tmp = str(tmp)
        self.out = os.path.join(self.tmp, "out")
        self.state = os.path.join(self.tmp, "state")
        self.config = os.path.join(self.tmp, "cfg.yaml")
        os.makedirs(self.out)
        os.chmod(self.out, 0o1777)
        self.specs = []
        self.configure("")

    def configure(self, text):
        with open(self.config, "w") as f:
            f.write("require_pstore_mount: false\n" + text)

    def directory(self, name, files=(), kind="pstore"):
        path = os.path.join(self.tmp, name)
        os.makedirs(path, exist_ok=True)
        for fname, data in dict(files).items():
            with open(os.path.join(path, fname), "wb") as f:
                f.write(data)
        self.specs.append("%s:%s" % (kind, path))
        return path

    def image(self, name, data, kind):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        self.specs.append("%s:%s" % (kind, path))
        return path

    def collect(self, *extra):
        argv = ["--collect", "--config", self.config, "--output-dir",
                self.out, "--state-dir", self.state]
        for spec in self.specs:
            argv += ["--source", spec]
        return cli.main(argv + list(extra))

    def reports(self):
        found = {}
        for name in sorted(os.listdir(self.out)):
            if name.endswith(".crash"):
                with open(os.path.join(self.out, name), "rb") as f:
                    found[name] = apport_format.load(f.read())[0]
        return found

    def archives(self):
        names = sorted(n for n in os.listdir(self.state)
                       if n.startswith("archive-"))
        out = {}
        for name in names:
            with open(os.path.join(self.state, name), "rb") as f:
                out[name] = f.read()
        return out

    def left(self, path):
        return sorted(os.listdir(path))

    def drain(self, runs=K):
        """Clean runs with the defaults until one finds nothing to do."""
        self.configure("")
        for _ in range(runs):
            if self.collect() == 0 and self.collect() == 0:
                return
        raise AssertionError("not settled after %d clean runs" % runs)


def attachments(fields):
    return [v for k, v in fields.items()
            if k.startswith("PstoreRecord") and k[12:].isdigit()]


def headers(fields):
    """The part header lines ("Panic#1 Part3") the report's records carry."""
    return sorted(a.split(b"\n", 1)[0] for a in attachments(fields))


def efi_sample(box, name):
    src = os.path.join(EFI_SAMPLE, "pstore")
    return box.directory(name, {n: open(os.path.join(src, n), "rb").read()
                                for n in EFI_FILES})


def efi_dump_headers():
    """{dump header "Oops#1" : the set of its part lines} of the sample."""
    dumps = {}
    for n in EFI_FILES:
        with open(os.path.join(EFI_SAMPLE, "pstore", n), "rb") as f:
            line = f.readline().rstrip(b"\n")
        dumps.setdefault(line.split(b" ")[0], set()).add(line)
    return dumps


def assert_efi_sample_reported_whole(box, only=None):
    """Each of the sample's two dumps is in exactly one report, whole."""
    dumps = efi_dump_headers()
    seen = {}
    for name, fields in box.reports().items():
        if only and only not in fields["PstoreBackend"].encode():
            continue
        lines = headers(fields)
        dump = lines[0].split(b" ")[0]
        assert dump not in seen, "dump %s in %s and %s" % (dump, seen.get(dump), name)
        seen[dump] = name
        assert set(lines) == dumps[dump], (name, lines)
        assert b"parts missing" not in fields.get("PstoreProblems", b"")
    assert set(seen) == set(dumps), seen


# --- finding 1: one dump over max_run_bytes starves everything behind it ----------

def test_an_oversized_dump_does_not_starve_the_sources_behind_it(tmp_path):
    box = Box(tmp_path)
    box.configure("max_run_bytes: 20000\n")
    big = efi_sample(box, "src")
    small = box.directory("src2", {"dmesg-ramoops-0": b"Oops#1 Part1\n" + OOPS})
    box.collect()
    assert box.left(small) == [], "the small dump waits behind the big one"
    for _ in range(K):
        box.collect()
    assert box.left(big) == [] and len(box.reports()) == 3
    assert_efi_sample_reported_whole(box, only=b"efi")


def test_a_dump_larger_than_the_whole_budget_goes_through_alone(tmp_path):
    """Nine efivars parts inflating to 400 KB each, a 1 MB budget: the
    dump is reported whole in a later run, under the same config."""
    box = Box(tmp_path)
    box.configure("max_run_bytes: 1000000\n")
    files = {}
    for part in range(1, 10):
        text = b"Panic#1 Part%d\n" % part + (b"<0>[ 1.0] %d\n" % part) * 30000
        comp = zlib.compressobj(9, zlib.DEFLATED, -15)
        files["dump-type0-%d-1-1700000000-C-%s" % (part, GUID)] = \
            struct.pack("<I", 7) + comp.compress(text) + comp.flush()
    src = box.directory("efivars", files, kind="efivars")
    for _ in range(K):
        box.collect()
    assert box.left(src) == []
    (fields,) = box.reports().values()
    assert len(headers(fields)) == 9


# --- finding 2: a raw image with more records than max_records ------------------

def test_an_image_with_more_records_than_max_records_reports_them_all(tmp_path):
    box = Box(tmp_path)
    box.configure("max_records: 20\n")
    image = mtdoops_image(30)
    for slot in range(30):
        mtdoops_write(image, slot, slot + 1, b"<1>[ 1.0] BUG: crash %d\n" % slot
                      + OOPS)
    box.image("mtd.bin", bytes(image), "mtdoops")
    for _ in range(K):
        box.collect()
    texts = sorted(b"".join(attachments(f)) for f in box.reports().values())
    assert len(texts) == 30, len(texts)
    assert all(b"crash %d\n" % i in b"".join(texts) for i in range(30))


def test_max_run_bytes_reaches_the_newest_records_of_an_image(tmp_path):
    box = Box(tmp_path)
    box.configure("max_run_bytes: 20000\n")
    image = mtdoops_image(30)
    for slot in range(30):
        mtdoops_write(image, slot, slot + 1, b"<1>[ 1.0] BUG: crash %d\n" % slot
                      + OOPS + b"x" * 3000 + b"\n")
    box.image("mtd.bin", bytes(image), "mtdoops")
    for _ in range(8):
        box.collect()
    assert len(box.reports()) == 30


# --- finding 3: the same dump in two sources is one event ---------------------------

def test_twins_in_two_pstore_sources_are_reported_once(tmp_path):
    box = Box(tmp_path)
    live = efi_sample(box, "src")
    archive = efi_sample(box, "arch")
    assert box.collect() == 0
    assert len(box.reports()) == 2
    assert_efi_sample_reported_whole(box)
    assert box.left(live) == [] and box.left(archive) == []


def test_a_twin_seen_again_later_is_not_reported_again(tmp_path):
    """Both copies are marked reported: a copy that comes back (the
    archive of a systemd-pstore that ran after us) is not a new crash."""
    box = Box(tmp_path)
    efi_sample(box, "src")
    archive = efi_sample(box, "arch")
    assert box.collect() == 0
    shutil.rmtree(archive)
    efi_sample(box, "arch")
    box.specs.pop()
    assert box.collect() == 0
    assert len(box.reports()) == 2


# --- finding 4: caps never cut a dump in two ----------------------------------------

def test_max_records_never_cuts_a_dump(tmp_path):
    box = Box(tmp_path)
    box.configure("max_records: 20\n")
    src = efi_sample(box, "src")
    for _ in range(K):
        box.collect()
    assert box.left(src) == []
    assert_efi_sample_reported_whole(box)


def test_max_run_bytes_never_cuts_a_ramoops_dump(tmp_path):
    """A 2-part ramoops panic (record_size smaller than the log) whose
    second part is the first entry over the budget."""
    box = Box(tmp_path)
    box.configure("max_run_bytes: 10000\n")
    part1 = b"Panic#1 Part1\n" + OOPS + b"<0>[ 2.0] Kernel panic - not syncing: x\n"
    part2 = b"Panic#1 Part2\n" + b"<0>[ 1.0] old line\n" * 500
    src = box.directory("src", {"dmesg-ramoops-0": b"Oops#2 Part1\n" + OOPS +
                                b"<0>[ 3.0] pad\n" * 300,
                                "dmesg-ramoops-1": part1,
                                "dmesg-ramoops-2": part2})
    for name in ("dmesg-ramoops-1", "dmesg-ramoops-2"):
        os.utime(os.path.join(src, name), (1700000000, 1700000000))
    for _ in range(K):
        box.collect()
    assert box.left(src) == []
    panic = [f for f in box.reports().values()
             if any(a.startswith(b"Panic#1") for a in attachments(f))]
    assert len(panic) == 1 and len(attachments(panic[0])) == 2


def test_the_file_cut_of_a_directory_never_cuts_a_dump(tmp_path, monkeypatch):
    from harvester.sources import reading
    monkeypatch.setattr(reading, "MAX_FILES", 20)
    box = Box(tmp_path)
    src = efi_sample(box, "src")
    for _ in range(K):
        box.collect()
    assert box.left(src) == []
    assert_efi_sample_reported_whole(box)


# --- finding 5: a record a small max_report_bytes left out is not forgotten ---------

def test_records_cut_by_max_report_bytes_are_archived_then_cleared(tmp_path):
    box = Box(tmp_path)
    box.configure("max_report_bytes: 4096\n")
    src = efi_sample(box, "src")
    box.collect()
    kept = set(box.left(src))
    listed = read_harvested(box.state)
    box.drain()
    assert box.left(src) == []
    held = b"".join(a for f in box.reports().values() for a in attachments(f)) \
        + b"".join(box.archives().values())
    for name in EFI_FILES:
        with open(os.path.join(EFI_SAMPLE, "pstore", name), "rb") as f:
            body = f.read().split(b"\n", 1)[1]
        assert body in held, name
    # nothing left in place is shown as harvested by --list
    assert len(listed) == len(EFI_FILES) - len(kept)


# --- finding 9: every record type leaves the backend ------------------------------

TYPES = ("mce-erst-1", "pmsg-ramoops-0", "ftrace-ramoops-0",
         "console-ramoops-0", "rtas-nvram-1", "powerpc-ofw-nvram-2",
         "powerpc-common-nvram-3", "powerpc-opal-nvram-4")


def test_every_record_type_is_archived_and_cleared(tmp_path):
    box = Box(tmp_path)
    files = {n: ("content of %s\n" % n).encode() for n in TYPES}
    src = box.directory("src", files)
    assert box.collect() == 0
    assert box.left(src) == []
    held = b"".join(box.archives().values())
    for data in files.values():
        assert data in held
    assert box.reports() == {}


def test_other_records_ride_with_a_dump_and_leave_with_it(tmp_path):
    box = Box(tmp_path)
    files = {n: ("content of %s\n" % n).encode() for n in TYPES}
    files["dmesg-ramoops-0"] = b"Oops#1 Part1\n" + OOPS
    src = box.directory("src", files)
    assert box.collect() == 0
    assert box.left(src) == []


# --- finding 7: the state is written a fixed number of times per run ---------------

def _many_dumps(box, count):
    return box.directory("src", {
        "dmesg-ramoops-%d" % i: b"Oops#1 Part1\n" + OOPS +
        b"<1>[ 1.0] dump %d\n" % i for i in range(count)})


def test_the_state_is_saved_a_fixed_number_of_times_per_run(tmp_path,
                                                            monkeypatch):
    from harvester import storage
    saves = []
    real = storage.replace_private

    def counting(*args, **kwargs):
        saves.append(args[1])
        return real(*args, **kwargs)
    monkeypatch.setattr(storage, "replace_private", counting)
    box = Box(tmp_path)
    src = _many_dumps(box, 20)
    assert box.collect() == 0
    assert len(box.reports()) == 20 and box.left(src) == []
    assert len(saves) <= 3, len(saves)


def test_harvested_records_gone_for_the_retention_period_are_forgotten(
        tmp_path):
    import json
    from harvester import state as state_mod
    box = Box(tmp_path)
    _many_dumps(box, 3)
    assert box.collect() == 0
    path = os.path.join(box.state, "state.json")
    with open(path) as f:
        data = json.load(f)
    assert len(data["harvested"]) == 3
    # nothing seen for longer than the retention: forgotten at the next run
    for entry in data["harvested"].values():
        entry["time"] -= state_mod.RETENTION_SECONDS + 10
    with open(path, "w") as f:
        json.dump(data, f)
    assert box.collect() == 0
    with open(path) as f:
        assert json.load(f)["harvested"] == {}


def test_a_record_still_in_a_source_is_never_forgotten(tmp_path):
    import json
    from harvester import state as state_mod
    box = Box(tmp_path)
    image = mtdoops_image(2)
    mtdoops_write(image, 0, 1, b"<1>[ 1.0] BUG: crash\n" + OOPS)
    box.image("mtd.bin", bytes(image), "mtdoops")
    assert box.collect() == 0
    path = os.path.join(box.state, "state.json")
    with open(path) as f:
        data = json.load(f)
    for entry in data["harvested"].values():
        entry["time"] -= state_mod.RETENTION_SECONDS + 10
    with open(path, "w") as f:
        json.dump(data, f)
    assert box.collect() == 0 and box.collect() == 0
    assert len(box.reports()) == 1


# --- finding 8: smaller points -------------------------------------------------------

def test_unknown_state_keys_survive_a_save(tmp_path):
    import json
    box = Box(tmp_path)
    _many_dumps(box, 1)
    os.makedirs(box.state, mode=0o700)
    with open(os.path.join(box.state, "state.json"), "w") as f:
        json.dump({"harvested": {}, "from_a_newer_version": [1, 2]}, f)
    assert box.collect() == 0
    with open(os.path.join(box.state, "state.json")) as f:
        assert json.load(f)["from_a_newer_version"] == [1, 2]


def test_a_temp_name_from_the_state_cannot_leave_the_directory(tmp_path):
    import json
    box = Box(tmp_path)
    _many_dumps(box, 1)
    victim = os.path.join(box.tmp, "victim")
    with open(victim, "w") as f:
        f.write("keep me")
    os.makedirs(box.state, mode=0o700)
    with open(os.path.join(box.state, "state.json"), "w") as f:
        json.dump({"pending": {"Ex": {"stem": "x", "temp": "../victim"}}}, f)
    assert box.collect() == 0
    assert os.path.exists(victim)


# --- finding L1 (the liveness machine's): a file a killed run linked -------------------

def _in_files(box, token):
    """The reports and archives whose records hold ``token``."""
    found = [n for n, f in box.reports().items()
             if any(token in a for a in attachments(f))]
    return found + [n for n, data in box.archives().items() if token in data]


def _killed(box, step, nth):
    from tests.security.test_faults import KILLED, run_with_fault
    assert run_with_fault(box, step, nth, "kill") == KILLED


def test_a_console_archived_by_a_killed_run_joins_no_new_dump(tmp_path):
    box = Box(tmp_path)
    src = box.directory("src", {"console-ramoops-0": b"[ 1.0] lone console\n"})
    _killed(box, "unlink", 1)          # archive linked, never recorded
    with open(os.path.join(src, "dmesg-ramoops-0"), "wb") as f:
        f.write(b"Oops#1 Part1\n" + OOPS + b"[ 2.0] the new dump\n")
    box.drain()
    assert box.left(src) == []
    assert len(_in_files(box, b"lone console")) == 1, box.archives()
    assert len(_in_files(box, b"the new dump")) == 1


def test_a_console_reported_by_a_killed_run_stays_with_its_dump(tmp_path):
    box = Box(tmp_path)
    src = box.directory("src", {
        "console-ramoops-0": b"[ 1.0] the console\n",
        "dmesg-ramoops-0": b"Oops#1 Part1\n" + OOPS + b"[ 2.0] first dump\n"})
    _killed(box, "unlink", 1)          # report linked, never recorded
    with open(os.path.join(src, "dmesg-ramoops-1"), "wb") as f:
        f.write(b"Oops#2 Part1\n" + OOPS + b"[ 3.0] newer dump\n")
    os.utime(os.path.join(src, "dmesg-ramoops-1"), (2e9, 2e9))
    box.drain()
    assert box.left(src) == []
    for token in (b"the console", b"first dump", b"newer dump"):
        assert len(_in_files(box, token)) == 1, (token, box.reports().keys())


def test_a_dump_reported_by_a_killed_run_takes_no_new_console(tmp_path):
    box = Box(tmp_path)
    src = box.directory("src", {
        "dmesg-ramoops-0": b"Oops#1 Part1\n" + OOPS + b"[ 2.0] the dump\n"})
    _killed(box, "unlink", 1)          # report linked, never recorded
    with open(os.path.join(src, "console-ramoops-0"), "wb") as f:
        f.write(b"[ 3.0] a console after the kill\n")
    box.drain()
    assert box.left(src) == []
    for token in (b"the dump", b"a console after the kill"):
        assert len(_in_files(box, token)) == 1, (token, box.reports().keys())
