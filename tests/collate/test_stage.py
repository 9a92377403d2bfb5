"""BatchStage: per-sample transforms drawn from each sample's key and applied on the stacked batch.

The reference is the per-sample path written out: ``t.apply(x_j, t.sample(sample_rng(seed, epoch, index_j,
stream), strength))`` for every sample, then ``torch.stack``; and, for ``stream=SAMPLE_STREAM``, the dataset
wrapper itself (``AugmentedDataset(base, t, seed)``).
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, default_collate

from collate import BatchStage, MixUpOrCutMix
from loaders import AugmentedDataset, Compose
from loaders.audio import FrequencyMask, Gain, TimeMask
from loaders.image import Cutout
from loaders.keys import BATCH_STAGE_STREAM, SAMPLE_STREAM, KeyedBatch, sample_rng
from tests._compare import deep_copy, deep_equal


def images(n, shape=(3, 12, 10), dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    if dtype == torch.uint8:
        return [torch.randint(0, 256, shape, generator=g, dtype=dtype) for _ in range(n)]
    return [torch.rand(shape, generator=g).to(dtype) for _ in range(n)]


def per_sample(t, xs, seed, epoch, indices, stream=BATCH_STAGE_STREAM, strength=1.0):
    return torch.stack(
        [
            t.apply(x, t.sample(sample_rng(seed, epoch, i, stream), strength=strength))
            for x, i in zip(xs, indices, strict=False)
        ]
    )


CASES = {
    "cutout-frac-float": (Cutout(size=0.5, p=0.7), (3, 12, 10), torch.float32),
    "cutout-px-uint8-two-holes": (Cutout(num_holes=(1, 3), size=(2, 5), fill=7, p=0.8), (3, 9, 13), torch.uint8),
    "cutout-hw": (Cutout(size=0.4, p=1.0), (11, 7), torch.float32),
    "cutout-channel-fill": (Cutout(size=0.5, fill=(0.1, 0.2, 0.3), p=1.0), (3, 8, 8), torch.float32),
    "cutout-float16": (Cutout(size=0.5, p=1.0), (3, 8, 8), torch.float16),
    "cutout-fixed-two-holes-px": (Cutout(num_holes=2, size=3, fill=9, p=0.6), (3, 7, 11), torch.uint8),
    "cutout-fixed-edge-holes": (Cutout(num_holes=3, size=1.0, p=0.9), (1, 5, 6), torch.float32),
    "compose": (Compose([Cutout(size=0.3, p=0.5), Cutout(size=2, fill=1.0, p=0.5)]), (3, 10, 10), torch.float32),
    "time-mask": (TimeMask(max_width=30, num_masks=2), (2, 400), torch.float32),
    "frequency-mask": (FrequencyMask(max_width=5), (1, 20, 40), torch.float32),
    "gain": (Gain(db=(-6.0, 6.0), p=0.6), (2, 300), torch.float32),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("stream", [BATCH_STAGE_STREAM, SAMPLE_STREAM])
def test_batch_stage_is_bit_identical_to_the_per_sample_path(name, stream):
    t, shape, dtype = CASES[name]
    xs = images(9, shape, dtype)
    indices = [17, 3, 3, 0, 250, 8, 9, 1, 4]
    batch = KeyedBatch(list(zip(xs, range(9), strict=False)), seed=11, epoch=2, indices=indices)
    before = deep_copy(list(batch))
    x, y = BatchStage(t, stream=stream)(batch)
    assert torch.equal(x, per_sample(t, xs, 11, 2, indices, stream)), name
    assert y.tolist() == list(range(9))
    assert deep_equal(list(batch), before)  # the samples are never written to


def test_sample_stream_equals_the_dataset_wrapper():
    xs = images(20, (3, 16, 16), torch.uint8)
    base = [(x, i % 10) for i, x in enumerate(xs)]
    t = Cutout(size=0.5, p=0.5)
    wrapped = AugmentedDataset(base, t, seed=5)
    plain = AugmentedDataset(base, seed=5)
    for epoch in (0, 3):
        wrapped.set_epoch(epoch)
        plain.set_epoch(epoch)
        order = [int(v) for v in np.random.default_rng(epoch).permutation(20)]
        want = default_collate(list(wrapped.__getitems__(order)))
        got = BatchStage(t, stream=SAMPLE_STREAM)(plain.__getitems__(order))
        assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])


def test_strength_knob_reaches_the_draws():
    t = Cutout(size=0.5, p=1.0)
    xs = images(6, (3, 8, 8))
    b = KeyedBatch([(x, 0) for x in xs], seed=0, epoch=0, indices=list(range(6)), knobs={"strength": 0.3})
    x, _ = BatchStage(t)(b)
    assert torch.equal(x, per_sample(t, xs, 0, 0, list(range(6)), strength=0.3))


def test_dict_samples_and_input_key():
    xs = images(4, (3, 8, 8))
    t = Cutout(size=0.5, p=1.0)
    b = KeyedBatch(
        [{"image": x, "label": i, "id": 10 + i} for i, x in enumerate(xs)], seed=1, epoch=0, indices=[0, 1, 2, 3]
    )
    out = BatchStage(t)(b)
    assert set(out) == {"image", "label", "id"} and out["id"].tolist() == [10, 11, 12, 13]
    assert torch.equal(out["image"], per_sample(t, xs, 1, 0, [0, 1, 2, 3]))
    b2 = KeyedBatch([(i, x) for i, x in enumerate(xs)], seed=1, epoch=0, indices=[0, 1, 2, 3])
    out2 = BatchStage(t, input_key=1)(b2)
    assert torch.equal(out2[1], out["image"])


def test_as_base_collate_of_a_mixing_collate_equals_mixing_the_transformed_samples():
    xs = images(16, (3, 12, 12), torch.uint8)
    t = Cutout(size=0.5, p=0.5)
    indices = list(range(100, 116))
    batch = KeyedBatch([(x, i % 5) for i, x in enumerate(xs)], seed=3, epoch=1, indices=indices)
    done = per_sample(t, xs, 3, 1, indices)
    pre = KeyedBatch([(done[j], j % 5) for j in range(16)], seed=3, epoch=1, indices=indices)
    staged = MixUpOrCutMix(num_classes=5, base_collate=BatchStage(t), seed=4)(batch)
    direct = MixUpOrCutMix(num_classes=5, base_collate=default_collate, seed=4)(pre)
    assert torch.equal(staged[0], direct[0]) and torch.equal(staged[1], direct[1])


class _Images(torch.utils.data.Dataset):
    def __init__(self, xs):
        self.xs = xs

    def __len__(self):
        return len(self.xs)

    def __getitem__(self, i):
        return self.xs[i], i % 3


def test_same_batches_whatever_num_workers():
    xs = images(24, (3, 8, 8), torch.uint8)
    ds = AugmentedDataset(_Images(xs), seed=9)
    stage = BatchStage(Cutout(size=0.5, p=0.7))
    runs = []
    for workers in (0, 2):
        loader = DataLoader(ds, batch_size=8, shuffle=False, num_workers=workers, collate_fn=stage)
        runs.append([b[0] for b in loader])
    assert all(torch.equal(a, b) for a, b in zip(*runs, strict=True))
    assert torch.equal(torch.cat(runs[0]), per_sample(stage.transform, xs, 9, 0, list(range(24))))


def test_pickles_and_repr():
    stage = BatchStage(Cutout(size=0.5, p=1.0), input_key=0, stream=7)
    assert repr(stage) == "BatchStage(Cutout(num_holes=1, size=0.5, fill=0, p=1.0, layout=None), input_key=0, stream=7)"
    clone = pickle.loads(pickle.dumps(stage))
    b = KeyedBatch([(x, 0) for x in images(3, (3, 8, 8))], seed=0, epoch=0, indices=[0, 1, 2])
    assert torch.equal(clone(b)[0], stage(b)[0])


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: BatchStage(lambda x: x), TypeError, ["transform", "Transform"]),
        (lambda: BatchStage(Cutout(), stream=-1), ValueError, ["stream"]),
        (lambda: BatchStage(Cutout(), input_key=1.5), TypeError, ["input_key"]),
        (lambda: BatchStage(Cutout())([(torch.zeros(3, 4, 4), 0)]), TypeError, ["KeyedBatch", "list"]),
        (lambda: BatchStage(Cutout())(KeyedBatch([], seed=0, indices=[])), ValueError, ["empty"]),
        (lambda: BatchStage(Cutout())(KeyedBatch([("a", 0)], seed=0, indices=[0])), TypeError, ["tensor"]),
    ],
)
def test_bad_arguments_and_batches(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for w in words:
        assert w.lower() in str(info.value).lower()


@pytest.mark.parametrize("strength", [1.0, 0.35, 0.0])
def test_fixed_cutout_draws_all_rows_at_once_with_the_same_result(strength, monkeypatch):
    """A Cutout with fixed holes takes the batch draw (first words of every stream, no per-row generator)."""
    from loaders._fastkeys import BatchGenerators

    t = Cutout(num_holes=2, size=0.5, p=0.8)
    xs = images(40, (3, 16, 16), torch.uint8)
    indices = list(range(1000, 1040))
    batch = KeyedBatch(list(zip(xs, range(40), strict=False)), seed=5, epoch=3, indices=indices)
    batch.knobs = {"strength": strength}
    want = per_sample(t, xs, 5, 3, indices, strength=strength)

    def no_per_row_generators(self, j):
        raise AssertionError("the batch draw should not re-key a generator per row")

    from loaders import _fastkeys

    if _fastkeys._native is not None:  # with the C extension the words come without any per-row generator
        monkeypatch.setattr(BatchGenerators, "get", no_per_row_generators)
    x, _ = BatchStage(t)(batch)
    assert torch.equal(x, want)
    if strength == 1.0:
        assert bool((x != torch.stack(xs)).any())  # some holes were cut


@pytest.mark.parametrize(
    "labels",
    [
        [3, 1, 4],
        [True, False, True],
        [np.int64(3), np.int64(1), np.int64(4)],
        [0.5, 1.5, 2.5],
        [3, 1.5, True],
        [2**40, 1, 0],
    ],
)
def test_other_fields_are_what_default_collate_gives(labels):
    xs = images(3, (3, 8, 8))
    batch = KeyedBatch(list(zip(xs, labels, strict=True)), seed=0, epoch=0, indices=[0, 1, 2])
    got = BatchStage(Cutout(size=0.5, p=0.0))(batch)[1]
    want = default_collate(labels)
    assert type(got) is type(want) and got.dtype == want.dtype and torch.equal(got, want)
