"""The one-pass C kernels: the same bits as the torch paths they replace, and the checks that guard them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from collate import CutMix, MixUp, MixUpOrCutMix
from collate import functional as F
from collate.functional import kernels
from loaders.keys import KeyedBatch

needs_kernels = pytest.mark.skipif(not kernels.AVAILABLE, reason="C kernels not built")


def test_kernels_are_built():
    # make test installs the package with a C compiler present: the fast path must exist there
    assert kernels.AVAILABLE
    assert kernels.isa() in ("avx512f", "avx2+fma", "generic")


def _nasty(n: int, gen: torch.Generator) -> torch.Tensor:
    x = torch.randn(n, generator=gen) * torch.logspace(-3, 3, n)
    if n > 8:
        x[3], x[5], x[7] = float("inf"), float("-inf"), float("nan")
    return x


@needs_kernels
@pytest.mark.parametrize("numel", [1, 7, 16, 33, 3072, 12345])
@pytest.mark.parametrize("w", [0.0, 0.123456789, 0.3, 0.49999997, 0.5, 0.7, 1.0])
def test_lerp_bits_equal_torch_lerp(numel, w):
    gen = torch.Generator().manual_seed(numel)
    rows = [_nasty(numel, gen) for _ in range(5)]
    p = [1, 2, 0, 4, 3]
    out = torch.empty(5, numel)
    kernels.lerp_rows(out, rows, p, w, mode=0)
    want = torch.stack([torch.lerp(rows[i], rows[p[i]], w) for i in range(5)])
    assert torch.equal(out.view(torch.int32), want.view(torch.int32))  # NaN payloads included
    kernels.lerp_rows(out, rows, p, [w] * 5, mode=1)
    want = torch.stack([torch.lerp(rows[p[i]], rows[i], w) if w != 1.0 else rows[i] for i in range(5)])
    assert torch.equal(out.view(torch.int32), want.view(torch.int32))
    kernels.lerp_rows(out, rows, p, w, mode=2)
    assert torch.equal(out.view(torch.int32), torch.stack(rows).view(torch.int32))


@needs_kernels
def test_blend_u8_is_the_fixed_point_formula():
    gen = torch.Generator().manual_seed(0)
    rows = [torch.randint(0, 256, (3, 5, 7), generator=gen, dtype=torch.uint8) for _ in range(4)]
    p, ws = [3, 0, 1, 2], [0, 77, 128, 256]
    out = torch.empty(4, 3, 5, 7, dtype=torch.uint8)
    kernels.blend_rows_u8(out, rows, p, ws)
    for i in range(4):
        a, b = rows[i].long(), rows[p[i]].long()
        assert torch.equal(out[i].long(), (ws[i] * a + (256 - ws[i]) * b + 128) >> 8)


@needs_kernels
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.uint8, torch.int64, torch.bool])
def test_cut_rows_matches_slicing(dtype):
    gen = torch.Generator().manual_seed(1)
    rows = [(torch.rand(2, 6, 9, generator=gen) * 100).to(dtype) for _ in range(4)]
    p = [1, 0, 3, 3]
    boxes = [(1, 4, 2, 9), None, (0, 6, 0, 9), (2, 3, 4, 5)]  # row 3 is its own partner: unchanged
    out = torch.empty(4, 2, 6, 9, dtype=dtype)
    assert kernels.cut_rows(out, rows, p, boxes, copy=True)
    want = torch.stack(rows).clone()
    for i, b in enumerate(boxes):
        if b is not None:
            want[i, :, b[0] : b[1], b[2] : b[3]] = rows[p[i]][:, b[0] : b[1], b[2] : b[3]]
    assert torch.equal(out, want)
    # 1-D segments on the last axis, pasted into an output as it is
    base = torch.zeros(4, 2, 6, 9, dtype=dtype)
    assert kernels.cut_rows(base, rows, p, [(0, 3), (5, 9), None, (1, 2)], copy=False)
    assert torch.equal(base[0, :, :, 0:3], rows[1][:, :, 0:3]) and not base[0, :, :, 3:].any()
    assert torch.equal(base[1, :, :, 5:9], rows[0][:, :, 5:9]) and not base[2].any() and not base[3].any()


@needs_kernels
def test_usable_refuses_what_the_kernels_cannot_read():
    out = torch.empty(3, 4, 5)
    good = [torch.rand(4, 5) for _ in range(3)]
    assert kernels.usable(out, good)
    assert not kernels.usable(out, good[:2] + [torch.rand(5, 4).t()])  # strided
    assert not kernels.usable(out, good[:2] + [torch.rand(5, 4)])  # another shape, same numel
    assert not kernels.usable(out, good[:2] + [torch.rand(4, 5, dtype=torch.float64)])
    assert not kernels.usable(out, good[:2] + [torch.rand(4, 5, dtype=torch.complex64).conj().imag])  # negated view
    assert not kernels.usable(out[:, :, :4], [r[:, :4] for r in good])  # a non-contiguous output
    assert not kernels.usable(torch.empty(2, 4, 5), good)  # batch size
    # negated views of one element are contiguous: still found
    one = [torch.rand(1, 1), torch.rand(1, 1, dtype=torch.complex64).conj().imag]
    assert one[1].is_neg() and one[1].is_contiguous()
    assert not kernels.usable(torch.empty(2, 1, 1), one) and kernels.usable(torch.empty(2, 1, 1), one[:1] * 2)
    z = torch.rand(4, 5, dtype=torch.complex64)
    assert not kernels.usable(torch.empty(2, 4, 5, dtype=torch.complex64), [z, z.conj()])  # a pending conjugation
    assert kernels.usable(torch.empty(2, 4, 5, dtype=torch.complex64), [z, z])
    # same_dtype: the caller checked the rows' dtypes, the first row's is still compared with out's
    assert kernels.usable(out, good, same_dtype=True)
    assert not kernels.usable(out.double(), good, same_dtype=True)
    # the rows of one batch tensor
    x = torch.rand(3, 4, 5)
    assert kernels.usable(out, kernels.StackedRows(x))
    assert not kernels.usable(out, kernels.StackedRows(x.double()))
    assert not kernels.usable(out, kernels.StackedRows(torch.rand(3, 5, 4)))
    assert not kernels.usable(out, kernels.StackedRows(torch.rand(3, 5, 4).transpose(1, 2)))


@needs_kernels
def test_kernel_argument_errors():
    out = torch.empty(2, 3)
    rows = [torch.zeros(3), torch.zeros(3)]
    with pytest.raises(ValueError, match="outside"):
        kernels.lerp_rows(out, rows, [0, 2], 0.5, mode=0)
    with pytest.raises(ValueError, match="weights"):
        kernels.lerp_rows(out, rows, [1, 0], [0.5], mode=0)
    with pytest.raises(ValueError, match="perm"):
        kernels.lerp_rows(out, rows, [1], 0.5, mode=0)
    with pytest.raises(ValueError, match="outside the sample"):
        kernels.cut_rows(torch.empty(2, 2, 3), [torch.zeros(2, 3)] * 2, [1, 0], [(0, 3, 0, 1), None], copy=True)
    with pytest.raises(ValueError, match="256"):
        kernels.blend_rows_u8(
            torch.empty(2, 3, dtype=torch.uint8), [torch.zeros(3, dtype=torch.uint8)] * 2, [1, 0], 300
        )


def _batch(shape, dtype, n=24, seed=0, channels_last=False):
    gen = torch.Generator().manual_seed(seed)
    if channels_last:  # channel-first views of (H, W, C) memory, as torch.from_numpy(hwc).permute(2, 0, 1)
        shape = (*shape[1:], shape[0])
    if dtype == torch.uint8:
        xs = [torch.randint(0, 256, shape, generator=gen, dtype=dtype) for _ in range(n)]
    else:
        xs = [torch.randn(shape, generator=gen).to(dtype) for _ in range(n)]
    if channels_last:
        xs = [x.permute(2, 0, 1) for x in xs]
    return KeyedBatch([(x, i % 10) for i, x in enumerate(xs)], seed=3, epoch=1, indices=list(range(50, 50 + n)))


COLLATES = [
    lambda: MixUp(10, alpha=0.8, seed=1),
    lambda: MixUp(10, alpha=0.8, per_sample=True, seed=1),
    lambda: CutMix(10, alpha=1.0, seed=1),
    lambda: CutMix(10, alpha=1.0, per_sample=True, seed=1),
    lambda: MixUpOrCutMix(10, per_sample=True, seed=1),
]


@needs_kernels
@pytest.mark.parametrize("make", COLLATES)
@pytest.mark.parametrize(
    "shape,dtype,channels_last",
    [
        ((3, 8, 8), torch.float32, False),
        ((3, 8, 8), torch.uint8, False),
        ((3, 80, 80), torch.float32, False),
        ((2, 50), torch.float32, False),
        ((3, 8, 8), torch.float32, True),  # channel-first views of (H, W, C) memory
        ((3, 8, 8), torch.uint8, True),
        ((3, 80, 80), torch.float32, True),
        ((3, 160, 160), torch.float32, False),  # row-wise MixUp: lerp(partner, own, lam)
        ((3, 160, 160), torch.float32, True),
    ],
)
def test_collates_give_the_same_bits_with_and_without_kernels(make, shape, dtype, channels_last, monkeypatch):
    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)  # as in a DataLoader worker: large batches too
    batch = _batch(shape, dtype, channels_last=channels_last)
    assert kernels.usable(torch.empty(len(batch), *shape, dtype=dtype), [x for x, _ in batch])
    fast = make()(batch)
    monkeypatch.setattr(kernels, "usable", lambda out, rows, **kw: False)
    slow = make()(batch)
    assert torch.equal(fast[0], slow[0]) and torch.equal(fast[1], slow[1])


@needs_kernels
@pytest.mark.parametrize("side", [4, 300])  # chunked and row-wise torch paths (3 x 300 x 300 float32: 1 MiB rows)
def test_functional_api_same_bits(side, monkeypatch):
    rows = [torch.randn(3, side, side, generator=torch.Generator().manual_seed(i)) for i in range(6)]
    perm, lam = [5, 0, 1, 2, 3, 4], [0.1, 0.9, 0.5, 1.0, 0.3, 0.7]
    monkeypatch.setattr(kernels, "usable", lambda out, rows, **kw: False)
    slow = F.stack_mixup(rows, perm, lam)
    slow_cut = F.stack_cutmix(rows, perm, (1, 3, 0, 2))
    monkeypatch.undo()
    assert F.is_rowwise(rows[0]) == (side == 300)
    assert torch.equal(F.stack_mixup(rows, perm, lam), slow)
    assert torch.equal(F.stack_cutmix(rows, perm, (1, 3, 0, 2)), slow_cut)


def test_threaded_large_batches_take_the_torch_path(monkeypatch):
    big = torch.empty(2, kernels.THREADED_BYTES // 8 + 1)
    rows = [torch.zeros(big.shape[1]), torch.zeros(big.shape[1])]
    monkeypatch.setattr(torch, "get_num_threads", lambda: 4)
    assert not kernels.usable(big, rows)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    assert kernels.usable(big, rows) == kernels.AVAILABLE


def test_mixup_kernel_orientation_matches_numpy_reference():
    """An independent reference: lam * x_i + (1 - lam) * x_partner in float64 is within one float32 ulp."""
    rows = [torch.rand(3, 32, 32, generator=torch.Generator().manual_seed(i)) for i in range(8)]
    perm = np.roll(np.arange(8), 1).tolist()
    out = F.stack_mixup(rows, perm, 0.37)
    ref = np.stack([0.37 * rows[i].double().numpy() + 0.63 * rows[perm[i]].double().numpy() for i in range(8)])
    assert np.allclose(out.numpy(), ref, rtol=2**-22, atol=2**-24)


@needs_kernels
@pytest.mark.parametrize("eps", [0.0, 0.1, 0.37])
@pytest.mark.parametrize("lam", [0.3, [0.1, 0.5, 0.99, 1.0, 0.0, 0.7]])
@pytest.mark.parametrize("perm", [None, [5, 0, 1, 2, 3, 4], [1, 0, 3, 2, 5, 4]])
def test_one_hot_equals_mixed_one_hot(eps, lam, perm):
    targets = [3, 0, 3, 9, 9, 1]  # repeated classes: a row may get both weights on one class
    got = kernels.one_hot(targets, 10, perm, lam, eps)
    want = F.mixed_one_hot(np.array(targets), 10, perm, lam, label_smoothing=eps)
    assert got is not None and torch.equal(got, want)


@needs_kernels
@pytest.mark.parametrize("targets", [[0, 10], [0, -1], [0, True], [0, np.int64(1)], [0, 1.0], [0, 2**70], []])
def test_one_hot_declines_what_the_checked_path_must_name(targets):
    assert kernels.one_hot(targets, 10, None, 1.0, 0.0) is None


@needs_kernels
@pytest.mark.parametrize("dtype", [torch.float32, torch.uint8, torch.int16, torch.float64])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_channels_last_rows_are_rearranged(dtype, channels):
    gen = torch.Generator().manual_seed(channels)
    hwc = [(torch.rand(5, 7, channels, generator=gen) * 200).to(dtype) for _ in range(4)]
    rows = [x.permute(2, 0, 1) for x in hwc]
    p = [2, 3, 1, 0]
    out = torch.empty(4, channels, 5, 7, dtype=dtype)
    assert kernels.usable(out, rows)
    assert kernels.cut_rows(out, rows, p, [(1, 4, 2, 6), None, (0, 5, 0, 7), (2, 3, 3, 4)], copy=True)
    want = torch.stack(rows).clone()
    for i, b in enumerate([(1, 4, 2, 6), None, (0, 5, 0, 7), (2, 3, 3, 4)]):
        if b is not None:
            want[i, :, b[0] : b[1], b[2] : b[3]] = rows[p[i]][:, b[0] : b[1], b[2] : b[3]]
    assert torch.equal(out, want)
    assert kernels.cut_rows(out, rows, p, [None] * 4, copy=True)  # no box at all: a plain stack
    assert torch.equal(out, torch.stack(rows))
    if dtype == torch.float32:
        kernels.lerp_rows(out, rows, p, [0.2, 0.6, 0.9, 0.4], mode=0)
        assert torch.equal(
            out, torch.stack([torch.lerp(rows[i], rows[p[i]], w) for i, w in enumerate([0.2, 0.6, 0.9, 0.4])])
        )
    if dtype == torch.uint8:
        kernels.blend_rows_u8(out, rows, p, [0, 100, 200, 256])
        for i, w in enumerate([0, 100, 200, 256]):
            assert torch.equal(out[i].long(), (w * rows[i].long() + (256 - w) * rows[p[i]].long() + 128) >> 8)


IN_PLACE = [  # (collate, whether it mixes the base collate's batch in place)
    (lambda base: MixUp(10, alpha=0.8, seed=1, base_collate=base), True),
    (lambda base: MixUp(10, alpha=0.8, per_sample=True, seed=1, base_collate=base), True),
    (lambda base: CutMix(10, alpha=1.0, seed=1, base_collate=base), True),
    (lambda base: CutMix(10, alpha=1.0, per_sample=True, seed=1, base_collate=base), True),
    (lambda base: MixUpOrCutMix(10, seed=1, base_collate=base), True),
    # both kinds in one batch: the CutMix boxes come from the unmixed rows, so it mixes into a new batch
    (lambda base: MixUpOrCutMix(10, per_sample=True, seed=1, base_collate=base), False),
]


@needs_kernels
@pytest.mark.parametrize("make,expect_in_place", IN_PLACE)
@pytest.mark.parametrize("dtype", [torch.float32, torch.uint8])
@pytest.mark.parametrize("side", [6, 160])  # chunked and row-wise (float32 rows of 256 KiB or more) MixUp
def test_mixing_a_base_collates_batch_in_place_gives_the_same_bits(make, expect_in_place, dtype, side, monkeypatch):
    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)  # as in a DataLoader worker
    from collate import BatchStage
    from loaders.image import Cutout

    made: list[torch.Tensor] = []

    class Spy(BatchStage):
        def __call__(self, batch):
            out = super().__call__(batch)
            made.append(out[0])
            return out

    for seed in range(4):  # several draws: pairings with cycles of every length
        batch = _batch((3, side, side), dtype, n=13, seed=seed)
        stage = Spy(Cutout(size=0.3, p=0.5))
        in_place = make(stage)(batch)
        mixed_where_it_lies = in_place[0].data_ptr() == made[-1].data_ptr()
        monkeypatch.setattr(Spy, "mix_in_place", False)
        copied = make(stage)(batch)
        monkeypatch.setattr(Spy, "mix_in_place", True)
        assert copied[0].data_ptr() != made[-1].data_ptr()
        assert torch.equal(in_place[0], copied[0]) and torch.equal(in_place[1], copied[1])
        assert mixed_where_it_lies == expect_in_place


def test_a_base_collate_without_the_flag_is_never_written_to():
    cached = torch.arange(4 * 2 * 3 * 3, dtype=torch.float32).reshape(4, 2, 3, 3)
    before = cached.clone()

    def base(batch):
        return cached, torch.tensor([s[1] for s in batch])

    batch = KeyedBatch([(cached[i], i) for i in range(4)], seed=0, epoch=0, indices=[0, 1, 2, 3])
    out = MixUp(4, seed=0, base_collate=base)(batch)
    assert torch.equal(cached, before) and not torch.equal(out[0], before)


@needs_kernels
@pytest.mark.parametrize(
    "dtype,fill", [(torch.uint8, 7), (torch.float32, 0.25), (torch.float16, -1.5), (torch.int64, 3)]
)
def test_fill_boxes_matches_slice_assignment(dtype, fill):
    x = torch.zeros(3, 2, 5, 6, dtype=dtype)
    want = x.clone()
    rows, edges = [0, 2, 2], ([1, 0, 4], [4, 5, 4], [2, 0, 1], [6, 1, 3])  # the last box is empty
    assert kernels.fill_boxes(x, rows, edges, fill)
    for j, a, b, c, d in zip(rows, *edges, strict=True):
        want[j, :, a:b, c:d] = fill
    assert torch.equal(x, want)
    with pytest.raises(ValueError, match="outside"):
        kernels.fill_boxes(x, [0], ([0], [6], [0], [1]), fill)
    with pytest.raises(ValueError, match="rows"):
        kernels.fill_boxes(x, [3], ([0], [1], [0], [1]), fill)


@needs_kernels
@pytest.mark.parametrize("box", [(1, 4, 2, 9), (0, 0, 0, 0), (3, 7)])
def test_one_box_for_the_batch_equals_the_same_box_per_row(box):
    rows = [torch.rand(2, 6, 9, generator=torch.Generator().manual_seed(i)) for i in range(5)]
    p = [1, 2, 0, 3, 3]  # row 3 is its own partner
    one, each = torch.empty(5, 2, 6, 9), torch.empty(5, 2, 6, 9)
    assert kernels.cut_rows(one, rows, p, box, copy=True)
    assert kernels.cut_rows(each, rows, p, [box] * 5, copy=True)
    assert torch.equal(one, each) and torch.equal(one[3], rows[3])


@needs_kernels
def test_untrusted_calls_refuse_what_would_read_out_of_bounds():
    out = torch.empty(2, 3)
    with pytest.raises(ValueError, match="usable"):
        kernels.lerp_rows(out, [torch.zeros(3), torch.zeros(2)], [1, 0], 0.5, mode=0)  # a short row
    with pytest.raises(ValueError, match="usable"):
        kernels.cut_rows(torch.empty(2, 1, 3), [torch.zeros(1, 3)], [0], [None], copy=True)  # one row for two
    with pytest.raises(TypeError, match="uint8"):
        kernels.blend_rows_u8(out, [torch.zeros(3), torch.zeros(3)], [1, 0], 128)
    with pytest.raises(ValueError, match="usable"):
        kernels.stack_rows(out, [torch.zeros(3), torch.zeros(3, dtype=torch.float64)])
