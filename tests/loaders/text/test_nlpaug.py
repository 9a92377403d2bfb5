"""loaders.text.NLPAug: nlpaug's data-free augmenters keyed by the sample, returning str.

Cross-worker, start-method and fresh-process identity: tests/loaders/test_seeded.py (all adapters).
"""

from __future__ import annotations

import pickle

import nlpaug.augmenter.audio as naa
import nlpaug.augmenter.char as nac
import nlpaug.augmenter.word as naw
import nlpaug.flow as naf
import numpy as np
import pytest

from loaders import AugmentedDataset, Compose
from loaders.text import NLPAug, RandomSwap
from loaders.text.nlpaug import SUPPORTED_AUGMENTERS
from tests.loaders.test_seeded import _global_states, _same_states, within_3_sigma

TEXT = "the quick brown fox jumps over the lazy dog near the river bank today"


def _data_free():
    return [
        nac.KeyboardAug(),
        nac.OcrAug(),
        nac.RandomCharAug(action="swap"),
        naw.RandomWordAug(action="swap"),
        naw.SplitAug(),
        naw.SpellingAug(),
        naw.ReservedAug(reserved_tokens=[["fox", "cat", "dog"]]),
    ]


def test_supported_list_matches_the_tested_augmenters():
    assert [type(a).__name__ for a in _data_free()] == [name for _, name in SUPPORTED_AUGMENTERS]


@pytest.mark.parametrize("aug", _data_free(), ids=lambda a: type(a).__name__)
def test_every_data_free_augmenter_is_keyed_and_returns_str(aug):
    t = NLPAug(aug)
    outs = [t(TEXT, rng=k) for k in range(6)]
    assert all(isinstance(o, str) for o in outs)
    assert outs[0] == t(TEXT, rng=0)
    assert len(set(outs)) > 1 and any(o != TEXT for o in outs)
    assert pickle.loads(pickle.dumps(t))(TEXT, rng=0) == outs[0]
    assert repr(t).startswith(f"NLPAug(augmenter={type(aug).__name__}(") and " object at 0x" not in repr(t)


def test_deleted_word_uniform_within_3_sigma_and_p_on_top():
    words = ["alpha", "bravo", "charlie", "delta"]
    t = NLPAug(naw.RandomWordAug(action="delete", aug_min=1, aug_max=1))
    n = 400
    outs = [t(" ".join(words), rng=k).split() for k in range(n)]
    assert all(len(o) == 3 for o in outs)
    for w in words:
        deleted = sum(w not in o for o in outs)
        assert within_3_sigma(deleted, n, 0.25), (w, deleted)
    # the adapter's p acts on top of the augmenter (which always deletes one word here)
    outer = NLPAug(naw.RandomWordAug(action="delete", aug_min=1, aug_max=1), p=0.3)
    changed = sum(outer(" ".join(words), rng=k) != " ".join(words) for k in range(n))
    assert within_3_sigma(changed, n, 0.3), changed


def test_flows_globals_untouched_and_dataset_replay():
    t = NLPAug(naf.Sequential([nac.OcrAug(), naw.SplitAug()]))
    texts = [(f"{TEXT} number {i}", i) for i in range(3)]
    ds = AugmentedDataset(texts, Compose([t, RandomSwap(alpha=0.2)]), seed=8)
    np.random.randn(1)
    before = _global_states()
    outs = [ds[i][0] for i in range(3)]
    assert _same_states(_global_states(), before)
    for i in range(3):
        assert outs[i] == ds.transform.apply(texts[i][0], ds.params(i)["params"])


def test_empty_text_passes_unchanged():
    assert NLPAug(naw.RandomWordAug())("", rng=0) == ""


def test_refusals():
    with pytest.raises(TypeError, match="NoiseAug"):
        NLPAug(naa.NoiseAug())
    with pytest.raises(TypeError, match="holds NoiseAug"):
        NLPAug(naf.Sequential([nac.OcrAug(), naa.NoiseAug()]))
    with pytest.raises(TypeError, match="augmenter must be"):
        NLPAug(lambda s: s)
    with pytest.raises(TypeError, match="str"):
        NLPAug(nac.OcrAug())(["a list"], rng=0)
