"""Error context of the collates: name a sample by its batch position and its dataset index.

Example:
    >>> from loaders.keys import KeyedBatch
    >>> name = batch_namer(KeyedBatch(["a", "b"], indices=[10, 11]), "MixUp")
    >>> name(1), batch_namer(["a", "b"])(1)
    ('MixUp: sample 1 (dataset index 11)', 'sample 1')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from loaders.keys import KeyedBatch

from .functional.inputs import Namer

__all__ = ["batch_namer", "describe_sample"]


def describe_sample(i: int, batch: Sequence[Any]) -> str:
    """``"sample i (dataset index j)"`` for a [KeyedBatch][loaders.keys.KeyedBatch], else ``"sample i"``.

    Args:
        i: the position in the batch.
        batch: the batch.

    Returns:
        The description.

    Example:
        >>> describe_sample(0, [1, 2])
        'sample 0'
    """
    if isinstance(batch, KeyedBatch) and 0 <= i < len(batch.indices):
        return f"sample {i} (dataset index {batch.indices[i]})"
    return f"sample {i}"


def batch_namer(batch: Sequence[Any], owner: str = "") -> Namer:
    """A function naming sample ``i`` of ``batch`` in error messages, prefixed with ``owner``.

    Args:
        batch: the batch (a [KeyedBatch][loaders.keys.KeyedBatch] adds the dataset indices).
        owner: the collate's name, or ``""`` for no prefix.

    Returns:
        ``i -> "Owner: sample i (dataset index j)"``.
    """
    prefix = f"{owner}: " if owner else ""
    return lambda i: prefix + describe_sample(i, batch)
