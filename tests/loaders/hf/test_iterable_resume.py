"""HFIterableDataset resume: state_dict/load_state_dict and loader(stateful=True), skipped rows not augmented."""

from __future__ import annotations

import datasets
import pytest

from loaders import Lambda
from loaders.hf import HFIterableDataset, HFTextTransform

CALLS: list[str] = []


def _upper(text: str) -> str:
    CALLS.append(text)
    return text.upper()


def _stream(n=10):
    return datasets.Dataset.from_dict(
        {"text": [f"row {i}" for i in range(n)], "label": [i % 2 for i in range(n)]}
    ).to_iterable_dataset()


def _ds(**kwargs):
    return HFIterableDataset(_stream(), HFTextTransform(Lambda(_upper)), seed=3, batch_size=2, **kwargs)


def _texts(batches):
    return [[row["text"] for row in b] for b in batches]


def test_resume_skips_seen_rows_without_augmenting():
    full = _texts(_ds())
    ds = _ds()
    ds.set_epoch(1)
    it = iter(ds)
    next(it), next(it)
    state = ds.state_dict()
    assert state == {"seed": 3, "epoch": 1, "position": 2}
    fresh = _ds()
    fresh.load_state_dict(state)
    CALLS.clear()
    rest = _texts(fresh)
    ref = _ds()
    ref.set_epoch(1)
    assert rest == _texts(ref)[2:] and len(rest) == len(full) - 2
    assert CALLS[0] == "row 4"  # rows 0..3 were read, not augmented


@pytest.mark.parametrize("workers", [0, 2])
def test_stateful_loader_resumes_across_worker_counts(workers):
    loader = _ds().loader(stateful=True, num_workers=2, collate_fn=_texts_one, multiprocessing_context="fork")
    it = iter(loader)
    head = [next(it) for _ in range(2)]
    state = loader.state_dict()
    rest = list(it)
    again = _ds().loader(
        stateful=True,
        num_workers=workers,
        collate_fn=_texts_one,
        **({"multiprocessing_context": "fork"} if workers else {}),
    )
    again.load_state_dict(state)
    assert list(again) == rest and len(head + rest) == 5


def _texts_one(batch):
    return [row["text"] for row in batch]


def test_shard_mode_refuses_a_mid_epoch_resume():
    ds = _ds(shard_by="shards")
    with pytest.raises(ValueError, match="shard_by='examples'"):
        ds.load_state_dict({"seed": 3, "epoch": 0, "position": 2})
