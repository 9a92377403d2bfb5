"""Pure tensor ops behind the mixing collates (MixUp, CutMix).

Everything here is a deterministic function of its arguments: the random draws
(lambda, pairing permutation, box position uniforms) are made by the collate
classes in :mod:`collate.mix` and passed in. No global RNG is touched.

Conventions (the same as torchvision's ``v2.MixUp``/``v2.CutMix`` and timm's
``Mixup`` once the pairing is given):

* ``lam`` is the weight of the sample itself; its partner ``perm[i]`` gets
  ``1 - lam``. MixUp: ``out[i] = lam * x[i] + (1 - lam) * x[perm[i]]``.
  torchvision pairs ``perm[i] = i - 1`` (``roll(1, 0)``), timm ``perm[i] = B - 1 - i``
  (``flip(0)``); the collates draw a random permutation, so any batch size works.
* CutMix replaces a box of ``x[i]`` by the same box of ``x[perm[i]]``. Boxes
  follow timm's ``rand_bbox``: side ``int(size * sqrt(1 - lam))`` per axis,
  centred on a uniformly drawn pixel, clipped to the image; the returned lambda is
  the exact kept fraction ``1 - box_area / (H * W)``. The height axis is
  dim ``-2`` and the width axis dim ``-1``. For 1-D signals ``(C, T)`` the box is
  a time segment of length ``int(T * (1 - lam))`` on dim ``-1``.
* Soft targets are float ``(B, num_classes)`` rows that sum to 1. Label
  smoothing ``y * (1 - eps) + eps / num_classes`` is applied *before* mixing
  (timm's convention), so mixing keeps rows summing to 1.
* Integer inputs (``uint8`` images) are mixed per sample in float32 and rounded
  to the nearest integer (ties to even, like ``torch.round`` and timm's
  ``FastCollateMixup``), never truncated. Float16/bfloat16 inputs are mixed with
  ``torch.lerp``, which computes in float32 and rounds once.

Example:
    >>> import torch
    >>> xs = [torch.full((1, 2, 2), float(v)) for v in (0, 10, 20)]
    >>> out = stack_mixup(xs, perm=[1, 2, 0], lam=0.75)
    >>> out[:, 0, 0, 0].tolist()
    [2.5, 12.5, 15.0]
    >>> y = soft_targets([0, 1, 2], num_classes=3)
    >>> mix_targets(y, [1, 2, 0], 0.75)[0].tolist()
    [0.75, 0.25, 0.0]
    >>> box, lam = cutmix_box((4, 6), lam=0.75, uniforms=(0.5, 0.5))
    >>> box, lam
    ((1, 3, 2, 5), 0.75)
"""

from __future__ import annotations

import math
import numbers
from operator import attrgetter
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor

__all__ = [
    "as_tensor_inputs",
    "check_same_shape",
    "empty_batch",
    "stack",
    "one_hot",
    "soft_targets",
    "smooth_targets",
    "mixed_one_hot",
    "int_targets",
    "mix_targets",
    "mixup",
    "stack_mixup",
    "mixup_into",
    "cutmix_box",
    "box_area",
    "cutmix_valid_lam",
    "cutmix",
    "stack_cutmix",
    "cutmix_into",
    "pair_reduce",
    "FLOAT_DTYPES",
]

#: Floating dtypes mixed with ``torch.lerp`` (single rounding).
FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
#: Integer dtypes mixed in float and rounded; wide ones use float64.
_INT_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)

Box = Tuple[int, ...]
LamLike = Union[float, Sequence[float], Tensor, np.ndarray]


def _where(owner: str) -> str:
    return f"{owner}: " if owner else ""


# --------------------------------------------------------------------------- inputs
def as_tensor_inputs(inputs: Sequence[Any], *, owner: str = "", what: str = "input",
                     check_shapes: bool = True) -> List[Tensor]:
    """Return the per-sample inputs as tensors (numpy arrays are wrapped, not copied).

    Checks that every input is a tensor or array with the same shape, dtype and
    device as the first; errors name the sample index. With
    ``check_shapes=False`` a list of tensors only has its types and dtypes
    checked (two C-level passes): the caller promises to stack it with
    ``torch.stack``, which rejects shape and device mismatches itself, and to
    call :func:`check_same_shape` on its ``RuntimeError`` for our message (the
    mixing collates do; this saves about 30 us on 128 small samples).

    Example:
        >>> import numpy as np
        >>> [t.shape for t in as_tensor_inputs([np.zeros((2, 3)), np.ones((2, 3))])]
        [torch.Size([2, 3]), torch.Size([2, 3])]
    """
    if len(inputs) == 0:
        raise ValueError(f"{_where(owner)}got an empty batch (0 samples); a batch needs at least one sample")
    inputs = list(inputs)
    if set(map(type, inputs)) == {Tensor}:  # fast path: C-level maps, no per-sample Python frames
        if len(set(map(_DTYPE, inputs))) == 1 and (not check_shapes or (
                len(set(map(_SHAPE, inputs))) == 1 and len(set(map(_DEVICE, inputs))) == 1)):
            return inputs
    out: List[Tensor] = []
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor):
            out.append(x)
        elif isinstance(x, np.ndarray):
            if x.dtype == object:
                raise TypeError(f"{_where(owner)}sample {i} {what} is a numpy array of dtype object")
            # a read-only array would make torch.from_numpy warn; we only read, so copy it instead
            out.append(torch.from_numpy(x) if x.flags.writeable else torch.from_numpy(x.copy()))
        else:
            raise TypeError(
                f"{_where(owner)}sample {i} {what} must be a torch.Tensor or numpy.ndarray, got "
                f"{type(x).__name__} (convert images with torchvision.transforms.v2.functional.pil_to_tensor "
                f"or ToImage() in the dataset)"
            )
    check_same_shape(out, owner=owner, what=what)
    return out


