"""Dataset wrappers that augment each sample with a generator keyed on ``(seed, epoch, index)``.

- [AugmentedDataset][loaders.AugmentedDataset] (`loaders.dataset.mapstyle`) wraps any
  map-style dataset and applies a transform to the input of every sample, inside the
  DataLoader worker.
- [KeyedBatchSampler][loaders.KeyedBatchSampler] (`loaders.dataset.sampler`) yields
  `loaders.keys.KeyedBatch` lists of indices with the epoch and the knob values bound in the
  main process when the batch is dispatched.
- [AugmentedIterableDataset][loaders.AugmentedIterableDataset] (`loaders.dataset.iterable`)
  does the same for streams: the key of an item is its position in the stream.
- `loaders.dataset.state`: the shared epoch (one owner, see its docs) and the common settings;
  `loaders.dataset.stateful`: the resumable loader (torchdata, imported on first use).

Example:
    >>> from loaders import Lambda
    >>> ds = AugmentedDataset([(-1, 0), (-2, 1)], Lambda(abs), seed=0)
    >>> ds[1], [b.indices for b in ds.batch_sampler(batch_size=2)]
    ((2, 1), [[0, 1]])
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..keys import SHUFFLE_STREAM
from .augment import SampleAugmenter, TransformOutputError, read_knobs
from .iterable import AugmentedIterableDataset
from .mapstyle import AugmentedDataset
from .sampler import KeyedBatchSampler, KeyedRandomSampler, KeyedSequentialSampler
from .state import MAX_EPOCH, EpochClock, KeyedWrapper

if TYPE_CHECKING:
    from .stateful import StatefulLoader

__all__ = [
    "AugmentedDataset",
    "AugmentedIterableDataset",
    "EpochClock",
    "KeyedBatchSampler",
    "KeyedRandomSampler",
    "KeyedSequentialSampler",
    "KeyedWrapper",
    "MAX_EPOCH",
    "SHUFFLE_STREAM",
    "SampleAugmenter",
    "StatefulLoader",
    "TransformOutputError",
    "read_knobs",
]

# Pickles written before this package split name the per-sample core ``loaders.dataset._Augmenter``.
_Augmenter = SampleAugmenter


def __getattr__(name: str) -> Any:
    if name == "StatefulLoader":  # imports torchdata
        return importlib.import_module(".stateful", __name__).StatefulLoader
    raise AttributeError(f"module 'loaders.dataset' has no attribute {name!r}")
