"""Sample keys, keyed random generators and state shared with DataLoader workers.

The generator for sample ``index`` in ``epoch`` under ``seed`` is a pure function of
``(seed, epoch, index)``. That makes the augmented stream independent of ``num_workers``,
worker order, ``persistent_workers`` and world size, and no two workers can repeat each
other's draws (their keys differ).

Derivation: numpy's counter-based `Philox` bit generator with the key ``[seed, stream]`` starts
at the counter ``[0, 0, index, epoch]`` (the lowest counter word counts the blocks drawn). Distinct
keys or counters give independent streams by construction of the cipher, and no hashing is
needed, so a generator costs a few microseconds; re-keying one shared generator per batch (what
the dataset wrappers do) costs about one. A batch's generator ([batch_rng][loaders.keys.batch_rng])
starts at ``[0, salt, hash(indices), epoch]`` under the key ``[seed, 2**63 + stream]``.

Batches carry their keys: [KeyedBatch][loaders.keys.KeyedBatch] is a ``list`` subclass that the
batch sampler hands to ``dataset.__getitems__`` (inside the worker) and that ``__getitems__``
hands on to the ``collate_fn``. Its attributes (seed, epoch, indices, knobs) survive pickling
under fork and spawn.

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

import numbers
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import torch

from ._fastkeys import MASK64, BatchGenerators, Rekeyer, fold64, fresh_generator, hash_indices, permutation

__all__ = [
    "SampleKey",
    "KeyedBatch",
    "SharedValue",
    "SampleGenerators",
    "sample_rng",
    "rekeyed_sample_rng",
    "batch_rng",
    "as_generator",
    "permutation",
    "SAMPLE_STREAM",
    "COLLATE_STREAM",
    "SHUFFLE_STREAM",
    "BATCH_STAGE_STREAM",
]

#: Stream of the per-sample transforms in the dataset wrappers.
SAMPLE_STREAM = 0
#: Stream of the mixing collates' batch draws.
COLLATE_STREAM = 1
#: Stream of the shuffle order drawn by ``loaders.KeyedBatchSampler``.
SHUFFLE_STREAM = 2
#: Stream of the per-sample draws of a collate's batch stage (``batch_transforms=``).
BATCH_STAGE_STREAM = 3
_BATCH_DOMAIN = 1 << 63

#: Per-sample generators of one batch, re-keying one shared generator (see ``loaders._fastkeys``).
SampleGenerators = BatchGenerators


class SampleKey(NamedTuple):
    """The identity of one augmented draw: ``(seed, epoch, index)``."""

    seed: int
    epoch: int
    index: int  # type: ignore[assignment]  # shadows tuple.index: the field name is public API


def _word(value: Any, name: str) -> int:
    """A non-negative int below ``2**64`` (``TypeError``/``ValueError`` naming ``name`` otherwise)."""
    if type(value) is int and 0 <= value <= MASK64:
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__})")
    value = int(value)
    if not 0 <= value <= MASK64:
        raise ValueError(f"{name} must be in [0, 2**64), got {value}")
    return value


def _seed_word(value: Any) -> int:
    if type(value) is int and 0 <= value <= MASK64:
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"seed must be an int, got {value!r} ({type(value).__name__})")
    if value < 0:
        raise ValueError(f"seed must be >= 0, got {value}")
    return fold64(int(value))


def sample_rng(seed: int, epoch: int, index: int, stream: int = SAMPLE_STREAM) -> np.random.Generator:
    """A new generator for one sample, a pure function of ``(seed, epoch, index, stream)``.

    Philox with the key ``[seed, stream]`` at the counter ``[0, 0, index, epoch]`` (seeds of
    ``2**64`` and above are folded to 64 bits); distinct keys give independent streams.

    Args:
        seed: a non-negative int.
        epoch: an int in ``[0, 2**64)``.
        index: an int in ``[0, 2**64)``.
        stream: a tag in ``[0, 2**63)`` separating uses of the same key, e.g.
            [SAMPLE_STREAM][loaders.keys.SAMPLE_STREAM].

    Returns:
        A fresh `numpy.random.Generator`, independent of every other one.

    Raises:
        TypeError: an argument is not an int.
        ValueError: an argument is negative or too large.

    Example:
        >>> float(sample_rng(0, 0, 1).random()) != float(sample_rng(0, 0, 2).random())
        True
    """
    s = _seed_word(seed)
    e, i, st = _word(epoch, "epoch"), _word(index, "index"), _word(stream, "stream")
    if st >= _BATCH_DOMAIN:
        raise ValueError(f"stream must be in [0, 2**63), got {st}")
    return fresh_generator(s, st, 0, i, e)


_LOCAL = threading.local()


def rekeyed_sample_rng(seed: int, epoch: int, index: int, stream: int = SAMPLE_STREAM) -> np.random.Generator:
    """The draws of [sample_rng][loaders.keys.sample_rng] from this thread's one shared generator (about 1 microsecond).

    The same generator object is re-keyed by every call on the same thread, so it is valid until
    the next call: pass it to ``Transform.sample`` and do not keep it (nor read other keyed items
    from inside ``sample``: that would re-key it). The dataset wrappers use this for
    one-item-at-a-time access.

    Args:
        seed: a non-negative int.
        epoch: an int in ``[0, 2**64)``.
        index: an int in ``[0, 2**64)``.
        stream: a tag in ``[0, 2**63)``.

    Returns:
        This thread's shared `numpy.random.Generator`, rewound to the start of the sample's stream.

    Raises:
        TypeError: an argument is not an int.
        ValueError: an argument is negative or too large.

    Example:
        >>> float(rekeyed_sample_rng(4, 1, 9).random()) == float(sample_rng(4, 1, 9).random())
        True
    """
    s = _seed_word(seed)
    e, i, st = _word(epoch, "epoch"), _word(index, "index"), _word(stream, "stream")
    if st >= _BATCH_DOMAIN:
        raise ValueError(f"stream must be in [0, 2**63), got {st}")
    try:
        rekey = _LOCAL.rekey
    except AttributeError:
        rekey = _LOCAL.rekey = Rekeyer().rekey
    return rekey(s, st, i, e)


def batch_rng(
    keys: Sequence[SampleKey] | KeyedBatch, stream: int = COLLATE_STREAM, salt: int = 0, *, reuse: bool = False
) -> np.random.Generator:
    """A new generator for a whole batch, a pure function of its sample keys (and their order).

    Philox with the key ``[seed, 2**63 + stream]`` at the counter ``[0, salt, h, epoch]``, where
    ``h`` is a 64-bit hash of the ordered indices (one vectorised pass). The seed and epoch are
    those of the first key.

    Args:
        keys: the batch's [SampleKey][loaders.keys.SampleKey]s, or the
            [KeyedBatch][loaders.keys.KeyedBatch] itself (faster: no key objects are built).
        stream: a tag in ``[0, 2**63)``.
        salt: an int in ``[0, 2**64)`` that lets a collate mix in a seed of its own.
        reuse: return this thread's one batch generator, re-keyed (the same draws, a few
            microseconds less): valid until the next ``reuse=True`` call on the thread, so
            draw everything from it before calling anything that may make another batch's
            generator. The collates use it.

    Returns:
        A fresh `numpy.random.Generator` (this thread's shared one with ``reuse``).

    Raises:
        ValueError: the batch is empty, or a value is out of range.

    Example:
        >>> b = KeyedBatch([0, 0], seed=1, epoch=0, indices=[4, 2])
        >>> float(batch_rng(b).random()) == float(batch_rng(b.keys).random())
        True
        >>> float(batch_rng(b, salt=3).random()) == float(batch_rng(b, salt=3, reuse=True).random())
        True
    """
    if len(keys) == 0:
        raise ValueError("batch_rng needs at least one sample key, got an empty batch")
    if isinstance(keys, KeyedBatch):
        seed, epoch, indices = keys.seed, keys.epoch, keys.indices
    else:
        seed, epoch = keys[0].seed, keys[0].epoch
        indices = [k.index for k in keys]
    st = _word(stream, "stream")
    if st >= _BATCH_DOMAIN:
        raise ValueError(f"stream must be in [0, 2**63), got {st}")
    h = hash_indices(indices)
    if not reuse:
        return fresh_generator(_seed_word(seed), _BATCH_DOMAIN + st, _word(salt, "salt"), h, _word(epoch, "epoch"))
    try:
        rekey = _LOCAL.batch_rekey
    except AttributeError:
        rekey = _LOCAL.batch_rekey = Rekeyer().rekey
    return rekey(_seed_word(seed), _BATCH_DOMAIN + st, h, _word(epoch, "epoch"), _word(salt, "salt"))


def as_generator(rng: Any) -> np.random.Generator:
    """Accept ``None`` (fresh OS entropy), an int seed, or a ``numpy.random.Generator``.

    Example:
        >>> float(as_generator(3).random()) == float(np.random.default_rng(3).random())
        True
    """
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be None, an int seed or a numpy.random.Generator, got {rng!r} ({type(rng).__name__})")


class KeyedBatch(list):
    """A list (of indices, or of samples) that carries the batch's keys.

    Attributes:
        seed: the dataset seed.
        epoch: the epoch the batch belongs to (bound when it was dispatched).
        indices: the dataset indices of the samples, in batch order.
        knobs: values bound at dispatch, e.g. ``{"strength": 0.7}``.

    Example:
        >>> b = KeyedBatch(["a", "b"], seed=3, epoch=1, indices=[7, 8])
        >>> b.with_items(["c", "d"]).indices
        [7, 8]
    """

    def __init__(
        self,
        items: Iterable[Any] = (),
        *,
        seed: int = 0,
        epoch: int = 0,
        indices: Sequence[int] | None = None,
        knobs: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__(items)
        self.seed = int(seed)
        self.epoch = int(epoch)
        self.indices = [int(i) for i in (indices if indices is not None else self)]
        self.knobs: dict[str, float] = dict(knobs or {})

    @property
    def keys(self) -> list[SampleKey]:
        """One [SampleKey][loaders.keys.SampleKey] per sample."""
        return [SampleKey(self.seed, self.epoch, i) for i in self.indices]

    def sample_generators(self, stream: int = SAMPLE_STREAM) -> BatchGenerators:
        """The per-sample generators of this batch: ``get(j)`` draws like ``sample_rng(seed, epoch, indices[j])``.

        One generator is re-keyed per sample, so the object ``get(j)`` returns is valid until the next ``get``.

        Example:
            >>> b = KeyedBatch([0, 0], seed=1, epoch=0, indices=[4, 2])
            >>> float(b.sample_generators().get(1).random()) == float(sample_rng(1, 0, 2).random())
            True
        """
        st = _word(stream, "stream")
        if st >= _BATCH_DOMAIN:
            raise ValueError(f"stream must be in [0, 2**63), got {st}")
        return BatchGenerators(_seed_word(self.seed), _word(self.epoch, "epoch"), self.indices, st)

    def with_items(self, items: Iterable[Any]) -> KeyedBatch:
        """A new batch with the same keys and knobs holding ``items``."""
        return KeyedBatch(items, seed=self.seed, epoch=self.epoch, indices=self.indices, knobs=self.knobs)

    def __reduce__(self):
        return (_rebuild_keyed_batch, (list(self), self.seed, self.epoch, self.indices, self.knobs))

    def __repr__(self) -> str:
        return (
            f"KeyedBatch({list.__repr__(self)}, seed={self.seed}, epoch={self.epoch}, "
            f"indices={self.indices}, knobs={self.knobs})"
        )


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
        self._view = self._t.numpy()  # a numpy view of the shared storage: reads cost ~0.1 us, not ~2
        self.set(value)

    def get(self) -> float:
        """The current value."""
        return float(self._view[0])

    def set(self, value: float) -> None:
        """Set the value (seen by every process sharing it)."""
        self._view[0] = float(value)

    def __getstate__(self) -> dict[str, Any]:
        return {"_t": self._t}  # the tensor travels (shared by multiprocessing); the view is rebuilt

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._t = state["_t"]
        self._view = self._t.numpy()

    @property
    def value(self) -> float:
        """The current value (same as ``get()``)."""
        return self.get()

    def __repr__(self) -> str:
        return f"SharedValue({self.get()!r})"
