"""loaders.image.functional: cutout in every layout, fill values of every kind."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from loaders.image import Cutout
from loaders.image.functional import as_fill, cutout, hole_boxes, image_size

BOXES = [(2, 9, 3, 12), (10, 14, 0, 4)]


def _img(seed=0, shape=(16, 20, 3)):
    return np.random.default_rng(seed).integers(1, 255, shape, dtype=np.uint8)


@pytest.mark.parametrize("fill", [0, (10, 20, 30)])
def test_every_layout_cuts_the_same_pixels(fill):
    """Reference: the HWC numpy result, permuted to each layout."""
    hwc = _img()
    ref = cutout(hwc, BOXES, fill)
    chw_t = torch.from_numpy(hwc).permute(2, 0, 1).contiguous()
    np.testing.assert_array_equal(cutout(chw_t, BOXES, fill).permute(1, 2, 0).numpy(), ref)
    hwc_t = torch.from_numpy(hwc.copy())
    np.testing.assert_array_equal(cutout(hwc_t, BOXES, fill, layout="HWC").numpy(), ref)
    chw_a = np.ascontiguousarray(hwc.transpose(2, 0, 1))
    np.testing.assert_array_equal(cutout(chw_a, BOXES, fill, layout="CHW").transpose(1, 2, 0), ref)
    np.testing.assert_array_equal(np.asarray(cutout(Image.fromarray(hwc), BOXES, fill)), ref)
    # the torch slow path (requires_grad, non-numpy dtype) agrees too
    slow = cutout(hwc_t.float().requires_grad_(), BOXES, fill, layout="HWC").detach()
    np.testing.assert_array_equal(slow.numpy().astype(np.uint8), ref)


def test_cutout_transform_reads_declared_layouts():
    hwc = _img(1, (32, 32, 3))
    t = Cutout(size=8, fill=0, p=1.0)
    ref = t(hwc, rng=5)
    out = Cutout(size=8, fill=0, p=1.0, layout="HWC")(torch.from_numpy(hwc), rng=5)
    np.testing.assert_array_equal(out.numpy(), ref)
    out = Cutout(size=8, fill=0, p=1.0, layout="CHW")(np.ascontiguousarray(hwc.transpose(2, 0, 1)), rng=5)
    np.testing.assert_array_equal(out.transpose(1, 2, 0), ref)


def test_cutout_refuses_contradicting_shapes():
    with pytest.raises(ValueError, match=r"Cutout: a tensor of shape \(32, 32, 3\) looks like HWC.*layout='HWC'"):
        Cutout(size=8, p=1.0)(torch.ones(32, 32, 3), rng=0)
    with pytest.raises(ValueError, match=r"Cutout: an array of shape \(3, 32, 32\) looks like CHW.*layout='CHW'"):
        Cutout(size=8, p=1.0)(np.ones((3, 32, 32), np.float32), rng=0)
    # unambiguous inputs keep working
    assert Cutout(size=2, p=1.0)(torch.ones(3, 4, 4), rng=0).shape == (3, 4, 4)


@pytest.mark.parametrize(
    "fill",
    [np.array([10, 20, 30], dtype=np.uint8), torch.tensor([10, 20, 30]), np.array([10.0, 20.0, 30.0]), [10, 20, 30]],
    ids=["numpy-u8", "tensor-int", "numpy-float", "list"],
)
def test_per_channel_fill_as_arrays_and_tensors(fill):
    t = Cutout(size=1.0, fill=fill, p=1.0)
    assert isinstance(t.fill, tuple) and t.fill == (10, 20, 30)
    out = t(np.zeros((5, 5, 3), np.uint8), rng=0)
    assert out[2, 2].tolist() == [10, 20, 30]
    assert "fill=(10" in repr(t)


@pytest.mark.parametrize(
    ("fill", "exc", "words"),
    [
        (np.zeros((2, 3)), ValueError, ["0-d or 1-d", "(2, 3)"]),
        (np.array([], dtype=np.float32), ValueError, ["empty"]),
        (torch.tensor([1.0, float("nan")]), ValueError, ["finite"]),
        (np.array(["a"]), TypeError, ["real numbers"]),
        (torch.tensor([True]), TypeError, ["real numbers"]),
    ],
)
def test_bad_array_fills(fill, exc, words):
    with pytest.raises(exc) as e:
        Cutout(fill=fill)
    assert str(e.value).startswith("Cutout:")
    for w in words:
        assert w in str(e.value)


def test_as_fill_keeps_ints_and_scalars():
    assert as_fill(np.int64(3)) == 3 and isinstance(as_fill(np.int64(3)), int)
    assert as_fill(torch.tensor(0.25)) == 0.25
    assert as_fill((1, 2.5)) == (1, 2.5)


def test_num_holes_range_from_zero_leaves_some_images_untouched():
    """Documented: with (0, k), about 1 / (k + 1) of the applied images get no hole."""
    img = np.full((8, 8, 3), 200, np.uint8)
    t = Cutout(num_holes=(0, 1), size=4, fill=0, p=1.0)
    untouched = sum(bool((t(img, rng=k) == img).all()) for k in range(400))
    assert 150 < untouched < 250  # binomial(400, 1/2): 4.5 standard deviations either side


@pytest.mark.parametrize("shape", [(0, 5, 3), (5, 0), (0, 0, 3)])
def test_zero_size_images_raise(shape):
    with pytest.raises(ValueError, match="zero-size side"):
        Cutout(size=2, p=1.0)(np.zeros(shape, np.uint8), rng=0)


def test_object_arrays_raise():
    with pytest.raises(TypeError, match="object"):
        Cutout(size=2, p=1.0)(np.zeros((4, 4, 3), object), rng=0)


def test_negative_stride_arrays_work():
    img = _img(2, (8, 8, 3))
    flipped = img[:, ::-1]
    np.testing.assert_array_equal(cutout(flipped, BOXES[:1], 0), cutout(flipped.copy(), BOXES[:1], 0))


def test_image_size_with_layout():
    assert image_size(np.zeros((3, 5, 7)), "CHW") == (5, 7, 3)
    assert image_size(torch.zeros(5, 7, 3), "HWC") == (5, 7, 3)


def test_instances_pickled_without_a_layout_attribute_load_with_the_default():
    import pickle

    t = Cutout(size=4, fill=0, p=1.0)
    del t.__dict__["layout"]  # as pickled before layout= existed
    clone = pickle.loads(pickle.dumps(t))
    img = _img(5)
    np.testing.assert_array_equal(clone(img, rng=2), Cutout(size=4, fill=0, p=1.0)(img, rng=2))


def test_tv_tensor_image_is_read_as_chw_and_keeps_its_type():
    from torchvision import tv_tensors

    chw = torch.from_numpy(_img(4, (16, 16, 3))).permute(2, 0, 1).contiguous()
    out = Cutout(size=4, fill=0, p=1.0)(tv_tensors.Image(chw), rng=1)
    assert isinstance(out, tv_tensors.Image)
    ref = Cutout(size=4, fill=0, p=1.0)(chw, rng=1)
    assert torch.equal(out.as_subclass(torch.Tensor), ref)


@pytest.mark.parametrize("unit,size", [("px", 1), ("px", 4), ("px", 9), ("frac", 0.5), ("frac", 1.0), ("frac", 0.13)])
@pytest.mark.parametrize("height,width", [(8, 8), (7, 13), (1, 5)])
def test_hole_boxes_batch_equals_hole_boxes(unit, size, height, width):
    from loaders.image.functional import hole_boxes_batch

    u = np.random.default_rng(height * width).random((300, 2))
    u[:4] = [[0.0, 0.0], [0.9999999, 0.9999999], [0.5, 0.0], [1 - 2**-53, 0.25]]
    y0, y1, x0, x1 = hole_boxes_batch(u[:, 0], u[:, 1], size, unit, height, width)
    for i, (cy, cx) in enumerate(u.tolist()):
        want = hole_boxes([(cy, cx, size, size)], unit, height, width)
        got = (int(y0[i]), int(y1[i]), int(x0[i]), int(x1[i]))
        assert (want == [got]) if want else (got[1] <= got[0] or got[3] <= got[2])
