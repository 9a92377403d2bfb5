"""MixUp / CutMix / MixUpOrCutMix collates: identities, structures, keys, workers, errors."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from collate import CutMix, MixUp, MixUpOrCutMix
from collate import functional as F
from collate.mix import DEFAULT_PAIR_REDUCE
from loaders.keys import KeyedBatch

ALL = [MixUp, CutMix, MixUpOrCutMix]


def _samples(b, shape=(3, 6, 10), k=5, dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(b):
        x = torch.randint(0, 256, shape, generator=g)
        out.append((x.to(dtype) if not dtype.is_floating_point else (x / 255).to(dtype), (3 * i + 1) % k))
    return out


def _reference(samples, params, k, per_sample, eps=0.0):
    """Rebuild the expected batch from the reported draw, with plain torch ops (float64)."""
    xs = torch.stack([s[0] for s in samples]).double()
    y = F.soft_targets([s[1] for s in samples], k, label_smoothing=eps, dtype=torch.float64)
    n = len(samples)
    perm = params["perm"]
    modes = params["mode"] if per_sample else [params["mode"]] * n
    lams = params["lam"] if per_sample else [params["lam"]] * n
    boxes = params["box"] if per_sample else [params["box"]] * n
    out = xs.clone()
    for i in range(n):
        if modes[i] == "mixup":
            out[i] = lams[i] * xs[i] + (1 - lams[i]) * xs[perm[i]]
        elif modes[i] == "cutmix":
            idx = (Ellipsis,) + tuple(slice(a, b) for a, b in zip(boxes[i][0::2], boxes[i][1::2], strict=False))
            out[i][idx] = xs[perm[i]][idx]
    lam_t = torch.tensor(lams, dtype=torch.float64).view(-1, 1)
    y_ref = lam_t * y + (1 - lam_t) * y[perm]
    return out, y_ref


@pytest.mark.parametrize("cls", ALL)
@pytest.mark.parametrize("per_sample", [False, True])
def test_matches_reference_from_reported_draw(cls, per_sample):
    k = 5
    for b in (1, 2, 7):
        samples = _samples(b, k=k)
        for seed in range(6):
            x, y, params = cls(k, per_sample=per_sample, seed=seed, return_params=True)(samples)
            x_ref, y_ref = _reference(samples, params, k, per_sample)
            torch.testing.assert_close(x.double(), x_ref, rtol=1e-6, atol=1e-6)
            torch.testing.assert_close(y.double(), y_ref, rtol=1e-6, atol=1e-7)
            assert x.dtype == torch.float32 and y.dtype == torch.float32 and y.shape == (b, k)
            torch.testing.assert_close(y.sum(1), torch.ones(b))
            assert sorted(params["perm"]) == list(range(b))


@pytest.mark.parametrize("cls", ALL)
def test_cross_entropy_identity(cls):
    """CE with the soft targets == lam * CE(pred, y_a) + (1 - lam) * CE(pred, y_b)."""
    k, b = 6, 9
    samples = _samples(b, k=k)
    labels = torch.tensor([s[1] for s in samples])
    pred = torch.randn(b, k, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    ce = nn.CrossEntropyLoss()
    seen = set()
    for seed in range(8):
        _, y, params = cls(k, seed=seed, return_params=True, target_dtype=torch.float64)(samples)
        lam, perm = params["lam"], params["perm"]
        seen.add(params["mode"])
        expected = lam * ce(pred, labels) + (1 - lam) * ce(pred, labels[perm])
        torch.testing.assert_close(ce(pred, y), expected, rtol=1e-12, atol=1e-12)
    assert "none" not in seen


def test_cross_entropy_identity_per_sample():
    k, b = 4, 6
    samples = _samples(b, k=k)
    labels = torch.tensor([s[1] for s in samples])
    pred = torch.randn(b, k, dtype=torch.float64)
    _, y, params = MixUpOrCutMix(k, per_sample=True, seed=3, return_params=True, target_dtype=torch.float64)(samples)
    lam = torch.tensor(params["lam"], dtype=torch.float64)
    ce = nn.CrossEntropyLoss(reduction="none")
    expected = lam * ce(pred, labels) + (1 - lam) * ce(pred, labels[params["perm"]])
    torch.testing.assert_close(ce(pred, y), expected, rtol=1e-12, atol=1e-12)
    assert set(params["mode"]) == {"mixup", "cutmix"}


@pytest.mark.parametrize("shape", [(3, 7, 19), (1, 40, 9)])
def test_cutmix_non_square_axes_and_exact_area(shape):
    # sample i is constant i: the number of cells that changed is the box area
    b = 4
    samples = [(torch.full(shape, float(i)), i) for i in range(b)]
    H, W = shape[-2:]
    for seed in range(10):
        x, y, params = CutMix(b, seed=seed, return_params=True)(samples)
        y0, y1, x0, x1 = params["box"]
        assert 0 <= y0 <= y1 <= H and 0 <= x0 <= x1 <= W
        for i, j in enumerate(params["perm"]):
            changed = int((x[i] != i).sum()) // shape[0]
            area = (y1 - y0) * (x1 - x0) if j != i else 0
            assert changed == area
            if j != i and area:
                assert torch.all(x[i][:, y0:y1, x0:x1] == j)
        assert params["lam"] == pytest.approx(1 - (y1 - y0) * (x1 - x0) / (H * W))


def test_cutmix_1d_signals_and_spectrograms():
    sig = [(torch.full((2, 100), float(i)), i) for i in range(3)]  # (C, T)
    x, y, params = CutMix(3, seed=1, return_params=True)(sig)
    t0, t1 = params["box"]
    assert len(params["box"]) == 2 and x.shape == (3, 2, 100)
    assert params["lam"] == pytest.approx(1 - (t1 - t0) / 100)
    spec = [(torch.full((1, 16, 50), float(i)), i) for i in range(3)]  # (C, F, T)
    x, y, params = CutMix(3, seed=1, return_params=True)(spec)
    f0, f1, t0, t1 = params["box"]
    assert f1 <= 16 and t1 <= 50 and params["lam"] == pytest.approx(1 - (f1 - f0) * (t1 - t0) / 800)
    x, y, params = CutMix(3, seed=1, cut_dims=1, return_params=True)(spec)  # time segments of a spectrogram
    assert len(params["box"]) == 2
    mono = [(torch.zeros(100), 0), (torch.ones(100), 1)]
    x, y, params = CutMix(2, seed=0, cut_dims=1, return_params=True)(mono)
    assert x.shape == (2, 100)


def test_batch_of_one_and_odd_batches():
    ((x0, _),) = _samples(1)
    for cls in ALL:
        x, y = cls(5, seed=0)([(x0, 2)])
        assert torch.equal(x[0], x0) and y.tolist() == [[0, 0, 1, 0, 0]]
        x, y = cls(5, seed=0)(_samples(5))
        assert x.shape[0] == 5 and y.shape == (5, 5)


@pytest.mark.parametrize("cls", ALL)
def test_p_zero_gives_stack_and_one_hot(cls):
    samples = _samples(6, k=4)
    for per_sample in (False, True):
        x, y, params = cls(4, p=0.0, per_sample=per_sample, label_smoothing=0.2, return_params=True)(samples)
        assert torch.equal(x, torch.stack([s[0] for s in samples]))
        ref = F.soft_targets([s[1] for s in samples], 4, label_smoothing=0.2)
        torch.testing.assert_close(y, ref)
        assert params["mode"] == "none" or set(params["mode"]) == {"none"}


def test_switch_prob_extremes():
    samples = _samples(4)
    for seed in range(5):
        assert MixUpOrCutMix(5, switch_prob=0.0, seed=seed, return_params=True)(samples)[2]["mode"] == "mixup"
        assert MixUpOrCutMix(5, switch_prob=1.0, seed=seed, return_params=True)(samples)[2]["mode"] == "cutmix"


def test_p_is_a_probability_per_batch_and_per_sample():
    samples = _samples(8)
    mixed = sum(MixUp(5, p=0.3, seed=s, return_params=True)(samples)[2]["mode"] == "mixup" for s in range(300))
    assert 60 <= mixed <= 120  # Binomial(300, 0.3): mean 90, sd 7.9
    modes = [
        m for s in range(40) for m in MixUp(5, p=0.3, per_sample=True, seed=s, return_params=True)(samples)[2]["mode"]
    ]
    assert 0.2 <= modes.count("mixup") / len(modes) <= 0.4


def test_lambda_distribution_is_beta():
    from scipy import stats

    samples = _samples(2)
    lams = [MixUp(5, alpha=0.4, seed=s, return_params=True)(samples)[2]["lam"] for s in range(400)]
    assert stats.kstest(lams, stats.beta(0.4, 0.4).cdf).pvalue > 1e-3


def test_soft_and_multi_hot_targets():
    x = torch.zeros(2, 3, 3)
    samples = [(x, torch.tensor([0.25, 0.75, 0.0])), (x + 1, [1, 0, 1]), (x + 2, 2)]
    _, y, params = MixUp(3, seed=0, return_params=True)(samples)
    rows = torch.tensor([[0.25, 0.75, 0.0], [0.5, 0.0, 0.5], [0.0, 0.0, 1.0]])
    lam, perm = params["lam"], params["perm"]
    torch.testing.assert_close(y, lam * rows + (1 - lam) * rows[perm])


def test_uint8_and_half_dtypes_kept():
    for dtype in (torch.uint8, torch.float16, torch.bfloat16):
        samples = _samples(5, dtype=dtype)
        for cls in ALL:
            x, y, params = cls(5, seed=1, per_sample=True, return_params=True)(samples)
            assert x.dtype == dtype and y.dtype == torch.float32
            x_ref, _ = _reference(samples, params, 5, True)
            tol = {torch.uint8: 0.5 + 1e-6, torch.float16: 2e-3, torch.bfloat16: 1e-2}[dtype]
            assert float((x.double() - x_ref).abs().max()) <= tol
    _, y = MixUp(5, seed=0, target_dtype=torch.float16)(_samples(3))
    assert y.dtype == torch.float16


def test_numpy_inputs():
    samples = [(np.full((3, 4, 4), i, dtype=np.uint8), i) for i in range(3)]
    x, y = MixUp(3, seed=0)(samples)
    assert x.dtype == torch.uint8 and x.shape == (3, 3, 4, 4)


# --------------------------------------------------------------------------- structures
def test_dict_samples_default_keys_and_passthrough():
    samples = [{"image": torch.rand(3, 4, 4), "label": i, "id": f"s{i}", "w": torch.tensor(float(i))} for i in range(3)]
    out = MixUpOrCutMix(3, seed=0, return_params=True)(samples)
    assert list(out) == ["image", "label", "id", "w", "mix_params"]
    assert out["id"] == ["s0", "s1", "s2"] and out["w"].tolist() == [0.0, 1.0, 2.0]
    assert out["label"].shape == (3, 3)


def test_dict_key_rules():
    samples = [{"x": torch.rand(2), "y": 0}, {"x": torch.rand(2), "y": 1}]
    with pytest.raises(ValueError, match="cannot tell the input.*pass input_key="):
        MixUp(2)(samples)
    out = MixUp(2, input_key="x", target_key="y", seed=0)(samples)
    assert out["y"].shape == (2, 2)
    both = [{"image": torch.rand(2), "input": torch.rand(2), "label": 0}]
    with pytest.raises(ValueError, match="several of"):
        MixUp(2)(both)
    with pytest.raises(ValueError, match="input_key='nope' is not a key of dict sample 0"):
        MixUp(2, input_key="nope")(samples)
    with pytest.raises(TypeError, match="use an int position for tuple samples"):
        MixUp(2, input_key="image")([(torch.rand(2), 0)])


def test_tuple_extra_fields_and_list_samples():
    samples = [(torch.rand(2, 3), i, torch.tensor(i * 10)) for i in range(3)]
    x, y, extra = MixUp(3, seed=0)(samples)
    assert extra.tolist() == [0, 10, 20]
    out = MixUp(3, seed=0)([list(s) for s in samples])
    assert isinstance(out, list) and len(out) == 3
    # target first, input second: the output keeps the positions, the draw is the same
    y2, x2, e2 = MixUp(3, seed=0, input_key=1, target_key=0)([(s[1], s[0], s[2]) for s in samples])
    assert torch.equal(x2, x) and torch.equal(y2, y) and torch.equal(e2, extra)


def test_namedtuple_samples_keep_their_type():
    from collections import namedtuple

    Sample = namedtuple("Sample", "image label")
    out = CutMix(3, seed=0)([Sample(torch.rand(1, 4, 4), i) for i in range(3)])
    assert type(out) is Sample and out.label.shape == (3, 3)


def _pad_collate(samples):
    """A tiny stand-in for collate.PadCollate: pads the last dim, returns (x, y, lengths)."""
    t = max(s[0].shape[-1] for s in samples)
    x = torch.zeros(len(samples), *samples[0][0].shape[:-1], t)
    for i, s in enumerate(samples):
        x[i, ..., : s[0].shape[-1]] = s[0]
    return x, torch.tensor([s[1] for s in samples]), torch.tensor([s[0].shape[-1] for s in samples])


def _pad_collate_dict(samples):
    x, y, lengths = _pad_collate([(s["input"], s["target"]) for s in samples])
    return {"input": x, "target": y, "lengths": lengths, "mask": torch.arange(x.shape[-1]) < lengths[:, None]}


def test_base_collate_and_pair_reduce():
    samples = [(torch.ones(1, n), i) for i, n in enumerate([3, 8, 5, 2])]
    x, y, lengths, params = MixUp(4, seed=0, base_collate=_pad_collate, pair_reduce={2: "max"}, return_params=True)(
        samples
    )
    raw = torch.tensor([3, 8, 5, 2])
    perm = params["perm"]
    assert lengths.tolist() == [max(raw[i], raw[j]) if j != i else raw[i] for i, j in enumerate(perm)]
    ref = _pad_collate(samples)[0]
    lam = params["lam"]
    torch.testing.assert_close(x, lam * ref + (1 - lam) * ref[perm])
    # without pair_reduce for the position, lengths pass through unchanged
    _, _, lengths2 = MixUp(4, seed=0, base_collate=_pad_collate)(samples)
    assert lengths2.tolist() == raw.tolist()
    # dict output: lengths -> max and mask -> or by default
    ds = [{"input": torch.ones(1, n), "target": i} for i, n in enumerate([3, 8, 5, 2])]
    out = MixUp(4, seed=0, base_collate=_pad_collate_dict, return_params=True)(ds)
    perm = out["mix_params"]["perm"]
    assert out["lengths"].tolist() == [max(raw[i], raw[j]) for i, j in enumerate(perm)]
    assert torch.equal(out["mask"], torch.arange(8) < out["lengths"][:, None])
    assert DEFAULT_PAIR_REDUCE == {"lengths": "max", "mask": "or", "attention_mask": "or"}


def test_base_collate_mix_pair_reduce_hint():
    class Pad:
        mix_pair_reduce = {2: "max"}

        def __call__(self, samples):
            return _pad_collate(samples)

    samples = [(torch.ones(1, n), i) for i, n in enumerate([3, 8])]
    _, _, lengths = MixUp(2, seed=0, base_collate=Pad(), p=1.0)(samples)
    assert lengths.tolist() == [8, 8]


# --------------------------------------------------------------------------- keys and workers
def _keyed(samples, epoch=0, knobs=None, indices=None):
    return KeyedBatch(samples, seed=11, epoch=epoch, indices=indices or list(range(len(samples))), knobs=knobs)


@pytest.mark.parametrize("cls", ALL)
def test_keyed_batches_are_deterministic(cls):
    samples = _samples(6)
    kb = _keyed(samples)
    a = cls(5, return_params=True)(kb)
    b = pickle.loads(pickle.dumps(cls(5, return_params=True)))(kb)
    assert a[2] == b[2] and torch.equal(a[0], b[0])
    other_epoch = cls(5, return_params=True)(_keyed(samples, epoch=1))
    assert other_epoch[2] != a[2]
    salted = cls(5, seed=4, return_params=True)(kb)
    assert salted[2] != a[2]


def test_knob_strength_scales_p():
    samples = _samples(4)
    for knobs in ({"mix_strength": 0.0}, {"strength": 0.0}, {"strength": 1.0, "mix_strength": 0.0}):
        for s in range(5):
            assert MixUp(5, return_params=True)(_keyed(samples, epoch=s, knobs=knobs))[2]["mode"] == "none"
    assert (
        MixUp(5, return_params=True)(_keyed(samples, knobs={"mix_strength": 1.0, "strength": 0.0}))[2]["mode"]
        == "mixup"
    )
    with pytest.raises(ValueError, match="mix_strength knob"):
        MixUp(5)(_keyed(samples, knobs={"mix_strength": 2.0}))


class _Tiny(Dataset):
    def __len__(self):
        return 16

    def __getitem__(self, i):
        return torch.full((2, 3), float(i)), i % 4


def _draws(loader):
    return [(round(p["lam"], 12), tuple(p["perm"])) for _, _, p in loader]


def test_workers_draw_differently_with_plain_lists():
    torch.manual_seed(0)
    fn = MixUp(4, seed=0, return_params=True)
    loader = DataLoader(_Tiny(), batch_size=4, num_workers=2, collate_fn=fn)
    epoch1 = _draws(loader)
    epoch2 = _draws(loader)
    # batches 0, 2 come from worker 0 and 1, 3 from worker 1: the workers' first draws differ
    assert epoch1[0] != epoch1[1]
    assert len(set(epoch1)) == 4
    assert epoch1 != epoch2  # non-persistent workers get new seeds every epoch
    torch.manual_seed(0)
    assert _draws(loader) == epoch1  # reproducible under torch.manual_seed
    assert fn._random._rng is None  # the main-process object was never used to draw


def test_main_process_generator_is_seeded_and_advances():
    samples = _samples(4)
    a, b = MixUp(5, seed=3, return_params=True), MixUp(5, seed=3, return_params=True)
    d1 = [a(samples)[2] for _ in range(3)]
    assert d1 == [b(samples)[2] for _ in range(3)]
    assert d1[0] != d1[1]


# --------------------------------------------------------------------------- no mutation, errors
@pytest.mark.parametrize("cls", ALL)
def test_samples_not_mutated(cls):
    for dtype in (torch.float32, torch.uint8):
        samples = _samples(5, dtype=dtype)
        before = [(s[0].clone(), s[1]) for s in samples]
        for per_sample in (False, True):
            cls(5, seed=0, per_sample=per_sample)(samples)
        assert all(torch.equal(a[0], b[0]) and a[1] == b[1] for a, b in zip(samples, before, strict=False))


@pytest.mark.parametrize(
    "batch,err,match",
    [
        ([], ValueError, "empty batch"),
        ([(torch.zeros(3, 4, 4), 0), (torch.zeros(3, 4, 5), 1)], ValueError, r"sample 1 input has shape \(3, 4, 5\)"),
        ([(torch.zeros(3, 4, 4), 0), (torch.zeros(3, 4, 4), 7)], ValueError, r"sample 1 target 7 is out of range"),
        ([(torch.zeros(3, 4, 4), -1)], ValueError, r"sample 0 target -1"),
        ([(torch.zeros(3, 4, 4), [0.5, 0.5])], ValueError, r"sample 0 soft target has width 2, expected num_classes=3"),
        ([(torch.zeros(3, 4, 4), 0), (torch.zeros(3, 4, 4),)], ValueError, r"sample 1 is tuple of length 1"),
        ([torch.zeros(3)], TypeError, r"sample 0 must be a tuple/list"),
        ([("text", 0)], TypeError, r"sample 0 input must be a torch.Tensor"),
    ],
)
def test_bad_batches(batch, err, match):
    with pytest.raises(err, match=match):
        MixUpOrCutMix(3, seed=0)(batch)


def test_cutmix_needs_enough_dims():
    with pytest.raises(ValueError, match=r"CutMix needs inputs of shape \(C, T\).*got shape \(10,\)"):
        CutMix(2, seed=0)([(torch.zeros(10), 0), (torch.zeros(10), 1)])
    with pytest.raises(ValueError, match="cut_dims=2 needs inputs with at least 2 dims"):
        CutMix(2, seed=0, cut_dims=2)([(torch.zeros(10), 0)])
    x, y = MixUp(2, seed=0)([(torch.zeros(10), 0), (torch.ones(10), 1)])  # MixUp is fine with 1-D inputs
    assert x.shape == (2, 10)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"num_classes": 0}, r"num_classes must be in \[1, inf\], got 0"),
        ({"num_classes": 3, "alpha": 0.0}, r"alpha must be in \(0.0, inf\], got 0.0"),
        ({"num_classes": 3, "p": 1.2}, r"p must be in \[0.0, 1.0\], got 1.2"),
        ({"num_classes": 3, "label_smoothing": -0.1}, "label_smoothing"),
    ],
)
def test_argument_messages(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        MixUp(**kwargs)
    with pytest.raises(ValueError, match=r"switch_prob must be in \[0.0, 1.0\], got 2.0"):
        MixUpOrCutMix(3, switch_prob=2.0)
    with pytest.raises(ValueError, match=r"cutmix_alpha must be in \(0.0, inf\], got -1.0"):
        MixUpOrCutMix(3, cutmix_alpha=-1.0)


def test_repr_and_pickle():
    fn = MixUpOrCutMix(10, p=0.5, seed=3)
    assert repr(fn).startswith(
        "MixUpOrCutMix(num_classes=10, mixup_alpha=0.8, cutmix_alpha=1.0, switch_prob=0.5, p=0.5"
    )
    fn(_samples(2))  # creates the process-local generator
    clone = pickle.loads(pickle.dumps(fn))
    assert clone._random._rng is None and repr(clone) == repr(fn)


def test_keyed_loader_same_batches_whatever_num_workers():
    """With AugmentedDataset's KeyedBatchSampler the mixing depends on the batch keys only."""
    from loaders import AugmentedDataset

    data = [(torch.full((1, 4, 4), float(i)), i % 3) for i in range(10)]
    ds = AugmentedDataset(data, seed=5)

    def run(workers):
        ds.set_epoch(2)
        fn = MixUpOrCutMix(3, per_sample=True, return_params=True)
        return list(ds.loader(batch_size=4, shuffle=True, num_workers=workers, collate_fn=fn))

    a, b = run(0), run(2)
    assert len(a) == len(b) == 3
    for (xa, ya, pa), (xb, yb, pb) in zip(a, b, strict=False):
        assert pa == pb and torch.equal(xa, xb) and torch.equal(ya, yb)


