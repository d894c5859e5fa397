"""CI smoke of the coverage-guided fuzzing (fuzz/harnesses.py): every
atheris harness runs a few seconds from the samples/ seeds in a
subprocess; any finding (exception, broken property, timeout, memory)
fails.  About 50 s in all; the long run is fuzz/long_run.py."""

import os
import sys

import pytest

pytest.importorskip("atheris")

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir))
from fuzz import long_run  # noqa: E402

# Seconds per harness (plus ~2 s start-up each): ~50 s in all.
SMOKE = {"ramoops": 6, "pipeline": 7, "efi": 4, "pstorefs": 4,
         "pstorezone": 4, "mtdoops": 4, "compression": 3, "ecc": 2, "kmsg": 1}


@pytest.mark.parametrize("target", sorted(SMOKE))
def test_atheris_smoke(target, tmp_path):
    result = long_run.run_one(target, SMOKE[target], None,
                              str(tmp_path / "artifacts"), timeout=10,
                              rss_mb=1024)
    assert result["exit"] == 0 and not result["findings"], result["log_tail"]
    assert result["executions"] > 0 and result["coverage_edges"] > 0, result
