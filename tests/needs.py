"""A test that needs a tool this machine may lack (strace, systemd-pstore,
systemd-analyze) skips without it, except on CI: with CI set (.ci/run
installs every such tool) a missing one fails the test, so a broken
install cannot pass as a row of skips."""

import os

import pytest


def missing(reason):
    """Skip the calling test, or fail it on CI."""
    if os.environ.get("CI"):
        pytest.fail("%s; CI installs it (.ci/run)" % reason)
    pytest.skip(reason)
