"""Standard code only (issue 20): the program uses no private module or
attribute of the interpreter or its standard library, so that a new
Python cannot break it without a word.  A private name is one that starts
with an underscore; ``__future__`` and dunders such as ``__file__`` are
public.  The check reads the source, so a new private import fails it
whatever path it is on."""

import ast
import os
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
STDLIB = set(sys.stdlib_module_names) if hasattr(sys, "stdlib_module_names") \
    else {"os", "sys", "re", "json", "gc", "importlib", "io", "zlib", "mmap"}


def _private(name):
    return name.startswith("_") and not (name.startswith("__")
                                         and name.endswith("__"))


def sources():
    yield os.path.join(ROOT, "bin", "oops-harvest")
    for package in ("harvester", "parsers"):
        for folder, _, files in os.walk(os.path.join(ROOT, package)):
            for name in sorted(files):
                if name.endswith(".py"):
                    yield os.path.join(folder, name)


def private_uses(path):
    """(line, what) for each private import or private attribute of an
    imported standard module."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    found, stdlib_names = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if any(_private(p) for p in alias.name.split(".")):
                    found.append((node.lineno, "import " + alias.name))
                top = alias.name.split(".")[0]
                if top in STDLIB:
                    stdlib_names[alias.asname or top] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            module = node.module or ""
            if module != "__future__" and (
                    any(_private(p) for p in module.split("."))
                    or (module.split(".")[0] in STDLIB and any(
                        _private(a.name) for a in node.names))):
                found.append((node.lineno, "from %s import %s" % (
                    module, ", ".join(a.name for a in node.names))))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and _private(node.attr)
                and isinstance(node.value, ast.Name)
                and node.value.id in stdlib_names):
            found.append((node.lineno, "%s.%s" % (node.value.id, node.attr)))
    return found


@pytest.mark.parametrize("path", list(sources()),
                         ids=lambda p: os.path.relpath(p, ROOT))
def test_no_private_interpreter_api(path):
    assert not private_uses(path)


def test_the_check_finds_what_it_is_for(tmp_path):
    """The forms it must catch (the ones this project once used)."""
    probe = tmp_path / "probe.py"
    probe.write_text("import re\nimport json\nfrom _sha256 import sha256\n"
                     "import _sre\nfrom re import _parser\n"
                     "x = re._compile('a', 0)\ny = json.scanner\n"
                     "from __future__ import annotations\n"
                     "z = self._cache\n")
    found = {what for _, what in private_uses(str(probe))}
    assert found == {"from _sha256 import sha256", "import _sre",
                     "from re import _parser", "re._compile"}
