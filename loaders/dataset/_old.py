"""Dataset wrappers that augment each sample with a generator keyed on ``(seed, epoch, index)``.

:class:`AugmentedDataset` wraps any map-style dataset (tuples, dicts, a Hugging
Face ``datasets.Dataset``, a ``TensorDataset``, a list of bare arrays) and
applies a :class:`~loaders.Transform` to the input of every sample, inside the
DataLoader worker. The generator for sample ``i`` in epoch ``e`` is
``loaders.keys.sample_rng(seed, e, i)``, so the augmented stream is the same
whatever ``num_workers``, ``persistent_workers``, the start method or the world
size, and no two workers repeat each other's draws.

:class:`KeyedBatchSampler` yields :class:`~loaders.keys.KeyedBatch` lists of
indices with the epoch and the knob values bound in the main process when the
batch is dispatched; ``AugmentedDataset.__getitems__`` returns a ``KeyedBatch``
of samples so that mixing collates can key their draws on the batch.

:class:`AugmentedIterableDataset` does the same for streams: the key of an item
is its position in the stream, and the stream is sharded across workers (and
ranks) so that each item is augmented exactly once.

Example:
    >>> import numpy as np
    >>> from loaders import Transform
    >>> class AddNoise(Transform):
    ...     def _sample(self, rng, strength):
    ...         return {"noise": float(rng.normal())}
    ...     def _apply(self, x, params):
    ...         return x + params["noise"]
    >>> data = [(np.zeros(2), 0), (np.ones(2), 1)]
    >>> ds = AugmentedDataset(data, AddNoise(), seed=0)
    >>> x0, y0 = ds[0]
    >>> bool(np.array_equal(x0, ds[0][0])), y0          # same key, same draw
    (True, 0)
    >>> ds.set_epoch(1)
    >>> bool(np.array_equal(x0, ds[0][0]))               # a new epoch draws anew
    False
    >>> batch = ds.__getitems__([1, 0])                  # what a DataLoader worker calls
    >>> batch.epoch, batch.indices
    (1, [1, 0])
"""

from __future__ import annotations

import itertools
import numbers
import operator
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence

import numpy as np
import torch
from torch.utils.data import IterableDataset, Sampler, get_worker_info

from .validation import check_int, check_seed
from ._fastkeys import BatchGenerators
from .keys import SHUFFLE_STREAM, KeyedBatch, SharedValue, sample_rng
from .transform import AugmentationError, Compose, Transform

__all__ = [
    "AugmentedDataset",
    "AugmentedIterableDataset",
    "KeyedBatchSampler",
    "TransformOutputError",
    "SHUFFLE_STREAM",
]

_AUTO = "auto"
#: Batches at least this long derive their per-sample generators in one vectorised pass
#: (``loaders._fastkeys``, bit-identical to ``sample_rng``); shorter ones call ``sample_rng``.
_BATCHED_KEYS_MIN = 16


class TransformOutputError(AugmentationError, TypeError):
    """A transform returned ``None`` or a different kind of object than its input."""


# ---------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------

def _resolve_seed(seed: Any, owner: str) -> int:
    seed = check_seed("seed", seed, owner=owner)
    if seed is None:
        # Drawn once in the constructing (main) process; workers get the value
        # with the pickled dataset, so they all agree.
        seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> 1)
    return seed


def _check_transform(transform: Any, name: str, owner: str) -> Optional[Transform]:
    if transform is None or isinstance(transform, Transform):
        return transform
    if isinstance(transform, (list, tuple)):
        return Compose(list(transform))
    if callable(transform):
        raise TypeError(
            f"{owner}: {name} must be a loaders.Transform (or a list of them, or None), got the plain callable "
            f"{transform!r}; wrap a deterministic callable in loaders.Lambda, and make random ones Transform "
            "subclasses so that they draw from the sample key"
        )
    raise TypeError(f"{owner}: {name} must be a loaders.Transform, a list of them or None, got {transform!r} "
                    f"({type(transform).__name__}), which is not callable")


def _check_key(name: str, key: Any, owner: str) -> Any:
    if key is None or isinstance(key, (str, bytes)) or (isinstance(key, numbers.Integral) and not isinstance(key, bool)):
        return key if not isinstance(key, numbers.Integral) else int(key)
    raise TypeError(f"{owner}: {name} must be an int (tuple position), a str (dict key), None or {_AUTO!r}, "
                    f"got {key!r} ({type(key).__name__})")


