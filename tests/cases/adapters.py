"""Harness rows for Seeded and the adapters built on it (TorchVision, TorchAudio, Audiomentations, NLPAug)."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch

from loaders import Seeded
from loaders.audio import Audiomentations, TorchAudio
from loaders.image import TorchVision
from loaders.text import NLPAug
from tests.cases import Case


def jitter(x: np.ndarray) -> np.ndarray:
    """Adds one draw from each global generator (module level: pickles)."""
    return x + (random.random() + np.random.random() + float(torch.rand(())))


def py_np_jitter(x: np.ndarray) -> np.ndarray:
    return x * (1 + random.random()) + np.random.standard_normal(x.shape)


def torch_noise(x: torch.Tensor) -> torch.Tensor:
    return x + torch.randn(x.shape, dtype=x.dtype)


def _seeded_examples() -> list[Any]:
    x = np.arange(6, dtype=np.float64).reshape(2, 3)
    return [
        (Seeded(jitter), x),
        (Seeded(py_np_jitter, rngs=("numpy", "random"), p=0.7), x),
        (Seeded(torch_noise, rngs=("torch",)), torch.zeros(2, 5)),
    ]


def _seeded_bad_args() -> list[dict[str, Any]]:
    return [
        {"fn": 3},
        {"fn": jitter, "rngs": "torch"},
        {"fn": jitter, "rngs": ()},
        {"fn": jitter, "rngs": ("cuda",)},
        {"fn": jitter, "rngs": ("torch", "torch")},
        {"fn": jitter, "p": 1.5},
    ]


def _torchvision_examples() -> list[Any]:
    from PIL import Image
    from torchvision import tv_tensors
    from torchvision.transforms import v2

    g = torch.Generator().manual_seed(0)
    u8 = torch.randint(0, 256, (3, 16, 20), dtype=torch.uint8, generator=g)
    boxes = tv_tensors.BoundingBoxes([[2, 3, 12, 14]], format="XYXY", canvas_size=(16, 20))
    mask = tv_tensors.Mask(torch.zeros(16, 20, dtype=torch.uint8))
    geometry = v2.Compose([v2.RandomResizedCrop(12, antialias=True), v2.RandomHorizontalFlip(), v2.RandomAffine(10)])
    return [
        (TorchVision(v2.Compose([v2.RandomHorizontalFlip(), v2.RandomCrop(12)])), u8),
        (TorchVision(v2.RandAugment(), p=0.8), u8),
        (TorchVision(v2.ColorJitter(0.4, 0.4, 0.4)), u8.float() / 255),
        (TorchVision(v2.RandomRotation(15)), Image.fromarray(u8.permute(1, 2, 0).numpy())),
        (TorchVision(geometry), {"image": tv_tensors.Image(u8), "boxes": boxes, "mask": mask, "label": 4}),
        (TorchVision(geometry, keys=(0, 1, 2)), (tv_tensors.Image(u8), boxes, mask, torch.tensor(3))),
    ]


def _torchvision_bad_args() -> list[dict[str, Any]]:
    from torchvision import transforms as v1
    from torchvision.transforms import v2

    return [
        {"transform": v1.RandomHorizontalFlip()},
        {"transform": lambda x: x},
        {"transform": v2.RandomHorizontalFlip(), "keys": "image"},
        {"transform": v2.RandomHorizontalFlip(), "keys": ()},
        {"transform": v2.RandomHorizontalFlip(), "keys": ("image", "image")},
        {"transform": v2.RandomHorizontalFlip(), "keys": (1.5,)},
        {"transform": v2.RandomHorizontalFlip(), "p": -0.1},
    ]


def _torchaudio_examples() -> list[Any]:
    import torchaudio

    wave = torch.sin(torch.linspace(0, 300, 1200)).unsqueeze(0)
    spec = torch.rand(1, 20, 30, generator=torch.Generator().manual_seed(1))
    masks = torch.nn.Sequential(torchaudio.transforms.FrequencyMasking(6), torchaudio.transforms.TimeMasking(6))
    return [
        (TorchAudio(torchaudio.transforms.SpeedPerturbation(8000, [0.9, 1.0, 1.1])), wave),
        (TorchAudio(masks, p=0.7), spec),
        (TorchAudio(torchaudio.transforms.TimeMasking(8, p=0.5)), spec.numpy()),
    ]


def _torchaudio_bad_args() -> list[dict[str, Any]]:
    return [{"transform": lambda x: x}, {"transform": "FrequencyMasking"}, {"transform": torch.nn.Identity(), "p": 2}]


def _audiomentations_examples() -> list[Any]:
    import audiomentations as AM

    rng = np.random.default_rng(0)
    mono = (0.1 * rng.standard_normal(1600)).astype(np.float32)
    stereo = (0.1 * rng.standard_normal((2, 1600))).astype(np.float32)
    pipe = AM.Compose([AM.AddGaussianNoise(p=0.8), AM.Shift(p=0.5), AM.Gain(p=0.5)], shuffle=True)
    return [
        (Audiomentations(pipe, sample_rate=8000), mono),
        (Audiomentations(AM.OneOf([AM.PolarityInversion(), AM.Gain()]), sample_rate=8000, p=0.7), stereo),
        (Audiomentations(AM.AddGaussianSNR(p=1.0), sample_rate=8000), mono.astype(np.float64)),
        (Audiomentations(AM.Gain(p=1.0), sample_rate=8000), torch.from_numpy(stereo)),
    ]


def _audiomentations_bad_args() -> list[dict[str, Any]]:
    import audiomentations as AM

    return [
        {"transform": lambda samples, sample_rate: samples, "sample_rate": 16000},
        {"transform": AM.Gain(), "sample_rate": 0},
        {"transform": AM.Gain(), "sample_rate": 16000.0},
        {"transform": AM.Gain(), "sample_rate": 16000, "p": 1.1},
    ]


def _nlpaug_examples() -> list[Any]:
    import nlpaug.augmenter.char as nac
    import nlpaug.augmenter.word as naw
    import nlpaug.flow as naf

    text = "the quick brown fox jumps over the lazy dog"
    return [
        (NLPAug(nac.KeyboardAug()), text),
        (NLPAug(naw.RandomWordAug(action="swap"), p=0.6), text),
        (NLPAug(naf.Sequential([nac.OcrAug(), naw.SplitAug()])), text),
    ]


def _nlpaug_bad_args() -> list[dict[str, Any]]:
    import nlpaug.augmenter.audio as naa

    return [{"augmenter": naa.NoiseAug()}, {"augmenter": str.upper}, {"augmenter": None}]


CASES = {
    Seeded: Case(_seeded_examples, _seeded_bad_args),
    TorchVision: Case(_torchvision_examples, _torchvision_bad_args),
    TorchAudio: Case(_torchaudio_examples, _torchaudio_bad_args),
    Audiomentations: Case(_audiomentations_examples, _audiomentations_bad_args),
    NLPAug: Case(_nlpaug_examples, _nlpaug_bad_args),
}
