"""Real multi-process DataLoaders: the augmented stream does not depend on how it is loaded.

Datasets are tiny; spawn cases are combined into one loader with 2 persistent workers.
References come from ``num_workers=0`` and, independently, from ``sample_rng`` directly.
"""

from __future__ import annotations

import importlib.util
import multiprocessing as mp

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from loaders import AugmentationError, AugmentedDataset, AugmentedIterableDataset, Compose
from loaders.keys import sample_rng
from tests._compare import deep_equal
from tests._helpers_data import (
    AddNoise,
    FailOn,
    HoleFill,
    MutatingFill,
    RangeDataset,
    SharedArrayDataset,
    WorkerTagDataset,
)

N, BS = 10, 3
HAS_FORK = "fork" in mp.get_all_start_methods()
fork_only = pytest.mark.skipif(not HAS_FORK, reason="fork start method not available")


def _epochs(ds, loader, epochs=(0, 1)):
    out = []
    for e in epochs:
        ds.set_epoch(e)
        out.append([[t.clone() for t in batch] for batch in loader])
    return out


def _direct_reference(seed, epoch, order, t=None):
    """Expected inputs computed without the wrapper: sample_rng + sample/apply."""
    t = AddNoise() if t is None else t
    base = RangeDataset(N)
    return [t.apply(base[i][0], t.sample(sample_rng(seed, epoch, i))) for i in order]


@fork_only
@pytest.mark.parametrize("keyed", [True, False], ids=["KeyedBatchSampler", "default-sampler"])
def test_same_batches_for_any_num_workers_and_persistence(keyed):
    ds = AugmentedDataset(RangeDataset(N), AddNoise(), seed=123)

    def make(nw, pw):
        kw = dict(num_workers=nw, persistent_workers=pw, multiprocessing_context="fork" if nw else None)
        if keyed:
            return ds.loader(batch_size=BS, shuffle=True, **kw)
        return DataLoader(ds, batch_size=BS, shuffle=False, **kw)

    ref = _epochs(ds, make(0, False))
    assert not deep_equal(ref[0], ref[1])  # epochs differ (set_epoch reached the draws)
    if not keyed:  # independent reference for the plain order
        for e in (0, 1):
            xs = torch.cat([b[0] for b in ref[e]])
            assert torch.equal(xs, torch.stack(_direct_reference(123, e, range(N))))
    for nw, pw in ((1, False), (2, False), (2, True)):
        got = _epochs(ds, make(nw, pw))
        assert deep_equal(got, ref), f"num_workers={nw}, persistent_workers={pw} changed the stream"


@fork_only
def test_no_two_workers_repeat_and_both_workers_took_part():
    ds = AugmentedDataset(WorkerTagDataset(N), AddNoise(), seed=0, input_key=0)
    loader = DataLoader(ds, batch_size=2, num_workers=2, multiprocessing_context="fork")
    xs, idx, workers = [], [], set()
    for x, i, w in loader:
        xs.append(x)
        idx.extend(i.tolist())
        workers.update(w.tolist())
    assert workers == {0, 1}
    noise = torch.cat(xs) - torch.tensor(idx, dtype=torch.float32)[:, None]
    rows = {tuple(r.tolist()) for r in noise}
    assert len(rows) == N  # every sample drew its own noise: no repeats across workers
    # the naive way (one generator created in __init__, copied into every worker) repeats:
    assert _naive_worker_draws() == [0.0, 0.0]


def _naive_worker_draws():
    """Difference between the first draws of two workers that share a generator made in __init__."""
    ds = _NaiveDataset()
    out = [float(v) for v in DataLoader(ds, batch_size=1, num_workers=2, multiprocessing_context="fork")]
    return [out[0] - out[1], out[2] - out[3]]


class _NaiveDataset(torch.utils.data.Dataset):
    def __init__(self):
        self.rng = np.random.default_rng(0)

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return self.rng.random()


