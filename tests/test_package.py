"""apport's ``Package: <name> <version>`` for the crashed kernel: each of
the three version sources, and every sample's reports read by a strict
apport reader (apport's crash databases split Package on the first space).

tests/data/dpkg-status-kernels holds the fields of Debian 12's real
linux-image-6.1.0-56-amd64 (6.1.192-2, the kernel that wrote the samples)
and linux-image-6.1.0-47-amd64 packages as `apt-cache show` printed them,
with dpkg's Status line added (installed; removed with config files left).
"""

import json
import os
import re
import shutil

import pytest

from harvester import cli, package
from tests import apport_format

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, os.pardir, "samples")
STATUS = os.path.join(HERE, "data", "dpkg-status-kernels")
MANIFEST = json.load(open(os.path.join(SAMPLES, "manifest.json")))
NAME = re.compile(r"[a-z0-9][a-z0-9.+-]+\Z")          # Debian policy 5.6.1
VERSION = re.compile(r"[0-9][A-Za-z0-9.+~:_-]*\Z")     # Debian 5.6.12, RPM "_"
DEBIAN_BUILD = "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)"
UPSTREAM_BUILD = "#1 SMP PREEMPT_DYNAMIC Thu Nov 19 10:00:00 UTC 2026"


def status_file(tmp_path):
    """This machine's real status file (if any) with the kernel stanzas
    appended: the lookup must find them inside a full database."""
    path = tmp_path / "status"
    host = b""
    if os.path.exists("/var/lib/dpkg/status"):
        with open("/var/lib/dpkg/status", "rb") as f:
            host = f.read()
    with open(STATUS, "rb") as f:
        path.write_bytes(host + (b"\n" if host else b"") + f.read())
    return str(path)


def split_package(report_path):
    with open(report_path, "rb") as f:
        fields, _ = apport_format.load(f.read())
    # apport's crash databases: app, version = report['Package'].split(' ', 1)
    parts = fields["Package"].split(" ", 1)
    assert len(parts) == 2, fields["Package"]
    name, version = parts
    assert NAME.match(name), name
    assert version == package.NOT_INSTALLED or VERSION.match(version), version
    return name, version, fields


# --- the three sources --------------------------------------------------

def test_source_1_package_database(tmp_path):
    status = status_file(tmp_path)
    # The database wins even over a build string that says otherwise.
    name, version, source = package.kernel_package(
        "6.1.0-56-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.999-9 (x)",
        status_path=status)
    assert (name, version) == ("linux-image-6.1.0-56-amd64", "6.1.192-2")
    assert status in source


def test_source_1_first_stanza_of_the_database(tmp_path):
    # The file as Debian ships it (no host database before it): its first
    # stanza has no newline before "Package:".
    with open(STATUS, "rb") as f:
        data = f.read()
    first = data.split(b"\n", 1)[0].decode().split(": ", 1)[1]
    path = tmp_path / "status"
    path.write_bytes(data)
    assert package.dpkg_installed([first], str(path)) is None   # deinstall
    assert package._dpkg_stanzas(data, [first])[first]["Status"] == \
        "deinstall ok config-files"
    assert package._dpkg_stanzas(data, [first[1:]]) == {}


def test_source_1_every_candidate_in_one_pass():
    """The candidates share a prefix; stanzas of other packages with it
    (and of a package named as one plus a suffix) are passed over."""
    data = (b"Package: linux-image-6.1.0-9-amd64-dbg\nStatus: install ok "
            b"installed\nVersion: 1\n\nPackage: linux-base\nVersion: 2\n\n"
            b"Package: linux-image-6.1.0-9-amd64-unsigned\nStatus: install "
            b"ok installed\nVersion: 6.1.99-1\n\nPackage: linux-image-6.1"
            b".0-9-amd64\nStatus: deinstall ok config-files\nVersion: 6.1.9"
            b"8-1\n")
    names = package.package_names("6.1.0-9-amd64", "deb")
    found = package._dpkg_stanzas(data, names)
    assert sorted(found) == names[:2]
    assert found[names[1]]["Version"] == "6.1.99-1"
    assert found[names[0]]["Status"] == "deinstall ok config-files"


def test_source_1_removed_package_is_not_installed(tmp_path):
    # -47 is "deinstall ok config-files": its Version no longer counts.
    status = status_file(tmp_path)
    assert package.kernel_package("6.1.0-47-amd64", UPSTREAM_BUILD,
                                  status_path=status)[:2] == \
        ("linux-image-6.1.0-47-amd64", package.NOT_INSTALLED)


def test_source_2_build_string(tmp_path):
    name, version, source = package.kernel_package(
        "6.1.0-56-amd64", DEBIAN_BUILD, status_path=os.devnull)
    assert (name, version) == ("linux-image-6.1.0-56-amd64", "6.1.192-2")
    assert "build string" in source


def test_source_3_not_installed():
    assert package.kernel_package("6.8.0", UPSTREAM_BUILD,
                                  status_path=os.devnull)[:2] == \
        ("linux-image-6.8.0", "(not installed)")


