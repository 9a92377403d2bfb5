"""Tests for loaders.image.albumentations: the keyed Albumentations wrapper."""

from __future__ import annotations

import pickle
import random

import albumentations as A
import numpy as np
import pytest
import torch
from albumentations.pytorch import ToTensorV2
from PIL import Image

from loaders.image import Albumentations


def _rng(k):
    return np.random.default_rng(k)


# ---------------------------------------------------------------------------
# Albumentations wrapper
# ---------------------------------------------------------------------------
def _flip_pipeline():
    return A.Compose([A.HorizontalFlip(p=0.5), A.VerticalFlip(p=0.5)])


def test_albumentations_same_key_same_output_and_keys_differ():
    img = _rng(0).integers(0, 256, (16, 20, 3), dtype=np.uint8)
    t = Albumentations(
        A.Compose(
            [
                A.Affine(rotate=(-30, 30), p=1.0),
                A.CoarseDropout(num_holes_range=(1, 3), hole_height_range=(2, 6), hole_width_range=(2, 6), p=1.0),
            ]
        )
    )
    outs = [t(img, rng=k) for k in range(6)]
    for k in range(6):
        np.testing.assert_array_equal(t(img, rng=k), outs[k])
    assert len({o.tobytes() for o in outs}) == 6
    # a pickled copy (what a spawn worker gets) replays the same draws
    clone = pickle.loads(pickle.dumps(t))
    params = t.sample(_rng(42))
    np.testing.assert_array_equal(clone.apply(img, params), t.apply(img, params))


def test_albumentations_children_draw_independently():
    """albumentations' own Compose(seed=...) gives every child the same seed: flips are correlated."""
    img = np.arange(12, dtype=np.uint8).reshape(3, 4)

    def both_or_neither(out):
        return np.array_equal(out, img) or np.array_equal(out, img[::-1, ::-1])

    peer = _flip_pipeline()
    correlated = 0
    for s in range(100):
        peer.set_random_seed(s)
        correlated += both_or_neither(peer(image=img)["image"])
    assert correlated == 100  # the trap this wrapper avoids
    t = Albumentations(_flip_pipeline())
    ours = np.mean([both_or_neither(t(img, rng=k)) for k in range(400)])
    assert abs(ours - 0.5) < 0.1


def test_albumentations_to_tensor_matches_totensorv2():
    img = _rng(1).integers(0, 256, (6, 8, 3), dtype=np.uint8)
    ours = Albumentations(_flip_pipeline(), to_tensor=True)
    peer = Albumentations(A.Compose([A.HorizontalFlip(p=0.5), A.VerticalFlip(p=0.5), ToTensorV2()]))
    for k in range(8):
        params = ours.sample(_rng(k))
        a, b = ours.apply(img, params), peer.apply(img, params)
        assert isinstance(a, torch.Tensor) and a.shape == (3, 6, 8) and a.dtype == torch.uint8
        assert torch.equal(a, b)
    gray = img[..., 0].astype(np.float32)
    out = Albumentations(_flip_pipeline(), to_tensor=True)(gray, rng=0)
    assert out.shape == (1, 6, 8) and out.dtype == torch.float32
    # skipped by p: still a tensor, so every sample in a batch has one type
    skipped = Albumentations(_flip_pipeline(), to_tensor=True, p=0.0)(img, rng=0)
    assert torch.equal(skipped, torch.from_numpy(img).permute(2, 0, 1))
    # a pipeline that already ends in ToTensorV2 is not converted twice
    assert Albumentations(A.Compose([ToTensorV2()]), to_tensor=True)(img, rng=0).shape == (3, 6, 8)


def test_albumentations_inputs_pil_dict_and_no_mutation():
    img = _rng(2).integers(0, 256, (10, 12, 3), dtype=np.uint8)
    mask = (img[..., 0] > 128).astype(np.uint8)
    img_before, mask_before = img.copy(), mask.copy()
    pipe = A.Compose(
        [A.HorizontalFlip(p=1.0), A.CoarseDropout(hole_height_range=(3, 3), hole_width_range=(3, 3), fill=0, p=1.0)]
    )
    t = Albumentations(pipe)
    out_pil = t(Image.fromarray(img), rng=3)
    assert isinstance(out_pil, Image.Image) and out_pil.mode == "RGB"
    np.testing.assert_array_equal(np.array(out_pil), t(img, rng=3))
    d = t({"image": img, "mask": mask}, rng=3)
    assert set(d) == {"image", "mask"}
    np.testing.assert_array_equal(d["mask"], mask[:, ::-1])
    np.testing.assert_array_equal(d["image"], t(img, rng=3))
    dt = Albumentations(pipe, to_tensor=True)({"image": img, "mask": mask}, rng=3)
    assert dt["image"].shape == (3, 10, 12) and dt["mask"].shape == (10, 12)
    np.testing.assert_array_equal(img, img_before)
    np.testing.assert_array_equal(mask, mask_before)


