"""AugmentedDataset, KeyedBatchSampler and AugmentedIterableDataset in one process.

References are independent of the wrapper: the expected output of sample ``i`` is
computed directly as ``t.apply(x, t.sample(sample_rng(seed, epoch, i)))``.
"""

from __future__ import annotations

import collections
import copy
import pickle

import numpy as np
import pytest
import torch

from loaders import AugmentationError, AugmentedDataset, AugmentedIterableDataset, KeyedBatchSampler, Lambda
from loaders.dataset import TransformOutputError
from loaders.keys import KeyedBatch, SharedValue, sample_rng
from tests._compare import deep_equal
from tests._helpers_data import AddNoise, FailOn, RaisesAugmentationError, RangeDataset, ReturnsNone, ToList


def reference(t, x, seed, epoch, index, strength=1.0):
    return t.apply(x, t.sample(sample_rng(seed, epoch, index), strength=strength))


# -- keys ---------------------------------------------------------------------


def test_sample_matches_independent_reference_and_epoch_changes_it():
    base, t = RangeDataset(6), AddNoise()
    ds = AugmentedDataset(base, t, seed=11)
    for e in (0, 3):
        ds.set_epoch(e)
        for i in range(6):
            x, y = ds[i]
            assert y == i
            assert torch.equal(x, reference(t, base[i][0], 11, e, i))
    ds.set_epoch(0)
    a = ds[2][0]
    ds.set_epoch(1)
    assert not torch.equal(a, ds[2][0])
    assert not torch.equal(ds[2][0], ds[3][0] - 1.0)  # different indices draw differently


def test_seed_none_draws_once_and_pickles():
    ds = AugmentedDataset(RangeDataset(4), AddNoise())
    assert isinstance(ds.seed, int) and ds.seed >= 0
    assert AugmentedDataset(RangeDataset(4), AddNoise()).seed != ds.seed
    ds.set_epoch(2)
    clone = pickle.loads(pickle.dumps(ds))
    assert clone.seed == ds.seed and clone.epoch == 2
    assert torch.equal(clone[1][0], ds[1][0])


def test_getitems_returns_keyed_batch_and_honours_bound_epoch_and_knobs():
    base, t = RangeDataset(6), AddNoise()
    knob = SharedValue(0.25)
    ds = AugmentedDataset(base, t, seed=5, knobs={"strength": knob})
    out = ds.__getitems__([4, 1])
    assert isinstance(out, KeyedBatch) and out.indices == [4, 1] and out.epoch == 0
    assert out.knobs == {"strength": 0.25}
    assert torch.equal(out[0][0], reference(t, base[4][0], 5, 0, 4, strength=0.25))
    # a batch bound at dispatch carries its own epoch and strength
    kb = KeyedBatch([3], seed=5, epoch=7, knobs={"strength": 0.5})
    out = ds.__getitems__(kb)
    assert out.epoch == 7 and out.knobs == {"strength": 0.5}
    assert torch.equal(out[0][0], reference(t, base[3][0], 5, 7, 3, strength=0.5))
    with pytest.raises(ValueError, match="seed 6"):
        ds.__getitems__(KeyedBatch([3], seed=6))


def test_uses_the_base_getitems_when_present():
    calls = []

    class Batched(RangeDataset):
        def __getitems__(self, idx):
            calls.append(list(idx))
            return [self[i] for i in idx]

    ds = AugmentedDataset(Batched(5), AddNoise(), seed=0)
    ds.__getitems__([0, -1])
    assert calls == [[0, 4]]


# -- structures ---------------------------------------------------------------


def test_structures_tuple_list_namedtuple_dict_bare():
    t = Lambda(np.negative)
    x = np.arange(3.0)
    Pair = collections.namedtuple("Pair", "image label")
    cases = [
        ((x, 1), {}, lambda o: isinstance(o, tuple) and deep_equal(o[0], -x) and o[1] == 1),
        ([x, 1], {}, lambda o: isinstance(o, list) and deep_equal(o[0], -x)),
        (Pair(x, 1), {}, lambda o: isinstance(o, Pair) and deep_equal(o.image, -x) and o.label == 1),
        ({"image": x, "label": 1}, {"input_key": "image"}, lambda o: deep_equal(o, {"image": -x, "label": 1})),
        (x, {}, lambda o: deep_equal(o, -x)),
    ]
    for sample, kw, ok in cases:
        before = copy.deepcopy(sample)
        out = AugmentedDataset([sample], t, seed=0, **kw)[0]
        assert ok(out), (sample, out)
        assert deep_equal(
            list(sample) if isinstance(sample, tuple) else sample, list(before) if isinstance(before, tuple) else before
        )  # untouched
    out = AugmentedDataset(["abc"], Lambda(str.upper), seed=0)[0]
    assert out == "ABC"


