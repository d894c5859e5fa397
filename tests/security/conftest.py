import os
import shutil
import tempfile

import pytest


@pytest.fixture
def public_path():
    """A scratch directory another user can reach (mode 0755 up to it):
    pytest's own tmp_path lives under a 0700 directory."""
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()
    path = tempfile.mkdtemp(prefix="oops-harvest-sec-", dir=base)
    os.chmod(path, 0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