@fork_only
def test_array_dataset_is_byte_identical_after_an_epoch_in_two_workers():
    transforms = [HoleFill()]
    if importlib.util.find_spec("loaders.image") is not None:
        from loaders.image import Cutout

        transforms.append(Cutout(size=0.5, p=1.0))
    for t in transforms:
        base = SharedArrayDataset()
        before = base.images.clone()
        ds = AugmentedDataset(base, t, seed=0)
        n_changed = 0
        for x, y in DataLoader(ds, batch_size=2, num_workers=2, multiprocessing_context="fork"):
            n_changed += int((x != base.images[y]).any(dim=(1, 2, 3)).sum())
        assert n_changed > 0, f"{t!r} never changed a sample: the test would prove nothing"
        assert torch.equal(base.images, before), f"{t!r} (or the wrapper) mutated the dataset's array"
    # negative control: an in-place transform IS detected through the shared array
    base = SharedArrayDataset()
    before = base.images.clone()
    for _ in DataLoader(
        AugmentedDataset(base, MutatingFill(), seed=0), batch_size=2, num_workers=2, multiprocessing_context="fork"
    ):
        pass
    assert not torch.equal(base.images, before)


@fork_only
def test_error_in_worker_names_index_epoch_transform_and_original():
    t = Compose([AddNoise(sigma=0.0), FailOn(7.0)])
    ds = AugmentedDataset(RangeDataset(N), t, seed=0)
    ds.set_epoch(2)
    loader = DataLoader(ds, batch_size=4, num_workers=2, multiprocessing_context="fork")
    with pytest.raises(AugmentationError) as info:
        list(loader)
    msg = str(info.value)
    assert "worker process" in msg  # it crossed the process boundary
    assert "sample index 7" in msg and "epoch 2" in msg and repr(t) in msg
    assert "ZeroDivisionError: boom at 7.0" in msg and "direct cause" in msg  # original chained


@fork_only
def test_iterable_dataset_per_item_and_batch_stream_independent_of_num_workers():
    items = [RangeDataset(N)[i] for i in range(N)]

    def run(nw, batch_size):
        ds = AugmentedIterableDataset(items, AddNoise(), seed=5, batch_size=batch_size)
        ds.set_epoch(1)
        kw = dict(num_workers=nw, multiprocessing_context="fork" if nw else None)
        if batch_size is None:
            return [(x.clone(), int(y)) for x, y in DataLoader(ds, batch_size=None, **kw)]
        return [[(x.clone(), int(y)) for x, y in b] for b in DataLoader(ds, batch_size=None, **kw)]

    ref = run(0, None)
    got = run(2, None)  # worker 0 takes items 0, 2, ...; worker 1 takes 1, 3, ...; the round robin
    assert deep_equal(got, ref)  # of one-item fetches restores the order, and every item matches
    expect = _direct_reference(5, 1, range(N))
    assert all(torch.equal(x, e) for (x, _), e in zip(ref, expect, strict=False))
    batches = run(2, 4)
    assert [[y for _, y in b] for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert deep_equal(batches, run(0, 4))  # keyed batches: the whole stream is the same


@fork_only
def test_mixup_stream_is_the_same_for_any_num_workers():
    if importlib.util.find_spec("collate.mix") is None:
        pytest.skip("collate.mix (MixUp) is not committed yet")
    from collate import MixUp

    ds = AugmentedDataset(RangeDataset(N), AddNoise(), seed=1)

    def run(nw):
        loader = ds.loader(
            batch_size=4,
            shuffle=True,
            num_workers=nw,
            collate_fn=MixUp(num_classes=N, p=1.0),
            multiprocessing_context="fork" if nw else None,
        )
        return _epochs(ds, loader)

    ref = run(0)
    targets = torch.cat([b[1] for b in ref[0]])
    assert targets.shape == (N, N) and bool((targets.max(dim=1).values < 1).any())  # it really mixed
    assert deep_equal(run(2), ref)
    assert not deep_equal(ref[0], ref[1])


def test_spawn_persistent_workers_match_and_see_set_epoch():
    # The hardest case for shared state: spawn pickles the dataset once, the workers persist, and
    # the default batch sampler leaves the epoch to be read from shared memory in the workers.
    # (KeyedBatch indices travel through the same pickling index queue under fork, tested above.)
    ds = AugmentedDataset(RangeDataset(6, dim=2), AddNoise(), seed=77)
    ref = _epochs(ds, DataLoader(ds, batch_size=2), epochs=(0, 1, 0))
    loader = DataLoader(ds, batch_size=2, num_workers=2, persistent_workers=True, multiprocessing_context="spawn")
    got = _epochs(ds, loader, epochs=(0, 1, 0))
    assert deep_equal(got, ref)
    assert not deep_equal(got[0], got[1]) and deep_equal(got[0], got[2])
