"""The functional core: pure operations on split text, driven by a given generator.

Every function takes the *parts* of a text (see
[split_words][loaders.text.tokenizer.split_words]: separators at even positions, words
at odd ones) and a ``random.Random``-like generator ``rng`` (methods
``random()``, ``randrange(n)``, ``shuffle(list)``). They return
``(new_parts, info)`` where ``info`` is a plain dict saying what was done
(positions, words), never mutate their input, and never touch a global RNG.
Words are the unit; punctuation and whitespace stay where they were (only
the spacing around a deleted word is tidied).

The definitions follow EDA (Wei and Zou, 2019, and its reference code
``eda.py``) except where noted:

* ``n = max(1, floor(alpha * num_words))`` words are changed when ``alpha > 0``
  (`eda_count`); ``num_words`` counts words, not punctuation.
* Synonym replacement picks distinct non-stop words in random order, skips the
  ones without synonyms, and replaces *every occurrence* of each chosen word
  (as EDA does) with one uniformly chosen synonym, keeping the case pattern of
  each occurrence and the word's inflection (plural, verb form).
* Random insertion: up to 10 tries to draw a random word with synonyms (as
  EDA); a random synonym of it is inserted at a uniformly random gap, the end
  included (EDA's reference inserts before a random word, never at the end,
  and always takes the first synonym of an unordered set).
* Random swap: EDA's ``swap_word`` (at most 3 draws of the second position
  until it differs from the first, else that swap is skipped), ``n`` times.
* Random deletion: each word dropped independently with probability ``p``; a
  one-word text is left alone, and if every word was dropped one random word
  is kept (EDA), so a non-empty text never comes back empty.

Example:
    >>> import random
    >>> from loaders.text.tokenizer import split_words, join_words
    >>> parts = split_words("The cat sat on the mat.")
    >>> new, info = swap_words(parts, 1, random.Random(0))
    >>> join_words(new), info
    ('on cat sat The the mat.', {'swaps': [[3, 0]]})
    >>> join_words(delete_words(parts, 1.0, random.Random(1))[0])
    'mat.'
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .tokenizer import SIMPLE_PUNCT, split_sentences

__all__ = [
    "EDA_STOP_WORDS",
    "eda_count",
    "match_case",
    "delete_words",
    "delete_at",
    "delete_at_inplace",
    "delete_simple_tokens",
    "swap_words",
    "swap_inplace",
    "insert_synonyms",
    "BLOCKED_INSERT_WORDS",
    "replace_synonyms",
    "shuffle_words",
    "shuffle_sentences",
]

#: The stop-word list of EDA's reference code (``eda.py``), verbatim.
EDA_STOP_WORDS: frozenset[str] = frozenset(
    """
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers
herself it its itself they them their theirs themselves what which who whom this that these those am is
are was were be been being have has had having do does did doing a an the and but if or because as until
while of at by for with about against between into through during before after above below to from up
down in out on off over under again further then once here there when where why how all any both each few
more most other some such no nor not only own same so than too very s t can will just don should now
""".split()
)

Parts = list[str]
Info = dict[str, Any]


def eda_count(alpha: float, num_words: int) -> int:
    """EDA's number of words to change: ``max(1, floor(alpha * num_words))``, 0 if alpha is 0.

    A 1e-9 tolerance absorbs float error (``0.29 * 100`` is 28.999999999999996).

    Args:
        alpha: the fraction of the words, in [0, 1].
        num_words: the number of words.

    Returns:
        The count.

    Example:
        >>> eda_count(0.1, 25), eda_count(0.1, 3), eda_count(0.0, 25), eda_count(0.29, 100)
        (2, 1, 0, 29)
    """
    if alpha <= 0 or num_words <= 0:
        return 0
    return max(1, int(math.floor(alpha * num_words + 1e-9)))


def match_case(new: str, old: str) -> str:
    """Give ``new`` the case pattern of ``old`` (UPPER, Title or as is).

    Args:
        new: the replacement word.
        old: the word it replaces.

    Returns:
        `new` in the case pattern of `old`.

    Example:
        >>> match_case("automobile", "CAR"), match_case("automobile", "Car"), match_case("automobile", "car")
        ('AUTOMOBILE', 'Automobile', 'automobile')
    """
    if len(old) > 1 and old.isupper():
        return new.upper()
    if old[:1].isupper():
        return new[:1].upper() + new[1:]
    return new


def _merge_seps(a: str, b: str) -> str:
    """The separator left when the word between separators ``a`` and ``b`` is removed."""
    if not a:  # the word started the text
        return b.lstrip()
    if a[-1].isspace():
        if not b:  # the word ended the text
            return a.rstrip()
        if b[0].isspace():
            return a + b.lstrip()
        stripped = a.rstrip()  # "the fox, jumps" -> "the, jumps"
        return stripped + b if stripped else b
    return a + b


def _drop_indices(rng, n: int, p: float) -> list[int]:
    fast = getattr(rng, "bernoulli_indices", None)
    if fast is not None:
        return fast(n, p)
    rand = rng.random
    return [i for i in range(n) if rand() < p]


def delete_words(parts: Parts, p: float, rng) -> tuple[Parts, Info]:
    """Drop each word with probability `p`; never returns no word from a text with words.

    Args:
        parts: the text split by [split_words][loaders.text.tokenizer.split_words].
        p: the per-word probability, in [0, 1].
        rng: a [HashRng][loaders.text.rng.HashRng] or `random.Random`.

    Returns:
        `(new_parts, info)`; `info["deleted"]` lists the dropped word indices.

    Example:
        >>> from loaders.text.rng import HashRng
        >>> from loaders.text.tokenizer import split_words
        >>> out, info = delete_words(split_words("the quick brown fox jumps."), 0.5, HashRng(1))
        >>> "".join(out), info
        ('the brown jumps.', {'deleted': [1, 3]})
    """
    n = len(parts) // 2
    if n <= 1:
        return list(parts), {"deleted": []}
    dropped = _drop_indices(rng, n, p)
    if not dropped:
        return list(parts), {"deleted": dropped}
    return delete_at(parts, dropped, rng), {"deleted": dropped}


def delete_at(parts: Parts, dropped: list[int], rng) -> Parts:
    """Remove the words at the sorted indices `dropped` (all of them: one random word stays).

    Args:
        parts: the split text (not modified).
        dropped: sorted word indices.
        rng: draws the word that stays when every word is dropped.

    Returns:
        The new parts; the separators are tidied.

    Example:
        >>> from loaders.text.rng import HashRng
        >>> from loaders.text.tokenizer import split_words
        >>> "".join(delete_at(split_words("the quick brown fox."), [1, 2], HashRng(0)))
        'the fox.'
    """
    n = len(parts) // 2
    if len(dropped) >= n:
        keep = rng.randrange(n)
        dropped[:] = [i for i in range(n) if i != keep]
    return delete_at_inplace(list(parts), dropped)


def delete_at_inplace(parts: Parts, dropped: list[int]) -> Parts:
    """[delete_at][loaders.text.ops.delete_at] on a list the caller owns (edited in place and returned).

    `dropped` is sorted and leaves at least one word. Each removed word takes its
    right separator with it, and the separator on its left is merged with it (the
    tidying), except that `"a <w> b"` with single spaces keeps the left space as is.

    Args:
        parts: the split text, edited in place.
        dropped: sorted word indices, not all of them.

    Returns:
        `parts`.

    Example:
        >>> from loaders.text.tokenizer import split_words
        >>> "".join(delete_at_inplace(split_words("the quick brown fox."), [1]))
        'the brown fox.'
    """
    shift = 0
    for i in dropped:
        k = 2 * i + 1 - shift
        a = parts[k - 1]
        b = parts[k + 1]
        if b != " " or a[-1:] != " ":
            parts[k - 1] = _merge_seps(a, b)
        del parts[k : k + 2]
        shift += 2
    return parts


def swap_words(parts: Parts, n: int, rng) -> tuple[Parts, Info]:
    """EDA's random swap, `n` times; `info["swaps"]` lists the word-index pairs.

    Args:
        parts: the split text (not modified).
        n: the number of swaps.
        rng: a [HashRng][loaders.text.rng.HashRng] or `random.Random`.

    Returns:
        `(new_parts, info)`.

    Example:
        >>> from loaders.text.rng import HashRng
        >>> from loaders.text.tokenizer import split_words
        >>> out, info = swap_words(split_words("a b c d."), 1, HashRng(3))
        >>> "".join(out), info
        ('d b c a.', {'swaps': [[0, 3]]})
    """
    out = list(parts)
    return out, {"swaps": swap_inplace(out, n, rng)}


def swap_inplace(parts: Parts, n: int, rng) -> list[list[int]]:
    """[swap_words][loaders.text.ops.swap_words] on a list the caller owns (modified in place); returns the swaps.

    Args:
        parts: the split text, edited in place.
        n: the number of swaps.
        rng: a [HashRng][loaders.text.rng.HashRng] (its `swap_pairs` is used) or `random.Random`.

    Returns:
        The swapped word-index pairs.

    Example:
        >>> from loaders.text.rng import HashRng
        >>> from loaders.text.tokenizer import split_words
        >>> parts = split_words("a b c d.")
        >>> swap_inplace(parts, 1, HashRng(3)), "".join(parts)
        ([[0, 3]], 'd b c a.')
    """
    m = len(parts) // 2
    swaps: list[list[int]] = []
    if m < 2:
        return swaps
    fast = getattr(rng, "swap_pairs", None)  # HashRng: the same rule on 32-bit draws (rng.swap_pairs)
    if fast is not None:
        for i, j in fast(m, n):
            a, b = 2 * i + 1, 2 * j + 1
            parts[a], parts[b] = parts[b], parts[a]
            swaps.append([i, j])
        return swaps
    randrange = rng.randrange
    for _ in range(n):
        i = randrange(m)
        j = randrange(m)
        tries = 1
        while j == i and tries < 3:  # EDA's swap_word: at most 3 draws for a distinct index
            j = randrange(m)
            tries += 1
        if j == i:
            continue
        a, b = 2 * i + 1, 2 * j + 1
        parts[a], parts[b] = parts[b], parts[a]
        swaps.append([i, j])
    return swaps


def _has_synonyms(word: str, thesaurus, stop_words) -> tuple[str, ...]:
    low = word.lower()
    if low in stop_words or "'" in word or "\u2019" in word:
        return ()
    return thesaurus.lookup(word)


#: Above this many words, `insert_synonyms` keeps the words in blocks
#: (inserting into one flat list costs time proportional to its length: quadratic on long documents).
BLOCKED_INSERT_WORDS = 2048
_BLOCK = 256


def insert_synonyms(
    parts: Parts, n: int, rng: Any, thesaurus: Any, stop_words: frozenset[str] = frozenset()
) -> tuple[Parts, Info]:
    """EDA's random insertion, `n` times: a synonym of a random word at a random gap.

    Each time, up to 10 random words (of the text as it is then, earlier insertions
    included) are tried until one has synonyms; one of them goes to a random gap
    (`0..words`, where `words` is the gap after the last word: the new word then
    takes the text's final separator). `info["inserted"]` lists `[gap, word]` in the
    order of insertion (gap indices refer to the text at that moment).

    Texts of more than `BLOCKED_INSERT_WORDS` words keep their words in blocks of a
    few hundred, so each insertion costs about the same on a sentence and on a whole
    book; the draws and the output are exactly those of the flat-list form (tested).

    Args:
        parts: the text split by [split_words][loaders.text.tokenizer.split_words].
        n: how many insertions to try.
        rng: a [HashRng][loaders.text.rng.HashRng] or `random.Random`.
        thesaurus: a [Thesaurus][loaders.text.Thesaurus].
        stop_words: lower-case words whose synonyms are never inserted.

    Returns:
        `(new_parts, info)`.

    Example:
        >>> from loaders.text import MappingThesaurus
        >>> from loaders.text.rng import HashRng
        >>> from loaders.text.tokenizer import split_words
        >>> out, info = insert_synonyms(split_words("big dog."), 1, HashRng(0), MappingThesaurus({"big": ["large"]}))
        >>> "".join(out) in ("large big dog.", "big large dog.", "big dog large."), info["inserted"][0][1]
        (True, 'large')
    """
    words = parts[1::2]
    seps = parts[0::2]
    inserted: list[list[Any]] = []
    if not words:
        return list(parts), {"inserted": inserted}
    if len(words) > BLOCKED_INSERT_WORDS:
        return _insert_blocked(words, seps, n, rng, thesaurus, stop_words, inserted), {"inserted": inserted}
    for _ in range(n):
        syns: tuple[str, ...] = ()
        for _try in range(10):
            syns = _has_synonyms(words[rng.randrange(len(words))], thesaurus, stop_words)
            if syns:
                break
        if not syns:
            continue
        syn = syns[rng.randrange(len(syns))]
        gap = rng.randrange(len(words) + 1)
        words.insert(gap, syn)
        seps.insert(gap + 1 if gap < len(words) - 1 else gap, " ")
        inserted.append([gap, syn])
    out = [seps[0]]
    for w, s in zip(words, seps[1:], strict=True):
        out.append(w)
        out.append(s)
    return out, {"inserted": inserted}


def _insert_blocked(
    words: list[str],
    seps: list[str],
    n: int,
    rng: Any,
    thesaurus: Any,
    stop_words: frozenset[str],
    inserted: list[list[Any]],
) -> Parts:
    """`insert_synonyms` on blocks of words: the same draws, the same output.

    Word `i` (counting earlier insertions) sits in block `k = searchsorted(ends, i, "right")`
    at `i - ends[k - 1]`, where `ends` holds the running word counts of the blocks; each
    word is kept with the separator that follows it.
    """
    m = len(words)
    wb = [words[i : i + _BLOCK] for i in range(0, m, _BLOCK)]
    sb = [seps[i + 1 : i + 1 + _BLOCK] for i in range(0, m, _BLOCK)]
    ends = np.cumsum([len(b) for b in wb])
    last = len(wb) - 1
    find = ends.searchsorted
    randrange = rng.randrange
    total = m
    for _ in range(n):
        syns: tuple[str, ...] = ()
        for _try in range(10):
            i = randrange(total)
            k = int(find(i, "right"))
            syns = _has_synonyms(wb[k][i - int(ends[k - 1]) if k else i], thesaurus, stop_words)
            if syns:
                break
        if not syns:
            continue
        syn = syns[randrange(len(syns))]
        gap = randrange(total + 1)
        if gap == total:  # after the last word: it gets a space, the new word the final separator
            k = last
            wb[k].append(syn)
            sb[k].append(sb[k][-1])
            sb[k][-2] = " "
        else:
            k = int(find(gap, "right"))
            j = gap - int(ends[k - 1]) if k else gap
            wb[k].insert(j, syn)
            sb[k].insert(j, " ")
        ends[k:] += 1
        total += 1
        inserted.append([gap, syn])
    out = [seps[0]]
    for wblock, sblock in zip(wb, sb, strict=True):
        for w, s in zip(wblock, sblock, strict=True):
            out.append(w)
            out.append(s)
    return out


def replace_synonyms(
    parts: Parts, n: int, rng, thesaurus, stop_words: frozenset[str] = EDA_STOP_WORDS
) -> tuple[Parts, Info]:
    """EDA's synonym replacement of up to ``n`` distinct non-stop words (all occurrences).

    Words with an apostrophe (contractions, possessives) are never replaced.
    ``info["replaced"]`` lists ``[word_lower, synonym]`` pairs.

    The distinct eligible words (lower case; stop words and apostrophes left out)
    are visited in a uniformly random order, drawn lazily: a partial Fisher-Yates
    shuffle of the word *positions* (step ``t`` swaps slot ``t`` with a uniform
    ``j`` in ``[t, words)``, one ``rng.randrange`` per visited position, or
    ``rng.randrange32`` when it has one, as [HashRng][loaders.text.rng.HashRng] does) in which a
    position counts only if it holds the first occurrence of an eligible word
    (each distinct word has exactly one such position, so the counted positions
    come in a uniform order: EDA's order of the distinct candidates). It stops
    once ``n`` words are replaced, so there is no de-duplication pass and only the
    visited words are looked up.

    Args:
        parts: the split text (not modified).
        n: the most distinct words to replace.
        rng: a [HashRng][loaders.text.rng.HashRng] or `random.Random`.
        thesaurus: a [Thesaurus][loaders.text.Thesaurus].
        stop_words: lower-case words never replaced.

    Returns:
        `(new_parts, info)`.

    Example:
        >>> from loaders.text import MappingThesaurus
        >>> from loaders.text.rng import HashRng
        >>> from loaders.text.tokenizer import split_words
        >>> th = MappingThesaurus({"car": ["automobile"]})
        >>> out, info = replace_synonyms(split_words("The Car and the car."), 1, HashRng(0), th)
        >>> "".join(out), info
        ('The Automobile and the automobile.', {'replaced': [['car', 'automobile']]})
    """
    out = list(parts)
    replaced: list[list[str]] = []
    if n <= 0 or len(parts) < 3:
        return out, {"replaced": replaced}
    lows = [w.lower() for w in parts[1::2]]
    m = len(lows)
    pos = list(range(m))
    draw = getattr(rng, "randrange32", None) or rng.randrange  # HashRng: 32-bit halves, half the mixing
    for t in range(m):
        j = t + draw(m - t)
        i = pos[j]
        pos[j] = pos[t]
        low = lows[i]
        if low in stop_words or "'" in low or "\u2019" in low or lows.index(low) != i:
            continue
        syns = thesaurus.lookup(low)
        if not syns:
            continue
        syn = syns[draw(len(syns))]
        for k in range(i, m):
            if lows[k] == low:
                out[2 * k + 1] = match_case(syn, parts[2 * k + 1])
        replaced.append([low, syn])
        if len(replaced) >= n:
            break
    return out, {"replaced": replaced}


def shuffle_words(parts: Parts, rng, window: int | None = None) -> tuple[Parts, Info]:
    """Permute the words among the word slots (punctuation stays put).

    `window=None` draws a uniform permutation. `window=k` is the local
    shuffle of Lample et al. (2018): word `i` gets the key `i + U(0, k + 1)`
    and the words are sorted by key, so no word moves more than `k` places.

    Args:
        parts: the split text (not modified).
        rng: a [HashRng][loaders.text.rng.HashRng] or `random.Random`.
        window: `None`, or the largest move `k >= 1`.

    Returns:
        `(new_parts, info)`; `info["order"]` is the permutation (new slot `j` holds old word `order[j]`).

    Example:
        >>> from loaders.text.rng import HashRng
        >>> from loaders.text.tokenizer import split_words
        >>> out, info = shuffle_words(split_words("one two three four."), HashRng(1), window=1)
        >>> "".join(out), info
        ('one two four three.', {'order': [0, 1, 3, 2]})
    """
    m = len(parts) // 2
    if window is None:
        order = list(range(m))
        rng.shuffle(order)
    else:
        span = window + 1
        keys = [i + span * rng.random() for i in range(m)]
        order = sorted(range(m), key=keys.__getitem__)
    out = list(parts)
    for j, i in enumerate(order):
        out[2 * j + 1] = parts[2 * i + 1]
    return out, {"order": order}


def shuffle_sentences(text: str, rng) -> tuple[str, Info]:
    """Permute the sentences of `text` (see [split_sentences][loaders.text.tokenizer.split_sentences]).

    The separators between sentences stay in place.

    Args:
        text: any string.
        rng: a [HashRng][loaders.text.rng.HashRng] or `random.Random`.

    Returns:
        `(new_text, info)`; `info["order"]` is the permutation.

    Example:
        >>> from loaders.text.rng import HashRng
        >>> shuffle_sentences("One. Two. Three.", HashRng(1))
        ('Three. One. Two.', {'order': [2, 0, 1]})
    """
    sentences, seps = split_sentences(text)
    order = list(range(len(sentences)))
    if len(sentences) < 2:
        return text, {"order": order}
    rng.shuffle(order)
    pieces = [seps[0]]
    for j, i in enumerate(order):
        pieces.append(sentences[i])
        pieces.append(seps[j + 1])
    return "".join(pieces), {"order": order}


def delete_simple_tokens(tokens: list[str], dropped: list[int]) -> str:
    """[delete_at][loaders.text.ops.delete_at] on a simple text's tokens (word + optional mark, see `is_simple`).

    The rules of `delete_at` reduce to: a dropped word's trailing mark goes to the
    previous kept token (`the fox, jumps` -> `the, jumps`), or, with no kept token
    before it, to a lead string written before the first kept token (`Hi, you` ->
    `, you`); the single spaces go with the dropped tokens.

    Args:
        tokens: `text.split(" ")` of a simple text, a list the caller owns (edited in place).
        dropped: sorted token indices, leaving at least one token.

    Returns:
        The new text.

    Example:
        >>> delete_simple_tokens("the fox, jumps high.".split(" "), [1])
        'the, jumps high.'
    """
    lead = ""
    prev = -2  # the last dropped index seen
    kept = -1  # the last kept index before the current dropped one (-1: none)
    for i in dropped:
        if i - 1 != prev:
            kept = i - 1
        prev = i
        c = tokens[i][-1]  # a word ends with a word character: a mark is exactly the last character
        if c in SIMPLE_PUNCT:
            if kept >= 0:
                tokens[kept] += c
            else:
                lead += c
    for i in reversed(dropped):
        del tokens[i]
    text = " ".join(tokens)
    return lead + " " + text if lead else text