def _check_input_key(key: Any, owner: str) -> Any:
    if isinstance(key, list):
        if not key:
            raise ValueError(f"{owner}: input_key must not be an empty list")
        return [_check_key(f"input_key[{i}]", k, owner) for i, k in enumerate(key)]
    return _check_key("input_key", key, owner)


def _check_stream_split(batch_size: Any, drop_last: Any, rank: Any, world_size: Any, owner: str):
    """Validate the batching and rank split of a stream wrapper; returns the four values."""
    batch_size = None if batch_size is None else check_int("batch_size", batch_size, low=1, owner=owner)
    if not isinstance(drop_last, bool):
        raise TypeError(f"{owner}: drop_last must be a bool, got {drop_last!r}")
    if (rank is None) != (world_size is None):
        raise ValueError(f"{owner}: pass both rank and world_size or neither, got rank={rank!r}, "
                         f"world_size={world_size!r}")
    if world_size is not None:
        world_size = check_int("world_size", world_size, low=1, owner=owner)
        rank = check_int("rank", rank, low=0, high=world_size - 1, owner=owner)
    return batch_size, drop_last, rank, world_size


def _check_knobs(knobs: Any, owner: str) -> Dict[str, Any]:
    if knobs is None:
        return {}
    if not isinstance(knobs, Mapping):
        raise TypeError(f"{owner}: knobs must be a mapping name -> source with .get(), got {knobs!r}")
    out = {}
    for name, src in knobs.items():
        if not isinstance(name, str):
            raise TypeError(f"{owner}: knob names must be str, got {name!r}")
        if not callable(getattr(src, "get", None)):
            raise TypeError(f"{owner}: knobs[{name!r}] must have a .get() -> float method visible in workers "
                            f"(e.g. loaders.keys.SharedValue), got {src!r} ({type(src).__name__})")
        out[name] = src
    return out


def _read_knobs(knobs: Mapping[str, Any]) -> Dict[str, float]:
    return {name: float(src.get()) for name, src in knobs.items()} if knobs else {}


def _kind(x: Any) -> str:
    if isinstance(x, (torch.Tensor, np.ndarray)) or (hasattr(x, "mode") and hasattr(x, "tobytes")):
        return "array"  # tensor, ndarray, PIL image: conversions between them are allowed
    if isinstance(x, str):
        return "str"
    if isinstance(x, (bytes, bytearray)):
        return "bytes"
    if isinstance(x, Mapping):
        return "mapping"
    if isinstance(x, (list, tuple)):
        return "sequence"
    if isinstance(x, numbers.Number):
        return "number"
    return type(x).__qualname__


def _short_repr(obj: Any, limit: int = 80) -> str:
    r = repr(obj)
    return r if len(r) <= limit else r[: limit - 3] + "..."


def _index(i: Any, n: int, owner: str) -> int:
    """Normalise one index: ints (also numpy ints, 0-d int tensors); negatives count from the end."""
    if isinstance(i, bool):
        raise TypeError(f"{owner}: index must be an int, got {i!r}")
    try:
        j = operator.index(i)
    except TypeError:
        raise TypeError(f"{owner}: index must be an int, got {i!r} ({type(i).__name__})") from None
    if j < 0:
        j += n
    if not 0 <= j < n:
        raise IndexError(f"{owner}: index {i} is out of range for a dataset of length {n} "
                         f"(allowed: {-n} <= index < {n})")
    return j


# ---------------------------------------------------------------------------
# The per-sample core shared by both wrappers
# ---------------------------------------------------------------------------

