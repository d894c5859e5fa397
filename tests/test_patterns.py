"""The regex table built with the package (parsers/patterns.py): every
pattern it holds is exactly what re.compile makes, a run that has it
compiles none of our patterns, and a damaged or foreign table is no table.
"""

import json
import marshal
import os
import re
import shutil
import subprocess
import sys

import pytest

from parsers import patterns

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
EFI_SAMPLE = os.path.join(ROOT, "samples", "efi-6.1-two-dumps", "pstore")

pytestmark = pytest.mark.skipif(
    sys.implementation.name != "cpython",
    reason="the table holds CPython's regex code")


@pytest.fixture(scope="module")
def table():
    assert patterns.import_all(["harvester", "parsers"]) == []
    return patterns.table()


def test_every_pattern_is_in_the_table(table):
    made = {(p.pattern, int(p.flags)) for p in patterns._LAZY}
    assert len(made) > 120
    assert set(table) == made


def test_each_entry_is_what_re_compile_makes(table):
    for (pattern, flags), arguments in table.items():
        ours = patterns.from_table(pattern, arguments)
        theirs = re.compile(pattern, flags)
        # Patterns compare equal when pattern, flags and code are equal.
        assert ours == theirs, pattern
        assert (ours.groups, ours.groupindex) == \
            (theirs.groups, theirs.groupindex)


def _fresh_table(tmp_path, table, engine=None):
    path = tmp_path / "t.table"
    path.write_bytes(marshal.dumps((engine or patterns._engine(), table)))
    return path


def test_compile_takes_patterns_from_the_table(tmp_path, table, monkeypatch):
    patterns.load_table(_fresh_table(tmp_path, table))
    try:
        def refuse(*args):
            raise AssertionError("compiled by re: %r" % (args,))
        monkeypatch.setattr(re, "compile", refuse)
        for pattern, flags in list(table)[:40]:
            assert patterns.compile(pattern, flags).pattern == pattern
    finally:
        patterns.load_table(os.devnull)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "engine",
                                    "byte order", "not a dict", "bad code",
                                    "bad groups"])
def test_a_damaged_or_foreign_table_is_no_table(tmp_path, table, damage):
    key = next(iter(table))
    entries = dict(table)
    flags, code, groups, groupindex, indexgroup = entries[key]
    if damage == "bad code":
        entries[key] = (flags, bytes(b ^ 0x55 for b in code), groups,
                        groupindex, indexgroup)
    elif damage == "bad groups":
        entries[key] = (flags, code, "x", groupindex, indexgroup)
    engine = None
    if damage == "engine":
        engine = ("cpython-0", 0, 0, 0, 0)
    elif damage == "byte order":        # a package built on the other kind
        other = {"little": "big", "big": "little"}[sys.byteorder]
        engine = (patterns._engine()[0], other) + patterns._engine()[2:]
        entries = {k: (f, bytes(reversed(c)), g, gi, ig)
                   for k, (f, c, g, gi, ig) in entries.items()}
    path = _fresh_table(tmp_path, entries, engine)
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(os.urandom(len(data)))
    elif damage == "truncated":
        path.write_bytes(data[:len(data) // 2])
    elif damage == "not a dict":
        path.write_bytes(marshal.dumps((patterns._engine(), [1, 2])))
    patterns.load_table(path)
    try:
        assert patterns.compile(*key) == re.compile(*key)
    finally:
        patterns.load_table(os.devnull)


def test_an_installed_table_makes_a_run_compile_none_of_ours(tmp_path):
    """What setup.py does after copying the modules, then a harvest of the
    real efi sample from that copy: re's compiler runs only for the
    standard library's own patterns (json's, at its import)."""
    build = tmp_path / "build"
    for package in ("harvester", "parsers"):
        shutil.copytree(os.path.join(ROOT, package), build / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    made = subprocess.run(
        [sys.executable, "-m", "parsers.patterns", ".", "harvester",
         "parsers"], cwd=build, capture_output=True, text=True, check=True)
    assert patterns.TABLE_FILE in made.stdout
    assert (build / "parsers" / patterns.TABLE_FILE).exists()
    shutil.copytree(EFI_SAMPLE, tmp_path / "pstore")
    probe = (
        "import sys, json\n"
        "from re import _compiler\n"
        "seen = []\n"
        "real = _compiler.compile\n"
        "def spy(p, flags=0):\n"
        "    seen.append(p)\n"
        "    return real(p, flags)\n"
        "_compiler.compile = spy\n"
        "from harvester.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "print(json.dumps(seen))\n"
        "sys.exit(code)\n")
    run = subprocess.run(
        [sys.executable, "-c", probe, "--collect", "--source",
         "pstore:%s" % (tmp_path / "pstore"), "--output-dir",
         str(tmp_path / "out"), "--state-dir", str(tmp_path / "state"),
         "--config", os.path.join(ROOT, "packaging", "config", "config.yaml")],
        cwd=build, capture_output=True, text=True,
        env=dict(os.environ, PYTHONPATH=str(build)))
    assert run.returncode == 0, run.stderr
    compiled = json.loads(run.stdout.splitlines()[-1])
    assert len(os.listdir(tmp_path / "out")) == 2
    ours = {p.pattern for p in patterns._LAZY if isinstance(p.pattern, str)}
    assert not ours.intersection(compiled), compiled


def test_any_of_finds_what_the_plain_alternation_finds():
    """any_of (a trie, for speed) against re.search of the words joined
    by "|": on every crash needle, with text around it, inside other
    needles and cut short, and on random text of their characters."""
    from hypothesis import given, settings, strategies as st

    from harvester.crash import kinds
    words = list(kinds.NEEDLES) + ["a", "ab", "abc", "b|c", "x.y", "(?"]
    plain = re.compile("|".join(re.escape(w) for w in words))
    trie = patterns.any_of(words)
    texts = [w for w in words] + ["<4>[ 1.0] " + w + " at x" for w in words]
    texts += [w[:-1] for w in words] + [w[1:] for w in words]
    for text in texts:
        assert bool(trie.search(text)) == bool(plain.search(text)), text
    alphabet = "".join(sorted(set("".join(words)))) + "\n\t\u00e9"

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.one_of(st.sampled_from(words),
                              st.text(alphabet, max_size=12)), max_size=8))
    def check(pieces):
        text = "".join(pieces)
        assert bool(trie.search(text)) == bool(plain.search(text))
    check()


def test_escape_is_re_escape():
    from hypothesis import given, settings, strategies as st

    @settings(max_examples=500, deadline=None)
    @given(st.text())
    def check(text):
        assert patterns.escape(text) == re.escape(text)
    check()
    every = "".join(map(chr, range(0x300)))
    assert patterns.escape(every) == re.escape(every)
