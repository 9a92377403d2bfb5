"""Mixing on the accelerator: apply a mixing collate's draw to a batch after it was moved to the device.

With ``on_device=True`` a mixing collate ([MixUp][collate.mix.MixUp], [CutMix][collate.mix.CutMix],
[MixUpOrCutMix][collate.mix.MixUpOrCutMix]) only draws in the DataLoader workers: it returns the
input stacked but unmixed, the soft targets already mixed, and the draw (plain data). The training
step moves the batch and mixes it there:

```python
collate_fn = MixUpOrCutMix(num_classes=1000, on_device=True)
for x, y, params in loader:
    x, y = x.to("cuda", non_blocking=True), y.to("cuda", non_blocking=True)
    x = apply_mix(x, params)
```

On CPU the result is bit-identical to mixing in the collate (the same kernels run). On an
accelerator uint8 MixUp and CutMix are bit-identical too (integer arithmetic and copies); float
MixUp is one ``lerp`` over the batch (equal up to rounding of the last bit).

Example:
    >>> import torch
    >>> from collate import MixUp
    >>> batch = [(torch.rand(3, 4, 4), i % 2) for i in range(4)]
    >>> x, y, params = MixUp(num_classes=2, seed=0, on_device=True)(batch)
    >>> x_mixed, y_mixed = MixUp(num_classes=2, seed=0)(batch)
    >>> torch.equal(apply_mix(x, params), x_mixed), torch.equal(y, y_mixed)
    (True, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from .cutmix import cutmix_into_unchecked
from .mixup import LAM_STEPS, mixup_into_unchecked

__all__ = ["apply_mix"]


def _check(x: Any, params: Any) -> tuple[Any, Any, list[int], Any]:
    if not isinstance(x, Tensor) or x.ndim < 1:
        raise TypeError(f"apply_mix: x must be a stacked batch tensor (B, ...), got {type(x).__name__}")
    if not isinstance(params, Mapping) or not {"mode", "lam", "perm"} <= set(params):
        raise TypeError(
            "apply_mix: params must be the draw a mixing collate returns (a dict with 'mode', 'lam', 'perm', 'box'), "
            f"got {params!r}"
        )
    n = x.shape[0]
    perm = [int(v) for v in params["perm"]]
    if len(perm) != n or sorted(perm) != list(range(n)):
        raise ValueError(f"apply_mix: params['perm'] must be a permutation of range({n}), got {perm}")
    return params["mode"], params["lam"], perm, params.get("box")


def _channels_first(x: Tensor, layout: str | None) -> Tensor:
    if layout is None or layout in ("CHW", "HW"):
        return x
    if layout == "HWC":
        if x.ndim != 4:
            raise ValueError(f"apply_mix: layout='HWC' needs a (B, H, W, C) batch, got shape {tuple(x.shape)}")
        return x.permute(0, 3, 1, 2)
    raise ValueError(f"apply_mix: layout must be None, 'CHW', 'HW' or 'HWC', got {layout!r}")


def _cpu_mix(
    x: Tensor, layout: str | None, modes: list[str], lams: list[float], perm: list[int], boxes: list[Any]
) -> Tensor:
    """The collates' own kernels on the same (channel-first) views: bit-identical to mixing in the collate."""
    res = torch.empty_like(x, memory_format=torch.contiguous_format)
    out = _channels_first(res, layout)
    rows = list(_channels_first(x, layout).unbind(0))
    kinds = set(modes)
    mix_lams = [lam if m == "mixup" else 1.0 for m, lam in zip(modes, lams, strict=True)]
    cut_boxes = [b if m == "cutmix" else None for m, b in zip(modes, boxes, strict=True)]
    if "mixup" in kinds:
        mixup_into_unchecked(out, rows, perm, mix_lams[0] if len(set(mix_lams)) == 1 else mix_lams)
        if "cutmix" in kinds:
            cutmix_into_unchecked(out, rows, perm, cut_boxes, out_is_stack=False)
        return res
    res.copy_(x)
    if "cutmix" in kinds:
        cutmix_into_unchecked(out, rows, perm, cut_boxes, out_is_stack=False)
    return res