_SHAPE, _DTYPE, _DEVICE = attrgetter("shape"), attrgetter("dtype"), attrgetter("device")


def check_same_shape(xs: Sequence[Tensor], *, owner: str = "", what: str = "input") -> None:
    """Raise ``ValueError``/``TypeError`` naming the first sample whose shape, dtype or device differs."""
    first = xs[0]
    for i, x in enumerate(xs):
        if x.shape != first.shape:
            raise ValueError(
                f"{_where(owner)}sample {i} {what} has shape {tuple(x.shape)}, expected {tuple(first.shape)} like "
                f"sample 0; all {what}s in a batch must have the same shape (pad variable-length inputs, e.g. with "
                f"base_collate=collate.PadCollate(...))"
            )
        if x.dtype != first.dtype:
            raise TypeError(f"{_where(owner)}sample {i} {what} has dtype {x.dtype}, expected {first.dtype} like sample 0")
        if x.device != first.device:
            raise ValueError(f"{_where(owner)}sample {i} {what} is on {x.device}, expected {first.device} like sample 0")


def empty_batch(like: Tensor, batch_size: int) -> Tensor:
    """An uninitialised ``(batch_size, *like.shape)`` tensor with ``like``'s dtype and device.

    Inside a DataLoader worker (CPU) it lives in shared memory, as
    ``default_collate`` does, so sending it to the main process costs no copy.
    """
    out = torch.empty((batch_size, *like.shape), dtype=like.dtype, device=like.device)
    if like.device.type == "cpu" and torch.utils.data.get_worker_info() is not None:
        out.share_memory_()
    return out


def stack(inputs: Sequence[Tensor], *, out: Optional[Tensor] = None) -> Tensor:
    """``torch.stack`` into ``out`` (or a new batch from :func:`empty_batch`)."""
    if out is None:
        out = empty_batch(inputs[0], len(inputs))
    return torch.stack(list(inputs), 0, out=out)


# --------------------------------------------------------------------------- targets
def _is_int_scalar(t: Any) -> bool:
    if isinstance(t, bool):
        return False
    if isinstance(t, (numbers.Integral, np.integer)):
        return True
    if isinstance(t, (Tensor, np.ndarray)) and t.ndim == 0:
        dt = t.dtype
        if isinstance(t, Tensor):
            return not dt.is_floating_point and not dt.is_complex and dt != torch.bool
        return dt.kind in "iu"
    return False


def one_hot(indices: Tensor, num_classes: int, *, dtype: torch.dtype = torch.float32) -> Tensor:
    """Float one-hot rows ``(B, num_classes)`` from int class indices ``(B,)`` (range already checked)."""
    out = torch.zeros((indices.shape[0], num_classes), dtype=dtype, device=indices.device)
    out.scatter_(1, indices.long().view(-1, 1), 1.0)
    return out


def _check_indices(idx: Tensor, num_classes: int, owner: str) -> None:
    bad = (idx < 0) | (idx >= num_classes)
    if bool(bad.any()):
        i = int(bad.nonzero()[0, 0])
        raise ValueError(
            f"{_where(owner)}sample {i} target {int(idx[i])} is out of range: class indices must be in "
            f"[0, {num_classes - 1}] for num_classes={num_classes}"
        )


def _check_rows(rows: Tensor, num_classes: int, owner: str) -> Tensor:
    """Validate soft / multi-hot rows and normalise them to sum 1."""
    if rows.shape[1] != num_classes:
        raise ValueError(
            f"{_where(owner)}soft targets have width {rows.shape[1]}, expected num_classes={num_classes}"
        )
    finite = torch.isfinite(rows).all(dim=1)
    if not bool(finite.all()):
        i = int((~finite).nonzero()[0, 0])
        raise ValueError(f"{_where(owner)}sample {i} soft target contains NaN or inf: {rows[i].tolist()}")
    neg = (rows < 0).any(dim=1)
    if bool(neg.any()):
        i = int(neg.nonzero()[0, 0])
        raise ValueError(f"{_where(owner)}sample {i} soft target has negative entries: {rows[i].tolist()}")
    sums = rows.sum(dim=1, keepdim=True)
    zero = sums[:, 0] <= 0
    if bool(zero.any()):
        i = int(zero.nonzero()[0, 0])
        raise ValueError(f"{_where(owner)}sample {i} soft target sums to 0; a row needs at least one positive entry")
    return rows / sums


