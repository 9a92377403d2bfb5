"""Plain DDP with `torchrun`: each rank augments its share; together they give the one-process stream.

Run on CPU (gloo):

    torchrun --standalone --nproc_per_node=2 examples/ddp_torchrun.py

Each rank builds the same `AugmentedDataset` (same seed), shards it with a
`DistributedSampler(shuffle=True)` passed to `ds.loader(sampler=...)`, and calls the usual
`sampler.set_epoch(epoch)` (the sampler shares the epoch with the dataset, so the augmentation
follows it). Every rank records the per-sample augmented inputs its batches held before the
collate; rank 0 gathers them and checks that, for every epoch, the union over ranks covers
each index exactly once and equals what one process draws for that epoch and index. Prints
`ok` and exits 0 when it holds (non-zero otherwise). Without `torchrun` it runs as one rank.
"""

from __future__ import annotations

import os
import sys

import torch
import torch.distributed as dist
from torch.utils.data import DistributedSampler

from collate import MixUp
from loaders import AugmentedDataset
from loaders.image import Cutout

N, BATCH, EPOCHS, CLASSES = 24, 4, 2, 3


def make_dataset() -> AugmentedDataset:
    """The same keyed dataset on every rank."""
    g = torch.Generator().manual_seed(0)
    base = [(torch.rand(1, 6, 6, generator=g), i % CLASSES) for i in range(N)]
    return AugmentedDataset(base, Cutout(size=0.5, p=1.0), seed=42)


class Record:
    """A collate wrapper that keeps ``(epoch, index) -> augmented input`` before mixing."""

    def __init__(self) -> None:
        self.seen: dict[tuple[int, int], torch.Tensor] = {}
        self.mix = MixUp(CLASSES, seed=0)

    def __call__(self, batch):
        for i, (x, _) in zip(batch.indices, batch, strict=True):
            self.seen[(batch.epoch, i)] = x
        return self.mix(batch)


def run() -> int:
    """Train-shaped loop over ``EPOCHS`` epochs; returns the process exit code."""
    distributed = "RANK" in os.environ
    if distributed:
        dist.init_process_group("gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    ds = make_dataset()
    sampler = DistributedSampler(ds, num_replicas=world, rank=rank, shuffle=True, seed=1)
    record = Record()
    loader = ds.loader(batch_size=BATCH, sampler=sampler, collate_fn=record)
    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)  # the torch idiom; the dataset follows
        for images, targets in loader:
            assert images.shape[0] == targets.shape[0]
    gathered: list = [None] * world
    if distributed:
        dist.all_gather_object(gathered, record.seen)
    else:
        gathered = [record.seen]
    ok = True
    if rank == 0:
        ref = make_dataset()
        for epoch in range(EPOCHS):
            keys = [k for part in gathered for k in part if k[0] == epoch]
            if sorted(i for _, i in keys) != list(range(N)):
                print(f"epoch {epoch}: ranks did not cover each index once: {sorted(i for _, i in keys)}")
                ok = False
            ref.set_epoch(epoch)
            for part in gathered:
                for (e, i), x in part.items():
                    if e == epoch and not torch.equal(x, ref[i][0]):
                        print(f"epoch {epoch} index {i}: differs from the one-process draw")
                        ok = False
        print("ok" if ok else "MISMATCH")
    if distributed:
        flag = torch.tensor([int(ok)])
        dist.broadcast(flag, src=0)
        ok = bool(flag.item())
        dist.destroy_process_group()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(run())