# ---------------------------------------------------------------------- fast-path contracts
def _big_path(monkeypatch):
    """Force the row-by-row paths (large samples), which check shapes up front."""
    monkeypatch.setattr(F, "ROW_BYTES", 1)
    monkeypatch.setattr(F, "CUT_ROW_BYTES", 1)


@pytest.mark.parametrize("cls", ALL)
@pytest.mark.parametrize("big", [False, True])
@pytest.mark.parametrize("per_sample", [False, True])
def test_input_errors_name_the_sample_on_every_path(monkeypatch, cls, big, per_sample):
    # small samples rely on torch.stack to reject shapes; the error must still be ours
    if big:
        _big_path(monkeypatch)
    good = [(torch.zeros(3, 4, 4), i % 3) for i in range(4)]
    fn = cls(3, seed=0, per_sample=per_sample)
    for bad, err, match in [
        (torch.zeros(3, 4, 5), ValueError, r"sample 2 input has shape \(3, 4, 5\), expected \(3, 4, 4\)"),
        (torch.zeros(4, 3, 4), ValueError, r"sample 2 input has shape \(4, 3, 4\)"),  # same numel
        (torch.zeros(1, 4, 4), ValueError, r"sample 2 input has shape \(1, 4, 4\)"),  # would broadcast
        (torch.zeros(3, 4, 4, dtype=torch.float64), TypeError, r"sample 2 input has dtype torch.float64"),
    ]:
        batch = list(good)
        batch[2] = (bad, 2)
        with pytest.raises(err, match=match):
            fn(batch)