def soft_targets(
    targets: Any,
    num_classes: int,
    *,
    label_smoothing: float = 0.0,
    dtype: torch.dtype = torch.float32,
    device: Optional[Union[str, torch.device]] = None,
    owner: str = "",
) -> Tensor:
    """Turn a batch of targets into float soft-target rows ``(B, num_classes)`` that sum to 1.

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

    Soft and multi-hot rows must be finite, non-negative and have a positive sum;
    they are divided by their sum (a multi-hot row with two ones becomes two
    halves). Errors name the sample index.

    Example:
        >>> soft_targets([2, 0], num_classes=3).tolist()
        [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
        >>> soft_targets([[1, 1, 0]], num_classes=3).tolist()
        [[0.5, 0.5, 0.0]]
        >>> soft_targets([1], num_classes=4, label_smoothing=0.2).tolist()
        [[0.05000000074505806, 0.8500000238418579, 0.05000000074505806, 0.05000000074505806]]
    """
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise TypeError(f"{_where(owner)}target dtype must be a floating torch.dtype, got {dtype!r}")
    if isinstance(targets, np.ndarray):
        targets = torch.from_numpy(targets) if targets.flags.writeable else torch.from_numpy(targets.copy())
    if isinstance(targets, Tensor):
        if targets.dtype == torch.bool and targets.ndim == 1:
            raise TypeError(f"{_where(owner)}targets of dtype bool with shape {tuple(targets.shape)} are ambiguous; "
                            f"give int class indices or (B, num_classes) rows")
        dev = device if device is not None else targets.device
        if targets.ndim == 1:
            if targets.dtype.is_floating_point or targets.dtype.is_complex:
                raise TypeError(
                    f"{_where(owner)}1-D targets must be integer class indices, got dtype {targets.dtype}; "
                    f"give soft targets as (B, num_classes) rows"
                )
            _check_indices(targets, num_classes, owner)
            y = one_hot(targets.to(dev), num_classes, dtype=dtype)
        elif targets.ndim == 2:
            y = _check_rows(targets.to(device=dev, dtype=torch.float64), num_classes, owner).to(dtype)
        else:
            raise ValueError(
                f"{_where(owner)}targets must have shape (B,) or (B, num_classes), got {tuple(targets.shape)}"
            )
    else:
        targets = list(targets)
        if len(targets) == 0:
            raise ValueError(f"{_where(owner)}got an empty batch (0 targets)")
        if all(isinstance(t, (numbers.Integral, np.integer)) and not isinstance(t, bool) for t in targets):
            idx = torch.tensor([int(t) for t in targets], dtype=torch.long)
            _check_indices(idx, num_classes, owner)
            y = one_hot(idx.to(device) if device is not None else idx, num_classes, dtype=dtype)
        else:
            dev = device
            if dev is None:
                dev = next((t.device for t in targets if isinstance(t, Tensor)), torch.device("cpu"))
            rows = torch.zeros((len(targets), num_classes), dtype=torch.float64)
            for i, t in enumerate(targets):
                if _is_int_scalar(t):
                    k = int(t)
                    if not 0 <= k < num_classes:
                        raise ValueError(
                            f"{_where(owner)}sample {i} target {k} is out of range: class indices must be in "
                            f"[0, {num_classes - 1}] for num_classes={num_classes}"
                        )
                    rows[i, k] = 1.0
                    continue
                if isinstance(t, bool) or (isinstance(t, (Tensor, np.ndarray)) and t.ndim == 0):
                    raise TypeError(
                        f"{_where(owner)}sample {i} target {t!r} is not an integer class index; give an int in "
                        f"[0, {num_classes - 1}] or a row of {num_classes} probabilities"
                    )
                if isinstance(t, numbers.Real):
                    raise TypeError(
                        f"{_where(owner)}sample {i} target {t!r} is a {type(t).__name__}, not an integer class "
                        f"index; give an int in [0, {num_classes - 1}] or a row of {num_classes} probabilities"
                    )
                try:
                    row = torch.as_tensor(np.asarray(t.cpu() if isinstance(t, Tensor) else t, dtype=np.float64))
                except (TypeError, ValueError) as e:
                    raise TypeError(
                        f"{_where(owner)}sample {i} target of type {type(t).__name__} is neither an int class index "
                        f"nor a row of {num_classes} numbers"
                    ) from e
                if row.ndim != 1:
                    raise ValueError(
                        f"{_where(owner)}sample {i} target has shape {tuple(row.shape)}; expected an int class index "
                        f"or a row of shape ({num_classes},)"
                    )
                if row.shape[0] != num_classes:
                    raise ValueError(
                        f"{_where(owner)}sample {i} soft target has width {row.shape[0]}, expected "
                        f"num_classes={num_classes}"
                    )
                rows[i] = row
            y = _check_rows(rows, num_classes, owner).to(device=dev, dtype=dtype)
    if label_smoothing:
        y = smooth_targets(y, label_smoothing)
    return y


