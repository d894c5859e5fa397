"""parsers.records.Plain builds instances as a dataclass with the same
fields would (the reference, here only): the same values from the same
arguments, and TypeError for the same mistakes."""

import dataclasses

from hypothesis import given, settings, strategies as st

from parsers.records import REQUIRED, Plain


class Sample(Plain):
    FIELDS = (("a", REQUIRED), ("b", REQUIRED), ("c", None), ("d", list),
              ("e", 7), ("f", dict))


@dataclasses.dataclass
class Reference:
    a: object
    b: object
    c: object = None
    d: list = dataclasses.field(default_factory=list)
    e: object = 7
    f: dict = dataclasses.field(default_factory=dict)


def build(cls, args, kwargs):
    try:
        made = cls(*args, **kwargs)
    except TypeError:
        return "TypeError"
    return {name: getattr(made, name) for name in "abcdef"}


@settings(max_examples=500, deadline=None)
@given(st.lists(st.integers(), max_size=8),
       st.dictionaries(st.sampled_from("abcdefgx"), st.integers(), max_size=5))
def test_plain_builds_as_a_dataclass(args, kwargs):
    assert build(Sample, args, kwargs) == build(Reference, args, kwargs)


def test_fresh_defaults_and_equality():
    one, two = Sample(1, 2), Sample(1, 2)
    assert one.d is not two.d and one.f is not two.f
    assert one == two and repr(one).startswith("Sample(a=1, b=2")
    one.d.append(1)
    assert one != two
