"""MixUp kernels: ``out[i] = lam_i * x[i] + (1 - lam_i) * x[perm[i]]``, fused with stacking.

Example:
    >>> import torch
    >>> xs = [torch.full((1, 2, 2), float(v)) for v in (0, 10, 20)]
    >>> stack_mixup(xs, perm=[1, 2, 0], lam=0.75)[:, 0, 0, 0].tolist()
    [2.5, 12.5, 15.0]
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import cast

import numpy as np
import torch
from torch import Tensor

from .inputs import CHUNK_BYTES, FLOAT_DTYPES, INT_DTYPES, LamLike, empty_batch, index_select_scratch, is_rowwise
from .pairs import check_perm

__all__ = ["mixup", "stack_mixup", "mixup_into", "mixup_into_unchecked"]


def _lams(lam: LamLike, n: int) -> list[float]:
    if isinstance(lam, numbers.Real):
        return [float(lam)] * n
    values = lam.tolist() if isinstance(lam, (Tensor, np.ndarray)) else cast(Sequence[float], lam)
    lams = [float(v) for v in values]
    if len(lams) != n:
        raise ValueError(f"lam has {len(lams)} values for a batch of {n} samples")
    return lams


def _buf_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.float64 if dtype in (torch.int32, torch.int64, torch.float64) else torch.float32


def _round_into(o: Tensor, f: Tensor, narrow: Tensor | None = None) -> None:
    """Round float ``f`` (ties to even) into integer ``o``.

    8-bit outputs go through int16, which is several times faster than a direct float -> uint8
    copy and exact for [-128, 255].
    """
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
    p = check_perm(perm, n)
    lam_v: float | list[float] = float(lam) if isinstance(lam, numbers.Real) else _lams(lam, n)
    return mixup_into_unchecked(out, inputs, p, lam_v)


def mixup_into_unchecked(
    out: Tensor,
    inputs: Sequence[Tensor],
    p: list[int],
    lam: float | list[float],
    perm_t: Tensor | None = None,
    scratch: Tensor | None = None,
) -> Tensor:
    """[mixup_into][collate.functional.mixup.mixup_into] on checked arguments (no checks, for the collates).

    Args:
        out: the ``(B, *shape)`` output.
        inputs: the per-sample tensors (read only).
        p: the partner indices, a list of valid ints.
        lam: a float, or a list of ``len(inputs)`` floats.
        perm_t: optionally ``p`` as a LongTensor on ``out``'s device.
        scratch: optionally a reusable flat buffer for the partner rows (see
            [index_select_scratch][collate.functional.inputs.index_select_scratch]).

    Returns:
        ``out``.
    """
    n = len(inputs)
    dtype = out.dtype
    if dtype not in FLOAT_DTYPES and dtype not in INT_DTYPES:
        raise TypeError(f"MixUp cannot mix inputs of dtype {dtype}; use a float or integer dtype")
    if not is_rowwise(inputs[0]):
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
        narrow = (
            torch.empty(shape, dtype=torch.int16, device=out.device) if dtype in (torch.uint8, torch.int8) else None
        )
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


def _stack_into(xs: list[Tensor], scratch: Tensor | None) -> Tensor:
    """``torch.stack(xs)``, written into the reusable flat ``scratch`` when it fits."""
    x = xs[0]
    n = len(xs) * x.numel()
    if scratch is None or scratch.dtype != x.dtype or scratch.device != x.device or scratch.numel() < n:
        return torch.stack(xs, 0)
    return torch.stack(xs, 0, out=scratch[:n].view(len(xs), *x.shape))


def _mixup_chunked(
    out: Tensor,
    inputs: Sequence[Tensor],
    p: list[int],
    lam: float | list[float],
    chunk: int,
    perm_t: Tensor | None = None,
    scratch: Tensor | None = None,
) -> None:
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
            part = index_select_scratch(o, perm_t, scratch)
        else:
            o = out[a:b]
            torch.stack(inputs[a:b], 0, out=o)
            part = _stack_into([inputs[j] for j in p[a:b]], scratch)
        if uniform:
            w: float | Tensor = 1.0 - lam0
        else:
            w = torch.tensor([1.0 - v for v in cast(list, lam)[a:b]], dtype=wdt, device=out.device).view(
                -1, *([1] * (o.ndim - 1))
            )
        if direct:
            o.lerp_(part, w)  # o + w * (part - o) = lam * o + (1 - lam) * part
        else:
            f = o.to(wdt)
            f.lerp_(part.to(wdt), w)
            if dtype.is_floating_point:
                o.copy_(f)
            else:
                _round_into(o, f)


def stack_mixup(inputs: Sequence[Tensor], perm: Sequence[int], lam: LamLike, *, out: Tensor | None = None) -> Tensor:
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