def test_a_list_of_transforms_runs_as_compose():
    from loaders import Compose

    a = AugmentedDataset(RangeDataset(3), [AddNoise(), AddNoise(0.5)], seed=2)
    b = AugmentedDataset(RangeDataset(3), Compose([AddNoise(), AddNoise(0.5)]), seed=2)
    assert isinstance(a.transform, Compose) and torch.equal(a[1][0], b[1][0])
    with pytest.raises(TypeError, match="batch_sampler"):
        a.loader(batch_size=2, batch_sampler=[[0]])


def test_paired_inputs_and_target_options_share_or_split_draws():
    t = AddNoise()
    img, mask = torch.zeros(3), torch.zeros(3)
    ds = AugmentedDataset([{"image": img, "mask": mask, "y": 0}], t, seed=1, input_key=["image", "mask"])
    o = ds[0]
    assert torch.equal(o["image"], o["mask"]) and not torch.equal(o["image"], img)
    ds = AugmentedDataset([(img, mask)], t, seed=1, transform_target=True)
    o = ds[0]
    assert torch.equal(o[0], o[1])
    ds = AugmentedDataset([(img, mask)], t, seed=1, target_transform=AddNoise())
    o = ds[0]
    rng = sample_rng(1, 0, 0)
    p_in = t.sample(rng)
    p_t = t.sample(rng)  # drawn after the input's, from the same generator
    assert torch.equal(o[0], t.apply(img, p_in)) and torch.equal(o[1], t.apply(mask, p_t))


def test_tensor_dataset_and_hf_dataset():
    base = torch.utils.data.TensorDataset(torch.arange(8.0).view(4, 2), torch.arange(4))
    ds = AugmentedDataset(base, AddNoise(), seed=0)
    x, y = ds[3]
    assert y.item() == 3 and torch.equal(x, reference(AddNoise(), base[3][0], 0, 0, 3))
    datasets = pytest.importorskip("datasets")
    hf = datasets.Dataset.from_dict({"x": [[0.0, 1.0], [2.0, 3.0]], "label": [0, 1]}).with_format("torch")
    ds = AugmentedDataset(hf, AddNoise(), seed=0, input_key="x")
    batch = ds.__getitems__([1, 0])
    assert batch[0]["label"].item() == 1
    assert torch.equal(batch[0]["x"], reference(AddNoise(), hf[1]["x"], 0, 0, 1))
    with pytest.raises(TypeError, match="from_hf"):  # it shards itself: sharding again would drop items
        AugmentedIterableDataset(hf.to_iterable_dataset())


# -- indices ------------------------------------------------------------------


def test_negative_indices_are_normalised_and_out_of_range_is_an_index_error():
    ds = AugmentedDataset(RangeDataset(5), AddNoise(), seed=0)
    assert torch.equal(ds[-1][0], ds[4][0])
    assert ds.__getitems__([-2]).indices == [3]
    assert torch.equal(ds[np.int64(2)][0], ds[torch.tensor(2)][0])
    for bad in (5, -6, 100):
        with pytest.raises(IndexError, match=rf"index {bad} is out of range for a dataset of length 5"):
            ds[bad]
    with pytest.raises(IndexError, match="index 9"):
        ds.__getitems__([0, 9])
    for bad in (1.0, "1", True, slice(0, 2)):
        with pytest.raises(TypeError, match="index must be an int"):
            ds[bad]