def mixed_one_hot(
    indices: Union[Tensor, np.ndarray],
    num_classes: int,
    perm: Optional[Sequence[int]] = None,
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
            w = _lam_column(lam, y)
        y.scatter_add_(1, idx, w)
        perm_t = torch.as_tensor(list(perm), dtype=torch.long, device=idx.device)
        y.scatter_add_(1, idx.index_select(0, perm_t), 1.0 - w)
    if label_smoothing:
        y.mul_(1.0 - label_smoothing).add_(label_smoothing / num_classes)
    return y


_NP_FLOAT = {torch.float32: np.float32, torch.float64: np.float64}


def _mixed_one_hot_np(idx: np.ndarray, num_classes: int, perm, lam, eps: float, dtype: torch.dtype) -> Tensor:
    """numpy version of :func:`mixed_one_hot` for CPU targets (a few numpy calls instead of
    several small torch ops); the values are the same."""
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


def int_targets(targets: Any, num_classes: int, *, owner: str = "") -> Union[None, Tensor, np.ndarray]:
    """Range-checked class indices if ``targets`` are all int class indices, else ``None``.

    A 1-D integer tensor comes back as is; a list of Python/numpy ints as a
    numpy ``int64`` array (cheaper than small torch ops for :func:`mixed_one_hot`).

    Example:
        >>> int_targets([1, 0], 2).tolist(), int_targets([[0.5, 0.5]], 2)
        ([1, 0], None)
    """
    if isinstance(targets, Tensor):
        if targets.ndim != 1 or targets.dtype.is_floating_point or targets.dtype.is_complex or targets.dtype == torch.bool:
            return None
        _check_indices(targets, num_classes, owner)
        return targets
    if not isinstance(targets, (list, tuple)) or len(targets) == 0:
        return None
    if set(map(type, targets)) != {int} and not all(
            isinstance(t, (numbers.Integral, np.integer)) and not isinstance(t, bool) for t in targets):
        return None
    try:
        arr: Optional[np.ndarray] = np.fromiter(targets, dtype=np.int64, count=len(targets))
    except (OverflowError, ValueError):  # a class index beyond int64: out of range anyway
        arr = None
    if arr is None or arr.min() < 0 or arr.max() >= num_classes:
        for i, t in enumerate(targets):  # name the first bad sample
            if not 0 <= int(t) < num_classes:
                raise ValueError(
                    f"{_where(owner)}sample {i} target {int(t)} is out of range: class indices must be in "
                    f"[0, {num_classes - 1}] for num_classes={num_classes}"
                )
    return arr


def smooth_targets(y: Tensor, eps: float) -> Tensor:
    """Label smoothing on soft rows: ``y * (1 - eps) + eps / K`` (new tensor).

    Example:
        >>> smooth_targets(torch.tensor([[0.0, 1.0]]), 0.5).tolist()
        [[0.25, 0.75]]
    """
    if not 0.0 <= eps < 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1), got {eps!r}")
    return y * (1.0 - eps) + eps / y.shape[-1]


def _lam_column(lam: LamLike, y: Tensor) -> Union[float, Tensor]:
    if isinstance(lam, numbers.Real):
        return float(lam)
    t = torch.as_tensor(np.asarray(lam, dtype=np.float64) if not isinstance(lam, Tensor) else lam)
    return t.to(device=y.device, dtype=y.dtype).view(-1, 1)


def mix_targets(y: Tensor, perm: Sequence[int], lam: LamLike) -> Tensor:
    """``lam * y + (1 - lam) * y[perm]`` with ``lam`` a float or one value per sample (new tensor).

    Example:
        >>> y = torch.eye(2)
        >>> mix_targets(y, [1, 0], [0.25, 1.0]).tolist()
        [[0.25, 0.75], [0.0, 1.0]]
    """
    perm_t = torch.as_tensor(list(perm), dtype=torch.long, device=y.device)
    lam_c = _lam_column(lam, y)
    return y * lam_c + y.index_select(0, perm_t) * (1.0 - lam_c)


# --------------------------------------------------------------------------- mixup
def _lams(lam: LamLike, n: int) -> List[float]:
    if isinstance(lam, numbers.Real):
        return [float(lam)] * n
    lams = [float(v) for v in (lam.tolist() if isinstance(lam, (Tensor, np.ndarray)) else lam)]
    if len(lams) != n:
        raise ValueError(f"lam has {len(lams)} values for a batch of {n} samples")
    return lams


def _check_perm(perm: Sequence[int], n: int) -> List[int]:
    arr = np.asarray(perm)
    if arr.shape != (n,) or (n and (arr.dtype.kind not in "iu" or int(arr.min()) < 0 or int(arr.max()) >= n)):
        raise ValueError(f"perm must hold {n} int indices in [0, {n - 1}], got {list(perm)}")
    return arr.tolist()


#: Working-set size (in float32 bytes) of one chunk of small samples: they are
#: stacked in chunks of about this size and mixed with one ``lerp_`` per chunk
#: (few C++ calls, cache-sized temporaries).
CHUNK_BYTES = 1 << 22
#: The mixing collates keep a per-thread scratch buffer for the partner rows of
#: batches up to this size (bytes), reused from batch to batch.
SCRATCH_BYTES = 1 << 23
#: Samples whose float32 size is at least this are mixed row by row straight
#: into the output, with no temporary at all.
ROW_BYTES = 1 << 18

