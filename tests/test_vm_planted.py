"""R18: the planted-file attacks in a QEMU guest with fs.protected_* at
0, at 1 and at 2 (opt-in and slow, about 5 minutes)::

    sudo python3 -m pytest -m kernel tests/test_vm_planted.py -v

tests/security/vm_planted.py does the work; skips without root or QEMU.
"""

import os
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.kernel

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(TOP, "tests", "security", "vm_planted.py")
SYS_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


def test_planted_attacks_with_each_fs_protected_setting():
    if os.geteuid() != 0:
        pytest.skip("needs root (chroot, mkfs of the guest's root)")
    missing = [t for t in ("qemu-system-x86_64", "mmdebstrap", "mkfs.ext4", "debugfs")
               if shutil.which(t, path=SYS_PATH) is None]
    if missing:
        pytest.skip("missing %s (apt-get install qemu-system-x86 mmdebstrap "
                    "e2fsprogs)" % ", ".join(missing))
    if not os.path.isdir(os.path.join(TOP, ".git")):
        pytest.skip("copies the tracked files: needs a git checkout")
    p = subprocess.run([sys.executable, SCRIPT], stdout=subprocess.PIPE,
                       universal_newlines=True)
    print(p.stdout)
    assert p.returncode == 0, p.stdout[-4000:]
