"""Bad inputs for the image transforms: contradicting layouts, empty or odd arrays, fills that do not fit."""

from __future__ import annotations

import numpy as np
import torch

from loaders.image import Albumentations, Cutout, cutout
from tests.bad_inputs import BadInput


def _flip(**kwargs):
    import albumentations as A

    return Albumentations(A.HorizontalFlip(p=1.0), **kwargs)


def _cut(x, **kwargs):
    return lambda: Cutout(size=8, p=1.0, **kwargs)(x, rng=0)


def _alb(x, **kwargs):
    return lambda: _flip(**kwargs)(x, rng=0)


ROWS = [
    # layouts: HWC tensors and CHW arrays were read along the wrong axes before
    BadInput(
        "Cutout-hwc-tensor",
        _cut(torch.ones(32, 32, 3)),
        ValueError,
        ["Cutout", "(32, 32, 3)", "HWC", "layout='HWC'", "permute(2, 0, 1)"],
    ),
    BadInput(
        "Cutout-chw-array",
        _cut(np.ones((3, 32, 32), np.float32)),
        ValueError,
        ["Cutout", "(3, 32, 32)", "CHW", "layout='CHW'", "transpose(1, 2, 0)"],
    ),
    BadInput(
        "Albumentations-chw-array",
        _alb(np.ones((3, 32, 32), np.float32)),
        ValueError,
        ["Albumentations", "(3, 32, 32)", "CHW", "layout='CHW'"],
    ),
    BadInput(
        "Cutout-tv-image-declared-hwc",
        lambda: Cutout(size=2, p=1.0, layout="HWC")(_tv_image(), rng=0),
        ValueError,
        ["Cutout", "layout='HWC'", "contradicts", "CHW"],
    ),
    # shapes and kinds
    BadInput("Cutout-batch", _cut(torch.zeros(2, 3, 8, 8)), ValueError, ["Cutout", "not a batch", "(2, 3, 8, 8)"]),
    BadInput("Cutout-1d", _cut(np.zeros(5)), ValueError, ["Cutout", "2-D (HW) or 3-D"]),
    BadInput("Cutout-none", _cut(None), TypeError, ["Cutout", "NoneType"]),
    BadInput("Cutout-zero-size", _cut(np.zeros((0, 8, 3), np.uint8)), ValueError, ["Cutout", "zero-size", "height 0"]),
    BadInput("Cutout-object-array", _cut(np.zeros((8, 8, 3), object)), TypeError, ["Cutout", "object", "dtype"]),
    BadInput(
        "Cutout-complex-tensor", _cut(torch.zeros(3, 8, 8, dtype=torch.complex64)), TypeError, ["Cutout", "complex"]
    ),
    BadInput(
        "Albumentations-empty-0x0",
        _alb(np.zeros((0, 0, 3), np.uint8)),
        ValueError,
        ["Albumentations", "zero-size", "(0, 0, 3)"],
    ),
    BadInput(
        "Albumentations-object-array", _alb(np.zeros((8, 8, 3), object)), TypeError, ["Albumentations", "dtype object"]
    ),
    BadInput("Albumentations-tensor", _alb(torch.zeros(3, 8, 8)), TypeError, ["Albumentations", "tensor", "before"]),
    BadInput(
        "Albumentations-batch", _alb(np.zeros((2, 8, 8, 3), np.uint8)), ValueError, ["Albumentations", "not a batch"]
    ),
    BadInput("Albumentations-none", _alb(None), TypeError, ["Albumentations", "NoneType"]),
    # fills
    BadInput(
        "Cutout-fill-out-of-range",
        _cut(np.zeros((16, 16, 3), np.uint8), fill=300),
        ValueError,
        ["Cutout", "fill=300", "uint8", "255"],
    ),
    BadInput(
        "Cutout-fill-fractional-int-image",
        _cut(np.zeros((16, 16, 3), np.uint8), fill=0.5),
        ValueError,
        ["Cutout", "integer", "uint8"],
    ),
    BadInput(
        "Cutout-fill-channels",
        _cut(np.zeros((16, 16, 3), np.uint8), fill=(1, 2)),
        ValueError,
        ["Cutout", "2 values", "3 channel"],
    ),
    BadInput("Cutout-fill-2d-array", lambda: Cutout(fill=np.zeros((2, 3))), ValueError, ["Cutout", "0-d or 1-d"]),
    BadInput(
        "Cutout-fill-nan-tensor",
        lambda: Cutout(fill=torch.tensor([0.0, float("nan")])),
        ValueError,
        ["Cutout", "finite"],
    ),
    BadInput(
        "cutout-fill-string",
        lambda: cutout(np.zeros((4, 4, 3)), [(0, 1, 0, 1)], "black"),
        TypeError,
        ["cutout", "fill", "black"],
    ),
    # arguments
    BadInput("Cutout-size-zero", lambda: Cutout(size=0), ValueError, ["size", "0"]),
    BadInput("Cutout-num-holes-order", lambda: Cutout(num_holes=(3, 1)), ValueError, ["num_holes", "(3, 1)"]),
    BadInput("Cutout-layout", lambda: Cutout(layout="NHWC"), ValueError, ["layout", "NHWC", "CHW", "HWC"]),
    BadInput("Albumentations-layout", lambda: _flip(layout="chw"), ValueError, ["layout", "chw"]),
    BadInput("Albumentations-pipeline", lambda: Albumentations(3), TypeError, ["pipeline", "Compose"]),
]


def _tv_image():
    from torchvision import tv_tensors

    return tv_tensors.Image(torch.zeros(3, 8, 8))
