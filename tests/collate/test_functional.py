"""collate.functional against independent references: torchvision v2, timm, formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from collate import functional as F


def _batch(b, shape, dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    xs = [torch.randint(0, 256, shape, generator=g) for _ in range(b)]
    if dtype.is_floating_point:
        return [(x.double() / 255 + torch.rand(shape, generator=g, dtype=torch.float64) / 300).to(dtype) for x in xs]
    return [x.to(dtype) for x in xs]


@pytest.fixture(params=["one-chunk", "chunks", "rowwise"])
def path(request, monkeypatch):
    """Run a test through every code path: one chunk, several chunks of stacked samples, row by row."""
    if request.param == "rowwise":
        monkeypatch.setattr(F, "ROW_BYTES", 1)
        monkeypatch.setattr(F, "CUT_ROW_BYTES", 1)
    elif request.param == "chunks":
        monkeypatch.setattr(F, "CHUNK_BYTES", 1000)
    return request.param


# --------------------------------------------------------------------------- boxes
def _timm_box(monkeypatch, shape, lam, cy, cx):
    """timm's rand_bbox + lambda correction with its global np.random.randint pinned to (cy, cx)."""
    from timm.data import mixup as tm

    draws = iter([cy, cx])
    monkeypatch.setattr(tm.np.random, "randint", lambda *a, **k: next(draws))
    (yl, yh, xl, xh), lam_c = tm.cutmix_bbox_and_lam(shape, lam, correct_lam=True)
    monkeypatch.undo()
    return (int(yl), int(yh), int(xl), int(xh)), float(lam_c)


@pytest.mark.parametrize("hw", [(32, 32), (7, 19), (224, 160), (1, 5)])
def test_cutmix_box_matches_timm(monkeypatch, hw):
    rng = np.random.default_rng(0)
    H, W = hw
    for _ in range(200):
        lam = float(rng.beta(1.0, 1.0))
        cy, cx = int(rng.integers(H)), int(rng.integers(W))
        ours = F.cutmix_box((H, W), lam, ((cy + 0.5) / H, (cx + 0.5) / W))
        ref = _timm_box(monkeypatch, (3, H, W), lam, cy, cx)
        assert ours[0] == ref[0]
        assert ours[1] == pytest.approx(ref[1], abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    H=st.integers(1, 64),
    W=st.integers(1, 64),
    lam=st.floats(0, 1),
    uy=st.floats(0, 1, exclude_max=True),
    ux=st.floats(0, 1, exclude_max=True),
)
def test_cutmix_box_properties(H, W, lam, uy, ux):
    (y0, y1, x0, x1), lam_c = F.cutmix_box((H, W), lam, (uy, ux))
    assert 0 <= y0 <= y1 <= H and 0 <= x0 <= x1 <= W
    assert lam_c == pytest.approx(1 - (y1 - y0) * (x1 - x0) / (H * W), abs=1e-12)
    # the unclipped box has sides int(H * sqrt(1 - lam)), int(W * sqrt(1 - lam))
    r = math.sqrt(1 - lam)
    assert y1 - y0 <= int(H * r) and x1 - x0 <= int(W * r)
    cy, _cx = int(uy * H), int(ux * W)
    if int(H * r) > 0:
        assert y0 <= cy < y1 or (y1 - y0) == 0 or cy == y1  # the centre row is inside (or on an edge when side 1)
    assert lam_c >= lam - 1e-12  # clipping only keeps more


@settings(max_examples=100, deadline=None)
@given(T=st.integers(1, 500), lam=st.floats(0, 1), u=st.floats(0, 1, exclude_max=True))
def test_cutmix_segment_1d(T, lam, u):
    (t0, t1), lam_c = F.cutmix_box((T,), lam, (u,))
    assert 0 <= t0 <= t1 <= T
    assert t1 - t0 <= int(T * (1 - lam))
    assert lam_c == pytest.approx(1 - (t1 - t0) / T, abs=1e-12)
    c = int(u * T)
    cut = int(T * (1 - lam))
    if cut // 2 <= c <= T - (cut + 1) // 2:  # not clipped: the full length is kept
        assert t1 - t0 == cut


