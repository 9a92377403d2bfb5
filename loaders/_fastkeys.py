"""Batched key derivation: the generators of ``keys.sample_rng`` for a whole batch, several times faster.

``sample_rng(seed, epoch, index)`` is ``Generator(Philox(SeedSequence([seed, epoch, index, 0])))``:
about 13 microseconds per sample, mostly Python-level object construction. Here the
SeedSequence hash (numpy's documented, frozen algorithm) is computed for all indices of a
batch at once with vectorised uint32 arithmetic, and one Philox generator per batch is
re-keyed for each sample by setting its state. The draws are bit-identical to
``sample_rng`` (checked once per process against numpy's own ``SeedSequence``; if that
check ever failed, callers fall back to ``sample_rng``, which only costs speed).

The re-keyed generator is shared by the samples of one batch, so a transform must not keep
the generator after ``sample()`` returns (the Transform contract: params are plain data).

Example:
    >>> from loaders.keys import sample_rng
    >>> gens = BatchGenerators(seed=3, epoch=1, indices=[0, 7, 9])
    >>> float(gens.get(1).random()) == float(sample_rng(3, 1, 7).random())
    True
"""

from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np

from .keys import SAMPLE_STREAM, sample_rng

__all__ = ["philox_keys", "BatchGenerators", "fast_keys_ok"]

_M32 = 0xFFFFFFFF
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_U32 = np.uint32
_POOL = 4
_SHIFT = _U32(16)


def _words(n: int) -> List[int]:
    """numpy's ``_int_to_uint32_array``: little-endian 32-bit words, ``[0]`` for zero."""
    if n == 0:
        return [0]
    out = []
    while n:
        out.append(n & _M32)
        n >>= 32
    return out


def _hashmix(v: np.ndarray, hc: int):
    v = v ^ _U32(hc)
    hc = (hc * _MULT_A) & _M32
    v = v * _U32(hc)
    v ^= v >> _SHIFT
    return v, hc


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    r = x * _U32(_MIX_L) - y * _U32(_MIX_R)
    r ^= r >> _SHIFT
    return r


def philox_keys(seed: int, epoch: int, indices: Sequence[int], stream: int = SAMPLE_STREAM) -> Optional[np.ndarray]:
    """Philox keys (shape ``(B, 2)``, uint64) that ``sample_rng`` derives for these indices.

    Returns ``None`` when the batch cannot be vectorised (an index >= 2**32 changes the
    number of entropy words) or is empty.
    """
    idx = np.asarray(indices, dtype=np.int64)
    if idx.size == 0 or int(idx.min()) < 0 or int(idx.max()) > _M32:
        return None
    b = idx.size
    # Constant words are (1,)-shaped and broadcast against the index column.
    cols = [np.array([w], _U32) for w in _words(int(seed)) + _words(int(epoch))]
    cols.append(idx.astype(_U32))
    cols.extend(np.array([w], _U32) for w in _words(int(stream)))
    pool, hc = [], _INIT_A
    for i in range(_POOL):
        v, hc = _hashmix(cols[i] if i < len(cols) else np.zeros(1, _U32), hc)
        pool.append(v)
    for s in range(_POOL):
        for d in range(_POOL):
            if s != d:
                h, hc = _hashmix(pool[s], hc)
                pool[d] = _mix(pool[d], h)
    for s in range(_POOL, len(cols)):
        for d in range(_POOL):
            h, hc = _hashmix(cols[s], hc)
            pool[d] = _mix(pool[d], h)
    out = np.empty((b, _POOL), _U32)
    hc = _INIT_B
    for i in range(_POOL):
        v = np.broadcast_to(pool[i], (b,)) ^ _U32(hc)
        hc = (hc * _MULT_B) & _M32
        v = v * _U32(hc)
        v ^= v >> _SHIFT
        out[:, i] = v
    return out.astype("<u4", copy=False).view("<u8").astype(np.uint64)


_SELF_CHECK: Optional[bool] = None


def fast_keys_ok() -> bool:
    """Once per process: do the vectorised keys match numpy's SeedSequence here?"""
    global _SELF_CHECK
    if _SELF_CHECK is None:
        probe = [(0, 0, 0), (5, 3, 7), (2 ** 63 - 1, 2 ** 40, _M32), (2 ** 40, 1, 12345)]
        ok = True
        for s, e, i in probe:
            want = np.random.SeedSequence([s, e, i, SAMPLE_STREAM]).generate_state(2, np.uint64)
            got = philox_keys(s, e, [i])
            ok = ok and got is not None and bool(np.array_equal(got[0], want))
        _SELF_CHECK = ok
    return _SELF_CHECK


class BatchGenerators:
    """Per-sample generators for one batch, equal to ``sample_rng(seed, epoch, indices[j])``.

    ``get(j)`` re-keys one shared Philox generator (about 3 microseconds) and returns it, so
    only one sample's generator is live at a time. Falls back to ``sample_rng`` per sample when
    the batch cannot be vectorised.
    """

    _ZERO = np.zeros(4, np.uint64)

    def __init__(self, seed: int, epoch: int, indices: Sequence[int]) -> None:
        self.seed, self.epoch, self.indices = seed, epoch, indices
        keys = philox_keys(seed, epoch, indices) if fast_keys_ok() else None
        self._keys = None if keys is None else list(keys)
        if keys is not None:
            self._bg = np.random.Philox(0)  # its state is overwritten by get()
            self._gen = np.random.Generator(self._bg)
            z = self._ZERO  # the setter copies the arrays into the C state, so sharing them is safe
            self._inner = {"counter": z, "key": keys[0]}
            self._state = {"bit_generator": "Philox", "state": self._inner, "buffer": z, "buffer_pos": 4,
                           "has_uint32": 0, "uinteger": 0}

    def get(self, j: int) -> np.random.Generator:
        if self._keys is None:
            return sample_rng(self.seed, self.epoch, self.indices[j])
        self._inner["key"] = self._keys[j]
        self._bg.state = self._state
        return self._gen
