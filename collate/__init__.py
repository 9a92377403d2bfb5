"""Batch-time collates: MixUp, CutMix, padding and text batches with soft targets.

- [MixUp][collate.mix.MixUp], [CutMix][collate.mix.CutMix] and
  [MixUpOrCutMix][collate.mix.MixUpOrCutMix] stack and mix images, spectrograms or
  signals and return soft targets;
- [PadCollate][collate.pad.PadCollate] pads variable-length inputs;
- [BatchStage][collate.stage.BatchStage] applies cheap per-sample transforms (Cutout, masks, gain)
  on the stacked batch, keyed per sample;
- [TextCollate][collate.text.TextCollate] and [EmbeddingMixer][collate.text.EmbeddingMixer]
  batch text (MixUp in embedding space);
- `collate.functional`: the pure tensor ops underneath.

Names are imported lazily so that ``import collate`` does not pull in transformers
unless [TextCollate][collate.text.TextCollate] is used; type checkers and the
documentation see them through the ``TYPE_CHECKING`` imports below.

Example:
    >>> import collate
    >>> collate.MixUp(num_classes=10).num_classes
    10
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import functional
    from .mix import CutMix, MixUp, MixUpOrCutMix
    from .pad import PadCollate
    from .stage import BatchStage
    from .text import EmbeddingMixer, TextCollate

_LAZY = {
    "MixUp": ".mix",
    "CutMix": ".mix",
    "MixUpOrCutMix": ".mix",
    "PadCollate": ".pad",
    "BatchStage": ".stage",
    "TextCollate": ".text",
    "EmbeddingMixer": ".text",
}

__all__ = [
    "BatchStage",
    "CutMix",
    "EmbeddingMixer",
    "MixUp",
    "MixUpOrCutMix",
    "PadCollate",
    "TextCollate",
    "functional",
]


def __getattr__(name: str) -> Any:
    """Import the exported names on first use."""
    if name == "functional":
        return importlib.import_module(".functional", __name__)
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'collate' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names, lazy exports included."""
    return sorted(set(globals()) | set(__all__))
