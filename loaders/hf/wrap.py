"""One entry point that wraps a Hugging Face dataset, map-style or streaming, for keyed augmentation.

Example:
    >>> import datasets
    >>> from loaders import Lambda
    >>> ds = datasets.Dataset.from_dict({"text": ["Good film", "Bad film"], "label": [1, 0]})
    >>> from_hf(ds, Lambda(str.upper), seed=0)[1]
    {'text': 'BAD FILM', 'label': 0}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..dataset import AugmentedDataset
from ..transform import Transform
from .iterable import HFIterableDataset
from .transform import HFTextTransform

__all__ = ["from_hf"]


def from_hf(
    dataset: Any,
    transform: Transform | None = None,
    *,
    tokenizer: Any = None,
    text_column: Any = "text",
    label_column: str | None = "label",
    max_length: int | None = None,
    truncation: bool = True,
    keep_text: bool = False,
    keep_columns: Sequence[str] = (),
    seed: int | None = None,
    knobs: dict[str, Any] | None = None,
    **kwargs: Any,
) -> AugmentedDataset | HFIterableDataset:
    """Wrap a Hugging Face dataset so that text augmentation and tokenization run in the workers.

    Args:
        dataset: a ``datasets.Dataset`` (map-style) or ``datasets.IterableDataset``.
        transform: a text Transform on ``str`` (e.g. ``loaders.text.EDA()``), or None.
        tokenizer: see [HFTextTransform][loaders.hf.HFTextTransform].
        text_column: see [HFTextTransform][loaders.hf.HFTextTransform].
        label_column: see [HFTextTransform][loaders.hf.HFTextTransform].
        max_length: see [HFTextTransform][loaders.hf.HFTextTransform].
        truncation: see [HFTextTransform][loaders.hf.HFTextTransform].
        keep_text: see [HFTextTransform][loaders.hf.HFTextTransform].
        keep_columns: see [HFTextTransform][loaders.hf.HFTextTransform].
        seed: the keyed randomness (see [AugmentedDataset][loaders.AugmentedDataset]).
        knobs: knob sources (see [AugmentedDataset][loaders.AugmentedDataset]).
        **kwargs: for a map-style dataset, more `loaders.AugmentedDataset` options
            (``return_params``); for an iterable one, `HFIterableDataset` options
            (``batch_size``, ``drop_last``, ``rank``, ``world_size``, ``shard_by``).

    Returns:
        ``loaders.AugmentedDataset`` (map-style: keyed by row index; use ``.set_epoch``) or
        `HFIterableDataset`.

    Example:
        >>> import datasets
        >>> from loaders import Lambda
        >>> ds = datasets.Dataset.from_dict({"text": ["Good film", "Bad film"], "label": [1, 0]})
        >>> aug = from_hf(ds, Lambda(str.upper), seed=0)
        >>> aug[0]
        {'text': 'GOOD FILM', 'label': 1}
    """
    import datasets

    row_t = HFTextTransform(
        transform,
        tokenizer=tokenizer,
        text_column=text_column,
        label_column=label_column,
        max_length=max_length,
        truncation=truncation,
        keep_text=keep_text,
        keep_columns=keep_columns,
    )
    if isinstance(dataset, datasets.IterableDataset):
        return HFIterableDataset(dataset, row_t, seed=seed, knobs=knobs, **kwargs)
    if isinstance(dataset, datasets.Dataset):
        return AugmentedDataset(dataset, row_t, seed=seed, knobs=knobs, input_key=None, **kwargs)
    raise TypeError(
        f"from_hf: dataset must be a datasets.Dataset or datasets.IterableDataset, got {type(dataset).__name__}"
    )