@pytest.mark.parametrize("release,build,expected", [
    # Ubuntu 22.04's kernel package 5.15.0-91.101 runs as "#101-Ubuntu".
    ("5.15.0-91-generic", "#101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023",
     ("linux-image-5.15.0-91-generic", "5.15.0-91.101")),
    # A hardware-enablement kernel: package 6.5.0-14.14~22.04.1.
    ("6.5.0-14-generic", "#14~22.04.1-Ubuntu SMP PREEMPT_DYNAMIC Mon Nov 20",
     ("linux-image-6.5.0-14-generic", "6.5.0-14.14~22.04.1")),
    # Debian 12's backported 6.12 kernel (the 6.12 samples).
    ("6.12.117+deb12-amd64",
     "#1 SMP PREEMPT_DYNAMIC Debian 6.12.117-1~deb12u1 (2026-11-14)",
     ("linux-image-6.12.117+deb12-amd64", "6.12.117-1~deb12u1")),
    # Fedora 40's kernel-core-6.8.5-301.fc40.x86_64 runs as this release.
    ("6.8.5-301.fc40.x86_64", "#1 SMP PREEMPT_DYNAMIC Thu Apr 11 20:53:19 UTC 2024",
     ("kernel-core", "6.8.5-301.fc40")),
    ("5.14.0-362.8.1.el9_3.x86_64", "#1 SMP PREEMPT_DYNAMIC Tue Nov 7 14:54:22 EST 2023",
     ("kernel-core", "5.14.0-362.8.1.el9_3")),
])
def test_distributions(release, build, expected):
    assert package.kernel_package(release, build,
                                  status_path=os.devnull)[:2] == expected


@pytest.mark.parametrize("os_release,fam", [
    ('NAME="Fedora Linux"\nID=fedora\n', "rpm"),
    ('ID="rocky"\nID_LIKE="rhel centos fedora"\n', "rpm"),
    ('ID=linuxmint\nID_LIKE="ubuntu debian"\n', "deb"),
    ("", "deb"),
])
def test_family_from_os_release(tmp_path, os_release, fam):
    path = tmp_path / "os-release"
    path.write_text(os_release)
    assert package.family("6.8.0", str(path)) == fam


# --- end to end: the report and its file name ---------------------------

def collect(tmp_path, spec, *extra):
    out = tmp_path / "out"
    assert cli.main(["--collect", "--source", spec, "--output-dir", str(out),
                     "--state-dir", str(tmp_path / "state")] + list(extra)) == 0
    return sorted(str(p) for p in out.iterdir())


def test_report_takes_the_database_version(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(package, "DPKG_STATUS", status_file(tmp_path))
    sample = os.path.join(SAMPLES, "ramoops-6.1-basic", "raw", "ramoops.bin")
    for path in collect(tmp_path, "ramoops:" + sample):
        name, version, fields = split_package(path)
        assert (name, version) == ("linux-image-6.1.0-56-amd64", "6.1.192-2")
        assert "package database" in fields["PackageSource"]
        # The file name keeps the package name only.
        assert os.path.basename(path).startswith("linux-image-6.1.0-56-amd64.E")


def test_report_without_a_version_anywhere(tmp_path, capsys):
    src = tmp_path / "pstore"
    src.mkdir()
    (src / "dmesg-ramoops-0").write_bytes(
        b"Oops#1 Part1\n<4>[ 1.0] Oops: 0002 [#1] PREEMPT SMP NOPTI\n"
        b"<4>[ 1.0] CPU: 1 PID: 42 Comm: bash Not tainted 6.8.0 %s\n"
        b"<4>[ 1.0] RIP: 0010:f+0x10/0x20\n" % UPSTREAM_BUILD.encode())
    (path,) = collect(tmp_path, "pstore:%s" % src)
    name, version, _ = split_package(path)
    assert (name, version) == ("linux-image-6.8.0", "(not installed)")
    assert os.path.basename(path).startswith("linux-image-6.8.0.E")


def sample_sources():
    for scenario in MANIFEST:
        folder = os.path.join(SAMPLES, scenario["name"])
        raw = os.path.join(folder, "raw")
        # kdump-only samples have no raw backend image (samples/README.md)
        for entry in sorted(os.listdir(raw)) if os.path.isdir(raw) else []:
            kind = {"efivars": "efivars", "mtd": "mtdoops",
                    "ramoops": "ramoops"}[re.match(r"[a-z]+", entry).group()]
            yield pytest.param(scenario, "%s:%s" % (kind, os.path.join(raw, entry)),
                               id="%s/raw/%s" % (scenario["name"], entry))
        if os.path.isdir(os.path.join(folder, "pstore")):
            yield pytest.param(scenario, "pstore:" + os.path.join(folder, "pstore"),
                               id="%s/pstore" % scenario["name"])


@pytest.mark.parametrize("scenario,spec", list(sample_sources()))
def test_every_sample_report_loads_with_a_two_word_package(
        tmp_path, capsys, scenario, spec):
    config = tmp_path / "config.yaml"
    config.write_text("clear_backends: false\n"
                      "report_reasons: [Oops, Panic, Emergency, Shutdown]\n")
    paths = collect(tmp_path, spec, "--config", str(config))
    assert paths, "no report from %s" % spec
    for path in paths:
        name, version, _ = split_package(path)
        # Ground truth from the samples' manifest (what the harness booted).
        assert name == "linux-image-" + scenario["kernel"]
        assert version.startswith(scenario["kernel_version"] + "-"), version