class _Augmenter:
    """Picks the input(s) of a sample, draws from the key, applies, rebuilds the sample."""

    def __init__(self, transform, target_transform, input_key, target_key, transform_target,
                 return_params, check_types, owner):
        self.transform = transform
        self.target_transform = target_transform
        self.input_key = input_key
        self.target_key = target_key
        self.transform_target = transform_target
        self.return_params = return_params
        self.check_types = check_types
        self.owner = owner
        # Fast path for the common case: one transform on one position of a tuple sample.
        simple = transform is not None and target_transform is None and not transform_target and not return_params
        self._fast_pos = (0 if input_key == _AUTO else input_key) if simple and (
            input_key == _AUTO or isinstance(input_key, int)) else None

    def _keys(self, sample: Any, index: int):
        """The keys of the inputs to transform: None means the whole sample."""
        key = self.input_key
        if key == _AUTO:
            if isinstance(sample, (tuple, list)):
                key = 0
            elif isinstance(sample, Mapping):
                raise TypeError(f"{self.owner}: sample {index} is a dict with keys {list(sample)!r}; pass "
                                "input_key='<name>' to say which entry is the input")
            else:
                key = None
        keys = list(key) if isinstance(key, list) else [key]
        if self.transform_target:
            keys.append(self.target_key)
        return keys

    @staticmethod
    def _get(sample, k, index, owner):
        if k is None:
            return sample
        try:
            return sample[k]
        except (KeyError, IndexError, TypeError) as e:
            avail = list(sample) if isinstance(sample, Mapping) else (
                f"positions 0..{len(sample) - 1}" if isinstance(sample, (tuple, list)) else type(sample).__name__)
            exc = KeyError if isinstance(e, KeyError) else IndexError if isinstance(e, IndexError) else TypeError
            raise exc(f"{owner}: sample {index} has no entry {k!r} (it has {avail}); "
                      "set input_key/target_key") from None

    def _check(self, x_in, x_out, t, index, epoch, role):
        if type(x_out) is type(x_in):
            return
        if x_out is None or (self.check_types and _kind(x_out) != _kind(x_in)):
            raise TransformOutputError(
                f"{self.owner}: transform {t!r} returned {_short_repr(x_out)} ({type(x_out).__name__}) for the "
                f"{role} of sample index {index} (epoch {epoch}), whose input was a {type(x_in).__name__}; "
                "a transform must return the same kind of object (tensor/ndarray/PIL, str, ...)"
                + ("" if x_out is None else "; pass check_types=False to allow it"))

    def batch(self, samples: Sequence[Any], idx: List[int], epoch: int, seed: int,
              knobs: Mapping[str, float]) -> List[Any]:
        """Augment a batch; long batches derive their generators in one vectorised pass."""
        if len(idx) < _BATCHED_KEYS_MIN or (self.transform is None and self.target_transform is None):
            return [self(s, i, epoch, seed, knobs) for s, i in zip(samples, idx)]
        gens = BatchGenerators(seed, epoch, idx)
        get = gens.get
        return [self(s, i, epoch, seed, knobs, get(j)) for j, (s, i) in enumerate(zip(samples, idx))]

    def __call__(self, sample: Any, index: int, epoch: int, seed: int, knobs: Mapping[str, float],
                 rng: Optional[np.random.Generator] = None) -> Any:
        """Augment one sample; ``rng`` (if given) must be ``sample_rng(seed, epoch, index)``."""
        t, tt = self.transform, self.target_transform
        k = self._fast_pos
        if k is not None and type(sample) is tuple and -len(sample) <= k < len(sample):
            x = sample[k]
            if rng is None:
                rng = sample_rng(seed, epoch, index)
            try:
                y = t.apply(x, t.sample(rng, strength=knobs.get("strength", 1.0)))
            except Exception as e:
                raise AugmentationError(
                    f"{self.owner}: transform {t!r} failed on sample index {index} (epoch {epoch}, seed {seed}): "
                    f"{type(e).__name__}: {e}") from e
            self._check(x, y, t, index, epoch, f"entry {k!r}")
            return sample[:k] + (y,) + sample[k + 1:] if k >= 0 else _replace(sample, {k: y})
        if t is None and tt is None and not self.return_params:
            return sample
        owner = self.owner
        keys = self._keys(sample, index) if t is not None else []
        if (tt is not None or len(keys) > 1) and None in keys:
            raise TypeError(f"{owner}: sample {index} is used whole (a bare input, or input_key=None), so there "
                            "is no separate target to transform; use (input, target) tuples or dicts")
        inputs = [(k, self._get(sample, k, index, owner)) for k in keys]
        target = self._get(sample, self.target_key, index, owner) if tt is not None else None
        if rng is None:
            rng = sample_rng(seed, epoch, index)
        strength = knobs.get("strength", 1.0)
        params = tparams = None
        out = sample
        current = t
        try:
            if t is not None:
                params = t.sample(rng, strength=strength)
                new = {}
                for k, x in inputs:
                    y = t.apply(x, params)
                    self._check(x, y, t, index, epoch, "input" if k is None else f"entry {k!r}")
                    new[k] = y
                out = _replace(sample, new)
            if tt is not None:
                current = tt
                tparams = tt.sample(rng, strength=strength)
                y = tt.apply(target, tparams)
                self._check(target, y, tt, index, epoch, f"target {self.target_key!r}")
                out = _replace(out, {self.target_key: y})
        except TransformOutputError:  # raised by _check above, already names the sample
            raise
        except Exception as e:
            raise AugmentationError(
                f"{owner}: transform {current!r} failed on sample index {index} (epoch {epoch}, seed {seed}): "
                f"{type(e).__name__}: {e}") from e
        if self.return_params:
            log = {"index": index, "epoch": epoch, "seed": seed, "strength": strength, "params": params}
            if tt is not None:
                log["target_params"] = tparams
            if isinstance(out, Mapping):
                out = _replace(out, {"aug_params": log})
            elif isinstance(out, list):
                out = list(out) + [log]
            elif isinstance(out, tuple):
                out = tuple(out) + (log,)
            else:
                out = (out, log)
        return out


