"""One owner of the epoch: dataset, KeyedBatchSampler and the index sampler inside it share one value."""

from __future__ import annotations

import pickle

import torch
from torch.utils.data import DistributedSampler

from loaders import AugmentedDataset, KeyedBatchSampler, Lambda
from loaders.dataset import KeyedRandomSampler, KeyedSequentialSampler


def _ds(n=8):
    return AugmentedDataset([(float(i), i) for i in range(n)], Lambda(abs), seed=0)


def test_issue_repro_sampler_set_epoch_is_not_undone():
    ds = AugmentedDataset(list(range(8)), seed=0)
    s = DistributedSampler(ds, num_replicas=1, rank=0)
    dl = ds.loader(batch_size=8, sampler=s)
    s.set_epoch(1)
    next(iter(dl))
    assert s.epoch == 1 and ds.epoch == 1


def test_latest_set_epoch_wins_whichever_object_gets_it():
    ds = _ds()
    s = DistributedSampler(ds, num_replicas=2, rank=1, shuffle=True, seed=4)
    dl = ds.loader(batch_size=2, sampler=s)
    bs = dl.batch_sampler
    ds.set_epoch(2)
    assert s.epoch == 2 and next(iter(bs)).epoch == 2
    s.set_epoch(5)  # the torch idiom: on the sampler
    assert next(iter(bs)).epoch == 5 and ds.epoch == 5 and s.epoch == 5
    bs.set_epoch(7)  # training loops that call it on the batch sampler
    assert s.epoch == 7 and ds.epoch == 7
    ds.set_epoch(3)
    s.set_epoch(4)
    assert bs.epoch == 4 and ds.epoch == 4
    # the shuffle follows the shared epoch: what DistributedSampler itself yields for epoch 4
    expected = list(s)
    assert sum((list(b) for b in bs), []) == expected


def test_keyed_samplers_set_the_dataset_epoch():
    ds = _ds()
    shuffled = ds.loader(batch_size=4, shuffle=True)
    assert isinstance(shuffled.batch_sampler.sampler, KeyedRandomSampler)
    assert isinstance(shuffled.batch_sampler.sampler, torch.utils.data.RandomSampler)
    shuffled.batch_sampler.sampler.set_epoch(3)  # what Lightning calls
    assert ds.epoch == 3 and next(iter(shuffled.batch_sampler)).epoch == 3
    plain = ds.loader(batch_size=4)
    assert isinstance(plain.batch_sampler.sampler, KeyedSequentialSampler)
    plain.batch_sampler.sampler.set_epoch(6)
    assert ds.epoch == 6


def test_fresh_shuffle_each_epoch_and_same_for_same_epoch():
    ds = _ds(16)
    bs = KeyedBatchSampler(ds, 16, shuffle=True)
    orders = []
    for e in (0, 1, 0):
        ds.set_epoch(e)
        orders.append(list(next(iter(bs))))
    assert orders[0] == orders[2] != orders[1]


def test_built_sampler_epoch_rule():
    ds = _ds()
    ds.set_epoch(3)
    fresh = DistributedSampler(ds, num_replicas=1, rank=0)
    KeyedBatchSampler(ds, 2, sampler=fresh)
    assert fresh.epoch == 3  # a sampler at 0 takes the dataset's epoch
    used = DistributedSampler(ds, num_replicas=1, rank=0)
    used.set_epoch(9)
    KeyedBatchSampler(ds, 2, sampler=used)
    assert ds.epoch == 9 and used.epoch == 9  # a sampler whose epoch was set keeps it


def test_loader_accepts_any_sampler():
    ds = _ds()
    assert [b[1].tolist() for b in ds.loader(batch_size=2, sampler=[3, 1, 2])] == [[3, 1], [2]]

    class NoEpoch(torch.utils.data.Sampler):
        def __iter__(self):
            return iter([0, 5])

        def __len__(self):
            return 2

    assert [b[1].tolist() for b in ds.loader(batch_size=2, sampler=NoEpoch())] == [[0, 5]]


def test_rebuild_around_an_injected_sampler_as_lightning_does():
    ds = _ds()
    bs = ds.loader(batch_size=3, shuffle=True, drop_last=True).batch_sampler
    dist = DistributedSampler(ds, num_replicas=2, rank=0, shuffle=True)
    rebuilt = type(bs)(dist, batch_size=bs.batch_size, drop_last=bs.drop_last)
    assert rebuilt.dataset is ds and rebuilt.sampler is dist and len(rebuilt) == 1
    dist.set_epoch(2)
    assert next(iter(rebuilt)).epoch == 2 and ds.epoch == 2


def test_batch_sampler_pickles_and_keeps_sharing():
    ds = _ds()
    s = DistributedSampler(ds, num_replicas=1, rank=0)
    bs = pickle.loads(pickle.dumps(KeyedBatchSampler(ds, 4, sampler=s)))
    bs.dataset.set_epoch(2)
    assert bs.sampler.epoch == 2
    assert "KeyedBatchSampler(batch_size=4" in repr(bs)
