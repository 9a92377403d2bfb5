"""Batch sampling with keys bound at dispatch: the batch sampler and the index samplers it builds.

[KeyedBatchSampler][loaders.KeyedBatchSampler] yields `loaders.keys.KeyedBatch` lists of
indices with the epoch and the knob values bound in the main process when each batch is
dispatched. It shares the dataset's epoch with the index sampler inside it (see
`loaders.dataset.state` for the epoch rule), and can be rebuilt around another index
sampler as ``KeyedBatchSampler(sampler, batch_size=..., drop_last=...)``, which is what
Lightning does when it injects a ``DistributedSampler``.

Example:
    >>> from loaders import AugmentedDataset
    >>> ds = AugmentedDataset(list(range(5)), seed=3)
    >>> bs = KeyedBatchSampler(ds, batch_size=2)
    >>> [list(b) for b in bs], bs.state_dict()["position"]
    ([[0, 1], [2, 3], [4]], 3)
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Iterator
from typing import Any

import torch
from torch.utils.data import IterableDataset, RandomSampler, Sampler, SequentialSampler

from ..keys import SHUFFLE_STREAM, KeyedBatch, sample_rng
from ..validation import check_bool, check_int, check_state
from .augment import read_knobs
from .state import MAX_EPOCH, KeyedWrapper

__all__ = ["KeyedBatchSampler", "KeyedRandomSampler", "KeyedSequentialSampler", "shuffle_order"]


def shuffle_order(seed: int, epoch: int, n: int, generator: torch.Generator | None = None) -> list[int]:
    """The keyed shuffle of ``range(n)`` for ``(seed, epoch)``, or drawn from ``generator`` when given.

    Example:
        >>> shuffle_order(0, 1, 5) == shuffle_order(0, 1, 5), sorted(shuffle_order(0, 1, 5))
        (True, [0, 1, 2, 3, 4])
    """
    g = generator
    if g is None:
        g = torch.Generator()
        g.manual_seed(int(sample_rng(seed, epoch, 0, stream=SHUFFLE_STREAM).integers(2**63)))
    return torch.randperm(n, generator=g).tolist()


class KeyedSequentialSampler(SequentialSampler):
    """``0, 1, ..., n-1``, with ``set_epoch`` setting the dataset's epoch.

    Args:
        dataset: the keyed dataset (an [AugmentedDataset][loaders.AugmentedDataset]).

    Example:
        >>> from loaders import AugmentedDataset
        >>> ds = AugmentedDataset([5, 6], seed=0)
        >>> s = KeyedSequentialSampler(ds)
        >>> s.set_epoch(2); list(s), ds.epoch
        ([0, 1], 2)
    """

    def __init__(self, dataset: Any) -> None:
        super().__init__(dataset)
        self.dataset = dataset

    @property
    def epoch(self) -> int:
        """The dataset's epoch."""
        return int(self.dataset.epoch)

    def set_epoch(self, epoch: int) -> None:
        """Set the dataset's epoch."""
        self.dataset.set_epoch(epoch)

    def __repr__(self) -> str:
        return f"KeyedSequentialSampler(n={len(self.dataset)})"


class KeyedRandomSampler(RandomSampler):
    """A fresh shuffle each epoch, keyed on ``(dataset.seed, epoch)``; ``set_epoch`` sets the dataset's epoch.

    A ``RandomSampler`` subclass, so tools that look for one (Lightning's shuffle detection)
    see that the loader shuffles.

    Args:
        dataset: the keyed dataset (an [AugmentedDataset][loaders.AugmentedDataset]).
        generator: optional ``torch.Generator``; its state then drives the order instead of the key.

    Example:
        >>> from loaders import AugmentedDataset
        >>> ds = AugmentedDataset(list(range(6)), seed=0)
        >>> s = KeyedRandomSampler(ds)
        >>> first = list(s); s.set_epoch(1)
        >>> sorted(first) == sorted(s), list(s) == shuffle_order(0, 1, 6)
        (True, True)
    """

    def __init__(self, dataset: Any, generator: torch.Generator | None = None) -> None:
        super().__init__(dataset, generator=generator)
        self.dataset = dataset

    @property
    def epoch(self) -> int:
        """The dataset's epoch."""
        return int(self.dataset.epoch)

    def set_epoch(self, epoch: int) -> None:
        """Set the dataset's epoch."""
        self.dataset.set_epoch(epoch)

    def __iter__(self) -> Iterator[int]:
        return iter(shuffle_order(self.dataset.seed, self.dataset.epoch, len(self.dataset), self.generator))

    def __len__(self) -> int:
        return len(self.dataset)

    def __repr__(self) -> str:
        g = "" if self.generator is None else ", generator=<torch.Generator>"
        return f"KeyedRandomSampler(n={len(self.dataset)}, seed={self.dataset.seed}{g})"


