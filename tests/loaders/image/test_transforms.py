"""Tests for loaders.image.transforms (Cutout) and loaders.image.functional (its core).

References used (independent of the code under test):
* the Cutout paper's own numpy implementation (DeVries & Taylor 2017, mask-and-multiply);
* albumentations 2.x ``CoarseDropout`` for the fill (same holes, read from its applied params);
* the exact expected covered area of a border-clipped hole, summed over all centre positions,
  and the continuous formula ``L - L**2 / (4 S)``;
"""

from __future__ import annotations

import json
import pickle
import warnings

import albumentations as A
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from loaders.image import Cutout, cutout, hole_boxes, image_size


def _rng(k):
    return np.random.default_rng(k)


def paper_cutout(img_chw: np.ndarray, y: int, x: int, length: int) -> np.ndarray:
    """The Cutout paper's reference code (github.com/uoguelph-mlrg/Cutout), with a given centre."""
    h, w = img_chw.shape[1:]
    mask = np.ones((h, w), np.float32)
    y1, y2 = np.clip(y - length // 2, 0, h), np.clip(y + length // 2, 0, h)
    x1, x2 = np.clip(x - length // 2, 0, w), np.clip(x + length // 2, 0, w)
    mask[y1:y2, x1:x2] = 0.0
    return img_chw * mask[None]


# ---------------------------------------------------------------------------
# geometry against references
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("length", [2, 4, 6])
def test_matches_paper_reference_for_every_centre(length):
    h, w = 7, 11  # non-square, odd sides
    img = _rng(0).random((3, h, w)).astype(np.float32) + 1.0
    t = torch.from_numpy(img)
    for y in range(h):
        for x in range(w):
            params = {"apply": True, "unit": "px", "holes": [[(y + 0.5) / h, (x + 0.5) / w, length, length]]}
            ours = Cutout(size=length, fill=0.0, p=1.0).apply(t, params).numpy()
            np.testing.assert_array_equal(ours, paper_cutout(img, y, x, length))


def test_odd_sizes_are_exact_unlike_the_paper_code():
    """The paper's code cuts L-1 rows for odd L (y - L//2 to y + L//2); ours cuts exactly L, same start."""
    img = np.ones((3, 20, 20), np.float32)
    params = {"apply": True, "unit": "px", "holes": [[10.5 / 20, 10.5 / 20, 5, 5]]}
    ours = Cutout(size=5, p=1.0).apply(torch.from_numpy(img), params).numpy()
    paper = paper_cutout(img, 10, 10, 5)
    assert int((ours[0] == 0).sum()) == 25 and int((paper[0] == 0).sum()) == 16
    assert ((paper == 0) <= (ours == 0)).all()  # the paper's box is inside ours, sharing the top-left corner


@settings(max_examples=60, deadline=None)
@given(
    h=st.integers(1, 40),
    w=st.integers(1, 40),
    seed=st.integers(0, 2**32 - 1),
    size=st.one_of(st.integers(1, 50), st.floats(0.01, 1.0)),
    n=st.integers(1, 4),
)
def test_property_only_clipped_boxes_change_and_they_hold_the_fill(h, w, seed, size, n):
    x = np.full((h, w, 2), 7, np.int16)
    t = Cutout(num_holes=n, size=size, fill=(-3, 5), p=1.0)
    params = t.sample(_rng(seed))
    out = t.apply(x, params)
    expect = x.copy()
    for y0, y1, x0, x1 in hole_boxes(params["holes"], params["unit"], h, w):
        assert 0 <= y0 < y1 <= h and 0 <= x0 < x1 <= w
        expect[y0:y1, x0:x1] = (-3, 5)
    np.testing.assert_array_equal(out, expect)
    assert (out != 7).any() and (x == 7).all()


def test_fill_matches_albumentations_coarse_dropout_on_its_own_holes():
    img = _rng(1).integers(0, 256, (10, 16, 3), dtype=np.uint8)
    peer = A.Compose(
        [
            A.CoarseDropout(
                num_holes_range=(3, 3), hole_height_range=(3, 3), hole_width_range=(5, 5), fill=(10, 20, 30), p=1.0
            )
        ],
        save_applied_params=True,
        seed=1,
    )
    for seed in range(5):
        peer.set_random_seed(seed)
        out = peer(image=img)
        holes = out["applied_transforms"][0][1]["holes"]  # rows of (x1, y1, x2, y2)
        boxes = [(int(y1), int(y2), int(x1), int(x2)) for x1, y1, x2, y2 in holes]
        np.testing.assert_array_equal(cutout(img, boxes, (10, 20, 30)), out["image"])


def test_fraction_size_is_fraction_of_each_side_on_non_square_images():
    img = np.ones((10, 30), np.float32)
    params = {"apply": True, "unit": "frac", "holes": [[0.5, 0.5, 0.5, 0.5]]}
    out = Cutout(size=0.5, p=1.0).apply(img, params)
    rows, cols = np.nonzero(out == 0)
    assert (rows.min(), rows.max() + 1, cols.min(), cols.max() + 1) == (3, 8, 8, 23)  # 5 x 15: half of each side
    # a tall image: the hole is tall too
    quarter = {"apply": True, "unit": "frac", "holes": [[0.5, 0.5, 0.25, 0.25]]}
    out = Cutout(size=0.25, p=1.0).apply(torch.ones(2, 40, 8), quarter)
    assert int((out[0] == 0).sum()) == 10 * 2
    # float 1.0 is a hole as large as the image (clipped like any other), int 1 is one pixel
    assert hole_boxes([[0.5, 0.5, 1.0, 1.0]], "frac", 6, 9) == [(0, 6, 0, 9)]
    assert hole_boxes([[0.3, 0.9, 1.0, 1.0]], "frac", 6, 9) == [(0, 4, 4, 9)]
    assert hole_boxes([[0.3, 0.9, 1, 1]], "px", 6, 9) == [(1, 2, 8, 9)]


def test_fraction_sizes_drawn_inside_the_range_and_scale_with_the_image():
    t = Cutout(size=(0.2, 0.4), p=1.0)
    fr = [t.sample(_rng(k))["holes"][0][2] for k in range(300)]
    assert 0.2 <= min(fr) and max(fr) <= 0.4 and max(fr) - min(fr) > 0.15
    params = t.sample(_rng(3))
    f = params["holes"][0][2]
    for h, w in [(20, 60), (64, 16)]:
        ((y0, y1, x0, x1),) = hole_boxes([[0.5, 0.5, f, f]], "frac", h, w)
        assert (y1 - y0, x1 - x0) == (max(1, int(np.floor(f * h + 0.5))), max(1, int(np.floor(f * w + 0.5))))


def _expected_covered(side: int, length: int) -> float:
    """Exact E[covered rows] for a centre uniform over the side's pixels (hole clipped at both ends)."""
    total = 0
    for c in range(side):
        lo, hi = c - length // 2, c - length // 2 + length
        total += max(0, min(hi, side) - max(lo, 0))
    return total / side


@pytest.mark.parametrize("h,w,length", [(16, 24, 8), (12, 12, 10)])
def test_border_clipping_statistics_match_the_analytic_expectation(h, w, length):
    t = Cutout(size=length, p=1.0, fill=0)
    img = np.ones((h, w), np.uint8)
    n = 3000
    covered = np.array([(t(img, rng=_rng(k)) == 0).sum() for k in range(n)], dtype=np.float64)
    expected = _expected_covered(h, length) * _expected_covered(w, length)
    # the continuous-centre formula L - L^2/(4S) agrees with the discrete sum to within a pixel
    assert abs(_expected_covered(h, length) - (length - length**2 / (4 * h))) < 1.0
    sem = covered.std() / np.sqrt(n)
    assert abs(covered.mean() - expected) < 4 * sem + 1e-9, (covered.mean(), expected, sem)
    # clipping happens (holes are not kept inside as CoarseDropout does)
    assert (covered < length * length).mean() > 0.3
    assert covered.max() == length * length


def test_centres_are_uniform_over_the_image():
    t = Cutout(size=2, p=1.0)
    c = np.array([t.sample(_rng(k))["holes"][0][:2] for k in range(4000)])
    assert 0.0 <= c.min() and c.max() < 1.0
    counts, _ = np.histogram(c[:, 0], bins=10, range=(0, 1))
    chi2 = ((counts - 400) ** 2 / 400).sum()
    assert chi2 < 27.9  # chi-square, 9 dof, p = 0.001


def test_num_holes_range_and_overlap():
    t = Cutout(num_holes=(0, 3), size=3, p=1.0)
    counts = [len(t.sample(_rng(k))["holes"]) for k in range(400)]
    assert set(counts) == {0, 1, 2, 3}
    img = np.ones((10, 10), np.float32)
    out = t.apply(img, {"apply": True, "unit": "px", "holes": []})
    assert out is img  # nothing to cut: the input is returned as is (never mutated)
    two = Cutout(num_holes=2, size=4, p=1.0).apply(
        img, {"apply": True, "unit": "px", "holes": [[0.5, 0.5, 4, 4], [0.65, 0.65, 4, 4]]}
    )
    assert int((two == 0).sum()) == 16 + 16 - 9  # overlapping holes share pixels


# ---------------------------------------------------------------------------
# input kinds, dtypes, fill
# ---------------------------------------------------------------------------
def _all_kinds(hwc_u8):
    chw = torch.from_numpy(hwc_u8).permute(2, 0, 1).contiguous()
    return {
        "np_u8_hwc": hwc_u8,
        "np_f32_hwc": hwc_u8.astype(np.float32) / 255,
        "np_i16_hw": hwc_u8[..., 0].astype(np.int16),
        "np_f64_hw": hwc_u8[..., 0].astype(np.float64),
        "t_u8_chw": chw,
        "t_f32_chw": chw.float() / 255,
        "t_f16_chw": chw.half(),
        "t_bf16_chw": chw.bfloat16(),
        "t_f32_hw": chw[0].float(),
        "pil_rgb": Image.fromarray(hwc_u8),
        "pil_l": Image.fromarray(hwc_u8[..., 0]),
    }


def _as_hw_mask(x, fill_value):
    """Boolean (H, W) of pixels equal to the fill in every channel."""
    if isinstance(x, Image.Image):
        x = np.array(x)
    if isinstance(x, torch.Tensor):
        x = x.float().numpy()
        return (x == fill_value).all(axis=0) if x.ndim == 3 else x == fill_value
    x = x.astype(np.float64)
    return (x == fill_value).all(axis=2) if x.ndim == 3 else x == fill_value


def test_every_input_kind_same_kind_out_and_same_holes():
    base = _rng(2).integers(1, 256, (9, 14, 3), dtype=np.uint8)  # no zeros: fill 0 marks the holes
    t = Cutout(num_holes=2, size=0.4, fill=0, p=1.0)
    params = t.sample(_rng(5))
    masks = {}
    for name, x in _all_kinds(base).items():
        before = pickle.dumps(x)
        out = t.apply(x, params)
        assert type(out) is type(x), name
        if isinstance(x, Image.Image):
            assert out.mode == x.mode and out.size == x.size
        else:
            assert out.dtype == x.dtype and tuple(out.shape) == tuple(x.shape), name
        assert pickle.dumps(x) == before, f"{name}: input mutated"
        masks[name] = _as_hw_mask(out, 0)
    ref = masks["np_u8_hwc"]
    assert 0 < ref.sum() < ref.size
    for name, m in masks.items():
        np.testing.assert_array_equal(m, ref, err_msg=name)


def test_only_the_boxes_change():
    x = torch.rand(3, 12, 12)
    out = cutout(x, [(2, 5, 3, 9)], fill=(1.0, 2.0, 3.0))
    changed = (out != x).any(dim=0)
    assert changed[2:5, 3:9].all() and int(changed.sum()) == 18
    assert out[:, 3, 4].tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize(
    "dtype,requires_grad",
    [
        (torch.bfloat16, False),
        (torch.float32, False),
        (torch.uint8, False),
        (torch.bfloat16, True),
        (torch.float32, True),
    ],
)
def test_tensor_fill_paths_agree(dtype, requires_grad):
    """The numpy-view fast path and the torch path (bfloat16, autograd) give the same pixels."""
    x = (torch.arange(3 * 7 * 9) % 200).to(dtype).view(3, 7, 9).requires_grad_(requires_grad)
    boxes = [(1, 4, 2, 8), (5, 7, 0, 3)]
    out = cutout(x, boxes, fill=(1, 2, 3))
    ref = (torch.arange(3 * 7 * 9) % 200).double().view(3, 7, 9)
    for y0, y1, x0, x1 in boxes:
        ref[:, y0:y1, x0:x1] = torch.tensor([1.0, 2.0, 3.0]).view(3, 1, 1)
    assert out.dtype == dtype and torch.equal(out.detach().double(), ref.to(dtype).double())
    assert out.requires_grad == requires_grad
    hw = cutout(x[0], boxes, fill=5)
    ref_hw = (torch.arange(7 * 9) % 200).double().view(7, 9)
    for y0, y1, x0, x1 in boxes:
        ref_hw[y0:y1, x0:x1] = 5
    assert torch.equal(hw.detach().double(), ref_hw.to(dtype).double())


def test_read_only_input_works_and_is_untouched():
    x = np.zeros((8, 8, 3), np.uint8)
    x.flags.writeable = False
    out = Cutout(size=4, fill=9, p=1.0)(x, rng=0)
    assert (out == 9).any() and not x.any() and out.flags.writeable


def test_fill_is_validated_against_the_dtype():
    params = {"apply": True, "unit": "px", "holes": [[0.5, 0.5, 2, 2]]}
    u8 = np.zeros((6, 6, 3), np.uint8)
    with pytest.raises(ValueError, match=r"fill=256.*\[0, 255\].*uint8"):
        Cutout(fill=256, p=1.0).apply(u8, params)
    with pytest.raises(ValueError, match="not integer-valued"):
        Cutout(fill=0.5, p=1.0).apply(torch.zeros(3, 6, 6, dtype=torch.uint8), params)
    with pytest.raises(ValueError, match="3 channel"):
        Cutout(fill=(1, 2), p=1.0).apply(u8, params)
    with pytest.raises(ValueError, match="range"):
        Cutout(fill=-1, p=1.0).apply(Image.new("RGB", (6, 6)), params)
    with pytest.raises(ValueError, match="range"):
        Cutout(fill=1e6, p=1.0).apply(torch.zeros(6, 6, dtype=torch.float16), params)
    # fine: float fill on float images, 0.0 on uint8 (integer-valued), per-channel tuples
    Cutout(fill=0.25, p=1.0).apply(np.zeros((6, 6), np.float32), params)
    assert Cutout(fill=7.0, p=1.0).apply(u8, params).max() == 7
    assert Cutout(fill=(1, 2, 3), p=1.0).apply(u8, params)[3, 3].tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    "bad",
    [np.zeros((2, 4, 4, 3), np.uint8), torch.zeros(2, 3, 4, 4), np.zeros(5), "img", np.zeros((4, 4), np.complex64)],
)
def test_bad_images_raise_clearly(bad):
    with pytest.raises((TypeError, ValueError), match="image"):
        Cutout(p=1.0)(bad, rng=0)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"size": 0}, "size"),
        ({"size": 1.5}, r"size.*\(0.0, 1.0\]"),
        ({"size": (4, 0.5)}, "not mixed"),
        ({"size": (0.6, 0.2)}, "ordered"),
        ({"num_holes": 0}, "num_holes"),
        ({"num_holes": (2, 1)}, "ordered"),
        ({"fill": "black"}, "fill"),
        ({"fill": (1, "a")}, r"fill\[1\]"),
        ({"p": 2}, "p must be in"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, match):
    with pytest.raises((TypeError, ValueError), match=match):
        Cutout(**kwargs)


