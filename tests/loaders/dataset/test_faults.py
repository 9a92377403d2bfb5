"""A failing wrapped read is re-raised as AugmentationError naming the dataset index and epoch, original chained."""

from __future__ import annotations

import pytest

from loaders import AugmentationError, AugmentedDataset
from tests.bad_inputs.dataset import Broken, BrokenBatch


def test_getitem_failure_is_chained_with_index_and_epoch():
    ds = AugmentedDataset(Broken(), seed=0)
    ds.set_epoch(5)
    with pytest.raises(AugmentationError, match=r"index 6 \(epoch 5\)") as info:
        ds[-2]
    assert isinstance(info.value.__cause__, OSError) and "6.png" in str(info.value.__cause__)


def test_batched_read_failure_through_a_dataloader_worker():
    ds = AugmentedDataset(BrokenBatch(), seed=0)
    loader = ds.loader(batch_size=2, num_workers=1, multiprocessing_context="fork")
    with pytest.raises(AugmentationError, match=r"indices \[0, 1\] \(epoch 0\)"):
        next(iter(loader))
