"""Reports name the crashed kernel's package version from this machine's
package database; tests read none unless they point harvester.package at
one, so their reports do not depend on the machine that runs them."""

import os

import pytest


@pytest.fixture(autouse=True)
def no_host_package_database(monkeypatch):
    from harvester import package
    monkeypatch.setattr(package, "DPKG_STATUS", os.devnull)
    monkeypatch.setattr(package, "OS_RELEASE", "/nonexistent/os-release")
