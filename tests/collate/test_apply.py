"""Mixing after the transfer: ``on_device=True`` collates + ``collate.functional.apply_mix``.

The reference is the same collate with ``on_device=False`` (mixing in the worker): on CPU the two paths must be
bit-identical, targets included. The accelerator branch of ``apply_mix`` is exercised on CPU tensors through its
batched implementation against an independent formula (and on CUDA when present).
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from collate import CutMix, MixUp, MixUpOrCutMix
from collate.functional import apply_mix
from loaders import AugmentedDataset
from loaders.keys import KeyedBatch

apply_module = importlib.import_module("collate.functional.apply")


def batch_of(n, shape, dtype, seed=0, dicts=False):
    g = torch.Generator().manual_seed(seed)
    xs = [
        torch.randint(0, 256, shape, generator=g, dtype=dtype)
        if dtype == torch.uint8
        else torch.rand(shape, generator=g)
        for _ in range(n)
    ]
    samples = (
        [{"image": x, "label": i % 4} for i, x in enumerate(xs)] if dicts else [(x, i % 4) for i, x in enumerate(xs)]
    )
    return KeyedBatch(samples, seed=seed, epoch=1, indices=list(range(10, 10 + n)))


COLLATES = {
    "mixup": lambda **kw: MixUp(num_classes=4, **kw),
    "cutmix": lambda **kw: CutMix(num_classes=4, **kw),
    "both": lambda **kw: MixUpOrCutMix(num_classes=4, **kw),
    "both-per-sample": lambda **kw: MixUpOrCutMix(num_classes=4, per_sample=True, **kw),
    "mixup-p-half": lambda **kw: MixUp(num_classes=4, p=0.5, **kw),
}


@pytest.mark.parametrize("name", sorted(COLLATES))
@pytest.mark.parametrize("dtype", [torch.float32, torch.uint8], ids=str)
@pytest.mark.parametrize("shape", [(3, 16, 12), (3, 160, 160)], ids=str)
def test_on_device_then_apply_mix_equals_mixing_in_the_collate(name, dtype, shape):
    for seed in range(3):
        b = batch_of(9, shape, dtype, seed)
        x, y, params = COLLATES[name](on_device=True, seed=seed)(b)
        want_x, want_y, want_params = COLLATES[name](return_params=True, seed=seed)(b)
        assert params == want_params
        assert torch.equal(y, want_y)
        assert torch.equal(x, torch.stack([s[0] for s in b]))  # unmixed in the worker
        assert torch.equal(apply_mix(x, params), want_x), (name, seed)


def test_dict_samples_get_mix_params():
    b = batch_of(6, (3, 8, 8), torch.float32, dicts=True)
    out = MixUpOrCutMix(num_classes=4, on_device=True, seed=2)(b)
    ref = MixUpOrCutMix(num_classes=4, seed=2)(b)
    assert set(out) == {"image", "label", "mix_params"}
    assert torch.equal(apply_mix(out["image"], out["mix_params"]), ref["image"])


def test_padded_clips_with_valid_length_labels():
    from collate import PadCollate

    g = torch.Generator().manual_seed(1)
    samples = [(torch.randn(1, t, generator=g), i % 4) for i, t in enumerate((9, 4, 13, 1, 7, 13))]
    b = KeyedBatch(samples, seed=2, epoch=0, indices=[3, 1, 4, 0, 2, 5])
    for per_sample in (False, True):
        for seed in range(4):
            kw = dict(num_classes=4, base_collate=PadCollate(), per_sample=per_sample, seed=seed)
            out = CutMix(on_device=True, **kw)(b)
            ref = CutMix(return_params=True, **kw)(b)
            assert out[-1] == ref[-1] and torch.equal(out[1], ref[1])
            assert torch.equal(apply_mix(out[0], out[-1]), ref[0])


def test_hwc_layout():
    g = torch.Generator().manual_seed(0)
    samples = [(torch.randint(0, 256, (12, 10, 3), generator=g, dtype=torch.uint8), i % 4) for i in range(6)]
    b = KeyedBatch(samples, seed=0, epoch=0, indices=list(range(6)))
    x, _, params = CutMix(num_classes=4, layout="HWC", on_device=True, seed=1)(b)
    want = CutMix(num_classes=4, layout="HWC", seed=1)(b)[0]
    assert torch.equal(apply_mix(x, params, layout="HWC"), want)


@pytest.mark.parametrize("per_sample", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.uint8], ids=str)
def test_batched_device_branch_matches_the_formula(per_sample, dtype):
    b = batch_of(10, (3, 12, 12), dtype, seed=4)
    x, _, params = MixUpOrCutMix(num_classes=4, per_sample=per_sample, on_device=True, seed=5)(b)
    n = len(b)
    modes = params["mode"] if per_sample else [params["mode"]] * n
    lams = params["lam"] if per_sample else [params["lam"]] * n
    boxes = params["box"] if per_sample else [params["box"]] * n
    got = apply_module._device_mix(x, modes, lams, params["perm"], boxes)
    want = x.clone()
    for i in range(n):
        j = params["perm"][i]
        if modes[i] == "mixup" and j != i:
            if dtype == torch.uint8:
                w = int(lams[i] * 256)
                want[i] = ((w * x[i].int() + (256 - w) * x[j].int() + 128) >> 8).to(torch.uint8)
            else:
                want[i] = lams[i] * x[i] + (1 - lams[i]) * x[j]
        elif modes[i] == "cutmix" and j != i and boxes[i] is not None:
            y0, y1, x0, x1 = boxes[i]
            want[i, :, y0:y1, x0:x1] = x[j, :, y0:y1, x0:x1]
    if dtype == torch.uint8:
        assert torch.equal(got, want)
    else:
        torch.testing.assert_close(got, want, rtol=0, atol=1e-6)
    # and the CPU path of apply_mix is the collate itself
    ref = MixUpOrCutMix(num_classes=4, per_sample=per_sample, seed=5)(b)[0]
    assert torch.equal(apply_mix(x, params), ref)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_on_cuda_equals_cpu_for_uint8_and_cutmix():
    b = batch_of(16, (3, 64, 64), torch.uint8, seed=1)
    for collate in (MixUp(num_classes=4, seed=0, on_device=True), CutMix(num_classes=4, seed=0, on_device=True)):
        x, _, params = collate(b)
        assert torch.equal(apply_mix(x.cuda(), params).cpu(), apply_mix(x, params))


def test_through_a_dataloader_with_workers():
    g = torch.Generator().manual_seed(0)
    base = [(torch.rand(3, 8, 8, generator=g), i % 4) for i in range(32)]
    ds = AugmentedDataset(base, seed=3)
    on = MixUpOrCutMix(num_classes=4, on_device=True, seed=1)
    off = MixUpOrCutMix(num_classes=4, seed=1)
    got = [(apply_mix(x, p), y) for x, y, p in DataLoader(ds, batch_size=8, num_workers=2, collate_fn=on)]
    want = list(DataLoader(ds, batch_size=8, num_workers=0, collate_fn=off))
    for (gx, gy), (wx, wy) in zip(got, want, strict=True):
        assert torch.equal(gx, wx) and torch.equal(gy, wy)


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: apply_mix([1, 2], {"mode": "none", "lam": 1.0, "perm": [0, 1]}), TypeError, ["x", "tensor"]),
        (lambda: apply_mix(torch.zeros(2, 3), {"lam": 1.0}), TypeError, ["params", "mode"]),
        (lambda: apply_mix(torch.zeros(2, 3), {"mode": "mixup", "lam": 0.5, "perm": [0, 0]}), ValueError, ["perm"]),
        (
            lambda: apply_mix(torch.zeros(2, 3, 4, 4), {"mode": "none", "lam": 1.0, "perm": [1, 0]}, layout="NCHW"),
            ValueError,
            ["layout"],
        ),
        (lambda: MixUp(num_classes=2, on_device=1), TypeError, ["on_device"]),
    ],
)
def test_bad_arguments(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for w in words:
        assert w.lower() in str(info.value).lower()


def test_apply_mix_does_not_modify_its_input():
    x = torch.arange(12.0).view(3, 4)
    before = x.clone()
    out = apply_mix(x, {"mode": "mixup", "lam": 0.5, "perm": [1, 2, 0], "box": None})
    assert torch.equal(x, before) and not torch.equal(out, x)
    assert np.allclose(out[0].numpy(), (x[0] + x[1]).numpy() / 2)
