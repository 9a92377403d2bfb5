"""Word-level text transforms against the EDA definitions, the tokenizer, robustness, keys."""

from __future__ import annotations

import math
import pickle
import random
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from loaders.keys import sample_rng
from loaders.text import (
    EDA,
    MappingThesaurus,
    RandomDeletion,
    RandomInsertion,
    RandomSwap,
    SentenceShuffle,
    SynonymReplacement,
    WordShuffle,
    join_words,
    ops,
    split_sentences,
    split_words,
)
from loaders.text.rng import HashRng
from loaders.text.tokenizer import words

SENT = (
    "The quick brown fox jumps over the lazy dog, and then the fox runs away quickly "
    "into the dark forest near the river."
)
# every content word of SENT has exactly one synonym, so the counts are exact
MAP = MappingThesaurus(
    {w: [w + "x"] for w in "quick brown fox jumps lazy dog runs away quickly dark forest near river".split()},
    lemmatize=False,
)
WORD_TRANSFORMS = [RandomDeletion, RandomSwap, SynonymReplacement, RandomInsertion, WordShuffle, SentenceShuffle, EDA]


def _seps(text):
    return split_words(text)[0::2]


def _run_keys(t, x, n):
    for k in range(n):
        params = t.sample(sample_rng(0, 0, k))
        yield params, t.apply(x, params), t.explain(x, params)


# --------------------------------------------------------------------- tokenizer
@settings(max_examples=200, deadline=None)
@given(st.text())
def test_split_join_round_trip(text):
    parts = split_words(text)
    assert len(parts) % 2 == 1 and join_words(parts) == text
    sentences, seps = split_sentences(text)
    assert len(seps) == len(sentences) + 1
    assert seps[0] + "".join(s + p for s, p in zip(sentences, seps[1:], strict=False)) == text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab1 -'\u2019.,:;!é日_\n")), max_size=40))
def test_fast_split_pattern_equals_reference(text):
    import re

    from loaders.text.tokenizer import WORD_PATTERN

    assert split_words(text) == re.compile("(" + WORD_PATTERN + ")").split(text)


def test_words_keep_contractions_unicode_numbers():
    assert words("Don't stop: café, naïve Ελληνικά 日本語, 3.14 and 1,000 well-known!") == [
        "Don't",
        "stop",
        "café",
        "naïve",
        "Ελληνικά",
        "日本語",
        "3.14",
        "and",
        "1,000",
        "well-known",
    ]


def test_sentence_split_abbreviations():
    s, _ = split_sentences("Dr. Smith met Mr. J. Doe at 5 p.m. Then they left! Did they? Yes.")
    assert s == ["Dr. Smith met Mr. J. Doe at 5 p.m.", "Then they left!", "Did they?", "Yes."] or len(s) == 4


# --------------------------------------------------------------------- the n formula
@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.2, 0.29, 0.3, 0.5, 0.7, 1.0])
def test_eda_count_formula(alpha):
    for n_words in range(0, 120):
        expected = 0 if n_words == 0 else max(1, math.floor(Fraction(str(alpha)) * n_words))
        assert ops.eda_count(alpha, n_words) == expected
    assert ops.eda_count(0.0, 50) == 0


# --------------------------------------------------------------------- synonym replacement
@pytest.mark.parametrize("alpha", [0.1, 0.2, 0.5])
def test_synonym_replacement_counts(alpha):
    t = SynonymReplacement(alpha=alpha, thesaurus=MAP)
    n_words = len(words(SENT))
    n = ops.eda_count(alpha, n_words)
    distinct = {w.lower() for w in words(SENT)} - ops.EDA_STOP_WORDS
    for _, out, info in _run_keys(t, SENT, 30):
        replaced = {a for a, _ in info["replaced"]}
        assert len(replaced) == min(n, len(distinct))
        ow, iw = words(out), words(SENT)
        assert len(ow) == len(iw) and _seps(out) == _seps(SENT)  # punctuation and spacing kept
        for a, b in zip(iw, ow, strict=False):
            if a.lower() in replaced:  # every occurrence, case kept
                assert b == ops.match_case(a.lower() + "x", a)
            else:
                assert a == b
        assert not (replaced & ops.EDA_STOP_WORDS)


