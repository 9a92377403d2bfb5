"""A small, fast generator for replaying text transforms from a sub-seed.

``random.Random(seed)`` costs several microseconds to seed (Mersenne Twister
state set-up), more than the word operations themselves. `HashRng`
seeds for free and is the same on every platform and Python version:

* scalar draws (``random()``, ``randrange(n)``) come from SplitMix64 (Steele,
  Lea and Flood, 2014; passes BigCrush), about 0.3 microsecond each;
  ``randrange32(n)`` uses each output twice (its 32-bit halves);
* ``shuffle(list)`` draws all its indices at once from one ``shake_128`` block
  keyed by the seed and a counter (multiply-shift, bias below n / 2**64);
* ``bernoulli_indices(n, p)`` draws which of ``n`` items fire with probability
  ``p`` by geometric skipping (one 32-bit uniform per success, half a SplitMix64
  output: the law of ``n`` independent Bernoulli(p) trials up to a 2**-32
  resolution), so deleting 10 % of 20 words costs 3 uniforms, 2 mixing steps;
* ``swap_pairs(m, n)`` draws EDA's ``n`` random swaps among ``m`` words from
  32-bit halves of SplitMix64 outputs (usually one mixing step per swap).

These are the methods `loaders.text.ops` uses; any ``random.Random`` also
works there (``bernoulli_indices`` and ``swap_pairs`` are optional).

Example:
    >>> a, b = HashRng(7), HashRng(7)
    >>> [a.random() for _ in range(3)] == [b.random() for _ in range(3)]
    True
    >>> 0 <= HashRng(1).randrange(10) < 10
    True
"""

from __future__ import annotations

import math
from hashlib import shake_128
from struct import unpack

__all__ = ["HashRng", "geometric_indices", "inv_log_q", "swap_pairs"]

_M = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_SCALE = 2.0**-53
_SCALE32 = 2.0**-32


class HashRng:
    """SplitMix64 scalars + `shake_128` bulk blocks; a `random.Random` stand-in for the ops.

    Args:
        seed: any integer (reduced modulo 2**64).

    Example:
        >>> r = HashRng(7)
        >>> r.randrange(10), round(r.random(), 6)
        (3, 0.016788)
    """

    __slots__ = ("_seed", "_state", "_counter", "_spare")

    def __init__(self, seed: int) -> None:
        self._seed = int(seed) & _M
        self._state = self._seed
        self._counter = 0
        self._spare = -1  # the unused low half of the last randrange32 output, if any

    @classmethod
    def from_state(cls, seed: int, state: int) -> HashRng:
        """A generator for ``seed`` whose scalar stream continues from SplitMix64 ``state``."""
        r = cls(seed)
        r._state = state & _M
        return r

    def random(self) -> float:
        """A uniform float in `0, 1) with 53 random bits."""
        self._state = z = (self._state + _GOLDEN) & _M
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M
        return ((z ^ (z >> 31)) >> 11) * _SCALE

    def randrange(self, n: int) -> int:
        """A uniform int in [0, n) (bias below n / 2**53, negligible)."""
        return int(self.random() * n)

    def randrange32(self, n: int) -> int:
        """A uniform int in [0, n) from a 32-bit draw ``h``: ``(h * n) >> 32`` (bias below n / 2**32).

        Each SplitMix64 output gives two draws, its high half, then its low half (the
        spare is kept between calls; the other methods leave it alone), so this costs
        half a mixing step. [replace_synonyms` draws with it.

        Example:
            >>> r = HashRng(3)
            >>> z = HashRng(3).random()  # the same first SplitMix64 output, as 53 bits
            >>> r.randrange32(1 << 20) == int(z * (1 << 20))  # the top 20 bits of the high half
            True
        """
        spare = self._spare
        if spare >= 0:
            self._spare = -1
            return (spare * n) >> 32
        self._state = z = (self._state + _GOLDEN) & _M
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M
        z ^= z >> 31
        self._spare = z & 0xFFFFFFFF
        return ((z >> 32) * n) >> 32

    def _bulk(self, nbytes: int) -> bytes:
        self._counter += 1
        key = self._seed.to_bytes(8, "little") + self._counter.to_bytes(8, "little")
        return shake_128(key).digest(nbytes)

    def shuffle(self, x: list) -> None:
        """Fisher-Yates shuffle of ``x`` in place."""
        m = len(x)
        if m < 2:
            return
        vals = unpack(f"<{m}Q", self._bulk(8 * m))
        for i in range(m - 1, 0, -1):
            j = (vals[i] * (i + 1)) >> 64
            x[i], x[j] = x[j], x[i]

    def bernoulli_indices(self, n: int, p: float) -> list[int]:
        """Sorted indices ``i < n``, each included independently with probability ``p``."""
        if n <= 0 or p <= 0.0:
            return []
        if p >= 1.0:
            return list(range(n))
        return self.geometric_indices(n, inv_log_q(p))

    def swap_pairs(self, m: int, n: int) -> list[tuple[int, int]]:
        """The index pairs of ``n`` EDA swaps among ``m >= 2`` words (see `swap_pairs`)."""
        out, self._state = swap_pairs(self._state, m, n)
        return out

    def geometric_indices(self, n: int, inv_log_q: float) -> list[int]:
        """`bernoulli_indices` with ``inv_log_q = 1 / log(1 - p)`` precomputed (0 < p < 1)."""
        out, self._state = geometric_indices(self._state, n, inv_log_q)
        return out


