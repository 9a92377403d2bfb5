"""Observability: see the knob values each batch was built with.

Example:
    >>> from loaders.keys import KeyedBatch
    >>> WithKnobs()(KeyedBatch([1, 2], knobs={"strength": 0.5}))[1]
    {'strength': 0.5}
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import torch

from ..keys import KeyedBatch
from ..validation import check_callable, check_int

__all__ = ["KnobRecorder", "WithKnobs"]


class WithKnobs:
    """Collate wrapper that also returns the knob values each batch was built with.

    ``collate_fn(batch)`` runs as usual (it receives the `KeyedBatch`, so
    keyed mixing collates keep their keys); the loader then yields
    ``(collated, knobs)`` where ``knobs`` is the dict bound to the batch, e.g.
    ``{"strength": 0.3}``. The values come from the batch itself, so they are
    exactly what its transforms and collate used, whatever the prefetching.

    Args:
        collate_fn: the collate to wrap (default ``torch.utils.data.default_collate``).

    Raises:
        TypeError: when a batch is a plain list (the dataset is not an
            ``AugmentedDataset``, so there are no knobs to report).

    Example:
        >>> fn = WithKnobs()
        >>> out, knobs = fn(KeyedBatch([1, 2], seed=0, epoch=0, indices=[0, 1], knobs={"strength": 0.5}))
        >>> out.tolist(), knobs
        ([1, 2], {'strength': 0.5})
    """

    def __init__(self, collate_fn: Callable[[Any], Any] | None = None) -> None:
        self.collate_fn = check_callable("collate_fn", collate_fn, owner="WithKnobs", allow_none=True)

    def __call__(self, batch: Any) -> Any:
        """Collate ``batch`` (a `loaders.keys.KeyedBatch`) and return ``(collated, knobs)``."""
        if not isinstance(batch, KeyedBatch):
            raise TypeError(
                f"WithKnobs: the batch is a plain {type(batch).__name__}, not a KeyedBatch; wrap the dataset in "
                "loaders.AugmentedDataset(..., knobs=...) so that batches carry their knob values"
            )
        fn = self.collate_fn if self.collate_fn is not None else torch.utils.data.default_collate
        return fn(batch), dict(batch.knobs)

    def __repr__(self) -> str:
        return f"WithKnobs(collate_fn={self.collate_fn!r})"


class KnobRecorder:
    """Batch-sampler wrapper that records the knob values bound to each batch at dispatch.

    Wrap `loaders.KeyedBatchSampler` (which reads every knob when it
    yields a batch) and pass the recorder as ``DataLoader(batch_sampler=...)``.
    It lives in the main process, so ``history`` is readable from the
    training loop: one record per dispatched batch, in dispatch order (which
    is the order the DataLoader yields batches in), ``{"epoch": e, "batch": i,
    "knobs": {...}}`` with ``i`` counted from 0 in each epoch. Other attributes
    (``set_epoch``, ...) are forwarded to the wrapped sampler.

    Args:
        batch_sampler: an iterable of `KeyedBatch` of indices.
        maxlen: keep only the last ``maxlen`` records (``None``: all).

    Example:
        >>> batches = [KeyedBatch([0, 1], epoch=3, knobs={"strength": 0.2})]
        >>> rec = KnobRecorder(batches)
        >>> [list(b) for b in rec], rec.history
        ([[0, 1]], [{'epoch': 3, 'batch': 0, 'knobs': {'strength': 0.2}}])
    """

    def __init__(self, batch_sampler: Any, maxlen: int | None = None) -> None:
        if not hasattr(batch_sampler, "__iter__"):
            raise TypeError(f"KnobRecorder: batch_sampler must be iterable, got {type(batch_sampler).__name__}")
        self.batch_sampler = batch_sampler
        self.maxlen = None if maxlen is None else check_int("maxlen", maxlen, low=1, owner="KnobRecorder")
        self.history: list[dict[str, Any]] = []

    def __iter__(self) -> Iterator[KeyedBatch]:
        for i, batch in enumerate(self.batch_sampler):
            if not isinstance(batch, KeyedBatch):
                raise TypeError(
                    f"KnobRecorder: the batch sampler yielded a plain {type(batch).__name__}; it must bind knobs at "
                    "dispatch (use loaders.KeyedBatchSampler)"
                )
            self.history.append({"epoch": batch.epoch, "batch": i, "knobs": dict(batch.knobs)})
            if self.maxlen is not None and len(self.history) > self.maxlen:
                del self.history[: len(self.history) - self.maxlen]
            yield batch

    def __len__(self) -> int:
        return len(self.batch_sampler)

    def values(self, name: str = "strength", epoch: int | None = None) -> list[float]:
        """The recorded values of one knob (optionally of one epoch), in batch order."""
        return [r["knobs"][name] for r in self.history if epoch is None or r["epoch"] == epoch]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("batch_sampler", "history", "maxlen"):
            raise AttributeError(name)
        return getattr(self.batch_sampler, name)

    def __repr__(self) -> str:
        return f"KnobRecorder({self.batch_sampler!r}, maxlen={self.maxlen!r})"