@pytest.mark.parametrize("cls", ALL)
def test_scratch_buffer_reuse_leaves_earlier_batches_alone(cls):
    """The per-thread scratch for partner rows is reused: earlier outputs must not change, and
    every batch must equal what a fresh collate returns for it."""
    fn = cls(5, seed=0)
    batches = [_keyed(_samples(6, seed=s), epoch=s) for s in range(4)]
    outs = [fn(b) for b in batches]
    kept = [x.clone() for x, _ in outs]
    fn(_keyed(_samples(6, seed=9), epoch=9))
    for (x, y), k, b in zip(outs, kept, batches, strict=False):
        x_ref, y_ref = cls(5, seed=0)(b)
        assert torch.equal(x, k) and torch.equal(x, x_ref) and torch.equal(y, y_ref)
    clone = pickle.loads(pickle.dumps(fn))
    assert clone._tls is None  # scratch buffers never travel with the collate


def test_scratch_buffer_is_per_thread():
    from concurrent.futures import ThreadPoolExecutor

    fn = MixUpOrCutMix(5, seed=1)
    batches = [_keyed(_samples(8, seed=s), epoch=s) for s in range(24)]
    serial = [MixUpOrCutMix(5, seed=1)(b) for b in batches]
    with ThreadPoolExecutor(4) as ex:
        threaded = list(ex.map(fn, batches))
    for (xs, ys), (xt, yt) in zip(serial, threaded, strict=False):
        assert torch.equal(xs, xt) and torch.equal(ys, yt)


