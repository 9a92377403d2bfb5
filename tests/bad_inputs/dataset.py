"""Bad inputs for the dataset wrappers, the batch sampler, the resumable loader and the Trainer loss."""

from __future__ import annotations

import torch

from loaders import AugmentationError, AugmentedDataset, AugmentedIterableDataset, KeyedBatchSampler, Lambda
from loaders.hf import soft_target_loss
from tests.bad_inputs import BadInput


class Broken:
    """A map-style dataset whose reads fail (a missing file, say)."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        raise OSError(f"cannot open image {i}.png")


class BrokenBatch(Broken):
    def __getitems__(self, indices):
        raise OSError("shard offline")


def _read(index, epoch=2, base=Broken):
    ds = AugmentedDataset(base(), Lambda(abs), seed=0)
    ds.set_epoch(epoch)
    return lambda: ds[index]


def _read_batch():
    ds = AugmentedDataset(BrokenBatch(), seed=0)
    ds.set_epoch(4)
    return lambda: ds.__getitems__([1, 5])


def _fail_transform():
    ds = AugmentedDataset([("text", 0)], Lambda(abs), seed=0)
    ds.set_epoch(1)
    return lambda: ds[0]


ROWS = [
    BadInput("dataset-getitem-fails", _read(3), AugmentationError, ["index 3", "epoch 2", "cannot open image 3.png"]),
    BadInput(
        "dataset-getitems-fails", _read_batch(), AugmentationError, ["indices [1, 5]", "epoch 4", "shard offline"]
    ),
    BadInput("dataset-transform-fails", _fail_transform(), AugmentationError, ["index 0", "epoch 1", "Lambda"]),
    BadInput(
        "dataset-index-out-of-range", lambda: AugmentedDataset([1, 2], seed=0)[5], IndexError, ["index 5", "length 2"]
    ),
    BadInput(
        "dataset-plain-callable",
        lambda: AugmentedDataset([1], print, seed=0),
        TypeError,
        ["transform", "plain callable", "Lambda"],
    ),
    BadInput("dataset-negative-seed", lambda: AugmentedDataset([1], seed=-1), ValueError, ["seed", "-1"]),
    BadInput(
        "dataset-knobs-without-get",
        lambda: AugmentedDataset([1], seed=0, knobs={"strength": 0.5}),
        TypeError,
        ["knobs['strength']", ".get()"],
    ),
    BadInput(
        "dataset-negative-epoch", lambda: AugmentedDataset([1], seed=0).set_epoch(-1), ValueError, ["epoch", "-1"]
    ),
    BadInput(
        "dataset-state-other-seed",
        lambda: AugmentedDataset([1], seed=0).load_state_dict({"seed": 3, "epoch": 0}),
        ValueError,
        ["seed=3", "seed=0"],
    ),
    BadInput(
        "dataset-loader-stateful-not-bool",
        lambda: AugmentedDataset([1], seed=0).loader(stateful="yes"),
        TypeError,
        ["stateful", "bool"],
    ),
    BadInput(
        "sampler-batch-size-zero",
        lambda: KeyedBatchSampler(AugmentedDataset([1], seed=0), 0),
        ValueError,
        ["batch_size", "0"],
    ),
    BadInput("sampler-not-a-dataset", lambda: KeyedBatchSampler([1, 2, 3], 2), TypeError, ["AugmentedDataset", "list"]),
    BadInput(
        "sampler-state-missing-keys",
        lambda: KeyedBatchSampler(AugmentedDataset([1], seed=0), 1).load_state_dict({"epoch": 0}),
        ValueError,
        ["missing", "position"],
    ),
    BadInput(
        "iterable-one-shot",
        lambda: AugmentedIterableDataset(iter([1, 2]), seed=0),
        TypeError,
        ["one-shot", "re-iterable"],
    ),
    BadInput(
        "iterable-loader-batch-size",
        lambda: AugmentedIterableDataset([1], seed=0).loader(batch_size=4),
        TypeError,
        ["batch_size", "batch_size=None"],
    ),
    BadInput(
        "soft-target-loss-shape",
        lambda: soft_target_loss(torch.zeros(2, 3), torch.zeros(2, 4)),
        ValueError,
        ["shape", "(2, 3)", "(2, 4)"],
    ),
]