def test_cutmix_box_rejects_bad_args():
    with pytest.raises(ValueError):
        F.cutmix_box((4, 4, 4), 0.5, (0.1, 0.1, 0.1))
    with pytest.raises(ValueError):
        F.cutmix_box((4, 4), 1.5, (0.1, 0.1))
    with pytest.raises(ValueError):
        F.cutmix_box((4, 4), 0.5, (0.1,))


# --------------------------------------------------------------------------- torchvision
def test_mixup_matches_torchvision(path):
    from torchvision.transforms import v2

    B, K = 6, 5
    xs = _batch(B, (3, 9, 13))
    labels = torch.tensor([0, 4, 2, 2, 1, 3])
    tv = v2.MixUp(num_classes=K)
    roll = [(i - 1) % B for i in range(B)]  # torchvision pairs x[i] with x.roll(1, 0)[i] = x[i - 1]
    for lam in (0.0, 0.13, 0.5, 0.77, 1.0):
        params = {"lam": lam, "labels": labels, "batch_size": B}
        x_tv = tv.transform(torch.stack(xs), params)
        y_tv = tv.transform(labels, params)
        x = F.stack_mixup(xs, roll, lam)
        y = F.mix_targets(F.soft_targets(labels, K), roll, lam)
        torch.testing.assert_close(x, x_tv, rtol=1e-6, atol=1e-6)
        torch.testing.assert_close(y, y_tv, rtol=1e-6, atol=1e-7)
        torch.testing.assert_close(F.mixed_one_hot(labels, K, roll, lam), y_tv, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("shape", [(3, 9, 13), (1, 40, 7)])
def test_cutmix_matches_torchvision(path, shape):
    from torchvision.transforms import v2

    B, K = 5, 4
    xs = _batch(B, shape)
    labels = torch.tensor([3, 0, 1, 1, 2])
    tv = v2.CutMix(num_classes=K)
    H, W = shape[-2:]
    roll = [(i - 1) % B for i in range(B)]
    rng = np.random.default_rng(1)
    for _ in range(10):
        box, lam = F.cutmix_box((H, W), float(rng.beta(1, 1)), rng.random(2).tolist())
        y0, y1, x0, x1 = box
        params = {"box": (x0, y0, x1, y1), "lam_adjusted": lam, "labels": labels, "batch_size": B}
        x_tv = tv.transform(torch.stack(xs), params)
        y_tv = tv.transform(labels, params)
        assert torch.equal(F.stack_cutmix(xs, roll, box), x_tv)
        assert torch.equal(F.cutmix(torch.stack(xs), roll, box), x_tv)
        torch.testing.assert_close(F.mixed_one_hot(labels, K, roll, lam), y_tv, rtol=1e-6, atol=1e-7)


# --------------------------------------------------------------------------- timm
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_mixup_matches_timm(monkeypatch, path, smoothing):
    from timm.data.mixup import Mixup

    B, K = 6, 7
    xs = _batch(B, (3, 8, 10))
    labels = torch.tensor([6, 0, 3, 3, 1, 5])
    flip = list(range(B - 1, -1, -1))  # timm pairs x[i] with x.flip(0)[i] = x[B - 1 - i]
    for lam in (0.2, 0.5, 0.9):
        m = Mixup(mixup_alpha=1.0, cutmix_alpha=0.0, label_smoothing=smoothing, num_classes=K)
        monkeypatch.setattr(m, "_params_per_batch", lambda lam=lam: (lam, False))
        x_t, y_t = m(torch.stack(xs), labels.clone())
        torch.testing.assert_close(F.stack_mixup(xs, flip, lam), x_t, rtol=1e-6, atol=1e-6)
        y = F.mixed_one_hot(labels, K, flip, lam, label_smoothing=smoothing)
        torch.testing.assert_close(y, y_t, rtol=1e-6, atol=1e-7)
        y2 = F.mix_targets(F.soft_targets(labels, K, label_smoothing=smoothing), flip, lam)
        torch.testing.assert_close(y2, y_t, rtol=1e-6, atol=1e-7)


def test_cutmix_matches_timm(monkeypatch, path):
    from timm.data import mixup as tm

    B, K = 4, 3
    shape = (3, 12, 17)
    xs = _batch(B, shape)
    labels = torch.tensor([0, 1, 2, 1])
    flip = list(range(B - 1, -1, -1))
    rng = np.random.default_rng(3)
    for _ in range(5):
        box, lam = F.cutmix_box(shape[-2:], float(rng.beta(1, 1)), rng.random(2).tolist())
        m = tm.Mixup(mixup_alpha=0.0, cutmix_alpha=1.0, label_smoothing=0.0, num_classes=K)
        monkeypatch.setattr(m, "_params_per_batch", lambda: (0.5, True))
        monkeypatch.setattr(tm, "cutmix_bbox_and_lam", lambda *a, box=box, lam=lam, **k: (box, lam))
        x_t, y_t = m(torch.stack(xs), labels.clone())
        monkeypatch.undo()
        assert torch.equal(F.stack_cutmix(xs, flip, box), x_t)
        torch.testing.assert_close(F.mixed_one_hot(labels, K, flip, lam), y_t, rtol=1e-6, atol=1e-7)


def test_uint8_mixup_matches_timm_fast_collate(monkeypatch, path):
    from timm.data.mixup import FastCollateMixup

    B = 4
    xs = _batch(B, (3, 16, 16), torch.uint8)
    batch = [(x, i) for i, x in enumerate(xs)]
    flip = list(range(B - 1, -1, -1))
    for lam in (0.3, 0.5, 0.71):
        fc = FastCollateMixup(mixup_alpha=1.0, cutmix_alpha=0.0, label_smoothing=0.0, num_classes=B)
        monkeypatch.setattr(fc, "_params_per_batch", lambda lam=lam: (lam, False))
        x_t, _ = fc(batch)
        ours = F.stack_mixup(xs, flip, lam)
        assert ours.dtype == torch.uint8
        diff = (ours.int() - x_t.int()).abs()
        exact = lam * torch.stack(xs).double() + (1 - lam) * torch.stack(xs[::-1]).double()
        near_tie = ((exact - exact.floor()) - 0.5).abs() < 1e-4
        # both round a float32 result; they may differ by 1 only where the exact value is (nearly) a .5 tie
        assert int(diff.max()) <= 1 and not bool((diff.bool() & ~near_tie).any())


# --------------------------------------------------------------------------- dtypes and rounding
def test_uint8_rounds_not_truncates(path):
    xs = [torch.tensor([[0, 255, 10, 7]], dtype=torch.uint8), torch.tensor([[255, 0, 11, 8]], dtype=torch.uint8)]
    out = F.stack_mixup(xs, [1, 0], 0.7)
    ref = 0.7 * torch.stack(xs).double() + 0.3 * torch.stack(xs[::-1]).double()  # [76.5, 178.5, 10.3, 7.3], ...
    assert out.dtype == torch.uint8
    assert out[0, 0].tolist() == [76, 178, 10, 7]  # ties to even: 76.5 -> 76, 178.5 -> 178
    # 178.5 -> 178, 76.5 -> 76, 10.7 -> 11, 7.7 -> 8 (truncation gives 10, 7)
    assert out[1, 0].tolist() == [178, 76, 11, 8]
    assert float((out.double() - ref).abs().max()) <= 0.5


@pytest.mark.parametrize("dtype", [torch.uint8, torch.int16])
def test_integer_mixup_vs_float_reference(path, dtype):
    B = 7
    xs = _batch(B, (3, 5, 6), dtype, seed=4)
    perm = [3, 0, 6, 1, 2, 5, 4]
    lam = [0.05, 0.3, 0.5, 0.61, 0.99, 1.0, 0.25]
    out = F.stack_mixup(xs, perm, lam)
    ref = torch.stack([lam[i] * xs[i].double() + (1 - lam[i]) * xs[perm[i]].double() for i in range(B)])
    assert out.dtype == dtype
    assert float((out.double() - ref).abs().max()) <= 0.5 + 1e-6
    assert float((out.double() - ref.floor()).abs().sum()) > 0  # not truncation


@pytest.mark.parametrize(
    "dtype,tol", [(torch.float16, 2**-10), (torch.bfloat16, 2**-7), (torch.float32, 1e-6), (torch.float64, 1e-12)]
)
def test_float_dtypes(path, dtype, tol):
    B = 5
    xs = _batch(B, (2, 6, 4), dtype, seed=2)
    perm = [4, 2, 0, 1, 3]
    for lam in (0.37, [0.1, 0.9, 0.5, 1.0, 0.0]):
        out = F.stack_mixup(xs, perm, lam)
        lams = [lam] * B if isinstance(lam, float) else lam
        ref = torch.stack([lams[i] * xs[i].double() + (1 - lams[i]) * xs[perm[i]].double() for i in range(B)])
        assert out.dtype == dtype
        # one rounding of the exact result: within one unit in the last place
        assert float(((out.double() - ref).abs() / ref.abs().clamp_min(1e-3)).max()) <= tol


def test_inputs_not_mutated(path):
    xs = _batch(4, (3, 6, 6), torch.uint8)
    before = [x.clone() for x in xs]
    F.stack_mixup(xs, [1, 2, 3, 0], 0.4)
    F.stack_cutmix(xs, [1, 2, 3, 0], (1, 4, 0, 5))
    F.stack_cutmix(xs, [1, 2, 3, 0], [(1, 4, 0, 5), None, (0, 6, 0, 6), (2, 3, 2, 3)])
    x = torch.stack(xs)
    xb = x.clone()
    F.mixup(x, [1, 2, 3, 0], 0.4)
    F.cutmix(x, [1, 2, 3, 0], (1, 4, 0, 5))
    assert all(torch.equal(a, b) for a, b in zip(xs, before, strict=False)) and torch.equal(x, xb)


def test_per_sample_boxes_read_partners_from_originals(path):
    # a cycle: if partners were read from already-written rows the box would carry sample 0 twice
    xs = [torch.full((1, 4, 4), float(v)) for v in range(3)]
    out = F.stack_cutmix(xs, [1, 2, 0], [(0, 2, 0, 2), (0, 2, 0, 2), (1, 3, 1, 3)])
    assert out[0, 0, 0, 0] == 1 and out[1, 0, 0, 0] == 2 and out[2, 0, 1, 1] == 0
    out = F.stack_cutmix(xs, [1, 2, 0], (0, 2, 0, 2))  # one box for all: gathered before writing
    assert out[:, 0, 0, 0].tolist() == [1.0, 2.0, 0.0]


def test_cutmix_1d_and_spectrogram(path):
    xs = [torch.full((2, 50), float(i)) for i in range(3)]
    out = F.stack_cutmix(xs, [2, 0, 1], (10, 30))
    assert out.shape == (3, 2, 50)
    assert torch.all(out[0, :, 10:30] == 2) and torch.all(out[0, :, :10] == 0) and torch.all(out[0, :, 30:] == 0)
    spec = [torch.full((1, 8, 40), float(i)) for i in range(2)]  # (C, F, T)
    out = F.stack_cutmix(spec, [1, 0], (2, 5, 10, 30))
    assert int((out[0] == 1).sum()) == 3 * 20


# --------------------------------------------------------------------------- targets
def test_soft_targets_kinds():
    y = F.soft_targets([2, np.int64(0), torch.tensor(1)], num_classes=3)
    assert y.tolist() == [[0, 0, 1], [1, 0, 0], [0, 1, 0]] and y.dtype == torch.float32
    y = F.soft_targets([[0.2, 0.8, 0.0], torch.tensor([1, 1, 0]), np.array([0, 0, 3.0]), 1], num_classes=3)
    torch.testing.assert_close(y, torch.tensor([[0.2, 0.8, 0.0], [0.5, 0.5, 0.0], [0, 0, 1.0], [0, 1.0, 0]]))
    y = F.soft_targets(torch.tensor([[2.0, 2.0]]), 2, dtype=torch.float64)
    assert y.dtype == torch.float64 and y.tolist() == [[0.5, 0.5]]
    assert F.soft_targets(torch.tensor([1, 0]), 2, dtype=torch.bfloat16).dtype == torch.bfloat16


def test_label_smoothing_formula():
    eps, K = 0.1, 4
    y = F.soft_targets([1, 3], K, label_smoothing=eps)
    off, on = eps / K, 1 - eps + eps / K  # timm's one_hot(on_value, off_value)
    torch.testing.assert_close(y, torch.tensor([[off, on, off, off], [off, off, off, on]]))
    torch.testing.assert_close(y.sum(1), torch.ones(2))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=1, max_size=12), st.floats(0, 1), st.floats(0, 0.99), st.randoms())
