"""The crashed kernel's package and version, for apport's ``Package``.

apport writes ``Package: <name> <version>`` and its crash databases split
it on the first space (``(not installed)`` when the package is not there).
The version comes from the first source that has it:

1. the package database, read as a file (no program is run, R13): dpkg's
   ``/var/lib/dpkg/status``.  rpm's database is a SQLite file of binary
   headers that needs librpm to read, so on RPM systems 2. is used;
2. the dump itself: Debian's build string names the package version
   (``#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2025-01-02)``), Ubuntu's the
   upload (``#31-Ubuntu`` for 6.8.0-31.31), and an RPM kernel's release is
   the kernel-core package's version-release plus the architecture;
3. ``(not installed)``.
"""

import mmap
import os

from parsers.patterns import lazy
from parsers.search import find

DPKG_STATUS = "/var/lib/dpkg/status"
OS_RELEASE = "/etc/os-release"
MAX_STATUS_BYTES = 64 << 20
NOT_INSTALLED = "(not installed)"

# Debian policy's version alphabet and RPM's "_"; nothing else is trusted.
_VERSION = lazy(r"[0-9][A-Za-z0-9.+~:_-]{0,80}\Z")

# Which packaging a kernel release belongs to, from the release itself
# (first match); else from /etc/os-release's ID and ID_LIKE.
_RELEASE_FAMILY = (
    (lazy(r"\.(?:fc|el|amzn|ol|mga)\d+"), "rpm"),
    # Debian's flavours (cloud-amd64, rt-arm64... end the same way), Ubuntu's.
    (lazy(r"-(?:amd64|arm64|armmp|armmp-lpae|686|686-pae|powerpc64le|"
          r"s390x|riscv64|loong64|rpi|generic|generic-64k|generic-lpae|"
          r"lowlatency|aws|azure|gcp|gke|oracle|kvm|raspi)\Z"), "deb"),
)
_OS_RELEASE_LINE = lazy(r'(?m)^([A-Z_]+)="?([^"\n]*)"?$')
_OS_FAMILY = {"debian": "deb", "ubuntu": "deb", "fedora": "rpm",
              "rhel": "rpm", "centos": "rpm", "rocky": "rpm",
              "almalinux": "rpm", "amzn": "rpm", "ol": "rpm"}

# The version as the dump states it (see version_from_dump).
_DEBIAN_BUILD = lazy(r"\bDebian (\d[A-Za-z0-9.+~:-]*)")
_UBUNTU_BUILD = lazy(r"^#(\d+(?:~[0-9.]+)?)-Ubuntu\b")
_UBUNTU_RELEASE = lazy(r"^(\d+\.\d+\.\d+-\d+)-")
_RPM_ARCH = lazy(r"\.(?:x86_64|aarch64|ppc64le|s390x|i686|noarch)\Z")


def family(release, os_release=None):
    for pattern, fam in _RELEASE_FAMILY:
        if release and pattern.search(release):
            return fam
    info = os_release_info(os_release or OS_RELEASE)
    for ident in [info.get("ID", "")] + info.get("ID_LIKE", "").split():
        if ident in _OS_FAMILY:
            return _OS_FAMILY[ident]
    return "deb"                    # what the report has always named


def os_release_info(path):
    try:
        with open(path, "rb") as f:
            text = f.read(8192).decode("utf-8", "replace")
    except OSError:
        return {}
    return dict(_OS_RELEASE_LINE.findall(text))


def package_names(release, fam):
    """Candidate packages holding ``release``; the first is the usual one."""
    if fam == "rpm":
        return ["kernel-core"]             # Fedora 27+, RHEL 8+
    return ["linux-image-" + release,
            "linux-image-%s-unsigned" % release,      # Debian, unsigned
            "linux-image-unsigned-" + release]        # Ubuntu, unsigned


def dpkg_installed(names, status_path=None):
    """``(name, version)`` of the first of ``names`` that dpkg's status file
    lists as installed, else None."""
    data = _read_status(status_path or DPKG_STATUS)
    stanzas = _dpkg_stanzas(data, names)
    for name in names:
        fields = stanzas.get(name, {})
        version = fields.get("Version", "")
        status = fields.get("Status", "").split()
        if status[-1:] == ["installed"] and _VERSION.match(version):
            return name, version
    return None


_STATUS_CACHE = {}


