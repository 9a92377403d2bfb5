"""Text batches: dynamic padding, soft labels and MixUp in embedding space.

[TextCollate][collate.text.TextCollate] turns the samples a ``DataLoader`` hands a ``collate_fn``
(dicts with a text or already-tokenized ``input_ids``, and a label; or
``(text, label)`` tuples) into a dict that a ``transformers`` model accepts:
``input_ids``, ``attention_mask`` (and ``token_type_ids`` when the tokenizer
makes them), all padded to the longest sample of the batch (optionally rounded up
to ``pad_to_multiple_of``), and ``labels``: float soft targets ``(B, num_classes)``
whose rows sum to 1, which stock ``torch.nn.CrossEntropyLoss`` takes.

Token ids cannot be blended, so text MixUp happens in embedding space: the
collate draws the pairing and the lambdas and emits them as ``mix_index``
(LongTensor ``(B,)``, sample ``i`` is mixed with sample ``mix_index[i]``) and
``mix_lambda`` (float ``(B,)``), with ``labels`` already mixed
(``lam * y_i + (1 - lam) * y_mix_index[i]``) and ``attention_mask`` the union of
the pair's masks (a position is attended if either text has a token there).
[EmbeddingMixer][collate.text.EmbeddingMixer] then mixes the model's input embeddings, through a
forward hook on ``model.get_input_embeddings()``:
``e_i <- lam_i * e_i + (1 - lam_i) * e_mix_index[i]`` (word embeddings; position
and token-type embeddings are added by the model afterwards).

Example:
    >>> import torch
    >>> from loaders.hf import train_tokenizer
    >>> tok = train_tokenizer(["good film", "bad film", "a fine movie"], vocab_size=50)
    >>> c = TextCollate(tok, num_classes=2, pad_to_multiple_of=8)
    >>> b = c([{"text": "good film", "label": 1}, {"text": "a bad movie", "label": 0}])
    >>> b["input_ids"].shape, b["labels"].tolist()
    (torch.Size([2, 8]), [[0.0, 1.0], [1.0, 0.0]])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

import numpy as np
import torch

from loaders.hf import TokenizerAdapter, check_text, no_fork_deadlock, pad_sequences
from loaders.validation import check_int, check_number, check_probability, check_seed

from .context import describe_sample
from .functional.targets import soft_labels
from .randomness import CollateRandomness, MixingSwitch, check_pairing, draw_pairing

__all__ = ["TextCollate", "EmbeddingMixer", "soft_labels", "pad_sequences", "MIX_KEYS"]

#: The keys TextCollate adds for embedding MixUp (not model inputs).
MIX_KEYS = ("mix_index", "mix_lambda")


def _as_id_list(value: Any, where: str, name: str) -> np.ndarray:
    """A 1-D int64 array from a tensor, an array or a list of ints (bool/float refused)."""
    if isinstance(value, torch.Tensor):
        arr = value.detach().cpu().numpy()
    elif isinstance(value, (np.ndarray, list, tuple)):
        arr = np.asarray(value)
        if arr.size == 0 and arr.ndim == 1:
            arr = arr.astype(np.int64)
    else:
        raise TypeError(f"{where}: {name} must be a 1-D integer sequence, got {type(value).__name__} ({value!r:.60})")
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        raise TypeError(f"{where}: {name} must be a 1-D integer sequence, got {arr.dtype} values of shape {arr.shape}")
    return arr


class TextCollate(MixingSwitch):
    """Collate text samples into padded token batches with soft labels (and embedding MixUp).

    Samples may be dicts or tuples:

    * ``{text_key: str, label_key: label}`` (optionally ``text_pair_key``): tokenized here,
      in the worker, as one batch call;
    * ``{"input_ids": ids, ["token_type_ids": ids,] label_key: label}``: already tokenized
      (e.g. by [HFTextTransform][loaders.hf.HFTextTransform]), only padded here;
    * ``(text, label)`` tuples.

    Labels are int classes or rows of ``num_classes`` numbers (multi-hot rows are
    normalised to sum 1); see [soft_labels][collate.functional.targets.soft_labels].

    Args:
        tokenizer: a ``transformers`` tokenizer (e.g. ``PreTrainedTokenizerFast``) or a
            ``tokenizers.Tokenizer`` (with padding enabled, or pass ``pad_token_id``).
            Its ``padding_side`` is honoured. A tokenizer without a pad token is an error.
        num_classes: number of classes (width of ``labels``).
        label_smoothing: ``eps`` in [0, 1): ``y * (1 - eps) + eps / num_classes``, applied
            before mixing (timm convention). Use it here *or* in ``CrossEntropyLoss``, not both.
        pad_to_multiple_of: round the padded length up to a multiple (e.g. 8 for tensor cores).
        max_length: truncate texts to this many tokens when tokenizing; already tokenized
            samples longer than this are an error (not silently cut).
        text_key: dict key of the text (or of pre-tokenized ``input_ids``) in each sample.
        text_pair_key: dict key of the second text of a pair, or ``None``.
        label_key: dict key of the label; ``None``: no labels (inference).
        mixup_alpha: ``None`` (default) disables MixUp; else lambda ~ Beta(alpha, alpha).
        p: probability that a batch is mixed; with a knob strength ``s`` (``mix_strength``,
            else ``strength`` in ``KeyedBatch.knobs``) the probability is ``p * s``.
            Unmixed batches still carry ``mix_index`` (identity) and ``mix_lambda`` (ones), so
            training code never branches.
        per_sample: one lambda per sample instead of one per batch.
        seed: salt for the batch-keyed generator (KeyedBatch input) or seed of the
            per-process generator (plain list input; in a worker combined with the worker id and
            the DataLoader's worker seed, as in ``collate.MixUp``: no two workers repeat, and
            non-persistent workers draw anew each epoch; ``None`` = OS entropy).
        target_dtype: floating dtype of ``labels``.
        pad_token_id: override the tokenizer's pad token id.
        pairing: how partners are drawn, as in [MixUp][collate.mix.MixUp]: ``"derangement"``
            (default: every sample of a mixed batch gets another one), ``"permutation"``,
            ``"roll"`` or ``"flip"``.

    Returns (from ``__call__``):
        dict with ``input_ids`` (long ``(B, L)``), ``token_type_ids`` (if any), ``attention_mask``
        (long ``(B, L)``, union of the pair when mixing), ``labels`` (``(B, num_classes)``) and,
        with MixUp, ``mix_index`` (long ``(B,)``) and ``mix_lambda`` (``(B,)``). Pass the model
        inputs with ``EmbeddingMixer`` (which drops ``labels`` and the mix keys); do not pass the
        soft ``labels`` to a transformers model: with float labels it computes a multi-label
        BCE loss. Use ``torch.nn.CrossEntropyLoss()(logits, batch["labels"])``.

    Example:
        >>> from loaders.hf import train_tokenizer
        >>> tok = train_tokenizer(["good film", "bad film"], vocab_size=40)
        >>> c = TextCollate(tok, 2, mixup_alpha=0.4, seed=0)
        >>> b = c([("good film", 1), ("bad film", 0)])
        >>> sorted(b)
        ['attention_mask', 'input_ids', 'labels', 'mix_index', 'mix_lambda', 'token_type_ids']
        >>> torch.allclose(b["labels"].sum(1), torch.ones(2))
        True
    """

    #: Class default, so that collates pickled before ``pairing`` existed still load.
    pairing = "derangement"

    def __init__(
        self,
        tokenizer: Any,
        num_classes: int,
        *,
        label_smoothing: float = 0.0,
        pad_to_multiple_of: int | None = None,
        max_length: int | None = None,
        text_key: str = "text",
        text_pair_key: str | None = None,
        label_key: str | None = "label",
        mixup_alpha: float | None = None,
        p: float = 1.0,
        per_sample: bool = False,
        seed: int | None = None,
        target_dtype: torch.dtype = torch.float32,
        pad_token_id: int | None = None,
        pairing: str = "derangement",
    ) -> None:
        owner = "TextCollate"
        no_fork_deadlock()
        self.tokenizer = tokenizer
        self.num_classes = check_int("num_classes", num_classes, low=1, owner=owner)
        self.label_smoothing = check_number(
            "label_smoothing", label_smoothing, low=0.0, high=1.0, high_inclusive=False, owner=owner
        )
        self.pad_to_multiple_of = (
            None
            if pad_to_multiple_of is None
            else check_int("pad_to_multiple_of", pad_to_multiple_of, low=1, owner=owner)
        )
        self.max_length = max_length
        self._tok = TokenizerAdapter(tokenizer, max_length=max_length, pad_token_id=pad_token_id, owner=owner)
        for name, key, optional in (
            ("text_key", text_key, False),
            ("text_pair_key", text_pair_key, True),
            ("label_key", label_key, True),
        ):
            if not (isinstance(key, str) or (optional and key is None)):
                raise TypeError(f"{owner}: {name} must be a str{' or None' if optional else ''}, got {key!r}")
        self.text_key, self.text_pair_key, self.label_key = text_key, text_pair_key, label_key
        self.mixup_alpha = (
            None
            if mixup_alpha is None
            else check_number("mixup_alpha", mixup_alpha, low=0.0, low_inclusive=False, owner=owner)
        )
        if self.mixup_alpha is not None and label_key is None:
            raise ValueError(f"{owner}: mixup_alpha={mixup_alpha} needs labels (label_key is None)")
        self.p = check_probability("p", p, owner=owner)
        if not isinstance(per_sample, bool):
            raise TypeError(f"{owner}: per_sample must be a bool, got {per_sample!r}")
        self.per_sample = per_sample
        self.seed = check_seed("seed", seed, owner=owner)
        if not (isinstance(target_dtype, torch.dtype) and target_dtype.is_floating_point):
            raise TypeError(f"{owner}: target_dtype must be a floating torch.dtype, got {target_dtype!r}")
        self.target_dtype = target_dtype
        self.pad_token_id = pad_token_id
        self.pairing = check_pairing(pairing, owner)
        self._random = CollateRandomness(self.seed, owner)
        self._init_switch()

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a pickled collate (pickles of older versions kept the generator here)."""
        state = dict(state)
        state.pop("_rng", None)
        state.pop("_rng_pid", None)
        self.__dict__.update(state)
        if "_random" not in state:
            self._random = CollateRandomness(self.seed, "TextCollate")
        self._share_switch()

    def __repr__(self) -> str:
        args = [f"{type(self.tokenizer).__name__}(vocab_size={self._vocab_size()})", f"num_classes={self.num_classes}"]
        for name in (
            "label_smoothing",
            "pad_to_multiple_of",
            "max_length",
            "text_key",
            "text_pair_key",
            "label_key",
            "mixup_alpha",
            "p",
            "per_sample",
            "seed",
            "target_dtype",
            "pad_token_id",
            "pairing",
        ):
            args.append(f"{name}={getattr(self, name)!r}")
        return f"TextCollate({', '.join(args)})"

    def _vocab_size(self) -> Any:
        get = getattr(self.tokenizer, "get_vocab_size", None)
        return get() if get is not None else len(self.tokenizer)

    # -- the collate -----------------------------------------------------------------------
    def _split(self, batch: Sequence[Any]):
        texts, pairs, ids, tts, labels = [], [], [], [], []
        for i, s in enumerate(batch):
            where = describe_sample(i, batch)
            if isinstance(s, Mapping):
                if "input_ids" in s:
                    ids.append(_as_id_list(s["input_ids"], where, "input_ids"))
                    tts.append(
                        _as_id_list(s["token_type_ids"], where, "token_type_ids") if "token_type_ids" in s else None
                    )
                elif self.text_key in s:
                    texts.append(check_text(s[self.text_key], f"TextCollate: {where} [{self.text_key!r}]"))
                    if self.text_pair_key is not None:
                        if self.text_pair_key not in s:
                            raise KeyError(
                                f"TextCollate: {where} has no text_pair_key {self.text_pair_key!r}; keys: {sorted(s)}"
                            )
                        pairs.append(
                            check_text(s[self.text_pair_key], f"TextCollate: {where} [{self.text_pair_key!r}]")
                        )
                else:
                    raise KeyError(
                        f"TextCollate: {where} has neither text_key {self.text_key!r} nor 'input_ids'; "
                        f"keys: {sorted(s)}"
                    )
                if self.label_key is not None:
                    if self.label_key not in s:
                        raise KeyError(f"TextCollate: {where} has no label_key {self.label_key!r}; keys: {sorted(s)}")
                    labels.append(s[self.label_key])
            elif isinstance(s, (tuple, list)) and len(s) == 2 and self.label_key is not None:
                texts.append(check_text(s[0], f"TextCollate: {where} [0]"))
                labels.append(s[1])
            elif isinstance(s, (str, bytes)) or s is None:
                if self.label_key is not None:
                    raise TypeError(
                        f"TextCollate: {where} must be a dict or a (text, label) tuple, got "
                        f"{type(s).__name__} ({s!r:.60}); pass label_key=None for unlabelled text"
                    )
                texts.append(check_text(s, f"TextCollate: {where}"))
            else:
                raise TypeError(
                    f"TextCollate: {where} must be a dict or a (text, label) tuple, got {type(s).__name__} ({s!r:.60})"
                )
        if texts and ids:
            raise ValueError(
                "TextCollate: the batch mixes raw-text samples and already tokenized samples "
                "('input_ids'); use one kind per dataset"
            )
        return texts, pairs or None, ids, tts, labels

    def __call__(self, batch: Sequence[Any]) -> dict[str, torch.Tensor]:
        """Tokenize (or pad) the batch and build its soft labels (mixed when MixUp is on).

        Args:
            batch: the list of samples a `DataLoader` hands its `collate_fn`.

        Returns:
            The model inputs, ``labels`` and the mix keys (see the class docstring).
        """
        if len(batch) == 0:
            raise ValueError("TextCollate: got an empty batch")
        texts, pairs, ids, tts, labels = self._split(batch)
        side = self._tok.padding_side
        if texts:
            input_ids, tt, mask = self._tok.encode_padded(texts, pairs, self.pad_to_multiple_of)
        else:
            if self.max_length is not None:
                for i, row in enumerate(ids):
                    if len(row) > self.max_length:
                        raise ValueError(
                            f"TextCollate: {describe_sample(i, batch)} has {len(row)} tokens > max_length="
                            f"{self.max_length}; tokenize with truncation (e.g. HFTextTransform"
                            f"(max_length=...)) instead of cutting special tokens here"
                        )
            if any(t is None for t in tts):
                tts = None
            else:
                for i, (a, b) in enumerate(zip(ids, tts, strict=False)):
                    if len(a) != len(b):
                        raise ValueError(
                            f"TextCollate: {describe_sample(i, batch)} has {len(a)} input_ids but {len(b)} "
                            f"token_type_ids"
                        )
            pad_id = cast(int, self._tok.pad_id)  # TextCollate refuses tokenizers without a pad token
            input_ids, mask = pad_sequences(ids, pad_id, pad_to_multiple_of=self.pad_to_multiple_of, side=side)
            tt = (
                None if tts is None else pad_sequences(tts, 0, pad_to_multiple_of=self.pad_to_multiple_of, side=side)[0]
            )
        out: dict[str, torch.Tensor] = {"input_ids": input_ids}
        if tt is not None:
            out["token_type_ids"] = tt
        if self.label_key is None:
            out["attention_mask"] = mask
            return out
        y = soft_labels(
            labels,
            self.num_classes,
            label_smoothing=self.label_smoothing,
            dtype=torch.float64,
            where=lambda i: f"TextCollate: {describe_sample(i, batch)}",
        )
        if self.mixup_alpha is not None:
            index, lam = self._draw(batch)
            lam_t = torch.as_tensor(lam, dtype=torch.float64)
            index_t = torch.as_tensor(index, dtype=torch.long)
            y = lam_t[:, None] * y + (1.0 - lam_t[:, None]) * y[index_t]
            mask = mask | mask[index_t]
            out["attention_mask"] = mask
            out["labels"] = y.to(self.target_dtype)
            out["mix_index"] = index_t
            out["mix_lambda"] = lam_t.to(self.target_dtype)
        else:
            out["attention_mask"] = mask
            out["labels"] = y.to(self.target_dtype)
        return out

    def _draw(self, batch: Sequence[Any]):
        """The pairing and lambdas: ``(index (B,), lam (B,))`` as numpy arrays."""
        n = len(batch)
        alpha = self.mixup_alpha
        rng = self._random.generator(batch)
        mix = bool(rng.random() < self.p * self._random.strength(batch)) and self.mixing
        if alpha is None or not mix or n < 2:
            return np.arange(n), np.ones(n)
        index = draw_pairing(rng, n, self.pairing)
        if self.per_sample:
            lam = rng.beta(alpha, alpha, size=n)
        else:
            lam = np.full(n, rng.beta(alpha, alpha))
        return index, lam