def test_synonym_replacement_case_and_inflection():
    th = MappingThesaurus({"car": ["automobile"], "run": ["sprint"]})
    t = SynonymReplacement(alpha=1.0, thesaurus=th)
    assert t("CARS and Cars; the car runs.", rng=0) == "AUTOMOBILES and Automobiles; the automobile sprints."


def test_synonym_replacement_with_shipped_wordnet():
    t = SynonymReplacement(alpha=0.2)
    n = ops.eda_count(0.2, len(words(SENT)))
    seen_change = 0
    for _, out, info in _run_keys(t, SENT, 20):
        assert 1 <= len(info["replaced"]) <= n
        seen_change += out != SENT
        assert _seps(out) == _seps(SENT)
        for a, b in info["replaced"]:
            assert a not in ops.EDA_STOP_WORDS and b != a
    assert seen_change == 20


def test_stop_words_only_and_contractions_untouched():
    t = SynonymReplacement(alpha=1.0)
    assert t("the and of to it", rng=1) == "the and of to it"
    assert t("don't won't", rng=1) == "don't won't"


# --------------------------------------------------------------------- insertion
def test_random_insertion_counts():
    # every word has a synonym and no stop words: EDA's 10 tries cannot all fail (p < 1e-8)
    every = MappingThesaurus({w.lower(): [w.lower() + "x"] for w in words(SENT)}, lemmatize=False)
    t = RandomInsertion(alpha=0.2, thesaurus=every, stop_words=[])
    iw = words(SENT)
    n = ops.eda_count(0.2, len(iw))
    for _, out, info in _run_keys(t, SENT, 30):
        ow = words(out)
        assert len(ow) == len(iw) + n == len(iw) + len(info["inserted"])
        # the original words stay, in order; the others are synonyms of words of the text
        it = iter(ow)
        assert all(any(w == o for o in it) for w in iw)
        extra = list(ow)
        for w in iw:
            extra.remove(w)
        assert all(e.endswith("x") and e[:-1] in {w.lower() for w in iw} for e in extra)


def test_random_insertion_without_synonyms_is_noop():
    t = RandomInsertion(alpha=0.5, thesaurus=MappingThesaurus({"zzz": ["yyy"]}))
    assert t("nothing here matches.", rng=0) == "nothing here matches."


# --------------------------------------------------------------------- swap
def test_random_swap_counts_and_replay():
    t = RandomSwap(alpha=0.2)
    iw = words(SENT)
    n = ops.eda_count(0.2, len(iw))
    for _, out, info in _run_keys(t, SENT, 30):
        ow = words(out)
        assert sorted(ow) == sorted(iw) and _seps(out) == _seps(SENT)
        assert len(info["swaps"]) <= n
        replay = list(iw)
        for i, j in info["swaps"]:
            replay[i], replay[j] = replay[j], replay[i]
        assert replay == ow
        assert sum(a != b for a, b in zip(iw, ow, strict=False)) <= 2 * n


def test_swap_word_retry_rule_matches_eda():
    # EDA's swap_word draws the second index at most 3 times (the 4th draw hits counter > 3 and
    # returns unchanged whatever it drew)
    class Scripted:
        def __init__(self, seq):
            self.seq = list(seq)

        def randrange(self, n):
            return self.seq.pop(0)

    parts = split_words("a b c")
    out, info = ops.swap_words(parts, 1, Scripted([1, 1, 1, 1]))
    assert info["swaps"] == [] and join_words(out) == "a b c"
    out, info = ops.swap_words(parts, 1, Scripted([1, 1, 1, 2]))
    assert info["swaps"] == [[1, 2]] and join_words(out) == "a c b"


