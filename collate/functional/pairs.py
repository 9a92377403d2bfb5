"""Pairs: checking a pairing and combining per-sample fields (lengths, masks) with the partner's.

Example:
    >>> import torch
    >>> pair_reduce(torch.tensor([3, 5, 2]), [1, 0, 2], [True, True, False], "max").tolist()
    [5, 5, 2]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

__all__ = ["check_perm", "pair_reduce", "REDUCERS"]


def check_perm(perm: Sequence[int], n: int) -> list[int]:
    """Check that ``perm`` holds ``n`` int indices in ``[0, n)`` and return them as a list.

    Args:
        perm: the partner of each sample.
        n: the batch size.

    Returns:
        The partners as a list of ints.

    Raises:
        ValueError: wrong length, a non-integer or an index out of range.

    Example:
        >>> check_perm([1, 0, 2], 3)
        [1, 0, 2]
    """
    arr = np.asarray(perm)
    if arr.shape != (n,) or (n and (arr.dtype.kind not in "iu" or int(arr.min()) < 0 or int(arr.max()) >= n)):
        raise ValueError(f"perm must hold {n} int indices in [0, {n - 1}], got {list(perm)}")
    return arr.tolist()


#: The ways to combine a field with the partner's value (``pair_reduce``'s ``how``).
REDUCERS = {
    "max": torch.maximum,
    "min": torch.minimum,
    "or": torch.logical_or,
    "and": torch.logical_and,
}


def pair_reduce(field: Tensor, perm: Sequence[int], mixed: Sequence[bool], how: str) -> Tensor:
    """Combine a per-sample field with its partner's for the mixed samples (new tensor).

    ``how`` is ``"max"``, ``"min"``, ``"or"`` or ``"and"``; e.g. ``lengths`` take
    the max (a mixed sample is valid wherever either source is) and masks the or.

    Args:
        field: a per-sample tensor ``(B, ...)`` (lengths, masks).
        perm: the partner of each sample.
        mixed: whether each sample is mixed.
        how: one of ``REDUCERS``.

    Returns:
        The combined field.

    Raises:
        ValueError: an unknown ``how``.

    Example:
        >>> pair_reduce(torch.tensor([3, 5, 2]), [1, 0, 2], [True, True, False], "max").tolist()
        [5, 5, 2]
    """
    if how not in REDUCERS:
        raise ValueError(f"pair_reduce method must be one of {sorted(REDUCERS)}, got {how!r}")
    perm_t = torch.as_tensor(list(perm), dtype=torch.long, device=field.device)
    partner = field.index_select(0, perm_t)
    reduced = REDUCERS[how](field, partner)
    if how in ("or", "and") and field.dtype != torch.bool:
        reduced = reduced.to(field.dtype)
    m = torch.as_tensor(list(mixed), dtype=torch.bool, device=field.device).view(-1, *([1] * (field.ndim - 1)))
    return torch.where(m, reduced, field)
