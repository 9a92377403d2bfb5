"""Tokenizers inside DataLoader workers: training a small one offline, one encoding interface, padding.

- [train_tokenizer][loaders.hf.train_tokenizer] trains a small WordPiece tokenizer in-process with
  ``tokenizers`` (offline, milliseconds for a small corpus) and wraps it as a
  ``transformers.PreTrainedTokenizerFast`` with ``[PAD]``/``[UNK]``/``[CLS]``/``[SEP]``/``[MASK]``.
- [TokenizerAdapter][loaders.hf.TokenizerAdapter]: one interface over a ``transformers``
  tokenizer and a raw ``tokenizers.Tokenizer``.
- [pad_sequences][loaders.hf.pad_sequences]: pad token id lists into a batch and its mask.

Tokenizers and forked workers: the Rust tokenizers deadlock (or print a warning
and fall back to one thread) when a process forks after their thread pool was
used (with ``TOKENIZERS_PARALLELISM=true``, tokenizers 0.23 hangs in the child).
Two guards: importing `loaders.hf`, or building an `loaders.hf.HFTextTransform` with a
tokenizer or a `collate.TextCollate`, sets ``TOKENIZERS_PARALLELISM=false``
unless the user has set the variable ([no_fork_deadlock][loaders.hf.no_fork_deadlock]); and the
first encode inside a DataLoader worker sets it to ``false`` in that worker process,
whatever the user chose, so the child never touches the pool it inherited.

Example:
    >>> tok = train_tokenizer(["the cat sat on the mat", "a dog ran"], vocab_size=60)
    >>> ids, _ = TokenizerAdapter(tok).encode(["the cat ran"])
    >>> tok.convert_ids_to_tokens(ids[0])
    ['[CLS]', 'the', 'cat', 'ran', '[SEP]']
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import torch

from ..validation import check_choice, check_int

__all__ = [
    "SPECIAL_TOKENS",
    "TokenizerAdapter",
    "no_fork_deadlock",
    "pad_sequences",
    "train_tokenizer",
    "worker_guard",
]

#: The special tokens of `train_tokenizer` (BERT's, in BERT's order of ids 0..4).
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
_SANE_MAX_LENGTH = 1_000_000


def no_fork_deadlock() -> None:
    """Keep the tokenizers thread pool off unless the user chose otherwise.

    Sets ``TOKENIZERS_PARALLELISM=false`` when the variable is unset, so that forked
    DataLoader workers cannot hang on a pool inherited from the parent.

    Example:
        >>> no_fork_deadlock()
        >>> "TOKENIZERS_PARALLELISM" in os.environ
        True
    """
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def pad_sequences(
    seqs: Sequence[Sequence[int]],
    pad_value: int,
    *,
    pad_to_multiple_of: int | None = None,
    side: str = "right",
    min_length: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad int sequences into one ``(B, L)`` LongTensor and its 0/1 mask.

    Args:
        seqs: the token id sequences.
        pad_value: the id written into the padding.
        pad_to_multiple_of: round ``L`` up to a multiple of this.
        side: ``"right"`` or ``"left"`` padding.
        min_length: the least ``L``.

    Returns:
        ``(ids, mask)``: ``L`` is the longest sequence (at least ``min_length``), rounded
        up to ``pad_to_multiple_of``; ``mask`` is 1 on tokens, 0 on padding.

    Example:
        >>> ids, mask = pad_sequences([[5, 6, 7], [8]], 0, pad_to_multiple_of=4)
        >>> ids.tolist(), mask.tolist()
        ([[5, 6, 7, 0], [8, 0, 0, 0]], [[1, 1, 1, 0], [1, 0, 0, 0]])
    """
    import numpy as np

    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    length = int(max(lengths.max(initial=0), min_length))
    if pad_to_multiple_of:
        length = -(-length // pad_to_multiple_of) * pad_to_multiple_of
    ids = np.full((len(seqs), length), pad_value, dtype=np.int64)
    for i, (s, n) in enumerate(zip(seqs, lengths.tolist(), strict=False)):
        if n:
            if side == "right":
                ids[i, :n] = s
            else:
                ids[i, length - n :] = s
    pos = np.arange(length)
    mask = pos[None, :] < lengths[:, None] if side == "right" else pos[None, :] >= (length - lengths)[:, None]
    return torch.from_numpy(ids), torch.from_numpy(mask.astype(np.int64))


_GUARDED_PID: int | None = None


def worker_guard() -> None:
    """In a DataLoader worker, turn the tokenizers thread pool off for this process.

    A forked child whose parent used the pool with ``TOKENIZERS_PARALLELISM=true`` hangs on
    its first parallel encode (the pool's threads do not survive the fork). tokenizers reads
    the variable on every call, so setting it here, before the worker's first encode, is
    enough; the main process keeps the user's setting.
    """
    global _GUARDED_PID
    pid = os.getpid()
    if _GUARDED_PID != pid and torch.utils.data.get_worker_info() is not None:
        os.environ["TOKENIZERS_PARALLELISM"] = "false"
        _GUARDED_PID = pid


def train_tokenizer(
    texts: Iterable[str],
    vocab_size: int = 2000,
    *,
    lowercase: bool = True,
    min_frequency: int = 1,
    model_max_length: int = 512,
):
    """Train a BERT-style WordPiece tokenizer in-process (offline) and wrap it.

    Args:
        texts: the training corpus (an iterable of strings).
        vocab_size: target vocabulary size (special tokens included).
        lowercase: lowercase and strip accents (BERT uncased normalisation).
        min_frequency: minimum count for a merge.
        model_max_length: the wrapped tokenizer's ``model_max_length``.

    Note: the vocabulary can differ between processes for the same corpus (the
    ``tokenizers`` trainer breaks frequency ties in hash order); train once and share the
    object (or ``save_pretrained``) when runs must match exactly.

    Returns:
        A ``transformers.PreTrainedTokenizerFast`` with ``[PAD]`` (id 0),
        ``[UNK]``, ``[CLS]``, ``[SEP]``, ``[MASK]``, the BERT template
        ``[CLS] A [SEP] (B [SEP])`` and ``token_type_ids``.

    Example:
        >>> tok = train_tokenizer(["hello world", "hello there"], vocab_size=40)
        >>> tok.pad_token, tok.pad_token_id
        ('[PAD]', 0)
    """
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    vocab_size = check_int("vocab_size", vocab_size, low=len(SPECIAL_TOKENS) + 1, owner="train_tokenizer")
    min_frequency = check_int("min_frequency", min_frequency, low=1, owner="train_tokenizer")
    model_max_length = check_int("model_max_length", model_max_length, low=2, owner="train_tokenizer")
    if isinstance(texts, (str, bytes)):
        raise TypeError("train_tokenizer: texts must be an iterable of strings, got a single string")
    texts = list(texts)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"train_tokenizer: texts[{i}] must be a str, got {t!r} ({type(t).__name__})")
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=lowercase, strip_accents=lowercase or None)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=list(SPECIAL_TOKENS), show_progress=False
    )
    tok.train_from_iterator(texts, trainer)
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    from tokenizers import decoders

    tok.decoder = decoders.WordPiece()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="[PAD]",
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=model_max_length,
        model_input_names=["input_ids", "token_type_ids", "attention_mask"],
    )


