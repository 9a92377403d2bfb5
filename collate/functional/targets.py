"""Soft targets: class indices and soft/multi-hot rows to float rows that sum to 1, smoothing and mixing.

This is the one implementation of soft targets in the package: the mixing collates and
[TextCollate][collate.text.TextCollate] both use [soft_targets][collate.functional.targets.soft_targets].

Example:
    >>> y = soft_targets([0, 1, 2], num_classes=3)
    >>> mix_targets(y, [1, 2, 0], 0.75)[0].tolist()
    [0.75, 0.25, 0.0]
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import torch
from torch import Tensor

from .inputs import LamLike, Namer, owner_prefix, sample_namer

__all__ = [
    "Namer",
    "sample_namer",
    "soft_labels",
    "one_hot",
    "soft_targets",
    "smooth_targets",
    "mixed_one_hot",
    "int_targets",
    "mix_targets",
]


def _is_int_scalar(t: Any) -> bool:
    if isinstance(t, bool):
        return False
    if isinstance(t, (numbers.Integral, np.integer)):
        return True
    if isinstance(t, (Tensor, np.ndarray)) and t.ndim == 0:
        if isinstance(t, Tensor):
            dt = t.dtype
            return not dt.is_floating_point and not dt.is_complex and dt != torch.bool
        return t.dtype.kind in "iu"
    return False


def one_hot(indices: Tensor, num_classes: int, *, dtype: torch.dtype = torch.float32) -> Tensor:
    """Float one-hot rows ``(B, num_classes)`` from int class indices ``(B,)`` (range already checked).

    Args:
        indices: int class indices ``(B,)`` in ``[0, num_classes)``.
        num_classes: the width ``K``.
        dtype: a floating dtype.

    Returns:
        The one-hot rows.

    Example:
        >>> one_hot(torch.tensor([1, 0]), 2).tolist()
        [[0.0, 1.0], [1.0, 0.0]]
    """
    out = torch.zeros((indices.shape[0], num_classes), dtype=dtype, device=indices.device)
    out.scatter_(1, indices.long().view(-1, 1), 1.0)
    return out


def _out_of_range(name: Namer, i: int, k: int, num_classes: int) -> ValueError:
    return ValueError(
        f"{name(i)} target {k} is out of range [0, {num_classes - 1}] (num_classes={num_classes}): class indices "
        f"must be in [0, {num_classes - 1}]"
    )


def _check_indices(idx: Tensor, num_classes: int, name: Namer) -> None:
    bad = (idx < 0) | (idx >= num_classes)
    if bool(bad.any()):
        i = int(bad.nonzero()[0, 0])
        raise _out_of_range(name, i, int(idx[i]), num_classes)


def _one_element_hint(width: int, num_classes: int) -> str:
    if width == 1 and num_classes > 1:
        return "; a 1-element target looks like a class index: pass a scalar (an int or a 0-d tensor, e.g. t.item())"
    return ""


def _check_rows(rows: Tensor, num_classes: int, name: Namer, prefix: str = "") -> Tensor:
    """Validate soft / multi-hot rows and normalise them to sum 1."""
    if rows.shape[1] != num_classes:
        raise ValueError(
            f"{prefix}soft targets have width {rows.shape[1]}, expected num_classes={num_classes}"
            f"{_one_element_hint(rows.shape[1], num_classes)}"
        )
    finite = torch.isfinite(rows).all(dim=1)
    if not bool(finite.all()):
        i = int((~finite).nonzero()[0, 0])
        raise ValueError(f"{name(i)} soft target contains NaN or inf: {rows[i].tolist()}")
    neg = (rows < 0).any(dim=1)
    if bool(neg.any()):
        i = int(neg.nonzero()[0, 0])
        raise ValueError(f"{name(i)} soft target has negative entries: {rows[i].tolist()}")
    sums = rows.sum(dim=1, keepdim=True)
    zero = sums[:, 0] <= 0
    if bool(zero.any()):
        i = int(zero.nonzero()[0, 0])
        raise ValueError(
            f"{name(i)} soft target sums to 0; a soft/multi-hot row must be finite, non-negative and not all zero"
        )
    return rows / sums


def _tensor_targets(
    targets: Tensor, num_classes: int, dtype: torch.dtype, device: Any, name: Namer, prefix: str
) -> Tensor:
    if targets.dtype == torch.bool and targets.ndim == 1:
        raise TypeError(
            f"{prefix}targets of dtype bool with shape {tuple(targets.shape)} are ambiguous; "
            f"give int class indices or (B, num_classes) rows"
        )
    dev = device if device is not None else targets.device
    if targets.ndim == 1:
        if targets.dtype.is_floating_point or targets.dtype.is_complex:
            raise TypeError(
                f"{prefix}1-D targets must be integer class indices, got dtype {targets.dtype}; "
                f"give soft targets as (B, num_classes) rows"
            )
        _check_indices(targets, num_classes, name)
        return one_hot(targets.to(dev), num_classes, dtype=dtype)
    if targets.ndim == 2:
        return _check_rows(targets.to(device=dev, dtype=torch.float64), num_classes, name, prefix).to(dtype)
    raise ValueError(f"{prefix}targets must have shape (B,) or (B, num_classes), got {tuple(targets.shape)}")


def _target_row(t: Any, i: int, num_classes: int, name: Namer) -> int | Tensor:
    """One sample's target: an int class (range-checked) or a float64 row of width ``num_classes``."""
    if _is_int_scalar(t):
        k = int(t)
        if not 0 <= k < num_classes:
            raise _out_of_range(name, i, k, num_classes)
        return k
    if t is None:
        raise TypeError(
            f"{name(i)} target is None; every sample needs an int class in [0, {num_classes - 1}] "
            f"or a row of {num_classes} probabilities"
        )
    if isinstance(t, bool) or (isinstance(t, (Tensor, np.ndarray)) and t.ndim == 0):
        raise TypeError(
            f"{name(i)} target {t!r} is not an integer class index; give an int in "
            f"[0, {num_classes - 1}] or a row of {num_classes} probabilities"
        )
    if isinstance(t, numbers.Real):
        raise TypeError(
            f"{name(i)} target {t!r} is a {type(t).__name__}, not an integer class "
            f"index; give an int in [0, {num_classes - 1}] or a row of {num_classes} probabilities"
        )
    if isinstance(t, (str, bytes)):
        raise TypeError(
            f"{name(i)} target {t!r:.40} is a {type(t).__name__}; give an int class in "
            f"[0, {num_classes - 1}] or a row of {num_classes} numbers"
        )
    try:
        row = torch.as_tensor(np.asarray(t.cpu() if isinstance(t, Tensor) else t, dtype=np.float64))
    except (TypeError, ValueError) as e:
        raise TypeError(
            f"{name(i)} target of type {type(t).__name__} is neither an int class index "
            f"nor a row of {num_classes} numbers"
        ) from e
    if row.ndim != 1:
        raise ValueError(
            f"{name(i)} target has shape {tuple(row.shape)}; expected an int class index "
            f"or a row of shape ({num_classes},)"
        )
    if row.shape[0] != num_classes:
        raise ValueError(
            f"{name(i)} soft target has width {row.shape[0]}, expected num_classes={num_classes} (got shape "
            f"{tuple(row.shape)}){_one_element_hint(row.shape[0], num_classes)}"
        )
    return row