def _replace(sample: Any, new: Dict[Any, Any]) -> Any:
    """A copy of ``sample`` with ``new`` entries (never assigns into the user's object)."""
    if None in new:
        return new[None]
    if isinstance(sample, tuple):
        items = list(sample)
        for k, v in new.items():
            items[k] = v
        return type(sample)._make(items) if hasattr(sample, "_fields") else tuple(items)
    if isinstance(sample, list):
        items = list(sample)
        for k, v in new.items():
            items[k] = v
        return items
    out = sample.copy() if isinstance(sample, dict) else dict(sample)
    out.update(new)
    return out


def _common_init(self, transform, seed, input_key, target_key, transform_target, target_transform, knobs,
                 return_params, check_types, owner):
    self.transform = _check_transform(transform, "transform", owner)
    self.target_transform = _check_transform(target_transform, "target_transform", owner)
    self.seed = _resolve_seed(seed, owner)
    self.input_key = _check_input_key(input_key, owner)
    self.target_key = _check_key("target_key", target_key, owner)
    for name, flag in (("transform_target", transform_target), ("return_params", return_params),
                       ("check_types", check_types)):
        if not isinstance(flag, bool):
            raise TypeError(f"{owner}: {name} must be a bool, got {flag!r}")
    if transform_target and self.transform is None:
        raise ValueError(f"{owner}: transform_target=True needs a transform")
    if transform_target and self.target_transform is not None:
        raise ValueError(f"{owner}: pass either transform_target=True (the target gets the input's params) or "
                         "target_transform= (its own draw), not both")
    if (transform_target or self.target_transform is not None) and self.target_key is None:
        raise ValueError(f"{owner}: target_key must name the target entry when the target is transformed")
    self.transform_target = transform_target
    self.return_params = return_params
    self.check_types = check_types
    self.knobs = _check_knobs(knobs, owner)
    self._epoch = SharedValue(0)
    self._augment = _Augmenter(self.transform, self.target_transform, self.input_key, self.target_key,
                               transform_target, return_params, check_types, owner)


