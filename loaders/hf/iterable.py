"""Streaming ``datasets.IterableDataset`` rows augmented and tokenized on the fly, sharded and resumable.

Example:
    >>> import datasets
    >>> from loaders import Lambda
    >>> from loaders.hf import HFTextTransform
    >>> stream = datasets.Dataset.from_dict({"text": ["a", "b", "c"], "label": [0, 1, 0]}).to_iterable_dataset()
    >>> ds = HFIterableDataset(stream, HFTextTransform(Lambda(str.upper)), seed=0)
    >>> [row["text"] for row in ds]
    ['A', 'B', 'C']
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import torch

from ..dataset import MAX_EPOCH, EpochClock, read_knobs
from ..keys import KeyedBatch, sample_rng
from ..transform import AugmentationError, Transform
from ..validation import check_choice, check_int, check_knobs, check_state, check_stream_split, resolve_seed
from .transform import HFTextTransform  # noqa: F401  (doctest)

__all__ = ["HFIterableDataset"]


def _dist_rank_world() -> tuple[int, int]:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


_SHARD_BITS = 40  # shard-mode keys: (shard << 40) | offset: up to 2**40 rows per shard, 2**24 shards


class HFIterableDataset(torch.utils.data.IterableDataset):
    """A ``datasets.IterableDataset`` augmented and tokenized on the fly, sharded over workers and ranks.

    Each row goes through ``transform`` (an [HFTextTransform][loaders.hf.HFTextTransform]) with the keyed generator
    ``sample_rng(seed, epoch, key)``; ``key`` never depends on ``num_workers``:

    * ``shard_by="examples"`` (default): the rank's stream comes from
      ``datasets.distributed.split_dataset_by_node(strategy="examples")`` (rank ``r`` of ``R``
      keeps positions ``r, r+R, ...``); worker ``k`` of ``W`` keeps every ``W``-th of those
      (reading and skipping the others). ``key`` is the row's global position in the full
      stream. Works for any number of shards (also ``Dataset.to_iterable_dataset()``'s single
      one); every worker reads the whole rank stream, but only augments/tokenizes its own rows.
    * ``shard_by="shards"``: datasets' own sharding. Rank ``r`` takes the shards ``g`` with
      ``g % R == r`` (as ``split_dataset_by_node(strategy="shards")``), and its worker ``k`` the
      shards with ``(g // R) % W == k`` (as datasets does for DataLoader workers); each worker
      reads only its shards (``dataset.shard(num_shards, g)``). ``key = (g << 40) | offset``
      in the shard. Workers beyond the number of shards get nothing, as in datasets.

    With ``batch_size=B`` the wrapper yields `loaders.keys.KeyedBatch` lists of B rows
    (consecutive in the rank stream, or in one shard), keyed so that ``TextCollate`` mixing is
    reproducible; use ``DataLoader(ds, batch_size=None, collate_fn=TextCollate(...))``.

    ``set_epoch(e)`` stores the epoch in shared memory (persistent workers see it) and forwards
    it to the HF dataset's ``set_epoch`` (its ``shuffle`` buffer then reshuffles per epoch).

    Resume (``shard_by="examples"``): `state_dict` / `load_state_dict` save the epoch and the
    number of units (rows, or batches with ``batch_size``) of this rank's stream already taken;
    `loader` ``(stateful=True)`` counts them. On resume the rows already seen are read from the
    stream (a stream cannot seek) but not augmented or tokenized. With ``shard_by="shards"`` a
    resume inside an epoch is refused (the state is only the epoch).

    Args:
        dataset: a ``datasets.IterableDataset``.
        transform: the per-row [HFTextTransform][loaders.hf.HFTextTransform] (or any Transform on
            dict rows), or None.
        seed: non-negative int; None draws one here, once.
        knobs: mapping name -> source with ``.get()`` (read in the worker per row); ``"strength"``
            is passed to ``transform.sample``.
        batch_size: rows per yielded `loaders.keys.KeyedBatch`, or None to yield rows.
        drop_last: with ``batch_size``, drop the last incomplete batch.
        rank: this rank; default: ``torch.distributed`` if initialised, else a single rank.
        world_size: the number of ranks (with ``rank``).
        shard_by: ``"examples"`` or ``"shards"``.
        read_batch_size: rows per ``dataset.iter(batch_size=...)`` read (throughput only).

    Example:
        >>> import datasets
        >>> from loaders import Lambda
        >>> stream = datasets.Dataset.from_dict({"text": ["a", "b", "c"]}).to_iterable_dataset()
        >>> ds = HFIterableDataset(stream, HFTextTransform(Lambda(str.upper), label_column=None), seed=0,
        ...                        batch_size=2)
        >>> [[row["text"] for row in batch] for batch in ds]
        [['A', 'B'], ['C']]
    """

    def __init__(
        self,
        dataset: Any,
        transform: Transform | None = None,
        *,
        seed: int | None = None,
        knobs: dict[str, Any] | None = None,
        batch_size: int | None = None,
        drop_last: bool = False,
        rank: int | None = None,
        world_size: int | None = None,
        shard_by: str = "examples",
        read_batch_size: int = 256,
    ) -> None:
        owner = "HFIterableDataset"
        import datasets

        if not isinstance(dataset, datasets.IterableDataset):
            raise TypeError(
                f"{owner}: dataset must be a datasets.IterableDataset, got {type(dataset).__name__} "
                "(use from_hf() or loaders.AugmentedDataset for a map-style datasets.Dataset)"
            )
        if transform is not None and not isinstance(transform, Transform):
            raise TypeError(
                f"{owner}: transform must be a loaders.Transform (e.g. HFTextTransform) or None, got {transform!r}"
            )
        self.dataset, self.transform = dataset, transform
        self.seed = resolve_seed(seed, owner=owner)
        self.knobs = check_knobs(knobs, owner=owner)
        self.batch_size, self.drop_last, self.rank, self.world_size = check_stream_split(
            batch_size, drop_last, rank, world_size, owner=owner
        )
        self.shard_by = check_choice("shard_by", shard_by, ("examples", "shards"), owner=owner)
        if shard_by == "shards" and dataset.num_shards >= 2 ** (64 - _SHARD_BITS):
            raise ValueError(f"{owner}: too many shards ({dataset.num_shards}) for shard-mode keys")
        self.read_batch_size = check_int("read_batch_size", read_batch_size, low=1, owner=owner)
        self._epoch = EpochClock(0)
        self._resume: dict[str, int] | None = None
        self._pass: dict[str, int] | None = None

    def __setstate__(self, state: dict[str, Any]) -> None:
        if not isinstance(state.get("_epoch"), EpochClock):  # a pickle from before the epoch clock
            clock = EpochClock.__new__(EpochClock)
            clock.__setstate__({"_value": state["_epoch"]})
            state["_epoch"] = clock
        state.setdefault("_resume", None)
        state.setdefault("_pass", None)
        self.__dict__.update(state)

    @property
    def epoch(self) -> int:
        """The current epoch (shared with the workers)."""
        return self._epoch.get()

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch here and in the HF dataset (call before iterating that epoch)."""
        epoch = check_int("epoch", epoch, low=0, high=MAX_EPOCH, owner="HFIterableDataset")
        self._epoch.set(epoch)
        self.dataset.set_epoch(epoch)

    def _rank_world(self) -> tuple[int, int]:
        if self.world_size is not None and self.rank is not None:
            return self.rank, self.world_size
        return _dist_rank_world()

    @staticmethod
    def _rows(ds: Any, read_batch_size: int, epoch: int) -> Iterable[dict[str, Any]]:
        # dataset.iter() does not apply datasets' own DataLoader-worker split (``__iter__`` does),
        # so the sharding below is ours and exact.
        ds.set_epoch(epoch)
        for chunk in ds.iter(batch_size=read_batch_size):
            cols = list(chunk)
            for values in zip(*(chunk[c] for c in cols), strict=False):
                yield dict(zip(cols, values, strict=False))

    def _units(self, epoch: int, start: int) -> Iterable[list]:
        """This worker's rows as ``(key, row)`` groups (one group per batch, or per row), from unit ``start``."""
        from datasets.distributed import split_dataset_by_node

        info = torch.utils.data.get_worker_info()
        n_workers, worker = (info.num_workers, info.id) if info is not None else (1, 0)
        rank, world = self._rank_world()
        bs = self.batch_size or 1
        if self.shard_by == "examples":
            ds = self.dataset
            if world > 1:
                ds = split_dataset_by_node(ds, rank=rank, world_size=world, strategy="examples")
            # rows already taken are read but neither augmented nor tokenized
            it = itertools.islice(enumerate(self._rows(ds, self.read_batch_size, epoch)), start * bs, None)
            for u in itertools.count():
                chunk = list(itertools.islice(it, bs))
                if not chunk or (self.drop_last and len(chunk) < bs):
                    return
                if u % n_workers == worker:
                    yield [(q * world + rank, row) for q, row in chunk]
            return
        n_shards = self.dataset.num_shards
        for g in range(rank, n_shards, world):
            if (g // world) % n_workers != worker:
                continue
            shard = self.dataset.shard(num_shards=n_shards, index=g, contiguous=True)
            rows = enumerate(self._rows(shard, self.read_batch_size, epoch))
            while True:
                chunk = list(itertools.islice(rows, bs))
                if not chunk or (self.drop_last and len(chunk) < bs):
                    break
                yield [((g << _SHARD_BITS) | j, row) for j, row in chunk]

    def _start(self, epoch: int) -> int:
        r = self._resume
        return r["position"] if r is not None and r["epoch"] == epoch else 0

    def __iter__(self) -> Iterator[Any]:
        epoch, seed, t = self.epoch, self.seed, self.transform
        start = self._start(epoch)
        record = None
        if torch.utils.data.get_worker_info() is None:
            self._resume = None
            record = self._pass = {"epoch": epoch, "start": start, "yielded": 0}
        for unit in self._units(epoch, start):
            knobs = read_knobs(self.knobs)
            strength = knobs.get("strength", 1.0)
            out = []
            for key, row in unit:
                if t is not None:
                    try:
                        row = t.apply(row, t.sample(sample_rng(seed, epoch, key), strength=strength))
                    except Exception as e:
                        raise AugmentationError(
                            f"HFIterableDataset: {t!r} failed on the row with key {key} "
                            f"(epoch {epoch}, seed {seed}): {type(e).__name__}: {e}"
                        ) from e
                out.append(row)
            if record is not None:
                record["yielded"] += 1
            if self.batch_size is None:
                yield out[0]
            else:
                yield KeyedBatch(out, seed=seed, epoch=epoch, indices=[k for k, _ in unit], knobs=knobs)

    def state_dict(self, consumed: int | None = None) -> dict[str, Any]:
        """The epoch and the units (rows, or batches) of this rank's stream taken, as plain data.

        Args:
            consumed: units of the current pass this rank's training loop has taken (the loader
                of `loader` ``(stateful=True)`` passes it); ``None``: what this object yielded when
                iterated in this process (``num_workers=0``).

        Returns:
            ``{"seed", "epoch", "position"}``.
        """
        epoch = self.epoch
        p = self._pass
        if p is not None and p["epoch"] == epoch:
            start, taken = p["start"], p["yielded"]
        else:
            start, taken = self._start(epoch), 0
        if consumed is not None:
            taken = check_int("consumed", consumed, low=0, owner="HFIterableDataset")
        return {"seed": self.seed, "epoch": epoch, "position": start + taken}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Resume: set the epoch; the next pass of that epoch starts after the saved position.

        Raises:
            ValueError: another seed, or a position inside an epoch with ``shard_by="shards"``.
        """
        owner = "HFIterableDataset"
        st = check_state(state, ("seed", "epoch", "position"), owner)
        if st["seed"] != self.seed:
            raise ValueError(
                f"{owner}.load_state_dict: the state was saved with seed={st['seed']!r} but this dataset has "
                f"seed={self.seed}; build it with seed={st['seed']!r} to resume"
            )
        epoch = check_int("epoch", st["epoch"], low=0, high=MAX_EPOCH, owner=owner)
        position = check_int("position", st["position"], low=0, owner=owner)
        if position and self.shard_by != "examples":
            raise ValueError(
                f"{owner}.load_state_dict: resuming inside an epoch (position {position}) needs "
                "shard_by='examples'; with shard_by='shards' resume at an epoch boundary"
            )
        self.set_epoch(epoch)
        self._pass = None
        self._resume = {"epoch": epoch, "position": position}

    def loader(self, *, stateful: bool = False, **dataloader_kwargs: Any) -> torch.utils.data.DataLoader:
        """A ``DataLoader(self, batch_size=None, ...)``; ``stateful=True`` gives a resumable one.

        Returns:
            A ``DataLoader``, or a [StatefulLoader][loaders.dataset.StatefulLoader].
        """
        for name in ("batch_size", "batch_sampler", "sampler", "shuffle"):
            if name in dataloader_kwargs:
                raise TypeError(
                    f"HFIterableDataset.loader: {name} is not for streams; batch with the "
                    "wrapper's batch_size= (the loader uses batch_size=None)"
                )
        if not isinstance(stateful, bool):
            raise TypeError(f"HFIterableDataset.loader: stateful must be a bool, got {stateful!r}")
        if stateful:
            from ..dataset.stateful import StatefulLoader

            return StatefulLoader(self, batch_size=None, **dataloader_kwargs)
        return torch.utils.data.DataLoader(self, batch_size=None, **dataloader_kwargs)

    def __repr__(self) -> str:
        extra = "" if self.world_size is None else f", rank={self.rank}, world_size={self.world_size}"
        return (
            f"HFIterableDataset(<{type(self.dataset).__name__} num_shards={self.dataset.num_shards}>, "
            f"transform={self.transform!r}, seed={self.seed}, epoch={self.epoch}, batch_size={self.batch_size}, "
            f"shard_by={self.shard_by!r}{extra})"
        )
