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
from typing import Any, cast

import numpy as np
import torch
from torch import Tensor

from . import kernels
from .inputs import CHUNK_BYTES, FLOAT_DTYPES, INT_DTYPES, LamLike, empty_batch, index_select_scratch, is_rowwise
from .pairs import check_perm

__all__ = [
    "mixup",
    "stack_mixup",
    "mixup_into",
    "mixup_into_unchecked",
    "quantize_lam",
    "quantize_mix_params",
    "LAM_STEPS",
]

#: uint8 MixUp in the collates uses lambdas on a grid of ``1 / LAM_STEPS`` (see `quantize_lam`).
LAM_STEPS = 256
#: Rows per chunk of the uint8 fixed-point kernel for small samples: about 64 KiB of uint8 per chunk.
_U8_CHUNK_BYTES = 1 << 16
#: Bytes per chunk of the float kernel for small samples (the partners of a chunk stay in cache).
_FLOAT_CHUNK_BYTES = 1 << 22


def quantize_lam(lam: float, dtype: torch.dtype) -> float:
    """The lambda the collates use for inputs of ``dtype``: uint8 on a grid of ``1/256``, others unchanged.

    The collates blend uint8 inputs with ``lam = w / 256`` in exact integer arithmetic,
    ``(w * x_i + (256 - w) * x_partner + 128) >> 8`` (see
    [mixup_into_unchecked][collate.functional.mixup.mixup_into_unchecked]), and their soft targets use
    the same ``lam``, so image and label agree exactly.

    Args:
        lam: the drawn lambda in ``[0, 1]``.
        dtype: the dtype of the inputs.

    Returns:
        ``round(lam * 256) / 256`` for uint8 (ties to even), else ``lam``.

    Example:
        >>> quantize_lam(0.7, torch.uint8), quantize_lam(0.7, torch.float32)
        (0.69921875, 0.7)
    """
    if dtype != torch.uint8:
        return lam
    return round(float(lam) * LAM_STEPS) / LAM_STEPS


def quantize_mix_params(params: dict[str, Any], dtype: torch.dtype) -> None:
    """Put the MixUp lambdas of a collate's draw on the uint8 grid, in place (see `quantize_lam`).

    ``params`` is a mixing collate's draw (``"mode"`` and ``"lam"``, one value or one per sample); only
    the lambdas of MixUp draws change, and only for uint8 inputs.

    Example:
        >>> params = {"mode": ["mixup", "cutmix"], "lam": [0.7, 0.7]}
        >>> quantize_mix_params(params, torch.uint8)
        >>> params["lam"]
        [0.69921875, 0.7]
    """
    if dtype != torch.uint8:
        return
    mode, lam = params["mode"], params["lam"]
    if isinstance(mode, str):
        if mode == "mixup":
            params["lam"] = quantize_lam(lam, dtype)
        return
    params["lam"] = [quantize_lam(v, dtype) if m == "mixup" else v for m, v in zip(mode, lam, strict=True)]


def _fixed_weights(lams: list[float]) -> list[int] | None:
    """``lam * 256`` as ints when every lambda is on the uint8 grid, else ``None``."""
    ws = []
    for li in lams:
        w = li * LAM_STEPS
        if not (0.0 <= w <= LAM_STEPS) or w != int(w):
            return None
        ws.append(int(w))
    return ws


