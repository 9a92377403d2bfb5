"""A torchdata ``StatefulDataLoader`` that resumes keyed datasets exactly, with any ``num_workers``.

Returned by ``AugmentedDataset.loader(..., stateful=True)`` and
``AugmentedIterableDataset.loader(stateful=True)``. Its state is the keyed position, not
torchdata's per-worker snapshots: the epoch, the batches the training loop has taken, and the
knob values bound to the batches dispatched after those. Every draw is keyed on ``(seed,
epoch, index)``, so this is all a resume needs, and a state saved with ``num_workers=2`` resumes
with ``num_workers=0`` (and the other way round), which torchdata's own state refuses. The
state is plain data: it loads with ``torch.load(path, weights_only=True)``.

Example:
    >>> from loaders import AugmentedDataset
    >>> ds = AugmentedDataset(list(range(6)), seed=0)
    >>> loader = ds.loader(batch_size=2, shuffle=True, stateful=True)
    >>> it = iter(loader); first = next(it)
    >>> state = loader.state_dict()
    >>> rest = [b.tolist() for b in it]
    >>> fresh = AugmentedDataset(list(range(6)), seed=0).loader(batch_size=2, shuffle=True, stateful=True)
    >>> fresh.load_state_dict(state)
    >>> [b.tolist() for b in fresh] == rest
    True
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from torch.utils.data import IterableDataset
from torchdata.stateful_dataloader import StatefulDataLoader

from ..validation import check_state

__all__ = ["STATE_FORMAT", "StatefulLoader"]

#: The ``"format"`` entry of a [StatefulLoader][loaders.dataset.StatefulLoader] state.
STATE_FORMAT = "loaders.keyed/1"


class _Counting:
    """Counts the batches the training loop takes from one pass of the loader."""

    def __init__(self, loader: StatefulLoader, inner: Iterator[Any]) -> None:
        self._loader = loader
        self._inner = inner

    def __iter__(self) -> _Counting:
        return self

    def __next__(self) -> Any:
        batch = next(self._inner)
        self._loader.consumed = (self._loader.consumed or 0) + 1
        return batch

    def __len__(self) -> int:
        return len(self._inner)  # type: ignore[arg-type]


class StatefulLoader(StatefulDataLoader):
    """A ``StatefulDataLoader`` whose state is the keyed position (see the module docs).

    Built by the ``loader(stateful=True)`` methods; its constructor is torchdata's. The dataset
    must be an [AugmentedDataset][loaders.AugmentedDataset] driven by a
    [KeyedBatchSampler][loaders.KeyedBatchSampler], or an iterable wrapper with
    ``state_dict(consumed=...)`` ([AugmentedIterableDataset][loaders.AugmentedIterableDataset],
    `loaders.hf.HFIterableDataset`) loaded with ``batch_size=None``.

    Attributes:
        consumed: batches taken from the current pass (``None`` before the first pass).
    """

    consumed: int | None = None

    def __iter__(self) -> Iterator[Any]:
        inner = super().__iter__()
        self.consumed = 0
        return _Counting(self, inner)

    def _resumable(self) -> tuple[Any, Any]:
        ds = self.dataset
        if isinstance(ds, IterableDataset):
            target = ds
        else:
            target = self.batch_sampler
        if not callable(getattr(target, "state_dict", None)) or not callable(getattr(target, "load_state_dict", None)):
            raise TypeError(
                f"StatefulLoader: {type(target).__name__} has no state_dict()/load_state_dict(); build the loader "
                "with AugmentedDataset.loader(stateful=True) or AugmentedIterableDataset.loader(stateful=True)"
            )
        return ds, target

    def state_dict(self) -> dict[str, Any]:
        """The keyed position: plain data that ``torch.load(..., weights_only=True)`` reads back.

        Returns:
            ``{"format", "dataset"}`` for a stream, plus ``"batch_sampler"`` for a map-style dataset.
        """
        ds, target = self._resumable()
        if target is ds:
            return {"format": STATE_FORMAT, "dataset": ds.state_dict(consumed=self.consumed)}
        return {
            "format": STATE_FORMAT,
            "dataset": ds.state_dict(),
            "batch_sampler": target.state_dict(consumed=self.consumed),
        }

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Resume from `state_dict`: the next pass continues where the saved one stopped.

        Call it before iterating, in the same or a new process, with any ``num_workers``; do not
        call ``set_epoch`` for the resumed epoch first (the state sets it; a ``set_epoch`` to
        another epoch drops the resume point).

        Raises:
            ValueError: a state that this class did not write (for example torchdata's own).
        """
        st = check_state(state_dict, ("format", "dataset"), "StatefulLoader")
        if st["format"] != STATE_FORMAT:
            raise ValueError(
                f"StatefulLoader.load_state_dict: unknown state format {st['format']!r} (expected {STATE_FORMAT!r})"
            )
        ds, target = self._resumable()
        super().load_state_dict({})  # drop any running iterator (and its workers' copies)
        ds.load_state_dict(st["dataset"])
        if target is not ds:
            check_state(st, ("batch_sampler",), "StatefulLoader")
            target.load_state_dict(st["batch_sampler"])
        self.consumed = None
