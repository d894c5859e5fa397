"""harvester.text.clean against the rule it implements, written out here
character by character: every character of the unsafe ranges becomes
\\xNN or \\uNNNN, everything else is kept (text without any is returned as
it is, unescaped, the boot path's shortcut)."""

from hypothesis import given, strategies as st

from harvester.text import _UNSAFE_RANGES, clean

UNSAFE = [chr(c) for low, high in _UNSAFE_RANGES for c in range(low, high + 1)]


def expected(text):
    out = []
    for char in text:
        code = ord(char)
        if any(low <= code <= high for low, high in _UNSAFE_RANGES):
            out.append("\\x%02x" % code if code < 0x100 else "\\u%04x" % code)
        else:
            out.append(char)
    return "".join(out)


def test_the_ranges_are_the_documented_ones():
    for char in "\x1b\x9b\x00\r\x7f\u202e\u2066\ufeff\u061c\ud800":
        assert char in UNSAFE
    for char in "\t\n A~\xa0é\u2028\u4e00":
        assert char not in UNSAFE


@given(st.text(alphabet=st.one_of(st.characters(), st.sampled_from(UNSAFE))))
def test_clean_escapes_exactly_the_unsafe_characters(text):
    assert clean(text) == expected(text)


@given(st.binary())
def test_bytes_are_decoded_then_escaped(data):
    assert clean(data) == expected(data.decode("utf-8", "backslashreplace"))


def test_every_unsafe_character_alone():
    for char in UNSAFE:
        assert clean("a" + char + "b") == "a" + expected(char) + "b"
