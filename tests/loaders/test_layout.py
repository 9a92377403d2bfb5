"""The layout rule of `loaders.layout`: declared layouts are trusted, defaults are checked against the shape."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import tv_tensors

from loaders.layout import check_layout, check_waveform_shape, image_dims, image_layout, spatial_axes


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (torch.zeros(3, 4, 4), "CHW"),  # unambiguous today: keeps working
        (torch.zeros(3, 32, 32), "CHW"),
        (torch.zeros(1, 28, 28), "CHW"),
        (torch.zeros(16, 8, 8), "CHW"),  # feature maps: no channel-like last axis
        (torch.zeros(3, 32, 3), "CHW"),  # first axis a channel count: CHW
        (torch.zeros(5, 5), "HW"),
        (np.zeros((32, 32, 3)), "HWC"),
        (np.zeros((4, 4, 3)), "HWC"),
        (np.zeros((3, 4, 4)), "HWC"),  # small: no contradiction can be seen
        (np.zeros((32, 32)), "HW"),
        (Image.new("RGB", (8, 6)), "HWC"),
        (tv_tensors.Image(torch.zeros(32, 32, 3)), "CHW"),  # the type declares CHW
    ],
)
def test_inferred_layouts(x, expected):
    assert image_layout(x) == expected


@pytest.mark.parametrize(
    ("x", "words"),
    [
        (torch.ones(32, 32, 3), ["(32, 32, 3)", "HWC", "layout='HWC'", "permute(2, 0, 1)"]),
        (torch.ones(64, 48, 1), ["HWC", "layout='HWC'"]),
        (torch.ones(10, 12, 4), ["HWC"]),
        (np.ones((3, 32, 32), np.float32), ["(3, 32, 32)", "CHW", "layout='CHW'", "transpose(1, 2, 0)"]),
        (np.ones((1, 28, 28)), ["CHW"]),
    ],
)
def test_contradicting_default_raises_with_the_fix(x, words):
    with pytest.raises(ValueError) as e:
        image_layout(x, owner="Cutout")
    msg = str(e.value)
    assert msg.startswith("Cutout:")
    for w in words:
        assert w in msg


def test_declared_layout_is_trusted():
    assert image_layout(torch.ones(32, 32, 3), "HWC") == "HWC"
    assert image_layout(np.ones((3, 32, 32)), "CHW") == "CHW"
    assert image_dims(torch.ones(32, 24, 3), "HWC") == (32, 24, 3)
    assert image_dims(np.ones((3, 32, 24)), "CHW") == (32, 24, 3)
    assert image_dims(np.ones((32, 24))) == (32, 24, 1)  # 2-D ignores the declared layout
    assert image_layout(np.ones((32, 24)), "CHW") == "HW"


def test_tv_tensor_contradicting_declared_layout_raises():
    with pytest.raises(ValueError, match="contradicts"):
        image_layout(tv_tensors.Image(torch.zeros(3, 8, 8)), "HWC")


def test_pil_dims():
    assert image_dims(Image.new("RGBA", (7, 5))) == (5, 7, 4)
    assert image_dims(Image.new("L", (7, 5))) == (5, 7, 1)


@pytest.mark.parametrize("x", [torch.zeros(2, 3, 8, 8), np.zeros(8), torch.zeros(())])
def test_not_one_image_raises(x):
    with pytest.raises(ValueError, match="2-D .HW. or 3-D"):
        image_layout(x)


def test_not_an_image_type_raises():
    with pytest.raises(TypeError, match="list"):
        image_layout([[0, 1], [1, 0]])


@pytest.mark.parametrize("bad", ["chw", "NCHW", 3, ("C", "H", "W")])
def test_check_layout_argument(bad):
    with pytest.raises(ValueError, match="layout must be None"):
        check_layout(bad, "Cutout")
    assert check_layout("CHW", "Cutout") == "CHW"


def test_spatial_axes():
    x = torch.arange(2 * 5 * 7).reshape(2, 5, 7)
    h, w, c = spatial_axes("CHW")
    assert (x.shape[h], x.shape[w], x.shape[c]) == (5, 7, 2)
    with pytest.raises(ValueError):
        spatial_axes("WHC")


def test_waveform_shape_rule():
    check_waveform_shape((16000,))
    check_waveform_shape((2, 16000))
    check_waveform_shape((3, 3))
    with pytest.raises(ValueError, match=r"\(time, channels\)\? Transpose it to \(channels, time\)"):
        check_waveform_shape((16000, 2), owner="TimeShift")