# -- errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"transform": 3}, TypeError, "not callable"),
        ({"transform": print}, TypeError, "plain callable"),
        ({"transform": [AddNoise(), print]}, TypeError, "transforms\\[1\\]"),
        ({"seed": "1"}, TypeError, "seed"),
        ({"seed": 1.5}, TypeError, "seed"),
        ({"seed": True}, TypeError, "seed"),
        ({"seed": -1}, ValueError, "seed"),
        ({"knobs": {"strength": 0.5}}, TypeError, "knobs\\['strength'\\]"),
        ({"knobs": [1]}, TypeError, "knobs"),
        ({"transform_target": True, "transform": None}, ValueError, "transform_target"),
        ({"transform_target": True, "target_transform": AddNoise()}, ValueError, "not both"),
        ({"transform_target": 1}, TypeError, "transform_target"),
        ({"input_key": 1.5}, TypeError, "input_key"),
        ({"input_key": []}, ValueError, "input_key"),
        ({"target_transform": AddNoise(), "target_key": None}, ValueError, "target_key"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    kwargs = {"transform": AddNoise(), **kwargs}
    with pytest.raises(exc, match=match):
        AugmentedDataset(RangeDataset(3), **kwargs)


def test_bad_datasets_and_epochs():
    with pytest.raises(TypeError, match="AugmentedIterableDataset"):
        AugmentedDataset(AugmentedIterableDataset([1, 2]))
    with pytest.raises(TypeError, match="map-style"):
        AugmentedDataset(5)
    ds = AugmentedDataset(RangeDataset(3))
    for bad, exc in ((-1, ValueError), (1.0, TypeError), ("2", TypeError)):
        with pytest.raises(exc, match="epoch"):
            ds.set_epoch(bad)


def test_transform_error_names_index_epoch_transform_and_chains_original():
    t = FailOn(3.0)
    ds = AugmentedDataset(RangeDataset(5), t, seed=9)
    ds.set_epoch(4)
    with pytest.raises(AugmentationError) as info:
        ds.__getitems__([1, 3])
    msg = str(info.value)
    assert "sample index 3" in msg and "epoch 4" in msg and repr(t) in msg and "boom at 3.0" in msg
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_augmentation_error_from_a_transform_gets_the_sample_index():
    for tuple_sample in (True, False):
        data = [(torch.zeros(2), 0)] * 3 if tuple_sample else [{"x": torch.zeros(2)}] * 3
        ds = AugmentedDataset(data, RaisesAugmentationError(), seed=0, input_key=0 if tuple_sample else "x")
        with pytest.raises(AugmentationError, match=r"sample index 2 .*NaN in the input") as info:
            ds[2]
        assert isinstance(info.value.__cause__, AugmentationError)


def test_wrong_output_type_is_a_clear_error():
    ds = AugmentedDataset(RangeDataset(3), ReturnsNone(), seed=0)
    with pytest.raises(TransformOutputError, match=r"returned None .*sample index 1") as info:
        ds[1]
    assert isinstance(info.value, TypeError) and isinstance(info.value, AugmentationError)
    ds = AugmentedDataset(RangeDataset(3), ToList(), seed=0)
    with pytest.raises(TransformOutputError, match="list"):
        ds[0]
    assert AugmentedDataset(RangeDataset(3), ToList(), seed=0, check_types=False)[0][0] == [0.0] * 4
    # array kinds may convert (e.g. to a tensor)
    out = AugmentedDataset([(np.zeros(2), 0)], Lambda(torch.from_numpy), seed=0)[0]
    assert isinstance(out[0], torch.Tensor)


def test_missing_input_key_and_dict_without_key():
    with pytest.raises(TypeError, match=r"dict with keys \['x', 'y'\].*input_key"):
        AugmentedDataset([{"x": 1.0, "y": 0}], AddNoise(), seed=0)[0]
    with pytest.raises(KeyError, match="no entry 'img'"):
        AugmentedDataset([{"x": 1.0, "y": 0}], AddNoise(), seed=0, input_key="img")[0]
    with pytest.raises(TypeError, match="bare input"):
        AugmentedDataset([torch.zeros(2)], AddNoise(), seed=0, target_transform=AddNoise())[0]


# -- params -------------------------------------------------------------------


def test_return_params_and_replay():
    t = AddNoise()
    ds = AugmentedDataset(RangeDataset(4), t, seed=2, return_params=True)
    ds.set_epoch(1)
    x, y, log = ds[2]
    assert log == ds.params(2) == ds.params(2, epoch=1)
    assert log["params"] == t.sample(sample_rng(2, 1, 2))
    assert torch.equal(x, t.apply(RangeDataset(4)[2][0], log["params"]))
    pickle.dumps(log)
    o = AugmentedDataset([{"x": torch.zeros(2)}], t, seed=0, input_key="x", return_params=True)[0]
    assert o["aug_params"]["index"] == 0
    o = AugmentedDataset([torch.zeros(2)], t, seed=0, return_params=True)[0]
    assert isinstance(o, tuple) and o[1]["params"] == t.sample(sample_rng(0, 0, 0))


def test_repr_shows_arguments():
    r = repr(AugmentedDataset(RangeDataset(3), AddNoise(), seed=4, knobs={"strength": SharedValue(1.0)}))
    assert r.startswith("AugmentedDataset(") and "seed=4" in r and "AddNoise(" in r and "strength" in r
    assert "seed=4" in repr(AugmentedDataset(RangeDataset(3), seed=4).batch_sampler(2))


# -- KeyedBatchSampler ----------------------------------------------------------


def test_batch_sampler_keys_lengths_and_reproducible_shuffle():
    ds = AugmentedDataset(RangeDataset(10), seed=3)
    s = KeyedBatchSampler(ds, 4)
    batches = list(s)
    assert [list(b) for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] and len(s) == 3
    assert all(b.seed == 3 and b.epoch == 0 and b.indices == list(b) for b in batches)
    assert [list(b) for b in KeyedBatchSampler(ds, 4, drop_last=True)] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(KeyedBatchSampler(ds, 4, drop_last=True)) == 2
    sh = KeyedBatchSampler(ds, 4, shuffle=True)
    e0 = [list(b) for b in sh]
    assert e0 == [list(b) for b in sh] and sorted(sum(e0, [])) == list(range(10))
    ds.set_epoch(1)
    e1 = [list(b) for b in sh]
    assert e1 != e0 and sorted(sum(e1, [])) == list(range(10)) and next(iter(sh)).epoch == 1
    sh.set_epoch(0)  # forwards to the dataset (frameworks call set_epoch on samplers)
    assert ds.epoch == 0 and [list(b) for b in sh] == e0
    ds.set_epoch(1)
    ds2 = AugmentedDataset(RangeDataset(10), seed=4)
    ds2.set_epoch(1)
    assert [list(b) for b in KeyedBatchSampler(ds2, 4, shuffle=True)] != e1  # depends on the seed
    g = torch.Generator().manual_seed(0)
    expect = torch.randperm(10, generator=torch.Generator().manual_seed(0)).tolist()
    assert sum([list(b) for b in KeyedBatchSampler(ds, 4, shuffle=True, generator=g)], []) == expect


def test_batch_sampler_binds_knobs_at_dispatch_and_drives_inner_sampler_epoch():
    knob = SharedValue(0.1)
    ds = AugmentedDataset(RangeDataset(6), seed=0, knobs={"strength": knob})
    it = iter(KeyedBatchSampler(ds, 2))
    b0 = next(it)
    knob.set(0.9)
    b1 = next(it)
    assert b0.knobs == {"strength": 0.1} and b1.knobs == {"strength": 0.9}

    class Inner:
        def __init__(self):
            self.epochs = []

        def set_epoch(self, e):
            self.epochs.append(e)

        def __iter__(self):
            return iter([5, 0, 2])

        def __len__(self):
            return 3

    inner = Inner()
    ds.set_epoch(3)
    assert [list(b) for b in KeyedBatchSampler(ds, 2, sampler=inner)] == [[5, 0], [2]]
    assert inner.epochs == [3]


@pytest.mark.parametrize(
    "kwargs, exc",
    [
        ({"batch_size": 0}, ValueError),
        ({"batch_size": 1.5}, TypeError),
        ({"shuffle": "yes"}, TypeError),
        ({"sampler": [0, 1], "shuffle": True}, ValueError),
        ({"sampler": 3}, TypeError),
        ({"generator": 0}, TypeError),
    ],
)
def test_batch_sampler_bad_args(kwargs, exc):
    ds = AugmentedDataset(RangeDataset(3), seed=0)
    with pytest.raises(exc):
        KeyedBatchSampler(ds, **{"batch_size": 2, **kwargs})
    with pytest.raises(TypeError, match="AugmentedDataset"):
        KeyedBatchSampler(RangeDataset(3), 2)


# -- AugmentedIterableDataset ---------------------------------------------------


def test_iterable_keys_are_stream_positions_and_ranks_partition_the_stream():
    base, t = RangeDataset(7), AddNoise()
    items = [base[i] for i in range(7)]
    ds = AugmentedIterableDataset(items, t, seed=1)
    ds.set_epoch(2)
    out = list(ds)
    assert len(out) == 7
    for p, (x, y) in enumerate(out):
        assert y == p and torch.equal(x, reference(t, items[p][0], 1, 2, p))
    shards = []
    for r in range(3):
        d = AugmentedIterableDataset(items, t, seed=1, rank=r, world_size=3)
        d.set_epoch(2)
        shards.append(list(d))
    merged = sorted((o for s in shards for o in s), key=lambda o: o[1])
    assert deep_equal(merged, out)


def test_iterable_long_stream_matches_reference_across_key_blocks():
    base, t = RangeDataset(150), AddNoise()
    items = [base[i] for i in range(150)]
    for kw in ({}, {"rank": 1, "world_size": 3}):
        ds = AugmentedIterableDataset(items, t, seed=4, **kw)
        ds.set_epoch(1)
        out = list(ds)
        assert [y for _, y in out] == list(range(kw.get("rank", 0), 150, kw.get("world_size", 1)))
        assert all(torch.equal(x, reference(t, items[y][0], 4, 1, y)) for x, y in out)


def test_iterable_batch_mode_yields_keyed_batches():
    items = [RangeDataset(5)[i] for i in range(5)]
    ds = AugmentedIterableDataset(items, AddNoise(), seed=0, batch_size=2)
    batches = list(ds)
    assert [b.indices for b in batches] == [[0, 1], [2, 3], [4]]
    flat = [s for b in batches for s in b]
    assert deep_equal(flat, list(AugmentedIterableDataset(items, AddNoise(), seed=0)))
    assert [b.indices for b in AugmentedIterableDataset(items, seed=0, batch_size=2, drop_last=True)] == [
        [0, 1],
        [2, 3],
    ]


@pytest.mark.parametrize("n", [0, 1, 5, 6, 7])
@pytest.mark.parametrize("kw", [{}, {"batch_size": 2}, {"batch_size": 2, "drop_last": True}])
def test_iterable_len_counts_what_each_rank_yields(n, kw):
    items = list(range(n))
    assert len(AugmentedIterableDataset(items, seed=0, **kw)) == len(
        list(AugmentedIterableDataset(items, seed=0, **kw))
    )
    for r in range(3):
        d = AugmentedIterableDataset(items, seed=0, rank=r, world_size=3, **kw)
        assert len(d) == len(list(d))


def test_iterable_len_of_unsized_source_is_a_type_error():
    class Stream:
        def __iter__(self):
            return iter(range(3))

    with pytest.raises(TypeError, match="has no len"):
        len(AugmentedIterableDataset(Stream(), seed=0))


@pytest.mark.parametrize(
    "kwargs, exc",
    [
        ({"iterable": iter([1, 2])}, TypeError),
        ({"iterable": 3}, TypeError),
        ({"rank": 0}, ValueError),
        ({"rank": 2, "world_size": 2}, ValueError),
        ({"batch_size": 0}, ValueError),
        ({"seed": "x"}, TypeError),
        ({"transform": 3}, TypeError),
        ({"drop_last": None}, TypeError),
    ],
)
def test_iterable_bad_args(kwargs, exc):
    kwargs = {"iterable": [1, 2], **kwargs}
    with pytest.raises(exc):
        AugmentedIterableDataset(**kwargs)
    with pytest.raises(TypeError, match="one-shot"):
        AugmentedIterableDataset(x for x in range(3))


# -- batched key derivation: tests/loaders/test_keys.py (loaders._fastkeys) -----------------------


def test_long_batches_equal_per_sample_reference():
    base, t = RangeDataset(40), AddNoise()
    ds = AugmentedDataset(base, t, seed=8)
    ds.set_epoch(3)
    order = [int(v) for v in np.random.default_rng(1).permutation(40)]
    batch = ds.__getitems__(order)
    for (x, y), i in zip(batch, order, strict=False):
        assert y == i and torch.equal(x, reference(t, base[i][0], 8, 3, i))
    dicts = AugmentedDataset(
        [{"x": base[i][0]} for i in range(40)], t, seed=8, input_key="x", return_params=True
    ).__getitems__(order)
    assert all(d["aug_params"]["params"] == t.sample(sample_rng(8, 0, i)) for d, i in zip(dicts, order, strict=False))