#: CutMix copies samples of at least this many bytes row by row, pasting the
#: partner's box while the row is in cache; smaller ones are stacked in one call
#: and, with one box for the batch, the boxes move with one gather.
CUT_ROW_BYTES = 1 << 16


def _rowwise(x: Tensor) -> bool:
    """Whether samples like ``x`` are processed row by row (see ``CHUNK_BYTES``)."""
    return x.numel() * 4 >= ROW_BYTES


def _buf_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.float64 if dtype in (torch.int32, torch.int64, torch.float64) else torch.float32


def _round_into(o: Tensor, f: Tensor, narrow: Optional[Tensor] = None) -> None:
    """Round float ``f`` (ties to even) into integer ``o``; 8-bit outputs go through int16,
    which is several times faster than a direct float -> uint8 copy and exact for [-128, 255]."""
    f.round_()
    if o.dtype in (torch.uint8, torch.int8):
        if narrow is None:
            narrow = f.to(torch.int16)
        else:
            narrow.copy_(f)
        o.copy_(narrow)
    else:
        o.copy_(f)


def mixup_into(out: Tensor, inputs: Sequence[Tensor], perm: Sequence[int], lam: LamLike) -> Tensor:
    """Fused stack + MixUp: ``out[i] = lam_i * inputs[i] + (1 - lam_i) * inputs[perm[i]]``.

    ``inputs`` is read-only (a list of samples, or the rows of a stacked batch
    that is not ``out``). The path depends on the sample size:

    * large samples (float32 size >= ``ROW_BYTES``, e.g. 3x224x224) are written
      row by row straight into ``out`` with ``torch.lerp``: one pass, no
      temporary at all (the per-row Python cost is small next to the row);
    * small samples (e.g. CIFAR's 3x32x32) are stacked into ``out`` with one
      ``torch.stack`` per chunk of about ``CHUNK_BYTES`` and mixed with one
      ``lerp_`` on the chunk; the partners come from one ``index_select`` of
      the fresh stack (a temporary of at most ``CHUNK_BYTES``, cache-sized),
      since 128 per-row calls would cost more in Python overhead than the
      arithmetic itself.

    float16/bfloat16 are mixed in float32 and rounded once; integer dtypes are
    mixed in float32 (float64 for int32/int64) and rounded to the nearest
    integer (ties to even), not truncated.
    """
    n = len(inputs)
    p = _check_perm(perm, n)
    lam_v: Union[float, List[float]] = float(lam) if isinstance(lam, numbers.Real) else _lams(lam, n)
    return _mixup_into(out, inputs, p, lam_v)


