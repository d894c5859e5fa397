"""harvester.statejson against the json module, the ground truth: dumps
writes what json.dumps(sort_keys=True) writes, loads reads what json.loads
reads (and refuses what it refuses), for the values a state holds and for
any other text."""

import json

import pytest
from hypothesis import given, settings, strategies as st

from harvester import statejson

# What JSON holds, floats aside (the state has none; loads hands them on).
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=5) |
    st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=30)


@settings(max_examples=500, deadline=None)
@given(values)
def test_dumps_is_json_dumps_sorted(value):
    assert statejson.dumps(value) == json.dumps(value, sort_keys=True)


@settings(max_examples=500, deadline=None)
@given(values)
def test_loads_reads_both_writers(value):
    assert statejson.loads(statejson.dumps(value)) == value
    assert statejson.loads(json.dumps(value, indent=2)) == value


def _outcome(load, text):
    try:
        return ("value", load(text))
    except ValueError:
        return ("error",)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet='{}[],:"\\ \t\n-0123456789.eEtruefalsnul\x00x\u00e9',
               max_size=40))
def test_loads_agrees_with_json_on_any_text(text):
    assert _outcome(statejson.loads, text) == _outcome(json.loads, text)


@pytest.mark.parametrize("text", [
    "", " ", "{", "}", "[1,]", "[,1]", '{"a" 1}', '{"a":}', '{1: 2}',
    "01", "-", "1.5", "1e3", "-0", "truex", "nul", '"\\u00e9"', '"a\\nb"',
    '{"a": 1} x', '{"a": 1}\n', "NaN", '["\x01"]', "[" * 40 + "]" * 40,
    '{"harvested": {"efi:dmesg:1:2:ab": {"event": "E1", "report": "r"}}}'])
def test_edge_cases(text):
    if text.startswith("[" * 40):       # deeper than any state: refused
        with pytest.raises(ValueError):
            statejson.loads(text)
        return
    assert _outcome(statejson.loads, text) == _outcome(json.loads, text)


def test_what_it_cannot_write_is_refused():
    for bad in (1.5, {1: 2}, object(), b"x"):
        with pytest.raises(TypeError):
            statejson.dumps(bad)


def test_no_json_module_for_a_state_of_ours(tmp_path):
    """The point of it: reading and writing our own state never imports
    json (nor re, through it)."""
    import subprocess
    import sys
    state = {"harvested": {"efi:dmesg:7:1700000000:ab12": {
        "event": "E0e28676438", "report": "linux-image-6.1.0.E0e.crash"}},
        "kept": {}, "pending": {"E1": {"stem": "s", "records": ["a", "b"],
                                       "temp": ".oops-harvest-1", "fitted": 2,
                                       "inode": [2049, 1234]}},
        "reports": ["linux-image-6.1.0.E0e.crash"]}
    code = ("import sys, harvester.statejson as s\n"
            "text = s.dumps(%r)\n"
            "assert s.loads(text) == %r\n"
            "print(sorted(m for m in ('json', 're') if m in sys.modules))\n"
            % (state, state))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, check=True).stdout
    # re may come in only to compile the token pattern when no regex table
    # is built (a source checkout); json never.
    assert "json" not in out
