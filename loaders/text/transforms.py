"""Text transforms: thin classes that validate, sample a sub-seed, and call `ops`.

Every transform takes a ``str`` and returns a ``str``. Which words are touched
depends on the text, which [sample][loaders.Transform.sample] does not see, so
``sample`` draws plain params ``{"apply": bool, "seed": int}`` (plus the chosen
operation for `EDA`), and ``apply`` replays them deterministically with
a local counter-based generator ([HashRng][loaders.text.rng.HashRng], seeded
for free, unlike ``random.Random``). `StringTransform.explain` returns what an
application did (positions, words), for logging.

Non-``str`` input (``None``, ``bytes``, numbers) raises ``TypeError`` naming
the type, whether or not the transform fires. Empty text, text without words,
a single word and stop-words-only text never crash, and a text with words never
comes back without any.

Adaptive strength scales the probability of applying (``p * strength``).

Example:
    >>> t = RandomSwap(alpha=0.2)
    >>> out = t("The quick brown fox jumps over the lazy dog.", rng=0)
    >>> sorted(out.rstrip(".").split()) == sorted("The quick brown fox jumps over the lazy dog".split())
    True
    >>> EDA()("A tiny example sentence.", rng=3) != ""
    True
"""

from __future__ import annotations

import abc
import math
from collections.abc import Iterable
from typing import Any

from ..keys import as_generator
from ..validation import check_int, check_number, check_probability
from . import ops
from .base import SEED_SCALE, StringTransform, check_text
from .rng import HashRng, inv_log_q, swap_pairs
from .thesaurus import Thesaurus, default_thesaurus
from .tokenizer import SIMPLE_PUNCT, join_words, match_simple, split_words

_split = split_words

__all__ = [
    "WordShuffle",
    "SentenceShuffle",
    "SynonymReplacement",
    "RandomInsertion",
    "RandomDeletion",
    "RandomSwap",
    "EDA",
    "check_text",
]

_M64 = (1 << 64) - 1
_SCALE32 = 2.0**-32
_BASE_LOOKUP = Thesaurus.lookup
_log = math.log


def _check_alpha(name: str, value: Any, owner: str) -> float:
    return check_number(name, value, low=0.0, high=1.0, owner=owner)


def _check_thesaurus(th: Any, owner: str) -> Thesaurus:
    if th is None:
        return default_thesaurus()
    if not isinstance(th, Thesaurus):
        raise TypeError(
            f"{owner}: thesaurus must be None (the shipped WordNet table) or a "
            f"loaders.text.Thesaurus (e.g. MappingThesaurus(dict)), got {type(th).__name__}"
        )
    return th


def _check_stop_words(sw: Any, owner: str) -> frozenset[str]:
    if sw is None:
        return ops.EDA_STOP_WORDS
    if isinstance(sw, str) or not isinstance(sw, Iterable):
        raise TypeError(f"{owner}: stop_words must be None (EDA's list) or a collection of str, got {sw!r}")
    out = []
    for w in sw:
        if not isinstance(w, str):
            raise TypeError(f"{owner}: stop_words must hold str, got {w!r}")
        out.append(w.lower())
    return frozenset(out)


class _Lexicon:
    """Mixin: the validated `thesaurus`, `_stop` (the lower-cased set) and `stop_words` (for `repr`)."""

    thesaurus: Thesaurus
    _stop: frozenset[str]
    stop_words: list[str] | None

    def _set_lexicon(self, thesaurus: Any, stop_words: Any, owner: str) -> None:
        self.thesaurus = _check_thesaurus(thesaurus, owner)
        self._stop = _check_stop_words(stop_words, owner)
        self.stop_words = None if stop_words is None else sorted(self._stop)