# ---------------------------------------------------------------------- CutMix labels over valid lengths
def _clips(lengths, k=4, spec_bins=None, kind="tuple", seed=0):
    g = torch.Generator().manual_seed(seed)
    out = []
    for i, n in enumerate(lengths):
        x = torch.randn(1, n, generator=g) + 3.0 if spec_bins is None else torch.rand(1, spec_bins, n, generator=g) + 1
        out.append((x, (2 * i + 1) % k) if kind == "tuple" else {"input": x, "target": (2 * i + 1) % k})
    return out


def _brute_force_targets(lengths, shape, params, labels, k, per_sample):
    """Count valid cells with explicit boolean masks: own valid cells outside the box, partner's inside."""
    n = len(lengths)
    perm = params["perm"]
    modes = params["mode"] if per_sample else [params["mode"]] * n
    boxes = params["box"] if per_sample else [params["box"]] * n
    masks = []
    for n_i in lengths:
        m = torch.zeros(shape, dtype=torch.bool)
        m[..., :n_i] = True
        masks.append(m)
    y = torch.zeros(n, k, dtype=torch.float64)
    weights = []
    for i in range(n):
        j = perm[i]
        if modes[i] != "cutmix":
            weights.append(None)
            continue
        inbox = torch.zeros(shape, dtype=torch.bool)
        inbox[(Ellipsis,) + tuple(slice(a, b) for a, b in zip(boxes[i][0::2], boxes[i][1::2], strict=False))] = True
        own = int((masks[i] & ~inbox).sum())
        partner = int((masks[j] & inbox).sum())
        weights.append((own, partner))
        if own + partner == 0:
            y[i, labels[i]] = 1.0
        else:
            y[i, labels[i]] += own / (own + partner)
            y[i, labels[j]] += partner / (own + partner)
    return y, weights


