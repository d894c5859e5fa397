"""Metadata is in pyproject.toml; this adds one build step.

After the modules are copied into the build, the regex table for the
building Python is written beside them (``parsers/patterns.py`` says why:
boot time).  The package works without it, so a failure is a warning.
"""

import subprocess
import sys

from setuptools import setup
from setuptools.command.build_py import build_py


class build_py_with_regex_table(build_py):
    def run(self):
        super().run()
        if self.dry_run or getattr(self, "editable_mode", False):
            return              # a source checkout compiles its patterns
        done = subprocess.run(
            [sys.executable, "-B", "-m", "parsers.patterns", ".",
             "harvester", "parsers"], cwd=self.build_lib, check=False)
        if done.returncode:
            self.warn("no regex table: patterns will compile at run time")


setup(cmdclass={"build_py": build_py_with_regex_table})