def _find_dataset(first: Any, sampler: Any, owner: str) -> tuple[Any, Any]:
    """Resolve ``KeyedBatchSampler(first, ...)``: ``first`` is the dataset, or an index sampler over it."""
    if isinstance(first, KeyedWrapper):
        return first, sampler
    if sampler is None and hasattr(first, "__iter__") and not isinstance(first, (str, bytes)):
        ds = getattr(first, "dataset", None)
        if ds is None:
            ds = getattr(first, "data_source", None)
        if isinstance(ds, KeyedWrapper):
            return ds, first
    raise TypeError(
        f"{owner}: dataset must be an AugmentedDataset, or an index sampler whose .dataset is one (as "
        f"when Lightning injects a DistributedSampler), got {type(first).__name__}"
    )


class KeyedBatchSampler(Sampler[KeyedBatch]):
    """Yield `loaders.keys.KeyedBatch` lists of indices with epoch and knobs bound at dispatch.

    Runs in the main process: for each batch it reads every knob's ``.get()`` and stores the
    values in the batch, with the epoch of the pass, so workers need no shared state and the
    timing of knob changes is deterministic.

    Epoch: the dataset, this batch sampler and its index sampler share one epoch; calling
    ``set_epoch`` on any of them sets it (the latest call wins, see `loaders.dataset.state`).

    Args:
        dataset: the [AugmentedDataset][loaders.AugmentedDataset] the batches index, or an index
            sampler whose ``.dataset`` is one (then it is the ``sampler``; this is how Lightning
            rebuilds batch samplers around its ``DistributedSampler``).
        batch_size: samples per batch.
        shuffle: shuffle the indices each pass. Without ``generator`` the order is keyed on
            ``(dataset.seed, epoch)``: reproducible, different each epoch. With ``generator``
            its state drives the order (reproducible only if you seed it; saved by `state_dict`).
        drop_last: drop the last incomplete batch.
        sampler: an index sampler to batch instead (e.g. ``DistributedSampler``); then ``shuffle``
            and ``generator`` must be left unset. It is never overridden: its ``set_epoch`` is
            called when the dataset's epoch is set, and a ``set_epoch`` made on it directly is
            adopted by the dataset when a pass starts. When the batch sampler is built, a sampler
            whose epoch is not 0 sets the dataset's epoch; one at 0 (or without a readable
            ``epoch`` attribute) takes the dataset's.
        generator: optional ``torch.Generator`` for the shuffle.

    Attributes:
        sampler: the index sampler: yours, or a [KeyedRandomSampler][loaders.dataset.KeyedRandomSampler]
            / [KeyedSequentialSampler][loaders.dataset.KeyedSequentialSampler] built here.

    Example:
        >>> from loaders import AugmentedDataset
        >>> ds = AugmentedDataset(list(range(5)), seed=3)
        >>> batches = list(KeyedBatchSampler(ds, batch_size=2))
        >>> list(batches[0]), batches[0].epoch, len(batches)
        ([0, 1], 0, 3)
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        *,
        shuffle: bool = False,
        drop_last: bool = False,
        sampler: Any = None,
        generator: torch.Generator | None = None,
    ) -> None:
        owner = "KeyedBatchSampler"
        dataset, sampler = _find_dataset(dataset, sampler, owner)
        if isinstance(dataset, IterableDataset):
            raise TypeError(
                f"{owner}: dataset is an iterable dataset ({type(dataset).__name__}); streams batch "
                "themselves (AugmentedIterableDataset(batch_size=...))"
            )
        self.dataset = dataset
        self.batch_size = check_int("batch_size", batch_size, low=1, owner=owner)
        self.shuffle = check_bool("shuffle", shuffle, owner=owner)
        self.drop_last = check_bool("drop_last", drop_last, owner=owner)
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"{owner}: generator must be a torch.Generator or None, got {generator!r}")
        self.generator = generator
        self.user_sampler = sampler is not None
        if sampler is not None:
            if shuffle or generator is not None:
                raise ValueError(
                    f"{owner}: sampler is mutually exclusive with shuffle/generator (the sampler decides the order)"
                )
            if not hasattr(sampler, "__iter__"):
                raise TypeError(f"{owner}: sampler must be an iterable of indices, got {sampler!r}")
            self.sampler = sampler
        elif shuffle:
            self.sampler = KeyedRandomSampler(dataset, generator=generator)
        else:
            self.sampler = KeyedSequentialSampler(dataset)
        self._pass: dict[str, Any] | None = None
        self._resume: dict[str, Any] | None = None
        self._seen: int | None = None
        self._attach()

    # -- epoch sharing -----------------------------------------------------------------
    def _foreign(self) -> bool:
        """Whether the index sampler is not one of the keyed ones (yours, or one a tool swapped in)."""
        return not isinstance(self.sampler, (KeyedRandomSampler, KeyedSequentialSampler))

    def _sampler_epoch(self) -> int | None:
        e = getattr(self.sampler, "epoch", None) if self._foreign() else None
        return e if isinstance(e, int) and not isinstance(e, bool) else None

    def _attach(self) -> None:
        self.dataset.epoch_clock.subscribe(self._on_dataset_epoch)
        se = self._sampler_epoch()
        if se is None:  # a keyed sampler, or an epoch we cannot read: the sampler takes the dataset's
            self._on_dataset_epoch(self.dataset.epoch)
        elif se != self.dataset.epoch:
            if se != 0:
                self.dataset.set_epoch(se)
            else:
                self._on_dataset_epoch(self.dataset.epoch)
        self._seen = self._sampler_epoch()

    def _on_dataset_epoch(self, epoch: int) -> None:
        if self._foreign():
            set_epoch = getattr(self.sampler, "set_epoch", None)
            if callable(set_epoch):
                set_epoch(epoch)
            self._seen = self._sampler_epoch()

    def _sync_epoch(self) -> None:
        """Adopt a ``set_epoch`` made directly on the user's sampler since the last sync."""
        se = self._sampler_epoch()
        if se is None:
            return
        if se != self._seen:
            self.dataset.set_epoch(se)
        elif se != self.dataset.epoch:
            self._on_dataset_epoch(self.dataset.epoch)
        self._seen = se

    @property
    def epoch(self) -> int:
        """The shared epoch (after adopting a ``set_epoch`` made on the index sampler)."""
        self._sync_epoch()
        return self.dataset.epoch

    def set_epoch(self, epoch: int) -> None:
        """Set the shared epoch (the dataset's, and the index sampler's)."""
        self.dataset.set_epoch(epoch)

    # -- iteration -------------------------------------------------------------------------
    def _generator(self) -> torch.Generator | None:
        g = getattr(self.sampler, "generator", None)
        return g if isinstance(g, torch.Generator) else None

    def __iter__(self) -> Iterator[KeyedBatch]:
        self._sync_epoch()
        ds = self.dataset
        epoch, seed, bs = ds.epoch, ds.seed, self.batch_size
        gen = self._generator()
        start, pending = 0, []
        resume, self._resume = self._resume, None
        if resume is not None and resume["epoch"] == epoch:
            start, pending = resume["position"], resume["knobs"]
            if gen is not None and resume["generator_state"] is not None:
                gen.set_state(torch.tensor(resume["generator_state"], dtype=torch.uint8))
        record: dict[str, Any] = {
            "epoch": epoch,
            "start": start,
            "dispatched": start,
            "knobs": [],
            "generator_state": None if gen is None else gen.get_state().tolist(),
        }
        self._pass = record
        it = iter(self.sampler)
        if start:
            collections.deque(itertools.islice(it, start * bs), maxlen=0)  # skip without loading anything
        for b in itertools.count():
            chunk = [int(i) for i in itertools.islice(it, bs)]
            if not chunk or (self.drop_last and len(chunk) < bs):
                return
            knobs = dict(pending[b]) if b < len(pending) else read_knobs(ds.knobs)
            record["knobs"].append(knobs)
            record["dispatched"] += 1
            yield KeyedBatch(chunk, seed=seed, epoch=epoch, indices=chunk, knobs=knobs)

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    # -- resume ----------------------------------------------------------------------------
    def state_dict(self, consumed: int | None = None) -> dict[str, Any]:
        """The position in the current pass, as plain data (loads with ``torch.load(weights_only=True)``).

        Args:
            consumed: batches of the current pass the training loop has taken so far (the
                loader of ``AugmentedDataset.loader(stateful=True)`` passes it). ``None``: the
                batches dispatched so far, which is the same with ``num_workers=0``; with
                workers the DataLoader dispatches ahead, so pass the consumed count.

        Returns:
            ``{"epoch", "position", "knobs", "generator_state"}``: the epoch, the batches of
            it already taken, the knob values bound to the batches dispatched after those
            (so that a resume binds the same values), and the shuffle generator's state at
            the start of the pass (or None).
        """
        self._sync_epoch()
        epoch = self.dataset.epoch
        p = self._pass
        if p is not None and p["epoch"] == epoch:
            done = p["dispatched"] - p["start"]
            taken = done if consumed is None else min(check_int("consumed", consumed, low=0), done)
            return {
                "epoch": epoch,
                "position": p["start"] + taken,
                "knobs": [dict(k) for k in p["knobs"][taken:]],
                "generator_state": p["generator_state"],
            }
        if self._resume is not None and self._resume["epoch"] == epoch:
            r = self._resume
            return {**r, "knobs": [dict(k) for k in r["knobs"]]}
        gen = self._generator()
        return {
            "epoch": epoch,
            "position": 0,
            "knobs": [],
            "generator_state": None if gen is None else gen.get_state().tolist(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume: set the epoch, and make the next pass start at the saved position.

        The batches already taken are skipped without loading anything; the next ones get
        the knob values bound when they were first dispatched. A ``set_epoch`` to another
        epoch before iterating drops the resume point (that epoch starts from its beginning).
        """
        owner = "KeyedBatchSampler"
        state = check_state(state, ("epoch", "position", "knobs", "generator_state"), owner)
        epoch = check_int("epoch", state["epoch"], low=0, high=MAX_EPOCH, owner=owner)
        position = check_int("position", state["position"], low=0, owner=owner)
        knobs = state["knobs"]
        if not isinstance(knobs, list) or not all(isinstance(k, dict) for k in knobs):
            raise TypeError(f"{owner}.load_state_dict: knobs must be a list of dicts, got {knobs!r}")
        gen_state = state["generator_state"]
        if gen_state is not None and self._generator() is None:
            raise ValueError(
                f"{owner}.load_state_dict: the state has a shuffle generator state but this batch "
                "sampler has no generator; build it as the saved one was"
            )
        self.dataset.set_epoch(epoch)
        self._pass = None
        self._resume = {
            "epoch": epoch,
            "position": position,
            "knobs": [{str(n): float(v) for n, v in k.items()} for k in knobs],
            "generator_state": None if gen_state is None else [int(v) for v in gen_state],
        }

    # -- pickling / repr ----------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        state.setdefault("user_sampler", state.get("sampler") is not None)
        if "_pass" not in state:  # a pickle from before the epoch clock
            self.user_sampler = state.get("sampler") is not None
            if self.sampler is None:
                shuffle = bool(state.get("shuffle"))
                self.sampler = (
                    KeyedRandomSampler(self.dataset, state.get("generator"))
                    if shuffle
                    else KeyedSequentialSampler(self.dataset)
                )
            self._pass = self._resume = None
        self._attach()

    def __repr__(self) -> str:
        extra = f", sampler={self.sampler!r}" if self.user_sampler else f", shuffle={self.shuffle}"
        return (
            f"KeyedBatchSampler(batch_size={self.batch_size}{extra}, drop_last={self.drop_last}, "
            f"seed={self.dataset.seed})"
        )
