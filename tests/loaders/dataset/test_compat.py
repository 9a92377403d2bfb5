"""Pickles written before the package split (module paths and the bare SharedValue epoch) still load."""

from __future__ import annotations

import pickle

from loaders import AugmentedDataset, Lambda
from loaders.keys import SharedValue


def test_old_layout_pickle_loads():
    ds = AugmentedDataset([(-1.0, 0), (-2.0, 1)], Lambda(abs), seed=0)
    ds.__dict__["_epoch"] = SharedValue(3)  # the old epoch attribute
    old = pickle.dumps(ds, protocol=2)
    old = old.replace(b"cloaders.dataset.mapstyle\nAugmentedDataset\n", b"cloaders.dataset\nAugmentedDataset\n")
    old = old.replace(b"cloaders.dataset.augment\nSampleAugmenter\n", b"cloaders.dataset\n_Augmenter\n")
    assert b"loaders.dataset\n_Augmenter" in old and b"mapstyle" not in old
    back = pickle.loads(old)
    assert back.epoch == 3 and back[1] == (2.0, 1)
    back.set_epoch(4)
    assert back.epoch == 4
