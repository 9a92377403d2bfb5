"""Harness rows for the text transforms in `loaders.text`."""

from __future__ import annotations

from typing import Any

from loaders.text import (
    EDA,
    RandomDeletion,
    RandomInsertion,
    RandomSwap,
    SentenceShuffle,
    SynonymReplacement,
    SyntaxParaphrase,
    WordShuffle,
)
from tests.cases import Case

SAMPLE_TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Don't worry, the café's naïve owner sold 3.5 kg of coffee! Ελληνικά words stay.",
]


def _default_examples(cls: Any) -> list[Any]:
    return [(cls(), s) for s in SAMPLE_TEXTS] + [(cls(p=0.5), "one"), (cls(), "")]


def _syntax_examples() -> list[Any]:
    return [
        (SyntaxParaphrase(), "The committee approved the new budget in March. We ate apples and oranges."),
        (SyntaxParaphrase(rewrites=["passive"], p=0.5), "The cat chased the mouse."),
        (SyntaxParaphrase(), ""),
        (SyntaxParaphrase(), "Hello?"),
    ]


def _bad(rows: list[dict[str, Any]]) -> Any:
    return lambda: rows


CASES = {
    RandomDeletion: Case(
        examples=lambda: _default_examples(RandomDeletion),
        bad_args=_bad([{"p_word": 1.5}, {"p_word": -0.1}, {"p_word": "0.1"}, {"p": 2.0}]),
    ),
    RandomSwap: Case(
        examples=lambda: _default_examples(RandomSwap),
        bad_args=_bad([{"alpha": 1.5}, {"alpha": -0.1}, {"alpha": None}]),
    ),
    SynonymReplacement: Case(
        examples=lambda: _default_examples(SynonymReplacement),
        bad_args=_bad([{"alpha": 2.0}, {"thesaurus": {"a": ["b"]}}, {"stop_words": "the"}, {"stop_words": [1]}]),
    ),
    RandomInsertion: Case(
        examples=lambda: _default_examples(RandomInsertion),
        bad_args=_bad([{"alpha": -1}, {"thesaurus": "wordnet"}, {"stop_words": 3}]),
    ),
    WordShuffle: Case(
        examples=lambda: _default_examples(WordShuffle) + [(WordShuffle(window=2), SAMPLE_TEXTS[0])],
        bad_args=_bad([{"window": 0}, {"window": 2.5}, {"p": -1}]),
    ),
    SentenceShuffle: Case(
        examples=lambda: (
            _default_examples(SentenceShuffle) + [(SentenceShuffle(), "First one. Second one! Third? Fourth.")]
        ),
        bad_args=_bad([{"p": 1.1}, {"p": "x"}]),
    ),
    EDA: Case(
        examples=lambda: _default_examples(EDA),
        bad_args=_bad(
            [
                {"alpha_sr": 0, "alpha_ri": 0, "alpha_rs": 0, "p_rd": 0},
                {"alpha_sr": 1.2},
                {"p_rd": -0.5},
                {"thesaurus": 5},
            ]
        ),
    ),
    SyntaxParaphrase: Case(
        examples=_syntax_examples,
        bad_args=_bad(
            [
                {"rewrites": ["active"]},
                {"rewrites": []},
                {"rewrites": "passive"},
                {"model": 3},
                {"cache_size": -1},
                {"p": 2.0},
            ]
        ),
    ),
}