# ---------------------------------------------------------------------------
# probability, strength, params as data
# ---------------------------------------------------------------------------
def test_probability_and_strength():
    img = np.ones((8, 8), np.float32)
    for p, s in [(0.0, 1.0), (1.0, 1.0), (0.3, 1.0), (0.8, 0.5)]:
        t = Cutout(size=3, p=p)
        hits = np.array([t.sample(_rng(k), strength=s)["apply"] for k in range(2000)])
        assert abs(hits.mean() - p * s) < 4 * np.sqrt(p * s * (1 - p * s) / 2000) + 1e-9, (p, s, hits.mean())
    assert Cutout(p=0.0)(img, rng=1) is img


def test_params_are_plain_replayable_data():
    t = Cutout(num_holes=(1, 3), size=(2, 5), fill=0, p=1.0)
    img = _rng(3).integers(1, 255, (16, 16, 3), dtype=np.uint8)
    params = t.sample(_rng(11))
    replay = json.loads(json.dumps(params))
    np.testing.assert_array_equal(t.apply(img, replay), t.apply(img, params))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(t))(img, rng=4), t(img, rng=4))
    assert repr(t) == "Cutout(num_holes=(1, 3), size=(2, 5), fill=0, p=1.0, layout=None)"


# ---------------------------------------------------------------------------
# the seed notebook's trap
# ---------------------------------------------------------------------------
def test_seed_coarse_dropout_arguments_are_ignored_by_albumentations_2():
    """The seed's A.CoarseDropout(max_holes=1, max_height=128, ...) is the 1.x API: 2.x warns and uses defaults."""
    with pytest.warns(UserWarning, match="not valid for transform CoarseDropout"):
        seed_way = A.CoarseDropout(max_holes=1, max_height=128, max_width=128, fill_value=0, p=0.5)
    assert seed_way.num_holes_range == (1, 2)  # default, not max_holes=1
    assert seed_way.hole_height_range == (0.1, 0.2)  # default 10-20 % of the side, not up to 128 px
    img = np.full((256, 256, 3), 255, np.uint8)
    pipe = A.Compose([seed_way], seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        areas = [int((pipe(image=img)["image"] == 0).all(axis=2).sum()) for _ in range(30)]
    assert max(areas) < 2 * (0.2 * 256) ** 2 + 1  # never a 128x128 hole (16384 px)
    ours = Cutout(size=128, p=1.0)(img, rng=0)
    assert int((ours == 0).all(axis=2).sum()) > 0.25 * 128 * 128  # Cutout(size=128) really cuts up to 128x128


def test_image_size_helper():
    assert image_size(Image.new("RGBA", (5, 3))) == (3, 5, 4)
    assert image_size(torch.zeros(7, 2)) == (7, 2, 1)
    with pytest.raises(TypeError):
        image_size([[1]])


# ---------------------------------------------------------------------------
# item 5: no mutation of a dataset's in-memory array by Cutout in 2 workers
# ---------------------------------------------------------------------------
class _ArrayImages(torch.utils.data.Dataset):
    """All images in one in-memory array; samples are *views* into it (the dangerous case)."""

    def __init__(self, images, labels):
        self.images, self.labels = images, labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.images[i], int(self.labels[i])


def _zero_in_place(x):  # a deliberately wrong transform: proves the check below can fail
    x[..., 0] = 0
    return x


def _run_epoch_in_two_workers(images, transform):
    from loaders import AugmentedDataset

    ds = AugmentedDataset(_ArrayImages(images, np.arange(len(images)) % 10), transform, seed=0)
    loader = torch.utils.data.DataLoader(ds, batch_size=16, num_workers=2, shuffle=True, multiprocessing_context="fork")
    return sum(int(xb.shape[0]) for xb, _ in loader)


@pytest.mark.parametrize("layout", ["numpy_hwc", "torch_chw"])
def test_dataset_array_is_byte_identical_after_an_epoch_of_cutout_in_two_workers(layout):
    from loaders import Lambda

    shape = (48, 16, 16, 3) if layout == "numpy_hwc" else (48, 3, 16, 16)
    # Shared memory, so that a write in a forked worker would be visible here.
    store = torch.randint(1, 256, shape, dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    store.share_memory_()
    images = store.numpy() if layout == "numpy_hwc" else store
    before = store.clone()
    n = _run_epoch_in_two_workers(images, Cutout(num_holes=2, size=0.5, fill=0, p=1.0))
    assert n == 48
    assert torch.equal(store, before), "Cutout mutated the dataset's array"
    # control: an in-place transform is caught by the same check
    _run_epoch_in_two_workers(images, Lambda(_zero_in_place))
    assert not torch.equal(store, before)
