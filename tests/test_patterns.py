"""parsers.patterns: ``names`` must answer exactly as the joined regex it
stands for, ``re.search("|".join(patterns), name)``, on every table the
analysis uses it for and on names those tables were written for."""

import pathlib
import re

import pytest
from hypothesis import given, settings, strategies as st

from harvester.crash import kinds as K
from harvester.crash.frames import parse_frame
from harvester.crash.prefixes import strip_prefix
from parsers.patterns import _gate, lazy, names

DATA = pathlib.Path(__file__).parent / "data"

TABLES = [("SKIP", K.SKIP), ("HUNG_SKIP", K.HUNG_SKIP)] + [
    ("skip of %s" % kind.title, kind.skip) for kind in K.KINDS if kind.skip]


def corpus_names():
    """Every function name in the dev logs' stack frames."""
    found = set()
    for folder in ("syzkaller", "realworld"):
        base = DATA / folder
        for path in sorted(base.iterdir()):
            if not path.is_file() or path.name == "NOTICE":
                continue
            for line in path.read_text(errors="replace").splitlines():
                frame = parse_frame(strip_prefix(line))
                if frame:
                    found.add(frame.func)
    return sorted(found)


NAMES = corpus_names()


def test_the_corpus_is_large_enough_to_mean_something():
    assert len(NAMES) > 2000


@pytest.mark.parametrize("label,patterns", TABLES, ids=[t[0] for t in TABLES])
def test_names_agrees_with_the_joined_regex_on_every_frame_of_the_dev_logs(
        label, patterns):
    joined = re.compile("|".join(patterns))
    matcher = names(patterns)
    wrong = [n for n in NAMES if matcher.search(n) != bool(joined.search(n))]
    assert not wrong, wrong[:10]
    # and the table skips some of them, or the comparison says little
    assert any(matcher.search(n) for n in NAMES) or label != "SKIP"


WORDS = st.sampled_from(["printk", "mutex_", "down", "lock", "_trap", "die",
                         "kfree", "slab_alloc", "page_fault", "sched",
                         "x", "_", "__", "do_", "raw"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(
    WORDS,
    st.builds(lambda w: "^" + w, WORDS),
    st.builds(lambda w: w + "$", WORDS),
    st.builds(lambda w: "^" + w + "$", WORDS),
    st.sampled_from([r"^_{0,2}down(?:$|_)", r"k?v?(?:m|z|c)alloc",
                     r"^crc\d", r"\$x", r"a.b", r"^_{0,2}down", r"_{0,1}x$",
                     r"^x_(?:lock|down)$", r"do_(?:x|)", r"(?:_x|a)?die",
                     r"^lock(?:_a|_b)?$", r"^(?:a|b)_?x", r"^_{0,3}(?:a|)"])),
    min_size=1, max_size=8),
       st.lists(st.one_of(WORDS, st.text("ab_$x.^kmzcvdownlock", max_size=6)),
                max_size=4).map("".join))
def test_names_agrees_with_the_joined_regex_on_made_up_tables(patterns, name):
    assert names(patterns).search(name) == bool(
        re.search("|".join(patterns), name))


def test_plain_words_are_not_compiled():
    """The point of it: a table of anchored words compiles no regex."""
    matcher = names(["^mutex_", "printk", "_trap$", "^die$"])
    assert matcher._sort()[4] == ()
    assert matcher.search("__mutex_lock") is False
    assert matcher.search("mutex_lock") and matcher.search("vprintk_emit")
    assert matcher.search("do_int3_trap") and matcher.search("die")
    assert not matcher.search("die_notify")


def test_an_entry_is_compiled_only_for_a_name_holding_its_word():
    matcher = names([r"^crc\d", r"(?:^|_)k?v?[mzc]alloc(?:_node)?$",
                     r"^(?:read|write)[bwlq]$"])
    gates = dict(matcher._sort()[4])
    assert set(gates) == {"crc", "alloc", ""}
    assert not matcher.search("ext4_writepages")
    assert "search" in vars(gates[""])           # no word: always tried
    assert "search" not in vars(gates["crc"])
    assert "search" not in vars(gates["alloc"])
    assert matcher.search("__kmalloc_node") and matcher.search("crc32")
    assert not matcher.search("crcx") and matcher.search("writel")


@pytest.mark.parametrize("pattern,word", [
    (r"a?bc", "bc"), (r"(?:x|y)abc?", "ab"), (r"[ab]+cd", "cd"),
    (r"x{0,2}yz", "yz"), (r"ab|cd", ""), (r"\dabc", "abc"), (r"ab\wcd", "ab"),
    (r"(?:^|_)lock_(?:acquired?|release)$", "lock_"), (r"[]a]bc", "bc"),
    (r"^_{0,2}(?:down|up)$", ""), (r"check_prevs?_add", "check_prev")])
def test_the_word_every_match_holds(pattern, word):
    assert _gate(pattern) == word


def test_lazy_compiles_at_first_use():
    pattern = lazy("a+b")
    assert "search" not in vars(pattern)
    assert pattern.search("xaab").group() == "aab"
    assert "search" in vars(pattern)
