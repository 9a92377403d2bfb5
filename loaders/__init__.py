"""Dataset wrappers and per-sample transforms that run inside DataLoader workers.

Subpackages: `loaders.image`, `loaders.audio`, `loaders.text` (transforms per modality),
`loaders.dataset` (the keyed dataset wrappers), `loaders.hf` (Hugging Face glue) and
`loaders.adaptive` (a strength knob that follows training). The dataset wrappers are
imported on first use, so that ``import loaders`` stays light.

Example:
    >>> import loaders
    >>> ds = loaders.AugmentedDataset([(-1, 0)], loaders.Lambda(abs), seed=0)
    >>> ds[0]
    (1, 0)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .keys import KeyedBatch, SampleKey, SharedValue, batch_rng, sample_rng
from .seeded import Seeded  # light: numpy and torch only, like the core
from .transform import AugmentationError, Compose, Lambda, OneOf, RandomApply, Transform

if TYPE_CHECKING:
    from .dataset import AugmentedDataset, AugmentedIterableDataset, KeyedBatchSampler, TransformOutputError

_LAZY = {
    "AugmentedDataset": ".dataset",
    "AugmentedIterableDataset": ".dataset",
    "KeyedBatchSampler": ".dataset",
    "TransformOutputError": ".dataset",
}

__all__ = [
    "AugmentedDataset",
    "AugmentedIterableDataset",
    "KeyedBatchSampler",
    "Transform",
    "Compose",
    "OneOf",
    "RandomApply",
    "Lambda",
    "Seeded",
    "AugmentationError",
    "TransformOutputError",
    "KeyedBatch",
    "SampleKey",
    "SharedValue",
    "sample_rng",
    "batch_rng",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'loaders' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