@pytest.mark.parametrize("cls", [CutMix, MixUpOrCutMix])
@pytest.mark.parametrize("per_sample", [False, True])
@pytest.mark.parametrize("spec_bins", [None, 5])
def test_cutmix_labels_follow_valid_lengths(cls, per_sample, spec_bins):
    from collate import PadCollate

    lengths = [40, 13, 27, 40, 6, 33]
    samples = _clips(lengths, spec_bins=spec_bins)
    labels = [s[1] for s in samples]
    kw = {"switch_prob": 1.0} if cls is MixUpOrCutMix else {}
    seen = set()
    for seed in range(25):
        fn = cls(4, per_sample=per_sample, seed=seed, base_collate=PadCollate(), return_params=True, **kw)
        x, y, lens, params = fn(samples)
        shape = x.shape[2:]  # (T,) per channel or (F, T)
        ref, weights = _brute_force_targets(lengths, shape, params, labels, 4, per_sample)
        if (params["mode"] if not per_sample else "cutmix") == "none":
            continue
        torch.testing.assert_close(y.double(), ref, atol=1e-6, rtol=0)
        assert isinstance(params["lam"], list) and len(params["lam"]) == len(lengths)
        for i, (lam, w) in enumerate(zip(params["lam"], weights, strict=False)):
            own, partner = w
            assert lam == pytest.approx(1.0 if own + partner == 0 else own / (own + partner))
            box = params["box"][i] if per_sample else params["box"]
            t0, t1 = box[-2], box[-1]
            j = params["perm"][i]
            if t1 > t0 and t0 >= lengths[i] and t0 >= lengths[j]:
                seen.add("box in both paddings")
                assert lam == 1.0 and y[i, labels[i]] == pytest.approx(1.0)
            elif t1 > t0 and t0 >= lengths[j] and t0 < lengths[i]:
                seen.add("partner padding only")
                assert partner == 0 and lam == 1.0
            elif partner and own:
                seen.add("normal")
        # the inputs are the plain CutMix of the padded batch (only the labels change)
        padded = PadCollate()(samples)[0]
        ref_x = padded.clone()
        for i, j in enumerate(params["perm"]):
            box = params["box"][i] if per_sample else params["box"]
            if box is not None:
                idx = (i, Ellipsis) + tuple(slice(a, b) for a, b in zip(box[0::2], box[1::2], strict=False))
                ref_x[idx] = padded[(j,) + idx[1:]]
        assert torch.equal(x, ref_x)
    assert seen == {"box in both paddings", "partner padding only", "normal"}