def test_mixed_one_hot_equals_mix_of_smoothed(labels, lam, eps, rnd):
    perm = list(range(len(labels)))
    rnd.shuffle(perm)
    idx = torch.tensor(labels)
    a = F.mixed_one_hot(idx, 10, perm, lam, label_smoothing=eps, dtype=torch.float64)
    b = F.mix_targets(F.soft_targets(idx, 10, label_smoothing=eps, dtype=torch.float64), perm, lam)
    torch.testing.assert_close(a, b, rtol=0, atol=1e-12)
    torch.testing.assert_close(a.sum(1), torch.ones(len(labels), dtype=torch.float64))


@pytest.mark.parametrize(
    "targets,err,match",
    [
        ([0, 3], ValueError, r"sample 1 target 3 is out of range.*\[0, 2\]"),
        ([-1, 0], ValueError, r"sample 0 target -1"),
        (torch.tensor([0, 5]), ValueError, r"sample 1 target 5"),
        ([0, [0.5, 0.5]], ValueError, r"sample 1 soft target has width 2, expected num_classes=3"),
        (torch.ones(2, 4), ValueError, r"width 4, expected num_classes=3"),
        ([[0.5, float("nan"), 0.5]], ValueError, r"sample 0 .*NaN"),
        ([1, [0.5, -0.5, 1.0]], ValueError, r"sample 1 .*negative"),
        ([[0, 0, 0]], ValueError, r"sample 0 .*sums to 0"),
        ([1, 2.0], TypeError, r"sample 1 target 2.0 is a float"),
        ([True, 1], TypeError, r"sample 0"),
        ([torch.tensor(1.0)], TypeError, r"sample 0 .*not an integer class index"),
        (torch.tensor([0.0, 1.0]), TypeError, r"integer class indices"),
        ([], ValueError, r"empty"),
        ([["a", "b", "c"]], TypeError, r"sample 0"),
    ],
)
def test_soft_targets_errors(targets, err, match):
    with pytest.raises(err, match=match):
        F.soft_targets(targets, 3)


