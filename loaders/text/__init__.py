"""Text augmentation: word-level EDA operations, shuffles, syntax paraphrases, a thesaurus.

Every transform is a :class:`loaders.Transform` on a ``str`` (keyed like every
other: ``sample(rng)`` then a deterministic ``apply``). The functional core is
in :mod:`loaders.text.ops` (pure functions on split text),
tokenization in :mod:`loaders.text.tokenizer` (exact round trip), synonym
sources in :mod:`loaders.text.thesaurus` (the shipped WordNet 3.0 table, NLTK's
WordNet, or a mapping), inflection in :mod:`loaders.text.inflect` and the
dependency-parse rewrites in :mod:`loaders.text.syntax` (spaCy, loaded lazily).

Example:
    >>> from loaders.text import EDA, RandomDeletion
    >>> out = RandomDeletion(0.3)("Augment this short sentence, please.", rng=0)
    >>> isinstance(out, str) and len(out) > 0
    True
"""

from __future__ import annotations

import importlib

from .thesaurus import (MappingThesaurus, NLTKWordNet, Thesaurus, WordNetThesaurus, default_thesaurus,
                        lookup)
from .tokenizer import join_words, split_sentences, split_words, tokenize
from .transforms import (EDA, RandomDeletion, RandomInsertion, RandomSwap, SentenceShuffle,
                         SynonymReplacement, WordShuffle)

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


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'loaders.text' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
