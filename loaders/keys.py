"""Sample keys, keyed random generators and state shared with DataLoader workers.

The generator for sample ``index`` in ``epoch`` under ``seed`` is a pure function
of ``(seed, epoch, index)``. That makes the augmented stream independent of
``num_workers``, worker order, ``persistent_workers`` and world size, and no two
workers can repeat each other's draws (their keys differ).

Batches carry their keys: :class:`KeyedBatch` is a ``list`` subclass that the
batch sampler hands to ``dataset.__getitems__`` (inside the worker) and that
``__getitems__`` hands on to the ``collate_fn``. Its attributes (seed, epoch,
indices, knobs) survive pickling under fork and spawn.

Example:
    >>> rng_a = sample_rng(0, 1, 5)
    >>> rng_b = sample_rng(0, 1, 5)
    >>> float(rng_a.random()) == float(rng_b.random())
    True
    >>> b = KeyedBatch([10, 11], seed=0, epoch=2, indices=[3, 4])
    >>> b.keys
    [SampleKey(seed=0, epoch=2, index=3), SampleKey(seed=0, epoch=2, index=4)]
"""

from __future__ import annotations

import os
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence

import numpy as np
import torch

__all__ = [
    "SampleKey",
    "KeyedBatch",
    "SharedValue",
    "sample_rng",
    "batch_rng",
    "as_generator",
    "SAMPLE_STREAM",
    "COLLATE_STREAM",
    "SHUFFLE_STREAM",
]

#: Domain tags so that per-sample and per-batch streams never coincide.
SAMPLE_STREAM = 0
COLLATE_STREAM = 1
#: Stream of the shuffle order drawn by ``loaders.KeyedBatchSampler``.
SHUFFLE_STREAM = 2
_MASK64 = (1 << 64) - 1


class SampleKey(NamedTuple):
    """The identity of one augmented draw: ``(seed, epoch, index)``."""

    seed: int
    epoch: int
    index: int


def _u64(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__})")
    value = int(value)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value & _MASK64


def sample_rng(seed: int, epoch: int, index: int, stream: int = SAMPLE_STREAM) -> np.random.Generator:
    """Generator for one sample, a pure function of ``(seed, epoch, index, stream)``.

    A Philox generator seeded through ``SeedSequence`` (about 13 microseconds);
    distinct keys give statistically independent streams.
    """
    key = [_u64(seed, "seed"), _u64(epoch, "epoch"), _u64(index, "index"), _u64(stream, "stream")]
    ss = np.random.SeedSequence(key)
    return np.random.Generator(np.random.Philox(ss))


def batch_rng(keys: Sequence[SampleKey], stream: int = COLLATE_STREAM, salt: int = 0) -> np.random.Generator:
    """Generator for a whole batch, a pure function of its sample keys (and order).

    ``salt`` lets a collate mix in a seed of its own.
    """
    if len(keys) == 0:
        raise ValueError("batch_rng needs at least one sample key, got an empty batch")
    entropy: List[int] = [_u64(stream, "stream"), _u64(salt, "salt"), _u64(keys[0].seed, "seed"),
                          _u64(keys[0].epoch, "epoch")]
    entropy.extend(_u64(k.index, "index") for k in keys)
    return np.random.Generator(np.random.Philox(np.random.SeedSequence(entropy)))


def as_generator(rng: Any) -> np.random.Generator:
    """Accept ``None`` (fresh OS entropy), an int seed, or a ``numpy.random.Generator``."""
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"rng must be None, an int seed or a numpy.random.Generator, got {rng!r} ({type(rng).__name__})"
    )


class KeyedBatch(list):
    """A list (of indices, or of samples) that carries the batch's keys.

    Attributes:
        seed: the dataset seed.
        epoch: the epoch the batch belongs to (bound when it was dispatched).
        indices: the dataset indices of the samples, in batch order.
        knobs: values bound at dispatch, e.g. ``{"strength": 0.7}``.
    """

    def __init__(
        self,
        items: Iterable[Any] = (),
        *,
        seed: int = 0,
        epoch: int = 0,
        indices: Optional[Sequence[int]] = None,
        knobs: Optional[Mapping[str, float]] = None,
    ) -> None:
        super().__init__(items)
        self.seed = int(seed)
        self.epoch = int(epoch)
        self.indices = [int(i) for i in (indices if indices is not None else self)]
        self.knobs: Dict[str, float] = dict(knobs or {})

    @property
    def keys(self) -> List[SampleKey]:
        """One :class:`SampleKey` per sample."""
        return [SampleKey(self.seed, self.epoch, i) for i in self.indices]

    def with_items(self, items: Iterable[Any]) -> "KeyedBatch":
        """A new batch with the same keys and knobs holding ``items``."""
        return KeyedBatch(items, seed=self.seed, epoch=self.epoch, indices=self.indices, knobs=self.knobs)

    def __reduce__(self):
        return (_rebuild_keyed_batch, (list(self), self.seed, self.epoch, self.indices, self.knobs))

    def __repr__(self) -> str:
        return (f"KeyedBatch({list.__repr__(self)}, seed={self.seed}, epoch={self.epoch}, "
                f"indices={self.indices}, knobs={self.knobs})")


def _rebuild_keyed_batch(items, seed, epoch, indices, knobs):
    return KeyedBatch(items, seed=seed, epoch=epoch, indices=indices, knobs=knobs)


class SharedValue:
    """A number in shared memory that every DataLoader worker sees.

    Backed by a one-element ``float64`` tensor with ``share_memory_()``. The
    DataLoader sends datasets to workers with ``multiprocessing``'s pickler, which
    shares (not copies) the storage under both fork and spawn, so updates made in
    the main process reach persistent workers. A plain ``pickle.dumps`` copies the
    current value.

    Example:
        >>> v = SharedValue(0.5)
        >>> v.set(0.25); v.get()
        0.25
    """

    def __init__(self, value: float = 0.0) -> None:
        self._t = torch.zeros(1, dtype=torch.float64)
        self._t.share_memory_()
        self.set(value)

    def get(self) -> float:
        return float(self._t[0])

    def set(self, value: float) -> None:
        self._t[0] = float(value)

    @property
    def value(self) -> float:
        return self.get()

    def __repr__(self) -> str:
        return f"SharedValue({self.get()!r})"