def test_cutmix_valid_lam_cases():
    # 1-D: box entirely in own padding and partner padding -> own label
    assert F.cutmix_valid_lam((20, 30), (30,), own_len=10, partner_len=15) == 1.0
    # box in own padding, partner has content there: partner weight = its content in the box
    assert F.cutmix_valid_lam((20, 30), (30,), own_len=10, partner_len=25) == 10 / 15
    # box covering partner padding only: partner weight 0, own content in the box is lost
    assert F.cutmix_valid_lam((5, 15), (30,), own_len=30, partner_len=4) == 1.0
    # own content all inside the box and partner has none there: keep own label
    assert F.cutmix_valid_lam((0, 10), (30,), own_len=8, partner_len=0) == 1.0
    # 2-D (F, T) box: height 2 of 4 bins, times 4..10; own 8 frames, partner 6 frames
    own = 4 * 8 - 2 * (8 - 4)
    partner = 2 * (6 - 4)
    assert F.cutmix_valid_lam((1, 3, 4, 10), (4, 12), 8, 6) == own / (own + partner)
    assert F.cutmix_valid_lam(None, (4, 12), 8, 6) == 1.0


def test_full_lengths_give_the_area_lambda():
    """When every clip fills the padded length, valid counting equals the usual box-area lambda."""
    from collate import PadCollate

    samples = _clips([30] * 5)
    for seed in range(5):
        x0, y0, p0 = CutMix(4, seed=seed, return_params=True)(_keyed(samples))
        x1, y1, _, p1 = CutMix(4, seed=seed, base_collate=PadCollate(), return_params=True)(_keyed(samples))
        assert torch.equal(x0, x1) and p0["box"] == p1["box"]
        assert p1["lam"] == pytest.approx([p0["lam"]] * 5)
        torch.testing.assert_close(y0, y1)


def test_without_lengths_the_draw_is_reported_as_before():
    from collate import PadCollate

    samples = _clips([30, 12, 20, 7])
    # no lengths field: lam stays the box-area float of the draw
    _, _, p = CutMix(4, seed=1, base_collate=PadCollate(return_lengths=False), return_params=True)(samples)
    assert isinstance(p["lam"], float) and p["lam"] == 1 - F.box_area(p["box"]) / 30
    # a base collate that does not declare mix_lengths_key: lengths pass through, labels by area
    x, y, lengths, p = CutMix(4, seed=1, base_collate=_pad_collate, return_params=True)(samples)
    assert isinstance(p["lam"], float) and lengths.tolist() == [30, 12, 20, 7]
    # MixUp blends whole padded signals (padding zeros included): lambda is the draw
    _, _, _, p = MixUp(4, seed=1, base_collate=PadCollate(), return_params=True)(samples)
    assert isinstance(p["lam"], float)


def test_bad_lengths_field():
    class Pad:
        mix_lengths_key = 2

        def __init__(self, lengths):
            self.lengths = lengths

        def __call__(self, samples):
            x, y, _ = _pad_collate(samples)
            return x, y, self.lengths

    samples = _clips([30, 12])
    with pytest.raises(ValueError, match=r"sample 1 has length 31 in field 2, outside \[0, 30\]"):
        CutMix(4, seed=0, base_collate=Pad(torch.tensor([30, 31])))(samples)
    with pytest.raises(TypeError, match="integer tensor of shape"):
        CutMix(4, seed=0, base_collate=Pad(torch.tensor([30.0, 12.0])))(samples)
    with pytest.raises(TypeError, match="integer tensor of shape"):
        CutMix(4, seed=0, base_collate=Pad(torch.tensor([30])))(samples)


