"""Harness rows for the image transforms: [Cutout][loaders.image.Cutout] and Albumentations."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from PIL import Image

from loaders.image import Albumentations, Cutout
from tests.cases import Case


def _cutout_examples() -> list[Any]:
    rng = np.random.default_rng(0)
    u8 = rng.integers(0, 256, size=(12, 20, 3), dtype=np.uint8)
    return [
        (Cutout(size=0.5, p=1.0), u8),
        (Cutout(num_holes=(1, 3), size=(2, 6), fill=(255, 0, 128), p=0.8), u8),
        (Cutout(size=(0.2, 0.6), fill=0.5, p=1.0), rng.random((9, 13), dtype=np.float32)),
        (Cutout(num_holes=2, size=0.4, fill=-1.0, p=1.0), torch.from_numpy(rng.random((3, 10, 14)))),
        (Cutout(size=5, fill=7, p=1.0), torch.from_numpy(rng.integers(0, 256, (1, 11, 9), dtype=np.uint8))),
        (Cutout(size=0.5, fill=(10, 20, 30), p=1.0), Image.fromarray(u8)),
    ]


def _cutout_bad_args() -> list[dict[str, Any]]:
    return [
        {"size": 0},
        {"size": 1.5},
        {"size": 0.0},
        {"size": (8, 4)},
        {"size": (4, 0.5)},
        {"size": "big"},
        {"size": (1, 2, 3)},
        {"num_holes": 0},
        {"num_holes": 1.5},
        {"num_holes": (3, 1)},
        {"fill": "black"},
        {"fill": []},
        {"fill": float("nan")},
        {"p": 1.5},
        {"p": -0.1},
    ]


def _albumentations_examples() -> list[Any]:
    import albumentations as A

    rng = np.random.default_rng(0)
    u8 = rng.integers(0, 256, size=(16, 24, 3), dtype=np.uint8)
    pipe = A.Compose(
        [
            A.HorizontalFlip(p=0.5),
            A.CoarseDropout(
                num_holes_range=(1, 2), hole_height_range=(0.2, 0.4), hole_width_range=(0.2, 0.4), fill=0, p=0.7
            ),
        ]
    )
    gray = rng.random((10, 12), dtype=np.float32)
    return [
        (Albumentations(pipe), u8),
        (Albumentations(A.Compose([A.RandomBrightnessContrast(p=1.0), A.VerticalFlip(p=0.5)]), p=0.8), gray),
    ]


def _albumentations_bad_args() -> list[dict[str, Any]]:
    import albumentations as A

    return [
        {"pipeline": 3},
        {"pipeline": [A.HorizontalFlip()]},
        {"pipeline": A.Compose([]), "to_tensor": "yes"},
        {"pipeline": A.Compose([]), "p": 2.0},
    ]


CASES = {
    Cutout: Case(examples=_cutout_examples, bad_args=_cutout_bad_args),
    Albumentations: Case(examples=_albumentations_examples, bad_args=_albumentations_bad_args),
}