def _read_status(path):
    """The status file, mapped once per run (every report asks): reading
    the 1 MB it often is costs 0.5 ms at each crash boot."""
    if path not in _STATUS_CACHE:
        _STATUS_CACHE[path] = b""
        try:
            with open(path, "rb") as f:
                size = min(os.fstat(f.fileno()).st_size, MAX_STATUS_BYTES)
                if size:
                    _STATUS_CACHE[path] = mmap.mmap(f.fileno(), size,
                                                    access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            pass
    return _STATUS_CACHE[path]


def _dpkg_stanzas(data, names):
    """``{name: fields}`` of the stanzas of ``names`` (one per name: a
    kernel image is not Multi-Arch: same), in one pass over the file: the
    stanzas whose package starts as all the names do."""
    prefix = b"Package: " + os.path.commonprefix(names).encode()
    wanted = {name.encode(): name for name in names}
    found = {}
    at = 0 if data[:len(prefix)] == prefix else _line_at(data, prefix, 0)
    while at >= 0:
        end = find(data, b"\n", at, len(data))
        name = bytes(data[at + len(b"Package: "):end if end >= 0 else None])
        if name in wanted:
            found[wanted[name]] = _dpkg_fields(data, at)
        at = _line_at(data, prefix, at + 1)
    return found


def _line_at(data, start, begin):
    """Where the next line starting with ``start`` begins, or -1."""
    at = find(data, b"\n" + start, begin, len(data))
    return at + 1 if at >= 0 else -1


def _dpkg_fields(data, at):
    """The simple fields of the stanza at ``at``."""
    end = find(data, b"\n\n", at, len(data))
    stanza = bytes(data[at:end if end >= 0 else len(data)][:64 << 10])
    stanza = stanza.decode("utf-8", "replace")
    return dict(line.split(": ", 1) for line in stanza.split("\n")
                if ": " in line and not line.startswith(" "))


def version_from_dump(release, build, fam):
    if fam == "rpm":
        if release and _RPM_ARCH.search(release):
            version = _RPM_ARCH.sub("", release)
            return version if _VERSION.match(version) else None
        return None
    match = _DEBIAN_BUILD.search(build or "")
    if match and _VERSION.match(match.group(1)):
        return match.group(1)
    match = _UBUNTU_BUILD.match(build or "")
    base = _UBUNTU_RELEASE.match(release or "")
    if match and base:
        return "%s.%s" % (base.group(1), match.group(1))
    return None


_KNOWN = {}


def kernel_package(release, build=None, status_path=None, os_release=None):
    """``(name, version, source)`` for the kernel ``release`` (uname -r);
    asked once per run (a boot's dumps are from one kernel)."""
    key = (release, build, status_path or DPKG_STATUS,
           os_release or OS_RELEASE)
    if key not in _KNOWN:
        _KNOWN[key] = _kernel_package(*key)
    return _KNOWN[key]


def _kernel_package(release, build, status_path, os_release):
    fam = family(release, os_release)
    names = package_names(release, fam)
    if fam == "deb":
        found = dpkg_installed(names, status_path)
        if found:
            return found + ("package database %s" % (status_path or DPKG_STATUS),)
    version = version_from_dump(release, build, fam)
    if version:
        return names[0], version, "the crashed kernel's build string" \
            if fam == "deb" else "the crashed kernel's release"
    return names[0], NOT_INSTALLED, "not in the package database"



# Ubuntu kernels end their banner with CONFIG_VERSION_SIGNATURE in
# parentheses: "(Ubuntu 5.19.0-43.44~22.04.1-generic 5.19.17)".
_BANNER_SIGNATURE = lazy(r"\((Ubuntu [0-9][A-Za-z0-9.+~_-]{0,80} "
                         r"[0-9][A-Za-z0-9.+~_-]{0,40})\)\s*\Z")
_UBUNTU_FLAVOUR = lazy(r"(\d+\.\d+\.\d+)-(\d+)-([a-z][a-z0-9-]{0,30})\Z")
BANNERS_LOOKED_AT = 16


def version_signature(log, release, build):
    """Ubuntu's ProcVersionSignature as far as the dump gives it: whole from
    the boot banner (``Ubuntu 5.19.0-43.44~22.04.1-generic 5.19.17``),
    else without its last word (the upstream version, which nothing else
    in a log states) from the release and the ``#44-Ubuntu`` build
    string; None for a kernel that is not Ubuntu's."""
    if isinstance(log, str):
        log = log.encode("utf-8", "replace")
    end = len(log)
    for _ in range(BANNERS_LOOKED_AT):          # the newest banners first
        at = log.rfind(b"Linux version ", 0, end)
        if at < 0:
            break
        line_end = log.find(b"\n", at)
        line = log[at:line_end if line_end >= 0 else len(log)][:600]
        line = line.decode("utf-8", "replace")
        words = line.split()
        if release is None or (len(words) > 2 and words[2] == release):
            match = _BANNER_SIGNATURE.search(line)
            if match:
                return match.group(1)
        end = at
    upload = _UBUNTU_BUILD.match(build or "")
    parts = _UBUNTU_FLAVOUR.match(release or "")
    if upload and parts:
        return "Ubuntu %s-%s.%s-%s" % (parts.group(1), parts.group(2),
                                       upload.group(1), parts.group(3))
    return None