def test_valid_length_labels_reproducible_through_two_workers():
    from collate import PadCollate
    from loaders import AugmentedDataset

    data = [{"input": d["input"], "target": d["target"]} for d in _clips([9, 30, 4, 17, 25, 12, 30, 2], kind="dict")]
    ds = AugmentedDataset(data, seed=4)

    def run(workers):
        ds.set_epoch(1)
        fn = MixUpOrCutMix(4, switch_prob=0.8, per_sample=True, base_collate=PadCollate(), return_params=True)
        return list(ds.loader(batch_size=4, shuffle=True, num_workers=workers, collate_fn=fn))

    a, b = run(0), run(2)
    assert len(a) == len(b) == 2
    for da, db in zip(a, b, strict=False):
        assert da["mix_params"] == db["mix_params"]
        assert torch.equal(da["input"], db["input"]) and torch.equal(da["target"], db["target"])
        assert torch.equal(da["lengths"], db["lengths"])
        assert torch.allclose(da["target"].sum(1), torch.ones(4))
    lams = [
        lam for d in a for lam, m in zip(d["mix_params"]["lam"], d["mix_params"]["mode"], strict=False) if m == "cutmix"
    ]
    assert lams  # some samples were cut, with valid-length weights


# ---------------------------------------------------------------------- layouts (HWC arrays, HWC tensors)
def _hwc_batch(n=4, h=12, w=10, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), i % 3) for i in range(n)]


@pytest.mark.parametrize("cls", [CutMix, MixUpOrCutMix])
@pytest.mark.parametrize("per_sample", [False, True])
def test_hwc_arrays_are_cut_on_height_and_width(cls, per_sample):
    batch = KeyedBatch(_hwc_batch(), seed=0, epoch=1, indices=[3, 1, 2, 0])
    chw = KeyedBatch(
        [(torch.from_numpy(x).permute(2, 0, 1).contiguous(), t) for x, t in batch],
        seed=0,
        epoch=1,
        indices=[3, 1, 2, 0],
    )
    kw = dict(num_classes=3, seed=4, per_sample=per_sample, return_params=True)
    x, y, params = cls(**kw)(batch)  # numpy arrays: HWC by the layout rule
    x_ref, y_ref, params_ref = cls(**kw, layout="CHW")(chw)
    assert x.shape == (4, 12, 10, 3)
    assert params == params_ref
    assert torch.equal(x, x_ref.permute(0, 2, 3, 1)) and torch.equal(y, y_ref)
    x2, _, _ = cls(**kw, layout="HWC")(
        KeyedBatch([(torch.from_numpy(a), t) for a, t in batch], seed=0, epoch=1, indices=[3, 1, 2, 0])
    )
    assert torch.equal(x2, x)  # HWC tensors when declared


def test_issue_repro_hwc_cutmix_touches_whole_pixels():
    batch = [(np.zeros((32, 32, 3), np.uint8), 0), (np.full((32, 32, 3), 255, np.uint8), 1)]
    x, y, params = CutMix(10, p=1.0, seed=0, return_params=True)(batch)
    y0, y1, x0, x1 = params["box"]
    inside = torch.zeros(32, 32, dtype=torch.bool)
    inside[y0:y1, x0:x1] = True
    assert bool((x[0][inside] == 255).all()) and bool((x[0][~inside] == 0).all())  # all channels of a pixel
    assert y[0, 0].item() == pytest.approx(1 - inside.sum().item() / 1024)


def test_layout_contradictions_and_unambiguous_inputs():
    with pytest.raises(ValueError, match="layout='HWC'"):
        CutMix(3, seed=0)([(torch.zeros(32, 32, 3), 0), (torch.ones(32, 32, 3), 1)])
    with pytest.raises(ValueError, match="layout='CHW'"):  # a (C, F, T) spectrogram array is not HWC
        CutMix(3, seed=0)([(np.zeros((2, 64, 100), np.float32), 0)] * 2)
    out, _ = CutMix(3, seed=0, layout="CHW")([(np.zeros((2, 64, 100), np.float32), 0)] * 2)
    assert out.shape == (2, 2, 64, 100)
    for shape in [(3, 4, 4), (1, 64, 100), (2, 16000), (1, 50)]:  # CHW images, spectrograms, clips
        out, _ = MixUpOrCutMix(3, seed=0)([(torch.rand(shape), 0), (torch.rand(shape), 1)])
        assert out.shape == (2, *shape)
    assert MixUp(3, seed=0)(_hwc_batch())[0].shape == (4, 12, 10, 3)  # MixUp is elementwise
    with pytest.raises(ValueError, match="layout must be"):
        CutMix(3, layout="NHWC")
    with pytest.raises(ValueError, match="cut_dims=1"):
        CutMix(3, layout="HWC", cut_dims=1)
    with pytest.raises(ValueError, match="3-D images"):
        CutMix(3, layout="HWC")([(torch.zeros(2, 50), 0)])


# ---------------------------------------------------------------------- non-finite inputs, cryptic cases
@pytest.mark.parametrize("cls", ALL)
def test_check_finite_names_sample_and_dataset_index(cls):
    xs = [torch.rand(3, 4, 4) for _ in range(4)]
    xs[2][0, 1, 1] = float("nan")
    batch = KeyedBatch([(x, 0) for x in xs], seed=0, epoch=0, indices=[5, 6, 9, 7])
    with pytest.raises(ValueError, match=r"sample 2 \(dataset index 9\) input contains NaN"):
        cls(3, check_finite=True)(batch)
    cls(3)(batch)  # off by default
    xs[2][0, 1, 1] = float("inf")
    with pytest.raises(ValueError, match="contains inf"):
        cls(3, check_finite=True)([(x, 0) for x in xs])
    with pytest.raises(TypeError, match="check_finite must be a bool"):
        cls(3, check_finite=1)


