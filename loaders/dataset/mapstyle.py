"""The map-style wrapper: augment each sample with a generator keyed on ``(seed, epoch, index)``.

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

import operator
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch.utils.data import IterableDataset

from ..keys import KeyedBatch, sample_rng
from ..transform import AugmentationError
from ..validation import check_int, check_state
from .augment import AUTO, read_knobs, short_repr
from .sampler import KeyedBatchSampler
from .state import MAX_EPOCH, KeyedWrapper

__all__ = ["AugmentedDataset", "check_index"]


def check_index(i: Any, n: int, owner: str) -> int:
    """Normalise one index: ints (also numpy ints, 0-d int tensors); negatives count from the end.

    Raises:
        TypeError: not an integer.
        IndexError: out of range, naming the allowed range.

    Example:
        >>> check_index(-1, 5, "demo")
        4
    """
    if isinstance(i, bool):
        raise TypeError(f"{owner}: index must be an int, got {i!r}")
    try:
        j = operator.index(i)
    except TypeError:
        raise TypeError(f"{owner}: index must be an int, got {i!r} ({type(i).__name__})") from None
    if j < 0:
        j += n
    if not 0 <= j < n:
        raise IndexError(
            f"{owner}: index {i} is out of range for a dataset of length {n} (allowed: {-n} <= index < {n})"
        )
    return j


class AugmentedDataset(KeyedWrapper, torch.utils.data.Dataset):
    """Apply a transform to each sample of a map-style dataset, keyed on ``(seed, epoch, index)``.

    The generator for sample ``i`` in epoch ``e`` is `loaders.keys.sample_rng` ``(seed, e, i)``,
    so the augmented stream is the same whatever ``num_workers``, ``persistent_workers``, the
    start method or the world size, and no two workers repeat each other's draws.

    Epoch ownership: the dataset, its [KeyedBatchSampler][loaders.KeyedBatchSampler] and the
    index sampler inside it (for example a ``DistributedSampler``) share one epoch. A
    ``set_epoch(e)`` call on any of them sets the augmentation epoch and the shuffle epoch
    together, and the latest call wins; the library never resets your sampler to an older
    value. Lightning (which calls ``set_epoch`` on the samplers, not on the dataset) and
    ``torchrun`` loops (which call ``sampler.set_epoch``) therefore get fresh augmentation each
    epoch with ``ds.loader(...)``. A plain ``DataLoader(ds, ...)`` has no keyed sampler, so nothing
    tells the dataset the epoch: build the loader with ``ds.loader(...)`` (any sampler can be passed
    to it), or call ``ds.set_epoch(epoch)`` yourself each epoch (in a LightningModule, in
    ``on_train_epoch_start``: ``ds.set_epoch(self.current_epoch)``).

    Args:
        dataset: any object with ``__len__`` and ``__getitem__`` (a torch ``Dataset``, a
            ``datasets.Dataset``, a list). If it has ``__getitems__`` (Hugging Face datasets do),
            batches are fetched with it.
        transform: a [Transform][loaders.Transform], a list of them (run as ``Compose``) or None
            (samples pass through, still keyed, so mixing collates stay reproducible). Plain
            callables are refused: wrap deterministic ones in `loaders.Lambda`.
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
            `loaders.keys.SharedValue`, `loaders.adaptive.AdaptiveStrength`). The
            ``"strength"`` knob is passed to ``transform.sample(rng, strength=...)``.
        return_params: append a log of the draw to each sample: dict samples get an
            ``"aug_params"`` entry, tuples an extra last element, bare inputs become ``(x, log)``.
            The log is ``{"index", "epoch", "seed", "strength", "params"}`` (plain data). To see
            draws without changing samples use `params`.
        check_types: refuse a transform output of another kind than its input (tensor, ndarray and
            PIL count as one kind, so to-tensor conversions pass). ``None`` is always refused.

    Indices: ints (also numpy ints and 0-d integer tensors); negative indices count from the end
    and are keyed as their non-negative equivalent, so ``ds[-1]`` and ``ds[len(ds) - 1]`` agree.

    Raises:
        loaders.AugmentationError: from indexing, when the wrapped dataset's own ``__getitem__``
            fails or a transform fails; the message names the dataset index and the epoch, and
            the original exception is chained.

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

    def __init__(
        self,
        dataset: Any,
        transform: Any = None,
        *,
        seed: int | None = None,
        input_key: Any = AUTO,
        target_key: Any = 1,
        transform_target: bool = False,
        target_transform: Any = None,
        knobs: Mapping[str, Any] | None = None,
        return_params: bool = False,
        check_types: bool = True,
    ) -> None:
        owner = type(self).__name__
        if isinstance(dataset, IterableDataset):
            raise TypeError(
                f"{owner}: dataset is an IterableDataset ({type(dataset).__name__}); "
                "use AugmentedIterableDataset for streams"
            )
        if not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
            hint = "; for a stream use AugmentedIterableDataset" if hasattr(dataset, "__iter__") else ""
            raise TypeError(
                f"{owner}: dataset must be map-style (have __len__ and __getitem__), got "
                f"{short_repr(dataset)} ({type(dataset).__name__}){hint}"
            )
        self.dataset = dataset
        self.setup(
            transform,
            seed,
            input_key,
            target_key,
            transform_target,
            target_transform,
            knobs,
            return_params,
            check_types,
            owner,
        )

    def __len__(self) -> int:
        return len(self.dataset)

    def _read_error(self, what: str, epoch: int, how: str, e: Exception) -> AugmentationError:
        return AugmentationError(
            f"{type(self).__name__}: reading {what} (epoch {epoch}) from {type(self.dataset).__name__}{how} failed: "
            f"{type(e).__name__}: {e}"
        )

    def _read(self, indices: list[int], epoch: int) -> list[Any]:
        """Fetch raw samples from the wrapped dataset; its failures name the index and epoch."""
        base = self.dataset
        getitems = getattr(base, "__getitems__", None)
        if getitems is None:
            out = []
            for i in indices:
                try:
                    out.append(base[i])
                except Exception as e:
                    raise self._read_error(f"dataset index {i}", epoch, "", e) from e
            return out
        try:
            samples = getitems(indices)
        except Exception as e:
            raise self._read_error(f"dataset indices {short_repr(indices)}", epoch, ".__getitems__", e) from e
        if len(samples) != len(indices):
            raise ValueError(
                f"{type(self).__name__}: {type(base).__name__}.__getitems__ returned {len(samples)} samples "
                f"for {len(indices)} indices"
            )
        return list(samples)

    def __getitem__(self, index: Any) -> Any:
        i = check_index(index, len(self.dataset), type(self).__name__)
        epoch = self.epoch
        try:
            sample = self.dataset[i]
        except Exception as e:
            raise self._read_error(f"dataset index {i}", epoch, "", e) from e
        return self._augment(sample, i, epoch, self.seed, read_knobs(self.knobs))

    def __getitems__(self, indices: Sequence[Any]) -> KeyedBatch:
        """Fetch and augment a batch; returns a `loaders.keys.KeyedBatch` of samples.

        ``indices`` is a plain list (epoch and knobs are read here, in the worker) or a
        `loaders.keys.KeyedBatch` from [KeyedBatchSampler][loaders.KeyedBatchSampler]
        (epoch and knobs bound at dispatch).
        """
        owner = type(self).__name__
        n = len(self.dataset)
        if isinstance(indices, KeyedBatch):
            if indices.seed != self.seed:
                raise ValueError(
                    f"{owner}: the batch was keyed with seed {indices.seed} but this dataset's seed "
                    f"is {self.seed}; build the KeyedBatchSampler with this dataset"
                )
            epoch, knobs = indices.epoch, indices.knobs
        else:
            epoch, knobs = self.epoch, read_knobs(self.knobs)
        idx = [check_index(i, n, owner) for i in indices]
        out = self._augment.batch(self._read(idx, epoch), idx, epoch, self.seed, knobs)
        return KeyedBatch(out, seed=self.seed, epoch=epoch, indices=idx, knobs=knobs)

    def params(self, index: int, epoch: int | None = None, strength: float | None = None) -> dict[str, Any]:
        """Recompute the draw of sample ``index`` in ``epoch`` (default: the current one) without loading it.

        Params do not depend on the data, so this replays exactly what a worker drew (given the same
        strength; by default the current ``"strength"`` knob, or 1.0).

        Example:
            >>> from loaders import Lambda
            >>> AugmentedDataset([1, 2], Lambda(abs), seed=0).params(1)
            {'index': 1, 'epoch': 0, 'seed': 0, 'strength': 1.0, 'params': {'apply': True}}
        """
        i = check_index(index, len(self.dataset), type(self).__name__)
        e = self.epoch if epoch is None else check_int("epoch", epoch, low=0)
        s = read_knobs(self.knobs).get("strength", 1.0) if strength is None else strength
        rng = sample_rng(self.seed, e, i)
        p = self.transform.sample(rng, strength=s) if self.transform is not None else None
        log = {"index": i, "epoch": e, "seed": self.seed, "strength": s, "params": p}
        if self.target_transform is not None:
            log["target_params"] = self.target_transform.sample(rng, strength=s)
        return log

    def state_dict(self) -> dict[str, Any]:
        """The dataset's resumable state: ``{"seed", "epoch"}`` (plain data).

        The position inside an epoch belongs to the batch sampler (or to the loader of
        `loader` ``(stateful=True)``, which saves both).

        Example:
            >>> ds = AugmentedDataset([1, 2], seed=5); ds.set_epoch(3)
            >>> ds.state_dict()
            {'seed': 5, 'epoch': 3}
        """
        return {"seed": self.seed, "epoch": self.epoch}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore the epoch saved by `state_dict`.

        Raises:
            ValueError: the state was saved by a dataset with another seed.
        """
        owner = type(self).__name__
        st = check_state(state, ("seed", "epoch"), owner)
        if st["seed"] != self.seed:
            raise ValueError(
                f"{owner}.load_state_dict: the state was saved with seed={st['seed']!r} but this dataset has "
                f"seed={self.seed}; build the dataset with seed={st['seed']!r} to resume it"
            )
        self.set_epoch(check_int("epoch", st["epoch"], low=0, high=MAX_EPOCH, owner=owner))

    def batch_sampler(
        self,
        batch_size: int = 1,
        *,
        shuffle: bool = False,
        drop_last: bool = False,
        sampler: Any = None,
        generator: torch.Generator | None = None,
    ) -> KeyedBatchSampler:
        """A [KeyedBatchSampler][loaders.KeyedBatchSampler] over this dataset, for ``DataLoader(batch_sampler=...)``.

        Example:
            >>> [list(b) for b in AugmentedDataset([7, 8, 9], seed=0).batch_sampler(batch_size=2)]
            [[0, 1], [2]]
        """
        return KeyedBatchSampler(
            self, batch_size, shuffle=shuffle, drop_last=drop_last, sampler=sampler, generator=generator
        )

    def loader(
        self,
        batch_size: int = 1,
        *,
        shuffle: bool = False,
        drop_last: bool = False,
        sampler: Any = None,
        generator: torch.Generator | None = None,
        stateful: bool = False,
        **dataloader_kwargs: Any,
    ) -> torch.utils.data.DataLoader:
        """A ``DataLoader`` driven by a [KeyedBatchSampler][loaders.KeyedBatchSampler]; other kwargs go to it.

        Args:
            batch_size: samples per batch.
            shuffle: a keyed shuffle, fresh each epoch (see [KeyedBatchSampler][loaders.KeyedBatchSampler]).
            drop_last: drop the last incomplete batch.
            sampler: any index sampler (e.g. ``DistributedSampler``); it shares the epoch.
            generator: optional ``torch.Generator`` for the shuffle.
            stateful: return a [StatefulLoader][loaders.dataset.StatefulLoader] (a torchdata
                ``StatefulDataLoader``) whose ``state_dict()`` / ``load_state_dict()`` resume
                exactly, also with another ``num_workers``.
            **dataloader_kwargs: ``num_workers``, ``collate_fn``, ``persistent_workers``, ...

        Returns:
            The loader.
        """
        if "batch_sampler" in dataloader_kwargs:
            raise TypeError(
                "AugmentedDataset.loader: batch_sampler is set here (a KeyedBatchSampler); "
                "use DataLoader(ds, batch_sampler=...) directly for another one"
            )
        if not isinstance(stateful, bool):
            raise TypeError(f"AugmentedDataset.loader: stateful must be a bool, got {stateful!r}")
        bs = self.batch_sampler(batch_size, shuffle=shuffle, drop_last=drop_last, sampler=sampler, generator=generator)
        if stateful:
            from .stateful import StatefulLoader

            return StatefulLoader(self, batch_sampler=bs, **dataloader_kwargs)
        return torch.utils.data.DataLoader(self, batch_sampler=bs, **dataloader_kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({short_repr(self.dataset)}, {self._repr_args()})"
