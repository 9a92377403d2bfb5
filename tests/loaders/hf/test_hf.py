"""loaders.hf: datasets.Dataset / IterableDataset through real multi-worker DataLoaders.

Real pieces only: an in-memory ``datasets.Dataset`` (``from_dict``), a WordPiece
tokenizer trained in-process, fork DataLoaders with 2 workers, and
``split_dataset_by_node`` ranks. References: the tokenizer applied in the test to the
augmented text, the same loader with ``num_workers=0``, and row identities.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections import Counter

import datasets
import pytest
import torch

from collate import TextCollate
from loaders import AugmentedDataset, Transform
from loaders.hf import HFIterableDataset, HFTextTransform, TokenizerAdapter, from_hf, train_tokenizer
from loaders.keys import KeyedBatch, sample_rng
from loaders.transform import AugmentationError

WORDS = (
    "the match ended with a late goal from the young striker while the crowd sang loudly "
    "markets rallied as the bank cut rates and investors bought shares of tech companies"
).split()


class DropWords(Transform):
    """A small random text transform for the tests: drop each word with probability q."""

    def __init__(self, q: float = 0.3, p: float = 1.0):
        super().__init__(p=p)
        self.q = q

    def _sample(self, rng, strength):
        return {"seed": int(rng.integers(2**31))}

    def _apply(self, x, params):
        words = x.split()
        keep = torch.rand(len(words), generator=torch.Generator().manual_seed(params["seed"])) >= self.q
        out = [w for w, k in zip(words, keep.tolist(), strict=False) if k]
        return " ".join(out or words[:1])

    @classmethod
    def _harness_examples(cls):  # pragma: no cover - test-only class, not in the loaders package
        return []

    @classmethod
    def _harness_bad_args(cls):  # pragma: no cover
        return []


def _texts(n=40):
    g = torch.Generator().manual_seed(0)
    return [
        " ".join(
            WORDS[j]
            for j in torch.randint(len(WORDS), (int(torch.randint(4, 14, (1,), generator=g)),), generator=g).tolist()
        )
        for _ in range(n)
    ]


@pytest.fixture(scope="module")
def tok():
    return train_tokenizer(_texts(200), vocab_size=200)


@pytest.fixture(scope="module")
def hf_ds():
    texts = _texts(40)
    return datasets.Dataset.from_dict({"text": texts, "label": [i % 3 for i in range(40)], "idx": list(range(40))})


def _loader(ds, collate, workers, **kw):
    return torch.utils.data.DataLoader(
        ds, num_workers=workers, collate_fn=collate, multiprocessing_context="fork" if workers else None, **kw
    )


def _identity(batch):
    return batch


# -- map-style --------------------------------------------------------------------------------


def test_map_style_two_workers_fresh_each_epoch_and_keyed(tok, hf_ds):
    tok(["warm the tokenizer up in the parent"] * 64)  # used here before the workers fork
    aug = from_hf(hf_ds, DropWords(0.4), tokenizer=tok, seed=3, keep_text=True, keep_columns=["idx"])
    assert isinstance(aug, AugmentedDataset)
    seen = {}
    for epoch in (0, 1, 0):
        aug.set_epoch(epoch)
        rows = [r for b in _loader(aug, _identity, 2, batch_size=8, shuffle=False) for r in b]
        assert [r["idx"] for r in rows] == list(range(40))
        for r in rows:  # tokenized in the worker == the tokenizer on the augmented text
            assert r["input_ids"].tolist() == tok(r["text"])["input_ids"]
        seen.setdefault(epoch, []).append([r["text"] for r in rows])
    assert seen[0][0] == seen[0][1]  # same seed and epoch: same augmentation
    changed = sum(a != b for a, b in zip(seen[0][0], seen[1][0], strict=False))
    assert changed > 20  # a new epoch draws anew (not cached by datasets' map)
    orig = hf_ds["text"]
    assert sum(a != b for a, b in zip(seen[0][0], orig, strict=False)) > 20
    # the same as in the main process (the key is the row index, not the worker)
    aug.set_epoch(1)
    assert [aug[i]["text"] for i in range(40)] == seen[1][0]
    assert hf_ds["text"] == orig  # the user's dataset is untouched


def test_map_style_with_text_collate_through_workers(tok, hf_ds):
    aug = from_hf(hf_ds, DropWords(0.3), tokenizer=tok, seed=0)
    coll = TextCollate(tok, 3, mixup_alpha=0.4, pad_to_multiple_of=8, seed=1)
    loader = aug.loader(batch_size=10, shuffle=True, num_workers=2, collate_fn=coll, multiprocessing_context="fork")
    a = list(loader)
    b = list(loader)
    assert len(a) == 4
    for x, y in zip(a, b, strict=False):  # keyed batches: the whole stream, mixing included, repeats
        for k in x:
            assert torch.equal(x[k], y[k]), k
    assert all(x["input_ids"].shape[1] % 8 == 0 and x["labels"].shape == (10, 3) for x in a)
    # tokenizing in the collate instead of the dataset gives the same ids
    aug_text = from_hf(hf_ds, DropWords(0.3), seed=0)
    c = list(aug_text.loader(batch_size=10, shuffle=True, num_workers=0, collate_fn=coll))
    for x, y in zip(a, c, strict=False):
        assert torch.equal(x["input_ids"], y["input_ids"]) and torch.equal(x["labels"], y["labels"])


def test_bad_text_names_the_row(tok):
    ds = datasets.Dataset.from_dict({"text": ["fine", None, "ok"], "label": [0, 1, 0]})
    aug = from_hf(ds, DropWords(), tokenizer=tok, seed=0)
    with pytest.raises(AugmentationError, match=r"sample index 1.*TypeError.*text is None"):
        aug[1]
    ds = datasets.Dataset.from_dict({"body": ["a b"], "label": [0]})
    with pytest.raises(AugmentationError, match="no text column 'text'"):
        from_hf(ds, tokenizer=tok, seed=0)[0]


def test_two_text_columns_draw_independently(tok):
    ds = datasets.Dataset.from_dict({"q": _texts(4), "a": _texts(4), "label": [0, 1, 0, 1]})
    t = HFTextTransform(DropWords(0.5), tokenizer=tok, text_column=["q", "a"], keep_text=True)
    row = ds[0]
    out = t(row, rng=sample_rng(0, 0, 0))
    assert out["input_ids"].tolist() == tok(out["q"], out["a"])["input_ids"]
    assert out["token_type_ids"].tolist() == tok(out["q"], out["a"])["token_type_ids"]
    params = t.sample(sample_rng(0, 0, 0))
    assert params["text"][0] != params["text"][1]


def test_truncation_and_raw_tokenizer(tok):
    row = {"text": " ".join(WORDS), "label": 2}
    out = HFTextTransform(tokenizer=tok, max_length=10)(row, rng=0)
    assert out["input_ids"].tolist() == tok(row["text"], truncation=True, max_length=10)["input_ids"]
    raw = tok.backend_tokenizer  # a raw tokenizers.Tokenizer: no pad token needed per row
    out_raw = HFTextTransform(tokenizer=raw, max_length=10)(row, rng=0)
    assert out_raw["input_ids"].tolist() == out["input_ids"].tolist()
    with pytest.raises(TypeError, match="tokenizer"):
        TokenizerAdapter(object())


# -- iterable ---------------------------------------------------------------------------------


def _iter_rows(ids, shard_by, workers, rank=None, world=None, epoch=0, batch_size=None, n_shards=4, hf_ds=None):
    it = hf_ds.to_iterable_dataset(num_shards=n_shards)
    ds = HFIterableDataset(
        it,
        HFTextTransform(DropWords(0.5), label_column="label", keep_columns=["idx"]),
        seed=7,
        shard_by=shard_by,
        rank=rank,
        world_size=world,
        batch_size=batch_size,
    )
    ds.set_epoch(epoch)
    loader = _loader(ds, _identity if batch_size else None, workers, batch_size=None)
    out = []
    for item in loader:
        if batch_size:
            assert isinstance(item, KeyedBatch) and item.epoch == epoch and len(item.indices) == len(item)
            out.extend(item)
        else:
            out.append(item)
    return out


@pytest.mark.parametrize("shard_by", ["examples", "shards"])
def test_iterable_every_row_once_across_two_workers(hf_ds, shard_by):
    rows = _iter_rows(None, shard_by, 2, hf_ds=hf_ds)
    assert Counter(r["idx"] for r in rows) == Counter(range(40))
    single = {r["idx"]: r["text"] for r in _iter_rows(None, shard_by, 0, hf_ds=hf_ds)}
    assert {r["idx"]: r["text"] for r in rows} == single  # keys do not depend on num_workers
    assert sum(single[i] != hf_ds[i]["text"] for i in range(40)) > 20  # augmented
    epoch1 = {r["idx"]: r["text"] for r in _iter_rows(None, shard_by, 2, epoch=1, hf_ds=hf_ds)}
    assert sum(epoch1[i] != single[i] for i in range(40)) > 15  # fresh every epoch


def test_iterable_keys_are_global_positions(hf_ds):
    rows = _iter_rows(None, "examples", 2, batch_size=6, hf_ds=hf_ds)
    t = HFTextTransform(DropWords(0.5), label_column="label", keep_columns=["idx"])
    for r in rows:  # position == idx here (in-memory, unshuffled)
        assert r == t.apply(hf_ds[r["idx"]], t.sample(sample_rng(7, 0, r["idx"])))


@pytest.mark.parametrize("shard_by", ["examples", "shards"])
def test_iterable_split_by_node_ranks(hf_ds, shard_by):
    per_rank = [_iter_rows(None, shard_by, 2 if r == 0 else 0, rank=r, world=2, hf_ds=hf_ds) for r in range(2)]
    ids = [[r["idx"] for r in rows] for rows in per_rank]
    assert not set(ids[0]) & set(ids[1]) and sorted(ids[0] + ids[1]) == list(range(40))
    if shard_by == "examples":
        assert set(ids[0]) == set(range(0, 40, 2))  # split_dataset_by_node: 1 example out of world_size
    whole = {r["idx"]: r["text"] for r in _iter_rows(None, shard_by, 0, hf_ds=hf_ds)}
    assert {r["idx"]: r["text"] for rows in per_rank for r in rows} == whole  # same keys whatever the world size


def test_iterable_bad_args(hf_ds):
    it = hf_ds.to_iterable_dataset()
    with pytest.raises(TypeError):
        HFIterableDataset(hf_ds)  # map-style
    with pytest.raises(ValueError):
        HFIterableDataset(it, shard_by="rows")
    with pytest.raises(ValueError):
        HFIterableDataset(it, rank=0)
    with pytest.raises(ValueError):
        HFIterableDataset(it, rank=2, world_size=2)
    with pytest.raises(TypeError):
        from_hf([{"text": "a"}])
    assert "HFIterableDataset(" in repr(from_hf(it, seed=0))


# -- tokenizers and fork -----------------------------------------------------------------------

_FORK_SCRIPT = textwrap.dedent("""
    import os, sys, time, signal, torch
    os.environ["TOKENIZERS_PARALLELISM"] = {parallelism!r}   # the user's explicit choice
    from loaders.hf import train_tokenizer, from_hf
    from collate import TextCollate
    import datasets
    corpus = [f"sentence number {{i}} about topic {{i % 7}} and more words" for i in range(2000)]
    tok = train_tokenizer(corpus[:500], vocab_size=300)
    tok(corpus)                                   # the parent uses the tokenizer (and its thread pool)
    if {control}:                                 # a bare fork that encodes: the hazard itself
        pid = os.fork()
        if pid == 0:
            tok(corpus); os._exit(0)
        for _ in range(40):
            time.sleep(0.1)
            if os.waitpid(pid, os.WNOHANG)[0]:
                print("control finished"); break
        else:
            os.kill(pid, signal.SIGKILL); os.waitpid(pid, 0); print("control hung")
    ds = from_hf(datasets.Dataset.from_dict({{"text": corpus[:256], "label": [0] * 256}}), seed=0)
    loader = torch.utils.data.DataLoader(ds, batch_size=64, num_workers=2, collate_fn=TextCollate(tok, 2),
                                         multiprocessing_context="fork")
    n = sum(len(b["input_ids"]) for b in loader)    # the workers tokenize whole batches
    print("rows", n, "parent TOKENIZERS_PARALLELISM", os.environ.get("TOKENIZERS_PARALLELISM"))