def _is_raw_tokenizer(tok: Any) -> bool:
    try:
        from tokenizers import Tokenizer
    except ImportError:  # pragma: no cover - tokenizers is a dependency of the text extra
        return False
    return isinstance(tok, Tokenizer)


def _is_hf_tokenizer(tok: Any) -> bool:
    # transformers' PreTrainedTokenizerBase interface, checked by duck typing so that
    # importing this module does not import transformers.
    return callable(tok) and hasattr(tok, "pad_token_id") and hasattr(tok, "model_input_names")


class TokenizerAdapter:
    """One interface over a ``transformers`` tokenizer and a raw ``tokenizers.Tokenizer``.

    Used by `HFTextTransform` and `collate.TextCollate`. It only
    encodes (truncating when asked); padding is done by the collate.

    Args:
        tokenizer: a ``transformers`` tokenizer (``PreTrainedTokenizerFast`` or any
            ``PreTrainedTokenizerBase``) or a ``tokenizers.Tokenizer``.
        max_length: truncate encodings to this many tokens (special tokens included).
            ``None``: a transformers tokenizer truncates to its ``model_max_length``
            when that is a real limit (< 1e6); a raw tokenizer keeps its own
            truncation setting (none by default).
        truncation: ``False`` never truncates (``max_length`` must then be None).
        pad_token_id: overrides the tokenizer's pad token id.
        owner: the name used in error messages.
        require_pad: raise when there is no pad token (False: ``pad_id`` may be None).

    Raises:
        ValueError: the tokenizer has no pad token and ``pad_token_id`` is not given.
    """

    def __init__(
        self,
        tokenizer: Any,
        *,
        max_length: int | None = None,
        truncation: bool = True,
        pad_token_id: int | None = None,
        owner: str = "TokenizerAdapter",
        require_pad: bool = True,
    ) -> None:
        self.owner = owner
        if _is_raw_tokenizer(tokenizer):
            self.kind = "raw"
        elif _is_hf_tokenizer(tokenizer):
            self.kind = "hf"
        else:
            raise TypeError(
                f"{owner}: tokenizer must be a transformers tokenizer (PreTrainedTokenizerFast) or a "
                f"tokenizers.Tokenizer, got {type(tokenizer).__name__}"
            )
        if not isinstance(truncation, bool):
            raise TypeError(f"{owner}: truncation must be a bool, got {truncation!r}")
        self.tokenizer = tokenizer
        self.truncation = truncation
        self.max_length = None if max_length is None else check_int("max_length", max_length, low=2, owner=owner)
        if self.max_length is not None and not truncation:
            raise ValueError(f"{owner}: max_length={max_length} needs truncation=True (got truncation=False)")
        self.pad_id: int | None
        if pad_token_id is not None:
            self.pad_id = check_int("pad_token_id", pad_token_id, low=0, owner=owner)
        elif not require_pad:
            self.pad_id = None
        elif self.kind == "hf":
            if tokenizer.pad_token_id is None:
                raise ValueError(
                    f"{owner}: the tokenizer {type(tokenizer).__name__} has no pad token (pad_token_id is None); "
                    "set one (e.g. tokenizer.pad_token = tokenizer.eos_token, or add a '[PAD]' token) "
                    "or pass pad_token_id="
                )
            self.pad_id = int(tokenizer.pad_token_id)
        else:
            padding = tokenizer.padding
            if not padding or padding.get("pad_id") is None:
                raise ValueError(
                    f"{owner}: the tokenizers.Tokenizer has no pad token (padding is not enabled); call "
                    "tokenizer.enable_padding(pad_id=..., pad_token=...) or pass pad_token_id="
                )
            self.pad_id = int(padding["pad_id"])
        if self.kind == "hf":
            self.padding_side = check_choice(
                "tokenizer.padding_side", tokenizer.padding_side, ("right", "left"), owner=owner
            )
            self.returns_token_type_ids = "token_type_ids" in tokenizer.model_input_names
        else:
            self.padding_side = "right"
            if tokenizer.padding and tokenizer.padding.get("direction") == "left":
                self.padding_side = "left"
            self.returns_token_type_ids = True
        self._raw: Any = None

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_raw"] = None  # rebuilt lazily in each process
        state.pop("_raw_pad", None)
        return state

    def _raw_tokenizer(self):
        if self._raw is None:
            from tokenizers import Tokenizer

            raw = Tokenizer.from_str(self.tokenizer.to_str())  # a private copy: padding/truncation are ours
            raw.no_padding()
            if self.max_length is not None:
                raw.enable_truncation(self.max_length)
            elif not self.truncation:
                raw.no_truncation()
            self._raw = raw
        return self._raw

    def encode(
        self, texts: Sequence[str], pairs: Sequence[str] | None = None
    ) -> tuple[list[list[int]], list[list[int]] | None]:
        """Encode a list of strings (and optional second segments) without padding.

        Returns:
            ``(input_ids, token_type_ids)`` as lists of int lists; ``token_type_ids``
            is None when the tokenizer does not produce them.
        """
        worker_guard()
        if self.kind == "raw":
            raw = self._raw_tokenizer()
            inputs = list(texts) if pairs is None else list(zip(texts, pairs, strict=False))
            encs = (
                raw.encode_batch(inputs)
                if len(inputs) > 1
                else [raw.encode(*((inputs[0],) if pairs is None else inputs[0]))]
            )
            return [e.ids for e in encs], [e.type_ids for e in encs]
        kwargs = dict(self._hf_kwargs(), padding=False, return_attention_mask=False)
        enc = self.tokenizer(list(texts), None if pairs is None else list(pairs), **kwargs)
        ids = [list(x) for x in enc["input_ids"]]
        tt = [list(x) for x in enc["token_type_ids"]] if self.returns_token_type_ids else None
        return ids, tt

    def _hf_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"return_token_type_ids": self.returns_token_type_ids}
        if self.max_length is not None:
            kwargs.update(truncation=True, max_length=self.max_length)
        elif self.truncation and 0 < (getattr(self.tokenizer, "model_max_length", None) or 0) < _SANE_MAX_LENGTH:
            kwargs.update(truncation=True, max_length=int(self.tokenizer.model_max_length))
        else:
            kwargs.update(truncation=False)
        return kwargs

    def _raw_padded(self, multiple: int | None):
        cache = self.__dict__.setdefault("_raw_pad", {})
        if multiple not in cache:
            from tokenizers import Tokenizer

            raw = Tokenizer.from_str(self._raw_tokenizer().to_str())
            if self.pad_id is None:
                raise ValueError(f"{self.owner}: padding needs a pad token; the tokenizer has none")
            token = raw.id_to_token(self.pad_id) or "[PAD]"
            raw.enable_padding(
                direction=self.padding_side,
                pad_id=self.pad_id,
                pad_type_id=0,
                pad_token=token,
                pad_to_multiple_of=multiple,
            )
            cache[multiple] = raw
        return cache[multiple]

    def encode_padded(
        self, texts: Sequence[str], pairs: Sequence[str] | None = None, pad_to_multiple_of: int | None = None
    ):
        """Encode and pad a batch (in the tokenizer's Rust code where possible).

        Returns:
            ``(input_ids, token_type_ids or None, attention_mask)`` as LongTensors ``(B, L)``,
            ``L`` the longest encoding rounded up to ``pad_to_multiple_of``.
        """
        worker_guard()
        if self.pad_id is None:
            raise ValueError(f"{self.owner}: padding needs a pad token; the tokenizer has none")
        if self.kind == "raw":
            raw = self._raw_padded(pad_to_multiple_of)
            inputs = list(texts) if pairs is None else list(zip(texts, pairs, strict=False))
            encs = raw.encode_batch(inputs)
            as_t = lambda rows: torch.tensor(rows, dtype=torch.long)  # noqa: E731
            return (
                as_t([e.ids for e in encs]),
                as_t([e.type_ids for e in encs]),
                as_t([e.attention_mask for e in encs]),
            )
        if self.pad_id != self.tokenizer.pad_token_id:  # an override the tokenizer does not know: pad here
            ids, tts = self.encode(texts, pairs)
            input_ids, mask = pad_sequences(
                ids, self.pad_id, pad_to_multiple_of=pad_to_multiple_of, side=self.padding_side
            )
            tt = (
                None
                if tts is None
                else pad_sequences(tts, 0, pad_to_multiple_of=pad_to_multiple_of, side=self.padding_side)[0]
            )
            return input_ids, tt, mask
        enc = self.tokenizer(
            list(texts),
            None if pairs is None else list(pairs),
            padding=True,
            pad_to_multiple_of=pad_to_multiple_of,
            return_tensors="pt",
            return_attention_mask=True,
            **self._hf_kwargs(),
        )
        tt = enc["token_type_ids"] if self.returns_token_type_ids else None
        return enc["input_ids"], tt, enc["attention_mask"]

    def __repr__(self) -> str:
        return (
            f"TokenizerAdapter({type(self.tokenizer).__name__}, max_length={self.max_length!r}, pad_id={self.pad_id})"
        )
