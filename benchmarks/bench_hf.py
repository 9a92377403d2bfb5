"""TextCollate and the per-row HF pipeline against the usual transformers path, same process.

Rows (medians of repeated timings, batch of 64 sentences, a WordPiece tokenizer
trained in-process):

* raw text -> padded batch + soft labels: ``TextCollate`` vs
  ``tokenizer(texts, padding=True, return_tensors="pt")`` + ``one_hot`` (peer);
* pre-tokenized rows -> padded batch: ``TextCollate`` (also soft labels) vs
  ``transformers.DataCollatorWithPadding`` (peer, int labels);
* one row tokenized: ``HFTextTransform`` (tokenizer only) vs calling the tokenizer;
* embedding MixUp hook: a tiny BERT forward with ``EmbeddingMixer`` vs without.

Prints a table (ratio = peer time / ours: > 1 means ours is faster) and writes
``benchmarks/results/hf.json``. Timings on a shared machine are noisy.

Usage: ``python benchmarks/bench_hf.py [--quick]``
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402


def _median_time(fn, repeat: int, number: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return float(np.median(times))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    from transformers import BertConfig, BertForSequenceClassification, DataCollatorWithPadding

    from collate import EmbeddingMixer, TextCollate
    from loaders.hf import HFTextTransform, train_tokenizer
    from loaders.keys import KeyedBatch

    repeat, number = (3, 5) if args.quick else (9, 30)
    rng = np.random.default_rng(0)
    vocab = (
        "the a team market storm engineers released won cut flooded shares rates new phone coast match "
        "after before quickly slowly reported said season year city league profits chip app rain"
    ).split()
    texts = [" ".join(rng.choice(vocab, size=int(rng.integers(6, 40)))) for _ in range(64)]
    labels = [int(i % 4) for i in range(64)]
    tok = train_tokenizer(texts * 4, vocab_size=300)
    rows_text = KeyedBatch(
        [{"text": t, "label": y} for t, y in zip(texts, labels, strict=True)], indices=list(range(64))
    )
    enc = [tok(t) for t in texts]
    rows_tok = KeyedBatch(
        [
            {"input_ids": e["input_ids"], "token_type_ids": e["token_type_ids"], "label": y}
            for e, y in zip(enc, labels, strict=True)
        ],
        indices=list(range(64)),
    )
    peer_rows = [
        {
            "input_ids": e["input_ids"],
            "token_type_ids": e["token_type_ids"],
            "attention_mask": e["attention_mask"],
            "label": y,
        }
        for e, y in zip(enc, labels, strict=True)
    ]

    ours_collate = TextCollate(tok, 4)
    dcwp = DataCollatorWithPadding(tok, return_tensors="pt")
    ylong = torch.tensor(labels)

    def peer_text():
        b = tok(texts, padding=True, return_tensors="pt")
        b["labels"] = torch.nn.functional.one_hot(ylong, 4).float()
        return b

    row_t = HFTextTransform(tokenizer=tok)
    row = {"text": texts[0], "label": 1}
    params = row_t.sample(np.random.default_rng(0))

    torch.manual_seed(0)
    model = BertForSequenceClassification(
        BertConfig(
            vocab_size=len(tok),
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=128,
            max_position_embeddings=64,
            num_labels=4,
        )
    ).eval()
    mixed = TextCollate(tok, 4, mixup_alpha=0.4, seed=0)(rows_text)
    mixer = EmbeddingMixer(model)
    inputs = EmbeddingMixer.model_inputs(mixed)

    def with_mixer():
        with torch.no_grad(), mixer(mixed) as inp:
            return model(**inp).logits

    def without_mixer():
        with torch.no_grad():
            return model(**inputs).logits

    cases = [
        (
            "raw text -> batch + soft labels (64)",
            lambda: ours_collate(rows_text),
            peer_text,
            "tokenizer(padding=True)+one_hot",
        ),
        (
            "pre-tokenized -> padded batch (64)",
            lambda: ours_collate(rows_tok),
            lambda: dcwp(peer_rows),
            "DataCollatorWithPadding",
        ),
        ("one row tokenized", lambda: row_t.apply(row, params), lambda: tok(row["text"]), "tokenizer(text)"),
        ("tiny BERT forward (64)", with_mixer, without_mixer, "forward without EmbeddingMixer"),
    ]
    results = []
    print(f"{'case':40s} {'ours ms':>9s} {'peer ms':>9s} {'peer/ours':>9s}  peer")
    for name, ours, peer, peer_name in cases:
        t_ours, t_peer = _median_time(ours, repeat, number), _median_time(peer, repeat, number)
        results.append(
            {
                "case": name,
                "ours_s": t_ours,
                "peer_s": t_peer,
                "ratio_peer_over_ours": t_peer / t_ours,
                "peer": peer_name,
            }
        )
        print(f"{name:40s} {t_ours * 1e3:9.3f} {t_peer * 1e3:9.3f} {t_peer / t_ours:9.2f}  {peer_name}")
    print("(medians; shared CPU, timings are noisy)")
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    payload = {"benchmark": "hf", "quick": args.quick, "torch_threads": 1, "results": results}
    (out / "hf.json").write_text(json.dumps(payload, indent=2))
    return payload


if __name__ == "__main__":
    main()
