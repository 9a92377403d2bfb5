"""Hugging Face glue: ``datasets`` wrappers, tokenizers in the workers, and the Trainer side.

- `loaders.hf.tokenizers`: [train_tokenizer][loaders.hf.train_tokenizer] (a small WordPiece
  tokenizer trained offline), [TokenizerAdapter][loaders.hf.TokenizerAdapter],
  [pad_sequences][loaders.hf.pad_sequences] and the fork guard
  [no_fork_deadlock][loaders.hf.no_fork_deadlock].
- `loaders.hf.transform`: [HFTextTransform][loaders.hf.HFTextTransform], augment the text
  column(s) of a row, then tokenize, per sample in the DataLoader workers, keyed by
  ``(seed, epoch, index)``: fresh every epoch, never cached by ``datasets.Dataset.map``.
- `loaders.hf.iterable`: [HFIterableDataset][loaders.hf.HFIterableDataset] for streaming
  datasets (sharded over workers and ranks, resumable); `loaders.hf.wrap`:
  [from_hf][loaders.hf.from_hf] picks the wrapper.
- `loaders.hf.loss`: [soft_target_loss][loaders.hf.soft_target_loss] for
  ``transformers.Trainer(compute_loss_func=...)``; `loaders.hf.trainer`:
  [MixingTrainer][loaders.hf.MixingTrainer] (imports ``transformers`` when first used).

Importing this package sets ``TOKENIZERS_PARALLELISM=false`` unless the user has set it
(see `loaders.hf.tokenizers`).

Example:
    >>> tok = train_tokenizer(["the cat sat on the mat", "a dog ran"], vocab_size=60)
    >>> t = HFTextTransform(tokenizer=tok, text_column="text", label_column="label")
    >>> out = t({"text": "the cat ran", "label": 1}, rng=0)
    >>> sorted(out), out["label"]
    (['input_ids', 'label', 'token_type_ids'], 1)
    >>> tok.convert_ids_to_tokens(out["input_ids"].tolist())
    ['[CLS]', 'the', 'cat', 'ran', '[SEP]']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .iterable import HFIterableDataset
from .loss import soft_target_loss
from .tokenizers import SPECIAL_TOKENS, TokenizerAdapter, no_fork_deadlock, pad_sequences, train_tokenizer
from .transform import HFTextTransform, check_text
from .wrap import from_hf

if TYPE_CHECKING:
    from .trainer import MixingTrainer

no_fork_deadlock()

__all__ = [
    "HFIterableDataset",
    "HFTextTransform",
    "MixingTrainer",
    "SPECIAL_TOKENS",
    "TokenizerAdapter",
    "check_text",
    "from_hf",
    "no_fork_deadlock",
    "pad_sequences",
    "soft_target_loss",
    "train_tokenizer",
]


def __getattr__(name: str) -> Any:
    if name == "MixingTrainer":  # imports transformers' Trainer
        return importlib.import_module(".trainer", __name__).MixingTrainer
    raise AttributeError(f"module 'loaders.hf' has no attribute {name!r}")
