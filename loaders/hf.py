"""Hugging Face glue: ``datasets`` wrappers and tokenizers that run inside the workers.

Three pieces:

* :func:`train_tokenizer` trains a small WordPiece tokenizer in-process with
  ``tokenizers`` (offline, milliseconds for a small corpus) and wraps it as a
  ``transformers.PreTrainedTokenizerFast`` with ``[PAD]``/``[UNK]``/``[CLS]``/
  ``[SEP]``/``[MASK]``.
* :class:`HFTextTransform` is a :class:`~loaders.Transform` on one row (a dict)
  of a ``datasets`` table: it augments the text column(s) with a text
  transform (for example :class:`loaders.text.EDA`) and, when given a
  tokenizer, tokenizes the result. It runs per sample, in the DataLoader
  workers, keyed by ``(seed, epoch, index)``: fresh every epoch, never cached by
  ``datasets.Dataset.map``.
* :func:`from_hf` wraps a ``datasets.Dataset`` (as a
  :class:`loaders.AugmentedDataset`) or a ``datasets.IterableDataset`` (as a
  :class:`HFIterableDataset`, sharded across workers and split across ranks
  with ``datasets.distributed.split_dataset_by_node``).

Tokenizers and forked workers: the Rust tokenizers deadlock (or print a warning
and fall back to one thread) when a process forks after their thread pool was
used (with ``TOKENIZERS_PARALLELISM=true``, tokenizers 0.23 hangs in the child).
Two guards: importing this module, or building an :class:`HFTextTransform` with a
tokenizer or a :class:`collate.TextCollate`, sets ``TOKENIZERS_PARALLELISM=false``
unless the user has set the variable (``os.environ.setdefault``); and the first
encode inside a DataLoader worker sets it to ``false`` in that worker process,
whatever the user chose, so the child never touches the pool it inherited.
Tokenization in the workers is per sample or per batch; the other workers are the
parallelism there.

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

import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import torch

from .validation import check_choice, check_int
from .validation import check_knobs, check_stream_split, resolve_seed
from .keys import SharedValue, sample_rng
from .transform import Transform

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

__all__ = [
    "train_tokenizer",
    "TokenizerAdapter",
    "HFTextTransform",
    "HFIterableDataset",
    "from_hf",
    "SPECIAL_TOKENS",
    "check_text",
    "no_fork_deadlock",
    "pad_sequences",
]

#: The special tokens of :func:`train_tokenizer` (BERT's, in BERT's order of ids 0..4).
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


def pad_sequences(seqs: Sequence[Sequence[int]], pad_value: int, *, pad_to_multiple_of: Optional[int] = None,
                  side: str = "right", min_length: int = 0) -> Tuple[torch.Tensor, torch.Tensor]:
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
    for i, (s, n) in enumerate(zip(seqs, lengths.tolist())):
        if n:
            if side == "right":
                ids[i, :n] = s
            else:
                ids[i, length - n:] = s
    pos = np.arange(length)
    mask = pos[None, :] < lengths[:, None] if side == "right" else pos[None, :] >= (length - lengths)[:, None]
    return torch.from_numpy(ids), torch.from_numpy(mask.astype(np.int64))


_GUARDED_PID: Optional[int] = None


def _worker_guard() -> None:
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


def train_tokenizer(texts: Iterable[str], vocab_size: int = 2000, *, lowercase: bool = True,
                    min_frequency: int = 1, model_max_length: int = 512):
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
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                                        special_tokens=list(SPECIAL_TOKENS), show_progress=False)
    tok.train_from_iterator(texts, trainer)
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)])
    from tokenizers import decoders

    tok.decoder = decoders.WordPiece()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]",
        mask_token="[MASK]", model_max_length=model_max_length,
        model_input_names=["input_ids", "token_type_ids", "attention_mask"])


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

    Used by :class:`HFTextTransform` and :class:`collate.TextCollate`. It only
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

    def __init__(self, tokenizer: Any, *, max_length: Optional[int] = None, truncation: bool = True,
                 pad_token_id: Optional[int] = None, owner: str = "TokenizerAdapter",
                 require_pad: bool = True) -> None:
        self.owner = owner
        if _is_raw_tokenizer(tokenizer):
            self.kind = "raw"
        elif _is_hf_tokenizer(tokenizer):
            self.kind = "hf"
        else:
            raise TypeError(f"{owner}: tokenizer must be a transformers tokenizer (PreTrainedTokenizerFast) or a "
                            f"tokenizers.Tokenizer, got {type(tokenizer).__name__}")
        if not isinstance(truncation, bool):
            raise TypeError(f"{owner}: truncation must be a bool, got {truncation!r}")
        self.tokenizer = tokenizer
        self.truncation = truncation
        self.max_length = None if max_length is None else check_int("max_length", max_length, low=2, owner=owner)
        if self.max_length is not None and not truncation:
            raise ValueError(f"{owner}: max_length={max_length} needs truncation=True (got truncation=False)")
        if pad_token_id is not None:
            self.pad_id = check_int("pad_token_id", pad_token_id, low=0, owner=owner)
        elif not require_pad:
            self.pad_id = None
        elif self.kind == "hf":
            if tokenizer.pad_token_id is None:
                raise ValueError(
                    f"{owner}: the tokenizer {type(tokenizer).__name__} has no pad token (pad_token_id is None); "
                    "set one (e.g. tokenizer.pad_token = tokenizer.eos_token, or add a '[PAD]' token) "
                    "or pass pad_token_id=")
            self.pad_id = int(tokenizer.pad_token_id)
        else:
            padding = tokenizer.padding
            if not padding or padding.get("pad_id") is None:
                raise ValueError(
                    f"{owner}: the tokenizers.Tokenizer has no pad token (padding is not enabled); call "
                    "tokenizer.enable_padding(pad_id=..., pad_token=...) or pass pad_token_id=")
            self.pad_id = int(padding["pad_id"])
        if self.kind == "hf":
            self.padding_side = check_choice("tokenizer.padding_side", tokenizer.padding_side, ("right", "left"),
                                             owner=owner)
            self.returns_token_type_ids = "token_type_ids" in tokenizer.model_input_names
        else:
            self.padding_side = "right"
            if tokenizer.padding and tokenizer.padding.get("direction") == "left":
                self.padding_side = "left"
            self.returns_token_type_ids = True
        self._raw = None

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

    def encode(self, texts: Sequence[str], pairs: Optional[Sequence[str]] = None
               ) -> Tuple[List[List[int]], Optional[List[List[int]]]]:
        """Encode a list of strings (and optional second segments) without padding.

        Returns:
            ``(input_ids, token_type_ids)`` as lists of int lists; ``token_type_ids``
            is None when the tokenizer does not produce them.
        """
        _worker_guard()
        if self.kind == "raw":
            raw = self._raw_tokenizer()
            inputs = list(texts) if pairs is None else list(zip(texts, pairs))
            encs = raw.encode_batch(inputs) if len(inputs) > 1 else [raw.encode(*((inputs[0],) if pairs is None else inputs[0]))]
            return [e.ids for e in encs], [e.type_ids for e in encs]
        kwargs = dict(self._hf_kwargs(), padding=False, return_attention_mask=False)
        enc = self.tokenizer(list(texts), None if pairs is None else list(pairs), **kwargs)
        ids = [list(x) for x in enc["input_ids"]]
        tt = [list(x) for x in enc["token_type_ids"]] if self.returns_token_type_ids else None
        return ids, tt

    def _hf_kwargs(self) -> Dict[str, Any]:
        kwargs: Dict[str, Any] = {"return_token_type_ids": self.returns_token_type_ids}
        if self.max_length is not None:
            kwargs.update(truncation=True, max_length=self.max_length)
        elif self.truncation and 0 < (getattr(self.tokenizer, "model_max_length", None) or 0) < _SANE_MAX_LENGTH:
            kwargs.update(truncation=True, max_length=int(self.tokenizer.model_max_length))
        else:
            kwargs.update(truncation=False)
        return kwargs

    def _raw_padded(self, multiple: Optional[int]):
        cache = self.__dict__.setdefault("_raw_pad", {})
        if multiple not in cache:
            from tokenizers import Tokenizer

            raw = Tokenizer.from_str(self._raw_tokenizer().to_str())
            token = raw.id_to_token(self.pad_id) or "[PAD]"
            raw.enable_padding(direction=self.padding_side, pad_id=self.pad_id, pad_type_id=0, pad_token=token,
                               pad_to_multiple_of=multiple)
            cache[multiple] = raw
        return cache[multiple]

    def encode_padded(self, texts: Sequence[str], pairs: Optional[Sequence[str]] = None,
                      pad_to_multiple_of: Optional[int] = None):
        """Encode and pad a batch (in the tokenizer's Rust code where possible).

        Returns:
            ``(input_ids, token_type_ids or None, attention_mask)`` as LongTensors ``(B, L)``,
            ``L`` the longest encoding rounded up to ``pad_to_multiple_of``.
        """
        _worker_guard()
        if self.pad_id is None:
            raise ValueError(f"{self.owner}: padding needs a pad token; the tokenizer has none")
        if self.kind == "raw":
            raw = self._raw_padded(pad_to_multiple_of)
            inputs = list(texts) if pairs is None else list(zip(texts, pairs))
            encs = raw.encode_batch(inputs)
            as_t = lambda rows: torch.tensor(rows, dtype=torch.long)  # noqa: E731
            return (as_t([e.ids for e in encs]), as_t([e.type_ids for e in encs]),
                    as_t([e.attention_mask for e in encs]))
        if self.pad_id != self.tokenizer.pad_token_id:  # an override the tokenizer does not know: pad here
            ids, tts = self.encode(texts, pairs)
            input_ids, mask = pad_sequences(ids, self.pad_id, pad_to_multiple_of=pad_to_multiple_of,
                                            side=self.padding_side)
            tt = None if tts is None else pad_sequences(tts, 0, pad_to_multiple_of=pad_to_multiple_of,
                                                        side=self.padding_side)[0]
            return input_ids, tt, mask
        enc = self.tokenizer(list(texts), None if pairs is None else list(pairs), padding=True,
                             pad_to_multiple_of=pad_to_multiple_of, return_tensors="pt", return_attention_mask=True,
                             **self._hf_kwargs())
        tt = enc["token_type_ids"] if self.returns_token_type_ids else None
        return enc["input_ids"], tt, enc["attention_mask"]

    def __repr__(self) -> str:
        return (f"TokenizerAdapter({type(self.tokenizer).__name__}, max_length={self.max_length!r}, "
                f"pad_id={self.pad_id})")


def check_text(value: Any, where: str) -> str:
    """Return ``value`` if it is a ``str``; else a ``TypeError`` naming ``where`` (the sample)."""
    if isinstance(value, str):
        return value
    if value is None:
        raise TypeError(f"{where}: text is None; every sample needs a str")
    if isinstance(value, (bytes, bytearray)):
        raise TypeError(f"{where}: text is bytes ({bytes(value[:20])!r}...); decode it to str first "
                        "(e.g. value.decode('utf-8'))")
    raise TypeError(f"{where}: text must be a str, got {type(value).__name__} ({value!r:.60})")


def _columns(value: Any, name: str, owner: str) -> List[str]:
    cols = [value] if isinstance(value, str) else value
    if not isinstance(cols, (list, tuple)) or not cols or not all(isinstance(c, str) for c in cols):
        raise TypeError(f"{owner}: {name} must be a column name or a list of one or two names, got {value!r}")
    if len(cols) > 2:
        raise ValueError(f"{owner}: {name} takes one column (single text) or two (text pair), got {list(cols)!r}")
    if len(set(cols)) != len(cols):
        raise ValueError(f"{owner}: {name} names a column twice: {list(cols)!r}")
    return list(cols)


class HFTextTransform(Transform):
    """Augment the text column(s) of a row, then (optionally) tokenize: a per-row Transform.

    Runs on one ``datasets`` row (a dict) per call, inside the DataLoader worker,
    with the sample's keyed generator, so the augmentation is fresh every epoch and
    the same for the same ``(seed, epoch, index)``. With two text columns (a text
    pair) the text transform is drawn independently for each, in column order.

    Args:
        transform: a text :class:`~loaders.Transform` on ``str`` (e.g. ``loaders.text.EDA``),
            or None (tokenize only). Its ``p`` and adaptive ``strength`` apply as usual.
        tokenizer: a ``transformers`` tokenizer or a ``tokenizers.Tokenizer``, or None (the
            output keeps the augmented text; tokenize later in :class:`collate.TextCollate`).
        text_column: a column name, or two for a text pair.
        label_column: the label column (passed through unchanged), or None.
        max_length, truncation: as in :class:`TokenizerAdapter` (truncate to ``max_length``).
        keep_text: with a tokenizer, also keep the augmented text column(s).
        keep_columns: other columns to pass through unchanged (default none: only the
            tokens, the label and, if asked, the text reach the collate).

    Output: a new dict. With a tokenizer: ``input_ids`` (1-D LongTensor), ``token_type_ids``
    (when the tokenizer makes them), the label column, and the kept columns. Without:
    the (augmented) text column(s), the label column and the kept columns.

    Raises:
        TypeError: a text cell that is not a ``str`` (None, bytes, a number), naming the column;
            the dataset wrapper adds the sample index.
        KeyError: a missing column.

    Example:
        >>> from loaders import Lambda
        >>> t = HFTextTransform(Lambda(str.upper), text_column=["q", "a"], label_column=None)
        >>> t({"q": "who?", "a": "me", "id": 3}, rng=0)
        {'q': 'WHO?', 'a': 'ME'}
    """

    strength_mode = "none"  # strength is handed to the text transform

    def __init__(self, transform: Optional[Transform] = None, *, tokenizer: Any = None,
                 text_column: Any = "text", label_column: Optional[str] = "label",
                 max_length: Optional[int] = None, truncation: bool = True, keep_text: bool = False,
                 keep_columns: Sequence[str] = ()) -> None:
        super().__init__(p=1.0)
        owner = "HFTextTransform"
        if transform is not None and not isinstance(transform, Transform):
            raise TypeError(f"{owner}: transform must be a loaders.Transform on str (e.g. loaders.text.EDA) or None, "
                            f"got {transform!r} ({type(transform).__name__})")
        self.transform = transform
        self.text_column = text_column
        self._text_columns = _columns(text_column, "text_column", owner)
        if label_column is not None and not isinstance(label_column, str):
            raise TypeError(f"{owner}: label_column must be a str or None, got {label_column!r}")
        if label_column in self._text_columns:
            raise ValueError(f"{owner}: label_column {label_column!r} is also a text column")
        self.label_column = label_column
        if isinstance(keep_columns, str) or not all(isinstance(c, str) for c in keep_columns):
            raise TypeError(f"{owner}: keep_columns must be a list of column names, got {keep_columns!r}")
        self.keep_columns = list(keep_columns)
        if not isinstance(keep_text, bool):
            raise TypeError(f"{owner}: keep_text must be a bool, got {keep_text!r}")
        self.keep_text = keep_text
        self.max_length, self.truncation = max_length, truncation
        self.tokenizer = tokenizer
        if tokenizer is not None:
            no_fork_deadlock()
            # per-row encoding needs no pad token; the collate checks for one
            self._tok = TokenizerAdapter(tokenizer, max_length=max_length, truncation=truncation, owner=owner,
                                         require_pad=False)
        else:
            if max_length is not None:
                raise ValueError(f"{owner}: max_length={max_length} needs a tokenizer (got tokenizer=None)")
            self._tok = None

    def effective_p(self, strength: float = 1.0) -> float:
        return 1.0

    def _sample(self, rng, strength):
        if self.transform is None:
            return {}
        return {"text": [self.transform.sample(rng, strength) for _ in self._text_columns]}

    def _apply(self, row, params):
        if not isinstance(row, Mapping):
            raise TypeError(f"HFTextTransform: a row must be a dict (a datasets row), got {type(row).__name__}")
        texts = []
        for j, col in enumerate(self._text_columns):
            if col not in row:
                raise KeyError(f"HFTextTransform: the row has no text column {col!r}; columns: {sorted(row)}")
            text = check_text(row[col], f"HFTextTransform: column {col!r}")
            if self.transform is not None:
                text = self.transform.apply(text, params["text"][j])
            texts.append(text)
        out: Dict[str, Any] = {}
        if self._tok is None or self.keep_text:
            out.update(zip(self._text_columns, texts))
        if self._tok is not None:
            ids, tts = self._tok.encode(texts[:1], texts[1:] or None)
            out["input_ids"] = torch.tensor(ids[0], dtype=torch.long)
            if tts is not None:
                out["token_type_ids"] = torch.tensor(tts[0], dtype=torch.long)
        for col in ([self.label_column] if self.label_column is not None else []) + self.keep_columns:
            if col not in row:
                raise KeyError(f"HFTextTransform: the row has no column {col!r}; columns: {sorted(row)}")
            out[col] = row[col]
        return out

    def __repr__(self) -> str:
        tok = None if self.tokenizer is None else type(self.tokenizer).__name__
        return (f"HFTextTransform(transform={self.transform!r}, tokenizer={tok}, text_column={self.text_column!r}, "
                f"label_column={self.label_column!r}, max_length={self.max_length!r}, truncation={self.truncation!r}, "
                f"keep_text={self.keep_text!r}, keep_columns={self.keep_columns!r})")

    @classmethod
    def _harness_examples(cls):
        from .transform import Lambda

        tok = train_tokenizer(["the film was good", "a bad film"], vocab_size=50)
        row = {"text": "the film was bad", "label": 1, "idx": 4}
        return [
            (cls(Lambda(str.lower), tokenizer=tok), row),
            (cls(None, tokenizer=tok, max_length=4, keep_text=True, keep_columns=["idx"]), row),
            (cls(Lambda(str.title), text_column=["text"], label_column=None), row),
        ]

    @classmethod
    def _harness_bad_args(cls):
        return [{"transform": str.upper}, {"text_column": 3}, {"text_column": ["a", "b", "c"]},
                {"text_column": ["a", "a"]}, {"label_column": "text"}, {"max_length": 8},
                {"keep_columns": "idx"}, {"tokenizer": "bert-base-uncased"}]


def _dist_rank_world() -> Tuple[int, int]:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


_SHARD_BITS = 40  # shard-mode keys: (shard << 40) | offset: up to 2**40 rows per shard, 2**24 shards


class HFIterableDataset(torch.utils.data.IterableDataset):
    """A ``datasets.IterableDataset`` augmented and tokenized on the fly, sharded over workers and ranks.

    Each row goes through ``transform`` (an :class:`HFTextTransform`) with the keyed generator
    ``sample_rng(seed, epoch, key)``; ``key`` never depends on ``num_workers``:

    * ``shard_by="examples"`` (default): the rank's stream comes from
      ``datasets.distributed.split_dataset_by_node(strategy="examples")`` (rank ``r`` of ``R``
      keeps positions ``r, r+R, ...``); worker ``k`` of ``W`` keeps every ``W``-th of those
      (reading and skipping the others). ``key`` is the row's global position in the full
      stream. Works for any number of shards (also ``Dataset.to_iterable_dataset()``'s single
      one); every worker reads the whole rank stream, but only augments/tokenizes its own rows.
    * ``shard_by="shards"``: datasets' own sharding. Rank ``r`` takes the shards ``g`` with
      ``g % R == r`` (as ``split_dataset_by_node(strategy="shards")``), and its worker ``k`` the
      shards with ``(g // R) % W == k`` (as datasets does for DataLoader workers); each worker
      reads only its shards (``dataset.shard(num_shards, g)``). ``key = (g << 40) | offset``
      in the shard. Workers beyond the number of shards get nothing, as in datasets.

    With ``batch_size=B`` the wrapper yields :class:`~loaders.keys.KeyedBatch` lists of B rows
    (consecutive in the rank stream, or in one shard), keyed so that ``TextCollate`` mixing is
    reproducible; use ``DataLoader(ds, batch_size=None, collate_fn=TextCollate(...))``.

    ``set_epoch(e)`` stores the epoch in shared memory (persistent workers see it) and forwards
    it to the HF dataset's ``set_epoch`` (its ``shuffle`` buffer then reshuffles per epoch).

    Args:
        dataset: a ``datasets.IterableDataset``.
        transform: the per-row :class:`HFTextTransform` (or any Transform on dict rows), or None.
        seed: non-negative int; None draws one here, once.
        knobs: mapping name -> source with ``.get()`` (read in the worker per row); ``"strength"``
            is passed to ``transform.sample``.
        batch_size, drop_last: see above.
        rank, world_size: the distributed split; default: ``torch.distributed`` if initialised,
            else a single rank.
        shard_by: ``"examples"`` or ``"shards"``.
        read_batch_size: rows per ``dataset.iter(batch_size=...)`` read (throughput only).
    """

    def __init__(self, dataset: Any, transform: Optional[Transform] = None, *, seed: Optional[int] = None,
                 knobs: Optional[Dict[str, Any]] = None, batch_size: Optional[int] = None, drop_last: bool = False,
                 rank: Optional[int] = None, world_size: Optional[int] = None, shard_by: str = "examples",
                 read_batch_size: int = 256) -> None:
        owner = "HFIterableDataset"
        import datasets

        if not isinstance(dataset, datasets.IterableDataset):
            raise TypeError(f"{owner}: dataset must be a datasets.IterableDataset, got {type(dataset).__name__} "
                            "(use from_hf() or loaders.AugmentedDataset for a map-style datasets.Dataset)")
        if transform is not None and not isinstance(transform, Transform):
            raise TypeError(f"{owner}: transform must be a loaders.Transform (e.g. HFTextTransform) or None, "
                            f"got {transform!r}")
        self.dataset, self.transform = dataset, transform
        self.seed = resolve_seed(seed, owner=owner)
        self.knobs = check_knobs(knobs, owner=owner)
        self.batch_size, self.drop_last, self.rank, self.world_size = check_stream_split(
            batch_size, drop_last, rank, world_size, owner=owner)
        self.shard_by = check_choice("shard_by", shard_by, ("examples", "shards"), owner=owner)
        if shard_by == "shards" and dataset.num_shards >= 2 ** (64 - _SHARD_BITS):
            raise ValueError(f"{owner}: too many shards ({dataset.num_shards}) for shard-mode keys")
        self.read_batch_size = check_int("read_batch_size", read_batch_size, low=1, owner=owner)
        self._epoch = SharedValue(0)

    @property
    def epoch(self) -> int:
        """The current epoch (shared with the workers)."""
        return int(self._epoch.get())

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch here and in the HF dataset (call before iterating that epoch)."""
        epoch = check_int("epoch", epoch, low=0, high=2 ** 53, owner="HFIterableDataset")
        self._epoch.set(epoch)
        self.dataset.set_epoch(epoch)

    def _rank_world(self) -> Tuple[int, int]:
        if self.world_size is not None:
            return self.rank, self.world_size
        return _dist_rank_world()

    @staticmethod
    def _rows(ds: Any, read_batch_size: int, epoch: int) -> Iterable[Dict[str, Any]]:
        # dataset.iter() does not apply datasets' own DataLoader-worker split (``__iter__`` does),
        # so the sharding below is ours and exact.
        ds.set_epoch(epoch)
        for chunk in ds.iter(batch_size=read_batch_size):
            cols = list(chunk)
            for values in zip(*(chunk[c] for c in cols)):
                yield dict(zip(cols, values))

    def _units(self, epoch: int):
        """This worker's rows as ``(key, row)`` groups (one group per batch, or per row)."""
        from datasets.distributed import split_dataset_by_node

        info = torch.utils.data.get_worker_info()
        n_workers, worker = (info.num_workers, info.id) if info is not None else (1, 0)
        rank, world = self._rank_world()
        bs = self.batch_size or 1
        import itertools

        if self.shard_by == "examples":
            ds = self.dataset
            if world > 1:
                ds = split_dataset_by_node(ds, rank=rank, world_size=world, strategy="examples")
            it = enumerate(self._rows(ds, self.read_batch_size, epoch))
            for unit in itertools.count():
                chunk = list(itertools.islice(it, bs))
                if not chunk or (self.drop_last and len(chunk) < bs):
                    return
                if unit % n_workers == worker:
                    yield [(q * world + rank, row) for q, row in chunk]
            return
        n_shards = self.dataset.num_shards
        for g in range(rank, n_shards, world):
            if (g // world) % n_workers != worker:
                continue
            shard = self.dataset.shard(num_shards=n_shards, index=g, contiguous=True)
            it = enumerate(self._rows(shard, self.read_batch_size, epoch))
            while True:
                chunk = list(itertools.islice(it, bs))
                if not chunk or (self.drop_last and len(chunk) < bs):
                    break
                yield [((g << _SHARD_BITS) | j, row) for j, row in chunk]

    def __iter__(self):
        epoch, seed, t = self.epoch, self.seed, self.transform
        for unit in self._units(epoch):
            knobs = {name: float(src.get()) for name, src in self.knobs.items()}
            strength = knobs.get("strength", 1.0)
            out = []
            for key, row in unit:
                if t is not None:
                    try:
                        row = t.apply(row, t.sample(sample_rng(seed, epoch, key), strength=strength))
                    except Exception as e:
                        from .transform import AugmentationError

                        raise AugmentationError(f"HFIterableDataset: {t!r} failed on the row with key {key} "
                                                f"(epoch {epoch}, seed {seed}): {type(e).__name__}: {e}") from e
                out.append(row)
            if self.batch_size is None:
                yield out[0]
            else:
                from .keys import KeyedBatch

                yield KeyedBatch(out, seed=seed, epoch=epoch, indices=[k for k, _ in unit], knobs=knobs)

    def __repr__(self) -> str:
        extra = "" if self.world_size is None else f", rank={self.rank}, world_size={self.world_size}"
        return (f"HFIterableDataset(<{type(self.dataset).__name__} num_shards={self.dataset.num_shards}>, "
                f"transform={self.transform!r}, seed={self.seed}, epoch={self.epoch}, batch_size={self.batch_size}, "
                f"shard_by={self.shard_by!r}{extra})")


def from_hf(dataset: Any, transform: Optional[Transform] = None, *, tokenizer: Any = None,
            text_column: Any = "text", label_column: Optional[str] = "label", max_length: Optional[int] = None,
            truncation: bool = True, keep_text: bool = False, keep_columns: Sequence[str] = (),
            seed: Optional[int] = None, knobs: Optional[Dict[str, Any]] = None, **kwargs: Any):
    """Wrap a Hugging Face dataset so that text augmentation and tokenization run in the workers.

    Args:
        dataset: a ``datasets.Dataset`` (map-style) or ``datasets.IterableDataset``.
        transform: a text Transform on ``str`` (e.g. ``loaders.text.EDA()``), or None.
        tokenizer, text_column, label_column, max_length, truncation, keep_text, keep_columns:
            see :class:`HFTextTransform`.
        seed, knobs: the keyed randomness (see :class:`loaders.AugmentedDataset`).
        **kwargs: for a map-style dataset, more :class:`loaders.AugmentedDataset` options
            (``return_params``); for an iterable one, :class:`HFIterableDataset` options
            (``batch_size``, ``drop_last``, ``rank``, ``world_size``, ``shard_by``).

    Returns:
        ``loaders.AugmentedDataset`` (map-style: keyed by row index; use ``.set_epoch``) or
        :class:`HFIterableDataset`.

    Example:
        >>> import datasets
        >>> from loaders import Lambda
        >>> ds = datasets.Dataset.from_dict({"text": ["Good film", "Bad film"], "label": [1, 0]})
        >>> aug = from_hf(ds, Lambda(str.upper), seed=0)
        >>> aug[0]
        {'text': 'GOOD FILM', 'label': 1}
    """
    import datasets

    row_t = HFTextTransform(transform, tokenizer=tokenizer, text_column=text_column, label_column=label_column,
                            max_length=max_length, truncation=truncation, keep_text=keep_text,
                            keep_columns=keep_columns)
    if isinstance(dataset, datasets.IterableDataset):
        return HFIterableDataset(dataset, row_t, seed=seed, knobs=knobs, **kwargs)
    if isinstance(dataset, datasets.Dataset):
        from .dataset import AugmentedDataset

        return AugmentedDataset(dataset, row_t, seed=seed, knobs=knobs, input_key=None, **kwargs)
    raise TypeError(f"from_hf: dataset must be a datasets.Dataset or datasets.IterableDataset, "
                    f"got {type(dataset).__name__}")
