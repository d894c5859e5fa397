"""The kdump samples (samples/README.md, issue 17): the files a Debian 6.1
capture kernel saved with Debian's makedumpfile and vmcore-dmesg, laid out
as Debian kdump-tools and Fedora kdump-utils name them, hold the crash the
serial console showed."""

import json
import os
import re

import pytest

SAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, "samples")
MANIFEST = json.load(open(os.path.join(SAMPLES, "manifest.json")))
KDUMP = [pytest.param(s, id=s["name"]) for s in MANIFEST if "kdump" in s]

# The directory and file names each tool gives a dump.
LAYOUTS = {
    "debian": (re.compile(r"(\d{12})\Z"), lambda m: {"dmesg." + m.group(1),
                                                      "dump." + m.group(1)}),
    "fedora": (re.compile(r"127\.0\.0\.1-\d{4}-\d\d-\d\d-\d\d:\d\d:\d\d\Z"),
               lambda m: {"vmcore-dmesg.txt", "vmcore", "kexec-dmesg.log"}),
}


def read(*parts):
    with open(os.path.join(SAMPLES, *parts), "rb") as f:
        return f.read()


def crashed_kernel_console(name):
    """Console lines up to the capture kernel's banner."""
    text = read(name, "console-crash.log").decode("utf-8", "replace")
    banners = [m.start() for m in re.finditer(r"Linux version \d", text)]
    assert len(banners) == 2, "crashed kernel, then capture kernel"
    return text[:banners[1]].splitlines()


def saved_logs(scenario):
    return [f["path"] for f in scenario["kdump"]["files"]
            if re.search(r"(^|/)(dmesg\.\d{12}|vmcore-dmesg\.txt|"
                         r"makedumpfile-dump-dmesg\.txt)$", f["path"])]


def in_order(lines, console):
    """How many of lines are found in console, each after the one before."""
    at, found = 0, 0
    for line in lines:
        try:
            at = console.index(line, at) + 1
            found += 1
        except ValueError:
            pass
    return found


@pytest.mark.parametrize("scenario", KDUMP)
def test_layout_is_the_tools_naming(scenario):
    name, layout = scenario["name"], scenario["kdump"]["layout"]
    crash = os.path.join(SAMPLES, name, "var", "crash")
    dirs = os.listdir(crash)
    assert len(dirs) == 1
    pattern, files = LAYOUTS[layout]
    match = pattern.match(dirs[0])
    assert match, dirs[0]
    assert set(os.listdir(os.path.join(crash, dirs[0]))) == files(match)


@pytest.mark.parametrize("scenario", KDUMP)
def test_manifest_says_how_every_file_was_made(scenario):
    name = scenario["name"]
    listed = {f["path"]: f for f in scenario["kdump"]["files"]}
    on_disk = set()
    for sub in ("var", "extra"):
        for root, _, names in os.walk(os.path.join(SAMPLES, name, sub)):
            on_disk.update(os.path.relpath(os.path.join(root, n),
                                           os.path.join(SAMPLES, name))
                           for n in names)
    on_disk.add("capture-listing.txt")
    assert set(listed) == on_disk
    for path, info in listed.items():
        assert info["made_by"] and info["made_by"] != "?"
        assert os.path.getsize(os.path.join(SAMPLES, name, path)) == info["size"]
        if info["truncated"]:
            assert info["size"] == scenario["kdump"]["kept_dump_bytes"]
            assert info["full_size"] > info["size"]


@pytest.mark.parametrize("scenario", KDUMP)
def test_dump_stand_ins_are_the_start_of_real_dumps(scenario):
    for info in scenario["kdump"]["files"]:
        base = os.path.basename(info["path"])
        data = read(scenario["name"], info["path"])
        if base.startswith("dump."):
            # makedumpfile -F: flattened header, then (offset, size) records
            assert data.startswith(b"makedumpfile\0")
            assert data[4096 + 16:4096 + 24] == b"KDUMP   "
        elif base == "vmcore":
            assert data.startswith(b"KDUMP   ")      # kdump-compressed
        else:
            continue
        assert scenario["kernel"].encode() in data   # utsname.release


@pytest.mark.parametrize("scenario", KDUMP)
def test_saved_logs_hold_the_crash_the_console_showed(scenario):
    console = crashed_kernel_console(scenario["name"])
    logs = saved_logs(scenario)
    assert len(logs) == 2                       # the layout's and extra/'s
    for path in logs:
        lines = read(scenario["name"], path).decode().splitlines()
        text = "\n".join(lines)
        assert "Oops: 0000 [#1]" in text
        assert "Call Trace:" in text
        assert "RIP: 0010:oops_harvest_init+" in text
        if "panic" in scenario["actions"]:
            assert lines[-1].endswith("Kernel panic - not syncing: sysrq triggered crash") \
                or "Kernel panic - not syncing: sysrq triggered crash" in lines[-2]
        else:
            # oops=panic: crash_kexec() from oops_end(), before the end marker
            assert "---[ end trace" not in text
            assert lines[-1].endswith("CR2: 0000000000000000")
        # Lines are the console's, in order; those missing are below the
        # console loglevel (KERN_DEBUG).
        assert in_order(lines, console) >= 0.95 * len(lines)
    # makedumpfile --dump-dmesg and vmcore-dmesg wrote the same text.
    assert read(scenario["name"], logs[0]) == read(scenario["name"], logs[1])


@pytest.mark.parametrize("scenario", [s for s in KDUMP
                                      if s.values[0]["backend"] == "ramoops"])
def test_post_notifier_crash_is_in_pstore_and_kdump(scenario):
    """crash_kexec_post_notifiers: ramoops wrote the panic before kexec, so
    the kernel's pstore Panic record is the end of the kdump log."""
    name = scenario["name"]
    layout_log = [p for p in saved_logs(scenario) if not p.startswith("extra/")][0]
    kdump = read(name, layout_log).decode().splitlines()
    pstore = os.path.join(SAMPLES, name, "pstore")
    records = {}
    for n in os.listdir(pstore):
        head, _, body = read(name, "pstore", n).decode().partition("\n")
        records[head.split()[0]] = [re.sub(r"^<\d+>", "", line)
                                    for line in body.splitlines()]
    assert set(records) == {"Oops#1", "Panic#2"}
    panic = records["Panic#2"]
    assert panic[-2].endswith("Kernel panic - not syncing: sysrq triggered crash")
    start = kdump.index(panic[0])
    assert kdump[start:] == panic
    assert all(line in kdump for line in records["Oops#1"])
