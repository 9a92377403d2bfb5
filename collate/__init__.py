"""Batch-time collates: MixUp, CutMix, padding and text batches with soft targets.

Names are imported lazily so that ``import collate`` does not pull in
transformers unless ``TextCollate`` is used.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "MixUp": ".mix",
    "CutMix": ".mix",
    "MixUpOrCutMix": ".mix",
    "PadCollate": ".pad",
    "TextCollate": ".text",
    "EmbeddingMixer": ".text",
}

__all__ = sorted(_LAZY) + ["functional"]


def __getattr__(name: str):
    if name == "functional":
        return importlib.import_module(".functional", __name__)
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'collate' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
