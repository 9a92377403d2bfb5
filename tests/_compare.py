"""Deep equality and deep copy helpers for tests (tensors, arrays, PIL, nested)."""

from __future__ import annotations

import copy

import numpy as np
import torch


def deep_equal(a, b) -> bool:
    if type(a) is not type(b) and not (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple))):
        return False
    if isinstance(a, torch.Tensor):
        return (
            a.dtype == b.dtype
            and a.shape == b.shape
            and a.device == b.device
            and bool(
                torch.equal(a, b) or (a.is_floating_point() and torch.equal(torch.nan_to_num(a), torch.nan_to_num(b)))
            )
        )
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(deep_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(deep_equal(x, y) for x, y in zip(a, b, strict=True))
    if hasattr(a, "tobytes") and hasattr(a, "mode"):  # PIL image
        return a.mode == b.mode and a.size == b.size and a.tobytes() == b.tobytes()
    return a == b


def deep_copy(x):
    if isinstance(x, torch.Tensor):
        return x.clone()
    return copy.deepcopy(x)
