"""The stream wrapper: augment each item keyed on ``(seed, epoch, position in the stream)``.

Example:
    >>> from loaders import Lambda
    >>> ds = AugmentedIterableDataset(list(range(5)), Lambda(lambda v: -v), seed=0, batch_size=2)
    >>> [list(b) for b in ds]
    [[0, -1], [-2, -3], [-4]]
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import torch
from torch.utils.data import IterableDataset, get_worker_info

from .._fastkeys import BatchGenerators
from ..keys import KeyedBatch
from ..validation import check_int, check_state, check_stream_split
from .augment import AUTO, read_knobs, short_repr
from .state import MAX_EPOCH, KeyedWrapper

__all__ = ["AugmentedIterableDataset", "is_seekable"]

#: Generators for items are derived in vectorised blocks of this many positions.
_BLOCK = 64


def is_seekable(source: Any) -> bool:
    """Whether a stream source can jump to a position (a sequence: ``__len__`` and int ``__getitem__``).

    Example:
        >>> is_seekable([1, 2]), is_seekable(iter([1, 2])), is_seekable({"a": 1})
        (True, False, False)
    """
    return (
        hasattr(source, "__getitem__")
        and hasattr(source, "__len__")
        and not isinstance(source, (Mapping, IterableDataset, str, bytes))
    )


class AugmentedIterableDataset(KeyedWrapper, IterableDataset):
    """Augment a stream; the key of an item is ``(seed, epoch, position in the stream)``.

    Every DataLoader worker (and every rank, when ``rank``/``world_size`` are given) iterates the
    source and keeps its share: with ``batch_size=None``, worker ``k`` of ``W`` on rank ``r`` of
    ``R`` takes the items at positions ``p`` with ``p % (R*W) == r + R*k``. Each item is thus
    augmented exactly once, with a key that does not depend on ``num_workers`` or the world size.
    The DataLoader then interleaves the workers round robin, so with ``DataLoader(batch_size=None)``
    the items come out in stream order; a DataLoader that batches the items itself batches each
    worker's share, so which items share a batch depends on ``num_workers`` (the per-item
    results do not).

    With ``batch_size=B`` the wrapper forms the batches itself (consecutive positions) and yields
    `loaders.keys.KeyedBatch` lists of samples, sharded batch-wise; use ``DataLoader(ds,
    batch_size=None, collate_fn=...)`` (or `loader`). The round robin then restores the stream
    order exactly, so the whole batch stream, mixing collates included, is the same for any
    ``num_workers``.

    Resume: `state_dict` / `load_state_dict` save the epoch and the position (items, or batches
    with ``batch_size``) in the stream; `loader` ``(stateful=True)`` counts what the training loop
    consumed. On resume the items already seen are skipped without being augmented: a source
    that can seek (a list or any sequence) jumps there in constant time; any other iterable is
    read up to the position (its items are read, not augmented).

    Args:
        iterable: a re-iterable source (a list, a torch ``IterableDataset`` that does not shard
            itself, an object whose ``__iter__`` starts a fresh pass). One-shot iterators and
            generators are refused: they cannot restart for a second epoch or a second worker.
        transform: as in [AugmentedDataset][loaders.AugmentedDataset].
        seed: as in [AugmentedDataset][loaders.AugmentedDataset].
        input_key: as in [AugmentedDataset][loaders.AugmentedDataset].
        target_key: as in [AugmentedDataset][loaders.AugmentedDataset].
        transform_target: as in [AugmentedDataset][loaders.AugmentedDataset].
        target_transform: as in [AugmentedDataset][loaders.AugmentedDataset].
        knobs: as in [AugmentedDataset][loaders.AugmentedDataset]; read in the worker for each
            item (there is no dispatch step for streams).
        return_params: as in [AugmentedDataset][loaders.AugmentedDataset].
        check_types: as in [AugmentedDataset][loaders.AugmentedDataset].
        batch_size: ``None`` (yield samples) or an int (yield keyed batches).
        drop_last: with ``batch_size``, drop the last incomplete batch.
        rank: this process's rank, to shard across distributed ranks too (with ``world_size``).
        world_size: the number of ranks (with ``rank``).

    Example:
        >>> from loaders import Lambda
        >>> ds = AugmentedIterableDataset(list(range(5)), Lambda(lambda v: -v), seed=0, batch_size=2)
        >>> [list(b) for b in ds]
        [[0, -1], [-2, -3], [-4]]
    """

    def __init__(
        self,
        iterable: Iterable[Any],
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
        batch_size: int | None = None,
        drop_last: bool = False,
        rank: int | None = None,
        world_size: int | None = None,
    ) -> None:
        owner = type(self).__name__
        if not hasattr(iterable, "__iter__"):
            raise TypeError(
                f"{owner}: iterable must be iterable, got {short_repr(iterable)} ({type(iterable).__name__})"
            )
        if hasattr(iterable, "__next__"):
            raise TypeError(
                f"{owner}: iterable is a one-shot iterator ({type(iterable).__name__}); pass a "
                "re-iterable source (a list, or an object whose __iter__ starts a fresh pass) so that "
                "every epoch and every worker can iterate it"
            )
        if type(iterable).__module__.split(".")[0] == "datasets" and hasattr(iterable, "n_shards"):
            raise TypeError(
                f"{owner}: a datasets.IterableDataset shards itself across DataLoader workers, so "
                "sharding it again here would drop items; use loaders.hf.from_hf (HFIterableDataset)"
            )
        self.iterable = iterable
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
        self.batch_size, self.drop_last, self.rank, self.world_size = check_stream_split(
            batch_size, drop_last, rank, world_size, owner=owner
        )
        self._resume: dict[str, int] | None = None
        self._pass: dict[str, int] | None = None

    def _slot(self) -> tuple[int, int]:
        info = get_worker_info()
        w, k = (info.num_workers, info.id) if info is not None else (1, 0)
        r, big_r = (self.rank or 0, self.world_size) if self.world_size is not None else (0, 1)
        return r + big_r * k, big_r * w

    def _start(self, epoch: int) -> int:
        r = self.__dict__.get("_resume")
        return r["position"] if r is not None and r["epoch"] == epoch else 0

    def _source(self, first_item: int) -> Iterator[Any]:
        src = self.iterable
        if first_item and is_seekable(src):
            return (src[i] for i in range(first_item, len(src)))  # type: ignore[index, arg-type]
        it = iter(src)
        return itertools.islice(it, first_item, None) if first_item else it

    def __iter__(self) -> Iterator[Any]:
        slot, stride = self._slot()
        epoch, seed, aug, knobs = self.epoch, self.seed, self._augment, self.knobs
        start = self._start(epoch)
        record = None
        if get_worker_info() is None:  # iterated in this process: track the pass here
            self._resume = None
            record = self._pass = {"epoch": epoch, "start": start, "yielded": 0}
        if self.batch_size is None:
            it = self._source(start)
            # Positions are known ahead, so generators are derived in vectorised blocks
            # (bit-identical to sample_rng) while items are still consumed one at a time.
            keyed = self.transform is not None or self.target_transform is not None
            gens = None
            for j, item in enumerate(itertools.islice(it, slot, None, stride)):
                q = j % _BLOCK
                if keyed and q == 0:
                    gens = BatchGenerators(seed, epoch, [start + slot + (j + b) * stride for b in range(_BLOCK)])
                pos = start + slot + j * stride
                out = aug(item, pos, epoch, seed, read_knobs(knobs), gens.get(q) if gens is not None else None)
                if record is not None:
                    record["yielded"] += 1
                yield out
            return
        bs = self.batch_size
        it = self._source(start * bs)
        for u in itertools.count():
            chunk = list(itertools.islice(it, bs))
            if not chunk or (self.drop_last and len(chunk) < bs):
                return
            if u % stride != slot:
                continue
            kn = read_knobs(knobs)
            unit = start + u
            keys = list(range(unit * bs, unit * bs + len(chunk)))
            batch = KeyedBatch(aug.batch(chunk, keys, epoch, seed, kn), seed=seed, epoch=epoch, indices=keys, knobs=kn)
            if record is not None:
                record["yielded"] += 1
            yield batch

    def __len__(self) -> int:
        """Items (or batches, with ``batch_size``) this rank yields per epoch, over all its workers.

        Raises:
            TypeError: the source has no length (so ``len(loader)`` is unavailable).
        """
        try:
            n = len(self.iterable)  # type: ignore[arg-type]
        except TypeError:
            raise TypeError(f"{type(self).__name__}: the source {type(self.iterable).__name__} has no len()") from None
        if self.batch_size is not None:
            n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        r, big_r = (self.rank or 0, self.world_size) if self.world_size is not None else (0, 1)
        return max(0, -(-(n - r) // big_r))

    # -- resume --------------------------------------------------------------------------------
    def state_dict(self, consumed: int | None = None) -> dict[str, Any]:
        """The epoch and the stream position reached, as plain data.

        Args:
            consumed: items (or batches, with ``batch_size``) of the current pass this rank's
                training loop has taken (the loader of `loader` ``(stateful=True)`` passes it).
                ``None``: what this object yielded when iterated in this process (with
                ``num_workers=0``); with workers, pass the count.

        Returns:
            ``{"seed", "epoch", "position"}``: ``position`` counts units (items, or batches) of the
            whole stream; with ``world_size=R`` each rank is assumed to have taken ``consumed``.

        Example:
            >>> ds = AugmentedIterableDataset(list(range(6)), seed=0, batch_size=2)
            >>> it = iter(ds); _ = next(it)
            >>> ds.state_dict()
            {'seed': 0, 'epoch': 0, 'position': 1}
        """
        epoch = self.epoch
        p = self.__dict__.get("_pass")
        if p is not None and p["epoch"] == epoch:
            start, taken = p["start"], p["yielded"]
        else:
            start, taken = self._start(epoch), 0
        if consumed is not None:
            taken = check_int("consumed", consumed, low=0, owner=type(self).__name__)
        return {"seed": self.seed, "epoch": epoch, "position": start + taken * (self.world_size or 1)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Resume: set the epoch; the next pass of that epoch starts at the saved position.

        Raises:
            ValueError: the state was saved with another seed.
        """
        owner = type(self).__name__
        st = check_state(state, ("seed", "epoch", "position"), owner)
        if st["seed"] != self.seed:
            raise ValueError(
                f"{owner}.load_state_dict: the state was saved with seed={st['seed']!r} but this dataset has "
                f"seed={self.seed}; build it with seed={st['seed']!r} to resume"
            )
        epoch = check_int("epoch", st["epoch"], low=0, high=MAX_EPOCH, owner=owner)
        position = check_int("position", st["position"], low=0, owner=owner)
        self.set_epoch(epoch)
        self._pass = None
        self._resume = {"epoch": epoch, "position": position}

    def loader(self, *, stateful: bool = False, **dataloader_kwargs: Any) -> torch.utils.data.DataLoader:
        """A ``DataLoader(self, batch_size=None, ...)``: the wrapper batches (``batch_size``), the loader does not.

        Args:
            stateful: return a [StatefulLoader][loaders.dataset.StatefulLoader] whose
                ``state_dict()`` / ``load_state_dict()`` resume at the consumed position.
            **dataloader_kwargs: ``num_workers``, ``collate_fn``, ``persistent_workers``, ...

        Returns:
            The loader; it yields what the wrapper yields (collated by ``collate_fn`` if given).
        """
        for name in ("batch_size", "batch_sampler", "sampler", "shuffle"):
            if name in dataloader_kwargs:
                raise TypeError(
                    f"{type(self).__name__}.loader: {name} is not for streams; batch with the "
                    "wrapper's batch_size= (the loader uses batch_size=None)"
                )
        if not isinstance(stateful, bool):
            raise TypeError(f"{type(self).__name__}.loader: stateful must be a bool, got {stateful!r}")
        if stateful:
            from .stateful import StatefulLoader

            return StatefulLoader(self, batch_size=None, **dataloader_kwargs)
        return torch.utils.data.DataLoader(self, batch_size=None, **dataloader_kwargs)

    def __repr__(self) -> str:
        extra = ""
        if self.batch_size is not None:
            extra += f", batch_size={self.batch_size}, drop_last={self.drop_last}"
        if self.world_size is not None:
            extra += f", rank={self.rank}, world_size={self.world_size}"
        return f"{type(self).__name__}({short_repr(self.iterable)}, {self._repr_args()}{extra})"