def inv_log_q(p: float) -> float:
    """``1 / log(1 - p)`` for ``0 < p < 1``, kept finite (at most ``1e300`` in size) for tiny ``p``.

    Args:
        p: a probability in (0, 1).

    Returns:
        `1 / log(1 - p)`, a negative float.

    Example:
        >>> round(inv_log_q(0.5), 6), inv_log_q(5e-324)
        (-1.442695, -1e+300)
    """
    return max(1.0 / math.log1p(-p), -1e300)


def geometric_indices(state: int, n: int, inv_log_q: float) -> tuple[list[int], int]:
    """Bernoulli(p) indices below `n` by geometric skipping from SplitMix64 `state`.

    Each SplitMix64 output gives two gap uniforms (its high and low 32-bit halves,
    `U = 1 - k / 2**32` in (0, 1]): half the mixing work per deleted word. The law is
    that of independent Bernoulli(p) trials up to the 2**-32 resolution of `U` (gaps
    are `floor(log(U) / log(1 - p))`).

    Args:
        state: the SplitMix64 state.
        n: the number of trials.
        inv_log_q: `1 / log(1 - p)` (see [inv_log_q][loaders.text.rng.inv_log_q]).

    Returns:
        `(indices, new_state)`: the sorted indices that fired and the state after the draws.

    Example:
        >>> geometric_indices(1, 20, inv_log_q(0.25))[0]
        [2, 5, 10, 12]
    """
    log = math.log
    out: list[int] = []
    i = -1
    while True:
        state = z = (state + _GOLDEN) & _M
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M
        z ^= z >> 31
        # gap ~ Geometric(p) on {0, 1, ...}: floor(log(U) / log(1 - p)), U in (0, 1]
        i += 1 + int(log(1.0 - (z >> 32) * _SCALE32) * inv_log_q)
        if i >= n:
            return out, state
        out.append(i)
        i += 1 + int(log(1.0 - (z & 0xFFFFFFFF) * _SCALE32) * inv_log_q)
        if i >= n:
            return out, state
        out.append(i)


def swap_pairs(state: int, m: int, n: int) -> tuple[list[tuple[int, int]], int]:
    """The word-index pairs of ``n`` EDA swaps among ``m >= 2`` words, from SplitMix64 ``state``.

    EDA's ``swap_word`` rule (a first index, then at most 3 draws for a different
    second one, else that swap is skipped) on a stream of 32-bit draws: each
    SplitMix64 output gives two (high half, then low half), and a draw ``h`` becomes
    the index ``(h * m) >> 32`` (bias below ``m / 2**32``). A swap usually costs
    one mixing step. `swap_inplace` uses it through
    `HashRng.swap_pairs`.

    Args:
        state: the SplitMix64 state.
        m: the number of words (>= 2).
        n: the number of swaps.

    Returns:
        `(pairs, new_state)`.

    Example:
        >>> swap_pairs(5, 4, 2)[0]
        [(1, 2), (3, 2)]
    """
    pairs: list[tuple[int, int]] = []
    spare = -1  # the unused low half of the last output, if any
    for _ in range(n):
        i = -1
        tries = 0
        while True:
            if spare < 0:
                state = z = (state + _GOLDEN) & _M
                z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M
                z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M
                z ^= z >> 31
                k = ((z >> 32) * m) >> 32
                spare = z & 0xFFFFFFFF
            else:
                k = (spare * m) >> 32
                spare = -1
            if i < 0:
                i = k
                continue
            tries += 1
            if k != i:
                pairs.append((i, k))
                break
            if tries >= 3:
                break
    return pairs, state