# --------------------------------------------------------------------- deletion
def test_random_deletion_rate_statistics():
    text = " ".join(f"w{i}" for i in range(40))
    t = RandomDeletion(p_word=0.3)
    counts = np.zeros(40)
    totals = []
    trials = 1500
    for _, out, info in _run_keys(t, text, trials):
        assert len(words(out)) == 40 - len(info["deleted"])
        counts[info["deleted"]] += 1
        totals.append(len(info["deleted"]))
    # the number deleted is Binomial(40, 0.3): chi-square on the histogram (binned tails)
    obs = np.bincount(totals, minlength=41)
    exp = stats.binom.pmf(np.arange(41), 40, 0.3) * trials
    lo, hi = 6, 18
    o = np.r_[obs[:lo].sum(), obs[lo:hi], obs[hi:].sum()]
    e = np.r_[exp[:lo].sum(), exp[lo:hi], exp[hi:].sum()]
    assert stats.chisquare(o, e * o.sum() / e.sum()).pvalue > 1e-4
    # each position with probability 0.3
    z = (counts - trials * 0.3) / math.sqrt(trials * 0.3 * 0.7)
    assert np.abs(z).max() < 4.5


def test_bernoulli_indices_exact_law():
    r = HashRng(123)
    n, p, trials = 10, 0.15, 4000
    hits = np.zeros(n)
    sizes = []
    for _ in range(trials):
        idx = r.bernoulli_indices(n, p)
        assert idx == sorted(set(idx)) and all(0 <= i < n for i in idx)
        hits[idx] += 1
        sizes.append(len(idx))
    assert abs(np.mean(sizes) - n * p) < 4 * math.sqrt(n * p * (1 - p) / trials)
    assert np.abs((hits - trials * p) / math.sqrt(trials * p * (1 - p))).max() < 4.5
    assert r.bernoulli_indices(5, 0.0) == [] and r.bernoulli_indices(5, 1.0) == [0, 1, 2, 3, 4]


def test_random_deletion_never_empty():
    t = RandomDeletion(p_word=1.0)
    for _, out, _info in _run_keys(t, SENT, 20):
        assert len(words(out)) == 1
    assert RandomDeletion(1.0)("solo", rng=0) == "solo"
    assert RandomDeletion(1.0)("solo!", rng=0) == "solo!"
    assert RandomDeletion(0.0)(SENT, rng=0) == SENT


def test_deletion_tidies_spacing():
    parts = split_words("the fox, jumps over")
    out, _ = ops.delete_words(parts, 0.0, HashRng(0))
    assert join_words(out) == "the fox, jumps over"

    class Drop:
        def __init__(self, idx):
            self.idx = idx

        def bernoulli_indices(self, n, p):
            return self.idx

    assert join_words(ops.delete_words(parts, 0.5, Drop([1]))[0]) == "the, jumps over"
    assert join_words(ops.delete_words(parts, 0.5, Drop([0]))[0]) == "fox, jumps over"
    assert join_words(ops.delete_words(parts, 0.5, Drop([3]))[0]) == "the fox, jumps"
    assert join_words(ops.delete_words(parts, 0.5, Drop([2]))[0]) == "the fox, over"


# --------------------------------------------------------------------- shuffles
def test_word_shuffle_uniform_permutations():
    t = WordShuffle()
    counts = {}
    for _, out, _ in _run_keys(t, "a b c", 1200):
        counts[out] = counts.get(out, 0) + 1
    assert len(counts) == 6
    assert stats.chisquare(list(counts.values())).pvalue > 1e-4


@pytest.mark.parametrize("k", [1, 2, 4])
def test_word_shuffle_window_bounds_displacement(k):
    t = WordShuffle(window=k)
    for _, out, info in _run_keys(t, SENT, 50):
        order = info["order"]
        assert sorted(order) == list(range(len(order)))
        assert max(abs(new - old) for new, old in enumerate(order)) <= k
        assert _seps(out) == _seps(SENT)


def test_sentence_shuffle_keeps_sentences_and_separators():
    text = "First one. Second one!  Third?\nFourth, with Dr. Who."
    sents, seps = split_sentences(text)
    assert len(sents) == 4
    outs = set()
    for _, out, _info in _run_keys(SentenceShuffle(), text, 40):
        s2, p2 = split_sentences(out)
        assert sorted(s2) == sorted(sents) and p2 == seps
        outs.add(out)
    assert len(outs) > 5


