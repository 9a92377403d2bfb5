"""TextCollate and EmbeddingMixer against independent references.

References: the tokenizer's own padding (``tokenizer(..., padding=True)``), the soft
label formulas written out here, scipy's Beta distribution, and a tiny real
``transformers`` BERT (built from a config, no download) whose mixed forward pass must
equal its forward pass on hand-mixed ``inputs_embeds``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from collate import EmbeddingMixer, TextCollate
from collate.text import pad_sequences, soft_labels
from loaders.hf import train_tokenizer
from loaders.keys import KeyedBatch

CORPUS = [
    "the striker scored a late goal and the team won the match",
    "the central bank raised interest rates to fight inflation",
    "a new phone with a faster chip and a brighter screen",
    "the goalkeeper saved a penalty in the final minute",
    "shares fell after the company reported weak quarterly profits",
    "the laptop battery lasts all day and charges quickly",
    "fans cheered as the captain lifted the trophy",
    "investors worry about rising bond yields",
    "ok",
]


@pytest.fixture(scope="module")
def tok():
    return train_tokenizer(CORPUS * 3, vocab_size=300)


def _rows(n=6, offset=0):
    return [{"text": CORPUS[(i + offset) % len(CORPUS)], "label": i % 3} for i in range(n)]


def _keyed(rows, epoch=0, indices=None, knobs=None):
    return KeyedBatch(rows, seed=0, epoch=epoch, indices=indices or list(range(100, 100 + len(rows))), knobs=knobs)


# -- padding -------------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("multiple", [None, 8])
def test_padding_matches_the_tokenizer(tok, side, multiple):
    tok.padding_side = side
    try:
        rows = _rows(5)
        out = TextCollate(tok, 3, pad_to_multiple_of=multiple)(rows)
        ref = tok([r["text"] for r in rows], padding=True, pad_to_multiple_of=multiple, return_tensors="pt")
    finally:
        tok.padding_side = "right"
    for k in ("input_ids", "attention_mask", "token_type_ids"):
        assert torch.equal(out[k], ref[k]), k
        assert out[k].dtype == torch.long
    if multiple:
        assert out["input_ids"].shape[1] % multiple == 0
    # dynamic: padded to the longest of *this* batch
    longest = max(len(tok(r["text"])["input_ids"]) for r in rows)
    assert out["input_ids"].shape[1] == (longest if multiple is None else -(-longest // 8) * 8)


def test_text_pairs_and_truncation_match_the_tokenizer(tok):
    rows = [{"q": a, "a": b, "label": 0} for a, b in zip(CORPUS[:4], CORPUS[4:8], strict=False)]
    out = TextCollate(tok, 2, text_key="q", text_pair_key="a", max_length=12)(rows)
    ref = tok(
        [r["q"] for r in rows],
        [r["a"] for r in rows],
        padding=True,
        truncation=True,
        max_length=12,
        return_tensors="pt",
    )
    for k in ("input_ids", "attention_mask", "token_type_ids"):
        assert torch.equal(out[k], ref[k]), k
    assert out["input_ids"].shape[1] == 12 and set(out["token_type_ids"].unique().tolist()) == {0, 1}


def test_raw_tokenizers_tokenizer(tok):
    raw = type(tok.backend_tokenizer).from_str(tok.backend_tokenizer.to_str())
    raw.no_padding()
    raw.no_truncation()  # (transformers leaves its last truncation setting on the backend)
    with pytest.raises(ValueError, match="pad"):
        TextCollate(raw, 3)  # padding not enabled: no pad token
    raw_pad = type(raw).from_str(raw.to_str())
    raw_pad.enable_padding(pad_id=0, pad_token="[PAD]")
    rows = _rows(4)
    out = TextCollate(raw_pad, 3)(rows)
    encs = raw_pad.encode_batch([r["text"] for r in rows])  # the tokenizer's own padding
    assert torch.equal(out["input_ids"], torch.tensor([e.ids for e in encs]))
    assert torch.equal(out["attention_mask"], torch.tensor([e.attention_mask for e in encs]))
    assert raw_pad.padding is not None and raw_pad.truncation is None  # the user's tokenizer is untouched
    assert torch.equal(TextCollate(raw, 3, pad_token_id=0)(rows)["input_ids"], out["input_ids"])


def test_raw_tokenizer_left_padding_and_multiple(tok):
    raw = type(tok.backend_tokenizer).from_str(tok.backend_tokenizer.to_str())
    raw.no_truncation()
    raw.enable_padding(direction="left", pad_id=0, pad_token="[PAD]", pad_to_multiple_of=8)
    rows = _rows(5)
    out = TextCollate(raw, 3, pad_to_multiple_of=8, max_length=12)(rows)
    ref_tok = type(raw).from_str(raw.to_str())
    ref_tok.enable_truncation(12)
    encs = ref_tok.encode_batch([r["text"] for r in rows])  # the tokenizer's own left padding
    assert torch.equal(out["input_ids"], torch.tensor([e.ids for e in encs]))
    assert torch.equal(out["attention_mask"], torch.tensor([e.attention_mask for e in encs]))
    assert out["input_ids"].shape[1] == 16 and out["attention_mask"][:, -1].all()


def test_pretokenized_samples_are_only_padded(tok):
    rows = [
        {"input_ids": torch.tensor([2, 9, 3]), "token_type_ids": torch.zeros(3, dtype=torch.long), "label": 1},
        {"input_ids": [2, 3], "token_type_ids": [0, 0], "label": 0},
    ]
    out = TextCollate(tok, 2)(rows)
    assert out["input_ids"].tolist() == [[2, 9, 3], [2, 3, 0]]
    assert out["attention_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]
    with pytest.raises(ValueError, match="max_length"):
        TextCollate(tok, 2, max_length=2)(rows)
    with pytest.raises(ValueError, match="mixes raw-text"):
        TextCollate(tok, 2)([rows[0], {"text": "a", "label": 0}])


def test_pad_sequences_reference():
    ids, mask = pad_sequences([[1, 2, 3, 4, 5], [], [7]], 9, pad_to_multiple_of=4, side="left")
    assert ids.tolist() == [[9, 9, 9, 1, 2, 3, 4, 5], [9] * 8, [9] * 7 + [7]]
    assert mask.sum(1).tolist() == [5, 0, 1]


def test_samples_are_not_mutated(tok):
    rows = [{"input_ids": torch.tensor([2, 9, 3]), "label": np.array([0.0, 2.0])}]
    before_ids, before_label = rows[0]["input_ids"].clone(), rows[0]["label"].copy()
    TextCollate(tok, 2, mixup_alpha=0.5, seed=0)(rows * 2)
    assert torch.equal(rows[0]["input_ids"], before_ids) and np.array_equal(rows[0]["label"], before_label)


# -- labels --------------------------------------------------------------------------------


def test_soft_labels_formulas(tok):
    c = TextCollate(tok, 4, label_smoothing=0.1, target_dtype=torch.float64)
    rows = [
        {"text": "a", "label": 2},
        {"text": "b", "label": [1, 0, 1, 0]},
        {"text": "c", "label": torch.tensor([0.2, 0.3, 0.5, 0.0], dtype=torch.float64)},
        {"text": "d", "label": np.int64(0)},
        {"text": "e", "label": torch.tensor(3)},
    ]
    y = c(rows)["labels"]
    raw = torch.tensor(
        [[0, 0, 1, 0], [0.5, 0, 0.5, 0], [0.2, 0.3, 0.5, 0], [1, 0, 0, 0], [0, 0, 0, 1]], dtype=torch.float64
    )
    assert y.dtype == torch.float64
    torch.testing.assert_close(y, raw * 0.9 + 0.1 / 4, rtol=0, atol=1e-15)
    torch.testing.assert_close(y.sum(1), torch.ones(5, dtype=torch.float64))
    # stock CrossEntropyLoss takes them as class probabilities
    logits = torch.randn(5, 4, dtype=torch.float64)
    ref = -(y * torch.log_softmax(logits, 1)).sum(1).mean()
    torch.testing.assert_close(torch.nn.CrossEntropyLoss()(logits, y), ref)


def test_soft_labels_function_errors():
    with pytest.raises(ValueError, match="shape"):
        soft_labels([[1, 0]], 3)
    with pytest.raises(ValueError, match="not all zero"):
        soft_labels([[0, 0, 0]], 3)
    with pytest.raises(TypeError):
        soft_labels([1.5], 3)
    with pytest.raises(TypeError):
        soft_labels([True], 3)


def test_label_out_of_range_names_the_sample(tok):
    rows = _rows(3)
    rows[1] = {"text": "x", "label": 3}
    with pytest.raises(ValueError, match=r"sample 1 \(dataset index 17\).*out of range \[0, 2\]"):
        TextCollate(tok, 3)(_keyed(rows, indices=[16, 17, 18]))
    rows[1] = {"text": "x", "label": -1}
    with pytest.raises(ValueError, match="sample 1"):
        TextCollate(tok, 3)(rows)


@pytest.mark.parametrize("bad", [None, b"bytes", 42, ["a", "list"]])
def test_non_string_text_is_a_type_error_naming_the_sample(tok, bad):
    rows = _rows(3)
    rows[2] = {"text": bad, "label": 0}
    with pytest.raises(TypeError, match=r"sample 2 \(dataset index 7\)"):
        TextCollate(tok, 3)(_keyed(rows, indices=[5, 6, 7]))


def test_tokenizer_without_pad_token_is_refused(tok):
    from transformers import PreTrainedTokenizerFast

    backend = type(tok.backend_tokenizer).from_str(tok.backend_tokenizer.to_str())
    backend.no_padding()  # (transformers leaves its last padding setting on the backend)
    no_pad = PreTrainedTokenizerFast(tokenizer_object=backend)
    with pytest.raises(ValueError, match="no pad token"):
        TextCollate(no_pad, 2)
    assert TextCollate(no_pad, 2, pad_token_id=0)([("a b", 1)])["input_ids"].shape[0] == 1


def test_bad_samples_and_batches(tok):
    c = TextCollate(tok, 2)
    with pytest.raises(ValueError, match="empty"):
        c([])
    with pytest.raises(KeyError, match="label"):
        c([{"text": "a"}])
    with pytest.raises(TypeError, match="sample 0"):
        c(["just a string"])
    assert sorted(TextCollate(tok, 2, label_key=None)(["just a string"])) == [
        "attention_mask",
        "input_ids",
        "token_type_ids",
    ]


# -- mixing --------------------------------------------------------------------------------


def test_mixing_labels_and_masks_follow_the_emitted_pairing(tok):
    c = TextCollate(tok, 3, mixup_alpha=0.4, per_sample=True, label_smoothing=0.1, seed=5)
    rows = _rows(6)
    plain = TextCollate(tok, 3, label_smoothing=0.1)(rows)
    for epoch in range(4):
        out = c(_keyed(rows, epoch=epoch))
        idx, lam = out["mix_index"], out["mix_lambda"].double()
        assert sorted(idx.tolist()) == list(range(6)) and lam.shape == (6,)
        y = plain["labels"].double()
        torch.testing.assert_close(out["labels"].double(), lam[:, None] * y + (1 - lam[:, None]) * y[idx])
        assert torch.equal(out["attention_mask"], plain["attention_mask"] | plain["attention_mask"][idx])
        assert torch.equal(out["input_ids"], plain["input_ids"])  # ids are never blended


def test_keyed_draws_reproduce_and_differ_by_epoch(tok):
    c = TextCollate(tok, 3, mixup_alpha=1.0, seed=1)
    rows = _rows(8)
    a, b = c(_keyed(rows, epoch=3)), c(_keyed(rows, epoch=3))
    assert torch.equal(a["mix_index"], b["mix_index"]) and torch.equal(a["mix_lambda"], b["mix_lambda"])
    lams = {float(c(_keyed(rows, epoch=e))["mix_lambda"][0]) for e in range(6)}
    assert len(lams) == 6
    other_salt = TextCollate(tok, 3, mixup_alpha=1.0, seed=2)(_keyed(rows, epoch=3))
    assert not torch.equal(other_salt["mix_lambda"], a["mix_lambda"])


def test_p_and_strength_knob(tok):
    rows = _rows(4)
    off = TextCollate(tok, 3, mixup_alpha=1.0, p=0.0)(_keyed(rows))
    assert off["mix_index"].tolist() == [0, 1, 2, 3] and off["mix_lambda"].tolist() == [1.0] * 4
    c = TextCollate(tok, 3, mixup_alpha=1.0, p=1.0)
    assert c(_keyed(rows, knobs={"mix_strength": 0.0, "strength": 1.0}))["mix_lambda"].tolist() == [1.0] * 4
    assert c(_keyed(rows, knobs={"strength": 0.0}))["mix_lambda"].tolist() == [1.0] * 4
    # p * s: the fraction of mixed batches over many keys
    mixed = sum(float(c(_keyed(rows, epoch=e, knobs={"strength": 0.5}))["mix_lambda"][0]) != 1.0 for e in range(300))
    assert 110 < mixed < 190  # binomial(300, 0.5): about 6.8 sd either side


def test_lambda_distribution_is_beta(tok):
    alpha = 0.4
    c = TextCollate(tok, 3, mixup_alpha=alpha, per_sample=True)
    rows = [{"input_ids": [2, 3], "label": 0}] * 64
    lam = torch.cat([c(_keyed(rows, epoch=e))["mix_lambda"] for e in range(25)]).double().numpy()
    assert stats.kstest(lam, stats.beta(alpha, alpha).cdf).pvalue > 1e-3
    assert stats.kstest(lam, stats.beta(1.0, 1.0).cdf).pvalue < 1e-3  # the test can tell


def test_plain_list_uses_a_per_process_generator(tok):
    c = TextCollate(tok, 3, mixup_alpha=1.0, seed=0)
    rows = _rows(6)
    draws = [float(c(rows)["mix_lambda"][0]) for _ in range(3)]
    assert len(set(draws)) == 3  # the generator advances
    import pickle

    clone = pickle.loads(pickle.dumps(c))  # a fresh process would start from (seed, worker) again
    assert float(clone(rows)["mix_lambda"][0]) == draws[0]


def test_distinct_draws_in_two_workers(tok):
    class Rows(torch.utils.data.Dataset):
        def __len__(self):
            return 16

        def __getitem__(self, i):
            return {"input_ids": [2, 3], "label": i % 3}

    c = TextCollate(tok, 3, mixup_alpha=1.0, seed=0)
    loader = torch.utils.data.DataLoader(
        Rows(), batch_size=4, num_workers=2, collate_fn=c, multiprocessing_context="fork"
    )
    torch.manual_seed(0)
    lams = [float(b["mix_lambda"][0]) for b in loader]
    assert len(set(lams)) == 4, lams  # workers 0 and 1 do not repeat each other
    again = [float(b["mix_lambda"][0]) for b in loader]
    assert not set(again) & set(lams)  # new (non-persistent) workers draw anew next epoch
    torch.manual_seed(0)
    assert [float(b["mix_lambda"][0]) for b in loader] == lams  # reproducible under torch.manual_seed


# -- a real tiny transformers model ------------------------------------------------------


@pytest.fixture(scope="module")
def bert(tok):
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    cfg = BertConfig(
        vocab_size=len(tok),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=64,
        num_labels=3,
        pad_token_id=tok.pad_token_id,
    )
    return BertForSequenceClassification(cfg)


def test_embedding_mixer_output_is_the_mixture(tok, bert):
    bert.eval()
    c = TextCollate(tok, 3, mixup_alpha=0.8, per_sample=True, seed=0)
    batch = c(_keyed(_rows(6), epoch=1))
    idx, lam = batch["mix_index"], batch["mix_lambda"]
    assert not torch.equal(idx, torch.arange(6))
    emb = bert.get_input_embeddings()
    with torch.no_grad():
        e = emb(batch["input_ids"])
        expected = lam.view(-1, 1, 1) * e + (1 - lam.view(-1, 1, 1)) * e[idx]
        seen = []
        with EmbeddingMixer(bert)(batch) as inputs:
            handle = emb.register_forward_hook(lambda m, a, out: seen.append(out))  # runs after the mixer's
            try:
                logits = bert(**inputs).logits
            finally:
                handle.remove()
        assert sorted(inputs) == ["attention_mask", "input_ids", "token_type_ids"]
        assert torch.equal(seen[0], expected)
        # independent path: the model fed the hand-mixed word embeddings directly
        ref = bert(
            inputs_embeds=expected, attention_mask=batch["attention_mask"], token_type_ids=batch["token_type_ids"]
        ).logits
        torch.testing.assert_close(logits, ref, rtol=0, atol=0)
        # the hook is gone after the block: plain forward differs from the mixed one
        assert torch.equal(emb(batch["input_ids"]), e)
        assert not torch.allclose(bert(**inputs).logits, logits)


def test_embedding_mixer_removes_its_hook_on_error(tok, bert):
    batch = TextCollate(tok, 3, mixup_alpha=0.8, seed=0)(_keyed(_rows(4), epoch=2))
    emb = bert.get_input_embeddings()
    with pytest.raises(RuntimeError, match="boom"):
        with EmbeddingMixer(bert)(batch):
            raise RuntimeError("boom")
    with torch.no_grad():
        assert torch.equal(emb(batch["input_ids"]), torch.nn.functional.embedding(batch["input_ids"], emb.weight))
    with pytest.raises(TypeError, match="get_input_embeddings"):
        EmbeddingMixer(torch.nn.Linear(2, 2))
    wrong = dict(batch, mix_index=torch.arange(3), mix_lambda=torch.ones(3))
    with pytest.raises(ValueError, match="batch size 3"):
        with EmbeddingMixer(bert)(wrong) as inputs:
            bert(**inputs)


def test_tiny_bert_trains_a_step_with_embedding_mixup(tok, bert):
    bert.train()
    c = TextCollate(tok, 3, mixup_alpha=0.4, label_smoothing=0.1, pad_to_multiple_of=8, seed=0)
    batch = c(_keyed(_rows(8), epoch=0))
    assert not torch.equal(batch["mix_index"], torch.arange(8))
    opt = torch.optim.SGD(bert.parameters(), lr=0.5)
    before = [p.detach().clone() for p in bert.parameters()]
    criterion = torch.nn.CrossEntropyLoss()  # stock loss, soft targets
    mixer = EmbeddingMixer(bert)
    with mixer(batch) as inputs:
        logits = bert(**inputs).logits
    loss = criterion(logits, batch["labels"])
    assert torch.isfinite(loss)
    opt.zero_grad()
    loss.backward()
    assert bert.get_input_embeddings().weight.grad.abs().sum() > 0
    opt.step()
    changed = sum(not torch.equal(a, b.detach()) for a, b in zip(before, bert.parameters(), strict=False))
    assert changed >= len(before) - 2, (changed, len(before))  # (pooler etc. all get gradients)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_embedding_mixer_on_cuda_bfloat16(tok, bert):
    import copy

    model = copy.deepcopy(bert).to("cuda", torch.bfloat16).eval()
    batch = TextCollate(tok, 3, mixup_alpha=0.8, per_sample=True, seed=0)(_keyed(_rows(4), epoch=1))
    cuda_batch = {k: v.cuda() if k != "mix_lambda" else v for k, v in batch.items()}  # lam stays on CPU
    emb = model.get_input_embeddings()
    seen = []
    with torch.no_grad():
        e = emb(cuda_batch["input_ids"])
        with EmbeddingMixer(model)(cuda_batch) as inputs:
            h = emb.register_forward_hook(lambda m, a, out: seen.append(out))
            try:
                model(**inputs)
            finally:
                h.remove()
    lam = batch["mix_lambda"].to("cuda", torch.bfloat16).view(-1, 1, 1)
    assert seen[0].dtype == torch.bfloat16 and seen[0].device.type == "cuda"
    assert torch.equal(seen[0], lam * e + (1 - lam) * e[cuda_batch["mix_index"]])