_HALF = np.uint16(LAM_STEPS // 2)


def _blend_u16(a: np.ndarray, b: np.ndarray, w1: Any, w2: Any, t1: np.ndarray, t2: np.ndarray, o: np.ndarray) -> None:
    """``o = (w1 * a + w2 * b + 128) >> 8`` for uint8 ``a``, ``b`` with ``w1 + w2 = 256`` (fits uint16)."""
    np.multiply(a, w1, out=t1, dtype=np.uint16)
    np.add(t1, _HALF, out=t1)
    np.multiply(b, w2, out=t2, dtype=np.uint16)
    np.add(t1, t2, out=t1)
    np.right_shift(t1, 8, out=o, casting="unsafe")


def _mixup_u8_fixed(
    out: Tensor,
    inputs: Sequence[Tensor],
    p: list[int],
    ws: list[int],
    perm_t: Tensor | None = None,
    scratch: Tensor | None = None,
) -> None:
    """uint8 MixUp in exact fixed point, ``out[i] = (w_i * x_i + (256 - w_i) * x_p[i] + 128) >> 8``.

    The exact blend rounded half up (the float path rounds ties to even), several times faster than
    the float path: uint16 numpy temporaries (the sums are at most ``255 * 256 + 128``), row by row
    for large samples; small ones are stacked into ``out`` with one ``torch.stack``, their partners
    gathered with one ``index_select`` (into ``scratch`` when it fits), and blended in chunks of about
    64 KiB on numpy views.
    """
    n = len(inputs)
    on = out.numpy().reshape(n, -1)
    d = on.shape[1]
    if is_rowwise(inputs[0]):
        t1 = np.empty(d, np.uint16)
        t2 = np.empty(d, np.uint16)
        rows = [np.asarray(x.numpy()).reshape(-1) for x in inputs]
        for i in range(n):
            w = ws[i]
            if w == LAM_STEPS or p[i] == i:
                on[i] = rows[i]
                continue
            _blend_u16(rows[i], rows[p[i]], np.uint16(w), np.uint16(LAM_STEPS - w), t1, t2, on[i])
        return
    c = max(1, min(n, _U8_CHUNK_BYTES // max(d, 1)))
    t1 = np.empty((c, d), np.uint16)
    t2 = np.empty((c, d), np.uint16)
    uniform = len(set(ws)) == 1
    xs = inputs if isinstance(inputs, list) else list(inputs)
    # two torch calls for the whole batch (stack, then gather the partners from it); the blend runs on
    # numpy views in cache-sized chunks (numpy slices cost far less than torch ones)
    torch.stack(xs, 0, out=out)
    if perm_t is None:
        perm_t = torch.as_tensor(p, dtype=torch.long)
    pn = index_select_scratch(out, perm_t, scratch).numpy().reshape(n, d)
    for a in range(0, n, c):
        b = min(n, a + c)
        k = b - a
        if uniform:
            w1: Any = np.uint16(ws[0])
            w2: Any = np.uint16(LAM_STEPS - ws[0])
        else:
            w1 = np.array(ws[a:b], np.uint16).reshape(k, 1)
            w2 = np.uint16(LAM_STEPS) - w1
        _blend_u16(on[a:b], pn[a:b], w1, w2, t1[:k], t2[:k], on[a:b])


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
    return mixup_into_unchecked(out, inputs, p, lam_v, fixed_point=False)


def mixup_into_unchecked(
    out: Tensor,
    inputs: Sequence[Tensor],
    p: list[int],
    lam: float | list[float],
    perm_t: Tensor | None = None,
    scratch: Tensor | None = None,
    fixed_point: bool = True,
    kernel: bool | None = None,
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
        fixed_point: the collates' rule for uint8 on CPU when every lambda is on the ``1/256`` grid
            (see [quantize_lam][collate.functional.mixup.quantize_lam]): the exact
            ``(w * x_i + (256 - w) * x_partner + 128) >> 8`` with ``w = 256 * lam``, rounding half up,
            several times faster. ``False``: the float rule of ``mixup_into`` (ties to even).
        kernel: whether the one-pass C kernels may run (`kernels.usable(out, inputs)`, which
            ``None`` asks); the result is the same either way.

    Returns:
        ``out``.
    """
    n = len(inputs)
    dtype = out.dtype
    if dtype not in FLOAT_DTYPES and dtype not in INT_DTYPES:
        raise TypeError(f"MixUp cannot mix inputs of dtype {dtype}; use a float or integer dtype")
    lams = [lam] * n if isinstance(lam, float) else lam
    if fixed_point and dtype == torch.uint8 and out.device.type == "cpu" and out.is_contiguous():
        ws = _fixed_weights([lam]) if isinstance(lam, float) else _fixed_weights(lams)
        if ws is not None and len(ws) == 1:
            ws = ws * n
        if ws is not None:
            if kernels.usable(out, inputs) if kernel is None else kernel:  # the same blend in one pass
                kernels.blend_rows_u8(out, inputs, p, ws[0] if len(set(ws)) == 1 else ws, trusted=True)
            else:
                _mixup_u8_fixed(out, inputs, p, ws, perm_t, scratch)
            return out
    if dtype == torch.float32 and (kernels.usable(out, inputs) if kernel is None else kernel):
        # one pass, the same bits as the torch paths below (each path's own orientation of lerp)
        if is_rowwise(inputs[0]):
            kernels.lerp_rows(
                out, inputs, p, lam, mode=1, trusted=True
            )  # lerp(partner, own, lam), as the row-wise path
        elif isinstance(lam, float):  # lerp(own, partner, 1 - lam) as the chunked path; lam 1: it stacks
            kernels.lerp_rows(out, inputs, p, 1.0 - lam, mode=2 if lam == 1.0 else 0, trusted=True)
        else:
            kernels.lerp_rows(
                out, inputs, p, [1.0 - v for v in lam], mode=2 if all(v == 1.0 for v in lam) else 0, trusted=True
            )
        return out
    if not is_rowwise(inputs[0]):
        chunk_bytes = _FLOAT_CHUNK_BYTES if dtype == torch.float32 else CHUNK_BYTES
        _mixup_chunked(out, inputs, p, lam, max(1, chunk_bytes // max(inputs[0].numel() * 4, 1)), perm_t, scratch)
        return out
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