# --------------------------------------------------------------------- EDA
def test_eda_one_op_uniform_and_variants():
    t = EDA()
    ops_seen = [t.sample(sample_rng(1, 0, k))["op"] for k in range(800)]
    counts = [ops_seen.count(o) for o in EDA.OPS]
    assert stats.chisquare(counts).pvalue > 1e-4
    v = t.variants(SENT, num_aug=9, rng=0)
    assert len(v) == 9 and all(isinstance(s, str) and s for s in v)
    assert v == t.variants(SENT, num_aug=9, rng=0)
    only_rd = EDA(alpha_sr=0, alpha_ri=0, alpha_rs=0, p_rd=0.2)
    assert {only_rd.sample(sample_rng(0, 0, k))["op"] for k in range(20)} == {"rd"}
    assert t.explain(SENT, t.sample(sample_rng(0, 0, 3)))["op"] in EDA.OPS


# --------------------------------------------------------------------- robustness and keys
ODD_INPUTS = [
    "",
    " ",
    "one",
    "the and of",
    "café naïve résumé",
    "Ελληνικά λόγια εδώ.",
    "日本語のテキスト。中文。",
    "don't won't can't",
    "!!! ???",
    "word,punct;only:",
    "emoji 🙂 in text 🙂",
    "\n\tTabs\tand\nlines\n",
]


@pytest.mark.parametrize("cls", WORD_TRANSFORMS, ids=lambda c: c.__name__)
def test_never_crash_never_empty(cls):
    t = cls()
    for x in ODD_INPUTS:
        for k in range(5):
            out = t(x, rng=sample_rng(2, 0, k))
            assert isinstance(out, str)
            if x.strip():
                assert out.strip(), (x, out)
            if words(x):
                assert words(out), (x, out)


@pytest.mark.parametrize("cls", WORD_TRANSFORMS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("bad", [None, b"bytes", 3, ["a", "list"]])
def test_non_str_raises_type_error(cls, bad):
    t = cls(p=0.0)  # even when it would not fire
    with pytest.raises(TypeError, match=type(bad).__name__):
        t(bad, rng=0)


def test_unicode_survives_operations():
    text = "Le café naïve sert des crêpes, señor; Ελληνικά καλά."
    for cls in WORD_TRANSFORMS:
        for k in range(10):
            out = cls()(text, rng=k)
            assert set(words(out)) <= set(words(text)) | set(words(out)) and isinstance(out, str)
    out = RandomSwap(0.5)(text, rng=1)
    assert sorted(words(out)) == sorted(words(text))


@pytest.mark.parametrize("cls", WORD_TRANSFORMS, ids=lambda c: c.__name__)
def test_keyed_reproducible_and_pickles(cls):
    t = cls()
    text = SENT + " A second sentence here. And a third!"
    a = [t(text, rng=sample_rng(5, 1, i)) for i in range(8)]
    b = [pickle.loads(pickle.dumps(t))(text, rng=sample_rng(5, 1, i)) for i in range(8)]
    assert a == b
    assert len(set(a)) > 1
    params = t.sample(sample_rng(5, 1, 0))
    assert pickle.loads(pickle.dumps(params)) == params


def test_p_and_strength_scale_probability():
    t = RandomSwap(alpha=0.3, p=0.5)
    fired = sum(t.sample(sample_rng(0, 0, k))["apply"] for k in range(2000))
    assert abs(fired / 2000 - 0.5) < 0.05
    fired = sum(t.sample(sample_rng(0, 0, k), strength=0.5)["apply"] for k in range(2000))
    assert abs(fired / 2000 - 0.25) < 0.05
    with pytest.raises(ValueError):
        t.sample(sample_rng(0, 0, 0), strength=1.5)
    with pytest.raises(TypeError):
        t.sample(random.Random(0))


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="p_word"):
        RandomDeletion(p_word=1.5)
    with pytest.raises(ValueError, match="alpha"):
        RandomSwap(alpha=-0.2)
    with pytest.raises(ValueError, match="window"):
        WordShuffle(window=0)
    with pytest.raises(TypeError, match="thesaurus"):
        SynonymReplacement(thesaurus={"a": ["b"]})


