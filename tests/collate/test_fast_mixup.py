"""The collates' fast MixUp kernels: uint8 in exact fixed point (lambda on a 1/256 grid), float in cache-sized chunks.

References are independent: int32 arithmetic written out for the fixed-point rule, and the functional
float rule (``collate.functional.mixup`` on an already stacked batch) for float inputs.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import collate.functional as F
from collate import MixUp, MixUpOrCutMix
from loaders.keys import KeyedBatch


def u8(n, shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(0, 256, shape, generator=g, dtype=torch.uint8) for _ in range(n)]


def fixed_reference(xs, perm, ws):
    a = torch.stack(xs).to(torch.int32)
    b = a[torch.tensor(perm)]
    w = torch.tensor(ws, dtype=torch.int32).view(-1, *([1] * (a.ndim - 1)))
    return ((w * a + (256 - w) * b + 128) >> 8).to(torch.uint8)


@pytest.mark.parametrize("shape", [(3, 8, 8), (3, 32, 32), (1, 300, 300), (7,)], ids=str)
@pytest.mark.parametrize("per_sample", [False, True])
def test_uint8_fixed_point_equals_int32_reference(shape, per_sample):
    n = 11
    xs = u8(n, shape)
    rng = np.random.default_rng(1)
    perm = [int(v) for v in rng.permutation(n)]
    perm[3] = 3  # a sample paired with itself stays as it is
    ws = [int(v) for v in rng.integers(0, 257, n)] if per_sample else [int(rng.integers(0, 257))] * n
    if per_sample:
        ws[0] = 256  # a lambda of 1 keeps the sample
    lam = [w / 256 for w in ws] if per_sample else ws[0] / 256
    out = torch.empty(n, *shape, dtype=torch.uint8)
    F.mixup_into_unchecked(out, xs, perm, lam)
    assert torch.equal(out, fixed_reference(xs, perm, ws))


def test_every_weight_and_extreme_pixels():
    xs = [
        torch.tensor([0, 255, 128, 1, 254], dtype=torch.uint8),
        torch.tensor([255, 0, 127, 254, 1], dtype=torch.uint8),
    ]
    for w in range(257):
        out = torch.empty(2, 5, dtype=torch.uint8)
        F.mixup_into_unchecked(out, xs, [1, 0], w / 256)
        assert torch.equal(out, fixed_reference(xs, [1, 0], [w, w])), w


def test_off_grid_lambdas_and_the_functional_api_keep_the_float_rule():
    xs = u8(6, (3, 5, 5))
    perm = [1, 2, 3, 4, 5, 0]
    out = torch.empty(6, 3, 5, 5, dtype=torch.uint8)
    F.mixup_into_unchecked(out, xs, perm, 0.3)  # 0.3 * 256 is not an integer: float rule
    ref = torch.stack(xs).double()
    want = (0.3 * ref + 0.7 * ref[torch.tensor(perm)]).round().to(torch.uint8)
    assert (out.int() - want.int()).abs().max() <= 1  # float32 lerp vs float64: ties may differ by one
    assert torch.equal(out, F.stack_mixup(xs, perm, 0.3))
    # the public functional ops keep rounding ties to even, also on the grid
    assert F.stack_mixup(
        [torch.tensor([1], dtype=torch.uint8), torch.tensor([2], dtype=torch.uint8)], [1, 0], 0.5
    ).tolist() == [[2], [2]]


def test_quantize_lam():
    assert F.quantize_lam(0.7, torch.uint8) == 179 / 256
    assert F.quantize_lam(0.7, torch.float32) == 0.7
    assert F.quantize_lam(1.0, torch.uint8) == 1.0 and F.quantize_lam(0.0, torch.uint8) == 0.0
    p = {"mode": "mixup", "lam": 0.3}
    F.quantize_mix_params(p, torch.uint8)
    assert p["lam"] * 256 == int(p["lam"] * 256)
    q = {"mode": "cutmix", "lam": 0.3}
    F.quantize_mix_params(q, torch.uint8)
    assert q["lam"] == 0.3


@pytest.mark.parametrize("side", [8, 32, 160])
@pytest.mark.parametrize("per_sample", [False, True])
def test_uint8_collate_image_and_label_agree_exactly(side, per_sample):
    n, k = 16, 5
    xs = u8(n, (3, side, side), seed=side)
    labels = [i % k for i in range(n)]
    batch = KeyedBatch(list(zip(xs, labels, strict=False)), seed=2, epoch=1, indices=list(range(40, 40 + n)))
    x, y, params = MixUp(num_classes=k, alpha=0.8, per_sample=per_sample, return_params=True, seed=1)(batch)
    lams = params["lam"] if per_sample else [params["lam"]] * n
    ws = [round(v * 256) for v in lams]
    assert all(w == v * 256 for w, v in zip(ws, lams, strict=False))  # on the 1/256 grid
    assert torch.equal(x, fixed_reference(xs, params["perm"], ws))
    onehot = torch.nn.functional.one_hot(torch.tensor(labels), k).double()
    lam_t = torch.tensor(lams, dtype=torch.float64).view(-1, 1)
    want = lam_t * onehot + (1 - lam_t) * onehot[torch.tensor(params["perm"])]
    torch.testing.assert_close(y.double(), want, rtol=0, atol=1e-7)


def test_uint8_mixup_or_cutmix_quantises_only_mixup_lambdas():
    xs = u8(8, (3, 16, 16))
    seen = set()
    for seed in range(12):
        batch = KeyedBatch([(x, 0) for x in xs], seed=seed, epoch=0, indices=list(range(8)))
        _, _, params = MixUpOrCutMix(num_classes=2, return_params=True)(batch)
        seen.add(params["mode"])
        if params["mode"] == "mixup":
            assert params["lam"] * 256 == int(params["lam"] * 256)
    assert {"mixup", "cutmix"} <= seen


@pytest.mark.parametrize("shape", [(3, 32, 32), (3, 8, 8), (2, 100)], ids=str)
def test_float_collate_equals_the_functional_rule(shape):
    g = torch.Generator().manual_seed(0)
    xs = [torch.rand(shape, generator=g) for _ in range(128)]
    batch = KeyedBatch([(x, 0) for x in xs], seed=0, epoch=0, indices=list(range(128)))
    x, _, params = MixUp(num_classes=2, return_params=True)(batch)
    assert torch.equal(x, F.mixup(torch.stack(xs), params["perm"], params["lam"]))
