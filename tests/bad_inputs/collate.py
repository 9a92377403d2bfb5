"""Bad inputs for the collates: each raises with the argument or the sample (and its dataset index) and the fix."""

from __future__ import annotations

import numpy as np
import torch

from collate import CutMix, EmbeddingMixer, MixUp, MixUpOrCutMix, PadCollate, TextCollate
from collate import functional as F
from loaders.keys import KeyedBatch
from tests.bad_inputs import BadInput


def _keyed(items, indices):
    return KeyedBatch(items, seed=0, epoch=0, indices=indices)


def _images(n=2, shape=(3, 8, 8)):
    return [(torch.rand(shape), i) for i in range(n)]


def _nan_batch():
    items = _images(3)
    items[1][0][0, 0, 0] = float("nan")
    return _keyed(items, [4, 8, 15])


def _tok():
    from loaders.hf import train_tokenizer

    return train_tokenizer(["a b c", "d e f"], vocab_size=30)


ROWS = [
    # arguments
    BadInput("mixup-alpha", lambda: MixUp(3, alpha=0.0), ValueError, ["alpha", "0.0"]),
    BadInput("cutmix-cut-dims", lambda: CutMix(3, cut_dims=3), ValueError, ["cut_dims", "3"]),
    BadInput("switch-prob", lambda: MixUpOrCutMix(3, switch_prob=1.5), ValueError, ["switch_prob", "1.5"]),
    BadInput("pairing", lambda: MixUp(3, pairing="shuffle"), ValueError, ["pairing", "shuffle", "derangement"]),
    BadInput("layout", lambda: CutMix(3, layout="NHWC"), ValueError, ["layout", "NHWC", "HWC"]),
    BadInput("check-finite", lambda: CutMix(3, check_finite="yes"), TypeError, ["check_finite", "bool"]),
    BadInput("pair-reduce", lambda: MixUp(3, pair_reduce={"lengths": "mean"}), ValueError, ["pair_reduce", "mean"]),
    BadInput("train-mode", lambda: MixUp(3).train(1), TypeError, ["mode", "bool"]),
    BadInput("pad-multiple", lambda: PadCollate(pad_to_multiple_of=0), ValueError, ["pad_to_multiple_of", "0"]),
    BadInput("text-alpha", lambda: TextCollate(_tok(), 2, mixup_alpha=0.0), ValueError, ["mixup_alpha", "0.0"]),
    BadInput("text-pairing", lambda: TextCollate(_tok(), 2, pairing="x"), ValueError, ["pairing", "'x'"]),
    BadInput("embedding-mixer", lambda: EmbeddingMixer(torch.nn.Linear(2, 2)), TypeError, ["get_input_embeddings"]),
    # batches
    BadInput("empty-batch", lambda: MixUp(3)([]), ValueError, ["empty batch"]),
    BadInput(
        "non-finite",
        lambda: MixUp(3, check_finite=True)(_nan_batch()),
        ValueError,
        ["sample 1", "dataset index 8", "nan"],
    ),
    BadInput(
        "hwc-tensor", lambda: CutMix(3)([(torch.zeros(32, 32, 3), 0)] * 2), ValueError, ["(32, 32, 3)", "layout='HWC'"]
    ),
    BadInput(
        "chw-array",
        lambda: CutMix(3)([(np.zeros((2, 64, 100), np.float32), 0)] * 2),
        ValueError,
        ["(2, 64, 100)", "layout='CHW'"],
    ),
    BadInput(
        "zero-size-cutmix",
        lambda: CutMix(3, base_collate=PadCollate())([(torch.zeros(1, 0), 0)] * 2),
        ValueError,
        ["zero-size", "empty"],
    ),
    BadInput(
        "object-array",
        lambda: MixUp(3)([(np.array([None, 1], dtype=object), 0)]),
        TypeError,
        ["sample 0", "dtype object"],
    ),
    BadInput(
        "none-target",
        lambda: MixUp(3)(_keyed([(torch.zeros(2), 0), (torch.zeros(2), None)], [5, 6])),
        TypeError,
        ["sample 1", "dataset index 6", "none"],
    ),
    BadInput(
        "one-element-target",
        lambda: MixUp(3)([(torch.zeros(2), torch.tensor([1]))]),
        ValueError,
        ["sample 0", "pass a scalar"],
    ),
    BadInput(
        "target-range",
        lambda: CutMix(3)(_keyed(_images(4), [9, 8, 7, 6])),
        ValueError,
        ["sample 3", "dataset index 6", "out of range"],
    ),
    BadInput(
        "shape-mismatch",
        lambda: MixUp(3)(_keyed([(torch.zeros(3, 4, 4), 0), (torch.zeros(3, 4, 5), 1)], [0, 3])),
        ValueError,
        ["sample 1", "dataset index 3", "(3, 4, 5)"],
    ),
    BadInput(
        "dtype-mismatch",
        lambda: MixUp(3)([(torch.zeros(2), 0), (torch.zeros(2, dtype=torch.float64), 1)]),
        TypeError,
        ["sample 1", "float64"],
    ),
    BadInput("dict-keys", lambda: MixUp(3)([{"a": torch.zeros(2), "b": 0}]), ValueError, ["input_key", "none"]),
    BadInput(
        "bool-mixup", lambda: MixUp(3)([(torch.zeros(2, dtype=torch.bool), 0)] * 2), TypeError, ["dtype torch.bool"]
    ),
    BadInput("pad-object", lambda: PadCollate()([np.array([None], dtype=object)]), TypeError, ["sample 0", "dtype"]),
    BadInput("pad-scalar", lambda: PadCollate()([torch.tensor(1.0)]), ValueError, ["sample 0", "scalar"]),
    BadInput("soft-target-nan", lambda: F.soft_targets([[0.5, float("nan"), 0.5]], 3), ValueError, ["sample 0", "nan"]),
    BadInput(
        "text-none",
        lambda: TextCollate(_tok(), 2)(_keyed([{"text": None, "label": 0}], [12])),
        TypeError,
        ["sample 0", "dataset index 12", "none"],
    ),
]