def test_zero_size_inputs_give_a_clear_error():
    from collate import PadCollate

    clips = [(torch.zeros(1, 0), 0), (torch.zeros(1, 0), 1)]
    padded = PadCollate()(clips)
    assert padded[0].shape == (2, 1, 0)  # PadCollate itself pads empty clips to length 0
    for fn in (CutMix(3, seed=0, base_collate=PadCollate()), MixUpOrCutMix(3, seed=0, base_collate=PadCollate())):
        with pytest.raises(ValueError, match="zero-size axis"):
            fn(clips)
    with pytest.raises(ValueError, match="zero-size axis"):
        CutMix(3, seed=0)([(torch.zeros(3, 0, 5), 0)] * 2)
    out, _ = MixUp(3, seed=0)([(torch.zeros(3, 0, 5), 0)] * 2)
    assert out.shape == (2, 3, 0, 5)


def test_negative_strides_object_arrays_none_and_one_element_targets():
    a = np.arange(2 * 3 * 4 * 4, dtype=np.float32).reshape(2, 3, 4, 4)
    flipped = [(x[:, ::-1], i) for i, x in enumerate(a)]
    out, _ = MixUp(3, seed=0, p=0.0)(flipped)
    assert torch.equal(out, torch.from_numpy(np.ascontiguousarray(a[:, :, ::-1])))
    assert a[0, 0, 0, 0] == 0  # the caller's array untouched
    with pytest.raises(TypeError, match="dtype object"):
        MixUp(3)([(np.array([None, 1], dtype=object), 0)])
    with pytest.raises(TypeError, match=r"sample 1 \(dataset index 4\) target is None"):
        MixUp(3)(KeyedBatch([(torch.zeros(2), 0), (torch.zeros(2), None)], indices=[3, 4]))
    with pytest.raises(ValueError, match="pass a scalar"):
        MixUp(3)([(torch.zeros(2), torch.tensor([1])), (torch.zeros(2), torch.tensor([2]))])


def test_shape_and_target_errors_name_the_dataset_index():
    batch = KeyedBatch([(torch.zeros(3, 4, 4), 0), (torch.zeros(3, 4, 5), 1)], seed=0, epoch=0, indices=[10, 11])
    with pytest.raises(ValueError, match=r"sample 1 \(dataset index 11\) input has shape \(3, 4, 5\)"):
        MixUp(3)(batch)
    big = KeyedBatch([(torch.zeros(3, 128, 128), 0), (torch.zeros(3, 128, 127), 1)], indices=[10, 11])
    with pytest.raises(ValueError, match=r"dataset index 11"):
        CutMix(3)(big)
    bad = KeyedBatch([(torch.zeros(2), 0), (torch.zeros(2), 7)], indices=[10, 11])
    with pytest.raises(ValueError, match=r"sample 1 \(dataset index 11\) target 7 is out of range"):
        MixUp(3)(bad)
    keys = KeyedBatch([{"image": torch.zeros(2), "label": 0}, {"image": torch.zeros(2), "y": 0}], indices=[1, 2])
    with pytest.raises(ValueError, match=r"sample 1 \(dataset index 2\) has keys"):
        MixUp(3)(keys)


@pytest.mark.parametrize("cls", ALL)
def test_state_of_earlier_versions_loads(cls):
    # a collate pickled before the randomness module, pairing, layout, check_finite and the switch existed
    state = dict(vars(cls(num_classes=5, seed=3)))
    for name in ("_random", "_mixing_flag", "pairing", "check_finite", "layout"):
        state.pop(name, None)
    state.update(_rng=None, _pid=None)
    old = cls.__new__(cls)
    old.__setstate__(state)
    assert old.mixing and old.pairing == "derangement" and old.layout is None and not old.check_finite
    x, y = old(_samples(4))
    assert x.shape == (4, 3, 6, 10) and torch.allclose(y.sum(1), torch.ones(4))


@pytest.mark.parametrize("per_sample", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_check_finite_finds_values_cut_out_of_a_sample(per_sample, dtype):
    # a NaN inside the sample's own CutMix box leaves its row; it must still be found
    batch = KeyedBatch(
        [(torch.rand(3, 16, 16).to(dtype), i % 3) for i in range(6)], seed=0, epoch=0, indices=[10, 11, 12, 13, 14, 15]
    )
    fn = CutMix(3, seed=2, per_sample=per_sample, return_params=True)
    _, _, params = fn(batch)
    i = 4
    y0, y1, x0, x1 = params["box"][i] if per_sample else params["box"]
    assert y1 > y0 and x1 > x0
    batch[i][0][1, y0, x0] = float("nan")
    with pytest.raises(ValueError, match=r"sample 4 \(dataset index 14\) input contains NaN"):
        CutMix(3, seed=2, per_sample=per_sample, check_finite=True)(batch)
    big = [(torch.full((3, 8, 8), 6e4, dtype=dtype), 0) for _ in range(4)]  # a half sum would overflow: no alarm
    CutMix(3, seed=0, check_finite=True)(big)


def test_cutmix_on_albumentations_hwc_arrays_through_a_loader():
    import albumentations as A

    from loaders import AugmentedDataset
    from loaders.image import Albumentations

    rng = np.random.default_rng(0)
    data = [(rng.integers(0, 256, (24, 20, 3), dtype=np.uint8), i % 3) for i in range(8)]
    ds = AugmentedDataset(data, Albumentations(A.HorizontalFlip(p=1.0), to_tensor=False), seed=0)
    fn = CutMix(3, seed=1, per_sample=True, return_params=True)
    for x, y, params in DataLoader(ds, batch_size=4, collate_fn=fn):
        assert x.shape == (4, 24, 20, 3)  # HWC kept, box on H and W
        for i, (box, lam) in enumerate(zip(params["box"], params["lam"], strict=True)):
            y0, y1, x0, x1 = box
            assert lam == pytest.approx(1 - (y1 - y0) * (x1 - x0) / (24 * 20))
            assert y[i].max() <= 1.0 and torch.allclose(y.sum(1), torch.ones(4))