class _EpochMixin:
    @property
    def epoch(self) -> int:
        """The current epoch (shared with every worker)."""
        return int(self._epoch.get())

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch; the value lives in shared memory, so persistent workers see it (fork and spawn).

        Call it before iterating the DataLoader for that epoch (not while a loop is running).
        """
        self._epoch.set(check_int("epoch", epoch, low=0, high=2 ** 53, owner=type(self).__name__))

    def _repr_args(self) -> str:
        parts = [f"transform={self.transform!r}", f"seed={self.seed}", f"epoch={self.epoch}"]
        if self.input_key != _AUTO:
            parts.append(f"input_key={self.input_key!r}")
        if self.transform_target:
            parts.append(f"transform_target=True, target_key={self.target_key!r}")
        if self.target_transform is not None:
            parts.append(f"target_transform={self.target_transform!r}, target_key={self.target_key!r}")
        if self.knobs:
            parts.append(f"knobs={self.knobs!r}")
        if self.return_params:
            parts.append("return_params=True")
        if not self.check_types:
            parts.append("check_types=False")
        return ", ".join(parts)


# ---------------------------------------------------------------------------
# Map-style
# ---------------------------------------------------------------------------

class AugmentedDataset(_EpochMixin, torch.utils.data.Dataset):
    """Apply a transform to each sample of a map-style dataset, keyed on ``(seed, epoch, index)``.

    Args:
        dataset: any object with ``__len__`` and ``__getitem__`` (a torch ``Dataset``, a
            ``datasets.Dataset``, a list). If it has ``__getitems__`` (Hugging Face datasets do),
            batches are fetched with it.
        transform: a :class:`~loaders.Transform`, a list of them (run as ``Compose``) or None
            (samples pass through, still keyed, so mixing collates stay reproducible). Plain
            callables are refused: wrap deterministic ones in ``loaders.Lambda``.
        seed: non-negative int. ``None`` draws a random seed once, here in the constructing
            process (so all workers agree); read it back from ``.seed`` to log it.
        input_key: which part of a sample is the input. ``"auto"`` (default): position 0 of a
            tuple/list sample, the whole sample when it is a bare input (tensor, array, str,
            PIL image...); dict samples need a key, e.g. ``input_key="image"``. An int/str picks a
            position/key, ``None`` the whole sample, and a list of keys applies the *same* draw to
            each (paired inputs, e.g. ``["image", "mask"]``).
        target_key: where the target is (default 1, the tuple position).
        transform_target: apply the same draw to the target too (masks, boxes rendered as arrays).
        target_transform: a separate Transform for the target with its own draw, taken from the same
            per-sample generator after the input's.
        knobs: mapping name -> source with ``.get() -> float`` visible in workers (e.g.
            :class:`~loaders.keys.SharedValue`, ``loaders.adaptive.AdaptiveStrength``). The
            ``"strength"`` knob is passed to ``transform.sample(rng, strength=...)``.
        return_params: append a log of the draw to each sample: dict samples get an
            ``"aug_params"`` entry, tuples an extra last element, bare inputs become ``(x, log)``.
            The log is ``{"index", "epoch", "seed", "strength", "params"}`` (plain data). To see
            draws without changing samples use :meth:`params`.
        check_types: refuse a transform output of another kind than its input (tensor, ndarray and
            PIL count as one kind, so to-tensor conversions pass). ``None`` is always refused.

    Indices: ints (also numpy ints and 0-d integer tensors); negative indices count from the end
    and are keyed as their non-negative equivalent, so ``ds[-1]`` and ``ds[len(ds) - 1]`` agree.

    Example:
        >>> import torch
        >>> from loaders import Lambda
        >>> base = torch.utils.data.TensorDataset(torch.arange(6.).view(3, 2), torch.tensor([0, 1, 0]))
        >>> ds = AugmentedDataset(base, Lambda(torch.neg), seed=1)
        >>> ds[2]
        (tensor([-4., -5.]), tensor(0))
        >>> loader = ds.loader(batch_size=2, shuffle=True)   # keyed batches, reproducible order
        >>> [xb.shape for xb, yb in loader]
        [torch.Size([2, 2]), torch.Size([1, 2])]
    """

    def __init__(self, dataset: Any, transform: Any = None, *, seed: Optional[int] = None,
                 input_key: Any = _AUTO, target_key: Any = 1, transform_target: bool = False,
                 target_transform: Any = None, knobs: Optional[Mapping[str, Any]] = None,
                 return_params: bool = False, check_types: bool = True) -> None:
        owner = type(self).__name__
        if isinstance(dataset, IterableDataset):
            raise TypeError(f"{owner}: dataset is an IterableDataset ({type(dataset).__name__}); "
                            "use AugmentedIterableDataset for streams")
        if not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
            hint = "; for a stream use AugmentedIterableDataset" if hasattr(dataset, "__iter__") else ""
            raise TypeError(f"{owner}: dataset must be map-style (have __len__ and __getitem__), got "
                            f"{_short_repr(dataset)} ({type(dataset).__name__}){hint}")
        self.dataset = dataset
        _common_init(self, transform, seed, input_key, target_key, transform_target, target_transform, knobs,
                     return_params, check_types, owner)

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: Any) -> Any:
        i = _index(index, len(self.dataset), type(self).__name__)
        return self._augment(self.dataset[i], i, self.epoch, self.seed, _read_knobs(self.knobs))

    def __getitems__(self, indices: Sequence[Any]) -> KeyedBatch:
        """Fetch and augment a batch; returns a :class:`KeyedBatch` of samples.

        ``indices`` is a plain list (epoch and knobs are read here, in the worker) or a
        :class:`KeyedBatch` from :class:`KeyedBatchSampler` (epoch and knobs bound at dispatch).
        """
        owner = type(self).__name__
        n = len(self.dataset)
        if isinstance(indices, KeyedBatch):
            if indices.seed != self.seed:
                raise ValueError(f"{owner}: the batch was keyed with seed {indices.seed} but this dataset's seed "
                                 f"is {self.seed}; build the KeyedBatchSampler with this dataset")
            epoch, knobs = indices.epoch, indices.knobs
        else:
            epoch, knobs = self.epoch, _read_knobs(self.knobs)
        idx = [_index(i, n, owner) for i in indices]
        base = self.dataset
        getitems = getattr(base, "__getitems__", None)
        if getitems is not None:
            samples = getitems(idx)
            if len(samples) != len(idx):
                raise ValueError(f"{owner}: {type(base).__name__}.__getitems__ returned {len(samples)} samples "
                                 f"for {len(idx)} indices")
        else:
            samples = [base[i] for i in idx]
        out = self._augment.batch(samples, idx, epoch, self.seed, knobs)
        return KeyedBatch(out, seed=self.seed, epoch=epoch, indices=idx, knobs=knobs)

    def params(self, index: int, epoch: Optional[int] = None, strength: Optional[float] = None) -> Dict[str, Any]:
        """Recompute the draw of sample ``index`` in ``epoch`` (default: the current one) without loading it.

        Params do not depend on the data, so this replays exactly what a worker drew (given the same
        strength; by default the current ``"strength"`` knob, or 1.0).

        Example:
            >>> from loaders import Lambda
            >>> AugmentedDataset([1, 2], Lambda(abs), seed=0).params(1)
            {'index': 1, 'epoch': 0, 'seed': 0, 'strength': 1.0, 'params': {'apply': True}}
        """
        i = _index(index, len(self.dataset), type(self).__name__)
        e = self.epoch if epoch is None else check_int("epoch", epoch, low=0)
        s = _read_knobs(self.knobs).get("strength", 1.0) if strength is None else strength
        rng = sample_rng(self.seed, e, i)
        p = self.transform.sample(rng, strength=s) if self.transform is not None else None
        log = {"index": i, "epoch": e, "seed": self.seed, "strength": s, "params": p}
        if self.target_transform is not None:
            log["target_params"] = self.target_transform.sample(rng, strength=s)
        return log

    def batch_sampler(self, batch_size: int = 1, *, shuffle: bool = False, drop_last: bool = False,
                      sampler: Any = None, generator: Optional[torch.Generator] = None) -> "KeyedBatchSampler":
        """A :class:`KeyedBatchSampler` over this dataset (pass it as ``DataLoader(batch_sampler=...)``)."""
        return KeyedBatchSampler(self, batch_size, shuffle=shuffle, drop_last=drop_last, sampler=sampler,
                                 generator=generator)

    def loader(self, batch_size: int = 1, *, shuffle: bool = False, drop_last: bool = False, sampler: Any = None,
               generator: Optional[torch.Generator] = None, **dataloader_kwargs: Any) -> torch.utils.data.DataLoader:
        """A ``DataLoader`` driven by a :class:`KeyedBatchSampler`; other kwargs go to ``DataLoader``."""
        if "batch_sampler" in dataloader_kwargs:
            raise TypeError("AugmentedDataset.loader: batch_sampler is set here (a KeyedBatchSampler); "
                            "use DataLoader(ds, batch_sampler=...) directly for another one")
        bs = self.batch_sampler(batch_size, shuffle=shuffle, drop_last=drop_last, sampler=sampler,
                                generator=generator)
        return torch.utils.data.DataLoader(self, batch_sampler=bs, **dataloader_kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({_short_repr(self.dataset)}, {self._repr_args()})"


class KeyedBatchSampler(Sampler):
    """Yield :class:`KeyedBatch` lists of indices with epoch and knobs bound at dispatch.

    Runs in the main process: for each batch it reads the dataset's epoch (once per pass) and
    every knob's ``.get()``, and stores them in the batch, so workers need no shared state and
    the timing of knob changes is deterministic.

    Args:
        dataset: the :class:`AugmentedDataset` the batches index.
        batch_size: samples per batch.
        shuffle: shuffle the indices each pass. Without ``generator`` the order is drawn from a
            ``torch.Generator`` seeded from ``(dataset.seed, epoch)``: reproducible, different each
            epoch. With ``generator`` its state drives the order (reproducible only if you seed it).
        drop_last: drop the last incomplete batch.
        sampler: an index sampler to batch instead (e.g. ``DistributedSampler``); then ``shuffle``
            and ``generator`` must be left unset. If it has ``set_epoch``, it is called with the
            dataset's epoch at the start of each pass, so both agree.
        generator: optional ``torch.Generator`` for the shuffle.

    Example:
        >>> ds = AugmentedDataset(list(range(5)), seed=3)
        >>> batches = list(KeyedBatchSampler(ds, batch_size=2))
        >>> list(batches[0]), batches[0].epoch, len(batches)
        ([0, 1], 0, 3)
    """

    def __init__(self, dataset: AugmentedDataset, batch_size: int = 1, *, shuffle: bool = False,
                 drop_last: bool = False, sampler: Any = None, generator: Optional[torch.Generator] = None) -> None:
        owner = "KeyedBatchSampler"
        if not isinstance(dataset, AugmentedDataset):
            raise TypeError(f"{owner}: dataset must be an AugmentedDataset, got {type(dataset).__name__}")
        self.dataset = dataset
        self.batch_size = check_int("batch_size", batch_size, low=1, owner=owner)
        for name, flag in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(flag, bool):
                raise TypeError(f"{owner}: {name} must be a bool, got {flag!r}")
        if sampler is not None:
            if shuffle or generator is not None:
                raise ValueError(f"{owner}: sampler is mutually exclusive with shuffle/generator (the sampler "
                                 "decides the order)")
            if not hasattr(sampler, "__iter__"):
                raise TypeError(f"{owner}: sampler must be an iterable of indices, got {sampler!r}")
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"{owner}: generator must be a torch.Generator or None, got {generator!r}")
        self.shuffle, self.drop_last, self.sampler, self.generator = shuffle, drop_last, sampler, generator

    def _order(self, epoch: int) -> Iterable[int]:
        n = len(self.dataset)
        if self.sampler is not None:
            if callable(getattr(self.sampler, "set_epoch", None)):
                self.sampler.set_epoch(epoch)
            return self.sampler
        if not self.shuffle:
            return range(n)
        g = self.generator
        if g is None:
            g = torch.Generator()
            g.manual_seed(int(sample_rng(self.dataset.seed, epoch, 0, stream=SHUFFLE_STREAM).integers(2 ** 63)))
        return torch.randperm(n, generator=g).tolist()

    def __iter__(self) -> Iterator[KeyedBatch]:
        ds = self.dataset
        epoch, seed, knobs, bs = ds.epoch, ds.seed, ds.knobs, self.batch_size
        it = iter(self._order(epoch))
        while True:
            chunk = [int(i) for i in itertools.islice(it, bs)]
            if not chunk or (self.drop_last and len(chunk) < bs):
                return
            yield KeyedBatch(chunk, seed=seed, epoch=epoch, indices=chunk, knobs=_read_knobs(knobs))

    def set_epoch(self, epoch: int) -> None:
        """Same as ``dataset.set_epoch(epoch)`` (for training loops that call it on the sampler)."""
        self.dataset.set_epoch(epoch)

    def __len__(self) -> int:
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __repr__(self) -> str:
        extra = f", sampler={self.sampler!r}" if self.sampler is not None else f", shuffle={self.shuffle}"
        return (f"KeyedBatchSampler(batch_size={self.batch_size}{extra}, drop_last={self.drop_last}, "
                f"seed={self.dataset.seed})")


# ---------------------------------------------------------------------------
# Iterable
# ---------------------------------------------------------------------------

class AugmentedIterableDataset(_EpochMixin, IterableDataset):
    """Augment a stream; the key of an item is ``(seed, epoch, position in the stream)``.

    Every DataLoader worker (and every rank, when ``rank``/``world_size`` are given) iterates the
    source and keeps its share: with ``batch_size=None``, worker ``k`` of ``W`` on rank ``r`` of
    ``R`` takes the items at positions ``p`` with ``p % (R*W) == r + R*k``. Each item is thus
    augmented exactly once, with a key that does not depend on ``num_workers`` or the world size.
    The DataLoader then interleaves the workers round robin, so the *order* of items (and which
    items share a DataLoader batch) depends on ``num_workers``; the per-item results do not.

    With ``batch_size=B`` the wrapper forms the batches itself (consecutive positions) and yields
    :class:`KeyedBatch` lists of samples, sharded batch-wise; use ``DataLoader(ds, batch_size=None,
    collate_fn=...)``. The round robin then restores the stream order exactly, so the whole batch
    stream, mixing collates included, is the same for any ``num_workers``.

    Args:
        iterable: a re-iterable source (a list, a torch ``IterableDataset`` that does not shard
            itself, an object whose ``__iter__`` starts a fresh pass). One-shot iterators and
            generators are refused: they cannot restart for a second epoch or a second worker.
        transform, seed, input_key, target_key, transform_target, target_transform, knobs,
            return_params, check_types: as in :class:`AugmentedDataset`. Knobs are read in the
            worker for each item (there is no dispatch step for streams).
        batch_size: ``None`` (yield samples) or an int (yield keyed batches).
        drop_last: with ``batch_size``, drop the last incomplete batch.
        rank, world_size: shard across distributed ranks too (both or neither).

    Example:
        >>> from loaders import Lambda
        >>> ds = AugmentedIterableDataset(list(range(5)), Lambda(lambda v: -v), seed=0, batch_size=2)
        >>> [list(b) for b in ds]
        [[0, -1], [-2, -3], [-4]]
    """

    def __init__(self, iterable: Iterable[Any], transform: Any = None, *, seed: Optional[int] = None,
                 input_key: Any = _AUTO, target_key: Any = 1, transform_target: bool = False,
                 target_transform: Any = None, knobs: Optional[Mapping[str, Any]] = None,
                 return_params: bool = False, check_types: bool = True, batch_size: Optional[int] = None,
                 drop_last: bool = False, rank: Optional[int] = None, world_size: Optional[int] = None) -> None:
        owner = type(self).__name__
        if not hasattr(iterable, "__iter__"):
            raise TypeError(f"{owner}: iterable must be iterable, got {_short_repr(iterable)} "
                            f"({type(iterable).__name__})")
        if hasattr(iterable, "__next__"):
            raise TypeError(f"{owner}: iterable is a one-shot iterator ({type(iterable).__name__}); pass a "
                            "re-iterable source (a list, or an object whose __iter__ starts a fresh pass) so that "
                            "every epoch and every worker can iterate it")
        if type(iterable).__module__.split(".")[0] == "datasets" and hasattr(iterable, "n_shards"):
            raise TypeError(f"{owner}: a datasets.IterableDataset shards itself across DataLoader workers, so "
                            "sharding it again here would drop items; use loaders.hf.from_hf (HFIterableDataset)")
        self.iterable = iterable
        _common_init(self, transform, seed, input_key, target_key, transform_target, target_transform, knobs,
                     return_params, check_types, owner)
        self.batch_size, self.drop_last, self.rank, self.world_size = _check_stream_split(
            batch_size, drop_last, rank, world_size, owner)

    def _slot(self):
        info = get_worker_info()
        w, k = (info.num_workers, info.id) if info is not None else (1, 0)
        r, big_r = (self.rank, self.world_size) if self.world_size is not None else (0, 1)
        return r + big_r * k, big_r * w

    def __iter__(self) -> Iterator[Any]:
        slot, stride = self._slot()
        epoch, seed, aug, knobs = self.epoch, self.seed, self._augment, self.knobs
        it = iter(self.iterable)
        if self.batch_size is None:
            # Positions are known ahead, so generators are derived in vectorised blocks of 64
            # (bit-identical to sample_rng) while items are still consumed one at a time.
            keyed = self.transform is not None or self.target_transform is not None
            gens = None
            for j, item in enumerate(itertools.islice(it, slot, None, stride)):
                q = j % 64
                if keyed and q == 0:
                    gens = BatchGenerators(seed, epoch, [slot + (j + b) * stride for b in range(64)])
                yield aug(item, slot + j * stride, epoch, seed, _read_knobs(knobs), gens.get(q) if keyed else None)
            return
        bs = self.batch_size
        for unit in itertools.count():
            chunk = list(itertools.islice(it, bs))
            if not chunk or (self.drop_last and len(chunk) < bs):
                return
            if unit % stride != slot:
                continue
            kn = _read_knobs(knobs)
            pos = list(range(unit * bs, unit * bs + len(chunk)))
            yield KeyedBatch(aug.batch(chunk, pos, epoch, seed, kn), seed=seed, epoch=epoch, indices=pos, knobs=kn)

    def __len__(self) -> int:
        """Items (or batches, with ``batch_size``) this rank yields per epoch, over all its workers.

        Raises ``TypeError`` when the source has no length (so ``len(loader)`` is unavailable).
        """
        try:
            n = len(self.iterable)
        except TypeError:
            raise TypeError(f"{type(self).__name__}: the source {type(self.iterable).__name__} has no len()") from None
        if self.batch_size is not None:
            n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        r, big_r = (self.rank, self.world_size) if self.world_size is not None else (0, 1)
        return max(0, -(-(n - r) // big_r))

    def __repr__(self) -> str:
        extra = ""
        if self.batch_size is not None:
            extra += f", batch_size={self.batch_size}, drop_last={self.drop_last}"
        if self.world_size is not None:
            extra += f", rank={self.rank}, world_size={self.world_size}"
        return f"{type(self).__name__}({_short_repr(self.iterable)}, {self._repr_args()}{extra})"
