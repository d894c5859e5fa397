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


def test_what_it_does_not_write_the_json_module_writes():
    """A state another program or version wrote may hold floats or keys
    that are numbers; it is written back as json.dumps would."""
    for value in (1.5, {"a": [1.0, float("nan")]}, {1: 2}, {"x": 3.5},
                  {"b": {"c": 1e300}}):
        assert statejson.dumps(value) == json.dumps(value, sort_keys=True)
    for bad in (object(), b"x", {"a": {1, 2}}):
        with pytest.raises(TypeError):
            statejson.dumps(bad)


def test_a_foreign_state_with_a_float_is_harvested_past(tmp_path):
    """A state.json holding a float (read through json.loads) must not stop
    the harvest when the state is saved."""
    from harvester import cli
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    (state / "state.json").write_text(
        '{"harvested": {}, "kept": {}, "pending": {"Eold": {"stem": "x", '
        '"fitted": 1.0}}, "reports": [], "version": 2.5}')
    image = "samples/ramoops-6.1-basic/raw/ramoops.bin"
    assert cli.main(["--collect", "--source", "ramoops:" + image,
                     "--output-dir", str(tmp_path / "out"),
                     "--state-dir", str(state)]) == 0
    assert len(list((tmp_path / "out").iterdir())) == 2


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
