"""CutMix kernels: boxes (timm's ``rand_bbox`` rule) and copying the partner's box, fused with stacking.

Example:
    >>> box, lam = cutmix_box((4, 6), lam=0.75, uniforms=(0.5, 0.5))
    >>> box, lam
    ((1, 3, 2, 5), 0.75)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, cast

import torch
from torch import Tensor

from . import kernels
from .inputs import CUT_ROW_BYTES, Box, empty_batch, index_select_scratch
from .pairs import check_perm

__all__ = [
    "cutmix_box",
    "box_area",
    "cutmix_valid_lam",
    "cutmix",
    "stack_cutmix",
    "cutmix_into",
    "stack_cutmix_unchecked",
    "cutmix_into_unchecked",
]


def cutmix_box(size: Sequence[int], lam: float, uniforms: Sequence[float]) -> tuple[Box, float]:
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
    if dims == 2:
        h, w = int(size[0]), int(size[1])
        ratio = math.sqrt(1.0 - lam)
        y0, y1 = _span(h, ratio, uniforms[0])
        x0, x1 = _span(w, ratio, uniforms[1])
        return (y0, y1, x0, x1), 1.0 - ((y1 - y0) * (x1 - x0)) / float(h * w)
    t = int(size[0])
    t0, t1 = _span(t, 1.0 - lam, uniforms[0])
    return (t0, t1), 1.0 - (t1 - t0) / float(t)


def _span(n: int, ratio: float, u: float) -> tuple[int, int]:
    """One axis of `cutmix_box`: ``int(n * ratio)`` cells around ``floor(u * n)``, clipped to ``[0, n)``."""
    cut = int(n * ratio)
    c = min(int(u * n), n - 1)
    return min(max(c - cut // 2, 0), n), min(max(c + (cut + 1) // 2, 0), n)


def box_area(box: Box | None) -> int:
    """Number of cells in a half-open box ``(y0, y1, x0, x1)`` or ``(t0, t1)`` (0 for ``None``)."""
    if box is None:
        return 0
    area = 1
    for a, b in zip(box[0::2], box[1::2], strict=False):
        area *= max(b - a, 0)
    return area


def cutmix_valid_lam(box: Box | None, size: Sequence[int], own_len: int, partner_len: int) -> float:
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
        box: ``(t0, t1)`` or ``(y0, y1, x0, x1)`` half-open, as `cutmix_box`.
        size: ``(T,)`` or ``(H, W)`` (the last one or two dims of one sample).
        own_len: valid length of the sample along the last axis, in [0, size[-1]].
        partner_len: valid length of the partner along the last axis, in [0, size[-1]].

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


def _box_index(box: Any) -> tuple[Any, ...]:
    return (Ellipsis,) + tuple(slice(a, b) for a, b in zip(box[0::2], box[1::2], strict=False))


def _boxes(boxes: None | Box | Sequence[Box | None], n: int) -> list[Box | None]:
    if boxes is None:
        return [None] * n
    if len(boxes) > 0 and isinstance(boxes[0], numbers.Integral):
        return [tuple(int(v) for v in cast(Box, boxes))] * n  # one box for the whole batch
    out = [None if b is None else tuple(int(v) for v in b) for b in cast(Sequence[Any], boxes)]
    if len(out) != n:
        raise ValueError(f"boxes has {len(out)} entries for a batch of {n} samples")
    return out


def cutmix_into(
    out: Tensor,
    inputs: Sequence[Tensor],
    perm: Sequence[int],
    boxes: None | Box | Sequence[Box | None],
    *,
    out_is_stack: bool = True,
) -> Tensor:
    """Copy, for each ``i``, the box of ``inputs[perm[i]]`` into ``out[i]`` (only the box).

    Partners are read from the unmodified ``inputs``, never from rows of ``out``
    already written. When ``out_is_stack`` (``out[i]`` equals ``inputs[i]``
    everywhere) and one box serves the whole batch, the partners' boxes are
    gathered from ``out`` with one ``index_select`` before any is written.
    """
    n = len(inputs)
    return cutmix_into_unchecked(out, inputs, check_perm(perm, n), boxes, out_is_stack=out_is_stack)


def _one_box(boxes: None | Box | Sequence[Box | None]) -> Box | None:
    """The box if ``boxes`` is one box for the whole batch (a tuple of ints), else ``None``."""
    if boxes is not None and len(boxes) > 0 and isinstance(boxes[0], numbers.Integral):
        return tuple(int(v) for v in boxes)
    return None


def cutmix_into_unchecked(
    out: Tensor,
    inputs: Sequence[Tensor],
    p: list[int],
    boxes: None | Box | Sequence[Box | None],
    *,
    out_is_stack: bool = True,
    perm_t: Tensor | None = None,
    scratch: Tensor | None = None,
    kernel: bool | None = None,
) -> Tensor:
    """`cutmix_into` with ``p`` a checked list of indices (``perm_t``: the same as a LongTensor).

    ``kernel`` says whether the one-pass C kernel may run (``None``: `kernels.usable` decides).
    """
    n = len(inputs)
    if (kernels.usable(out, inputs) if kernel is None else kernel) and kernels.cut_rows(
        out, inputs, p, _one_box(boxes) or _boxes(boxes, n), copy=False, trusted=True
    ):
        return out  # the boxes pasted in one call
    box = _one_box(boxes)
    if box is not None and out_is_stack:  # one box for the batch: no per-sample Python work
        if box_area(box) == 0 or p == list(range(n)):
            return out
        idx = _box_index(box)
        view = out[idx]  # a permutation moves 0 or at least 2 samples: gather them all
        if perm_t is None or perm_t.device != out.device:
            perm_t = torch.as_tensor(p, dtype=torch.long, device=out.device)
        if out.element_size() == 1:
            # bytes: gathering whole contiguous rows and copying the box once beats gathering the
            # strided box (its rows are only a few bytes long)
            view.copy_(index_select_scratch(out, perm_t, scratch)[idx])
        else:
            view.copy_(index_select_scratch(view, perm_t, scratch))
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


def stack_cutmix(
    inputs: Sequence[Tensor],
    perm: Sequence[int],
    boxes: None | Box | Sequence[Box | None],
    *,
    out: Tensor | None = None,
) -> Tensor:
    """Fused stack + CutMix: each output row is the sample with its partner's box copied in.

    Samples of at least ``CUT_ROW_BYTES`` are copied row by row and the partner's
    box is pasted while the row is still in cache; small ones are stacked in one
    call and the boxes copied afterwards (one ``index_select`` of the boxes when
    one box serves the batch).

    Args:
        inputs: per-sample tensors (never modified).
        perm: partner index of each sample.
        boxes: one box for the batch, or one box (or ``None``) per sample, as
            returned by `cutmix_box`.
        out: optional preallocated ``(B, *shape)`` output.

    Example:
        >>> xs = [torch.zeros(1, 2, 3), torch.ones(1, 2, 3)]
        >>> stack_cutmix(xs, [1, 0], (0, 1, 1, 3))[0, 0].tolist()
        [[0.0, 1.0, 1.0], [0.0, 0.0, 0.0]]
    """
    return stack_cutmix_unchecked(inputs, check_perm(perm, len(inputs)), boxes, out=out)


def stack_cutmix_unchecked(
    inputs: Sequence[Tensor],
    p: list[int],
    boxes: None | Box | Sequence[Box | None],
    *,
    out: Tensor | None = None,
    perm_t: Tensor | None = None,
    scratch: Tensor | None = None,
    kernel: bool | None = None,
) -> Tensor:
    """`stack_cutmix` with ``p`` a checked list of indices (``kernel``: as `cutmix_into_unchecked`)."""
    n = len(inputs)
    if out is None:
        out = empty_batch(inputs[0], n)
    if (kernels.usable(out, inputs) if kernel is None else kernel) and kernels.cut_rows(
        out, inputs, p, _one_box(boxes) or _boxes(boxes, n), copy=True, trusted=True
    ):
        return out  # one pass: each row copied and its partner's box pasted
    if inputs[0].numel() * inputs[0].element_size() < CUT_ROW_BYTES:
        torch.stack(inputs if isinstance(inputs, list) else list(inputs), 0, out=out)
        return cutmix_into_unchecked(out, inputs, p, boxes, perm_t=perm_t, scratch=scratch)
    for i, box in enumerate(_boxes(boxes, n)):
        o = out[i]
        o.copy_(inputs[i])
        if box is not None and box_area(box) > 0 and p[i] != i:
            idx = _box_index(box)
            o[idx] = inputs[p[i]][idx]
    return out


def cutmix(x: Tensor, perm: Sequence[int], boxes: None | Box | Sequence[Box | None]) -> Tensor:
    """CutMix of an already stacked batch ``x`` (new tensor; ``x`` untouched)."""
    return cutmix_into(x.clone(), x.unbind(0), perm, boxes)