""")


def _run_fork_script(parallelism, control):
    code = _FORK_SCRIPT.format(parallelism=parallelism, control=control)
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))),
    )


@pytest.mark.slow
def test_fork_after_tokenizer_use_does_not_deadlock():
    """TOKENIZERS_PARALLELISM=true, the parent uses the pool, then 2 forked workers tokenize.

    Control in the same process: a bare forked child that encodes hangs (so the check can fail).
    """
    res = _run_fork_script("true", True)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "control hung" in res.stdout, res.stdout
    assert "rows 256 parent TOKENIZERS_PARALLELISM true" in res.stdout, res.stdout


def test_iterable_shuffled_stream_keyed_batches_through_text_collate(tok, hf_ds):
    it = hf_ds.to_iterable_dataset(num_shards=2).shuffle(seed=1, buffer_size=16)
    ds = HFIterableDataset(
        it, HFTextTransform(DropWords(0.3), tokenizer=tok, keep_columns=["idx"]), seed=0, batch_size=8
    )
    coll = TextCollate(tok, 3, mixup_alpha=0.4, seed=0)
    orders = []
    for epoch in (0, 0, 1):
        ds.set_epoch(epoch)
        rows = [r for b in _loader(ds, _identity, 2, batch_size=None) for r in b]
        assert Counter(r["idx"] for r in rows) == Counter(range(40))  # shuffled, still exactly once
        orders.append([r["idx"] for r in rows])
        batches = list(_loader(ds, coll, 2, batch_size=None))
        assert sum(len(b["labels"]) for b in batches) == 40 and all("mix_index" in b for b in batches)
    assert orders[0] == orders[1] and orders[0] != orders[2]  # the HF shuffle follows set_epoch


def test_rank_and_world_default_to_torch_distributed(hf_ds, monkeypatch):
    monkeypatch.setattr(torch.distributed, "is_initialized", lambda: True)
    monkeypatch.setattr(torch.distributed, "get_rank", lambda group=None: 1)
    monkeypatch.setattr(torch.distributed, "get_world_size", lambda group=None: 2)
    ds = HFIterableDataset(
        hf_ds.to_iterable_dataset(), HFTextTransform(label_column="label", keep_columns=["idx"]), seed=0
    )
    assert [r["idx"] for r in ds] == list(range(1, 40, 2))


def test_strength_knob_reaches_the_text_transform(tok, hf_ds):
    from loaders.keys import SharedValue

    strength = SharedValue(0.0)
    aug = from_hf(hf_ds, DropWords(0.5), knobs={"strength": strength}, seed=0)
    rows = [r for b in _loader(aug, _identity, 2, batch_size=10) for r in b]
    assert [r["text"] for r in rows] == hf_ds["text"]  # strength 0: p * 0, nothing applied
    strength.set(1.0)  # shared memory: the (new) workers see it
    rows = [r for b in _loader(aug, _identity, 2, batch_size=10) for r in b]
    assert sum(r["text"] != t for r, t in zip(rows, hf_ds["text"], strict=False)) > 20
