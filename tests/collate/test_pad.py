"""PadCollate: padding, lengths, masks, structures, errors, and composition with MixUp/CutMix."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from collate import CutMix, MixUp, PadCollate
from loaders import AugmentedDataset
from loaders.audio import SpeedChange
from loaders.keys import KeyedBatch
from tests._compare import deep_copy, deep_equal


def _waves(lengths, channels=1, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(channels, n, generator=g, dtype=torch.float64).to(dtype) + 3.0 for n in lengths]


def test_tuple_samples_are_padded_to_the_longest():
    waves = _waves([5, 9, 2], channels=2)
    batch = [(w, i) for i, w in enumerate(waves)]
    x, y, lengths = PadCollate()(batch)
    assert x.shape == (3, 2, 9) and x.dtype == torch.float32
    assert lengths.dtype == torch.long and lengths.tolist() == [5, 9, 2]
    assert y.tolist() == [0, 1, 2]
    for i, w in enumerate(waves):
        n = w.shape[-1]
        assert torch.equal(x[i, :, :n], w)
        assert bool((x[i, :, n:] == 0).all())


def test_multiple_of_mask_and_pad_value():
    waves = _waves([5, 9, 2])
    x, y, lengths, mask = PadCollate(pad_to_multiple_of=8, return_mask=True, pad_value=-2.5)([(w, 0) for w in waves])
    assert x.shape == (3, 1, 16)
    assert mask.dtype == torch.bool and mask.shape == (3, 16)
    assert mask.sum(1).tolist() == [5, 9, 2]
    assert bool((x[:, 0][~mask] == -2.5).all()) and bool((x[:, 0][mask] > 0).all())


def test_dict_samples_keep_keys_and_add_lengths_and_mask():
    waves = _waves([4, 6], seed=1)
    batch = [{"waveform": w[0].double(), "label": i, "speaker": torch.tensor([i, i])} for i, w in enumerate(waves)]
    out = PadCollate(return_mask=True)(batch)
    assert list(out) == ["waveform", "label", "speaker", "lengths", "mask"]
    assert out["waveform"].shape == (2, 6) and out["waveform"].dtype == torch.float64
    assert out["speaker"].tolist() == [[0, 0], [1, 1]]
    assert out["lengths"].tolist() == [4, 6]


def test_token_ids_lists_and_bare_tensors():
    ids = [torch.arange(1, n + 1) for n in (3, 1, 4)]
    padded, lengths = PadCollate(pad_value=0)(ids)
    assert padded.dtype == torch.int64 and padded.tolist() == [[1, 2, 3, 0], [1, 0, 0, 0], [1, 2, 3, 4]]
    assert PadCollate(return_lengths=False)(ids).shape == (3, 4)
    out = PadCollate()([[np.ones(2, np.float32), 1], [np.ones(3, np.float32), 0]])
    assert isinstance(out, list) and out[0].shape == (2, 3) and out[2].tolist() == [2, 3]


def test_input_key_other_position():
    waves = _waves([3, 5])
    x = PadCollate(input_key=1)([(i, w) for i, w in enumerate(waves)])
    assert x[0].tolist() == [0, 1] and x[1].shape == (2, 1, 5) and x[2].tolist() == [3, 5]


def test_no_mutation_of_samples():
    batch = [(w, 1) for w in _waves([3, 7])]
    before = deep_copy(batch)
    PadCollate(return_mask=True)(batch)
    assert deep_equal(batch, before)


@pytest.mark.parametrize(
    "batch,exc,msg",
    [
        ([], ValueError, "empty"),
        ([(torch.ones(1, 3), 0), (torch.ones(2, 3), 1)], ValueError, "sample 1"),
        ([(torch.ones(3), 0), (torch.ones(3, dtype=torch.float64), 1)], ValueError, "sample 1"),
        ([(torch.ones(3), 0, 5)], ValueError, "tuple_size"),
        ([(torch.tensor(1.0), 0)], ValueError, "scalar"),
        ([("text", 0)], TypeError, "tensor or array"),
        ([{"waveform": torch.ones(3), "lengths": 3}], ValueError, "lengths"),
        ([{"x": torch.ones(3), "y": 0}], ValueError, "input_key"),
        ([torch.ones(3, dtype=torch.long)], None, None),
    ],
)
def test_bad_batches_raise(batch, exc, msg):
    if exc is None:
        with pytest.raises(ValueError, match="pad_value"):
            PadCollate(pad_value=0.5)(batch)
        return
    with pytest.raises(exc, match=msg):
        PadCollate()(batch)


def test_mix_pair_reduce_advertises_exact_positions():
    assert PadCollate().mix_pair_reduce == {"lengths": "max", 2: "max"}
    assert PadCollate(return_mask=True, tuple_size=3).mix_pair_reduce == {
        "lengths": "max",
        3: "max",
        "mask": "or",
        4: "or",
    }
    assert PadCollate(tuple_size=None, return_lengths=False).mix_pair_reduce == {}


# --------------------------------------------------------------------------- composition with mixing
def _speed_batch(n=6, seed=0):
    t = SpeedChange(factors=(0.8, 1.25))
    base = _waves([400 + 37 * i for i in range(n)], seed=seed)
    samples = [(t(w, rng=i), i % 3) for i, w in enumerate(base)]
    return KeyedBatch(samples, seed=seed, epoch=0, indices=list(range(n)))


def test_mixup_over_padded_waveforms():
    batch = _speed_batch()
    padded, _, lengths, mask = PadCollate(return_mask=True)(list(batch))
    x, y, mlengths, mmask, params = MixUp(3, alpha=1.0, base_collate=PadCollate(return_mask=True), return_params=True)(
        batch
    )
    assert params["mode"] == "mixup"
    lam, perm = params["lam"], params["perm"]
    assert torch.allclose(x, lam * padded + (1 - lam) * padded[perm], atol=1e-6)
    onehot = torch.nn.functional.one_hot(torch.tensor([s[1] for s in batch]), 3).float()
    assert torch.allclose(y, lam * onehot + (1 - lam) * onehot[perm], atol=1e-6)
    assert torch.allclose(y.sum(1), torch.ones(len(batch)))
    assert mlengths.tolist() == torch.maximum(lengths, lengths[perm]).tolist()
    assert torch.equal(mmask, mask | mask[perm])


def test_cutmix_cuts_time_segments_of_waveforms():
    batch = _speed_batch(seed=3)
    padded, _, lengths = PadCollate()(list(batch))
    x, y, mlengths, params = CutMix(3, base_collate=PadCollate(), return_params=True)(batch)
    if params["mode"] == "none":  # pragma: no cover - p=1 always mixes
        pytest.fail("CutMix with p=1 did not mix")
    (t0, t1), perm = params["box"], params["perm"]
    inside = torch.zeros(padded.shape[-1], dtype=torch.bool)
    inside[t0:t1] = True
    assert torch.equal(x[..., inside], padded[perm][..., inside])
    assert torch.equal(x[..., ~inside], padded[..., ~inside])
    # labels follow the real content: count valid samples with the masks (own outside the box,
    # partner's inside), not the padded length
    valid = torch.arange(padded.shape[-1]) < lengths[:, None]
    own = (valid & ~inside).sum(1).double()
    partner = (valid[perm] & inside).sum(1).double()
    kept = torch.where(own + partner > 0, own / (own + partner).clamp(min=1), torch.ones_like(own))
    assert params["lam"] == pytest.approx(kept.tolist())
    onehot = torch.nn.functional.one_hot(torch.tensor([s[1] for s in batch]), 3).double()
    k = kept[:, None]
    assert torch.allclose(y.double(), k * onehot + (1 - k) * onehot[perm], atol=1e-6)
    assert mlengths.tolist() == torch.maximum(lengths, lengths[perm]).tolist()


class _Clips(torch.utils.data.Dataset):
    def __init__(self, n=12):
        self.waves = _waves([300 + 13 * i for i in range(n)], seed=5)

    def __len__(self):
        return len(self.waves)

    def __getitem__(self, i):
        return self.waves[i], i % 3


def test_two_worker_loader_gives_mixed_padded_batches_reproducibly():
    ds = AugmentedDataset(_Clips(), SpeedChange(factors=[0.9, 1.0, 1.1], discrete=True), seed=7)
    collate_fn = MixUp(3, base_collate=PadCollate(pad_to_multiple_of=16))

    def run(workers):
        loader = ds.loader(
            batch_size=4,
            shuffle=True,
            num_workers=workers,
            collate_fn=collate_fn,
            generator=torch.Generator().manual_seed(0),
        )
        return [tuple(t.clone() for t in b) for b in loader]

    two, zero = run(2), run(0)
    assert len(two) == 3
    for (x, y, lengths), (x0, y0, l0) in zip(two, zero, strict=False):
        assert x.shape[-1] % 16 == 0 and x.shape[-1] >= int(lengths.max())
        assert torch.allclose(y.sum(1), torch.ones(len(y)))
        assert torch.equal(x, x0) and torch.equal(y, y0) and torch.equal(lengths, l0)
    assert not deep_equal(two[0][0], run(0)[1][0])


@settings(max_examples=30, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 40), min_size=1, max_size=6),
    channels=st.integers(1, 3),
    multiple=st.one_of(st.none(), st.integers(1, 16)),
)
def test_unpadding_with_lengths_gives_back_the_samples(lengths, channels, multiple):
    waves = [torch.randn(channels, n) for n in lengths]
    x, y, ls, mask = PadCollate(pad_to_multiple_of=multiple, return_mask=True)([(w, 0) for w in waves])
    assert ls.tolist() == lengths
    if multiple:
        assert x.shape[-1] % multiple == 0
    assert x.shape[-1] >= max(lengths) and (multiple or x.shape[-1] == max(lengths))
    for i, w in enumerate(waves):
        assert torch.equal(x[i, :, : lengths[i]], w)
        assert bool((x[i, :, lengths[i] :] == 0).all())
        assert mask[i].sum() == lengths[i] and bool(mask[i, : lengths[i]].all())


def test_errors_name_the_dataset_index_and_time_channel_clips():
    batch = KeyedBatch([(torch.zeros(2, 5), 0), (torch.zeros(3, 5), 1)], indices=[40, 41])
    with pytest.raises(ValueError, match=r"sample 1 \(dataset index 41\) has shape \(3, 5\).*\(time, channels\)"):
        PadCollate()(batch)
    with pytest.raises(TypeError, match=r"sample 0 \(dataset index 7\): input array has unsupported dtype object"):
        PadCollate()(KeyedBatch([np.array([None], dtype=object)], indices=[7]))
    dicts = KeyedBatch(
        [{"waveform": torch.zeros(3), "label": 0}, {"audio": torch.zeros(3), "label": 0}], indices=[1, 2]
    )
    with pytest.raises(ValueError, match=r"sample 1 \(dataset index 2\) has keys"):
        PadCollate()(dicts)
