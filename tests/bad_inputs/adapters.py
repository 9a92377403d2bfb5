"""Bad inputs for Seeded and the adapters: each raises with the argument, the value and what is allowed."""

from __future__ import annotations

import numpy as np
import torch

from loaders import Seeded
from tests.bad_inputs import BadInput


def _tv(*args, **kwargs):
    from loaders.image import TorchVision

    return TorchVision(*args, **kwargs)


def _v2():
    from torchvision.transforms import v2

    return v2


def _boxes_sample(with_mask=False):
    from torchvision import tv_tensors

    img = tv_tensors.Image(torch.zeros(3, 16, 16, dtype=torch.uint8))
    if with_mask:
        return img, tv_tensors.Mask(torch.zeros(16, 16, dtype=torch.uint8))
    return img, tv_tensors.BoundingBoxes([[1, 1, 8, 8]], format="XYXY", canvas_size=(16, 16))


def _v1_flip():
    from torchvision import transforms as v1

    return v1.RandomHorizontalFlip()


def _ta(*args, **kwargs):
    from loaders.audio import TorchAudio

    return TorchAudio(*args, **kwargs)


def _time_masking():
    import torchaudio

    return torchaudio.transforms.TimeMasking(4)


def _am(*args, **kwargs):
    from loaders.audio import Audiomentations

    return Audiomentations(*args, **kwargs)


def _am_gain():
    import audiomentations as AM

    return AM.Gain(p=1.0)


def _nlp(*args, **kwargs):
    from loaders.text import NLPAug

    return NLPAug(*args, **kwargs)


def _noise_aug():
    import nlpaug.augmenter.audio as naa

    return naa.NoiseAug()


def _ocr():
    import nlpaug.augmenter.char as nac

    return nac.OcrAug()


def _flow_with_noise():
    import nlpaug.flow as naf

    return naf.Sequential([_ocr(), _noise_aug()])


ROWS = [
    # Seeded
    BadInput("seeded-fn-not-callable", lambda: Seeded(3), TypeError, ["Seeded", "fn", "callable", "3"]),
    BadInput("seeded-rngs-str", lambda: Seeded(abs, rngs="torch"), TypeError, ["rngs", "'torch'", "('torch',)"]),
    BadInput("seeded-rngs-empty", lambda: Seeded(abs, rngs=()), ValueError, ["rngs", "at least one", "numpy"]),
    BadInput(
        "seeded-rngs-unknown",
        lambda: Seeded(abs, rngs=("cuda",)),
        ValueError,
        ["rngs", "'cuda'", "random", "numpy", "torch"],
    ),
    BadInput("seeded-rngs-twice", lambda: Seeded(abs, rngs=("numpy", "numpy")), ValueError, ["rngs", "twice"]),
    BadInput("seeded-p", lambda: Seeded(abs, p=1.5), ValueError, ["Seeded", "p", "1.5", "[0.0, 1.0]"]),
    # TorchVision
    BadInput("torchvision-v1", lambda: _tv(_v1_flip()), TypeError, ["TorchVision", "v2", "RandomHorizontalFlip"]),
    BadInput("torchvision-callable", lambda: _tv(abs), TypeError, ["transform", "v2", "Seeded"]),
    BadInput(
        "torchvision-keys-str",
        lambda: _tv(_v2().RandomHorizontalFlip(), keys="image"),
        TypeError,
        ["keys", "'image'", "('image',)"],
    ),
    BadInput(
        "torchvision-keys-empty", lambda: _tv(_v2().RandomHorizontalFlip(), keys=()), ValueError, ["keys", "at least"]
    ),
    BadInput(
        "torchvision-keys-twice",
        lambda: _tv(_v2().RandomHorizontalFlip(), keys=("image", "image")),
        ValueError,
        ["keys", "twice"],
    ),
    BadInput(
        "torchvision-keys-on-bare-image",
        lambda: _tv(_v2().RandomHorizontalFlip(), keys=(0,))(torch.zeros(3, 4, 4), rng=0),
        TypeError,
        ["keys=(0,)", "tuple, list or dict", "Tensor"],
    ),
    BadInput(
        "torchvision-keys-missing",
        lambda: _tv(_v2().RandomHorizontalFlip(), keys=("image", "boxes"))({"image": torch.zeros(3, 4, 4)}, rng=0),
        KeyError,
        ["keys=('image', 'boxes')", "keys ['image']"],
    ),
    BadInput(
        "torchvision-randaugment-boxes",
        lambda: _tv(_v2().RandAugment())(_boxes_sample(), rng=0),
        TypeError,
        ["RandAugment", "BoundingBoxes", "not supported", "images only"],
    ),
    BadInput(
        "torchvision-trivialaugment-mask",
        lambda: _tv(_v2().TrivialAugmentWide())(_boxes_sample(with_mask=True), rng=0),
        TypeError,
        ["TrivialAugmentWide", "Mask", "not supported"],
    ),
    BadInput("torchvision-p", lambda: _tv(_v2().RandomHorizontalFlip(), p=2), ValueError, ["TorchVision", "p", "2"]),
    # TorchAudio
    BadInput("torchaudio-not-module", lambda: _ta(abs), TypeError, ["TorchAudio", "transform", "torch.nn.Module"]),
    BadInput("torchaudio-audio-type", lambda: _ta(_time_masking())("wave", rng=0), TypeError, ["audio", "str"]),
    # Audiomentations
    BadInput(
        "audiomentations-not-transform",
        lambda: _am(_time_masking(), sample_rate=16000),
        TypeError,
        ["Audiomentations", "transform", "audiomentations", "TimeMasking"],
    ),
    BadInput(
        "audiomentations-sample-rate-zero",
        lambda: _am(_am_gain(), sample_rate=0),
        ValueError,
        ["sample_rate", "0", "[1, inf]"],
    ),
    BadInput(
        "audiomentations-sample-rate-float",
        lambda: _am(_am_gain(), sample_rate=16000.0),
        TypeError,
        ["sample_rate", "int", "16000.0"],
    ),
    BadInput(
        "audiomentations-int16",
        lambda: _am(_am_gain(), sample_rate=8000)(np.zeros(8, dtype=np.int16), rng=0),
        TypeError,
        ["int16", "float", "32768"],
    ),
    BadInput(
        "audiomentations-3d",
        lambda: _am(_am_gain(), sample_rate=8000)(np.zeros((1, 2, 8), dtype=np.float32), rng=0),
        ValueError,
        ["(channels, time)", "(1, 2, 8)"],
    ),
    BadInput(
        "audiomentations-gpu-or-grad",
        lambda: _am(_am_gain(), sample_rate=8000)(torch.zeros(8, requires_grad=True), rng=0),
        ValueError,
        ["CPU", "grad"],
    ),
    # NLPAug
    BadInput(
        "nlpaug-needs-data-or-not-text",
        lambda: _nlp(_noise_aug()),
        TypeError,
        ["NLPAug", "augmenter", "NoiseAug", "no downloaded data", "KeyboardAug"],
    ),
    BadInput("nlpaug-flow-holds-unsupported", lambda: _nlp(_flow_with_noise()), TypeError, ["holds NoiseAug"]),
    BadInput(
        "nlpaug-text-not-str", lambda: _nlp(_ocr())(["text"], rng=0), TypeError, ["NLPAug", "text", "str", "list"]
    ),
]
