"""Pure tensor ops behind the mixing collates (MixUp, CutMix).

Everything here is a deterministic function of its arguments: the random draws
(lambda, pairing permutation, box position uniforms) are made by the collate
classes in `collate.mix` and passed in. No global RNG is touched.

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

The ops live in one module per job, all re-exported here:

- `collate.functional.inputs`: checks, the output batch, stacking;
- `collate.functional.targets`: soft targets (the one implementation), smoothing, mixing targets;
- `collate.functional.mixup` and `collate.functional.cutmix`: the fused kernels;
- `collate.functional.pairs`: checking a pairing and combining fields of mixed pairs;
- `collate.functional.kernels`: the one-pass C kernels (built at install, optional) that the
  mixup, cutmix and soft-target paths use on CPU, with the same bits as their torch paths.
"""

from __future__ import annotations

from .apply import apply_mix
from .cutmix import (
    box_area,
    cutmix,
    cutmix_box,
    cutmix_into,
    cutmix_into_unchecked,
    cutmix_valid_lam,
    stack_cutmix,
    stack_cutmix_unchecked,
)
from .inputs import (
    CHUNK_BYTES,
    CUT_ROW_BYTES,
    FLOAT_DTYPES,
    INT_DTYPES,
    ROW_BYTES,
    SCRATCH_BYTES,
    Box,
    LamLike,
    Namer,
    as_tensor_inputs,
    check_same_shape,
    empty_batch,
    index_select_scratch,
    is_rowwise,
    owner_prefix,
    sample_namer,
    stack,
)
from .mixup import mixup, mixup_into, mixup_into_unchecked, quantize_lam, quantize_mix_params, stack_mixup
from .pairs import REDUCERS, check_perm, pair_reduce
from .targets import (
    int_targets,
    mix_targets,
    mixed_one_hot,
    one_hot,
    smooth_targets,
    soft_labels,
    soft_targets,
)

__all__ = [
    "as_tensor_inputs",
    "check_same_shape",
    "empty_batch",
    "stack",
    "one_hot",
    "soft_targets",
    "soft_labels",
    "sample_namer",
    "Namer",
    "smooth_targets",
    "mixed_one_hot",
    "int_targets",
    "mix_targets",
    "mixup",
    "stack_mixup",
    "mixup_into",
    "mixup_into_unchecked",
    "quantize_lam",
    "apply_mix",
    "quantize_mix_params",
    "cutmix_box",
    "box_area",
    "cutmix_valid_lam",
    "cutmix",
    "stack_cutmix",
    "cutmix_into",
    "stack_cutmix_unchecked",
    "cutmix_into_unchecked",
    "pair_reduce",
    "check_perm",
    "index_select_scratch",
    "is_rowwise",
    "owner_prefix",
    "REDUCERS",
    "FLOAT_DTYPES",
    "INT_DTYPES",
    "CHUNK_BYTES",
    "SCRATCH_BYTES",
    "ROW_BYTES",
    "CUT_ROW_BYTES",
    "Box",
    "LamLike",
]
