"""The fast paths of RandomSwap / RandomDeletion / SynonymReplacement give exactly the general path's output.

The general path (``explain``) splits with the Unicode regex and runs :mod:`loaders.text.ops`
with a :class:`HashRng`; ``apply`` takes shortcuts (ASCII regex, space-separated tokens for
simple texts, inlined draws). These property tests compare the two on generated texts, so a
shortcut that drifts from the definitions fails here.
"""

from __future__ import annotations

import itertools
import math
import random
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from loaders.text import MappingThesaurus, RandomDeletion, RandomSwap, SynonymReplacement, ops, split_words
from loaders.text.ops import delete_simple_tokens as _delete_tokens
from loaders.text.rng import HashRng, geometric_indices, swap_pairs
from loaders.text.tokenizer import WORD_PATTERN, is_simple

_REF = re.compile("(" + WORD_PATTERN + ")")  # the reference split: Unicode, no possessive quantifiers
_MARKS = ["", "", "", ",", ";", ":", ".", "!", "?"]
_word = st.from_regex(r"[A-Za-z0-9_]{1,6}(?:[-'.,:][A-Za-z0-9_]{1,4})?", fullmatch=True)
simple_texts = st.lists(st.tuples(_word, st.sampled_from(_MARKS)), min_size=1, max_size=25).map(
    lambda toks: " ".join(w + m for w, m in toks)
)
# near-simple texts: mostly simple pieces, but also double spaces, leading marks, quotes, non-ASCII
any_texts = st.one_of(
    simple_texts,
    st.text(alphabet=st.sampled_from(list("ab1_ ,;:.!?'-()\"é\u2019")), max_size=40),
    st.lists(
        st.sampled_from(["word", "x", "don't", "3.14", ",", ".", " ", "  ", "(", "é", "日本", "a-b"]), max_size=20
    ).map("".join),
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
    for text in (
        "",
        " lead",
        "trail ",
        "two  spaces",
        "(paren)",
        'quote"',
        "café",
        "a,, b",
        "a -b",
        "tab\tx",
        "a\nb",
        ", a",
    ):
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


def _ref_delete_at(parts, dropped):
    # delete_at as first written (a new list built piece by piece), the reference for the in-place form
    out = [parts[0]]
    cursor = 1
    for i in dropped:
        k = 2 * i + 1
        out.extend(parts[cursor:k])
        b = parts[k + 1]
        if b != " " or out[-1][-1:] != " ":
            out[-1] = ops._merge_seps(out[-1], b)
        cursor = k + 2
    out.extend(parts[cursor:])
    return out


@settings(max_examples=200, deadline=None)
@given(any_texts, st.data())
def test_delete_at_inplace_equals_reference(text, data):
    parts = split_words(text)
    n = len(parts) // 2
    if n < 1:
        return
    dropped = sorted(data.draw(st.sets(st.integers(0, n - 1), max_size=n - 1)))
    want = _ref_delete_at(parts, dropped)
    assert ops.delete_at(parts, list(dropped), None) == want
    assert ops.delete_at_inplace(list(parts), dropped) == want


@settings(max_examples=200, deadline=None)
@given(simple_texts, st.data())
def test_delete_tokens_equals_delete_at(text, data):
    tokens = text.split(" ")
    n = len(tokens)
    dropped = sorted(data.draw(st.sets(st.integers(0, n - 1), max_size=max(0, n - 1))))
    assert _delete_tokens(list(tokens), list(dropped)) == "".join(ops.delete_at(split_words(text), list(dropped), None))


def _splitmix64(seed):
    """Reference SplitMix64 (Steele, Lea and Flood 2014; Vigna's splitmix64.c), one output at a time."""
    state = seed
    while True:
        state = (state + 0x9E3779B97F4A7C15) % 2**64
        z = (state ^ (state >> 30)) * 0xBF58476D1CE4E5B9 % 2**64
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB % 2**64
        yield z ^ (z >> 31)


def test_splitmix64_published_outputs():
    # the first outputs of splitmix64.c seeded with 1234567, as published with it
    ref = _splitmix64(1234567)
    want = [6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821]
    assert [next(ref) for _ in range(5)] == want
    rng = HashRng(1234567)
    assert [rng.random() for _ in range(5)] == [(v >> 11) * 2.0**-53 for v in want]


def test_randrange32_uses_both_halves_of_published_outputs():
    # HashRng.randrange32: (h * n) >> 32 on the high half of each SplitMix64 output, then its low half
    want = [6457827717110365317, 3203168211198807973, 9817491932198370423]
    halves = [h for v in want for h in (v >> 32, v & 0xFFFFFFFF)]
    sizes = [7, 1000, 3, 1 << 32, 12, 2]
    rng = HashRng(1234567)
    assert [rng.randrange32(n) for n in sizes] == [h * n >> 32 for h, n in zip(halves, sizes, strict=False)]
    assert rng.randrange32(1 << 32) == 4593380528125082431 >> 32


def _ref_swaps(seed, m, n):
    # EDA's swap_word (at most 3 draws for a different second index), each draw (h * m) >> 32
    # from the 32-bit halves of the SplitMix64 outputs, high half first
    halves = (h for v in _splitmix64(seed) for h in (v >> 32, v & 0xFFFFFFFF))
    pairs = []
    for _ in range(n):
        i = next(halves) * m >> 32
        j = next(halves) * m >> 32
        tries = 1
        while j == i and tries < 3:
            j = next(halves) * m >> 32
            tries += 1
        if j != i:
            pairs.append((i, j))
    return pairs


@settings(max_examples=200, deadline=None)
@given(seeds, st.integers(2, 40), st.integers(0, 10))
def test_swap_draws_against_reference(seed, m, n):
    parts = [""] + [p for k in range(m) for p in (f"w{k}", " ")]
    parts[-1] = ""
    pairs, _ = swap_pairs(seed, m, n)
    assert pairs == _ref_swaps(seed, m, n)
    # ops.swap_inplace with a HashRng uses exactly these pairs, and the stream goes on from there
    rng = HashRng(seed)
    assert ops.swap_inplace(parts, n, rng) == [list(p) for p in pairs]
    assert rng._state == swap_pairs(seed, m, n)[1]


@pytest.mark.parametrize("m", [2, 5])
def test_swap_pairs_law(m):
    # a swap is skipped with probability m**-3 (3 equal draws); the pairs are uniform over i != j
    trials = 6000
    counts = np.zeros((m, m))
    skipped = 0
    for seed in range(trials):
        pairs = swap_pairs(seed * 0x9E3779B1, m, 1)[0]
        if pairs:
            counts[pairs[0]] += 1
        else:
            skipped += 1
    q = m**-3.0
    assert abs(skipped - trials * q) < 4.5 * math.sqrt(trials * q * (1 - q))
    assert np.all(np.diag(counts) == 0)
    off = counts[~np.eye(m, dtype=bool)]
    assert stats.chisquare(off).pvalue > 1e-4


def test_geometric_indices_match_the_generator_and_continue_its_stream():
    for seed in range(50):
        rng = HashRng(seed)
        got = rng.bernoulli_indices(30, 0.2)
        out, state = geometric_indices(seed, 30, 1.0 / math.log1p(-0.2))
        assert got == out and rng._state == state


def test_tiny_deletion_probabilities_do_not_overflow():
    # 1 / log(1 - p) overflows to -inf below p ~ 5.6e-309; the generator keeps it finite
    for p_word in (1e-300, 5e-324, 1e-17):
        t = RandomDeletion(p_word)
        for k in range(20):
            params = {"apply": True, "seed": k * 7919}
            assert t.apply("a b c d e f", params) == t.explain("a b c d e f", params)["output"] == "a b c d e f"


# --------------------------------------------------------------------- synonym replacement
_SR_MAP = MappingThesaurus(
    {
        "word": ["term", "vocable"],
        "x": ["ex"],
        "ab": ["cd"],
        "a": ["one"],
        "b": ["bee", "be"],
        "1": ["one"],
        "don't": ["do not"],
        "e": ["ee"],
    }
)


@settings(max_examples=200, deadline=None)
@given(any_texts, seeds, st.sampled_from([0.05, 0.1, 0.3, 0.5, 1.0]), st.booleans())
def test_synonym_apply_equals_explain(text, seed, alpha, wordnet):
    t = SynonymReplacement(alpha) if wordnet else SynonymReplacement(alpha, thesaurus=_SR_MAP, stop_words=["x"])
    params = {"apply": True, "seed": seed}
    assert t.apply(text, params) == t.explain(text, params)["output"]


def _sr_reference(parts, n, rnd, thesaurus, stop):
    """EDA's definition, eagerly: every eligible distinct word in a uniform random order, then the scan."""
    cands = [
        w for w in dict.fromkeys(p.lower() for p in parts[1::2]) if w not in stop and "'" not in w and "\u2019" not in w
    ]
    order = list(itertools.permutations(cands))[rnd.randrange(math.factorial(len(cands)))] if cands else ()
    return [w for w in order if thesaurus.lookup(w)][:n]


def _sr_law(parts, n, thesaurus, stop, trials=6000):
    """Counts of the ordered tuple of replaced words: the lazy draws (HashRng) and the reference."""
    ours, ref = {}, {}
    for seed in range(trials):
        info = ops.replace_synonyms(parts, n, HashRng(seed * 0x9E3779B1), thesaurus, stop)[1]
        got = tuple(a for a, _ in info["replaced"])
        ours[got] = ours.get(got, 0) + 1
        want = tuple(_sr_reference(parts, n, random.Random(seed), thesaurus, stop))
        ref[want] = ref.get(want, 0) + 1
    return ours, ref


@pytest.mark.parametrize("n", [1, 2])
def test_synonym_choice_law(n):
    # the replaced words (in visiting order) follow EDA's law: a uniform order of the distinct
    # eligible words, those without synonyms skipped; "the" is a stop word, "zz" has no synonym
    th = MappingThesaurus({"cat": ["feline"], "dog": ["hound"], "sat": ["perched"], "mat": ["rug"]}, lemmatize=False)
    parts = split_words("The cat sat, the dog zz on the MAT and the cat.")
    ours, ref = _sr_law(parts, n, th, ops.EDA_STOP_WORDS)
    keys = sorted(set(ours) | set(ref))
    assert set(ours) == set(ref)  # the same support: n distinct words with synonyms, no stop word
    assert all(len(k) == n and len(set(k)) == n and "zz" not in k and "the" not in k for k in keys)
    expected = {k: 6000 / len(keys) for k in keys}  # every ordered n-tuple of the 4 words is equally likely
    for counts in (ours, ref):
        assert stats.chisquare([counts[k] for k in keys], [expected[k] for k in keys]).pvalue > 1e-4


def test_synonym_replaces_all_occurrences_with_one_synonym():
    th = MappingThesaurus({"cat": ["feline", "kitty", "puss"]}, lemmatize=False)
    t = SynonymReplacement(alpha=0.1, thesaurus=th)
    seen = set()
    for seed in range(300):
        out = t.apply("cat Cat CAT dog", {"apply": True, "seed": seed})
        syn = out.split()[0]
        assert out == f"{syn} {syn.title()} {syn.upper()} dog"
        seen.add(syn)
    assert seen == {"feline", "kitty", "puss"}