class _WordOp(StringTransform):
    @abc.abstractmethod
    def _op(self, parts: list[str], rng: HashRng) -> tuple[list[str], dict[str, Any]]:
        """The word operation on split parts: `(new_parts, info)`."""

    def apply(self, x: Any, params: dict[str, Any]) -> str:
        # the hot path, flattened: type check, split, op, join
        if x.__class__ is not str:
            check_text(x, type(self).__name__)
        if not params.get("apply", True):
            return x
        parts = _split(x)
        if len(parts) < 3:
            return x
        return "".join(self._op(parts, HashRng(params["seed"]))[0])

    def _run(self, x, params, rng):
        parts = _split(x)
        if len(parts) < 3:
            return x, {}
        new, info = self._op(parts, rng)
        return join_words(new), info


class RandomDeletion(_WordOp):
    """Drop each word independently with probability ``p_word`` (EDA's random deletion).

    A one-word text is left alone; when every word would go, one random word is
    kept, so a text with words never comes back without one. Punctuation is
    kept; the spacing around a removed word is tidied.

    The per-word probability is `p_word`, the first positional argument, so
    `RandomDeletion(0.1)` drops 10 % of the words; `p` is, as for every
    transform, the probability of applying at all.

    Args:
        p_word: probability of dropping each word, in [0, 1]. EDA's ``p_rd``, 0.1.
        p: probability of applying the transform to a sample.

    Raises:
        TypeError: `p_word` is not a number (when applied: the sample is not a str).
        ValueError: `p_word` or `p` outside [0, 1].

    Example:
        >>> out = RandomDeletion(p_word=1.0)("Keep exactly one word", rng=0)
        >>> len(out.split()), out in "Keep exactly one word"
        (1, True)
    """

    def __init__(self, p_word: float = 0.1, p: float = 1.0) -> None:
        super().__init__(p=p)
        self.p_word = check_probability("p_word", p_word, owner="RandomDeletion")
        # 1 / log(1 - p_word) for the geometric skips; 0.0 when p_word == 0 (nothing to do), None when 1
        self._inv_log_q = 0.0 if self.p_word <= 0.0 else inv_log_q(self.p_word) if self.p_word < 1.0 else None

    def apply(self, x: Any, params: dict[str, Any]) -> str:
        """Replay `params` on the text `x` (the same output as `explain(x, params)["output"]`)."""
        # The hot path, the same draws and output as explain() (ops.delete_words on the
        # split parts, tested property by property): the word count comes first, the
        # deletion draws are rng.geometric_indices inlined, a text without deletions comes
        # back as is, and a simple text (tokenizer.is_simple) is edited as space-separated
        # tokens without the regex split.
        if x.__class__ is not str:
            check_text(x, "RandomDeletion")
        inv = self._inv_log_q
        if not params.get("apply", True) or inv == 0.0:
            return x
        if x.isascii() and match_simple(x) is not None:
            parts = None
            n = x.count(" ") + 1
        else:
            parts = _split(x)
            n = len(parts) >> 1
        if n <= 1:
            return x
        seed = state = int(params["seed"]) & _M64
        if inv is None:  # p_word == 1
            dropped = list(range(n))
        else:  # = rng.geometric_indices(seed, n, inv), inlined (one call less per sentence)
            dropped = []
            i = -1
            m64, log, scale = _M64, _log, _SCALE32  # locals: cheaper than globals in the loop
            while True:
                state = z = (state + 0x9E3779B97F4A7C15) & m64
                z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m64
                z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m64
                z ^= z >> 31
                i += 1 + int(log(1.0 - (z >> 32) * scale) * inv)
                if i >= n:
                    break
                dropped.append(i)
                i += 1 + int(log(1.0 - (z & 0xFFFFFFFF) * scale) * inv)
                if i >= n:
                    break
                dropped.append(i)
            if not dropped:
                return x
        if len(dropped) >= n:  # every word went: one random word stays (the same stream goes on)
            keep = HashRng.from_state(seed, state).randrange(n)
            dropped = [i for i in range(n) if i != keep]
        if parts is not None:  # parts is fresh from the split: edit it in place
            return "".join(ops.delete_at_inplace(parts, dropped))
        return ops.delete_simple_tokens(x.split(" "), dropped)

    def _op(self, parts, rng):
        return ops.delete_words(parts, self.p_word, rng)