class EmbeddingMixer:
    """Mix a transformers model's input embeddings with a batch's ``mix_index``/``mix_lambda``.

    A forward hook on ``model.get_input_embeddings()`` replaces its output ``e``
    (shape ``(B, L, D)``) with ``lam[:, None, None] * e + (1 - lam[:, None, None]) * e[mix_index]``
    while the context is active. The hook is removed on exit, even after an error.
    Attention: the collate's ``attention_mask`` is already the union of each pair's
    masks, so the padding positions of the shorter text (where its pad embedding is
    mixed in) are attended. Inputs given as ``inputs_embeds`` bypass the embedding
    module and are not mixed. Every call of the embedding module inside the block is
    mixed: encoder-decoder models that share it (T5, BART) would mix the decoder
    inputs too; this helper targets encoders (BERT-style classifiers).

    Args:
        model: a module with ``get_input_embeddings()`` (any transformers ``PreTrainedModel``).

    Example:
        >>> import torch
        >>> class Tiny(torch.nn.Module):
        ...     def __init__(self):
        ...         super().__init__(); self.emb = torch.nn.Embedding(10, 4)
        ...     def get_input_embeddings(self): return self.emb
        ...     def forward(self, input_ids, attention_mask=None): return self.emb(input_ids)
        >>> m = Tiny()
        >>> batch = {"input_ids": torch.tensor([[1, 2], [3, 4]]), "attention_mask": torch.ones(2, 2),
        ...          "labels": torch.eye(2), "mix_index": torch.tensor([1, 0]),
        ...          "mix_lambda": torch.tensor([0.75, 0.25])}
        >>> with EmbeddingMixer(m)(batch) as inputs:
        ...     out = m(**inputs)
        >>> sorted(inputs)
        ['attention_mask', 'input_ids']
        >>> e = m.emb(batch["input_ids"])
        >>> torch.allclose(out[0], 0.75 * e[0] + 0.25 * e[1])
        True
    """

    def __init__(self, model: torch.nn.Module) -> None:
        get = getattr(model, "get_input_embeddings", None)
        if not callable(get):
            raise TypeError(
                f"EmbeddingMixer: model must have get_input_embeddings() (a transformers model), "
                f"got {type(model).__name__}"
            )
        module = get()
        if not isinstance(module, torch.nn.Module):
            raise TypeError(
                f"EmbeddingMixer: model.get_input_embeddings() must return a torch.nn.Module, got "
                f"{type(module).__name__}"
            )
        self.model = model

    def __repr__(self) -> str:
        return f"EmbeddingMixer({type(self.model).__name__})"

    @staticmethod
    def model_inputs(batch: Mapping[str, Any], drop=("labels",) + MIX_KEYS) -> dict[str, Any]:
        """The batch without ``labels`` and the mix keys: what to pass as ``model(**inputs)``."""
        return {k: v for k, v in batch.items() if k not in drop}

    @contextmanager
    def __call__(self, batch: Mapping[str, Any]):
        """Context manager: hooks the embeddings for this batch, yields the model inputs.

        A batch without ``mix_index`` (MixUp disabled) is passed through unmixed.
        """
        if not isinstance(batch, Mapping):
            raise TypeError(f"EmbeddingMixer: batch must be the dict TextCollate returns, got {type(batch).__name__}")
        inputs = self.model_inputs(batch)
        index, lam = batch.get("mix_index"), batch.get("mix_lambda")
        if (index is None) != (lam is None):
            raise KeyError("EmbeddingMixer: the batch has only one of 'mix_index' and 'mix_lambda'")
        if index is None or lam is None:
            yield inputs
            return
        if index.ndim != 1 or lam.shape != index.shape:
            raise ValueError(
                f"EmbeddingMixer: mix_index and mix_lambda must both have shape (B,), got "
                f"{tuple(index.shape)} and {tuple(lam.shape)}"
            )
        embeddings: torch.nn.Module = cast(Any, self.model).get_input_embeddings()  # checked in __init__
        handle = embeddings.register_forward_hook(_MixHook(index, lam))
        try:
            yield inputs
        finally:
            handle.remove()


class _MixHook:
    def __init__(self, index: torch.Tensor, lam: torch.Tensor) -> None:
        self.index, self.lam = index, lam
        self.identity = bool(torch.equal(index, torch.arange(len(index))))

    def __call__(self, module, args, output):
        if not isinstance(output, torch.Tensor) or output.ndim < 2 or output.shape[0] != len(self.index):
            raise ValueError(
                f"EmbeddingMixer: the input embeddings have shape "
                f"{tuple(getattr(output, 'shape', ()))}, expected batch size {len(self.index)} first"
            )
        if self.identity:
            return output
        index = self.index.to(output.device)
        lam = self.lam.to(device=output.device, dtype=output.dtype).view(-1, *([1] * (output.ndim - 1)))
        return mix_embeddings(output, index, lam)


def mix_embeddings(e: torch.Tensor, index: torch.Tensor, lam: torch.Tensor) -> torch.Tensor:
    """``lam * e + (1 - lam) * e[index]`` (``lam`` broadcast over the trailing dims)."""
    return lam * e + (1 - lam) * e[index]
