"""loaders.image.TorchVision: v2 transforms keyed by the sample, joint image/boxes/mask calls.

Cross-worker, start-method and fresh-process identity: tests/loaders/test_seeded.py (all adapters).
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import tv_tensors
from torchvision.transforms import v2

from loaders import AugmentedDataset, Compose, OneOf, RandomApply
from loaders.image import Cutout, TorchVision
from tests._compare import deep_equal
from tests.loaders.test_seeded import _global_states, _same_states, within_3_sigma


def _image(h=16, w=20):
    return torch.arange(3 * h * w, dtype=torch.int64).reshape(3, h, w).remainder(251).to(torch.uint8)


def test_flip_rate_within_3_sigma_and_p_on_top():
    img = _image()
    flipped = img.flip(-1)
    n = 500
    t = TorchVision(v2.RandomHorizontalFlip(p=0.5))
    hits = sum(torch.equal(t(img, rng=k), flipped) for k in range(n))
    assert within_3_sigma(hits, n, 0.5), hits
    outer = TorchVision(v2.RandomHorizontalFlip(p=0.5), p=0.5)  # the adapter's p acts on top: 0.25
    hits = sum(torch.equal(outer(img, rng=k), flipped) for k in range(n))
    assert within_3_sigma(hits, n, 0.25), hits


def test_same_key_same_output_and_params_replay():
    t = TorchVision(v2.Compose([v2.RandomResizedCrop(12, antialias=True), v2.ColorJitter(0.4, 0.4, 0.4, 0.1)]))
    img = _image()
    params = t.sample(np.random.default_rng(5))
    assert torch.equal(t.apply(img, params), t.apply(img, params))
    assert torch.equal(t(img, rng=5), t.apply(img, params))
    assert not torch.equal(t(img, rng=5), t(img, rng=6))
    clone = pickle.loads(pickle.dumps(t))
    assert torch.equal(clone.apply(img, params), t.apply(img, params))


@pytest.mark.parametrize("policy", [v2.RandAugment(), v2.TrivialAugmentWide(), v2.AutoAugment()])
def test_auto_augment_keeps_uint8_and_changes_images(policy):
    t = TorchVision(policy)
    img = _image(32, 32)
    outs = [t(img, rng=k) for k in range(8)]
    assert all(o.dtype == torch.uint8 and o.shape == img.shape for o in outs)
    assert any(not torch.equal(o, img) for o in outs)
    wrapped = t(tv_tensors.Image(img), rng=3)
    assert type(wrapped) is tv_tensors.Image and wrapped.dtype == torch.uint8
    assert torch.equal(wrapped.as_subclass(torch.Tensor), t(img, rng=3))


def test_pil_and_tv_tensor_inputs_keep_their_type():
    t = TorchVision(v2.Compose([v2.RandomRotation(20), v2.RandomHorizontalFlip()]))
    pil = Image.fromarray(_image().permute(1, 2, 0).numpy())
    out = t(pil, rng=1)
    assert isinstance(out, Image.Image) and out.size == pil.size
    assert t(pil, rng=1).tobytes() == out.tobytes()
    img = tv_tensors.Image(_image())
    assert type(t(img, rng=1)) is tv_tensors.Image


@pytest.mark.parametrize("policy", [v2.RandAugment(), v2.TrivialAugmentWide(), v2.AutoAugment()])
def test_auto_augment_refusal_of_boxes_and_masks_is_passed_on_named(policy):
    img = tv_tensors.Image(_image(32, 32))
    boxes = tv_tensors.BoundingBoxes([[4, 4, 20, 20]], format="XYXY", canvas_size=(32, 32))
    mask = tv_tensors.Mask(torch.zeros(32, 32, dtype=torch.uint8))
    name = type(policy).__name__
    for sample in ((img, boxes), (img, mask)):
        with pytest.raises(TypeError, match=name) as info:
            TorchVision(policy)(sample, rng=0)
        assert "not supported" in str(info.value)
    # inside a Compose, and through the dataset (which names the sample)
    with pytest.raises(TypeError, match=name):
        TorchVision(v2.Compose([v2.RandomHorizontalFlip(), policy]))((img, boxes), rng=0)
    ds = AugmentedDataset([(img, boxes, 1)], TorchVision(policy), input_key=None, seed=0)
    with pytest.raises(Exception, match=name) as info:
        ds[0]
    assert isinstance(info.value.__cause__, TypeError) or isinstance(info.value, TypeError)


# ---------------------------------------------------------------------------
# joint image + boxes + mask
# ---------------------------------------------------------------------------
def _square_sample(size=64, top=18, left=22, side=20):
    """A bright square drawn in a dark image, its box (XYXY, float: no rounding between steps) and its mask."""
    img = torch.full((3, size, size), 20, dtype=torch.uint8)
    img[:, top : top + side, left : left + side] = 230
    mask = torch.zeros(size, size, dtype=torch.uint8)
    mask[top : top + side, left : left + side] = 1
    box = [left, top, left + side, top + side]
    return (
        tv_tensors.Image(img),
        tv_tensors.BoundingBoxes([box], format="XYXY", canvas_size=(size, size), dtype=torch.float32),
        tv_tensors.Mask(mask),
    )


def _bbox(binary):
    ys, xs = torch.nonzero(binary, as_tuple=True)
    return [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]


GEOMETRY = v2.Compose(
    [
        v2.RandomResizedCrop(48, scale=(0.6, 1.0), antialias=True),
        v2.RandomHorizontalFlip(),
        v2.RandomAffine(degrees=15, translate=(0.1, 0.1), scale=(0.9, 1.1)),
    ]
)


def test_crop_flip_affine_keep_image_box_and_mask_consistent():
    t = TorchVision(GEOMETRY)
    checked = flips = 0
    for key in range(40):
        img, boxes, mask = t(_square_sample(), rng=key)
        assert (type(img), type(boxes), type(mask)) == (tv_tensors.Image, tv_tensors.BoundingBoxes, tv_tensors.Mask)
        assert img.shape[-2:] == mask.shape[-2:] == boxes.canvas_size == (48, 48)
        inside = mask.bool()
        if inside.sum() < 30:  # the crop missed the square
            continue
        checked += 1
        bright = img[0] > 125
        iou = (bright & inside).sum() / (bright | inside).sum()
        assert iou > 0.8, (key, float(iou))  # the image and the mask moved together
        box = boxes[0].tolist()
        mb = _bbox(inside)
        # the box encloses the mask (up to the mask's nearest-neighbour resampling) and is tight around it
        # (a rotated square's box is the box of its rotated corners: some slack)
        assert box[0] <= mb[0] + 2 and box[1] <= mb[1] + 2 and box[2] >= mb[2] - 2 and box[3] >= mb[3] - 2, (key, box)
        slack = [mb[0] - box[0], mb[1] - box[1], box[2] - mb[2], box[3] - mb[3]]
        assert max(slack) <= 0.2 * 48, (key, box, mb)
        centre = (box[0] + box[2]) / 2
        flips += centre > 24  # the square starts left of centre: flipped ones mostly end on the right
    assert checked >= 30 and 5 <= flips <= checked - 5


def test_keys_select_fields_for_one_joint_call():
    img, boxes, mask = _square_sample()
    label = torch.tensor(7)
    whole = TorchVision(GEOMETRY)
    keyed = TorchVision(GEOMETRY, keys=("image", "boxes", "mask"))
    sample = {"image": img, "boxes": boxes, "mask": mask, "label": label, "id": "a"}
    for key in range(5):
        out = keyed(sample, rng=key)
        assert out["label"] is label and out["id"] == "a" and set(out) == set(sample)
        assert deep_equal((out["image"], out["boxes"], out["mask"]), whole((img, boxes, mask), rng=key))
    as_tuple = TorchVision(GEOMETRY, keys=(0, 2, 1))
    out = as_tuple((img, mask, boxes, 3), rng=1)
    assert out[3] == 3 and deep_equal((out[0], out[2], out[1]), whole((img, boxes, mask), rng=1))
    assert sample["image"] is img and torch.equal(img, _square_sample()[0])  # nothing mutated


def test_dataset_whole_sample_hands_boxes_and_mask_together():
    samples = [(*_square_sample(), i) for i in range(3)]
    ds = AugmentedDataset(samples, TorchVision(GEOMETRY), input_key=None, seed=2)
    for i in range(3):
        img, boxes, mask, label = ds[i]
        assert label == i
        assert deep_equal((img, boxes, mask), TorchVision(GEOMETRY).apply(samples[i][:3], _replay(ds, i)))


def _replay(ds, i):
    return ds.params(i)["params"]


def test_composes_with_native_transforms():
    img = _image()
    pipe = Compose(
        [
            TorchVision(v2.RandomHorizontalFlip()),
            OneOf([Cutout(size=4, p=1.0), TorchVision(v2.RandomVerticalFlip())]),
            RandomApply([TorchVision(v2.ColorJitter(0.5))], p=0.5),
        ]
    )
    assert torch.equal(pipe(img, rng=4), pipe(img, rng=4))
    assert any(not torch.equal(pipe(img, rng=k), pipe(img, rng=4)) for k in range(5, 10))


def test_global_generators_untouched():
    t = TorchVision(v2.Compose([v2.RandomResizedCrop(8, antialias=True), v2.RandAugment()]))
    before = _global_states()
    for k in range(5):
        t(_image(), rng=k)
    assert _same_states(_global_states(), before)


def test_v1_transforms_and_other_callables_are_refused_with_a_hint():
    from torchvision import transforms as v1

    with pytest.raises(TypeError, match="v2"):
        TorchVision(v1.RandomHorizontalFlip())
    with pytest.raises(TypeError, match="Seeded"):
        TorchVision(lambda x: x)