def test_albumentations_does_not_reseed_the_callers_pipeline():
    pipe = _flip_pipeline()
    pipe.set_random_seed(5)
    state = pipe.random_generator.bit_generator.state
    t = Albumentations(pipe)
    t(np.zeros((4, 4), np.uint8), rng=1)
    assert pipe.random_generator.bit_generator.state == state
    assert t.pipeline is not pipe


def test_albumentations_bad_input():
    t = Albumentations(_flip_pipeline())
    with pytest.raises(TypeError, match="before converting"):
        t(torch.zeros(3, 4, 4), rng=0)
    with pytest.raises(TypeError, match="numpy"):
        t([1, 2, 3], rng=0)
    with pytest.raises(TypeError, match="albumentations.Compose"):
        Albumentations(lambda x: x)
    with pytest.raises(TypeError, match="to_tensor"):
        Albumentations(_flip_pipeline(), to_tensor=1)
    single = Albumentations(A.HorizontalFlip(p=1.0))  # a single transform is wrapped in Compose
    np.testing.assert_array_equal(single(np.eye(3), rng=0), np.eye(3)[:, ::-1])


def test_albumentations_python_random_is_keyed_too():
    """Transforms that draw from python's ``random`` get it from the key, not from the global state."""
    img = _rng(4).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    t = Albumentations(A.Compose([A.RandomRotate90(p=1.0), A.HorizontalFlip(p=0.5)]))
    random.seed(0)
    a = t(img, rng=9)
    random.seed(123)
    np.random.seed(123)
    np.testing.assert_array_equal(t(img, rng=9), a)


def test_albumentations_in_dataloader_workers_matches_in_process():
    """Keyed by the sample: 0 and 2 workers give bit-identical batches (fork)."""
    from loaders import AugmentedDataset

    rng = _rng(8)
    data = [(rng.integers(0, 256, (12, 12, 3), dtype=np.uint8), i % 3) for i in range(16)]
    pipe = A.Compose(
        [
            A.HorizontalFlip(p=0.5),
            A.Affine(rotate=(-20, 20), p=0.7),
            A.CoarseDropout(hole_height_range=(2, 5), hole_width_range=(2, 5), p=0.5),
        ]
    )
    ds = AugmentedDataset(data, Albumentations(pipe, to_tensor=True), seed=3)

    def batches(workers):
        ds.set_epoch(1)
        loader = torch.utils.data.DataLoader(
            ds, batch_size=4, num_workers=workers, multiprocessing_context="fork" if workers else None
        )
        return [xb for xb, _ in loader]

    a, b = batches(0), batches(2)
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=False)) and len(a) == len(b) == 4
    assert a[0].shape == (4, 3, 12, 12) and a[0].dtype == torch.uint8


def test_albumentations_refuses_chw_arrays_unless_declared():
    x = np.arange(3 * 32 * 32, dtype=np.float32).reshape(3, 32, 32)
    with pytest.raises(ValueError, match=r"Albumentations: an array of shape \(3, 32, 32\) looks like CHW"):
        Albumentations(A.HorizontalFlip(p=1.0))(x, rng=0)
    # declared CHW: flipped along W (reference: numpy indexing), returned CHW, input untouched
    before = x.copy()
    out = Albumentations(A.HorizontalFlip(p=1.0), layout="CHW")(x, rng=0)
    np.testing.assert_array_equal(out, x[:, :, ::-1])
    np.testing.assert_array_equal(x, before)
    t = Albumentations(A.HorizontalFlip(p=1.0), layout="CHW", to_tensor=True)(x, rng=0)
    assert torch.equal(t, torch.from_numpy(x[:, :, ::-1].copy()))
    d = Albumentations(A.VerticalFlip(p=1.0), layout="CHW")({"image": x, "mask": np.eye(32)}, rng=0)
    np.testing.assert_array_equal(d["image"], x[:, ::-1])
    np.testing.assert_array_equal(d["mask"], np.eye(32)[::-1])


@pytest.mark.parametrize("shape", [(0, 0, 3), (0, 0), (4, 0, 3)])
def test_albumentations_empty_image_raises_instead_of_none(shape):
    with pytest.raises(ValueError, match="zero-size side"):
        Albumentations(A.HorizontalFlip(p=1.0))(np.zeros(shape, np.uint8), rng=0)


def test_albumentations_object_array_raises():
    with pytest.raises(TypeError, match="dtype object"):
        Albumentations(A.HorizontalFlip(p=1.0))(np.zeros((4, 4, 3), object), rng=0)


def test_albumentations_bad_layout_argument():
    with pytest.raises(ValueError, match="layout must be None"):
        Albumentations(A.HorizontalFlip(), layout="NCHW")
