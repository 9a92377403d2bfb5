"""Counter-based keyed generators: the machinery under `loaders.keys`.

Every keyed draw in the library comes from numpy's `Philox` (a counter-based bit generator, a
10-round block cipher): the *key* (two 64-bit words) names a family of streams and the *counter*
(four 64-bit words, the lowest one incremented per block of four draws) is a position inside it.
A sample's stream is the counter region ``[*, 0, index, epoch]`` under the key ``[seed, stream]``,
so no hashing is needed to derive it, and two samples' streams could only meet after ``2**64``
blocks of draws.

Two ways to obtain such a generator:

* [fresh_generator][loaders._fastkeys.fresh_generator] builds a new, independent
  `numpy.random.Generator` (about 4 microseconds);
* [BatchGenerators][loaders._fastkeys.BatchGenerators] keeps one `Philox` per batch and re-keys it
  for each sample by setting its counter (about 1 microsecond). The generator it returns is shared:
  it is valid until the next ``get``, so a transform must not keep it after ``sample()`` returns
  (the Transform contract: params are plain data).

Batches are keyed by a 64-bit hash of their ordered indices, [hash_indices][loaders._fastkeys.hash_indices]
(one vectorised pass; a pure-Python reference, [hash_indices_reference][loaders._fastkeys.hash_indices_reference],
defines it).

Example:
    >>> gens = BatchGenerators(seed=3, epoch=1, indices=[0, 7, 9])
    >>> float(gens.get(1).random()) == float(fresh_generator(3, 0, 0, 7, 1).random())
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
from numpy.random.bit_generator import ISpawnableSeedSequence

_native: Any
try:
    from . import _hashkeys as _native
except ImportError:  # pragma: no cover - built without a C compiler
    _native = None

__all__ = [
    "MASK64",
    "mix64",
    "fold64",
    "hash_indices",
    "hash_indices_reference",
    "fresh_generator",
    "Rekeyer",
    "BatchGenerators",
    "permutation",
]

#: All 64-bit words.
MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1, _M2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
_U64 = np.uint64


def mix64(z: int) -> int:
    """SplitMix64's finaliser: a bijection of 64-bit words that spreads every input bit.

    Example:
        >>> hex(mix64(1))
        '0x5692161d100b05e5'
    """
    z &= MASK64
    z = ((z ^ (z >> 30)) * _M1) & MASK64
    z = ((z ^ (z >> 27)) * _M2) & MASK64
    return z ^ (z >> 31)


def fold64(value: int) -> int:
    """``value`` itself below ``2**64``; larger ints folded to 64 bits word by word ([mix64][loaders._fastkeys.mix64]).

    Example:
        >>> fold64(5), fold64(2**64) != fold64(0)
        (5, True)
    """
    if value <= MASK64:
        return value
    h = _GOLDEN
    while value:
        h = mix64(h ^ (value & MASK64)) + _GOLDEN
        value >>= 64
    return h & MASK64


def _mix64_array(z: np.ndarray) -> np.ndarray:
    """[mix64][loaders._fastkeys.mix64] over a uint64 array (wrapping arithmetic, in place on ``z``)."""
    z ^= z >> _U64(30)
    z *= _U64(_M1)
    z ^= z >> _U64(27)
    z *= _U64(_M2)
    z ^= z >> _U64(31)
    return z


_POSITIONS = np.zeros(0, _U64)


def _position_tags(n: int) -> np.ndarray:
    """``mix64((j + 1) * GOLDEN)`` for ``j < n`` (cached, grown by doubling)."""
    global _POSITIONS
    if len(_POSITIONS) < n:
        m = max(n, 2 * len(_POSITIONS), 64)
        with np.errstate(over="ignore"):
            tags = np.arange(1, m + 1, dtype=_U64) * _U64(_GOLDEN)
        _POSITIONS = _mix64_array(tags)
    return _POSITIONS[:n]


def hash_indices_reference(indices: Sequence[int]) -> int:
    """The definition of [hash_indices][loaders._fastkeys.hash_indices], one index at a time.

    ``mix64(sum_j mix64(index_j ^ mix64((j + 1) * GOLDEN)) + n * GOLDEN)`` modulo ``2**64``:
    order matters, and so does the length.

    Example:
        >>> hash_indices_reference([1, 2]) != hash_indices_reference([2, 1])
        True
    """
    total = 0
    for j, i in enumerate(indices):
        total += mix64(int(i) ^ mix64((j + 1) * _GOLDEN))
    return mix64(total + len(indices) * _GOLDEN)


def hash_indices(indices: Sequence[int]) -> int:
    """A 64-bit hash of an ordered list of non-negative indices below ``2**64`` (vectorised).

    Equal to [hash_indices_reference][loaders._fastkeys.hash_indices_reference].

    Raises:
        ValueError: an index is negative or does not fit 64 bits.

    Example:
        >>> hash_indices([3, 9, 4]) == hash_indices_reference([3, 9, 4])
        True
    """
    if _native is not None:  # plain ints in [0, 2**64): one C loop (None: numpy ints or bad values)
        h = _native.hash_indices(indices)
        if h is not None:
            return h
    n = len(indices)
    if n <= 4:
        for i in indices:
            if not 0 <= i <= MASK64:
                raise ValueError(f"indices must be in [0, 2**64), got {i!r}")
        return hash_indices_reference(indices)
    try:
        idx = np.array(indices, dtype=_U64)
    except OverflowError:
        bad = next(i for i in indices if not 0 <= int(i) <= MASK64)
        raise ValueError(f"indices must be in [0, 2**64), got {bad!r}") from None
    if idx.ndim != 1:
        raise ValueError(f"indices must be a flat sequence of ints, got shape {idx.shape}")
    idx ^= _position_tags(n)
    total = int(_mix64_array(idx).sum(dtype=_U64))
    return mix64(total + n * _GOLDEN)


class _Key(ISpawnableSeedSequence):
    """Hands `Philox` its key as is (no hashing); spawns through a `SeedSequence` of all the words."""

    __slots__ = ("words",)

    def __init__(self, words: tuple[int, ...]) -> None:
        self.words = words

    def generate_state(self, n_words: int, dtype: Any = np.uint32) -> np.ndarray:
        if n_words != 2 or np.dtype(dtype) != np.uint64:
            raise ValueError(f"_Key serves Philox's key (2 uint64 words), not {n_words} words of {dtype}")
        return np.array(self.words[:2], _U64)

    def spawn(self, n_children: int) -> list[np.random.SeedSequence]:  # type: ignore[override]  # plain children
        return np.random.SeedSequence(list(self.words)).spawn(n_children)

    def __reduce__(self):
        return (_Key, (self.words,))

    def __repr__(self) -> str:
        return f"_Key({self.words!r})"


def fresh_generator(key0: int, key1: int, c1: int, c2: int, c3: int) -> np.random.Generator:
    """A new Philox generator with key ``[key0, key1]`` at counter ``[0, c1, c2, c3]`` (all words < ``2**64``).

    Example:
        >>> a, b = fresh_generator(0, 0, 0, 5, 1), fresh_generator(0, 0, 0, 5, 1)
        >>> float(a.random()) == float(b.random())
        True
    """
    return np.random.Generator(
        np.random.Philox(cast(Any, _Key((key0, key1, c1, c2, c3))), counter=np.array([0, c1, c2, c3], _U64))
    )


class Rekeyer:
    """One Philox generator re-keyed on demand: ``rekey(k0, k1, c2, c3)`` equals ``fresh_generator(k0, k1, 0, c2, c3)``.

    Setting the key and counter costs about a microsecond, against a few for a new generator. The
    object ``rekey`` returns is the same every time: valid until the next ``rekey``.

    Example:
        >>> r = Rekeyer()
        >>> float(r.rekey(1, 0, 5, 2).random()) == float(fresh_generator(1, 0, 0, 5, 2).random())
        True
    """

    def __init__(self) -> None:
        self._counter = np.zeros(4, _U64)
        self._key = np.zeros(2, _U64)
        self._state = {
            "bit_generator": "Philox",
            "state": {"counter": self._counter, "key": self._key},
            "buffer": np.zeros(4, _U64),
            "buffer_pos": 4,
            "has_uint32": 0,
            "uinteger": 0,
        }
        self._bg = np.random.Philox(cast(Any, _Key((0, 0))))  # its state is overwritten by rekey()
        self.generator = np.random.Generator(self._bg)

    def rekey(self, key0: int, key1: int, c2: int, c3: int, c1: int = 0) -> np.random.Generator:
        """Rewind the shared generator to the start of the stream ``key=[key0, key1]``, ``counter=[0, c1, c2, c3]``."""
        self._key[0], self._key[1] = key0, key1
        self._counter[1], self._counter[2], self._counter[3] = c1, c2, c3
        self._bg.state = cast(Any, self._state)  # the setter copies the arrays into the C state
        return self.generator

    def __reduce__(self):
        return (Rekeyer, ())

    def __repr__(self) -> str:
        return "Rekeyer()"


class BatchGenerators:
    """Per-sample generators for one batch: ``get(j)`` equals ``fresh_generator(seed, stream, 0, indices[j], epoch)``.

    One [Rekeyer][loaders._fastkeys.Rekeyer] serves every sample, so only one sample's generator is
    live at a time: the object ``get`` returns is valid until the next ``get``.

    Args:
        seed: the dataset seed (folded to 64 bits when larger).
        epoch: the epoch, in ``[0, 2**64)``.
        indices: the dataset indices of the samples, each in ``[0, 2**64)``.
        stream: the stream tag (``0``: the per-sample stream ``loaders.keys.SAMPLE_STREAM``).

    Example:
        >>> gens = BatchGenerators(seed=0, epoch=2, indices=[4, 5])
        >>> first = float(gens.get(0).random())
        >>> float(gens.get(1).random()) != first, float(gens.get(0).random()) == first
        (True, True)
    """

    def __init__(self, seed: int, epoch: int, indices: Sequence[int], stream: int = 0) -> None:
        self.seed, self.epoch, self.indices, self.stream = seed, epoch, indices, stream
        for name, v in (("epoch", epoch), ("stream", stream)):
            if not 0 <= v <= MASK64:
                raise ValueError(f"{name} must be in [0, 2**64), got {v!r}")
        self._seed = fold64(seed)
        self._rekey = Rekeyer().rekey

    def get(self, j: int) -> np.random.Generator:
        """The generator of sample ``j`` (position in the batch), rewound to its start."""
        i = self.indices[j]
        if not 0 <= i <= MASK64:
            raise ValueError(f"indices must be in [0, 2**64), got {i!r}")
        return self._rekey(self._seed, self.stream, i, self.epoch)

    def first_words(self, n_words: int) -> np.ndarray:
        """The first ``n_words`` raw 64-bit outputs of every sample's stream, all at once.

        Row ``j`` equals ``get(j).bit_generator.random_raw(n_words)``: computed in C for the whole
        batch when the extension is built (about 0.1 microsecond per sample), else sample by sample.
        ``(raw >> 11) * 2**-53`` is what ``Generator.random()`` returns for that word.

        Args:
            n_words: how many words per sample, at least 0.

        Returns:
            A ``(len(self), n_words)`` uint64 array.

        Example:
            >>> g = BatchGenerators(seed=1, epoch=0, indices=[3, 4])
            >>> w = g.first_words(3)
            >>> bool((w[1] == g.get(1).bit_generator.random_raw(3)).all())
            True
        """
        if n_words < 0:
            raise ValueError(f"n_words must be >= 0, got {n_words}")
        idx = self.indices if isinstance(self.indices, list) else list(self.indices)
        out = np.empty((len(idx), n_words), _U64)
        if _native is not None and _native.philox_words(
            out.ctypes.data, self._seed, self.stream, 0, idx, self.epoch, n_words
        ):
            return out
        for j in range(len(idx)):  # numpy ints, or an index out of range: get() checks it
            out[j] = self.get(j).bit_generator.random_raw(n_words)
        return out

    def __len__(self) -> int:
        return len(self.indices)

    def __repr__(self) -> str:
        return (
            f"BatchGenerators(seed={self.seed}, epoch={self.epoch}, indices={list(self.indices)!r}, "
            f"stream={self.stream})"
        )


def permutation(rng: np.random.Generator, n: int, fixed_points: bool = True) -> np.ndarray:
    """``rng.permutation(n)``, redrawn until no entry is its own index unless ``fixed_points``.

    The same draws as numpy's (the result and the generator's state after it are numpy's), in one
    C call where the extension is built: numpy's ``Generator.permutation`` shuffles an ``arange``
    by Fisher-Yates from the end with masked rejection, which the extension repeats on the
    generator's own bit generator (numpy's documented ``capsule`` interface), under its lock.
    Without the extension, or for a generator of another type, numpy draws it.

    Args:
        rng: a numpy ``Generator``.
        n: the length, at least 0.
        fixed_points: allow ``perm[i] == i``; ``False`` redraws the whole permutation until there
            is none (a uniformly random derangement; about e = 2.7 draws on average), except for
            ``n < 2``, which has no derangement and gets the one permutation.

    Returns:
        The permutation, an int64 array.

    Example:
        >>> a, b = np.random.default_rng(4), np.random.default_rng(4)
        >>> permutation(a, 6).tolist() == b.permutation(6).tolist(), a.random() == b.random()
        (True, True)
    """
    if _native is not None and type(rng) is np.random.Generator:
        bits = rng.bit_generator
        out = np.empty(n, dtype=np.int64)
        with bits.lock:
            _native.derangement(bits.capsule, out, fixed_points)
        return out
    perm = rng.permutation(n)
    if fixed_points or n < 2:
        return perm
    ar = np.arange(n)
    while (perm == ar).any():
        perm = rng.permutation(n)
    return perm