class RandomSwap(_WordOp):
    """Swap two random words, ``n = max(1, floor(alpha * words))`` times (EDA's random swap).

    Args:
        alpha: fraction of the words, in [0, 1] (0 disables). EDA's ``alpha_rs``, 0.1.
        p: probability of applying.

    Raises:
        TypeError: `alpha` is not a number (when applied: the sample is not a str).
        ValueError: `alpha` or `p` outside [0, 1].

    Example:
        >>> out = RandomSwap(alpha=0.25)("one two three four.", rng=1)
        >>> sorted(out.rstrip(".").split()) == sorted("one two three four".split())
        True
    """

    def __init__(self, alpha: float = 0.1, p: float = 1.0) -> None:
        super().__init__(p=p)
        self.alpha = _check_alpha("alpha", alpha, "RandomSwap")

    def apply(self, x: Any, params: dict[str, Any]) -> str:
        """Replay `params` on the text `x` (the same output as `explain(x, params)["output"]`)."""
        # The hot path, the same draws and output as explain() (ops.swap_words on the split
        # parts; tested): the swap draws are inlined (rng.swap_pairs), and a simple text
        # (tokenizer.is_simple) swaps the words of its space-separated tokens, each keeping
        # its own trailing mark, without the regex split.
        if x.__class__ is not str:
            check_text(x, "RandomSwap")
        if not params.get("apply", True):
            return x
        if x.isascii() and match_simple(x) is not None:
            tokens = x.split(" ")
            m = len(tokens)
            alpha = self.alpha
            if alpha <= 0.0 or m < 2:
                return x
            n = int(alpha * m + 1e-9) or 1  # = ops.eda_count(alpha, m), inlined (positive: int is floor)
            for i, j in swap_pairs(int(params["seed"]) & _M64, m, n)[0]:
                a, b = tokens[i], tokens[j]
                wa, wb = a.rstrip(SIMPLE_PUNCT), b.rstrip(SIMPLE_PUNCT)
                tokens[i] = wb + a[len(wa) :]
                tokens[j] = wa + b[len(wb) :]
            return " ".join(tokens)
        parts = _split(x)
        m = len(parts) >> 1
        n = ops.eda_count(self.alpha, m)
        if n == 0 or m < 2:
            return x
        for i, j in swap_pairs(int(params["seed"]) & _M64, m, n)[0]:
            a, b = 2 * i + 1, 2 * j + 1
            parts[a], parts[b] = parts[b], parts[a]
        return "".join(parts)

    def _op(self, parts, rng):
        return ops.swap_words(parts, ops.eda_count(self.alpha, len(parts) // 2), rng)


class SynonymReplacement(_Lexicon, _WordOp):
    """Replace ``n = max(1, floor(alpha * words))`` distinct non-stop words by synonyms (EDA).

    Every occurrence of a chosen word is replaced (as in EDA), keeping its case
    (``Car -> Automobile``, ``CAR -> AUTOMOBILE``) and inflection (``cars ->
    automobiles``, ``ran -> went``). Stop words (EDA's list by default) and
    words with apostrophes (``don't``) are never replaced. Fewer than ``n``
    words change when fewer candidates have synonyms.

    Args:
        alpha: fraction of the words, in [0, 1] (0 disables). EDA's ``alpha_sr``, 0.1.
        thesaurus: a [Thesaurus][loaders.text.Thesaurus]; ``None`` is the shipped WordNet table.
        stop_words: words never replaced; ``None`` is EDA's list (``ops.EDA_STOP_WORDS``).
        p: probability of applying.

    Raises:
        TypeError: `thesaurus` or `stop_words` has the wrong type (when applied: the sample is not a str).
        ValueError: `alpha` or `p` outside [0, 1].

    Example:
        >>> from loaders.text import MappingThesaurus
        >>> t = SynonymReplacement(alpha=0.5, thesaurus=MappingThesaurus({"car": ["automobile"]}))
        >>> t("The Cars.", rng=0)
        'The Automobiles.'
    """

    def __init__(
        self,
        alpha: float = 0.1,
        thesaurus: Thesaurus | None = None,
        stop_words: Iterable[str] | None = None,
        p: float = 1.0,
    ) -> None:
        super().__init__(p=p)
        self.alpha = _check_alpha("alpha", alpha, "SynonymReplacement")
        self._set_lexicon(thesaurus, stop_words, "SynonymReplacement")

    def apply(self, x: Any, params: dict[str, Any]) -> str:
        """Replay `params` on the text `x` (the same output as `explain(x, params)["output"]`)."""
        # The hot path, the same draws and output as explain() (ops.replace_synonyms with
        # HashRng; tested): the lazy partial Fisher-Yates over the word positions draws its
        # indices from SplitMix64 inlined (HashRng.randrange32: 32-bit halves), so a
        # sentence costs one split, one lower() and a few mixing steps, with no
        # de-duplication pass (a position counts only if it holds a word's first occurrence).
        if x.__class__ is not str:
            check_text(x, "SynonymReplacement")
        alpha = self.alpha
        if not params.get("apply", True) or alpha <= 0.0:
            return x
        parts = _split(x)
        if len(parts) < 3:
            return x
        if x.isascii():  # one lower() for all the words (ASCII: per-word lower is the same, no word holds a space)
            lows = " ".join(parts[1::2]).lower().split(" ")
        else:
            lows = list(map(str.lower, parts[1::2]))
        n = int(alpha * len(lows) + 1e-9) or 1  # = ops.eda_count(alpha, words), inlined (positive: int is floor)
        stop = self._stop
        quote = "'" in x or "\u2019" in x  # words with an apostrophe are never replaced
        th = self.thesaurus
        lookup = th.lookup
        # Thesaurus.lookup's own memo, read directly when lookup is not overridden: a hit
        # skips the method call (the memo is keyed (word, pos); the lower-case word has the
        # same synonyms as any casing of it)
        memo = th.__dict__.get("_cache") if th.__class__.lookup is _BASE_LOOKUP else None
        m = len(lows)
        pos = list(range(m))
        index = lows.index
        state = int(params["seed"]) & _M64
        m64 = _M64
        spare = -1  # HashRng.randrange32 inlined: the high half of each output, then its low half
        done = 0
        for t in range(m):
            if spare < 0:
                state = z = (state + 0x9E3779B97F4A7C15) & m64
                z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m64
                z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m64
                z ^= z >> 31
                spare = z & 0xFFFFFFFF
                j = t + (((z >> 32) * (m - t)) >> 32)
            else:
                j = t + ((spare * (m - t)) >> 32)
                spare = -1
            i = pos[j]
            pos[j] = pos[t]
            low = lows[i]
            if low in stop or (quote and ("'" in low or "\u2019" in low)) or index(low) != i:
                continue  # a stop word, a contraction, or not the first occurrence of its word
            syns = memo.get((low, None)) if memo is not None else None
            if syns is None:
                syns = lookup(low)
            if not syns:
                continue
            if spare < 0:
                state = z = (state + 0x9E3779B97F4A7C15) & m64
                z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m64
                z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m64
                z ^= z >> 31
                spare = z & 0xFFFFFFFF
                syn = syns[((z >> 32) * len(syns)) >> 32]
            else:
                syn = syns[(spare * len(syns)) >> 32]
                spare = -1
            c = lows.count(low)  # every occurrence (C-level scans instead of a Python loop), i the first
            while True:
                old = parts[2 * i + 1]
                parts[2 * i + 1] = (
                    syn.upper()
                    if len(old) > 1 and old.isupper()
                    # = ops.match_case
                    else syn[:1].upper() + syn[1:]
                    if old[:1].isupper()
                    else syn
                )
                c -= 1
                if not c:
                    break
                i = index(low, i + 1)
            done += 1
            if done >= n:
                break
        return "".join(parts)

    def _op(self, parts, rng):
        n = ops.eda_count(self.alpha, len(parts) // 2)
        return ops.replace_synonyms(parts, n, rng, self.thesaurus, self._stop)


class RandomInsertion(_Lexicon, _WordOp):
    """Insert a synonym of a random word at a random position, ``n = max(1, floor(alpha * words))`` times (EDA).

    Each time, up to 10 random words are tried until one has synonyms (stop
    words and contractions have none); if none has, nothing is inserted that time.

    Args:
        alpha: fraction of the words, in [0, 1] (0 disables). EDA's ``alpha_ri``, 0.1.
        thesaurus: a [Thesaurus][loaders.text.Thesaurus]; ``None`` is the shipped WordNet table.
        stop_words: words whose synonyms are never inserted; ``None`` is EDA's list.
        p: probability of applying.

    Raises:
        TypeError: `thesaurus` or `stop_words` has the wrong type (when applied: the sample is not a str).
        ValueError: `alpha` or `p` outside [0, 1].

    Example:
        >>> from loaders.text import MappingThesaurus
        >>> t = RandomInsertion(alpha=0.5, thesaurus=MappingThesaurus({"car": ["automobile"]}))
        >>> t("The red car.", rng=0)
        'The red automobile car.'
    """

    def __init__(
        self,
        alpha: float = 0.1,
        thesaurus: Thesaurus | None = None,
        stop_words: Iterable[str] | None = None,
        p: float = 1.0,
    ) -> None:
        super().__init__(p=p)
        self.alpha = _check_alpha("alpha", alpha, "RandomInsertion")
        self._set_lexicon(thesaurus, stop_words, "RandomInsertion")

    def _op(self, parts, rng):
        n = ops.eda_count(self.alpha, len(parts) // 2)
        return ops.insert_synonyms(parts, n, rng, self.thesaurus, self._stop)


class WordShuffle(_WordOp):
    """Shuffle the words (punctuation stays in place).

    Args:
        window: ``None`` shuffles all the words of the text uniformly; an int
            ``k >= 1`` is a local shuffle where no word moves more than ``k``
            places (keys ``i + U(0, k + 1)``, Lample et al. 2018).
        p: probability of applying.

    Raises:
        TypeError: `window` is not an int (when applied: the sample is not a str).
        ValueError: `window` < 1, or `p` outside [0, 1].

    Example:
        >>> out = WordShuffle()("one two three four.", rng=0)
        >>> out, sorted(out.rstrip(".").split()) == sorted("one two three four".split())
        ('three four two one.', True)
    """

    def __init__(self, window: int | None = None, p: float = 1.0) -> None:
        super().__init__(p=p)
        self.window = None if window is None else check_int("window", window, low=1, owner="WordShuffle")

    def _op(self, parts, rng):
        return ops.shuffle_words(parts, rng, self.window)


class SentenceShuffle(StringTransform):
    """Shuffle the sentences of a text; the whitespace between them stays in place.

    Sentences end at ``. ! ? …`` (and CJK ``。！？``) followed by whitespace,
    except after common abbreviations (``Dr.``, ``e.g.``) and initials.

    Args:
        p: probability of applying.

    Raises:
        ValueError: `p` outside [0, 1] (when applied, `TypeError`: the sample is not a str).

    Example:
        >>> out = SentenceShuffle()("One. Two. Three.", rng=1)
        >>> sorted(out.split())
        ['One.', 'Three.', 'Two.']
    """

    def __init__(self, p: float = 1.0) -> None:
        super().__init__(p=p)

    def _run(self, x, params, rng):
        return ops.shuffle_sentences(x, rng)


class EDA(_Lexicon, StringTransform):
    """Easy Data Augmentation (Wei and Zou, 2019): one of its four operations per call.

    Each application draws one operation uniformly among the enabled ones
    (those with a non-zero parameter): synonym replacement, random insertion,
    random swap, random deletion. Over many draws this is the paper's mix,
    whose ``eda()`` makes the same number of sentences per operation. For the
    paper's "``num_aug`` variants of one sentence", use `variants`.

    Args:
        alpha_sr: synonym replacement fraction (paper: 0.1).
        alpha_ri: random insertion fraction (paper: 0.1).
        alpha_rs: random swap fraction (paper: 0.1).
        p_rd: random deletion per-word probability (paper: 0.1).
        thesaurus: synonym source, ``None`` for the shipped WordNet table.
        stop_words: ``None`` for EDA's list.
        p: probability of applying.

    Raises:
        TypeError: `thesaurus` or `stop_words` has the wrong type (when applied: the sample is not a str).
        ValueError: a parameter outside [0, 1], or all four operations disabled.

    Example:
        >>> import numpy as np
        >>> t = EDA()
        >>> params = t.sample(np.random.default_rng(0))
        >>> params["op"] in ("sr", "ri", "rs", "rd")
        True
    """

    OPS = ("sr", "ri", "rs", "rd")

    def __init__(
        self,
        alpha_sr: float = 0.1,
        alpha_ri: float = 0.1,
        alpha_rs: float = 0.1,
        p_rd: float = 0.1,
        thesaurus: Thesaurus | None = None,
        stop_words: Iterable[str] | None = None,
        p: float = 1.0,
    ) -> None:
        super().__init__(p=p)
        self.alpha_sr = _check_alpha("alpha_sr", alpha_sr, "EDA")
        self.alpha_ri = _check_alpha("alpha_ri", alpha_ri, "EDA")
        self.alpha_rs = _check_alpha("alpha_rs", alpha_rs, "EDA")
        self.p_rd = check_probability("p_rd", p_rd, owner="EDA")
        self._set_lexicon(thesaurus, stop_words, "EDA")
        self._ops = {
            "sr": SynonymReplacement(self.alpha_sr, self.thesaurus, stop_words),
            "ri": RandomInsertion(self.alpha_ri, self.thesaurus, stop_words),
            "rs": RandomSwap(self.alpha_rs),
            "rd": RandomDeletion(self.p_rd),
        }
        self.enabled = [k for k, v in zip(self.OPS, (alpha_sr, alpha_ri, alpha_rs, p_rd), strict=True) if v > 0]
        if not self.enabled:
            raise ValueError("EDA: at least one of alpha_sr, alpha_ri, alpha_rs, p_rd must be > 0, got all 0")

    def _sample(self, rng, strength):
        op = self.enabled[int(rng.integers(len(self.enabled)))]
        return {"op": op, "seed": int(rng.random() * SEED_SCALE)}

    def _run(self, x, params, rng):
        out, info = self._ops[params["op"]]._run(x, params, rng)
        return out, {"op": params["op"], **info}

    def variants(self, x: str, num_aug: int = 9, rng: Any = None) -> list[str]:
        """The paper's ``eda(sentence, num_aug)``: ``num_aug`` augmented copies of ``x``.

        ``ceil``-ish like the reference: ``num_aug // 4 + 1`` sentences per enabled
        operation, shuffled, the first ``num_aug`` kept (the original is not appended).
        """
        check_text(x, "EDA.variants")
        num_aug = check_int("num_aug", num_aug, low=1, owner="EDA.variants")
        g = as_generator(rng)
        out = []
        per_op = num_aug // 4 + 1
        for op in self.enabled:
            for _ in range(per_op):
                params = {"apply": True, "op": op, "seed": int(g.random() * SEED_SCALE)}
                out.append(self.apply(x, params))
        order = g.permutation(len(out))
        return [out[i] for i in order[:num_aug]]

    def __repr__(self) -> str:
        return (
            f"EDA(alpha_sr={self.alpha_sr}, alpha_ri={self.alpha_ri}, alpha_rs={self.alpha_rs}, "
            f"p_rd={self.p_rd}, thesaurus={self.thesaurus!r}, stop_words={self.stop_words!r}, p={self.p})"
        )
