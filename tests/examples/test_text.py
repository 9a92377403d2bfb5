"""Smoke test of examples/text.py in its --quick mode (real 2-worker fork DataLoader)."""

from __future__ import annotations

import importlib.util
import os

import torch

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_PATH = os.path.join(_REPO, "examples", "text.py")


def test_text_example_quick(capsys):
    spec = importlib.util.spec_from_file_location("examples_text", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    threads = torch.get_num_threads()
    try:
        results = mod.main(["--quick", "--workers", "2"])
    finally:
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    assert "Original vs augmented" in out and "epoch 1:" in out
    assert "Synthetic templated corpus" in out  # says honestly what the data is
    assert len(results) == 2 and all(0.0 <= acc <= 1.0 for acc in results.values())
    # the corpus generator: balanced topics, the test split uses held-out words
    texts, labels = mod.make_corpus(40, "train", 0)
    test_texts, _ = mod.make_corpus(40, "test", 0)
    assert sorted(set(labels)) == [0, 1, 2, 3] and labels.count(0) == 10
    held_out = {w for lex in mod.LEXICON.values() for name in lex for w in lex[name][1]}
    assert any(w in t for t in test_texts for w in held_out)
    assert not any(f" {w} " in f" {t} " for t in texts for w in held_out if len(w.split()) > 1)