def soft_targets(
    targets: Any,
    num_classes: int,
    *,
    label_smoothing: float = 0.0,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device | None = None,
    owner: str = "",
    where: Namer | None = None,
) -> Tensor:
    """Turn a batch of targets into float soft-target rows ``(B, num_classes)`` that sum to 1.

    Soft and multi-hot rows must be finite, non-negative and have a positive sum;
    they are divided by their sum (a multi-hot row with two ones becomes two
    halves). Label smoothing follows timm: ``y * (1 - eps) + eps / K``, applied
    in ``dtype``.

    Args:
        targets: either a sequence with one target per sample (an int class
            index: Python/numpy int or 0-d integer tensor/array; or a row of
            length ``num_classes``: soft probabilities or multi-hot 0/1), or an
            already collated tensor ``(B,)`` of indices or ``(B, num_classes)`` of rows.
        num_classes: the number of classes ``K``.
        label_smoothing: ``eps`` in [0, 1): rows become ``y * (1 - eps) + eps / K``.
        dtype: a floating dtype for the result.
        device: where the result lives (default: where the targets are, else CPU).
        owner: a name to prefix error messages with.
        where: ``where(i) -> str`` naming sample ``i`` in error messages (for example
            with its dataset index); overrides ``owner`` for per-sample errors.

    Returns:
        The soft targets ``(B, num_classes)``.

    Raises:
        ValueError: a class out of range, or a bad row (wrong width, NaN/inf, negative, all zero).
        TypeError: a target that is neither an int class nor a row (a float, a bool, a string, ``None``).

    Example:
        >>> soft_targets([2, 0], num_classes=3).tolist()
        [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
        >>> soft_targets([[1, 1, 0]], num_classes=3).tolist()
        [[0.5, 0.5, 0.0]]
        >>> soft_targets([1], num_classes=4, label_smoothing=0.2).tolist()
        [[0.05000000074505806, 0.8500000238418579, 0.05000000074505806, 0.05000000074505806]]
    """
    prefix = owner_prefix(owner)
    name = sample_namer(owner, where)
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise TypeError(f"{prefix}target dtype must be a floating torch.dtype, got {dtype!r}")
    if isinstance(targets, np.ndarray) and targets.dtype.kind in "biuf":
        ok = targets.flags.writeable and all(s >= 0 for s in targets.strides)
        targets = torch.from_numpy(targets if ok else np.array(targets, order="C"))
    if isinstance(targets, Tensor):
        y = _tensor_targets(targets, num_classes, dtype, device, name, prefix)
    else:
        targets = list(targets)
        if len(targets) == 0:
            raise ValueError(f"{prefix}got an empty batch (0 targets)")
        if all(isinstance(t, (numbers.Integral, np.integer)) and not isinstance(t, bool) for t in targets):
            idx = torch.tensor([int(t) for t in targets], dtype=torch.long)
            _check_indices(idx, num_classes, name)
            y = one_hot(idx.to(device) if device is not None else idx, num_classes, dtype=dtype)
        else:
            dev = device
            if dev is None:
                dev = next((t.device for t in targets if isinstance(t, Tensor)), torch.device("cpu"))
            rows = torch.zeros((len(targets), num_classes), dtype=torch.float64)
            for i, t in enumerate(targets):
                r = _target_row(t, i, num_classes, name)
                if isinstance(r, int):
                    rows[i, r] = 1.0
                else:
                    rows[i] = r
            y = _check_rows(rows, num_classes, name).to(device=dev, dtype=dtype)
    if label_smoothing:
        y = smooth_targets(y, label_smoothing)
    return y