def _device_mix(x: Tensor, modes: list[str], lams: list[float], perm: list[int], boxes: list[Any]) -> Tensor:
    """Batched ops for accelerators: one blend over the batch, box copies from the original rows."""
    n = x.shape[0]
    perm_t = torch.tensor(perm, dtype=torch.long, device=x.device)
    partner = x.index_select(0, perm_t)
    out = x.clone()
    mix_rows = [i for i, m in enumerate(modes) if m == "mixup" and lams[i] < 1.0 and perm[i] != i]
    if mix_rows:
        shape = (n,) + (1,) * (x.ndim - 1)
        lam_v = [lams[i] if i in set(mix_rows) else 1.0 for i in range(n)]
        if x.dtype == torch.uint8 and all(v * LAM_STEPS == int(v * LAM_STEPS) for v in lam_v):
            w = torch.tensor([int(v * LAM_STEPS) for v in lam_v], dtype=torch.int32, device=x.device).view(shape)
            mixed = (w * x.to(torch.int32) + (LAM_STEPS - w) * partner.to(torch.int32) + LAM_STEPS // 2) >> 8
            out = mixed.to(torch.uint8)
        elif x.is_floating_point():
            wt = torch.tensor([1.0 - v for v in lam_v], dtype=x.dtype, device=x.device).view(shape)
            out = torch.lerp(x, partner, wt)
        else:
            wt = torch.tensor([1.0 - v for v in lam_v], dtype=torch.float64, device=x.device).view(shape)
            out = torch.lerp(x.double(), partner.double(), wt).round_().to(x.dtype)
    for i, (m, box) in enumerate(zip(modes, boxes, strict=True)):
        if m == "cutmix" and box is not None and perm[i] != i:
            idx = (i, Ellipsis) + tuple(slice(a, b) for a, b in zip(box[0::2], box[1::2], strict=True))
            out[idx] = partner[idx]
    return out


def apply_mix(x: Tensor, params: Mapping[str, Any], *, layout: str | None = None) -> Tensor:
    """Mix a stacked batch with the draw a mixing collate returned (``on_device=True`` or ``return_params=True``).

    Args:
        x: the input batch ``(B, ...)`` as the collate stacked it (unmixed), on any device.
        params: the draw: ``{"mode", "lam", "perm", "box"}``, one value for the batch or one per
            sample (``per_sample=True``).
        layout: ``"HWC"`` when the collate read HWC images (its ``layout=``); ``None`` (default): the
            box is on the last two dims (one for 1-D inputs).

    Returns:
        A new tensor: the mixed batch (``x`` is not modified).

    Raises:
        TypeError: ``x`` is not a tensor or ``params`` is not a draw.
        ValueError: ``params['perm']`` does not fit the batch, or a bad ``layout``.

    Example:
        >>> x = torch.tensor([[0.0], [4.0]])
        >>> apply_mix(x, {"mode": "mixup", "lam": 0.25, "perm": [1, 0], "box": None}).tolist()
        [[3.0], [1.0]]
    """
    mode, lam, perm, box = _check(x, params)
    if layout not in (None, "CHW", "HW", "HWC"):
        raise ValueError(f"apply_mix: layout must be None, 'CHW', 'HW' or 'HWC', got {layout!r}")
    n = x.shape[0]
    if isinstance(mode, str):
        # one draw for the batch (a CutMix draw over padded inputs reports per-sample label weights as lam)
        lams = [float(v) for v in lam] if isinstance(lam, (list, tuple)) else [float(lam)] * n
        modes, boxes = [mode] * n, [box] * n
    else:
        modes, lams = list(mode), [float(v) for v in lam]
        boxes = list(box) if box is not None else [None] * n
        if not len(modes) == len(lams) == len(boxes) == n:
            raise ValueError(f"apply_mix: per-sample params must have {n} entries each")
    if all(m == "none" for m in modes):
        return x.clone()
    if x.device.type == "cpu":
        return _cpu_mix(x, layout, modes, lams, perm, boxes)
    kx = _channels_first(x, layout)
    out = _device_mix(kx, modes, lams, perm, boxes)
    return out.permute(0, 2, 3, 1).contiguous() if kx is not x else out