def _mixup_into(out: Tensor, inputs: Sequence[Tensor], p: List[int], lam: Union[float, List[float]],
                perm_t: Optional[Tensor] = None, scratch: Optional[Tensor] = None) -> Tensor:
    """:func:`mixup_into` on checked arguments: ``p`` a list of valid indices, ``lam`` a float
    or a list of ``len(inputs)`` floats, ``perm_t`` optionally ``p`` as a LongTensor, ``scratch``
    optionally a reusable flat buffer for the partner rows (see :func:`_index_select`)."""
    n = len(inputs)
    dtype = out.dtype
    if dtype not in FLOAT_DTYPES and dtype not in _INT_DTYPES:
        raise TypeError(f"MixUp cannot mix inputs of dtype {dtype}; use a float or integer dtype")
    if not _rowwise(inputs[0]):
        _mixup_chunked(out, inputs, p, lam, max(1, CHUNK_BYTES // max(inputs[0].numel() * 4, 1)), perm_t, scratch)
        return out
    lams = [lam] * n if isinstance(lam, float) else lam
    if dtype in FLOAT_DTYPES:
        for i in range(n):
            li = lams[i]
            if li == 1.0 or p[i] == i:
                out[i].copy_(inputs[i])
            else:
                # lerp(start, end, w) = start + w * (end - start): w = lam is the weight of inputs[i]
                torch.lerp(inputs[p[i]], inputs[i], li, out=out[i])
    else:
        shape, bdt = inputs[0].shape, _buf_dtype(dtype)
        buf = torch.empty(shape, dtype=bdt, device=out.device)
        buf2 = torch.empty(shape, dtype=bdt, device=out.device)
        narrow = torch.empty(shape, dtype=torch.int16, device=out.device) if dtype in (torch.uint8, torch.int8) else None
        for i in range(n):
            li = lams[i]
            if li == 1.0 or p[i] == i:
                out[i].copy_(inputs[i])
                continue
            buf.copy_(inputs[i])
            buf2.copy_(inputs[p[i]])
            buf.lerp_(buf2, 1.0 - li)  # lam * x_i + (1 - lam) * x_perm[i]
            _round_into(out[i], buf, narrow)
    return out


def _index_select(x: Tensor, index: Tensor, scratch: Optional[Tensor]) -> Tensor:
    """``x.index_select(0, index)``, written into ``scratch`` (a flat buffer the caller owns
    and reuses) when it fits: a fresh megabyte-sized temporary per batch costs page faults
    whenever the allocator has handed that memory back to the OS in between (measured: about
    60 minor faults per CIFAR-size batch without the buffer)."""
    if (scratch is None or scratch.dtype != x.dtype or scratch.device != x.device
            or scratch.numel() < x.numel()):
        return x.index_select(0, index)
    return torch.index_select(x, 0, index, out=scratch[: x.numel()].view(x.shape))


def _stack_into(xs: List[Tensor], scratch: Optional[Tensor]) -> Tensor:
    """``torch.stack(xs)``, written into the reusable flat ``scratch`` when it fits."""
    x = xs[0]
    n = len(xs) * x.numel()
    if scratch is None or scratch.dtype != x.dtype or scratch.device != x.device or scratch.numel() < n:
        return torch.stack(xs, 0)
    return torch.stack(xs, 0, out=scratch[:n].view(len(xs), *x.shape))


def _mixup_chunked(out: Tensor, inputs: Sequence[Tensor], p: List[int], lam: Union[float, List[float]],
                   chunk: int, perm_t: Optional[Tensor] = None, scratch: Optional[Tensor] = None) -> None:
    n = len(inputs)
    dtype = out.dtype
    direct = dtype in (torch.float32, torch.float64)
    if isinstance(lam, float):
        uniform, lam0 = True, lam
    else:
        uniform = len(set(lam)) == 1
        lam0 = lam[0]
    if not isinstance(inputs, list):
        inputs = list(inputs)
    if uniform and lam0 == 1.0:
        torch.stack(inputs, 0, out=out)
        return
    wdt = dtype if direct else _buf_dtype(dtype)
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        if b - a == n:  # one chunk: gather the partners from the fresh stack
            o = out
            torch.stack(inputs, 0, out=o)
            if perm_t is None or perm_t.device != o.device:
                perm_t = torch.as_tensor(p, dtype=torch.long, device=o.device)
            part = _index_select(o, perm_t, scratch)
        else:
            o = out[a:b]
            torch.stack(inputs[a:b], 0, out=o)
            part = _stack_into([inputs[j] for j in p[a:b]], scratch)
        if uniform:
            w: Union[float, Tensor] = 1.0 - lam0
        else:
            w = torch.tensor([1.0 - v for v in lam[a:b]], dtype=wdt, device=out.device).view(-1, *([1] * (o.ndim - 1)))
        if direct:
            o.lerp_(part, w)  # o + w * (part - o) = lam * o + (1 - lam) * part
        else:
            f = o.to(wdt)
            f.lerp_(part.to(wdt), w)
            if dtype.is_floating_point:
                o.copy_(f)
            else:
                _round_into(o, f)


def stack_mixup(inputs: Sequence[Tensor], perm: Sequence[int], lam: LamLike, *, out: Optional[Tensor] = None) -> Tensor:
    """Stack a list of same-shaped sample tensors and MixUp them in one pass.

    Args:
        inputs: per-sample tensors (never modified).
        perm: partner index of each sample.
        lam: a float (one lambda for the batch) or one lambda per sample.
        out: optional preallocated ``(B, *shape)`` output.

    Example:
        >>> xs = [torch.tensor([0, 255], dtype=torch.uint8), torch.tensor([255, 0], dtype=torch.uint8)]
        >>> stack_mixup(xs, [1, 0], 0.7).tolist()  # 76.5 -> 76 (ties to even), 178.5 -> 178
        [[76, 178], [178, 76]]
    """
    if out is None:
        out = empty_batch(inputs[0], len(inputs))
    return mixup_into(out, inputs, perm, lam)


def mixup(x: Tensor, perm: Sequence[int], lam: LamLike) -> Tensor:
    """MixUp of an already stacked batch ``x`` ``(B, ...)`` (new tensor; ``x`` untouched).

    Example:
        >>> mixup(torch.tensor([[0.0], [4.0]]), [1, 0], 0.25).tolist()
        [[3.0], [1.0]]
    """
    out = torch.empty_like(x)
    return mixup_into(out, x.unbind(0), perm, lam)


# --------------------------------------------------------------------------- cutmix
def cutmix_box(size: Sequence[int], lam: float, uniforms: Sequence[float]) -> Tuple[Box, float]:
    """The CutMix box for one draw, and the exact kept fraction after clipping.

    Args:
        size: ``(H, W)`` (2-D box on dims -2, -1) or ``(T,)`` (1-D segment on dim -1).
        lam: the drawn lambda (target kept fraction) in [0, 1].
        uniforms: one uniform in [0, 1) per axis (same order as ``size``) that
            places the box centre at ``floor(u * size)``.

    Returns:
        ``((y0, y1, x0, x1), lam_exact)`` for 2-D or ``((t0, t1), lam_exact)`` for
        1-D; half-open ranges. As timm's ``rand_bbox``: the side along each of
        the ``d`` axes is ``int(size * (1 - lam) ** (1 / d))``, the box spans
        ``[c - side // 2, c + (side + 1) // 2)`` clipped to the input, and
        ``lam_exact = 1 - box_area / prod(size)``.

    Example:
        >>> cutmix_box((10,), 0.7, (0.05,))
        ((0, 2), 0.8)
    """
    dims = len(size)
    if dims not in (1, 2) or len(uniforms) != dims:
        raise ValueError(f"cutmix_box needs size (H, W) or (T,) and one uniform per axis, got {size}, {uniforms}")
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"lam must be in [0, 1], got {lam!r}")
    ratio = math.sqrt(1.0 - lam) if dims == 2 else 1.0 - lam
    box: List[int] = []
    for n, u in zip(size, uniforms):
        n = int(n)
        cut = int(n * ratio)
        c = min(int(u * n), n - 1)
        box.extend((min(max(c - cut // 2, 0), n), min(max(c + (cut + 1) // 2, 0), n)))
    return tuple(box), 1.0 - box_area(box) / float(math.prod(int(n) for n in size))


def box_area(box: Optional[Box]) -> int:
    """Number of cells in a half-open box ``(y0, y1, x0, x1)`` or ``(t0, t1)`` (0 for ``None``)."""
    if box is None:
        return 0
    area = 1
    for a, b in zip(box[0::2], box[1::2]):
        area *= max(b - a, 0)
    return area


def cutmix_valid_lam(box: Optional[Box], size: Sequence[int], own_len: int, partner_len: int) -> float:
    """Label weight of the sample itself after a CutMix cut, counting valid content only.

    For padded batches whose last axis (time; frames for spectrograms) holds
    ``own_len`` valid positions for the sample and ``partner_len`` for its
    partner (the rest is padding). After the cut the sample holds its own valid
    cells outside the box and the partner's cells inside it:
    ``own = |valid_own - box|``, ``partner = |valid_partner & box|``, counted in
    cells (for a 2-D box ``(y0, y1, x0, x1)`` the box height ``y1 - y0`` times the
    valid time positions it covers, against ``H * own_len`` for the whole sample).
    Returns ``own / (own + partner)``, or 1.0 (keep the own label) when both
    are 0 or when ``box`` is ``None``.

    Args:
        box: ``(t0, t1)`` or ``(y0, y1, x0, x1)`` half-open, as :func:`cutmix_box`.
        size: ``(T,)`` or ``(H, W)`` (the last one or two dims of one sample).
        own_len, partner_len: valid lengths along the last axis, in [0, size[-1]].

    Example:
        >>> cutmix_valid_lam((6, 10), (10,), own_len=6, partner_len=10)  # box in own padding
        0.6
        >>> cutmix_valid_lam((2, 6), (10,), own_len=10, partner_len=4)  # half the box is partner padding
        0.75
    """
    if box is None:
        return 1.0
    t0, t1 = int(box[-2]), int(box[-1])
    if len(box) == 4:
        rows, height = max(int(box[1]) - int(box[0]), 0), int(size[0])
    else:
        rows, height = 1, 1
    own_in = max(min(int(own_len), t1) - max(t0, 0), 0)
    own = height * int(own_len) - rows * own_in
    partner = rows * max(min(int(partner_len), t1) - max(t0, 0), 0)
    if own + partner == 0:
        return 1.0
    return own / float(own + partner)


def _box_index(box: Box):
    return (Ellipsis,) + tuple(slice(a, b) for a, b in zip(box[0::2], box[1::2]))


def _boxes(boxes: Union[None, Box, Sequence[Optional[Box]]], n: int) -> List[Optional[Box]]:
    if boxes is None:
        return [None] * n
    if len(boxes) > 0 and isinstance(boxes[0], numbers.Integral):
        return [tuple(int(v) for v in boxes)] * n  # one box for the whole batch
    out = [None if b is None else tuple(int(v) for v in b) for b in boxes]
    if len(out) != n:
        raise ValueError(f"boxes has {len(out)} entries for a batch of {n} samples")
    return out


def cutmix_into(out: Tensor, inputs: Sequence[Tensor], perm: Sequence[int],
                boxes: Union[None, Box, Sequence[Optional[Box]]], *, out_is_stack: bool = True) -> Tensor:
    """Copy, for each ``i``, the box of ``inputs[perm[i]]`` into ``out[i]`` (only the box).

    Partners are read from the unmodified ``inputs``, never from rows of ``out``
    already written. When ``out_is_stack`` (``out[i]`` equals ``inputs[i]``
    everywhere) and one box serves the whole batch, the partners' boxes are
    gathered from ``out`` with one ``index_select`` before any is written.
    """
    n = len(inputs)
    return _cutmix_into(out, inputs, _check_perm(perm, n), boxes, out_is_stack=out_is_stack)


def _one_box(boxes: Union[None, Box, Sequence[Optional[Box]]]) -> Optional[Box]:
    """The box if ``boxes`` is one box for the whole batch (a tuple of ints), else ``None``."""
    if boxes is not None and len(boxes) > 0 and isinstance(boxes[0], numbers.Integral):
        return tuple(int(v) for v in boxes)
    return None


def _cutmix_into(out: Tensor, inputs: Sequence[Tensor], p: List[int],
                 boxes: Union[None, Box, Sequence[Optional[Box]]], *, out_is_stack: bool = True,
                 perm_t: Optional[Tensor] = None, scratch: Optional[Tensor] = None) -> Tensor:
    """:func:`cutmix_into` with ``p`` a checked list of indices (``perm_t``: the same as a LongTensor)."""
    n = len(inputs)
    box = _one_box(boxes)
    if box is not None and out_is_stack:  # one box for the batch: no per-sample Python work
        if box_area(box) == 0 or p == list(range(n)):
            return out
        view = out[_box_index(box)]  # a permutation moves 0 or at least 2 samples: gather them all
        if perm_t is None or perm_t.device != out.device:
            perm_t = torch.as_tensor(p, dtype=torch.long, device=out.device)
        view.copy_(_index_select(view, perm_t, scratch))
        return out
    bxs = _boxes(boxes, n)
    todo = [i for i, bx in enumerate(bxs) if bx is not None and box_area(bx) > 0 and p[i] != i]
    if not todo:
        return out
    if out_is_stack and len(set(bxs)) == 1 and len(todo) > 1:
        view = out[_box_index(bxs[0])]
        view.copy_(view.index_select(0, torch.as_tensor(p, dtype=torch.long, device=out.device)))
        return out
    for i in todo:
        idx = _box_index(bxs[i])
        out[i][idx] = inputs[p[i]][idx]
    return out


def stack_cutmix(inputs: Sequence[Tensor], perm: Sequence[int], boxes: Union[None, Box, Sequence[Optional[Box]]],
                 *, out: Optional[Tensor] = None) -> Tensor:
    """Fused stack + CutMix: each output row is the sample with its partner's box copied in.

    Samples of at least ``CUT_ROW_BYTES`` are copied row by row and the partner's
    box is pasted while the row is still in cache; small ones are stacked in one
    call and the boxes copied afterwards (one ``index_select`` of the boxes when
    one box serves the batch).

    Args:
        inputs: per-sample tensors (never modified).
        perm: partner index of each sample.
        boxes: one box for the batch, or one box (or ``None``) per sample, as
            returned by :func:`cutmix_box`.
        out: optional preallocated ``(B, *shape)`` output.

    Example:
        >>> xs = [torch.zeros(1, 2, 3), torch.ones(1, 2, 3)]
        >>> stack_cutmix(xs, [1, 0], (0, 1, 1, 3))[0, 0].tolist()
        [[0.0, 1.0, 1.0], [0.0, 0.0, 0.0]]
    """
    return _stack_cutmix(inputs, _check_perm(perm, len(inputs)), boxes, out=out)


def _stack_cutmix(inputs: Sequence[Tensor], p: List[int], boxes: Union[None, Box, Sequence[Optional[Box]]],
                  *, out: Optional[Tensor] = None, perm_t: Optional[Tensor] = None,
                  scratch: Optional[Tensor] = None) -> Tensor:
    """:func:`stack_cutmix` with ``p`` a checked list of indices."""
    n = len(inputs)
    if out is None:
        out = empty_batch(inputs[0], n)
    if inputs[0].numel() * inputs[0].element_size() < CUT_ROW_BYTES:
        torch.stack(inputs if isinstance(inputs, list) else list(inputs), 0, out=out)
        return _cutmix_into(out, inputs, p, boxes, perm_t=perm_t, scratch=scratch)
    for i, box in enumerate(_boxes(boxes, n)):
        o = out[i]
        o.copy_(inputs[i])
        if box is not None and box_area(box) > 0 and p[i] != i:
            idx = _box_index(box)
            o[idx] = inputs[p[i]][idx]
    return out


def cutmix(x: Tensor, perm: Sequence[int], boxes: Union[None, Box, Sequence[Optional[Box]]]) -> Tensor:
    """CutMix of an already stacked batch ``x`` (new tensor; ``x`` untouched)."""
    return cutmix_into(x.clone(), x.unbind(0), perm, boxes)


# --------------------------------------------------------------------------- extra fields
_REDUCERS = {
    "max": torch.maximum,
    "min": torch.minimum,
    "or": torch.logical_or,
    "and": torch.logical_and,
}


def pair_reduce(field: Tensor, perm: Sequence[int], mixed: Sequence[bool], how: str) -> Tensor:
    """Combine a per-sample field with its partner's for the mixed samples (new tensor).

    ``how`` is ``"max"``, ``"min"``, ``"or"`` or ``"and"``; e.g. ``lengths`` take
    the max (a mixed sample is valid wherever either source is) and masks the or.

    Example:
        >>> pair_reduce(torch.tensor([3, 5, 2]), [1, 0, 2], [True, True, False], "max").tolist()
        [5, 5, 2]
    """
    if how not in _REDUCERS:
        raise ValueError(f"pair_reduce method must be one of {sorted(_REDUCERS)}, got {how!r}")
    perm_t = torch.as_tensor(list(perm), dtype=torch.long, device=field.device)
    partner = field.index_select(0, perm_t)
    reduced = _REDUCERS[how](field, partner)
    if how in ("or", "and") and field.dtype != torch.bool:
        reduced = reduced.to(field.dtype)
    m = torch.as_tensor(list(mixed), dtype=torch.bool, device=field.device).view(-1, *([1] * (field.ndim - 1)))
    return torch.where(m, reduced, field)
