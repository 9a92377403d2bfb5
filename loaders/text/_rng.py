"""A small counter-based generator for replaying text transforms from a sub-seed.

``random.Random(seed)`` costs several microseconds to seed (Mersenne Twister
state set-up), more than the word operations themselves. :class:`HashRng`
derives block ``i`` of a stream from ``blake2b(seed || i)`` (8 uniforms of 53
bits per block, about 0.1 microsecond each), so seeding is free, and the
stream is the same on every platform and Python version. It offers the three
methods :mod:`loaders.text.ops` uses: ``random()``, ``randrange(n)`` and
``shuffle(list)``, plus the bulk draw ``bernoulli_indices(n, p)`` (one
``shake_128`` call for all the words of a text). Bulk draws use their own
counter-tagged blocks, so they never overlap the scalar stream.

Example:
    >>> a, b = HashRng(7), HashRng(7)
    >>> [a.random() for _ in range(3)] == [b.random() for _ in range(3)]
    True
    >>> 0 <= HashRng(1).randrange(10) < 10
    True
"""

from __future__ import annotations

from hashlib import blake2b, shake_128
from struct import Struct, unpack
from typing import List

__all__ = ["HashRng"]

_MASK64 = (1 << 64) - 1
_UNPACK = Struct("<8Q").unpack
_SCALE = 2.0 ** -53


class HashRng:
    """Uniforms from ``blake2b(seed, counter)``; a ``random.Random`` stand-in for the ops."""

    __slots__ = ("_key", "_counter", "_buf")

    def __init__(self, seed: int) -> None:
        self._key = (int(seed) & _MASK64).to_bytes(8, "little")
        self._counter = 0
        self._buf: List[float] = []

    def _refill(self) -> List[float]:
        digest = blake2b(self._key + self._counter.to_bytes(8, "little"), digest_size=64).digest()
        self._counter += 1
        # popped from the end: reverse so that the stream reads in block order
        self._buf = [(v >> 11) * _SCALE for v in reversed(_UNPACK(digest))]
        return self._buf

    def random(self) -> float:
        """A uniform float in [0, 1) with 53 random bits."""
        buf = self._buf or self._refill()
        return buf.pop()

    def randrange(self, n: int) -> int:
        """A uniform int in [0, n) (bias below n / 2**53, negligible)."""
        buf = self._buf or self._refill()
        return int(buf.pop() * n)

    def _bulk(self, nbytes: int) -> bytes:
        self._counter += 1
        return shake_128(b"bulk" + self._key + self._counter.to_bytes(8, "little")).digest(nbytes)

    def shuffle(self, x: list) -> None:
        """Fisher-Yates shuffle of ``x`` in place (multiply-shift indices, bias below n / 2**64)."""
        m = len(x)
        if m < 2:
            return
        vals = unpack(f"<{m}Q", self._bulk(8 * m))
        for i in range(m - 1, 0, -1):
            j = (vals[i] * (i + 1)) >> 64
            x[i], x[j] = x[j], x[i]

    def bernoulli_indices(self, n: int, p: float) -> List[int]:
        """Indices ``i < n`` drawn independently with probability ``p`` (32-bit resolution:
        the probability is ``round(p * 2**32) / 2**32``)."""
        if n <= 0:
            return []
        thr = int(round(p * 4294967296.0))
        vals = unpack(f"<{n}I", self._bulk(4 * n))
        return [i for i, v in enumerate(vals) if v < thr]