def soft_labels(
    labels: Sequence[Any],
    num_classes: int,
    *,
    label_smoothing: float = 0.0,
    dtype: torch.dtype = torch.float32,
    where: Namer | None = None,
) -> Tensor:
    """[soft_targets][collate.functional.targets.soft_targets] computed in float64, then cast to ``dtype``.

    The name [TextCollate][collate.text.TextCollate] has always used: the same checks
    and rules as `soft_targets`, with smoothing done in float64.

    Args:
        labels: one label per sample (int class or row of ``num_classes`` numbers).
        num_classes: number of classes.
        label_smoothing: ``eps`` in [0, 1).
        dtype: floating dtype of the result.
        where: ``where(i) -> str`` naming sample ``i`` in error messages.

    Returns:
        The soft targets ``(B, num_classes)``.

    Raises:
        ValueError: a class out of range, or a bad row.
        TypeError: a label that is neither.

    Example:
        >>> soft_labels([2, [1, 1, 0]], 3).tolist()
        [[0.0, 0.0, 1.0], [0.5, 0.5, 0.0]]
    """
    y = soft_targets(labels, num_classes, label_smoothing=label_smoothing, dtype=torch.float64, where=where)
    return y.to(dtype)


def mixed_one_hot(
    indices: Tensor | np.ndarray,
    num_classes: int,
    perm: Sequence[int] | np.ndarray | None = None,
    lam: LamLike = 1.0,
    *,
    label_smoothing: float = 0.0,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """Soft targets for int class indices, smoothed and mixed, built with two scatters.

    Equals ``mix_targets(soft_targets(indices, K, label_smoothing=eps), perm, lam)``
    (smoothing and mixing commute because rows sum to 1) without the one-hot
    temporaries. ``indices`` (a tensor, or a numpy array for CPU targets) must
    already be range-checked.

    Args:
        indices: range-checked int class indices ``(B,)`` (tensor or numpy array).
        num_classes: the width ``K``.
        perm: the partner of each sample, or ``None`` for no mixing.
        lam: the weight of each sample's own label (a float or one per sample).
        label_smoothing: ``eps`` in [0, 1).
        dtype: a floating dtype.

    Returns:
        The soft targets ``(B, K)``.

    Example:
        >>> mixed_one_hot(torch.tensor([0, 2]), 3, [1, 0], 0.75).tolist()
        [[0.75, 0.0, 0.25], [0.25, 0.0, 0.75]]
    """
    if isinstance(indices, np.ndarray):
        return _mixed_one_hot_np(indices, num_classes, perm, lam, label_smoothing, dtype)
    idx = indices.long().view(-1, 1)
    n = idx.shape[0]
    y = torch.zeros((n, num_classes), dtype=dtype, device=idx.device)
    if perm is None:
        y.scatter_(1, idx, 1.0)
    else:
        if isinstance(lam, numbers.Real):
            w = torch.full((n, 1), float(lam), dtype=dtype, device=idx.device)
        else:
            w = cast(Tensor, _lam_column(lam, y))  # a column tensor for per-sample lambdas
        y.scatter_add_(1, idx, w)
        perm_t = torch.as_tensor(list(perm), dtype=torch.long, device=idx.device)
        y.scatter_add_(1, idx.index_select(0, perm_t), 1.0 - w)
    if label_smoothing:
        y.mul_(1.0 - label_smoothing).add_(label_smoothing / num_classes)
    return y


_NP_FLOAT: dict[torch.dtype, Any] = {torch.float32: np.float32, torch.float64: np.float64}


def _mixed_one_hot_np(idx: np.ndarray, num_classes: int, perm, lam, eps: float, dtype: torch.dtype) -> Tensor:
    """Numpy version of `mixed_one_hot` for CPU targets.

    A few numpy calls instead of several small torch ops); the values are the same.
    """
    n = idx.shape[0]
    ndt = _NP_FLOAT.get(dtype, np.float32)
    y = np.zeros(n * num_classes, dtype=ndt)  # flat: one fancy index per statement
    row0 = np.arange(0, n * num_classes, num_classes)
    if perm is None:
        y[row0 + idx] = 1.0
    else:
        w = np.asarray(lam, dtype=ndt) if not isinstance(lam, numbers.Real) else ndt(lam)
        y[row0 + idx] = w  # y is zero there: the same as +=
        y[row0 + idx[np.asarray(perm, dtype=np.int64)]] += ndt(1.0) - w  # separate statements: a row may repeat a class
    y = y.reshape(n, num_classes)
    if eps:
        y *= ndt(1.0 - eps)
        y += ndt(eps / num_classes)
    t = torch.from_numpy(y)
    return t if t.dtype == dtype else t.to(dtype)


def int_targets(
    targets: Any, num_classes: int, *, owner: str = "", where: Namer | None = None
) -> None | Tensor | np.ndarray:
    """Range-checked class indices if ``targets`` are all int class indices, else ``None``.

    A 1-D integer tensor comes back as is; a list of Python/numpy ints as a
    numpy ``int64`` array (cheaper than small torch ops for `mixed_one_hot`).

    Args:
        targets: the batch's targets (a list, or an already collated tensor).
        num_classes: the number of classes ``K``.
        owner: the class or function name that prefixes error messages.
        where: ``where(i) -> str`` naming sample ``i`` in error messages.

    Returns:
        The indices, or ``None`` when the targets are not all int class indices.

    Raises:
        ValueError: a class index out of ``[0, K)``.

    Example:
        >>> int_targets([1, 0], 2).tolist(), int_targets([[0.5, 0.5]], 2)
        ([1, 0], None)
    """
    if isinstance(targets, Tensor):
        if (
            targets.ndim != 1
            or targets.dtype.is_floating_point
            or targets.dtype.is_complex
            or targets.dtype == torch.bool
        ):
            return None
        _check_indices(targets, num_classes, sample_namer(owner, where))
        return targets
    if not isinstance(targets, (list, tuple)) or len(targets) == 0:
        return None
    if set(map(type, targets)) != {int} and not all(
        isinstance(t, (numbers.Integral, np.integer)) and not isinstance(t, bool) for t in targets
    ):
        return None
    try:
        arr: np.ndarray | None = np.fromiter(targets, dtype=np.int64, count=len(targets))
    except (OverflowError, ValueError):  # a class index beyond int64: out of range anyway
        arr = None
    if arr is None or arr.min() < 0 or arr.max() >= num_classes:
        for i, t in enumerate(targets):  # name the first bad sample
            if not 0 <= int(t) < num_classes:
                raise _out_of_range(sample_namer(owner, where), i, int(t), num_classes)
    return arr


def smooth_targets(y: Tensor, eps: float) -> Tensor:
    """Label smoothing on soft rows: ``y * (1 - eps) + eps / K`` (new tensor).

    Args:
        y: soft rows ``(B, K)``.
        eps: the smoothing in [0, 1).

    Returns:
        The smoothed rows.

    Raises:
        ValueError: ``eps`` outside [0, 1).

    Example:
        >>> smooth_targets(torch.tensor([[0.0, 1.0]]), 0.5).tolist()
        [[0.25, 0.75]]
    """
    if not 0.0 <= eps < 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1), got {eps!r}")
    return y * (1.0 - eps) + eps / y.shape[-1]


def _lam_column(lam: LamLike, y: Tensor) -> float | Tensor:
    if isinstance(lam, numbers.Real):
        return float(lam)
    t = torch.as_tensor(np.asarray(lam, dtype=np.float64) if not isinstance(lam, Tensor) else lam)
    return t.to(device=y.device, dtype=y.dtype).view(-1, 1)


def mix_targets(y: Tensor, perm: Sequence[int], lam: LamLike) -> Tensor:
    """``lam * y + (1 - lam) * y[perm]`` with ``lam`` a float or one value per sample (new tensor).

    Args:
        y: soft rows ``(B, K)``.
        perm: the partner of each sample.
        lam: the weight of each sample's own row (a float or one per sample).

    Returns:
        The mixed rows.

    Example:
        >>> y = torch.eye(2)
        >>> mix_targets(y, [1, 0], [0.25, 1.0]).tolist()
        [[0.25, 0.75], [0.0, 1.0]]
    """
    perm_t = torch.as_tensor(list(perm), dtype=torch.long, device=y.device)
    lam_c = _lam_column(lam, y)
    return y * lam_c + y.index_select(0, perm_t) * (1.0 - lam_c)
