"""Dataset wrappers and per-sample transforms that run inside DataLoader workers.

Submodules: ``loaders.image``, ``loaders.audio``, ``loaders.text``, ``loaders.hf``,
``loaders.adaptive``. Names are imported lazily so that ``import loaders`` stays
light (no albumentations, torchaudio or transformers unless used).
"""

from __future__ import annotations

import importlib

from .keys import KeyedBatch, SampleKey, SharedValue, batch_rng, sample_rng
from .seeded import Seeded  # light: numpy and torch only, like the core
from .transform import AugmentationError, Compose, Lambda, OneOf, RandomApply, Transform

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


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'loaders' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