def test_worker_dataloader_matches_main_process():
    import torch

    from loaders import AugmentedDataset

    texts = [SENT, "Hello there, general Kenobi.", "café naïve", "One. Two. Three."] * 2
    ds = AugmentedDataset(texts, EDA(), seed=3)
    main = [ds[i] for i in range(len(texts))]
    loader = torch.utils.data.DataLoader(ds, batch_size=3, num_workers=2, collate_fn=list)
    got = [s for batch in loader for s in batch]
    assert got == main
    assert any(a != b for a, b in zip(main, texts, strict=False))


@pytest.mark.parametrize(
    "t",
    [
        RandomDeletion(0.2),
        RandomDeletion(1.0),
        RandomDeletion(0.0),
        RandomSwap(0.3),
        SynonymReplacement(0.3),
        RandomInsertion(0.3),
        WordShuffle(window=2),
        SentenceShuffle(),
        EDA(),
    ],
    ids=repr,
)
def test_explain_matches_apply(t):
    text = SENT + " Second sentence, with café. Third!"
    for k in range(25):
        params = t.sample(sample_rng(9, 0, k))
        assert t.explain(text, params)["output"] == t.apply(text, params)


def test_dataset_error_names_the_sample():
    from loaders import AugmentedDataset

    ds = AugmentedDataset(["fine text", None, b"raw bytes"], EDA(), seed=0)
    assert isinstance(ds[0], str)
    for i, tname in ((1, "NoneType"), (2, "bytes")):
        with pytest.raises(Exception, match=rf"sample index {i}.*{tname}"):
            ds[i]


def _insert_synonyms_flat(parts, n, rng, thesaurus, stop_words):
    """The flat-list form of EDA's random insertion (the slow reference: one list.insert per word)."""
    words, seps = parts[1::2], parts[0::2]
    for _ in range(n):
        syns = ()
        for _try in range(10):
            w = words[rng.randrange(len(words))]
            syns = () if (w.lower() in stop_words or "'" in w or "\u2019" in w) else thesaurus.lookup(w)
            if syns:
                break
        if not syns:
            continue
        syn = syns[rng.randrange(len(syns))]
        gap = rng.randrange(len(words) + 1)
        words.insert(gap, syn)
        seps.insert(gap + 1 if gap < len(words) - 1 else gap, " ")
    return [x for pair in zip(seps, words + [None], strict=True) for x in pair][:-1]


@pytest.mark.parametrize("n_words", [2100, 7000])
def test_blocked_random_insertion_equals_the_flat_reference(n_words):
    """Long texts take the blocked path (above BLOCKED_INSERT_WORDS): same draws, same output, end gaps included."""
    assert n_words > ops.BLOCKED_INSERT_WORDS
    th = MappingThesaurus({"fox": ["vixen", "reynard"], "dog": ["hound"], "quick": ["fast", "rapid"], "end": ["stop"]})
    vocab = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "end"]
    marks = [" ", " ", ", ", " ", ". ", " - "]
    rnd = random.Random(n_words)
    text = "".join(rnd.choice(vocab) + rnd.choice(marks) for _ in range(n_words)).rstrip() + "!"
    parts = split_words(text)
    end_gaps = 0
    for seed in range(60):
        n = n_words // 5
        got, info = ops.insert_synonyms(list(parts), n, HashRng(seed), th, ops.EDA_STOP_WORDS)
        want = _insert_synonyms_flat(list(parts), n, HashRng(seed), th, ops.EDA_STOP_WORDS)
        assert got == want
        assert "".join(got).endswith("!")
        count = n_words
        for gap, _ in info["inserted"]:
            end_gaps += gap == count
            count += 1
    if n_words == 2100:
        assert end_gaps >= 3  # the special case (a new last word takes the final separator) is compared too
