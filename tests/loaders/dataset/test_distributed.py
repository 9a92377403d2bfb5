"""A real 2-process torch.distributed group (gloo, 127.0.0.1): augmentation does not depend on world size.

Each rank loads its DistributedSampler shard through a KeyedBatchSampler and a
1-worker DataLoader; the ranks gather what they saw, and the test process
compares every sample with the single-process result for the same index.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import socket

import pytest
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

from loaders import AugmentedDataset, AugmentedIterableDataset
from tests._helpers_data import AddNoise, RangeDataset

N, SEED, EPOCHS = 10, 31, (0, 1)
pytestmark = pytest.mark.skipif(
    not dist.is_available() or "fork" not in mp.get_all_start_methods(),
    reason="needs torch.distributed and the fork start method",
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank_main(rank: int, world: int, port: int, out_dir: str) -> None:
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    try:
        ds = AugmentedDataset(RangeDataset(N), AddNoise(), seed=SEED)
        sampler = DistributedSampler(ds, num_replicas=world, rank=rank, shuffle=True, seed=0)
        loader = ds.loader(batch_size=2, sampler=sampler, num_workers=1, multiprocessing_context="fork")
        seen = {}
        for e in EPOCHS:
            ds.set_epoch(e)  # also sets the DistributedSampler's epoch through the keyed batch sampler
            for x, y in loader:
                for xi, yi in zip(x, y.tolist(), strict=False):
                    seen[(e, yi)] = xi.clone()
        stream = AugmentedIterableDataset(
            [RangeDataset(N)[i] for i in range(N)], AddNoise(), seed=SEED, rank=rank, world_size=world
        )
        stream.set_epoch(1)
        items = {(1, int(y)): x for x, y in DataLoader(stream, batch_size=None, num_workers=0)}
        gathered = [None] * world
        dist.all_gather_object(gathered, {"map": seen, "stream": items})
        if rank == 0:
            with open(os.path.join(out_dir, "gathered.pkl"), "wb") as f:
                pickle.dump(gathered, f)
    finally:
        dist.destroy_process_group()


def _run(fn, world, out_dir):
    ctx = mp.get_context("fork")
    port = _free_port()
    procs = [ctx.Process(target=fn, args=(r, world, port, out_dir)) for r in range(world)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    codes = [p.exitcode for p in procs]
    for p in procs:
        if p.is_alive():  # pragma: no cover - only on a hang
            p.kill()
    assert codes == [0] * world, f"rank processes exited with {codes}"


def test_two_rank_gloo_group_augments_each_sample_as_a_single_process(tmp_path):
    _run(_rank_main, 2, str(tmp_path))
    with open(tmp_path / "gathered.pkl", "rb") as f:
        gathered = pickle.load(f)
    ref_ds = AugmentedDataset(RangeDataset(N), AddNoise(), seed=SEED)
    for e in EPOCHS:
        keys = [sorted(i for (ep, i) in g["map"] if ep == e) for g in gathered]
        assert sorted(keys[0] + keys[1]) == list(range(N)) and not set(keys[0]) & set(keys[1])
        ref_ds.set_epoch(e)
        for g in gathered:
            for (ep, i), x in g["map"].items():
                if ep == e:
                    assert torch.equal(x, ref_ds[i][0]), f"rank-sharded sample {i} (epoch {e}) differs"
    seen = {**gathered[0]["map"], **gathered[1]["map"]}
    assert not any(torch.equal(seen[(0, i)], seen[(1, i)]) for i in range(N))  # epochs differ
    # streams: the ranks partition the stream and each item matches the single-process stream
    single = AugmentedIterableDataset([RangeDataset(N)[i] for i in range(N)], AddNoise(), seed=SEED)
    single.set_epoch(1)
    expect = {(1, int(y)): x for x, y in single}
    merged = {**gathered[0]["stream"], **gathered[1]["stream"]}
    assert len(gathered[0]["stream"]) + len(gathered[1]["stream"]) == N
    assert merged.keys() == expect.keys() and all(torch.equal(merged[k], expect[k]) for k in expect)
