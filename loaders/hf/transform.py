"""The per-row transform for ``datasets`` tables: augment the text column(s), then tokenize.

Example:
    >>> from loaders import Lambda
    >>> t = HFTextTransform(Lambda(str.upper), text_column="text", label_column="label")
    >>> t({"text": "good film", "label": 1}, rng=0)
    {'text': 'GOOD FILM', 'label': 1}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from ..text.base import check_text
from ..transform import Transform
from .tokenizers import TokenizerAdapter, no_fork_deadlock

__all__ = ["HFTextTransform", "check_text"]


def _columns(value: Any, name: str, owner: str) -> list[str]:
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
        transform: a text `loaders.Transform` on ``str`` (e.g. ``loaders.text.EDA``),
            or None (tokenize only). Its ``p`` and adaptive ``strength`` apply as usual.
        tokenizer: a ``transformers`` tokenizer or a ``tokenizers.Tokenizer``, or None (the
            output keeps the augmented text; tokenize later in `collate.TextCollate`).
        text_column: a column name, or two for a text pair.
        label_column: the label column (passed through unchanged), or None.
        max_length: as in [TokenizerAdapter][loaders.hf.TokenizerAdapter] (truncate to ``max_length``).
        truncation: as in [TokenizerAdapter][loaders.hf.TokenizerAdapter].
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

    def __init__(
        self,
        transform: Transform | None = None,
        *,
        tokenizer: Any = None,
        text_column: Any = "text",
        label_column: str | None = "label",
        max_length: int | None = None,
        truncation: bool = True,
        keep_text: bool = False,
        keep_columns: Sequence[str] = (),
    ) -> None:
        super().__init__(p=1.0)
        owner = "HFTextTransform"
        if transform is not None and not isinstance(transform, Transform):
            raise TypeError(
                f"{owner}: transform must be a loaders.Transform on str (e.g. loaders.text.EDA) or None, "
                f"got {transform!r} ({type(transform).__name__})"
            )
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
        self._tok: TokenizerAdapter | None
        if tokenizer is not None:
            no_fork_deadlock()
            # per-row encoding needs no pad token; the collate checks for one
            self._tok = TokenizerAdapter(
                tokenizer, max_length=max_length, truncation=truncation, owner=owner, require_pad=False
            )
        else:
            if max_length is not None:
                raise ValueError(f"{owner}: max_length={max_length} needs a tokenizer (got tokenizer=None)")
            self._tok = None

    def effective_p(self, strength: float = 1.0) -> float:
        """Always 1: the row transform always runs; strength goes to the text transform."""
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
        out: dict[str, Any] = {}
        if self._tok is None or self.keep_text:
            out.update(zip(self._text_columns, texts, strict=False))
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
        return (
            f"HFTextTransform(transform={self.transform!r}, tokenizer={tok}, text_column={self.text_column!r}, "
            f"label_column={self.label_column!r}, max_length={self.max_length!r}, truncation={self.truncation!r}, "
            f"keep_text={self.keep_text!r}, keep_columns={self.keep_columns!r})"
        )
