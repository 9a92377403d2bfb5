"""The fast paths of RandomSwap / RandomDeletion give exactly the general path's output.

The general path (``explain``) splits with the Unicode regex and runs :mod:`loaders.text.ops`
with a :class:`HashRng`; ``apply`` takes shortcuts (ASCII regex, space-separated tokens for
simple texts, inlined draws). These property tests compare the two on generated texts, so a
shortcut that drifts from the definitions fails here.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from loaders.text import RandomDeletion, RandomSwap, ops, split_words
from loaders.text._rng import HashRng, geometric_indices, swap_pairs
from loaders.text.tokenizer import WORD_PATTERN, is_simple
from loaders.text.transforms import _delete_tokens

_REF = re.compile("(" + WORD_PATTERN + ")")  # the reference split: Unicode, no possessive quantifiers
_MARKS = ["", "", "", ",", ";", ":", ".", "!", "?"]
_word = st.from_regex(r"[A-Za-z0-9_]{1,6}(?:[-'.,:][A-Za-z0-9_]{1,4})?", fullmatch=True)
simple_texts = st.lists(st.tuples(_word, st.sampled_from(_MARKS)), min_size=1, max_size=25).map(
    lambda toks: " ".join(w + m for w, m in toks))
# near-simple texts: mostly simple pieces, but also double spaces, leading marks, quotes, non-ASCII
any_texts = st.one_of(
    simple_texts,
    st.text(alphabet=st.sampled_from(list("ab1_ ,;:.!?'-()\"é\u2019")), max_size=40),
    st.lists(st.sampled_from(["word", "x", "don't", "3.14", ",", ".", " ", "  ", "(", "é", "日本", "a-b"]),
             max_size=20).map("".join),
)
seeds = st.integers(min_value=0, max_value=(1 << 53) - 1)


@settings(max_examples=200, deadline=None)
@given(simple_texts)
def test_simple_texts_split_into_tokens(text):
    # the structural claim the fast paths rely on: parts are "", w1, p1 + " ", ..., wN, pN
    assert is_simple(text)
    tokens = text.split(" ")
    expected = [""]
    for k, t in enumerate(tokens):
        mark = t[-1] if t[-1] in ",;:.!?" else ""
        expected += [t[: len(t) - len(mark)], mark + (" " if k < len(tokens) - 1 else "")]
    assert _REF.split(text) == expected == split_words(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_ascii_split_equals_unicode_reference(text):
    assert split_words(text) == _REF.split(text)


def test_is_simple_examples():
    assert is_simple("The fox, the dog; and 3.14 don't well-known e.g. ok!")
    for text in ("", " lead", "trail ", "two  spaces", "(paren)", "quote\"", "café", "a,, b", "a -b", "tab\tx",
                 "a\nb", ", a"):
        assert not is_simple(text), text


@settings(max_examples=200, deadline=None)
@given(any_texts, seeds, st.sampled_from([0.05, 0.1, 0.3, 0.5, 1.0]))
def test_swap_apply_equals_explain(text, seed, alpha):
    t = RandomSwap(alpha)
    params = {"apply": True, "seed": seed}
    assert t.apply(text, params) == t.explain(text, params)["output"]


@settings(max_examples=200, deadline=None)
@given(any_texts, seeds, st.sampled_from([0.0, 0.1, 0.3, 0.7, 0.95, 1.0]))
def test_deletion_apply_equals_explain(text, seed, p_word):
    t = RandomDeletion(p_word)
    params = {"apply": True, "seed": seed}
    assert t.apply(text, params) == t.explain(text, params)["output"]


@settings(max_examples=200, deadline=None)
@given(simple_texts, st.data())
def test_delete_tokens_equals_delete_at(text, data):
    tokens = text.split(" ")
    n = len(tokens)
    dropped = sorted(data.draw(st.sets(st.integers(0, n - 1), max_size=max(0, n - 1))))
    assert _delete_tokens(list(tokens), dropped) == "".join(ops.delete_at(split_words(text), list(dropped), None))


@settings(max_examples=200, deadline=None)
@given(seeds, st.integers(2, 40), st.integers(0, 10))
def test_swap_pairs_are_the_hashrng_draws(seed, m, n):
    parts = [""] + [p for k in range(m) for p in (f"w{k}", " ")]
    parts[-1] = ""
    rng = HashRng(seed)
    swaps = ops.swap_inplace(parts, n, rng)
    pairs, state = swap_pairs(seed, m, n)
    assert [list(p) for p in pairs] == swaps and state == rng._state


def test_geometric_indices_match_the_generator_and_continue_its_stream():
    for seed in range(50):
        rng = HashRng(seed)
        got = rng.bernoulli_indices(30, 0.2)
        out, state = geometric_indices(seed, 30, 1.0 / __import__("math").log1p(-0.2))
        assert got == out and rng._state == state