def test_pair_reduce():
    lengths = torch.tensor([3, 9, 5, 1])
    out = F.pair_reduce(lengths, [1, 0, 3, 2], [True, True, False, True], "max")
    assert out.tolist() == [9, 9, 5, 5] and lengths.tolist() == [3, 9, 5, 1]
    mask = torch.tensor([[1, 0, 0], [1, 1, 0], [1, 1, 1]], dtype=torch.bool)
    assert F.pair_reduce(mask, [2, 0, 1], [True, False, True], "or").tolist() == [
        [True, True, True],
        [True, True, False],
        [True, True, True],
    ]
    with pytest.raises(ValueError, match="pair_reduce method"):
        F.pair_reduce(lengths, [0, 1, 2, 3], [False] * 4, "mean")


def test_input_validation_names_sample():
    with pytest.raises(ValueError, match=r"sample 2 input has shape \(3, 4, 5\), expected \(3, 4, 4\)"):
        F.as_tensor_inputs([torch.zeros(3, 4, 4)] * 2 + [torch.zeros(3, 4, 5)])
    with pytest.raises(TypeError, match=r"sample 1 input has dtype torch.float64"):
        F.as_tensor_inputs([torch.zeros(2), torch.zeros(2, dtype=torch.float64)])
    with pytest.raises(TypeError, match=r"sample 0 input must be a torch.Tensor or numpy.ndarray"):
        F.as_tensor_inputs([[1, 2]])
    with pytest.raises(ValueError, match="empty batch"):
        F.as_tensor_inputs([])
    ro = np.zeros((2, 2), dtype=np.float32)
    ro.setflags(write=False)
    assert F.as_tensor_inputs([ro])[0].shape == (2, 2)  # read-only arrays: no warning, no mutation
    with pytest.raises(ValueError, match="perm must hold"):
        F.stack_mixup([torch.zeros(2)] * 2, [0, 2], 0.5)
    with pytest.raises(TypeError, match="cannot mix inputs of dtype torch.bool"):
        F.stack_mixup([torch.zeros(2, dtype=torch.bool)] * 2, [1, 0], 0.5)
