"""Harness rows for the Hugging Face row transform."""

from __future__ import annotations

from typing import Any

from loaders import Lambda
from loaders.hf import HFTextTransform, train_tokenizer
from tests.cases import Case


def _examples() -> list[Any]:
    tok = train_tokenizer(["the film was good", "a bad film"], vocab_size=50)
    row = {"text": "the film was bad", "label": 1, "idx": 4}
    return [
        (HFTextTransform(Lambda(str.lower), tokenizer=tok), row),
        (HFTextTransform(None, tokenizer=tok, max_length=4, keep_text=True, keep_columns=["idx"]), row),
        (HFTextTransform(Lambda(str.title), text_column=["text"], label_column=None), row),
    ]


def _bad_args() -> list[dict[str, Any]]:
    return [
        {"transform": str.upper},
        {"text_column": 3},
        {"text_column": ["a", "b", "c"]},
        {"text_column": ["a", "a"]},
        {"label_column": "text"},
        {"max_length": 8},
        {"keep_columns": "idx"},
        {"tokenizer": "bert-base-uncased"},
    ]


CASES = {HFTextTransform: Case(examples=_examples, bad_args=_bad_args)}
