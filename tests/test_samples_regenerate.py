"""Opt-in slow test: regenerate one real-kernel sample with QEMU.

Runs samples/kernel/generate.sh for the small ramoops-6.1-basic scenario into a
temporary directory (two TCG boots of a Debian 6.1 kernel, a minute or two once
the kernel packages are cached; the first run downloads ~90 MB of .debs).
Select it with ``pytest -m kernel``.  Needs root (apt-get, dpkg-deb) and
qemu-system-x86_64; skips otherwise.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GENERATE = ROOT / "samples" / "kernel" / "generate.sh"
SCENARIO = "ramoops-6.1-basic"


@pytest.mark.kernel
def test_regenerate_ramoops_basic(tmp_path):
    if shutil.which("qemu-system-x86_64") is None:
        pytest.skip("qemu-system-x86_64 is not installed")
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("the sample generator needs root (apt-get, dpkg-deb)")
    if not GENERATE.exists():
        pytest.skip("samples/kernel/generate.sh is missing")

    out = tmp_path / "out"
    env = dict(os.environ)
    # reuse the generator's download cache between runs
    env.setdefault("OOPS_HARVEST_CACHE", str(ROOT / "samples" / "kernel" / ".cache"))
    proc = subprocess.run(
        ["sh", str(GENERATE), "--out", str(out), SCENARIO],
        env=env, capture_output=True, text=True, timeout=3600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]

    manifest = json.loads((out / "manifest.json").read_text())
    entry = {e["name"]: e for e in manifest}[SCENARIO]
    assert entry["backend"] == "ramoops"
    assert entry["kernel"].startswith("6.1.0-")
    assert entry["kernel_version"].startswith("6.1.")

    d = out / SCENARIO
    raw = d / "raw" / "ramoops.bin"
    assert raw.stat().st_size == entry["params"]["mem_size"]
    assert raw.read_bytes()[:4] == b"DBGC"  # zone 0 signature, little-endian
    assert (d / "console-crash.log").stat().st_size > 0
    assert (d / "console-export.log").stat().st_size > 0

    files = sorted((d / "pstore").iterdir())
    names = [f.name for f in files]
    assert "dmesg-ramoops-0" in names and "dmesg-ramoops-1" in names, names
    for f in files:
        assert f.stat().st_size > 0, f
    text = (d / "pstore" / "dmesg-ramoops-0").read_text(errors="replace")
    assert text.startswith(("Oops#", "Panic#"))
