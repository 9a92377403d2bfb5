"""Pairings (derangement by default) and the mixing switch (eval/train, also in persistent workers)."""

from __future__ import annotations

import pickle
from collections import Counter

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from collate import CutMix, MixUp, MixUpOrCutMix
from collate.randomness import PAIRINGS, check_pairing, draw_pairing
from loaders.keys import KeyedBatch

ALL = [MixUp, CutMix, MixUpOrCutMix]


@pytest.mark.parametrize("n", [2, 3, 5, 32, 129])
def test_derangement_has_no_fixed_point(n):
    for seed in range(50):
        perm = draw_pairing(np.random.default_rng(seed), n)
        assert sorted(perm.tolist()) == list(range(n))
        assert not (perm == np.arange(n)).any()


def test_derangement_is_uniform_over_derangements():
    # the 9 derangements of 4 elements, each with probability 1/9 (chi-square, 8 dof, p ~ 1e-4 bound)
    counts = Counter(tuple(draw_pairing(np.random.default_rng([7, k]), 4).tolist()) for k in range(9000))
    assert len(counts) == 9
    chi2 = sum((c - 1000) ** 2 / 1000 for c in counts.values())
    assert chi2 < 31.8


def test_fixed_pairings_and_batch_of_one():
    rng = np.random.default_rng(0)
    assert draw_pairing(rng, 5, "roll").tolist() == [4, 0, 1, 2, 3]  # torchvision: batch.roll(1, 0)
    assert draw_pairing(rng, 5, "flip").tolist() == [4, 3, 2, 1, 0]  # timm: batch.flip(0)
    for pairing in PAIRINGS:
        assert draw_pairing(np.random.default_rng(0), 1, pairing).tolist() == [0]
    a, b = np.random.default_rng(3), np.random.default_rng(3)
    assert draw_pairing(a, 7, "permutation").tolist() == b.permutation(7).tolist()


def test_bad_pairing_is_refused():
    with pytest.raises(ValueError, match=r"pairing must be one of \['derangement'"):
        check_pairing("shuffle", "MixUp")
    for cls in ALL:
        with pytest.raises(ValueError, match="pairing"):
            cls(num_classes=3, pairing="random")


def _distinct_batch(n=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [(torch.rand(3, 4, 4, generator=g), i) for i in range(n)]


def test_every_row_has_two_labels_at_p1():
    # torchvision's own check ("two labels per row"): a random permutation fails it for 63 % of
    # batches of 32; the default derangement never does
    for seed in range(30):
        _, y = MixUp(num_classes=32, p=1.0, seed=seed)(_distinct_batch())
        assert ((y > 0).sum(1) == 2).all(), seed
    failures = 0
    for seed in range(30):
        _, y = MixUp(num_classes=32, p=1.0, seed=seed, pairing="permutation")(_distinct_batch())
        failures += int(((y > 0).sum(1) < 2).any())
    assert failures > 5  # the old pairing leaves samples unmixed: the check above can fail


@pytest.mark.parametrize("cls", ALL)
@pytest.mark.parametrize("pairing", PAIRINGS)
def test_reported_pairing_is_used(cls, pairing):
    batch = KeyedBatch(_distinct_batch(6), seed=0, epoch=0, indices=list(range(6)))
    _, _, params = cls(num_classes=32, seed=1, pairing=pairing, return_params=True)(batch)
    expected = draw_pairing(np.random.default_rng(0), 6, pairing) if pairing in ("roll", "flip") else None
    if expected is not None:
        assert params["perm"] == expected.tolist()
    if pairing == "derangement":
        assert all(p != i for i, p in enumerate(params["perm"]))


def test_text_collate_pairing():
    from collate import TextCollate
    from loaders.hf import train_tokenizer

    tok = train_tokenizer(["a b c d", "e f g"], vocab_size=40)
    rows = [(t, i % 2) for i, t in enumerate(["a b", "c d", "e f", "g a", "b c"])]
    for seed in range(10):
        out = TextCollate(tok, 2, mixup_alpha=1.0, seed=seed)(rows)
        assert not (out["mix_index"] == torch.arange(5)).any()
    out = TextCollate(tok, 2, mixup_alpha=1.0, seed=0, pairing="flip")(rows)
    assert out["mix_index"].tolist() == [4, 3, 2, 1, 0]


# ---------------------------------------------------------------------- the mixing switch
@pytest.mark.parametrize("cls", ALL)
def test_eval_returns_unmixed_batches_with_soft_targets(cls):
    batch = _distinct_batch(8)
    fn = cls(num_classes=32, seed=0, return_params=True)
    assert fn.mixing
    assert fn.eval() is fn and not fn.mixing
    x, y, params = fn(batch)
    assert torch.equal(x, torch.stack([s[0] for s in batch]))
    assert torch.equal(y, torch.eye(32)[:8])
    assert params["mode"] == "none"
    fn.train()
    x2, y2, _ = fn(batch)
    assert not torch.equal(y2, torch.eye(32)[:8])
    with pytest.raises(TypeError, match="mode must be a bool"):
        fn.train(1)


def test_unmixed_copy_and_pickling_keep_their_own_mode():
    fn = MixUp(num_classes=4, seed=0)
    ev = fn.unmixed()
    assert fn.mixing and not ev.mixing and ev is not fn
    fn.eval()
    clone = pickle.loads(pickle.dumps(fn))
    assert not clone.mixing
    clone.train()
    assert clone.mixing and not fn.mixing  # a plain pickle copies the flag


class _Images(Dataset):
    def __len__(self):
        return 16

    def __getitem__(self, i):
        return torch.full((3, 4, 4), float(i)), i


def _modes(loader):
    """Per batch: whether it came out unmixed (mode "none" and one-hot targets)."""
    return [p["mode"] == "none" and bool(((y == 0) | (y == 1)).all()) for _, y, p in loader]


@pytest.mark.parametrize("cls", [MixUp, MixUpOrCutMix])
def test_switch_reaches_persistent_workers(cls):
    fn = cls(num_classes=16, seed=0, return_params=True)
    loader = DataLoader(_Images(), batch_size=4, num_workers=2, persistent_workers=True, collate_fn=fn)
    assert not any(_modes(loader))  # training: every batch mixed (p=1)
    fn.eval()
    assert all(_modes(loader))  # the same worker processes now return unmixed batches
    fn.train()
    assert not any(_modes(loader))


def test_text_collate_switch():
    from collate import TextCollate
    from loaders.hf import train_tokenizer

    tok = train_tokenizer(["a b c d", "e f g"], vocab_size=40)
    rows = [(t, i % 2) for i, t in enumerate(["a b", "c d", "e f", "g a"])]
    c = TextCollate(tok, 2, mixup_alpha=1.0, seed=0).eval()
    out = c(rows)
    assert out["mix_index"].tolist() == [0, 1, 2, 3] and out["mix_lambda"].tolist() == [1.0] * 4
    assert out["labels"].tolist() == [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]
    assert not c.train().eval().mixing


def test_deep_copies_keep_a_shared_flag_for_their_workers():
    import copy

    fn = copy.deepcopy(MixUp(num_classes=16, seed=0, return_params=True))
    assert fn._mixing_flag.is_shared()
    loader = DataLoader(_Images(), batch_size=4, num_workers=1, persistent_workers=True, collate_fn=fn)
    assert not any(_modes(loader))
    fn.eval()
    assert all(_modes(loader))
