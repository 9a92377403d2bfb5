"""Text augmentation: word-level EDA operations, shuffles, syntax paraphrases, a thesaurus.

Every transform is a [Transform][loaders.Transform] on a `str` (keyed like every
other: `sample(rng)` then a deterministic `apply`). Layers inside the package, lowest first:

* `tokenizer` (exact round-trip word splitting), `rng` (the replay generator),
  `inflect` (English inflection), `nlp` (loading spaCy lazily);
* `ops` (the functional core: pure functions on split text), `thesaurus` (synonym
  sources: the shipped WordNet 3.0 table, NLTK's WordNet, or a mapping);
* `base` ([StringTransform][loaders.text.base.StringTransform], [check_text][loaders.text.base.check_text]);
* `transforms` (the EDA operations and shuffles), `syntax`
  ([SyntaxParaphrase][loaders.text.SyntaxParaphrase], imported on first use: it needs spaCy).

Example:
    >>> from loaders.text import EDA, RandomDeletion
    >>> out = RandomDeletion(0.3)("Augment this short sentence, please.", rng=0)
    >>> isinstance(out, str) and len(out) > 0
    True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .base import StringTransform, check_text
from .nlpaug import NLPAug
from .thesaurus import MappingThesaurus, NLTKWordNet, Thesaurus, WordNetThesaurus, default_thesaurus, lookup
from .tokenizer import join_words, split_sentences, split_words, tokenize
from .transforms import (
    EDA,
    RandomDeletion,
    RandomInsertion,
    RandomSwap,
    SentenceShuffle,
    SynonymReplacement,
    WordShuffle,
)

if TYPE_CHECKING:
    from .syntax import SyntaxParaphrase

_LAZY = {"SyntaxParaphrase": ".syntax"}

__all__ = [
    "WordShuffle",
    "SentenceShuffle",
    "SynonymReplacement",
    "RandomInsertion",
    "RandomDeletion",
    "RandomSwap",
    "SyntaxParaphrase",
    "EDA",
    "NLPAug",
    "StringTransform",
    "check_text",
    "Thesaurus",
    "WordNetThesaurus",
    "MappingThesaurus",
    "NLTKWordNet",
    "default_thesaurus",
    "lookup",
    "split_words",
    "join_words",
    "split_sentences",
    "tokenize",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'loaders.text' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
